// SPDX-License-Identifier: GPL-2.0-or-later
/* The address type: text, socket addresses, bytes, equality. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "check_suites.h"

START_TEST(test_pton_ntop_v4)
{
	struct pptp_addr a;
	char buf[ADDR_STRLEN];

	ck_assert_int_eq(addr_pton(AF_INET, "192.0.2.7", &a), 0);
	ck_assert_int_eq(a.family, AF_INET);
	ck_assert_uint_eq(a.port, 0);
	ck_assert_uint_eq(a.u.v4.s_addr, inet_addr("192.0.2.7"));
	ck_assert_str_eq(addr_ntop(&a, buf, sizeof(buf)), "192.0.2.7");
	ck_assert_int_eq(addr_pton(AF_UNSPEC, "255.255.255.255", &a), 0);
	ck_assert_str_eq(addr_ntop(&a, buf, sizeof(buf)), "255.255.255.255");
	/* the longest IPv4 text fits INET_ADDRSTRLEN, so ours too */
	ck_assert_int_eq(addr_ntop(&a, buf, INET_ADDRSTRLEN) == buf, 1);
}
END_TEST

START_TEST(test_pton_ntop_v6)
{
	const char *longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
	struct pptp_addr a;
	char buf[ADDR_STRLEN];

	ck_assert_int_eq(addr_pton(AF_INET6, "2001:db8::1", &a), 0);
	ck_assert_int_eq(a.family, AF_INET6);
	ck_assert_str_eq(addr_ntop(&a, buf, sizeof(buf)), "2001:db8::1");
	ck_assert_int_eq(addr_pton(AF_UNSPEC, "::1", &a), 0);
	ck_assert_int_eq(a.family, AF_INET6);
	ck_assert_int_eq(addr_pton(AF_INET6, longest, &a), 0);
	ck_assert_uint_lt(strlen(addr_ntop(&a, buf, sizeof(buf))),
	    ADDR_STRLEN);
}
END_TEST

START_TEST(test_pton_rejects)
{
	static const char *const bad[] = { "", "192.0.2", "192.0.2.256",
	    "192.0.2.1 ", "host.example", "1.2.3.4:1723", "::1::2" };
	struct pptp_addr a;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_int_eq(addr_pton(AF_UNSPEC, bad[i], &a), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_eq(addr_is_set(&a), 0);
	}
	/* each family asked for is the only one taken */
	ck_assert_int_eq(addr_pton(AF_INET, "::1", &a), -1);
	ck_assert_int_eq(addr_pton(AF_INET6, "192.0.2.1", &a), -1);
}
END_TEST

START_TEST(test_ntop_unset_and_small)
{
	struct pptp_addr a = { .family = AF_UNSPEC };
	char buf[ADDR_STRLEN], tiny[4];

	ck_assert_str_eq(addr_ntop(&a, buf, sizeof(buf)), "?");
	ck_assert_int_eq(addr_pton(AF_INET, "192.0.2.7", &a), 0);
	ck_assert_str_eq(addr_ntop(&a, tiny, sizeof(tiny)), "?");
	ck_assert_str_eq(addr_ntop(&a, tiny, 0), "?");
}
END_TEST

static const struct {
	int		 family;
	const char	*text;
	socklen_t	 len;
} round_trip[] = {
	{ AF_INET, "198.51.100.9", sizeof(struct sockaddr_in) },
	{ AF_INET6, "2001:db8::7", sizeof(struct sockaddr_in6) },
};

START_TEST(test_sockaddr_round_trip)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	struct pptp_addr a, b;
	char buf[ADDR_STRLEN];
	socklen_t len;

	ck_assert_int_eq(addr_pton(round_trip[_i].family, round_trip[_i].text,
	    &a), 0);
	a.port = 1723;
	len = addr_to_sockaddr(&a, &ss);
	ck_assert_uint_eq(len, round_trip[_i].len);
	ck_assert_int_eq(ss.ss_family, round_trip[_i].family);
	if (ss.ss_family == AF_INET) {
		/* what connect() reads: the port in network order */
		memcpy(&sin, &ss, sizeof(sin));
		ck_assert_uint_eq(sin.sin_port, htons(1723));
		ck_assert_uint_eq(sin.sin_addr.s_addr,
		    inet_addr(round_trip[_i].text));
	}
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *)&ss, len, &b),
	    0);
	ck_assert_int_eq(addr_eq(&a, &b), 1);
	ck_assert_uint_eq(b.port, 1723);
	ck_assert_str_eq(addr_ntop(&b, buf, sizeof(buf)), round_trip[_i].text);
}
END_TEST

START_TEST(test_sockaddr_rejects)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNIX };
	struct pptp_addr a = { .family = AF_UNSPEC };

	errno = 0;
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *)&ss,
	    sizeof(ss), &a), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	ck_assert_int_eq(addr_is_set(&a), 0);
	/* a length short of the family's structure */
	ss.ss_family = AF_INET;
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in) - 1, &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	ss.ss_family = AF_INET6;
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in6) - 1, &a), -1);
	ck_assert_int_eq(addr_from_sockaddr((struct sockaddr *)&ss, 1, &a),
	    -1);
	/* no address: no socket address */
	ck_assert_uint_eq(addr_to_sockaddr(&a, &ss), 0);
}
END_TEST

START_TEST(test_from_bytes)
{
	const uint8_t v4[4] = { 192, 0, 2, 1 }, v6[16] = { 0x20, 0x01, 0x0d,
	    0xb8, [15] = 1 };
	struct pptp_addr a, b;
	char buf[ADDR_STRLEN];

	ck_assert_int_eq(addr_from_bytes(AF_INET, v4, 4, &a), 0);
	ck_assert_str_eq(addr_ntop(&a, buf, sizeof(buf)), "192.0.2.1");
	ck_assert_int_eq(addr_pton(AF_INET, "192.0.2.1", &b), 0);
	ck_assert_int_eq(addr_eq(&a, &b), 1);
	ck_assert_int_eq(addr_from_bytes(AF_INET6, v6, 16, &a), 0);
	ck_assert_str_eq(addr_ntop(&a, buf, sizeof(buf)), "2001:db8::1");
	/* a length that is not the family's */
	ck_assert_int_eq(addr_from_bytes(AF_INET, v6, 16, &a), -1);
	ck_assert_int_eq(addr_is_set(&a), 0);
	ck_assert_int_eq(addr_from_bytes(AF_INET6, v4, 4, &a), -1);
	ck_assert_int_eq(addr_from_bytes(AF_UNIX, v4, 4, &a), -1);
}
END_TEST

START_TEST(test_eq)
{
	struct pptp_addr a, b, none = { .family = AF_UNSPEC },
	    none2 = { .family = AF_UNSPEC };

	ck_assert_int_eq(addr_pton(AF_INET, "192.0.2.1", &a), 0);
	b = a;
	ck_assert_int_eq(addr_eq(&a, &b), 1);
	b.port = 1;
	ck_assert_int_eq(addr_eq(&a, &b), 0);
	ck_assert_int_eq(addr_pton(AF_INET, "192.0.2.2", &b), 0);
	ck_assert_int_eq(addr_eq(&a, &b), 0);
	/* the same bytes in another family are another address */
	ck_assert_int_eq(addr_pton(AF_INET6, "::", &a), 0);
	ck_assert_int_eq(addr_pton(AF_INET, "0.0.0.0", &b), 0);
	ck_assert_int_eq(addr_eq(&a, &b), 0);
	ck_assert_int_eq(addr_eq(&none, &none2), 1);
	ck_assert_int_eq(addr_eq(&none, &b), 0);
	ck_assert_int_eq(addr_is_set(&b), 1);
	ck_assert_int_eq(addr_is_set(&none), 0);
}
END_TEST

Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("addr");

	tcase_add_test(tc, test_pton_ntop_v4);
	tcase_add_test(tc, test_pton_ntop_v6);
	tcase_add_test(tc, test_pton_rejects);
	tcase_add_test(tc, test_ntop_unset_and_small);
	tcase_add_loop_test(tc, test_sockaddr_round_trip, 0,
	    sizeof(round_trip) / sizeof(round_trip[0]));
	tcase_add_test(tc, test_sockaddr_rejects);
	tcase_add_test(tc, test_from_bytes);
	tcase_add_test(tc, test_eq);
	suite_add_tcase(s, tc);
	return s;
}

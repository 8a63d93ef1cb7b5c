// SPDX-License-Identifier: GPL-2.0-or-later
/* The status page's sequence count and the answer's lines (status.h). */
#include "status.h"

#include <stdio.h>
#include <string.h>

#include "check_suites.h"

/* Every byte but NUL survives a line and comes back as it went. */
START_TEST(test_line_round_trip_every_byte)
{
	char value[256], key[32], got[512], kind[16];
	struct status_line l;
	struct status_reader r;

	for (int i = 1; i < 256; i++)
		value[i - 1] = (char)i;
	value[255] = '\0';
	status_line_init(&l, "conn");
	status_line_str(&l, "peer_host", value);
	status_line_u64(&l, "calls", 18446744073709551615ULL);
	ck_assert(!l.cut);
	ck_assert_ptr_null(strchr(l.text, '\n'));
	ck_assert(status_kind(&r, l.text, kind, sizeof(kind)));
	ck_assert_str_eq(kind, "conn");
	ck_assert(status_next(&r, key, sizeof(key), got, sizeof(got)));
	ck_assert_str_eq(key, "peer_host");
	ck_assert_str_eq(got, value);
	ck_assert(status_next(&r, key, sizeof(key), got, sizeof(got)));
	ck_assert_str_eq(got, "18446744073709551615");
	ck_assert(!status_next(&r, key, sizeof(key), got, sizeof(got)));
	ck_assert(!r.bad);
}
END_TEST

/* Malformed pairs are refused, never read past. */
START_TEST(test_line_malformed)
{
	static const char *const bad[] = {
		"call x", "call =1", "call x=%", "call x=%4", "call x=%zz",
		"call x=%00", "call x=a\"b", "call x=1  y=2", "call x=1 y",
		"call kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk=1",
	};
	char key[32], got[64], kind[16];
	struct status_reader r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert(status_kind(&r, bad[i], kind, sizeof(kind)));
		while (status_next(&r, key, sizeof(key), got, sizeof(got)))
			;
		ck_assert_msg(r.bad, "accepted: %s", bad[i]);
	}
	ck_assert(!status_kind(&r, "", kind, sizeof(kind)));
	ck_assert(!status_kind(&r, "averyveryverylongkind x=1", kind,
	    sizeof(kind)));
}
END_TEST

/* A value too long for the reader's buffer is refused, not cut. */
START_TEST(test_line_value_too_long_for_reader)
{
	char key[32], got[4], kind[16];
	struct status_reader r;

	ck_assert(status_kind(&r, "call x=abcd", kind, sizeof(kind)));
	ck_assert(!status_next(&r, key, sizeof(key), got, sizeof(got)));
	ck_assert(r.bad);
}
END_TEST

/* A pair that does not fit is left out; the line stays whole. */
START_TEST(test_line_full_is_cut)
{
	char big[2000];
	struct status_line l;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	status_line_init(&l, "call");
	status_line_u64(&l, "n", 1);
	status_line_str(&l, "big", big);
	ck_assert(l.cut);
	ck_assert_str_eq(l.text, "call n=1");
}
END_TEST

START_TEST(test_pub_sequence)
{
	struct gw_pub p = { 0 }, out;

	status_pub_begin(&p);
	p.rx_packets = 7;
	ck_assert(!status_pub_read(&p, &out));	/* half written */
	status_pub_end(&p);
	ck_assert_uint_eq(p.seq % 2, 0);
	ck_assert(status_pub_read(&p, &out));
	ck_assert_uint_eq(out.rx_packets, 7);
}
END_TEST

Suite *
status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, test_line_round_trip_every_byte);
	tcase_add_test(tc, test_line_malformed);
	tcase_add_test(tc, test_line_value_too_long_for_reader);
	tcase_add_test(tc, test_line_full_is_cut);
	tcase_add_test(tc, test_pub_sequence);
	suite_add_tcase(s, tc);
	return s;
}

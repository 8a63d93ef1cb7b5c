// SPDX-License-Identifier: GPL-2.0-or-later
/* LCP snooping for pppd's receive ACCM. */
#include "accm.h"

#include <string.h>

#include "check_suites.h"
#include "hdlc.h"

/* An LCP packet: code, then options as given (len bytes). */
static size_t
lcp(uint8_t *f, uint8_t code, const uint8_t *opts, size_t len)
{
	memcpy(f, "\xff\x03\xc0\x21", 4);
	f[4] = code;
	f[5] = 1;			/* id */
	f[6] = (uint8_t)((4 + len) >> 8);
	f[7] = (uint8_t)(4 + len);
	if (len > 0)
		memcpy(f + 8, opts, len);
	return 8 + len;
}

/* ACCM 0 and a magic number, as pppd asks by default. */
static const uint8_t opts0[] = { 0x02, 0x06, 0, 0, 0, 0,
    0x05, 0x06, 0x12, 0x34, 0x56, 0x78 };
static const uint8_t ipcp[] = { 0x80, 0x21, 0x01, 0x01, 0x00, 0x04 };

/* The usual opening, in the order pppd and a server exchange it. */
static void
open_lcp(struct accm_snoop *s, const uint8_t *opts, size_t olen)
{
	uint8_t f[64];
	size_t n;

	n = lcp(f, 1, opts, olen);			/* pppd's request */
	ck_assert(!accm_from_pppd(s, f, n));
	n = lcp(f, 1, (const uint8_t *)"\x03\x04\xc0\x23", 4);
	ck_assert(!accm_from_server(s, f, n));		/* server's request */
	n = lcp(f, 2, opts, olen);			/* server acks pppd */
	ck_assert(!accm_from_server(s, f, n));
	ck_assert_uint_eq(s->now, HDLC_ACCM_ALL);	/* not yet */
	n = lcp(f, 2, (const uint8_t *)"\x03\x04\xc0\x23", 4);
	ck_assert(!accm_from_pppd(s, f, n));		/* pppd acks */
	ck_assert_uint_eq(s->now, HDLC_ACCM_ALL);	/* still not */
}

START_TEST(test_switch_after_pppd_speaks_beyond_lcp)
{
	struct accm_snoop s;

	accm_init(&s);
	open_lcp(&s, opts0, sizeof(opts0));
	ck_assert(accm_from_pppd(&s, ipcp, sizeof(ipcp)));
	ck_assert_uint_eq(s.now, 0);
	ck_assert(!accm_from_pppd(&s, ipcp, sizeof(ipcp)));	/* once */
}
END_TEST

START_TEST(test_no_accm_option_keeps_all)
{
	struct accm_snoop s;

	accm_init(&s);
	open_lcp(&s, opts0 + 6, 6);	/* magic number only */
	ck_assert(!accm_from_pppd(&s, ipcp, sizeof(ipcp)));
	ck_assert_uint_eq(s.now, HDLC_ACCM_ALL);
}
END_TEST

START_TEST(test_other_accm_value)
{
	static const uint8_t opts[] = { 0x02, 0x06, 0x00, 0x0a, 0x00, 0x00 };
	struct accm_snoop s;

	accm_init(&s);
	open_lcp(&s, opts, sizeof(opts));
	ck_assert(accm_from_pppd(&s, ipcp, sizeof(ipcp)));
	ck_assert_uint_eq(s.now, 0x000a0000);
}
END_TEST

/* Whoever starts LCP again, or ends it, everything is escaped again. */
START_TEST(test_renegotiation_and_termination_restart)
{
	uint8_t f[64];
	struct accm_snoop s;
	size_t n;

	for (int who = 0; who < 4; who++) {
		accm_init(&s);
		open_lcp(&s, opts0, sizeof(opts0));
		ck_assert(accm_from_pppd(&s, ipcp, sizeof(ipcp)));
		switch (who) {
		case 0:		/* the server asks again */
			n = lcp(f, 1, opts0, sizeof(opts0));
			ck_assert(accm_from_server(&s, f, n));
			break;
		case 1:		/* pppd asks again */
			n = lcp(f, 1, opts0, sizeof(opts0));
			ck_assert(accm_from_pppd(&s, f, n));
			break;
		case 2:		/* the server terminates */
			n = lcp(f, 5, NULL, 0);
			ck_assert(accm_from_server(&s, f, n));
			break;
		default:	/* pppd terminates */
			n = lcp(f, 5, NULL, 0);
			ck_assert(accm_from_pppd(&s, f, n));
			break;
		}
		ck_assert_uint_eq(s.now, HDLC_ACCM_ALL);
		/* no old Ack counts for the next opening */
		ck_assert(!accm_from_pppd(&s, ipcp, sizeof(ipcp)));
		ck_assert_uint_eq(s.now, HDLC_ACCM_ALL);
	}
}
END_TEST

/* Echo and other LCP while open change nothing; nor does data. */
START_TEST(test_echo_and_data_change_nothing)
{
	uint8_t f[64];
	struct accm_snoop s;
	size_t n;

	accm_init(&s);
	open_lcp(&s, opts0, sizeof(opts0));
	ck_assert(accm_from_pppd(&s, ipcp, sizeof(ipcp)));
	n = lcp(f, 9, (const uint8_t *)"\x12\x34\x56\x78", 4);
	ck_assert(!accm_from_pppd(&s, f, n));
	ck_assert(!accm_from_server(&s, f, n));
	ck_assert(!accm_from_server(&s, ipcp, sizeof(ipcp)));
	ck_assert_uint_eq(s.now, 0);
}
END_TEST

/* Malformed options: the walk stops and the safe default stands. */
START_TEST(test_malformed_ack)
{
	static const uint8_t bad[][8] = {
		{ 0x02, 0x00, 0, 0, 0, 0 },	/* option length 0 */
		{ 0x02, 0x05, 0, 0, 0, 0 },	/* ACCM of the wrong length */
		{ 0x02, 0x09, 0, 0, 0, 0 },	/* beyond the packet */
		{ 0x05, 0x01, 0x02, 0x06 },	/* option length 1 */
	};
	uint8_t f[64];
	struct accm_snoop s;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		accm_init(&s);
		accm_from_pppd(&s, f, lcp(f, 1, opts0, sizeof(opts0)));
		accm_from_server(&s, f, lcp(f, 2, bad[k], 6));
		accm_from_pppd(&s, ipcp, sizeof(ipcp));
		ck_assert_uint_eq(s.now, HDLC_ACCM_ALL);
	}
	/* a length field longer than the frame: only the frame counts */
	accm_init(&s);
	lcp(f, 2, opts0, sizeof(opts0));
	f[7] = 200;
	accm_from_server(&s, f, 8 + 6);
	accm_from_pppd(&s, ipcp, sizeof(ipcp));
	ck_assert_uint_eq(s.now, 0);
	/* too short to be LCP at all */
	ck_assert(!accm_is_lcp(f, 3));
	accm_init(&s);
	ck_assert(!accm_from_server(&s, f, 5));
	ck_assert(!s.have_acked);
}
END_TEST

Suite *
accm_suite(void)
{
	Suite *s = suite_create("accm");
	TCase *tc = tcase_create("snoop");

	tcase_add_test(tc, test_switch_after_pppd_speaks_beyond_lcp);
	tcase_add_test(tc, test_no_accm_option_keeps_all);
	tcase_add_test(tc, test_other_accm_value);
	tcase_add_test(tc, test_renegotiation_and_termination_restart);
	tcase_add_test(tc, test_echo_and_data_change_nothing);
	tcase_add_test(tc, test_malformed_ack);
	suite_add_tcase(s, tc);
	return s;
}

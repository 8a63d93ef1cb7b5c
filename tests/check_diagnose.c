// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptp --diagnose's pure parts (diagnose_pure.c): JSON strings, the path
 * MTU's words, our LCP Configure-Request and the PPP frames that come
 * back, the findings and the verdict's choice of cause and fix.
 */
#include "diagnose_int.h"

#include <string.h>

#include "check_suites.h"

/* s escaped a byte at a time, as diagnose_report.c writes it */
static const char *
json_body(const char *s, char *buf, size_t bufsz)
{
	char e[7];
	size_t n = 0;

	buf[0] = '\0';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		diag_json_char(*p, e);
		ck_assert_uint_lt(n + strlen(e), bufsz);
		memcpy(buf + n, e, strlen(e) + 1);
		n += strlen(e);
	}
	return buf;
}

START_TEST(test_json_char)
{
	char e[7];

	ck_assert_str_eq(diag_json_char('a', e), "a");
	ck_assert_str_eq(diag_json_char(' ', e), " ");
	ck_assert_str_eq(diag_json_char('~', e), "~");
	ck_assert_str_eq(diag_json_char('"', e), "\\\"");
	ck_assert_str_eq(diag_json_char('\\', e), "\\\\");
	ck_assert_str_eq(diag_json_char('\n', e), "\\u000a");
	ck_assert_str_eq(diag_json_char(0x1f, e), "\\u001f");
	ck_assert_str_eq(diag_json_char(0x7f, e), "\\u007f");
	ck_assert_str_eq(diag_json_char(0xff, e), "\\u00ff");
	ck_assert_ptr_eq(diag_json_char('x', e), e);
}
END_TEST

START_TEST(test_json_string)
{
	char buf[128];

	ck_assert_str_eq(json_body("", buf, sizeof(buf)), "");
	ck_assert_str_eq(json_body("a\"b\\c", buf, sizeof(buf)),
	    "a\\\"b\\\\c");
	ck_assert_str_eq(json_body("x\ny\x1f\x7f\xc3\xa9", buf,
	    sizeof(buf)), "x\\u000ay\\u001f\\u007f\\u00c3\\u00a9");
	ck_assert_str_eq(json_body("host 1.2.3.4 ok", buf, sizeof(buf)),
	    "host 1.2.3.4 ok");
}
END_TEST

START_TEST(test_mtu_words)
{
	char buf[200];

	diag_mtu_words(1500, buf, sizeof(buf));
	ck_assert_str_eq(buf, "path MTU 1500: pppd mtu and mru of at most "
	    "1460 keep GRE unfragmented (1500 - IP 20 - GRE 16 - PPP 4; "
	    "with MPPE 1456, its 4 more)");
	diag_mtu_words(576, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "at most 536 keep"));
	ck_assert_ptr_nonnull(strstr(buf, "with MPPE 532,"));
	diag_mtu_words(575, buf, sizeof(buf));
	ck_assert_str_eq(buf, "path MTU unknown");
	diag_mtu_words(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "path MTU unknown");
}
END_TEST

START_TEST(test_lcp_confreq)
{
	static const uint8_t want[DIAG_LCP_REQ_LEN] = { 0xff, 0x03, 0xc0,
	    0x21, 1, 7, 0, 10, 5, 6, 0xde, 0xad, 0xbe, 0xef };
	uint8_t p[DIAG_LCP_REQ_LEN];
	struct diag_ppp f;

	diag_lcp_confreq(p, 7, 0xdeadbeef);
	ck_assert_mem_eq(p, want, sizeof(want));
	/* sent back as is: ours, echoed */
	diag_ppp_parse(p, sizeof(p), 0xdeadbeef, &f);
	ck_assert_int_eq(f.kind, DIAG_LCP_ECHOED);
	ck_assert_uint_eq(f.proto, DIAG_LCP_PROTO);
	ck_assert_uint_eq(f.id, 7);
	/* another magic: the server's own request */
	diag_ppp_parse(p, sizeof(p), 0x12345678, &f);
	ck_assert_int_eq(f.kind, DIAG_LCP_REQUEST);
}
END_TEST

START_TEST(test_ppp_parse)
{
	/* Configure-Ack id 3, without ff 03 */
	static const uint8_t ack[] = { 0xc0, 0x21, 2, 3, 0, 4 };
	/* Configure-Reject id 9, with ff 03 */
	static const uint8_t rej[] = { 0xff, 0x03, 0xc0, 0x21, 4, 9, 0, 4 };
	/* Terminate-Request */
	static const uint8_t term[] = { 0xc0, 0x21, 5, 1, 0, 4 };
	/* IPCP, and a compressed one-byte protocol field */
	static const uint8_t ipcp[] = { 0xff, 0x03, 0x80, 0x21, 1, 1, 0, 4 };
	static const uint8_t ip[] = { 0x21, 0x45, 0, 0 };
	/* LCP too short to carry a header; nothing at all */
	static const uint8_t lcp_short[] = { 0xc0, 0x21, 1, 1, 0 };
	static const uint8_t bare[] = { 0xff, 0x03 };
	static const uint8_t half[] = { 0xc0 };
	/* a request with a short Magic-Number option */
	static const uint8_t req[] = { 0xc0, 0x21, 1, 2, 0, 8, 1, 4, 5, 0xdc };
	struct diag_ppp f;

	diag_ppp_parse(ack, sizeof(ack), 1, &f);
	ck_assert_int_eq(f.kind, DIAG_LCP_REPLY);
	ck_assert_uint_eq(f.code, 2);
	ck_assert_uint_eq(f.id, 3);
	diag_ppp_parse(rej, sizeof(rej), 1, &f);
	ck_assert_int_eq(f.kind, DIAG_LCP_REPLY);
	ck_assert_uint_eq(f.code, 4);
	ck_assert_uint_eq(f.id, 9);
	diag_ppp_parse(term, sizeof(term), 1, &f);
	ck_assert_int_eq(f.kind, DIAG_LCP_OTHER);
	diag_ppp_parse(ipcp, sizeof(ipcp), 1, &f);
	ck_assert_int_eq(f.kind, DIAG_PPP_OTHER);
	ck_assert_uint_eq(f.proto, 0x8021);
	diag_ppp_parse(ip, sizeof(ip), 1, &f);
	ck_assert_int_eq(f.kind, DIAG_PPP_OTHER);
	ck_assert_uint_eq(f.proto, 0x21);
	diag_ppp_parse(lcp_short, sizeof(lcp_short), 1, &f);
	ck_assert_int_eq(f.kind, DIAG_PPP_OTHER);
	ck_assert_uint_eq(f.proto, DIAG_LCP_PROTO);
	diag_ppp_parse(bare, sizeof(bare), 1, &f);
	ck_assert_int_eq(f.kind, DIAG_PPP_SHORT);
	diag_ppp_parse(half, sizeof(half), 1, &f);
	ck_assert_int_eq(f.kind, DIAG_PPP_SHORT);
	diag_ppp_parse(bare, 0, 1, &f);
	ck_assert_int_eq(f.kind, DIAG_PPP_SHORT);
	diag_ppp_parse(req, sizeof(req), 1, &f);
	ck_assert_int_eq(f.kind, DIAG_LCP_REQUEST);
}
END_TEST

START_TEST(test_verdict_ok)
{
	struct diag_finding f = { 0 };
	char cause[2 * DIAG_DETAIL_LEN], fix[2 * DIAG_DETAIL_LEN];

	ck_assert_int_eq(diag_verdict(&f, "vpn.example", cause,
	    sizeof(cause), fix, sizeof(fix)), PPTP_EXIT_OK);
	ck_assert_str_eq(cause, "every stage passed: vpn.example answers "
	    "as a PPTP server, takes a call, and GRE passes both ways");
	ck_assert_ptr_nonnull(strstr(fix, "nothing to fix on the way"));
}
END_TEST

START_TEST(test_verdict_first_failure)
{
	struct diag_finding f = { 0 };
	char cause[2 * DIAG_DETAIL_LEN], fix[2 * DIAG_DETAIL_LEN];

	diag_fail(&f, "tcp", PPTP_EXIT_DIAG_TCP, "fix one", "cause %d", 1);
	diag_fail(&f, "gre", PPTP_EXIT_DIAG_GRE, "fix two", "cause %d", 2);
	ck_assert_str_eq(f.failed, "tcp");
	ck_assert_int_eq(diag_verdict(&f, "h", cause, sizeof(cause), fix,
	    sizeof(fix)), PPTP_EXIT_DIAG_TCP);
	ck_assert_str_eq(cause, "cause 1");
	ck_assert_str_eq(fix, "fix one");
}
END_TEST

START_TEST(test_verdict_missing)
{
	struct diag_finding f = { 0 };
	char cause[2 * DIAG_DETAIL_LEN], fix[2 * DIAG_DETAIL_LEN];

	diag_add_missing(&f, "pppd", "install pppd");
	diag_add_missing(&f, "MPPE", "load ppp_mppe");
	ck_assert_str_eq(f.missing, "pppd, MPPE");
	ck_assert_str_eq(f.missing_fix, "install pppd; load ppp_mppe");
	/* the network passed: this machine is the cause */
	ck_assert_int_eq(diag_verdict(&f, "h", cause, sizeof(cause), fix,
	    sizeof(fix)), PPTP_EXIT_DIAG_LOCAL);
	ck_assert_int_eq(f.status, PPTP_EXIT_DIAG_LOCAL);
	ck_assert_str_eq(cause, "the way to h works (every network stage "
	    "passed), but this machine cannot run the tunnel yet: it lacks "
	    "pppd, MPPE");
	ck_assert_str_eq(fix, "install pppd; load ppp_mppe");
	/* a failure too: it comes first, the lack besides */
	diag_fail(&f, "call", PPTP_EXIT_DIAG_CALL, "see its log",
	    "refused");
	ck_assert_int_eq(diag_verdict(&f, "h", cause, sizeof(cause), fix,
	    sizeof(fix)), PPTP_EXIT_DIAG_CALL);
	ck_assert_str_eq(cause, "refused; besides, this machine lacks pppd, "
	    "MPPE");
	ck_assert_str_eq(fix, "see its log; and install pppd; load ppp_mppe");
}
END_TEST

START_TEST(test_missing_bounded)
{
	struct diag_finding f = { 0 };

	for (int i = 0; i < 100; i++)
		diag_add_missing(&f, "something rather long", "a fix");
	ck_assert_uint_lt(strlen(f.missing), sizeof(f.missing));
	ck_assert_uint_lt(strlen(f.missing_fix), sizeof(f.missing_fix));
}
END_TEST

Suite *
diagnose_suite(void)
{
	Suite *s = suite_create("diagnose");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, test_json_char);
	tcase_add_test(tc, test_json_string);
	tcase_add_test(tc, test_mtu_words);
	tcase_add_test(tc, test_lcp_confreq);
	tcase_add_test(tc, test_ppp_parse);
	tcase_add_test(tc, test_verdict_ok);
	tcase_add_test(tc, test_verdict_first_failure);
	tcase_add_test(tc, test_verdict_missing);
	tcase_add_test(tc, test_missing_bounded);
	suite_add_tcase(s, tc);
	return s;
}

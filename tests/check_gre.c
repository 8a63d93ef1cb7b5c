// SPDX-License-Identifier: GPL-2.0-or-later
/* Enhanced GRE header codec and sequence arithmetic, RFC 2637 4.1. */
#include "gre_hdr.h"

#include <string.h>

#include "check_suites.h"

/* Data packet with ack: the exact bytes of RFC 2637 4.1. */
START_TEST(test_encode_data_ack)
{
	static const uint8_t want[16] = {
		0x30, 0x81, 0x88, 0x0b, 0x05, 0xdc, 0x47, 0x11,
		0x00, 0x00, 0x00, 0x2a, 0xff, 0xff, 0xff, 0xff,
	};
	struct gre_hdr h = { .has_seq = true, .has_ack = true,
	    .payload_len = 1500, .call_id = 0x4711, .seq = 42,
	    .ack = 0xffffffff };
	uint8_t buf[GRE_HDR_MAX];

	ck_assert_uint_eq(gre_encode(&h, buf, sizeof(buf)), 16);
	ck_assert_int_eq(memcmp(buf, want, 16), 0);
	ck_assert_uint_eq(gre_encode(&h, buf, 15), 0);
}
END_TEST

/* Ack-only: S clear, the ack where the sequence number would be. */
START_TEST(test_encode_ack_only)
{
	static const uint8_t want[12] = {
		0x20, 0x81, 0x88, 0x0b, 0x00, 0x00, 0x00, 0x07,
		0x00, 0x00, 0x01, 0x00,
	};
	struct gre_hdr h = { .has_ack = true, .call_id = 7, .ack = 256 };
	uint8_t buf[GRE_HDR_MAX];
	struct gre_hdr d;

	ck_assert_uint_eq(gre_encode(&h, buf, sizeof(buf)), 12);
	ck_assert_int_eq(memcmp(buf, want, 12), 0);
	ck_assert_int_eq(gre_decode(buf, 12, &d), GRE_OK);
	ck_assert(!d.has_seq);
	ck_assert(d.has_ack);
	ck_assert_uint_eq(d.ack, 256);
	ck_assert_uint_eq(d.hdr_len, 12);
	ck_assert_uint_eq(d.payload_len, 0);
}
END_TEST

/* All four seq/ack shapes, with a payload behind them where allowed. */
START_TEST(test_round_trip)
{
	bool seq = _i & 1, ack = _i & 2;
	struct gre_hdr h = { .has_seq = seq, .has_ack = ack,
	    .payload_len = seq ? 5 : 0, .call_id = 0xfffe,
	    .seq = 0x80000000, .ack = 0x7fffffff };
	uint8_t buf[64] = { 0 };
	size_t n = gre_encode(&h, buf, sizeof(buf));
	struct gre_hdr d;

	ck_assert_uint_eq(n, 8 + 4 * seq + 4 * ack);
	memcpy(buf + n, "hello", h.payload_len);
	ck_assert_int_eq(gre_decode(buf, n + h.payload_len, &d), GRE_OK);
	ck_assert_uint_eq(d.hdr_len, n);
	ck_assert_int_eq(d.has_seq, seq);
	ck_assert_int_eq(d.has_ack, ack);
	ck_assert_uint_eq(d.payload_len, h.payload_len);
	ck_assert_uint_eq(d.call_id, 0xfffe);
	if (seq)
		ck_assert_uint_eq(d.seq, 0x80000000);
	if (ack)
		ck_assert_uint_eq(d.ack, 0x7fffffff);
}
END_TEST

/* Extra bytes after the payload are not the payload's. */
START_TEST(test_trailing_bytes_ignored)
{
	struct gre_hdr h = { .has_seq = true, .payload_len = 4, .seq = 1 };
	uint8_t buf[64] = { 0 };
	size_t n = gre_encode(&h, buf, sizeof(buf));
	struct gre_hdr d;

	ck_assert_int_eq(gre_decode(buf, n + 20, &d), GRE_OK);
	ck_assert_uint_eq(d.payload_len, 4);
}
END_TEST

/* A valid 16-byte data+ack header with 4 payload bytes, to spoil. */
static size_t
good(uint8_t *buf)
{
	struct gre_hdr h = { .has_seq = true, .has_ack = true,
	    .payload_len = 4, .call_id = 1, .seq = 1, .ack = 1 };
	size_t n = gre_encode(&h, buf, GRE_HDR_MAX);

	memcpy(buf + n, "abcd", 4);
	return n + 4;
}

static void
spoil(unsigned off, uint8_t xor_or_set, bool set, enum gre_err want)
{
	uint8_t buf[32];
	size_t n = good(buf);
	struct gre_hdr d;

	if (set)
		buf[off] = xor_or_set;
	else
		buf[off] ^= xor_or_set;
	ck_assert_int_eq(gre_decode(buf, n, &d), want);
}

START_TEST(test_malformed_headers)
{
	spoil(1, 0x01, false, GRE_EVERSION);	/* version 0 */
	spoil(1, 0x03, false, GRE_EVERSION);	/* version 2 */
	spoil(1, 0x06, false, GRE_EVERSION);	/* version 7 */
	spoil(2, 0x08, true, GRE_EPROTO);	/* 0x080b */
	spoil(3, 0x00, true, GRE_EPROTO);	/* 0x8800 */
	spoil(0, 0x20, false, GRE_ENOKEY);
	spoil(0, 0x80, false, GRE_ECSUM);
	spoil(0, 0x40, false, GRE_EROUTE);
	spoil(0, 0x08, false, GRE_ESTRICT);
	spoil(0, 0x01, false, GRE_ERECUR);
	spoil(0, 0x04, false, GRE_ERECUR);
	spoil(1, 0x08, false, GRE_EFLAGS);
	spoil(1, 0x40, false, GRE_EFLAGS);
	spoil(4, 0x01, false, GRE_ETRUNC);	/* payload length 260 */
	spoil(0, 0x10, false, GRE_ENOSEQ);	/* payload but no S */
}
END_TEST

START_TEST(test_short_datagrams)
{
	uint8_t buf[32];
	struct gre_hdr d;

	good(buf);
	ck_assert_int_eq(gre_decode(buf, (size_t)_i, &d),
	    _i < 8 ? GRE_ESHORT : _i < 16 ? GRE_EHDRLEN : GRE_ETRUNC);
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_eq(gre_strerror(GRE_ENOKEY), "K bit missing");
	ck_assert_str_eq(gre_strerror(GRE_NERRS), "unknown error");
	for (int e = 0; e < GRE_NERRS; e++)
		ck_assert_ptr_nonnull(gre_strerror((enum gre_err)e));
}
END_TEST

START_TEST(test_seq_wrap)
{
	ck_assert(seq_after(0, 0xffffffff));
	ck_assert(!seq_after(0xffffffff, 0));
	ck_assert(seq_before(0xffffffff, 0));
	ck_assert(seq_after(5, 0xfffffff0));
	ck_assert_int_eq(seq_diff(5, 0xfffffff0), 21);
	ck_assert_int_eq(seq_diff(0xfffffff0, 5), -21);
	ck_assert(!seq_after(7, 7));
	ck_assert(!seq_before(7, 7));
	ck_assert(seq_after(0x7fffffff, 0));
	ck_assert(seq_before(0x80000001, 0));
	for (uint32_t base = 0xfffffff0; base != 0x10; base++) {
		ck_assert(seq_after(base + 1, base));
		ck_assert(seq_before(base, base + 1));
		ck_assert_int_eq(seq_diff(base + 100, base), 100);
	}
}
END_TEST

START_TEST(test_ip4_strip)
{
	uint8_t pkt[64] = { 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 47, 0, 0,
	    192, 0, 2, 1, 192, 0, 2, 2 };
	uint32_t src;
	size_t plen;

	ck_assert_uint_eq(gre_ip4_strip(pkt, 40, &src, &plen), 20);
	ck_assert_int_eq(memcmp(&src, "\xc0\x00\x02\x01", 4), 0);
	ck_assert_uint_eq(plen, 20);
	/* total length beyond what arrived: only what arrived counts */
	ck_assert_uint_eq(gre_ip4_strip(pkt, 30, &src, &plen), 20);
	ck_assert_uint_eq(plen, 10);
	/* options: IHL 6 */
	pkt[0] = 0x46;
	ck_assert_uint_eq(gre_ip4_strip(pkt, 40, &src, &plen), 24);
	ck_assert_uint_eq(plen, 16);
	pkt[0] = 0x44;
	ck_assert_uint_eq(gre_ip4_strip(pkt, 40, &src, &plen), 0);
	pkt[0] = 0x65;
	ck_assert_uint_eq(gre_ip4_strip(pkt, 40, &src, &plen), 0);
	pkt[0] = 0x4f;
	ck_assert_uint_eq(gre_ip4_strip(pkt, 40, &src, &plen), 0);
	pkt[0] = 0x45;
	ck_assert_uint_eq(gre_ip4_strip(pkt, 19, &src, &plen), 0);
}
END_TEST

Suite *
gre_suite(void)
{
	Suite *s = suite_create("gre");
	TCase *tc = tcase_create("header");

	tcase_add_test(tc, test_encode_data_ack);
	tcase_add_test(tc, test_encode_ack_only);
	tcase_add_loop_test(tc, test_round_trip, 0, 4);
	tcase_add_test(tc, test_trailing_bytes_ignored);
	tcase_add_test(tc, test_malformed_headers);
	tcase_add_loop_test(tc, test_short_datagrams, 0, 20);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_seq_wrap);
	tcase_add_test(tc, test_ip4_strip);
	suite_add_tcase(s, tc);
	return s;
}

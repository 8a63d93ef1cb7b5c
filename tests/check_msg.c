// SPDX-License-Identifier: GPL-2.0-or-later
/* Control message codec and stream reader, RFC 2637 section 2. */
#include "pptp_msg.h"

#include <stdlib.h>
#include <string.h>

#include "check_suites.h"

/* A sample of every type with every field set to a distinct value. */
static void
sample(unsigned type, struct msg *m)
{
	memset(m, 0, sizeof(*m));
	m->hdr.length = (uint16_t)msg_type_len(type);
	m->hdr.pptp_type = MSG_PPTP_CONTROL;
	m->hdr.magic = MSG_MAGIC;
	m->hdr.ctrl_type = (uint16_t)type;

	switch (type) {
	case MSG_SCCRQ:
		m->sccrq = (struct msg_sccrq){ .version = 0x0100,
		    .framing_caps = 3, .bearer_caps = 3, .max_channels = 0,
		    .firmware_rev = 0x1234 };
		strcpy(m->sccrq.hostname, "client.example");
		strcpy(m->sccrq.vendor, "pptp test");
		break;
	case MSG_SCCRP:
		m->sccrp = (struct msg_sccrp){ .version = 0x0100, .result = 1,
		    .error = 6, .framing_caps = 0x80000001,
		    .bearer_caps = 0x40000002, .max_channels = 0xfffe,
		    .firmware_rev = 0xbeef };
		strcpy(m->sccrp.hostname, "server");
		strcpy(m->sccrp.vendor, "Microsoft");
		break;
	case MSG_STOPCCRQ:
		m->stopccrq.reason = 3;
		break;
	case MSG_STOPCCRP:
		m->stopccrp = (struct msg_stopccrp){ .result = 2, .error = 4 };
		break;
	case MSG_ECHORQ:
		m->echorq.id = 0xdeadbeef;
		break;
	case MSG_ECHORP:
		m->echorp = (struct msg_echorp){ .id = 0x01020304,
		    .result = 1, .error = 2 };
		break;
	case MSG_OCRQ:
		m->ocrq = (struct msg_ocrq){ .call_id = 0x4711,
		    .call_serial = 0x0815, .min_bps = 300,
		    .max_bps = 100000000, .bearer_type = 3,
		    .framing_type = 1, .recv_window = 64, .proc_delay = 5,
		    .phone_len = 7 };
		strcpy(m->ocrq.phone, "5551234");
		strcpy(m->ocrq.subaddr, "sub");
		break;
	case MSG_OCRP:
		m->ocrp = (struct msg_ocrp){ .call_id = 0xabcd,
		    .peer_call_id = 0x4711, .result = 1, .error = 0,
		    .cause = 0x1616, .connect_speed = 64000,
		    .recv_window = 0, .proc_delay = 7,
		    .phys_channel = 0xcafebabe };
		break;
	case MSG_ICRQ:
		m->icrq = (struct msg_icrq){ .call_id = 9, .call_serial = 10,
		    .bearer_type = 2, .phys_channel = 11, .dialed_len = 3,
		    .dialing_len = 4 };
		strcpy(m->icrq.dialed, "123");
		strcpy(m->icrq.dialing, "4567");
		strcpy(m->icrq.subaddr, "x");
		break;
	case MSG_ICRP:
		m->icrp = (struct msg_icrp){ .call_id = 1, .peer_call_id = 2,
		    .result = 3, .error = 4, .recv_window = 5,
		    .transmit_delay = 6 };
		break;
	case MSG_ICCN:
		m->iccn = (struct msg_iccn){ .peer_call_id = 7,
		    .connect_speed = 8, .recv_window = 9,
		    .transmit_delay = 10, .framing_type = 2 };
		break;
	case MSG_CCRQ:
		m->ccrq.call_id = 0x4711;
		break;
	case MSG_CDN:
		m->cdn = (struct msg_cdn){ .call_id = 0xabcd, .result = 3,
		    .error = 0, .cause = 16 };
		strcpy(m->cdn.call_stats, "tx 1 rx 2");
		break;
	case MSG_WEN:
		m->wen = (struct msg_wen){ .peer_call_id = 0x4711,
		    .crc_errors = 1, .framing_errors = 2, .hw_overruns = 3,
		    .buf_overruns = 4, .timeouts = 5,
		    .alignment_errors = 6 };
		break;
	case MSG_SLI:
		m->sli = (struct msg_sli){ .peer_call_id = 0xabcd,
		    .send_accm = 0xffffffff, .recv_accm = 0x000a0000 };
		break;
	}
}

/*
 * Each type: encode, decode, encode again: the same bytes.  Since the
 * encoder writes every field, a field the decoder lost would show.
 */
START_TEST(test_round_trip)
{
	unsigned type = (unsigned)_i;
	uint8_t buf[MSG_MAX_LEN + 16], again[MSG_MAX_LEN];
	struct msg in, out;
	size_t n;

	sample(type, &in);
	n = msg_encode(&in, buf, sizeof(buf));
	ck_assert_uint_eq(n, msg_type_len(type));
	ck_assert_int_eq(msg_decode(buf, n, &out), MSG_OK);
	ck_assert_uint_eq(out.hdr.length, n);
	ck_assert_uint_eq(out.hdr.ctrl_type, type);
	ck_assert_uint_eq(msg_encode(&out, again, sizeof(again)), n);
	ck_assert_int_eq(memcmp(buf, again, n), 0);
}
END_TEST

/* The header and a few fields land at their RFC offsets, big-endian. */
START_TEST(test_wire_bytes_sccrq)
{
	static const uint8_t hdr[] = {
		0x00, 0x9c, 0x00, 0x01, 0x1a, 0x2b, 0x3c, 0x4d,
		0x00, 0x01, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00,		/* version 1.0, reserved1 */
		0x00, 0x00, 0x00, 0x03,		/* framing caps */
		0x00, 0x00, 0x00, 0x03,		/* bearer caps */
		0x00, 0x00, 0x12, 0x34,		/* max channels, firmware */
		'c', 'l', 'i',
	};
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;

	sample(MSG_SCCRQ, &m);
	ck_assert_uint_eq(msg_encode(&m, buf, sizeof(buf)), 156);
	ck_assert_int_eq(memcmp(buf, hdr, sizeof(hdr)), 0);
	/* NUL padding after the host name, vendor at offset 92 */
	ck_assert_uint_eq(buf[28 + strlen("client.example")], 0);
	ck_assert_int_eq(memcmp(buf + 92, "pptp test", 9), 0);
	ck_assert_uint_eq(buf[155], 0);
}
END_TEST

START_TEST(test_wire_bytes_ocrp)
{
	static const uint8_t want[32] = {
		0x00, 0x20, 0x00, 0x01, 0x1a, 0x2b, 0x3c, 0x4d,
		0x00, 0x08, 0x00, 0x00,
		0xab, 0xcd, 0x47, 0x11, 0x01, 0x00, 0x16, 0x16,
		0x00, 0x00, 0xfa, 0x00, 0x00, 0x00, 0x00, 0x07,
		0xca, 0xfe, 0xba, 0xbe,
	};
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;

	sample(MSG_OCRP, &m);
	ck_assert_uint_eq(msg_encode(&m, buf, sizeof(buf)), 32);
	ck_assert_int_eq(memcmp(buf, want, 32), 0);
}
END_TEST

/* A buffer holding a valid message of type t, header length field len. */
static size_t
valid_bytes(unsigned type, uint8_t *buf, size_t cap)
{
	struct msg m;

	sample(type, &m);
	return msg_encode(&m, buf, cap);
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Every length field but the type's own is rejected, by its reason. */
START_TEST(test_wrong_length_field)
{
	uint8_t buf[512];
	struct msg m;

	for (unsigned type = 1; type < MSG_NTYPES; type++) {
		size_t good = valid_bytes(type, buf, sizeof(buf));

		for (unsigned l = 0; l < 300; l++) {
			enum msg_err want;

			if (l == good)
				continue;
			put16(buf, l);
			if (l < MSG_HDR_LEN || l > MSG_MAX_LEN)
				want = MSG_ELEN;
			else
				want = MSG_EBADLEN;
			ck_assert_int_eq(msg_decode(buf, sizeof(buf), &m),
			    want);
		}
	}
}
END_TEST

/* Fewer bytes than the length field, or more: rejected. */
START_TEST(test_wrong_buffer_length)
{
	unsigned type = (unsigned)_i;
	uint8_t buf[MSG_MAX_LEN + 8];
	size_t good = valid_bytes(type, buf, sizeof(buf));
	struct msg m;

	for (size_t n = 0; n < sizeof(buf); n++) {
		enum msg_err e = msg_decode(buf, n, &m);

		if (n < MSG_HDR_LEN)
			ck_assert_int_eq(e, MSG_ESHORT);
		else if (n < good)
			ck_assert_int_eq(e, MSG_ETRUNC);
		else if (n > good)
			ck_assert_int_eq(e, MSG_ETRAIL);
		else
			ck_assert_int_eq(e, MSG_OK);
	}
}
END_TEST

START_TEST(test_bad_header_fields)
{
	uint8_t buf[MSG_MAX_LEN];
	size_t n = valid_bytes(MSG_ECHORQ, buf, sizeof(buf));
	struct msg m;

	buf[7] ^= 1;			/* cookie */
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_ECOOKIE);
	ck_assert_uint_eq(m.hdr.magic, 0x1a2b3c4c);
	buf[7] ^= 1;

	put16(buf + 2, MSG_PPTP_MGMT);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_EMGMT);
	put16(buf + 2, 0);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_EPPTPTYPE);
	put16(buf + 2, 0xffff);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_EPPTPTYPE);
	put16(buf + 2, MSG_PPTP_CONTROL);

	put16(buf + 8, 0);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_ECTRLTYPE);
	put16(buf + 8, MSG_NTYPES);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_ECTRLTYPE);
	ck_assert_uint_eq(m.hdr.ctrl_type, MSG_NTYPES);
	put16(buf + 8, 0xffff);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_ECTRLTYPE);
	/* a known type whose size is not this length */
	put16(buf + 8, MSG_ECHORP);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_EBADLEN);
}
END_TEST

/* Cisco PIX sends reserved0 != 0: accepted, and visible to the caller. */
START_TEST(test_reserved0_flagged)
{
	uint8_t buf[MSG_MAX_LEN];
	size_t n = valid_bytes(MSG_SCCRP, buf, sizeof(buf));
	struct msg m;

	put16(buf + 10, 0x1234);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_OK);
	ck_assert_uint_eq(m.hdr.reserved0, 0x1234);
	ck_assert_uint_eq(m.sccrp.result, 1);
}
END_TEST

/* Text fields filled to the brim come out bounded and NUL-terminated. */
START_TEST(test_text_fields_unterminated)
{
	uint8_t buf[MSG_MAX_LEN];
	size_t n;
	struct msg m;

	n = valid_bytes(MSG_SCCRP, buf, sizeof(buf));
	memset(buf + 28, 'h', 64);
	memset(buf + 92, 0xff, 64);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_OK);
	ck_assert_uint_eq(strlen(m.sccrp.hostname), 64);
	ck_assert_uint_eq(strlen(m.sccrp.vendor), 64);

	n = valid_bytes(MSG_CDN, buf, sizeof(buf));
	memset(buf + 20, 'x', 128);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_OK);
	ck_assert_uint_eq(strlen(m.cdn.call_stats), 128);

	n = valid_bytes(MSG_ICRQ, buf, sizeof(buf));
	memset(buf + 28, '1', 64 * 3);
	ck_assert_int_eq(msg_decode(buf, n, &m), MSG_OK);
	ck_assert_uint_eq(strlen(m.icrq.dialed), 64);
	ck_assert_uint_eq(strlen(m.icrq.dialing), 64);
	ck_assert_uint_eq(strlen(m.icrq.subaddr), 64);
}
END_TEST

/* A string longer than its field is cut to the field on the wire. */
START_TEST(test_text_field_encode_bounded)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m, out;

	sample(MSG_OCRQ, &m);
	memset(m.ocrq.phone, '9', MSG_PHONE_LEN);
	m.ocrq.phone[MSG_PHONE_LEN] = '\0';
	ck_assert_uint_eq(msg_encode(&m, buf, sizeof(buf)), 168);
	ck_assert_int_eq(msg_decode(buf, 168, &out), MSG_OK);
	ck_assert_str_eq(out.ocrq.phone, m.ocrq.phone);
	ck_assert_str_eq(out.ocrq.subaddr, "sub");
}
END_TEST

START_TEST(test_encode_no_room)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;

	sample(MSG_OCRQ, &m);
	ck_assert_uint_eq(msg_encode(&m, buf, 167), 0);
	m.hdr.ctrl_type = 0;
	ck_assert_uint_eq(msg_encode(&m, buf, sizeof(buf)), 0);
	m.hdr.ctrl_type = MSG_NTYPES;
	ck_assert_uint_eq(msg_encode(&m, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(test_words)
{
	ck_assert_str_eq(msg_result_str(MSG_OCRP, 4), "busy");
	ck_assert_str_eq(msg_result_str(MSG_OCRP, 3), "no carrier");
	ck_assert_str_eq(msg_result_str(MSG_OCRP, 7), "do not accept");
	ck_assert_str_eq(msg_result_str(MSG_OCRP, 8), "unknown result");
	ck_assert_str_eq(msg_result_str(MSG_OCRP, 0), "unknown result");
	ck_assert_str_eq(msg_result_str(MSG_SCCRP, 4), "not authorized");
	ck_assert_str_eq(msg_result_str(MSG_SCCRP, 5),
	    "protocol version not supported");
	ck_assert_str_eq(msg_result_str(MSG_STOPCCRQ, 3), "local shutdown");
	ck_assert_str_eq(msg_result_str(MSG_STOPCCRP, 2), "general error");
	ck_assert_str_eq(msg_result_str(MSG_ECHORP, 1), "ok");
	ck_assert_str_eq(msg_result_str(MSG_ICRP, 3), "do not accept");
	ck_assert_str_eq(msg_result_str(MSG_CDN, 1), "lost carrier");
	ck_assert_str_eq(msg_result_str(MSG_CDN, 3),
	    "administrative shutdown");
	ck_assert_str_eq(msg_result_str(MSG_CDN, 0), "no result given");
	ck_assert_str_eq(msg_result_str(MSG_ECHORQ, 1), "unknown result");
	ck_assert_str_eq(msg_result_str(9999, 1), "unknown result");
	ck_assert_str_eq(msg_error_str(0), "no error");
	ck_assert_str_eq(msg_error_str(5), "bad call ID");
	ck_assert_str_eq(msg_error_str(6), "PAC error");
	ck_assert_str_eq(msg_error_str(7), "unknown error");
	ck_assert_str_eq(msg_strerror(MSG_ECOOKIE), "bad magic cookie");
	ck_assert_str_eq(msg_strerror(MSG_NERRS), "unknown error");
	ck_assert_str_eq(msg_type_name(MSG_OCRQ), "OCRQ");
	ck_assert_str_eq(msg_type_name(0), "unknown");
	ck_assert_str_eq(msg_type_name(MSG_NTYPES), "unknown");
	for (int e = 0; e < MSG_NERRS; e++)
		ck_assert_ptr_nonnull(msg_strerror((enum msg_err)e));
}
END_TEST

/* A stream of every type, twice, in one buffer. */
static size_t
stream_of_all(uint8_t *buf, size_t cap, unsigned *types, size_t *ntypes)
{
	size_t off = 0;

	*ntypes = 0;
	for (int round = 0; round < 2; round++) {
		for (unsigned t = 1; t < MSG_NTYPES; t++) {
			size_t n = valid_bytes(t, buf + off, cap - off);

			ck_assert_uint_gt(n, 0);
			off += n;
			types[(*ntypes)++] = t;
		}
	}
	return off;
}

/* Feed the stream in chunks of `chunk` bytes (0: random sizes). */
static void
feed_stream(size_t chunk, unsigned seed)
{
	uint8_t stream[4096];
	unsigned types[64];
	size_t ntypes, len, got = 0, pos = 0;
	struct msg_reader r;

	len = stream_of_all(stream, sizeof(stream), types, &ntypes);
	msg_reader_init(&r);
	srand(seed);
	while (pos < len) {
		size_t n = chunk ? chunk : 1 + (size_t)rand() % 300;
		size_t off = 0;

		if (n > len - pos)
			n = len - pos;
		while (off < n) {
			size_t used;
			enum msg_err e;
			struct msg m;

			e = msg_reader_next(&r, stream + pos + off, n - off,
			    &used);
			off += used;
			if (e == MSG_EAGAIN) {
				ck_assert_uint_eq(off, n);
				break;
			}
			ck_assert_int_eq(e, MSG_OK);
			ck_assert_int_eq(msg_decode(r.buf, r.hdr.length, &m),
			    MSG_OK);
			ck_assert_uint_lt(got, ntypes);
			ck_assert_uint_eq(m.hdr.ctrl_type, types[got]);
			got++;
		}
		pos += n;
	}
	ck_assert_uint_eq(got, ntypes);
}

START_TEST(test_reader_one_byte_at_a_time)
{
	feed_stream(1, 0);
}
END_TEST

START_TEST(test_reader_all_at_once)
{
	feed_stream(4096, 0);
}
END_TEST

START_TEST(test_reader_random_chunks)
{
	feed_stream(0, (unsigned)_i);
}
END_TEST

/* A bad header is reported as soon as the 12 header bytes are in. */
static void
reader_rejects(unsigned off, unsigned val, enum msg_err want)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg_reader r;
	size_t used;

	valid_bytes(MSG_ECHORQ, buf, sizeof(buf));
	put16(buf + off, val);
	msg_reader_init(&r);
	ck_assert_int_eq(msg_reader_next(&r, buf, 11, &used), MSG_EAGAIN);
	ck_assert_int_eq(msg_reader_next(&r, buf + 11, 1, &used), want);
	/* sticky: the stream is lost for good */
	ck_assert_int_eq(msg_reader_next(&r, buf, 16, &used), want);
	ck_assert_uint_eq(used, 0);
}

START_TEST(test_reader_lost_stream)
{
	reader_rejects(4, 0xdead, MSG_ECOOKIE);
	reader_rejects(0, 0, MSG_ELEN);
	reader_rejects(0, 11, MSG_ELEN);
	reader_rejects(0, 0xffff, MSG_ELEN);
	reader_rejects(0, 20, MSG_EBADLEN);
	reader_rejects(2, 2, MSG_EMGMT);
	reader_rejects(2, 7, MSG_EPPTPTYPE);
	reader_rejects(8, 99, MSG_ECTRLTYPE);
}
END_TEST

/* A good message followed by garbage: the message, then the error. */
START_TEST(test_reader_good_then_garbage)
{
	uint8_t buf[64];
	size_t n = valid_bytes(MSG_ECHORQ, buf, sizeof(buf)), used;
	struct msg_reader r;

	memset(buf + n, 0x55, 12);
	msg_reader_init(&r);
	ck_assert_int_eq(msg_reader_next(&r, buf, n + 12, &used), MSG_OK);
	ck_assert_uint_eq(used, n);
	ck_assert_int_eq(msg_reader_next(&r, buf + n, 12, &used),
	    MSG_ECOOKIE);
}
END_TEST

Suite *
msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("codec");
	TCase *rd = tcase_create("reader");

	tcase_add_loop_test(tc, test_round_trip, 1, MSG_NTYPES);
	tcase_add_test(tc, test_wire_bytes_sccrq);
	tcase_add_test(tc, test_wire_bytes_ocrp);
	tcase_add_test(tc, test_wrong_length_field);
	tcase_add_loop_test(tc, test_wrong_buffer_length, 1, MSG_NTYPES);
	tcase_add_test(tc, test_bad_header_fields);
	tcase_add_test(tc, test_reserved0_flagged);
	tcase_add_test(tc, test_text_fields_unterminated);
	tcase_add_test(tc, test_text_field_encode_bounded);
	tcase_add_test(tc, test_encode_no_room);
	tcase_add_test(tc, test_words);
	suite_add_tcase(s, tc);

	tcase_add_test(rd, test_reader_one_byte_at_a_time);
	tcase_add_test(rd, test_reader_all_at_once);
	tcase_add_loop_test(rd, test_reader_random_chunks, 0, 20);
	tcase_add_test(rd, test_reader_lost_stream);
	tcase_add_test(rd, test_reader_good_then_garbage);
	suite_add_tcase(s, rd);
	return s;
}

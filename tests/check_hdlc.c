// SPDX-License-Identifier: GPL-2.0-or-later
/* HDLC-like framing and FCS-16, RFC 1662. */
#include "hdlc.h"

#include <stdlib.h>
#include <string.h>

#include "check_suites.h"

/* Collects decoded frames back to back, with their lengths. */
struct sink {
	uint8_t	*data;
	size_t	 len, cap;
	size_t	*lens;
	size_t	 n, ncap;
};

static void
sink_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct sink *s = arg;

	ck_assert_uint_le(s->len + len, s->cap);
	ck_assert_uint_lt(s->n, s->ncap);
	memcpy(s->data + s->len, frame, len);
	s->len += len;
	s->lens[s->n++] = len;
}

/* The bit-at-a-time definition, to check the tables against. */
static uint16_t
fcs_slow(uint16_t fcs, const uint8_t *p, size_t len)
{
	while (len-- > 0) {
		fcs ^= *p++;
		for (int i = 0; i < 8; i++)
			fcs = (fcs & 1) ? (uint16_t)((fcs >> 1) ^ 0x8408) :
			    (uint16_t)(fcs >> 1);
	}
	return fcs;
}

START_TEST(test_fcs_vectors)
{
	const uint8_t *check = (const uint8_t *)"123456789";
	uint8_t frame[11];
	uint16_t fcs;

	/* CRC-16/X-25 check value: the FCS of "123456789" as sent. */
	fcs = (uint16_t)~hdlc_fcs16(HDLC_INITFCS, check, 9);
	ck_assert_uint_eq(fcs, 0x906e);
	/* With its FCS appended LSB first, a frame leaves the residue. */
	memcpy(frame, check, 9);
	frame[9] = (uint8_t)fcs;
	frame[10] = (uint8_t)(fcs >> 8);
	ck_assert_uint_eq(hdlc_fcs16(HDLC_INITFCS, frame, 11), HDLC_GOODFCS);
	ck_assert_uint_eq(hdlc_fcs16(HDLC_INITFCS, frame, 0), HDLC_INITFCS);
}
END_TEST

/* Slicing by sixteen equals the definition, at every length and split. */
START_TEST(test_fcs_tables)
{
	uint8_t buf[300];

	srand(1);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t len = 0; len < sizeof(buf); len++) {
		uint16_t want = fcs_slow(HDLC_INITFCS, buf, len);
		size_t cut = len / 3;

		ck_assert_uint_eq(hdlc_fcs16(HDLC_INITFCS, buf, len), want);
		ck_assert_uint_eq(hdlc_fcs16(hdlc_fcs16(HDLC_INITFCS, buf,
		    cut), buf + cut, len - cut), want);
	}
}
END_TEST

/* An LCP frame with the default ACCM: control characters escaped. */
START_TEST(test_encode_escapes)
{
	static const uint8_t frame[] = { 0xff, 0x03, 0xc0, 0x21, 0x01, 0x7e,
	    0x7d, 0x20 };
	uint8_t out[64];
	struct hdlc_enc e;
	size_t n;

	hdlc_enc_init(&e, HDLC_ACCM_ALL);
	n = hdlc_encode(&e, frame, sizeof(frame), out, sizeof(out));
	ck_assert_uint_ge(n, 16);
	ck_assert_uint_eq(out[0], 0x7e);
	ck_assert_uint_eq(out[n - 1], 0x7e);
	static const uint8_t want[] = { 0x7e, 0xff, 0x7d, 0x23, 0xc0, 0x21,
	    0x7d, 0x21, 0x7d, 0x5e, 0x7d, 0x5d, 0x20 };
	ck_assert_int_eq(memcmp(out, want, sizeof(want)), 0);
	/* no flag inside the frame */
	ck_assert_ptr_null(memchr(out + 1, 0x7e, n - 2));

	/* ACCM 0: only flag and escape are escaped */
	hdlc_enc_init(&e, 0);
	n = hdlc_encode(&e, frame, sizeof(frame), out, sizeof(out));
	ck_assert_uint_eq(out[2], 0x03);
	ck_assert_uint_eq(out[5], 0x01);
	ck_assert_uint_eq(out[6], 0x7d);
	ck_assert_uint_eq(out[7], 0x5e);
}
END_TEST

START_TEST(test_encode_no_room)
{
	uint8_t frame[100], out[512];
	struct hdlc_enc e;
	size_t need;

	memset(frame, 0x7e, sizeof(frame));
	hdlc_enc_init(&e, HDLC_ACCM_ALL);
	need = hdlc_encode(&e, frame, sizeof(frame), out, sizeof(out));
	ck_assert_uint_gt(need, 200);
	ck_assert_uint_le(need, hdlc_enc_bound(sizeof(frame)));
	ck_assert_uint_eq(hdlc_encode(&e, frame, sizeof(frame), out,
	    need - 1), 0);
	ck_assert_uint_eq(hdlc_encode(&e, frame, sizeof(frame), out, need),
	    need);
}
END_TEST

/*
 * A frame with nothing to escape takes exactly its length, the FCS and
 * two flags: every smaller room gives 0 and leaves the output untouched
 * (the gateway drops a payload that way when pppd's side is full).
 */
START_TEST(test_encode_room_exact)
{
	uint8_t frame[64], out[256];
	size_t cap = (size_t)_i;
	struct hdlc_enc e;

	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(0x41 + i % 26);
	hdlc_enc_init(&e, HDLC_ACCM_ALL);
	memset(out, 0xaa, sizeof(out));
	if (cap < sizeof(frame) + 4) {
		ck_assert_uint_eq(hdlc_encode(&e, frame, sizeof(frame), out,
		    cap), 0);
		for (size_t i = 0; i < sizeof(out); i++)
			ck_assert_uint_eq(out[i], 0xaa);
		return;
	}
	ck_assert_uint_eq(hdlc_encode(&e, frame, sizeof(frame), out, cap),
	    sizeof(frame) + 4);
	ck_assert_uint_eq(out[cap], 0xaa);
}
END_TEST

/* Random bytes, many of them the ones framing cares about. */
static uint8_t
nasty_byte(void)
{
	switch (rand() % 5) {
	case 0:
		return 0x7e;
	case 1:
		return 0x7d;
	case 2:
		return (uint8_t)(rand() % 0x20);
	default:
		return (uint8_t)rand();
	}
}

/*
 * The property: thousands of random frames, 0 to 1600 bytes, encoded
 * into one stream with a random ACCM, fed to the decoder in random
 * chunks, come out identical and in order; frames under 2 bytes (under 4
 * with the FCS) are counted as too short and dropped, as RFC 1662 says.
 */
START_TEST(test_property_random_chunks)
{
	enum { NFRAMES = 3000, MAXF = 1600 };
	size_t cap = (size_t)NFRAMES * (hdlc_enc_bound(MAXF) + 1);
	uint8_t *stream = malloc(cap), *frames = malloc(NFRAMES * MAXF);
	size_t *lens = malloc(NFRAMES * sizeof(size_t));
	size_t slen = 0, flen = 0, nshort = 0, nlong = 0;
	uint8_t *dbuf = malloc(MAXF + 2);
	struct sink s = { .data = malloc(NFRAMES * MAXF),
	    .cap = NFRAMES * MAXF, .lens = malloc(NFRAMES * sizeof(size_t)),
	    .ncap = NFRAMES };
	struct hdlc_enc e;
	struct hdlc_dec d;

	srand((unsigned)_i);
	hdlc_enc_init(&e, _i % 2 ? HDLC_ACCM_ALL : (uint32_t)rand());
	for (size_t f = 0; f < NFRAMES; f++) {
		size_t len = (size_t)rand() % (MAXF + 1);
		uint8_t *p = frames + flen;
		size_t n;

		if (f % 50 == 0)
			len = (size_t)rand() % 3;	/* some tiny ones */
		for (size_t i = 0; i < len; i++)
			p[i] = nasty_byte();
		ck_assert_uint_le(slen + hdlc_enc_bound(len) + 1, cap);
		n = hdlc_encode(&e, p, len, stream + slen, cap - slen);
		ck_assert_uint_gt(n, 0);
		slen += n;
		/* sometimes extra flags between frames */
		if (rand() % 7 == 0)
			stream[slen++] = 0x7e;
		if (len < 2) {
			nshort++;
			continue;
		}
		lens[nlong++] = len;
		flen += len;
	}

	hdlc_dec_init(&d, dbuf, MAXF + 2, false);
	for (size_t off = 0; off < slen; ) {
		size_t n = 1 + (size_t)rand() % (rand() % 4 ? 64 : 4000);

		if (n > slen - off)
			n = slen - off;
		hdlc_dec_feed(&d, stream + off, n, sink_frame, &s);
		off += n;
	}
	ck_assert_uint_eq(s.n, nlong);
	ck_assert_uint_eq(d.st.frames, nlong);
	ck_assert_uint_eq(d.st.too_short, nshort);
	ck_assert_uint_eq(d.st.bad_fcs, 0);
	ck_assert_uint_eq(d.st.too_long, 0);
	ck_assert_uint_eq(d.st.garbage, 0);
	ck_assert_uint_eq(s.len, flen);
	for (size_t i = 0; i < nlong; i++)
		ck_assert_uint_eq(s.lens[i], lens[i]);
	ck_assert_int_eq(memcmp(s.data, frames, flen), 0);
	free(stream);
	free(frames);
	free(lens);
	free(dbuf);
	free(s.data);
	free(s.lens);
}
END_TEST

/* A small decoder with a sink, for the hostile cases. */
struct rig {
	uint8_t		dbuf[64];
	uint8_t		out[4096];
	size_t		lens[64];
	struct sink	s;
	struct hdlc_dec	d;
	struct hdlc_enc	e;
};

static void
rig_init(struct rig *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	r->s = (struct sink){ .data = r->out, .cap = sizeof(r->out),
	    .lens = r->lens, .ncap = 64 };
	hdlc_dec_init(&r->d, r->dbuf, cap, false);
	hdlc_enc_init(&r->e, HDLC_ACCM_ALL);
}

static size_t
rig_enc(struct rig *r, const char *frame, uint8_t *out)
{
	return hdlc_encode(&r->e, (const uint8_t *)frame, strlen(frame), out,
	    128);
}

static void
rig_feed(struct rig *r, const uint8_t *p, size_t n)
{
	hdlc_dec_feed(&r->d, p, n, sink_frame, &r->s);
}

START_TEST(test_garbage_before_first_flag)
{
	struct rig r;
	uint8_t enc[128];
	size_t n;

	rig_init(&r, 64);
	rig_feed(&r, (const uint8_t *)"pppd debug text\n", 16);
	n = rig_enc(&r, "\xff\x03hello", enc);
	rig_feed(&r, enc, n);
	ck_assert_uint_eq(r.d.st.garbage, 16);
	ck_assert_uint_eq(r.s.n, 1);
	ck_assert_int_eq(memcmp(r.out, "\xff\x03hello", 7), 0);
}
END_TEST

START_TEST(test_bad_fcs_counted)
{
	struct rig r;
	uint8_t enc[128];
	size_t n;

	rig_init(&r, 64);
	n = rig_enc(&r, "\xff\x03good frame", enc);
	enc[5] ^= 0x01;
	rig_feed(&r, enc, n);
	ck_assert_uint_eq(r.d.st.bad_fcs, 1);
	ck_assert_uint_eq(r.s.n, 0);
	enc[5] ^= 0x01;
	rig_feed(&r, enc, n);
	ck_assert_uint_eq(r.s.n, 1);
}
END_TEST

START_TEST(test_too_short_and_flag_runs)
{
	static const uint8_t in[] = { 0x7e, 0x7e, 0x7e, 0x41, 0x7e, 0x41,
	    0x42, 0x43, 0x7e, 0x7e };
	struct rig r;

	rig_init(&r, 64);
	rig_feed(&r, in, sizeof(in));
	ck_assert_uint_eq(r.d.st.too_short, 2);
	ck_assert_uint_eq(r.d.st.bad_fcs, 0);
	ck_assert_uint_eq(r.s.n, 0);
}
END_TEST

/* Too long for the buffer: counted, and the next frame is fine. */
START_TEST(test_too_long_then_good)
{
	struct rig r;
	uint8_t enc[256], big[100];
	size_t n;

	rig_init(&r, 16);
	memset(big, 'a', sizeof(big));
	n = hdlc_encode(&r.e, big, sizeof(big), enc, sizeof(enc));
	rig_feed(&r, enc, n);
	ck_assert_uint_eq(r.d.st.too_long, 1);
	/* also when the excess is escaped bytes */
	memset(big, 0x01, sizeof(big));
	n = hdlc_encode(&r.e, big, 20, enc, sizeof(enc));
	rig_feed(&r, enc, n);
	ck_assert_uint_eq(r.d.st.too_long, 2);
	n = rig_enc(&r, "\xff\x03ok", enc);
	rig_feed(&r, enc, n);
	ck_assert_uint_eq(r.s.n, 1);
	/* exactly the buffer (frame + FCS == cap) still fits */
	memset(big, 'b', sizeof(big));
	n = hdlc_encode(&r.e, big, 14, enc, sizeof(enc));
	rig_feed(&r, enc, n);
	ck_assert_uint_eq(r.s.n, 2);
	ck_assert_uint_eq(r.lens[1], 14);
}
END_TEST

START_TEST(test_abort_sequence)
{
	struct rig r;
	uint8_t enc[128], in[256];
	size_t n, k = 0;

	rig_init(&r, 64);
	in[k++] = 0x7e;
	memcpy(in + k, "\xff\x03partial", 9);
	k += 9;
	in[k++] = 0x7d;
	in[k++] = 0x7e;		/* abort, and the flag opens the next */
	n = rig_enc(&r, "\xff\x03next", enc);
	memcpy(in + k, enc + 1, n - 1);
	k += n - 1;
	rig_feed(&r, in, k);
	ck_assert_uint_eq(r.d.st.aborted, 1);
	ck_assert_uint_eq(r.d.st.bad_fcs, 0);
	ck_assert_uint_eq(r.s.n, 1);
	ck_assert_int_eq(memcmp(r.out, "\xff\x03next", 6), 0);
}
END_TEST

/* An escape as the last byte of one read, its partner in the next. */
START_TEST(test_escape_split_across_reads)
{
	struct rig r;
	uint8_t enc[128];
	size_t n, cut;

	rig_init(&r, 64);
	n = rig_enc(&r, "\xff\x03\x7e\x7d\x01", enc);
	for (cut = 1; cut < n; cut++)
		if (enc[cut - 1] == 0x7d)
			break;
	ck_assert_uint_lt(cut, n);
	rig_feed(&r, enc, cut);
	rig_feed(&r, enc + cut, n - cut);
	ck_assert_uint_eq(r.s.n, 1);
	ck_assert_int_eq(memcmp(r.out, "\xff\x03\x7e\x7d\x01", 5), 0);
}
END_TEST

/* The decoder writes nothing past its buffer: ASan watches a tight one. */
START_TEST(test_tight_buffer)
{
	size_t cap = (size_t)_i;
	uint8_t *buf = malloc(cap ? cap : 1);
	uint8_t frame[40], enc[128];
	struct hdlc_dec d;
	struct hdlc_enc e;
	struct sink s = { .data = malloc(4096), .cap = 4096,
	    .lens = malloc(64 * sizeof(size_t)), .ncap = 64 };

	hdlc_enc_init(&e, HDLC_ACCM_ALL);
	hdlc_dec_init(&d, buf, cap, false);
	for (size_t len = 0; len < sizeof(frame); len++) {
		size_t n;

		memset(frame, (int)len, len);
		n = hdlc_encode(&e, frame, len, enc, sizeof(enc));
		hdlc_dec_feed(&d, enc, n, sink_frame, &s);
	}
	/* frames of 2 .. cap-2 bytes fit */
	ck_assert_uint_eq(s.n, cap >= 4 ? cap - 3 : 0);
	free(buf);
	free(s.data);
	free(s.lens);
}
END_TEST

START_TEST(test_sync_variant)
{
	uint8_t dbuf[32];
	uint8_t out[256] = { 0 };
	size_t lens[8];
	struct sink s = { .data = out, .cap = sizeof(out), .lens = lens,
	    .ncap = 8 };
	struct hdlc_dec d;
	uint8_t big[40];

	hdlc_dec_init(&d, dbuf, sizeof(dbuf), true);
	/* one read is one frame, 0x7e and 0x7d included, no FCS */
	ck_assert_uint_eq(hdlc_dec_feed(&d, (const uint8_t *)"\xff\x03\x7e\x7d",
	    4, sink_frame, &s), 1);
	ck_assert_uint_eq(lens[0], 4);
	ck_assert_int_eq(memcmp(out, "\xff\x03\x7e\x7d", 4), 0);
	ck_assert_uint_eq(hdlc_dec_feed(&d, big, 1, sink_frame, &s), 0);
	ck_assert_uint_eq(d.st.too_short, 1);
	memset(big, 0, sizeof(big));
	ck_assert_uint_eq(hdlc_dec_feed(&d, big, sizeof(big), sink_frame, &s),
	    0);
	ck_assert_uint_eq(d.st.too_long, 1);
	ck_assert_uint_eq(d.st.frames, 1);
}
END_TEST

/*
 * The definitions, a byte at a time, for the fast paths to be checked
 * against: the encoder escapes what the ACCM, the flag and the escape
 * say; the decoder keeps RFC 1662's rules and this decoder's counts.
 */
static size_t
enc_ref(uint32_t accm, const uint8_t *f, size_t len, uint8_t *out)
{
	uint16_t fcs = (uint16_t)~fcs_slow(HDLC_INITFCS, f, len);
	size_t o = 0;

	out[o++] = 0x7e;
	for (size_t i = 0; i < len + 2; i++) {
		uint8_t c = i < len ? f[i] : (uint8_t)(i == len ? fcs :
		    fcs >> 8);

		if (c == 0x7e || c == 0x7d || (c < 0x20 && (accm >> c) & 1)) {
			out[o++] = 0x7d;
			out[o++] = c ^ 0x20;
		} else {
			out[o++] = c;
		}
	}
	out[o++] = 0x7e;
	return o;
}

struct dec_ref {
	uint8_t			buf[64];
	size_t			cap, len;
	bool			hunting, esc, toolong;
	struct hdlc_stats	st;
};

static void
dec_ref_feed(struct dec_ref *r, const uint8_t *p, size_t n, struct sink *s)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (r->hunting) {
			if (c == 0x7e)
				r->hunting = false;
			else
				r->st.garbage++;
		} else if (c == 0x7e) {
			if (r->esc)
				r->st.aborted++;
			else if (r->toolong)
				r->st.too_long++;
			else if (r->len > 0 && r->len < 4)
				r->st.too_short++;
			else if (r->len > 0 && fcs_slow(HDLC_INITFCS, r->buf,
			    r->len) != HDLC_GOODFCS)
				r->st.bad_fcs++;
			else if (r->len > 0) {
				r->st.frames++;
				sink_frame(s, r->buf, r->len - 2);
			}
			r->len = 0;
			r->esc = r->toolong = false;
		} else if (c == 0x7d) {
			r->esc = true;
		} else if (r->toolong || r->len == r->cap) {
			r->toolong = true;
			r->esc = false;
		} else {
			r->buf[r->len++] = r->esc ? c ^ 0x20 : c;
			r->esc = false;
		}
	}
}

/* The encoder's fast paths give the definition's bytes exactly. */
START_TEST(test_encode_matches_definition)
{
	uint8_t f[600], want[1300], got[1300];

	srand((unsigned)_i);
	for (int round = 0; round < 2000; round++) {
		uint32_t accm = round % 3 == 0 ? HDLC_ACCM_ALL : round % 3 == 1
		    ? 0 : (uint32_t)rand();
		size_t len = (size_t)rand() % sizeof(f), n;
		struct hdlc_enc e;

		for (size_t i = 0; i < len; i++)
			f[i] = round % 2 ? nasty_byte() : (uint8_t)(0x20 +
			    rand() % 0x5d);	/* mostly plain runs */
		hdlc_enc_init(&e, accm);
		n = enc_ref(accm, f, len, want);
		ck_assert_uint_eq(hdlc_encode(&e, f, len, got, sizeof(got)),
		    n);
		ck_assert_int_eq(memcmp(got, want, n), 0);
		/* the exact-room way too */
		ck_assert_uint_eq(hdlc_encode(&e, f, len, got, n), n);
		ck_assert_int_eq(memcmp(got, want, n), 0);
	}
}
END_TEST

/*
 * Hostile streams (flags, escapes, aborts, runs, garbage, frames too long
 * for a small buffer) in random chunks: the decoder's frames and every
 * count equal the definition's.
 */
START_TEST(test_decode_matches_definition)
{
	static uint8_t stream[20000], out[2][40000];
	size_t lens[2][4000];
	struct sink s[2];
	struct dec_ref r;
	struct hdlc_dec d;
	uint8_t dbuf[64];
	size_t cap = 16 + (size_t)_i * 7 % 48;

	srand((unsigned)_i + 100);
	for (size_t i = 0; i < sizeof(stream); i++) {
		int k = rand() % 100;

		stream[i] = k < 4 ? 0x7e : k < 12 ? 0x7d : k < 60 ?
		    (uint8_t)(0x30 + i % 40) : (uint8_t)rand();
	}
	/* some good frames among them */
	for (size_t at = 100; at + 40 < sizeof(stream); at += 997) {
		struct hdlc_enc e;
		uint8_t f[12];

		for (size_t i = 0; i < sizeof(f); i++)
			f[i] = (uint8_t)rand();
		hdlc_enc_init(&e, HDLC_ACCM_ALL);
		ck_assert_uint_gt(hdlc_encode(&e, f, sizeof(f), stream + at,
		    40), 0);
	}
	for (int k = 0; k < 2; k++)
		s[k] = (struct sink){ .data = out[k], .cap = sizeof(out[k]),
		    .lens = lens[k], .ncap = 4000 };
	memset(&r, 0, sizeof(r));
	r.cap = cap;
	r.hunting = true;
	dec_ref_feed(&r, stream, sizeof(stream), &s[0]);
	hdlc_dec_init(&d, dbuf, cap, false);
	for (size_t off = 0; off < sizeof(stream);) {
		size_t n = 1 + (size_t)rand() % 50;

		if (n > sizeof(stream) - off)
			n = sizeof(stream) - off;
		hdlc_dec_feed(&d, stream + off, n, sink_frame, &s[1]);
		off += n;
	}
	ck_assert_uint_gt(r.st.frames, 5);
	ck_assert_uint_eq(d.st.frames, r.st.frames);
	ck_assert_uint_eq(d.st.bad_fcs, r.st.bad_fcs);
	ck_assert_uint_eq(d.st.too_short, r.st.too_short);
	ck_assert_uint_eq(d.st.too_long, r.st.too_long);
	ck_assert_uint_eq(d.st.aborted, r.st.aborted);
	ck_assert_uint_eq(d.st.garbage, r.st.garbage);
	ck_assert_uint_eq(s[1].len, s[0].len);
	ck_assert_int_eq(memcmp(out[0], out[1], s[0].len), 0);
}
END_TEST

Suite *
hdlc_suite(void)
{
	Suite *s = suite_create("hdlc");
	TCase *fcs = tcase_create("fcs");
	TCase *enc = tcase_create("encode");
	TCase *dec = tcase_create("decode");

	tcase_add_test(fcs, test_fcs_vectors);
	tcase_add_test(fcs, test_fcs_tables);
	suite_add_tcase(s, fcs);

	tcase_add_test(enc, test_encode_escapes);
	tcase_add_test(enc, test_encode_no_room);
	tcase_add_loop_test(enc, test_encode_room_exact, 0, 72);
	tcase_add_loop_test(enc, test_encode_matches_definition, 0, 4);
	suite_add_tcase(s, enc);

	tcase_set_timeout(dec, 60);
	tcase_add_loop_test(dec, test_property_random_chunks, 0, 6);
	tcase_add_test(dec, test_garbage_before_first_flag);
	tcase_add_test(dec, test_bad_fcs_counted);
	tcase_add_test(dec, test_too_short_and_flag_runs);
	tcase_add_test(dec, test_too_long_then_good);
	tcase_add_test(dec, test_abort_sequence);
	tcase_add_test(dec, test_escape_split_across_reads);
	tcase_add_loop_test(dec, test_tight_buffer, 0, 24);
	tcase_add_test(dec, test_sync_variant);
	tcase_add_loop_test(dec, test_decode_matches_definition, 0, 16);
	suite_add_tcase(s, dec);
	return s;
}

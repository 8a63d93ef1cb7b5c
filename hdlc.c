// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PPP in HDLC-like framing, RFC 1662 section 4, for the pty side of the
 * gateway.  The FCS is the reflected CRC-16 (polynomial 0x8408),
 * computed sixteen bytes at a time from tables built here on first use.
 * Encoder and decoder look at eight bytes at once, and copy them whole
 * when none of them needs work; otherwise they go byte by byte, with no
 * branch on an escape.  The decoder checks the FCS once over the whole
 * frame.
 */
#include "hdlc.h"

#include <string.h>

/*
 * Eight bytes at once ("SWAR"): ONES * b has byte b in every lane;
 * zero_lane(v) is non-zero exactly when some byte of v is zero (borrows
 * can mark lanes above the first zero byte too, but never when there is
 * none); below(v, n) when some byte is less than n (n at most 128).
 */
#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

static inline uint64_t
zero_lane(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

static inline uint64_t
below(uint64_t v, uint8_t n)
{
	return (v - ONES * n) & ~v & HIGHS;
}

static inline uint64_t
load8(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * fcs_tab[0] is the byte-at-a-time table; fcs_tab[k][b] is the effect of
 * byte b followed by k zero bytes, which lets sixteen bytes fold in at
 * once ("slicing by sixteen": 8 KB of tables, sixteen independent loads a
 * step).  Built once; the tables are constant afterwards.
 */
#define FCS_SLICES	16
static uint16_t fcs_tab[FCS_SLICES][256];
static bool fcs_ready;

static void
fcs_init(void)
{
	for (unsigned b = 0; b < 256; b++) {
		uint16_t v = (uint16_t)b;

		for (int i = 0; i < 8; i++)
			v = (v & 1) ? (uint16_t)((v >> 1) ^ 0x8408) :
			    (uint16_t)(v >> 1);
		fcs_tab[0][b] = v;
	}
	for (unsigned b = 0; b < 256; b++)
		for (int k = 1; k < FCS_SLICES; k++)
			fcs_tab[k][b] = (uint16_t)((fcs_tab[k - 1][b] >> 8) ^
			    fcs_tab[0][fcs_tab[k - 1][b] & 0xff]);
	fcs_ready = true;
}

uint16_t
hdlc_fcs16(uint16_t fcs, const uint8_t *p, size_t len)
{
	if (!fcs_ready)
		fcs_init();
	while (len >= 16) {
		uint16_t lo = (uint16_t)(fcs ^ (p[0] | p[1] << 8));

		fcs = (uint16_t)(fcs_tab[15][lo & 0xff] ^ fcs_tab[14][lo >> 8] ^
		    fcs_tab[13][p[2]] ^ fcs_tab[12][p[3]] ^
		    fcs_tab[11][p[4]] ^ fcs_tab[10][p[5]] ^
		    fcs_tab[9][p[6]] ^ fcs_tab[8][p[7]] ^
		    fcs_tab[7][p[8]] ^ fcs_tab[6][p[9]] ^
		    fcs_tab[5][p[10]] ^ fcs_tab[4][p[11]] ^
		    fcs_tab[3][p[12]] ^ fcs_tab[2][p[13]] ^
		    fcs_tab[1][p[14]] ^ fcs_tab[0][p[15]]);
		p += 16;
		len -= 16;
	}
	while (len-- > 0)
		fcs = (uint16_t)((fcs >> 8) ^ fcs_tab[0][(fcs ^ *p++) & 0xff]);
	return fcs;
}

void
hdlc_enc_init(struct hdlc_enc *e, uint32_t accm)
{
	e->accm = accm;
	for (unsigned b = 0; b < 256; b++) {
		uint8_t pair[2];

		e->esc[b] = b < 0x20 ? (accm >> b) & 1 : 0;
		if (b == HDLC_FLAG || b == HDLC_ESC)
			e->esc[b] = 1;
		pair[0] = e->esc[b] ? HDLC_ESC : (uint8_t)b;
		pair[1] = (uint8_t)(b ^ HDLC_TRANS);
		memcpy(&e->pair[b], pair, 2);
	}
	if (!fcs_ready)
		fcs_init();
}

/*
 * Eight bytes none of which can need an escape (none below 0x20, none a
 * flag or an escape) are copied whole.  Otherwise each byte stores its
 * pair, the byte itself (or 0x7D, then the byte XOR 0x20), as one 16-bit
 * store, and the output advances by one or two: no branch on the data.
 * It needs the worst-case room, which the caller usually has; with less,
 * the exact size is counted first.
 */
static size_t
enc_run(const struct hdlc_enc *e, const uint8_t *p, size_t len, uint8_t *o)
{
	uint8_t *start = o;
	size_t i = 0;

	while (i < len) {
		if (len - i >= 8) {
			uint64_t v = load8(p + i);

			if (!(below(v, 0x20) | zero_lane(v ^ ONES * HDLC_FLAG) |
			    zero_lane(v ^ ONES * HDLC_ESC))) {
				memcpy(o, &v, 8);
				o += 8;
				i += 8;
				continue;
			}
		}
		for (size_t end = len - i < 8 ? len : i + 8; i < end; i++) {
			uint8_t c = p[i];

			memcpy(o, &e->pair[c], 2);
			o += 1 + e->esc[c];
		}
	}
	return (size_t)(o - start);
}

size_t
hdlc_encode(const struct hdlc_enc *e, const uint8_t *frame, size_t len,
    uint8_t *out, size_t cap)
{
	uint16_t fcs;
	uint8_t tail[2];
	size_t o = 0;

	if (cap < len + 4)
		return 0;	/* short even with no escape: no FCS spent */
	fcs = (uint16_t)~hdlc_fcs16(HDLC_INITFCS, frame, len);
	tail[0] = (uint8_t)fcs;
	tail[1] = (uint8_t)(fcs >> 8);
	if (cap < hdlc_enc_bound(len)) {
		size_t need = len + 4;	/* flags and FCS, none escaped */

		for (size_t i = 0; i < len; i++)
			need += e->esc[frame[i]];
		need += e->esc[tail[0]] + e->esc[tail[1]];
		if (need > cap)
			return 0;
		/* exact room: the careful way */
		out[o++] = HDLC_FLAG;
		for (size_t i = 0; i < len + 2; i++) {
			uint8_t c = i < len ? frame[i] : tail[i - len];

			if (e->esc[c]) {
				out[o++] = HDLC_ESC;
				out[o++] = c ^ HDLC_TRANS;
			} else {
				out[o++] = c;
			}
		}
		out[o++] = HDLC_FLAG;
		return o;
	}
	out[o++] = HDLC_FLAG;
	o += enc_run(e, frame, len, out + o);
	o += enc_run(e, tail, 2, out + o);
	out[o++] = HDLC_FLAG;
	return o;
}

void
hdlc_dec_init(struct hdlc_dec *d, uint8_t *buf, size_t cap, bool sync)
{
	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->cap = cap;
	d->sync = sync;
	d->hunting = !sync;
	if (!fcs_ready)
		fcs_init();
}

/* A flag closed the frame in d->buf: judge it, hand it on, start anew. */
static size_t
dec_close(struct hdlc_dec *d, hdlc_frame_fn *fn, void *arg)
{
	size_t n = 0;

	if (d->toolong) {
		d->st.too_long++;
	} else if (d->len == 0) {
		/* back-to-back flags: nothing between them */
	} else if (d->len < HDLC_MIN_FRAME) {
		d->st.too_short++;
	} else if (hdlc_fcs16(HDLC_INITFCS, d->buf, d->len) != HDLC_GOODFCS) {
		d->st.bad_fcs++;
	} else {
		d->st.frames++;
		fn(arg, d->buf, d->len - 2);
		n = 1;
	}
	d->len = 0;
	d->esc = false;
	d->toolong = false;
	return n;
}

static size_t
dec_sync(struct hdlc_dec *d, const uint8_t *data, size_t len,
    hdlc_frame_fn *fn, void *arg)
{
	if (len > d->cap) {
		d->st.too_long++;
		return 0;
	}
	if (len < HDLC_MIN_FRAME - 2) {
		d->st.too_short++;
		return 0;
	}
	d->st.frames++;
	fn(arg, data, len);
	return 1;
}

/*
 * The bytes of a frame, from data[i] up to the next flag, the end of the
 * data, or the end of the frame buffer (then the frame is too long).
 * Eight bytes with no flag and no escape are copied whole; otherwise each
 * byte is stored (XOR 0x20 after an escape) and the output advances
 * unless the byte is itself an escape: no branch on an escape.  Returns
 * where it stopped.
 */
static size_t
dec_run(struct hdlc_dec *d, const uint8_t *data, size_t i, size_t len)
{
	uint8_t *o = d->buf + d->len, *end = d->buf + d->cap;
	bool esc = d->esc;

	while (i < len) {
		size_t stop = len - i < 8 ? len : i + 8;

		if (stop == i + 8 && end - o >= 8) {
			uint64_t v = load8(data + i);

			if (!zero_lane(v ^ ONES * HDLC_FLAG)) {
				/* no flag, and room: no checks at all */
				if (!esc && !zero_lane(v ^ ONES * HDLC_ESC)) {
					memcpy(o, &v, 8);
					o += 8;
					i += 8;
					continue;
				}
				for (; i < stop; i++) {
					uint8_t c = data[i];
					bool e = c == HDLC_ESC;

					*o = (uint8_t)(c ^ (esc ? HDLC_TRANS :
					    0));
					o += !e;
					esc = e;
				}
				continue;
			}
		}
		for (; i < stop; i++) {
			uint8_t c = data[i];
			bool e = c == HDLC_ESC;

			if (c == HDLC_FLAG)
				goto out;
			if (o == end) {
				/* full: an escape may still be an abort's */
				if (!e) {
					d->toolong = true;
					goto out;
				}
			} else {
				*o = (uint8_t)(c ^ (esc ? HDLC_TRANS : 0));
				o += !e;
			}
			esc = e;
		}
	}
out:
	d->len = (size_t)(o - d->buf);
	d->esc = esc;
	return i;
}

size_t
hdlc_dec_feed(struct hdlc_dec *d, const uint8_t *data, size_t len,
    hdlc_frame_fn *fn, void *arg)
{
	size_t i = 0, frames = 0;

	if (d->sync)
		return dec_sync(d, data, len, fn, arg);

	while (i < len) {
		if (d->hunting || d->toolong) {
			/* nothing to keep: skip to the next flag */
			const uint8_t *f = memchr(data + i, HDLC_FLAG, len - i);
			size_t skip = f != NULL ? (size_t)(f - data) - i :
			    len - i;

			if (d->hunting)
				d->st.garbage += skip;
			else if (skip > 0)
				d->esc = data[i + skip - 1] == HDLC_ESC;
			i += skip;
			if (f == NULL)
				break;
			if (d->hunting) {
				d->hunting = false;
				i++;
				continue;
			}
		} else {
			i = dec_run(d, data, i, len);
			if (i == len || d->toolong)
				continue;
		}
		/* data[i] is a flag */
		if (d->esc) {
			/* RFC 1662 4.4.1: 0x7D 0x7E aborts the frame */
			d->st.aborted++;
			d->len = 0;
			d->esc = false;
			d->toolong = false;
		} else {
			frames += dec_close(d, fn, arg);
		}
		i++;
	}
	return frames;
}

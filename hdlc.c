// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PPP in HDLC-like framing, RFC 1662 section 4, for the pty side of the
 * gateway.  The FCS is the reflected CRC-16 (polynomial 0x8408), computed
 * eight bytes at a time from tables built here on first use.  The decoder
 * copies runs of plain bytes between the few that need work (flag and
 * escape) and checks the FCS once over the whole frame.
 */
#include "hdlc.h"

#include <string.h>

/*
 * fcs_tab[0] is the byte-at-a-time table; fcs_tab[k][b] is the effect of
 * byte b followed by k zero bytes, which lets eight bytes fold in at once
 * ("slicing by eight").  Built once; the tables are constant afterwards.
 */
static uint16_t fcs_tab[8][256];
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
		for (int k = 1; k < 8; k++)
			fcs_tab[k][b] = (uint16_t)((fcs_tab[k - 1][b] >> 8) ^
			    fcs_tab[0][fcs_tab[k - 1][b] & 0xff]);
	fcs_ready = true;
}

uint16_t
hdlc_fcs16(uint16_t fcs, const uint8_t *p, size_t len)
{
	if (!fcs_ready)
		fcs_init();
	while (len >= 8) {
		uint16_t lo = (uint16_t)(fcs ^ (p[0] | p[1] << 8));

		fcs = (uint16_t)(fcs_tab[7][lo & 0xff] ^ fcs_tab[6][lo >> 8] ^
		    fcs_tab[5][p[2]] ^ fcs_tab[4][p[3]] ^ fcs_tab[3][p[4]] ^
		    fcs_tab[2][p[5]] ^ fcs_tab[1][p[6]] ^ fcs_tab[0][p[7]]);
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		fcs = (uint16_t)((fcs >> 8) ^ fcs_tab[0][(fcs ^ *p++) & 0xff]);
	return fcs;
}

void
hdlc_enc_init(struct hdlc_enc *e, uint32_t accm)
{
	e->accm = accm;
	for (unsigned b = 0; b < 256; b++)
		e->esc[b] = b < 0x20 ? (accm >> b) & 1 : 0;
	e->esc[HDLC_FLAG] = 1;
	e->esc[HDLC_ESC] = 1;
	if (!fcs_ready)
		fcs_init();
}

/*
 * Every byte is written, then the escape decides whether it stays: the
 * loop stores two bytes per input byte (0x7D or the byte, then the byte
 * XOR 0x20) and advances by one or two, with no branch on the data.
 * It needs the worst-case room, which the caller usually has; with less,
 * the exact size is counted first.
 */
static size_t
enc_run(const struct hdlc_enc *e, const uint8_t *p, size_t len, uint8_t *o)
{
	uint8_t *start = o;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i], x = e->esc[c];

		o[0] = x ? HDLC_ESC : c;
		o[1] = c ^ HDLC_TRANS;
		o += 1 + x;
	}
	return (size_t)(o - start);
}

size_t
hdlc_encode(const struct hdlc_enc *e, const uint8_t *frame, size_t len,
    uint8_t *out, size_t cap)
{
	uint16_t fcs = (uint16_t)~hdlc_fcs16(HDLC_INITFCS, frame, len);
	uint8_t tail[2] = { (uint8_t)fcs, (uint8_t)(fcs >> 8) };
	size_t o = 0;

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

size_t
hdlc_dec_feed(struct hdlc_dec *d, const uint8_t *data, size_t len,
    hdlc_frame_fn *fn, void *arg)
{
	size_t i = 0, frames = 0;

	if (d->sync)
		return dec_sync(d, data, len, fn, arg);

	while (i < len) {
		uint8_t c = data[i];

		if (d->hunting) {
			if (c == HDLC_FLAG)
				d->hunting = false;
			else
				d->st.garbage++;
			i++;
			continue;
		}
		if (c == HDLC_FLAG) {
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
			continue;
		}
		if (c == HDLC_ESC) {
			d->esc = true;
			i++;
			continue;
		}
		if (d->esc) {
			c ^= HDLC_TRANS;
			d->esc = false;
			i++;
		} else {
			/* A run of plain bytes: find its end, copy it whole. */
			size_t j = i;

			while (j < len && data[j] != HDLC_FLAG &&
			    data[j] != HDLC_ESC)
				j++;
			if (!d->toolong && j - i <= d->cap - d->len) {
				memcpy(d->buf + d->len, data + i, j - i);
				d->len += j - i;
			} else {
				d->toolong = true;
			}
			i = j;
			continue;
		}
		if (d->toolong || d->len == d->cap)
			d->toolong = true;
		else
			d->buf[d->len++] = c;
	}
	return frames;
}

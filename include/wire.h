/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded cursors over wire bytes, network byte order.  A read or write
 * past the end does nothing but set the sticky `bad` flag, so a codec can
 * read every field in RFC order and judge the result once.
 */
#ifndef PPTP_WIRE_H
#define PPTP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t	*p;
	size_t		 len, off;
	bool		 bad;
};

struct wr {
	uint8_t		*p;
	size_t		 len, off;
	bool		 bad;
};

static inline bool
rd_need(struct rd *r, size_t n)
{
	if (r->len - r->off < n) {
		r->bad = true;
		r->off = r->len;
		return false;
	}
	return true;
}

static inline uint8_t
rd_u8(struct rd *r)
{
	if (!rd_need(r, 1))
		return 0;
	return r->p[r->off++];
}

static inline uint16_t
rd_u16(struct rd *r)
{
	if (!rd_need(r, 2))
		return 0;
	r->off += 2;
	return (uint16_t)(r->p[r->off - 2] << 8 | r->p[r->off - 1]);
}

static inline uint32_t
rd_u32(struct rd *r)
{
	const uint8_t *q;

	if (!rd_need(r, 4))
		return 0;
	q = r->p + r->off;
	r->off += 4;
	return (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
	    (uint32_t)q[2] << 8 | q[3];
}

static inline void
rd_skip(struct rd *r, size_t n)
{
	if (rd_need(r, n))
		r->off += n;
}

/*
 * A fixed text field of n bytes into out[n + 1]: copied up to the first
 * NUL, always NUL-terminated, whatever the peer sent.
 */
static inline void
rd_str(struct rd *r, char *out, size_t n)
{
	size_t i;

	out[0] = '\0';
	if (!rd_need(r, n))
		return;
	for (i = 0; i < n && r->p[r->off + i] != '\0'; i++)
		out[i] = (char)r->p[r->off + i];
	out[i] = '\0';
	r->off += n;
}

static inline bool
wr_need(struct wr *w, size_t n)
{
	if (w->len - w->off < n) {
		w->bad = true;
		w->off = w->len;
		return false;
	}
	return true;
}

static inline void
wr_u8(struct wr *w, uint8_t v)
{
	if (wr_need(w, 1))
		w->p[w->off++] = v;
}

static inline void
wr_u16(struct wr *w, uint16_t v)
{
	if (!wr_need(w, 2))
		return;
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

static inline void
wr_u32(struct wr *w, uint32_t v)
{
	if (!wr_need(w, 4))
		return;
	w->p[w->off++] = (uint8_t)(v >> 24);
	w->p[w->off++] = (uint8_t)(v >> 16);
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

static inline void
wr_zero(struct wr *w, size_t n)
{
	if (!wr_need(w, n))
		return;
	memset(w->p + w->off, 0, n);
	w->off += n;
}

/* A text field of n bytes: at most n bytes of s, NUL-padded. */
static inline void
wr_str(struct wr *w, const char *s, size_t n)
{
	size_t l;

	if (!wr_need(w, n))
		return;
	l = strnlen(s, n);
	memcpy(w->p + w->off, s, l);
	memset(w->p + w->off + l, 0, n - l);
	w->off += n;
}

#endif

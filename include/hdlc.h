/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PPP in HDLC-like framing (RFC 1662 section 4), the format pppd speaks
 * on its tty: FCS-16, an async encoder with a 32-bit ACCM, and a
 * streaming decoder that takes arbitrary chunks.  Also the synchronous
 * variant of pppd's `sync` option (one raw frame per read or write: no
 * flags, no escapes, no FCS).  Pure: no I/O, no logging, no allocation.
 *
 * What crosses GRE is the PPP frame exactly as pppd framed it, less the
 * HDLC flags, escapes and FCS: the address and control field 0xFF 0x03 is
 * kept when pppd sent it and absent when pppd compressed it away (ACFC).
 */
#ifndef PPTP_HDLC_H
#define PPTP_HDLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HDLC_FLAG	0x7e
#define HDLC_ESC	0x7d
#define HDLC_TRANS	0x20
#define HDLC_INITFCS	0xffff
#define HDLC_GOODFCS	0xf0b8	/* residue of a frame with its FCS */
#define HDLC_MIN_FRAME	4	/* RFC 1662 4.3: shorter ones are dropped */
#define HDLC_ACCM_ALL	0xffffffffU

/* FCS-16 over len bytes, continuing from fcs (start with HDLC_INITFCS). */
uint16_t hdlc_fcs16(uint16_t fcs, const uint8_t *p, size_t len);

/* Async encoder: which bytes get escaped, from the peer's ACCM. */
struct hdlc_enc {
	uint32_t	accm;
	uint8_t		esc[256];	/* 1: send as 0x7D, byte ^ 0x20 */
	uint16_t	pair[256];	/* the byte as sent, then byte ^ 0x20 */
};

void hdlc_enc_init(struct hdlc_enc *e, uint32_t accm);

/* Worst-case encoded size of a len-byte frame: every byte escaped. */
static inline size_t
hdlc_enc_bound(size_t len)
{
	return 2 * (len + 2) + 2;
}

/*
 * Encode one frame: opening flag, escaped frame and FCS, closing flag.
 * Returns the bytes written, 0 if cap is less than needed.
 */
size_t hdlc_encode(const struct hdlc_enc *e, const uint8_t *frame,
    size_t len, uint8_t *out, size_t cap);

/* Called for each good frame (FCS removed); frame is valid only then. */
typedef void hdlc_frame_fn(void *arg, const uint8_t *frame, size_t len);

struct hdlc_stats {
	uint64_t	frames;		/* good frames handed on */
	uint64_t	bad_fcs;
	uint64_t	too_short;	/* fewer than 4 bytes with the FCS */
	uint64_t	too_long;	/* beyond the frame buffer */
	uint64_t	aborted;	/* 0x7D 0x7E abort sequence */
	uint64_t	garbage;	/* bytes before the first flag */
};

/*
 * Streaming decoder state; the caller owns it and the frame buffer, whose
 * size (cap) bounds a frame with its FCS.  The decoder never writes past
 * buf[cap - 1] and keeps no pointer into the fed data.
 */
struct hdlc_dec {
	uint8_t			*buf;
	size_t			 cap;
	size_t			 len;
	bool			 sync;		/* pppd `sync`: no framing */
	bool			 hunting;	/* no flag seen yet */
	bool			 esc;		/* last byte was 0x7D */
	bool			 toolong;	/* skip to the next flag */
	struct hdlc_stats	 st;
};

/* Async decoder (sync false) or the synchronous variant (sync true). */
void hdlc_dec_init(struct hdlc_dec *d, uint8_t *buf, size_t cap, bool sync);

/*
 * Feed len bytes.  Async: any chunking, frames delivered as they close.
 * Sync: the chunk is one whole frame, as one read of a sync pty returns.
 * Returns the number of frames delivered.
 */
size_t hdlc_dec_feed(struct hdlc_dec *d, const uint8_t *data, size_t len,
    hdlc_frame_fn *fn, void *arg);

#endif

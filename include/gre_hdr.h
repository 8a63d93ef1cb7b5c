/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Enhanced GRE header (RFC 2637 section 4.1) encode/decode, the IPv4
 * header in front of it on a raw socket, and wrap-safe sequence number
 * comparison.  Pure: no I/O, no logging.
 */
#ifndef PPTP_GRE_HDR_H
#define PPTP_GRE_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRE_PROTO_PPP	0x880B
#define GRE_VERSION	1

/* Flag bits of the first 16-bit word. */
#define GRE_F_CSUM	0x8000
#define GRE_F_ROUTE	0x4000
#define GRE_F_KEY	0x2000
#define GRE_F_SEQ	0x1000
#define GRE_F_STRICT	0x0800
#define GRE_RECUR_MASK	0x0700
#define GRE_F_ACK	0x0080
#define GRE_FLAGS_MASK	0x0078
#define GRE_VER_MASK	0x0007

#define GRE_HDR_MIN	8	/* flags, protocol, key */
#define GRE_HDR_MAX	16	/* plus sequence and acknowledgement */

enum gre_err {
	GRE_OK = 0,
	GRE_ESHORT,	/* datagram shorter than the 8-byte base header */
	GRE_EVERSION,	/* version not 1 */
	GRE_EPROTO,	/* protocol not 0x880B */
	GRE_ENOKEY,	/* K bit missing */
	GRE_ECSUM,	/* C (checksum present) bit set */
	GRE_EROUTE,	/* R (routing present) bit set */
	GRE_ESTRICT,	/* s (strict source route) bit set */
	GRE_ERECUR,	/* recursion control not zero */
	GRE_EFLAGS,	/* reserved flag bits not zero */
	GRE_EHDRLEN,	/* header (with seq/ack) longer than the datagram */
	GRE_ETRUNC,	/* payload length beyond the bytes received */
	GRE_ENOSEQ,	/* payload without a sequence number */
	GRE_NERRS
};

struct gre_hdr {
	bool		has_seq;
	bool		has_ack;
	uint16_t	payload_len;	/* high half of the key */
	uint16_t	call_id;	/* low half: the receiver's call ID */
	uint32_t	seq;
	uint32_t	ack;
	uint16_t	hdr_len;	/* set by decode and encode */
};

/*
 * Decode the GRE header at pkt (len bytes received).  On GRE_OK the
 * payload is pkt[h->hdr_len .. h->hdr_len + h->payload_len); bytes after
 * it are ignored.  Each rejection has its own reason.
 */
enum gre_err gre_decode(const uint8_t *pkt, size_t len, struct gre_hdr *h);

/*
 * Encode the header for *h (has_seq, has_ack, payload_len, call_id, seq,
 * ack) into buf; an ack-only packet has has_seq false and carries the
 * ack where the sequence number would be.  Returns the header length (8,
 * 12 or 16), 0 if cap is too small.
 */
size_t gre_encode(const struct gre_hdr *h, uint8_t *buf, size_t cap);

/* Words for an enum gre_err, e.g. "K bit missing". */
const char *gre_strerror(enum gre_err e);

/*
 * The IPv4 header a raw socket hands over in front of the GRE packet:
 * checks version 4 and the header length against the datagram, and
 * returns its length (the GRE offset) with the source address in
 * network order, or 0 if the datagram cannot hold it.  Total length is
 * trusted only as far as the bytes received: *payload_len is the lesser.
 */
size_t gre_ip4_strip(const uint8_t *pkt, size_t len, uint32_t *saddr_be,
    size_t *payload_len);

/* Serial number arithmetic on 32-bit sequence numbers (wrap-safe). */
static inline int32_t
seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static inline bool
seq_after(uint32_t a, uint32_t b)
{
	return seq_diff(a, b) > 0;
}

static inline bool
seq_before(uint32_t a, uint32_t b)
{
	return seq_diff(a, b) < 0;
}

/*
 * The largest pppd mtu and mru that keep GRE unfragmented on a path of
 * path_mtu bytes: less IP (20), enhanced GRE with sequence and ack
 * (16), and PPP's address, control and protocol fields with MPPE's
 * header and inner protocol (8).  IPv4 only: IPv6 takes 40 for its
 * header.
 */
#define GRE_PPP_OVERHEAD	(20 + 16 + 8)

#endif

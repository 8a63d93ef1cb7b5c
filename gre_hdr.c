// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enhanced GRE header, RFC 2637 section 4.1:
 *
 *	C R K S s Recur A Flags Ver | Protocol Type 0x880B
 *	Key: payload length (16) | call ID (16)
 *	Sequence Number (if S), Acknowledgement Number (if A)
 *
 * A PPTP packet must have K set, C, R and s clear, Recur 0 and version
 * 1.  An ack-only packet has S clear, so its acknowledgement number sits
 * where a data packet's sequence number would.
 */
#include "gre_hdr.h"

#include "wire.h"

enum gre_err
gre_decode(const uint8_t *pkt, size_t len, struct gre_hdr *h)
{
	struct rd r = { .p = pkt, .len = len };
	uint16_t flags, proto;
	uint32_t key;

	*h = (struct gre_hdr){ 0 };
	if (len < GRE_HDR_MIN)
		return GRE_ESHORT;
	flags = rd_u16(&r);
	proto = rd_u16(&r);
	key = rd_u32(&r);

	if ((flags & GRE_VER_MASK) != GRE_VERSION)
		return GRE_EVERSION;
	if (proto != GRE_PROTO_PPP)
		return GRE_EPROTO;
	if (!(flags & GRE_F_KEY))
		return GRE_ENOKEY;
	if (flags & GRE_F_CSUM)
		return GRE_ECSUM;
	if (flags & GRE_F_ROUTE)
		return GRE_EROUTE;
	if (flags & GRE_F_STRICT)
		return GRE_ESTRICT;
	if (flags & GRE_RECUR_MASK)
		return GRE_ERECUR;
	if (flags & GRE_FLAGS_MASK)
		return GRE_EFLAGS;

	h->payload_len = (uint16_t)(key >> 16);
	h->call_id = (uint16_t)key;
	h->has_seq = (flags & GRE_F_SEQ) != 0;
	h->has_ack = (flags & GRE_F_ACK) != 0;
	if (h->has_seq)
		h->seq = rd_u32(&r);
	if (h->has_ack)
		h->ack = rd_u32(&r);
	if (r.bad)
		return GRE_EHDRLEN;
	h->hdr_len = (uint16_t)r.off;
	if (h->payload_len > len - r.off)
		return GRE_ETRUNC;
	if (h->payload_len > 0 && !h->has_seq)
		return GRE_ENOSEQ;
	return GRE_OK;
}

size_t
gre_encode(const struct gre_hdr *h, uint8_t *buf, size_t cap)
{
	struct wr w = { .p = buf, .len = cap };
	uint16_t flags = GRE_F_KEY | GRE_VERSION;

	if (h->has_seq)
		flags |= GRE_F_SEQ;
	if (h->has_ack)
		flags |= GRE_F_ACK;
	wr_u16(&w, flags);
	wr_u16(&w, GRE_PROTO_PPP);
	wr_u16(&w, h->payload_len);
	wr_u16(&w, h->call_id);
	if (h->has_seq)
		wr_u32(&w, h->seq);
	if (h->has_ack)
		wr_u32(&w, h->ack);
	return w.bad ? 0 : w.off;
}

const char *
gre_strerror(enum gre_err e)
{
	static const char *const words[GRE_NERRS] = {
		[GRE_OK] = "no error",
		[GRE_ESHORT] = "shorter than a GRE header",
		[GRE_EVERSION] = "GRE version not 1",
		[GRE_EPROTO] = "protocol type not PPP (0x880B)",
		[GRE_ENOKEY] = "K bit missing",
		[GRE_ECSUM] = "checksum bit set",
		[GRE_EROUTE] = "routing bit set",
		[GRE_ESTRICT] = "strict source route bit set",
		[GRE_ERECUR] = "recursion control not zero",
		[GRE_EFLAGS] = "reserved flags not zero",
		[GRE_EHDRLEN] = "header longer than the datagram",
		[GRE_ETRUNC] = "payload length beyond the bytes received",
		[GRE_ENOSEQ] = "payload without a sequence number",
	};

	if ((unsigned)e >= GRE_NERRS)
		return "unknown error";
	return words[e];
}

/*
 * IPv4 only: the header a raw IPv4 socket puts before GRE.  An IPv6 raw
 * socket delivers none (nothing to strip; the source comes with the
 * datagram's address instead).
 */
size_t
gre_ip4_strip(const uint8_t *pkt, size_t len, uint32_t *saddr_be,
    size_t *payload_len)
{
	size_t ihl, total;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return 0;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len)
		return 0;
	total = (size_t)pkt[2] << 8 | pkt[3];
	if (total < ihl || total > len)
		total = len;
	/* The address stays in network order: copy the bytes as they are. */
	*saddr_be = 0;
	for (int i = 0; i < 4; i++)
		((uint8_t *)saddr_be)[i] = pkt[12 + i];
	*payload_len = total - ihl;
	return ihl;
}

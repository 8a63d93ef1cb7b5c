// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PPTP control messages, RFC 2637 section 2.  Every message is read and
 * written field by field through a bounded cursor in RFC order; nothing
 * overlays the wire with a struct.  The stream reader at the end turns a
 * TCP byte stream into whole messages and reports a lost stream.
 */
#include "pptp_msg.h"

#include <string.h>

#include "wire.h"

static const uint16_t msg_len[MSG_NTYPES] = {
	[MSG_SCCRQ] = 156, [MSG_SCCRP] = 156, [MSG_STOPCCRQ] = 16,
	[MSG_STOPCCRP] = 16, [MSG_ECHORQ] = 16, [MSG_ECHORP] = 20,
	[MSG_OCRQ] = 168, [MSG_OCRP] = 32, [MSG_ICRQ] = 220, [MSG_ICRP] = 24,
	[MSG_ICCN] = 28, [MSG_CCRQ] = 16, [MSG_CDN] = 148, [MSG_WEN] = 40,
	[MSG_SLI] = 24,
};

static const char *const msg_names[MSG_NTYPES] = {
	[MSG_SCCRQ] = "SCCRQ", [MSG_SCCRP] = "SCCRP",
	[MSG_STOPCCRQ] = "StopCCRQ", [MSG_STOPCCRP] = "StopCCRP",
	[MSG_ECHORQ] = "Echo-Request", [MSG_ECHORP] = "Echo-Reply",
	[MSG_OCRQ] = "OCRQ", [MSG_OCRP] = "OCRP", [MSG_ICRQ] = "ICRQ",
	[MSG_ICRP] = "ICRP", [MSG_ICCN] = "ICCN", [MSG_CCRQ] = "CCRQ",
	[MSG_CDN] = "CDN", [MSG_WEN] = "WAN-Error-Notify",
	[MSG_SLI] = "Set-Link-Info",
};

void
msg_init(struct msg *m, enum msg_type type)
{
	memset(m, 0, sizeof(*m));
	m->hdr.ctrl_type = (uint16_t)type;
}

size_t
msg_type_len(unsigned type)
{
	return type < MSG_NTYPES ? msg_len[type] : 0;
}

const char *
msg_type_name(unsigned type)
{
	if (type == 0 || type >= MSG_NTYPES)
		return "unknown";
	return msg_names[type];
}

enum msg_err
msg_decode_hdr(const uint8_t *buf, size_t len, struct msg_hdr *h)
{
	struct rd r = { .p = buf, .len = len };

	memset(h, 0, sizeof(*h));
	if (len < MSG_HDR_LEN)
		return MSG_ESHORT;
	h->length = rd_u16(&r);
	h->pptp_type = rd_u16(&r);
	h->magic = rd_u32(&r);
	h->ctrl_type = rd_u16(&r);
	h->reserved0 = rd_u16(&r);

	/* The cookie first: a wrong one says the stream is lost. */
	if (h->magic != MSG_MAGIC)
		return MSG_ECOOKIE;
	if (h->length < MSG_HDR_LEN || h->length > MSG_MAX_LEN)
		return MSG_ELEN;
	if (h->pptp_type == MSG_PPTP_MGMT)
		return MSG_EMGMT;
	if (h->pptp_type != MSG_PPTP_CONTROL)
		return MSG_EPPTPTYPE;
	if (msg_type_len(h->ctrl_type) == 0)
		return MSG_ECTRLTYPE;
	if (h->length != msg_type_len(h->ctrl_type))
		return MSG_EBADLEN;
	if (h->length > len)
		return MSG_ETRUNC;
	return MSG_OK;
}

/*
 * One function per type reads the body (the cursor is past the header)
 * or writes it.  SCCRQ and SCCRP share a layout but for result/error,
 * which is reserved1 in the request.
 */

static void
dec_sccrq(struct rd *r, struct msg *m)
{
	struct msg_sccrq *b = &m->sccrq;

	b->version = rd_u16(r);
	rd_skip(r, 2);
	b->framing_caps = rd_u32(r);
	b->bearer_caps = rd_u32(r);
	b->max_channels = rd_u16(r);
	b->firmware_rev = rd_u16(r);
	rd_str(r, b->hostname, MSG_HOSTNAME_LEN);
	rd_str(r, b->vendor, MSG_VENDOR_LEN);
}

static void
enc_sccrq(struct wr *w, const struct msg *m)
{
	const struct msg_sccrq *b = &m->sccrq;

	wr_u16(w, b->version);
	wr_zero(w, 2);
	wr_u32(w, b->framing_caps);
	wr_u32(w, b->bearer_caps);
	wr_u16(w, b->max_channels);
	wr_u16(w, b->firmware_rev);
	wr_str(w, b->hostname, MSG_HOSTNAME_LEN);
	wr_str(w, b->vendor, MSG_VENDOR_LEN);
}

static void
dec_sccrp(struct rd *r, struct msg *m)
{
	struct msg_sccrp *b = &m->sccrp;

	b->version = rd_u16(r);
	b->result = rd_u8(r);
	b->error = rd_u8(r);
	b->framing_caps = rd_u32(r);
	b->bearer_caps = rd_u32(r);
	b->max_channels = rd_u16(r);
	b->firmware_rev = rd_u16(r);
	rd_str(r, b->hostname, MSG_HOSTNAME_LEN);
	rd_str(r, b->vendor, MSG_VENDOR_LEN);
}

static void
enc_sccrp(struct wr *w, const struct msg *m)
{
	const struct msg_sccrp *b = &m->sccrp;

	wr_u16(w, b->version);
	wr_u8(w, b->result);
	wr_u8(w, b->error);
	wr_u32(w, b->framing_caps);
	wr_u32(w, b->bearer_caps);
	wr_u16(w, b->max_channels);
	wr_u16(w, b->firmware_rev);
	wr_str(w, b->hostname, MSG_HOSTNAME_LEN);
	wr_str(w, b->vendor, MSG_VENDOR_LEN);
}

static void
dec_stopccrq(struct rd *r, struct msg *m)
{
	m->stopccrq.reason = rd_u8(r);
	rd_skip(r, 3);
}

static void
enc_stopccrq(struct wr *w, const struct msg *m)
{
	wr_u8(w, m->stopccrq.reason);
	wr_zero(w, 3);
}

static void
dec_stopccrp(struct rd *r, struct msg *m)
{
	m->stopccrp.result = rd_u8(r);
	m->stopccrp.error = rd_u8(r);
	rd_skip(r, 2);
}

static void
enc_stopccrp(struct wr *w, const struct msg *m)
{
	wr_u8(w, m->stopccrp.result);
	wr_u8(w, m->stopccrp.error);
	wr_zero(w, 2);
}

static void
dec_echorq(struct rd *r, struct msg *m)
{
	m->echorq.id = rd_u32(r);
}

static void
enc_echorq(struct wr *w, const struct msg *m)
{
	wr_u32(w, m->echorq.id);
}

static void
dec_echorp(struct rd *r, struct msg *m)
{
	m->echorp.id = rd_u32(r);
	m->echorp.result = rd_u8(r);
	m->echorp.error = rd_u8(r);
	rd_skip(r, 2);
}

static void
enc_echorp(struct wr *w, const struct msg *m)
{
	wr_u32(w, m->echorp.id);
	wr_u8(w, m->echorp.result);
	wr_u8(w, m->echorp.error);
	wr_zero(w, 2);
}

static void
dec_ocrq(struct rd *r, struct msg *m)
{
	struct msg_ocrq *b = &m->ocrq;

	b->call_id = rd_u16(r);
	b->call_serial = rd_u16(r);
	b->min_bps = rd_u32(r);
	b->max_bps = rd_u32(r);
	b->bearer_type = rd_u32(r);
	b->framing_type = rd_u32(r);
	b->recv_window = rd_u16(r);
	b->proc_delay = rd_u16(r);
	b->phone_len = rd_u16(r);
	rd_skip(r, 2);
	rd_str(r, b->phone, MSG_PHONE_LEN);
	rd_str(r, b->subaddr, MSG_SUBADDR_LEN);
}

static void
enc_ocrq(struct wr *w, const struct msg *m)
{
	const struct msg_ocrq *b = &m->ocrq;

	wr_u16(w, b->call_id);
	wr_u16(w, b->call_serial);
	wr_u32(w, b->min_bps);
	wr_u32(w, b->max_bps);
	wr_u32(w, b->bearer_type);
	wr_u32(w, b->framing_type);
	wr_u16(w, b->recv_window);
	wr_u16(w, b->proc_delay);
	wr_u16(w, b->phone_len);
	wr_zero(w, 2);
	wr_str(w, b->phone, MSG_PHONE_LEN);
	wr_str(w, b->subaddr, MSG_SUBADDR_LEN);
}

static void
dec_ocrp(struct rd *r, struct msg *m)
{
	struct msg_ocrp *b = &m->ocrp;

	b->call_id = rd_u16(r);
	b->peer_call_id = rd_u16(r);
	b->result = rd_u8(r);
	b->error = rd_u8(r);
	b->cause = rd_u16(r);
	b->connect_speed = rd_u32(r);
	b->recv_window = rd_u16(r);
	b->proc_delay = rd_u16(r);
	b->phys_channel = rd_u32(r);
}

static void
enc_ocrp(struct wr *w, const struct msg *m)
{
	const struct msg_ocrp *b = &m->ocrp;

	wr_u16(w, b->call_id);
	wr_u16(w, b->peer_call_id);
	wr_u8(w, b->result);
	wr_u8(w, b->error);
	wr_u16(w, b->cause);
	wr_u32(w, b->connect_speed);
	wr_u16(w, b->recv_window);
	wr_u16(w, b->proc_delay);
	wr_u32(w, b->phys_channel);
}

static void
dec_icrq(struct rd *r, struct msg *m)
{
	struct msg_icrq *b = &m->icrq;

	b->call_id = rd_u16(r);
	b->call_serial = rd_u16(r);
	b->bearer_type = rd_u32(r);
	b->phys_channel = rd_u32(r);
	b->dialed_len = rd_u16(r);
	b->dialing_len = rd_u16(r);
	rd_str(r, b->dialed, MSG_PHONE_LEN);
	rd_str(r, b->dialing, MSG_PHONE_LEN);
	rd_str(r, b->subaddr, MSG_SUBADDR_LEN);
}

static void
enc_icrq(struct wr *w, const struct msg *m)
{
	const struct msg_icrq *b = &m->icrq;

	wr_u16(w, b->call_id);
	wr_u16(w, b->call_serial);
	wr_u32(w, b->bearer_type);
	wr_u32(w, b->phys_channel);
	wr_u16(w, b->dialed_len);
	wr_u16(w, b->dialing_len);
	wr_str(w, b->dialed, MSG_PHONE_LEN);
	wr_str(w, b->dialing, MSG_PHONE_LEN);
	wr_str(w, b->subaddr, MSG_SUBADDR_LEN);
}

static void
dec_icrp(struct rd *r, struct msg *m)
{
	struct msg_icrp *b = &m->icrp;

	b->call_id = rd_u16(r);
	b->peer_call_id = rd_u16(r);
	b->result = rd_u8(r);
	b->error = rd_u8(r);
	b->recv_window = rd_u16(r);
	b->transmit_delay = rd_u16(r);
	rd_skip(r, 2);
}

static void
enc_icrp(struct wr *w, const struct msg *m)
{
	const struct msg_icrp *b = &m->icrp;

	wr_u16(w, b->call_id);
	wr_u16(w, b->peer_call_id);
	wr_u8(w, b->result);
	wr_u8(w, b->error);
	wr_u16(w, b->recv_window);
	wr_u16(w, b->transmit_delay);
	wr_zero(w, 2);
}

static void
dec_iccn(struct rd *r, struct msg *m)
{
	struct msg_iccn *b = &m->iccn;

	b->peer_call_id = rd_u16(r);
	rd_skip(r, 2);
	b->connect_speed = rd_u32(r);
	b->recv_window = rd_u16(r);
	b->transmit_delay = rd_u16(r);
	b->framing_type = rd_u32(r);
}

static void
enc_iccn(struct wr *w, const struct msg *m)
{
	const struct msg_iccn *b = &m->iccn;

	wr_u16(w, b->peer_call_id);
	wr_zero(w, 2);
	wr_u32(w, b->connect_speed);
	wr_u16(w, b->recv_window);
	wr_u16(w, b->transmit_delay);
	wr_u32(w, b->framing_type);
}

static void
dec_ccrq(struct rd *r, struct msg *m)
{
	m->ccrq.call_id = rd_u16(r);
	rd_skip(r, 2);
}

static void
enc_ccrq(struct wr *w, const struct msg *m)
{
	wr_u16(w, m->ccrq.call_id);
	wr_zero(w, 2);
}

static void
dec_cdn(struct rd *r, struct msg *m)
{
	struct msg_cdn *b = &m->cdn;

	b->call_id = rd_u16(r);
	b->result = rd_u8(r);
	b->error = rd_u8(r);
	b->cause = rd_u16(r);
	rd_skip(r, 2);
	rd_str(r, b->call_stats, MSG_STATS_LEN);
}

static void
enc_cdn(struct wr *w, const struct msg *m)
{
	const struct msg_cdn *b = &m->cdn;

	wr_u16(w, b->call_id);
	wr_u8(w, b->result);
	wr_u8(w, b->error);
	wr_u16(w, b->cause);
	wr_zero(w, 2);
	wr_str(w, b->call_stats, MSG_STATS_LEN);
}

static void
dec_wen(struct rd *r, struct msg *m)
{
	struct msg_wen *b = &m->wen;

	b->peer_call_id = rd_u16(r);
	rd_skip(r, 2);
	b->crc_errors = rd_u32(r);
	b->framing_errors = rd_u32(r);
	b->hw_overruns = rd_u32(r);
	b->buf_overruns = rd_u32(r);
	b->timeouts = rd_u32(r);
	b->alignment_errors = rd_u32(r);
}

static void
enc_wen(struct wr *w, const struct msg *m)
{
	const struct msg_wen *b = &m->wen;

	wr_u16(w, b->peer_call_id);
	wr_zero(w, 2);
	wr_u32(w, b->crc_errors);
	wr_u32(w, b->framing_errors);
	wr_u32(w, b->hw_overruns);
	wr_u32(w, b->buf_overruns);
	wr_u32(w, b->timeouts);
	wr_u32(w, b->alignment_errors);
}

static void
dec_sli(struct rd *r, struct msg *m)
{
	m->sli.peer_call_id = rd_u16(r);
	rd_skip(r, 2);
	m->sli.send_accm = rd_u32(r);
	m->sli.recv_accm = rd_u32(r);
}

static void
enc_sli(struct wr *w, const struct msg *m)
{
	wr_u16(w, m->sli.peer_call_id);
	wr_zero(w, 2);
	wr_u32(w, m->sli.send_accm);
	wr_u32(w, m->sli.recv_accm);
}

static const struct msg_codec {
	void	(*dec)(struct rd *, struct msg *);
	void	(*enc)(struct wr *, const struct msg *);
} msg_codecs[MSG_NTYPES] = {
	[MSG_SCCRQ] = { dec_sccrq, enc_sccrq },
	[MSG_SCCRP] = { dec_sccrp, enc_sccrp },
	[MSG_STOPCCRQ] = { dec_stopccrq, enc_stopccrq },
	[MSG_STOPCCRP] = { dec_stopccrp, enc_stopccrp },
	[MSG_ECHORQ] = { dec_echorq, enc_echorq },
	[MSG_ECHORP] = { dec_echorp, enc_echorp },
	[MSG_OCRQ] = { dec_ocrq, enc_ocrq },
	[MSG_OCRP] = { dec_ocrp, enc_ocrp },
	[MSG_ICRQ] = { dec_icrq, enc_icrq },
	[MSG_ICRP] = { dec_icrp, enc_icrp },
	[MSG_ICCN] = { dec_iccn, enc_iccn },
	[MSG_CCRQ] = { dec_ccrq, enc_ccrq },
	[MSG_CDN] = { dec_cdn, enc_cdn },
	[MSG_WEN] = { dec_wen, enc_wen },
	[MSG_SLI] = { dec_sli, enc_sli },
};

enum msg_err
msg_decode(const uint8_t *buf, size_t len, struct msg *m)
{
	struct rd r = { .p = buf, .len = len };
	enum msg_err e;

	memset(m, 0, sizeof(*m));
	e = msg_decode_hdr(buf, len, &m->hdr);
	if (e != MSG_OK)
		return e;
	if (len != m->hdr.length)
		return MSG_ETRAIL;
	rd_skip(&r, MSG_HDR_LEN);
	msg_codecs[m->hdr.ctrl_type].dec(&r, m);
	/* The header check fixed the length, so the body is all there. */
	return r.bad || r.off != len ? MSG_EBADLEN : MSG_OK;
}

size_t
msg_encode(const struct msg *m, uint8_t *buf, size_t cap)
{
	unsigned type = m->hdr.ctrl_type;
	size_t len = msg_type_len(type);
	struct wr w = { .p = buf, .len = cap };

	if (len == 0 || cap < len)
		return 0;
	wr_u16(&w, (uint16_t)len);
	wr_u16(&w, MSG_PPTP_CONTROL);
	wr_u32(&w, MSG_MAGIC);
	wr_u16(&w, (uint16_t)type);
	wr_u16(&w, 0);
	msg_codecs[type].enc(&w, m);
	return w.bad || w.off != len ? 0 : len;
}

const char *
msg_strerror(enum msg_err e)
{
	static const char *const words[MSG_NERRS] = {
		[MSG_OK] = "no error",
		[MSG_EAGAIN] = "incomplete message",
		[MSG_ESHORT] = "shorter than the 12-byte header",
		[MSG_ELEN] = "impossible length",
		[MSG_EMGMT] = "management message (PPTP message type 2)",
		[MSG_EPPTPTYPE] = "unknown PPTP message type",
		[MSG_ECOOKIE] = "bad magic cookie",
		[MSG_ECTRLTYPE] = "unknown control message type",
		[MSG_EBADLEN] = "wrong length for its type",
		[MSG_ETRUNC] = "length beyond the bytes received",
		[MSG_ETRAIL] = "bytes beyond its length",
		[MSG_ENOSPC] = "no room to encode",
	};

	if ((unsigned)e >= MSG_NERRS)
		return "unknown error";
	return words[e];
}

const char *
msg_result_str(unsigned type, unsigned result)
{
	static const char *const sccrp[] = {
		[0] = "success (result 0)",
		[1] = "success", [2] = "general error",
		[3] = "command channel already exists",
		[4] = "not authorized", [5] = "protocol version not supported",
	};
	static const char *const stopccrq[] = {
		[1] = "no reason given", [2] = "protocol version not supported",
		[3] = "local shutdown",
	};
	static const char *const ok_or_error[] = {
		[1] = "ok", [2] = "general error",
	};
	static const char *const ocrp[] = {
		[1] = "connected", [2] = "general error", [3] = "no carrier",
		[4] = "busy", [5] = "no dial tone", [6] = "time-out",
		[7] = "do not accept",
	};
	static const char *const icrp[] = {
		[1] = "connect", [2] = "general error", [3] = "do not accept",
	};
	static const char *const cdn[] = {
		[0] = "no result given",
		[1] = "lost carrier", [2] = "general error",
		[3] = "administrative shutdown", [4] = "request",
	};
	const char *const *t;
	size_t n;

#define PICK(a)	(t = (a), n = sizeof(a) / sizeof((a)[0]))
	switch (type) {
	case MSG_SCCRP:		PICK(sccrp); break;
	case MSG_STOPCCRQ:	PICK(stopccrq); break;
	case MSG_STOPCCRP:	PICK(ok_or_error); break;
	case MSG_ECHORP:	PICK(ok_or_error); break;
	case MSG_OCRP:		PICK(ocrp); break;
	case MSG_ICRP:		PICK(icrp); break;
	case MSG_CDN:		PICK(cdn); break;
	default:		return "unknown result";
	}
#undef PICK
	if (result >= n || t[result] == NULL)
		return "unknown result";
	return t[result];
}

const char *
msg_error_str(unsigned error)
{
	static const char *const words[] = {
		[0] = "no error", [1] = "not connected", [2] = "bad format",
		[3] = "bad value", [4] = "no resource", [5] = "bad call ID",
		[6] = "PAC error",
	};

	if (error >= sizeof(words) / sizeof(words[0]))
		return "unknown error";
	return words[error];
}

void
msg_reader_init(struct msg_reader *r)
{
	memset(r, 0, sizeof(*r));
}

enum msg_err
msg_reader_next(struct msg_reader *r, const uint8_t *data, size_t len,
    size_t *used)
{
	size_t want, take;
	enum msg_err e;

	*used = 0;
	if (r->err != MSG_OK)
		return r->err;
	/* The previous call handed out a whole message: start the next. */
	if (r->have >= MSG_HDR_LEN && r->have == r->hdr.length)
		r->have = 0;

	for (;;) {
		want = r->have < MSG_HDR_LEN ? MSG_HDR_LEN : r->hdr.length;
		take = want - r->have;
		if (take > len - *used)
			take = len - *used;
		memcpy(r->buf + r->have, data + *used, take);
		r->have += take;
		*used += take;
		if (r->have < want)
			return MSG_EAGAIN;
		if (want > MSG_HDR_LEN)
			return MSG_OK;
		/*
		 * The header just completed: judge it before waiting for the
		 * body, so that a lost stream is seen at once.  Every known
		 * type is longer than the header, so a body always follows.
		 */
		e = msg_decode_hdr(r->buf, r->have, &r->hdr);
		if (e != MSG_ETRUNC)
			return r->err = e;
	}
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PPTP control messages (RFC 2637 section 2): encode to and decode from
 * bytes in network order, and reassemble them from a TCP byte stream.
 * Pure: no I/O, no logging.
 */
#ifndef PPTP_MSG_H
#define PPTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSG_HDR_LEN		12
#define MSG_MAX_LEN		220	/* the largest type, ICRQ */
#define MSG_MAGIC		0x1A2B3C4DU
#define MSG_PPTP_CONTROL	1
#define MSG_PPTP_MGMT		2
#define MSG_VERSION		0x0100	/* protocol version 1.0 */

/* Fixed text fields; the structs hold one more byte for the NUL. */
#define MSG_HOSTNAME_LEN	64
#define MSG_VENDOR_LEN		64
#define MSG_PHONE_LEN		64
#define MSG_SUBADDR_LEN		64
#define MSG_STATS_LEN		128

/* Capability and type bits (RFC 2637 2.1, 2.7). */
#define MSG_FRAMING_ASYNC	1
#define MSG_FRAMING_SYNC	2
#define MSG_FRAMING_ANY		3
#define MSG_BEARER_ANALOG	1
#define MSG_BEARER_DIGITAL	2
#define MSG_BEARER_ANY		3

enum msg_type {
	MSG_SCCRQ = 1,
	MSG_SCCRP,
	MSG_STOPCCRQ,
	MSG_STOPCCRP,
	MSG_ECHORQ,
	MSG_ECHORP,
	MSG_OCRQ,
	MSG_OCRP,
	MSG_ICRQ,
	MSG_ICRP,
	MSG_ICCN,
	MSG_CCRQ,
	MSG_CDN,
	MSG_WEN,
	MSG_SLI,
	MSG_NTYPES
};

enum msg_err {
	MSG_OK = 0,
	MSG_EAGAIN,	/* stream reader: no whole message yet */
	MSG_ESHORT,	/* fewer bytes than the 12-byte header */
	MSG_ELEN,	/* length field impossible for any message */
	MSG_EMGMT,	/* PPTP message type 2, management */
	MSG_EPPTPTYPE,	/* PPTP message type neither 1 nor 2 */
	MSG_ECOOKIE,	/* magic cookie not 0x1A2B3C4D */
	MSG_ECTRLTYPE,	/* unknown control message type */
	MSG_EBADLEN,	/* length field not the size of its type */
	MSG_ETRUNC,	/* length field beyond the bytes at hand */
	MSG_ETRAIL,	/* bytes beyond the length field */
	MSG_ENOSPC,	/* encode: buffer too small */
	MSG_NERRS
};

struct msg_hdr {
	uint16_t	length;
	uint16_t	pptp_type;
	uint32_t	magic;
	uint16_t	ctrl_type;
	uint16_t	reserved0;	/* nonzero from Cisco PIX: log, accept */
};

/* Start-Control-Connection-Request (2.1). */
struct msg_sccrq {
	uint16_t	version;
	uint32_t	framing_caps;
	uint32_t	bearer_caps;
	uint16_t	max_channels;
	uint16_t	firmware_rev;
	char		hostname[MSG_HOSTNAME_LEN + 1];
	char		vendor[MSG_VENDOR_LEN + 1];
};

/* Start-Control-Connection-Reply (2.2). */
struct msg_sccrp {
	uint16_t	version;
	uint8_t		result;
	uint8_t		error;
	uint32_t	framing_caps;
	uint32_t	bearer_caps;
	uint16_t	max_channels;
	uint16_t	firmware_rev;
	char		hostname[MSG_HOSTNAME_LEN + 1];
	char		vendor[MSG_VENDOR_LEN + 1];
};

/* Stop-Control-Connection-Request (2.3). */
struct msg_stopccrq {
	uint8_t		reason;
};

/* Stop-Control-Connection-Reply (2.4). */
struct msg_stopccrp {
	uint8_t		result;
	uint8_t		error;
};

/* Echo-Request (2.5). */
struct msg_echorq {
	uint32_t	id;
};

/* Echo-Reply (2.6). */
struct msg_echorp {
	uint32_t	id;
	uint8_t		result;
	uint8_t		error;
};

/* Outgoing-Call-Request (2.7). */
struct msg_ocrq {
	uint16_t	call_id;
	uint16_t	call_serial;
	uint32_t	min_bps;
	uint32_t	max_bps;
	uint32_t	bearer_type;
	uint32_t	framing_type;
	uint16_t	recv_window;
	uint16_t	proc_delay;	/* tenths of a second */
	uint16_t	phone_len;
	char		phone[MSG_PHONE_LEN + 1];
	char		subaddr[MSG_SUBADDR_LEN + 1];
};

/* Outgoing-Call-Reply (2.8). */
struct msg_ocrp {
	uint16_t	call_id;	/* the server's */
	uint16_t	peer_call_id;	/* ours */
	uint8_t		result;
	uint8_t		error;
	uint16_t	cause;
	uint32_t	connect_speed;
	uint16_t	recv_window;
	uint16_t	proc_delay;
	uint32_t	phys_channel;
};

/* Incoming-Call-Request (2.9). */
struct msg_icrq {
	uint16_t	call_id;
	uint16_t	call_serial;
	uint32_t	bearer_type;
	uint32_t	phys_channel;
	uint16_t	dialed_len;
	uint16_t	dialing_len;
	char		dialed[MSG_PHONE_LEN + 1];
	char		dialing[MSG_PHONE_LEN + 1];
	char		subaddr[MSG_SUBADDR_LEN + 1];
};

/* Incoming-Call-Reply (2.10). */
struct msg_icrp {
	uint16_t	call_id;
	uint16_t	peer_call_id;
	uint8_t		result;
	uint8_t		error;
	uint16_t	recv_window;
	uint16_t	transmit_delay;
};

/* Incoming-Call-Connected (2.11). */
struct msg_iccn {
	uint16_t	peer_call_id;
	uint32_t	connect_speed;
	uint16_t	recv_window;
	uint16_t	transmit_delay;
	uint32_t	framing_type;
};

/* Call-Clear-Request (2.12): the sender's own call ID. */
struct msg_ccrq {
	uint16_t	call_id;
};

/* Call-Disconnect-Notify (2.13): the sender's (the server's) call ID. */
struct msg_cdn {
	uint16_t	call_id;
	uint8_t		result;
	uint8_t		error;
	uint16_t	cause;
	char		call_stats[MSG_STATS_LEN + 1];
};

/* WAN-Error-Notify (2.14). */
struct msg_wen {
	uint16_t	peer_call_id;
	uint32_t	crc_errors;
	uint32_t	framing_errors;
	uint32_t	hw_overruns;
	uint32_t	buf_overruns;
	uint32_t	timeouts;
	uint32_t	alignment_errors;
};

/* Set-Link-Info (2.15). */
struct msg_sli {
	uint16_t	peer_call_id;
	uint32_t	send_accm;
	uint32_t	recv_accm;
};

/* One decoded message: hdr.ctrl_type says which member is valid. */
struct msg {
	struct msg_hdr	hdr;
	union {
		struct msg_sccrq	sccrq;
		struct msg_sccrp	sccrp;
		struct msg_stopccrq	stopccrq;
		struct msg_stopccrp	stopccrp;
		struct msg_echorq	echorq;
		struct msg_echorp	echorp;
		struct msg_ocrq		ocrq;
		struct msg_ocrp		ocrp;
		struct msg_icrq		icrq;
		struct msg_icrp		icrp;
		struct msg_iccn		iccn;
		struct msg_ccrq		ccrq;
		struct msg_cdn		cdn;
		struct msg_wen		wen;
		struct msg_sli		sli;
	};
};

/* A message of the given type with every field zero, ready to fill. */
void msg_init(struct msg *m, enum msg_type type);

/* Wire length of a control message type, 0 for an unknown type. */
size_t msg_type_len(unsigned type);

/* RFC abbreviation of a type ("SCCRQ"), or "unknown". */
const char *msg_type_name(unsigned type);

/*
 * Check the header at buf (len bytes at hand, at least the header):
 * message type 1, magic cookie, a known control type and its length,
 * and the length not beyond len.  Fills *h with the fields as read,
 * whatever the verdict, so that the caller can log the bad value.
 * A nonzero reserved0 is accepted: the caller checks h->reserved0.
 */
enum msg_err msg_decode_hdr(const uint8_t *buf, size_t len,
    struct msg_hdr *h);

/* Decode one whole message of exactly len bytes into *m. */
enum msg_err msg_decode(const uint8_t *buf, size_t len, struct msg *m);

/*
 * Encode *m (its hdr.ctrl_type picks the member; the rest of hdr is
 * ignored) into buf.  Returns the length written, 0 if cap is too small
 * or the type unknown.  Text fields are written NUL-padded; every
 * reserved field is written as zero.
 */
size_t msg_encode(const struct msg *m, uint8_t *buf, size_t cap);

/* Words for an enum msg_err, e.g. "bad magic cookie". */
const char *msg_strerror(enum msg_err e);

/*
 * Words for a result code of a reply or notification type (SCCRP,
 * STOPCCRQ reason, STOPCCRP, ECHORP, OCRP, ICRP, CDN), e.g. OCRP 4 ->
 * "busy"; "unknown result" for a code the RFC does not define.
 */
const char *msg_result_str(unsigned type, unsigned result);

/* Words for a general error code (2.16), e.g. 5 -> "bad call ID". */
const char *msg_error_str(unsigned error);

/*
 * Stream reader: assembles control messages from TCP reads that arrive
 * in arbitrary pieces.  Feed it bytes with msg_reader_next() in a loop:
 *
 *	while (off < n) {
 *		e = msg_reader_next(&r, buf + off, n - off, &used);
 *		off += used;
 *		if (e == MSG_EAGAIN)
 *			break;
 *		if (e != MSG_OK)
 *			stream lost: log msg_strerror(e) and r.hdr, close;
 *		msg_decode(r.buf, r.hdr.length, &m) ...
 *	}
 *
 * Any error but MSG_EAGAIN means the stream is lost (RFC 2637: close,
 * never resynchronise); the reader stays in error until reinitialised.
 */
struct msg_reader {
	uint8_t		buf[MSG_MAX_LEN];
	size_t		have;		/* bytes of the current message */
	struct msg_hdr	hdr;		/* valid once have >= MSG_HDR_LEN */
	enum msg_err	err;		/* sticky stream error */
};

void msg_reader_init(struct msg_reader *r);
enum msg_err msg_reader_next(struct msg_reader *r, const uint8_t *data,
    size_t len, size_t *used);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Messages between a pptp instance (one call, one gateway) and the call
 * manager that holds the server's control connection, over a unix
 * SOCK_SEQPACKET socket: type u16, length u16, body, network order, each
 * checked for its exact length like a wire message.  Pure.
 */
#ifndef PPTP_CM_MSG_H
#define PPTP_CM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CM_WHY_LEN	256
#define CM_PHONE_LEN	64
#define CM_LINE_LEN	1024
#define CM_MAX_LEN	(4 + CM_LINE_LEN)

enum cm_type {
	CM_CALL_REQ = 1,	/* instance: place a call for me */
	CM_CALL_UP,		/* manager: it is up, with these IDs */
	CM_CALL_DOWN,		/* manager: it ended, status and words */
	CM_SLI,			/* manager: the server sent Set-Link-Info */
	CM_STATS_FD,		/* gateway: its statistics page (SCM_RIGHTS) */
	CM_STATUS_REQ,		/* pptp --status: what is going on? */
	CM_STATUS_LINE,		/* manager: one line of the answer (status.h) */
	CM_NTYPES
};

struct cm_msg {
	enum cm_type	type;
	union {
		struct {
			uint16_t	window;
			uint16_t	ppd;
			bool		sync;
			char		phone[CM_PHONE_LEN + 1];
		} req;
		struct {
			uint16_t	call_id;
			uint16_t	peer_call_id;
			uint16_t	peer_window;
			uint16_t	peer_ppd;
			uint32_t	speed;
		} up;
		struct {
			uint16_t	status;	/* enum pptp_exit */
			char		why[CM_WHY_LEN + 1];
		} down;
		struct {
			uint32_t	send_accm;
			uint32_t	recv_accm;
		} sli;
		char		line[CM_LINE_LEN + 1];
	};
};

/* Bytes written, 0 if cap is too small or the type unknown. */
size_t cm_encode(const struct cm_msg *m, uint8_t *buf, size_t cap);

/* 0, or -1 if len is not exactly a known type's message. */
int cm_decode(const uint8_t *buf, size_t len, struct cm_msg *m);

#endif

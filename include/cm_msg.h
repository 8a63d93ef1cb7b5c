/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The message set between a pptp instance (one call, one gateway) or
 * pptp --status and the call manager that holds the server's control
 * connections, on the framing of ipc.h: each type's payload has one
 * length, checked exactly like a wire message's.
 *
 *   instance -> manager: CM_CALL_REQ, then CM_STATS_FD (the gateway's
 *     statistics page passed beside it); closing its end hangs up.
 *   manager -> instance: CM_CALL_UP or CM_CALL_DOWN, CM_SLI, CM_CALL_DOWN.
 *   pptp --status -> manager: CM_STATUS_REQ; the answer: CM_STATUS_LINE
 *     after CM_STATUS_LINE (status.h), the last one "end".
 */
#ifndef PPTP_CM_MSG_H
#define PPTP_CM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ipc.h"

#define CM_WHY_LEN	256
#define CM_PHONE_LEN	64
#define CM_LINE_LEN	1024

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

/* Pure.  m's payload into buf: its length, -1 if cap is too small or the
   type unknown. */
ssize_t cm_pack(const struct cm_msg *m, uint8_t *buf, size_t cap);

/* Pure.  0, or -1 if the payload is not exactly a known type's. */
int cm_unpack(uint16_t type, const uint8_t *payload, size_t len,
    struct cm_msg *m);

/* Send m, with the descriptor fd if >= 0: ipc_send()'s result. */
int cm_send(int sock, const struct cm_msg *m, int fd, uint64_t deadline_ms);

/*
 * Receive one message: ipc_recv()'s result, and -1 with EBADMSG too for
 * a message that is not one of ours (raw->size: its length).  The
 * descriptor passed with a message of ours, if any, is in raw->fd: the
 * caller's to close.
 */
int cm_recv(int sock, struct cm_msg *m, struct ipc_msg *raw,
    uint64_t deadline_ms);

#endif

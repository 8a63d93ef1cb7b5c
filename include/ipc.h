/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Framed messages between pptp's own processes: the instance and its
 * call manager, pptp --status and the call manager, the call manager and
 * its keeper, the gateway and pppd's watchdog.  Over a unix
 * SOCK_SEQPACKET socket each message is one packet:
 *
 *	type (u16) | length (u16, the whole message's) | payload
 *
 * in network order, with at most one descriptor passed beside it
 * (SCM_RIGHTS).  Every read and write has a deadline on CLOCK_MONOTONIC,
 * in ms (now_ms()).  The framing is checked here, once; each pair of
 * processes has a small message set on top that checks each type's
 * payload (cm_msg.h; keeper.c; watchdog.c).
 */
#ifndef PPTP_IPC_H
#define PPTP_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IPC_HDR_LEN	4
#define IPC_MAX_LEN	2048	/* a whole message, header included */
#define IPC_MAX_PAYLOAD	(IPC_MAX_LEN - IPC_HDR_LEN)

/* Deadlines with a meaning of their own. */
#define IPC_NOWAIT	0		/* try once; EAGAIN if it would wait */
#define IPC_FOREVER	UINT64_MAX	/* none: only to wait for the peer's end */

enum ipc_err {
	IPC_OK = 0,
	IPC_ESHORT,	/* fewer bytes than a header */
	IPC_ETOOBIG,	/* more than IPC_MAX_LEN */
	IPC_EBADLEN,	/* the length field is not the bytes there */
	IPC_ETYPE,	/* type 0: none is */
};

/* A message in a buffer: its type, and its payload within the buffer. */
struct ipc_frame {
	uint16_t	 type;
	const uint8_t	*payload;
	size_t		 len;
};

/*
 * Pure.  ipc_encode: the message (type, len bytes of payload) into buf:
 * its length, 0 if type is 0, it is longer than IPC_MAX_LEN or cap is too
 * small.  ipc_decode: the message that is exactly buf[0..len), or why
 * not (ipc_strerror names it).
 */
size_t ipc_encode(uint16_t type, const void *payload, size_t len,
    uint8_t *buf, size_t cap);
enum ipc_err ipc_decode(const uint8_t *buf, size_t len, struct ipc_frame *f);
const char *ipc_strerror(enum ipc_err e);

/* A message received: its payload copied out, and its descriptor. */
struct ipc_msg {
	uint16_t	type;
	size_t		len;		/* of the payload */
	size_t		size;		/* bytes received, header included */
	int		fd;		/* passed with it (O_CLOEXEC), or -1 */
	uint8_t		payload[IPC_MAX_PAYLOAD];
};

/*
 * Send one message, with the descriptor fd if fd >= 0 (it stays ours),
 * by deadline_ms.  0, or -1 with errno: EAGAIN (IPC_NOWAIT, no room),
 * ETIMEDOUT, EMSGSIZE (too long), or the socket's error (EPIPE: the peer
 * is gone).  Never SIGPIPE.
 */
int ipc_send(int sock, uint16_t type, const void *payload, size_t len,
    int fd, uint64_t deadline_ms);

/*
 * Receive one message by deadline_ms.  1: *m holds it (the first
 * descriptor passed kept in m->fd, any other closed); 0: the peer closed
 * its end (or shut it for writing); -1 with errno: EAGAIN (IPC_NOWAIT,
 * none there), ETIMEDOUT, EBADMSG (a packet that is no message, an empty
 * one from a peer still there included: m->size says how long, nothing
 * kept), or the socket's error.
 */
int ipc_recv(int sock, struct ipc_msg *m, uint64_t deadline_ms);

/*
 * fork() with a SOCK_SEQPACKET socketpair (close-on-exec) between the
 * two processes: fork's result, and in each process *fd its own end; -1
 * with errno if there is no pair or no process.
 */
pid_t ipc_fork(int *fd);

#endif

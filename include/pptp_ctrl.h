/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PPTP control connection and its calls, RFC 2637 section 3, as the
 * PNS: state machines and timers, no sockets.  The owner (the call
 * manager) feeds received bytes with ctrl_input(), expires timers with
 * ctrl_timer(), writes what ctrl_output() hands out to the TCP socket,
 * and hears of calls coming up and going down through struct ctrl_ops.
 */
#ifndef PPTP_CTRL_H
#define PPTP_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pptp_msg.h"

struct quirk;

#define CTRL_MAX_CALLS	64
#define CTRL_OUT_LEN	8192

enum ctrl_state {
	CTRL_IDLE,
	CTRL_WAIT_REPLY,	/* SCCRQ sent */
	CTRL_UP,		/* established */
	CTRL_WAIT_STOP,		/* StopCCRQ sent */
	CTRL_DEAD,
};

enum call_state {
	CALL_FREE,
	CALL_PENDING,		/* waiting for the connection to come up */
	CALL_WAIT_REPLY,	/* OCRQ sent */
	CALL_UP,
	CALL_CLEARING,		/* CCRQ sent, waiting for CDN */
};

struct ctrl_call {
	enum call_state	 state;
	uint16_t	 call_id;	/* ours: the server's GRE key */
	uint16_t	 peer_call_id;	/* the server's: our GRE key */
	uint16_t	 serial;
	uint16_t	 window;	/* our receive window */
	uint16_t	 ppd;		/* our processing delay, 1/10 s */
	uint16_t	 peer_window;	/* 0: no limit (Windows) */
	uint16_t	 peer_ppd;
	uint32_t	 connect_speed;
	bool		 sync;		/* framing: sync instead of async */
	char		 phone[MSG_PHONE_LEN + 1];
	uint64_t	 due_ms;	/* reply or CDN deadline, 0 = none */
	unsigned	 slis_said;	/* Set-Link-Info logged at info */
	void		*owner;		/* the call manager's client */
	bool		 leaving;	/* the owner asked to clear it */
};

struct ctrl_ops {
	/* The call is up: the IDs and the server's window are known. */
	void	(*call_up)(void *arg, struct ctrl_call *call);
	/*
	 * The call is gone (refused, disconnected, cleared, or the
	 * connection ended); status is an enum pptp_exit, why one line
	 * of plain words.  The call's slot is free after this returns.
	 */
	void	(*call_down)(void *arg, struct ctrl_call *call, int status,
		    const char *why);
	/* The server sent Set-Link-Info for the call. */
	void	(*sli)(void *arg, struct ctrl_call *call, uint32_t send_accm,
		    uint32_t recv_accm);
	/*
	 * A call its owner closed is gone for good (the CDN came, or its
	 * wait ran out, or the connection ended): the owner may go.
	 */
	void	(*cleared)(void *arg, void *owner);
	/*
	 * Optional: is this call ID taken elsewhere (another connection to
	 * the same server)?  GRE is told apart by our call ID alone.
	 */
	bool	(*id_taken)(void *arg, uint16_t call_id);
};

struct ctrl_cfg {
	const char		*server;	/* for log lines */
	char			 hostname[MSG_HOSTNAME_LEN + 1];
	const struct quirk	*quirk;		/* NULL: none */
	uint16_t		 first_call_id;	/* random, nonzero */
	uint16_t		 first_serial;
	unsigned		 idle_wait_ms;	/* silence before Echo-Request */
	unsigned		 echo_wait_ms;	/* wait for Echo-Reply */
	unsigned		 reply_wait_ms;	/* SCCRP, OCRP */
	unsigned		 cdn_wait_ms;	/* CDN after our CCRQ */
	unsigned		 stop_wait_ms;	/* StopCCRP after our StopCCRQ */
};

#define CTRL_QUIRK_CHOSEN	(1u << 31)	/* the quirk of cfg.quirk */

struct ctrl_conn {
	enum ctrl_state		 state;
	struct ctrl_cfg		 cfg;
	const struct ctrl_ops	*ops;
	void			*arg;
	struct msg_reader	 rd;
	uint8_t			 out[CTRL_OUT_LEN];
	size_t			 out_len;
	uint64_t		 reply_due_ms;	/* SCCRP or StopCCRP */
	uint64_t		 idle_due_ms;	/* send Echo-Request then */
	uint64_t		 echo_due_ms;	/* Echo-Reply expected by */
	uint32_t		 echo_id;
	uint16_t		 next_call_id;
	uint16_t		 next_serial;
	uint32_t		 quirks_told;	/* said once: quirk_at(i)'s bit
						   i, CTRL_QUIRK_CHOSEN */
	bool			 stuck;		/* output full */
	int			 status;	/* enum pptp_exit once DEAD */
	char			 why[256];
	struct msg_sccrp	 peer;		/* the server's SCCRP */
	struct ctrl_call	 calls[CTRL_MAX_CALLS];
};

void ctrl_init(struct ctrl_conn *c, const struct ctrl_cfg *cfg,
    const struct ctrl_ops *ops, void *arg);

/* The TCP connection is up: send SCCRQ. */
void ctrl_open(struct ctrl_conn *c, uint64_t now);

/* Bytes received from the server, in any pieces. */
void ctrl_input(struct ctrl_conn *c, const uint8_t *data, size_t len,
    uint64_t now);

/* The TCP connection ended (EOF or error, described by why). */
void ctrl_tcp_closed(struct ctrl_conn *c, int status, const char *why);

/* Expire every deadline at or before now. */
void ctrl_timer(struct ctrl_conn *c, uint64_t now);

/* The nearest deadline, 0 if none. */
uint64_t ctrl_next_deadline(const struct ctrl_conn *c);

/* Stop the connection (StopCCRQ, local shutdown); calls are ended. */
void ctrl_close(struct ctrl_conn *c, uint64_t now);

/*
 * Place a call for owner (sent at once if the connection is up, else when
 * it comes up).  Returns the call, or NULL when no slot or no call ID is
 * free or the connection is closing; then nothing was sent.
 */
struct ctrl_call *ctrl_call_open(struct ctrl_conn *c, void *owner,
    uint16_t window, uint16_t ppd, bool sync, const char *phone,
    uint64_t now);

/*
 * The owner is done with the call: clear it (CCRQ, then wait for CDN,
 * bounded).  No call_up, call_down or sli names the call again; cleared
 * tells the owner, once, when the call is gone (perhaps at once).
 */
void ctrl_call_close(struct ctrl_conn *c, struct ctrl_call *call,
    uint64_t now);

/* Calls that are not free. */
unsigned ctrl_ncalls(const struct ctrl_conn *c);

/* Bytes waiting to be written, and how many were written. */
size_t ctrl_output(struct ctrl_conn *c, const uint8_t **p);
void ctrl_output_done(struct ctrl_conn *c, size_t n);

const char *ctrl_state_name(enum ctrl_state s);

#endif

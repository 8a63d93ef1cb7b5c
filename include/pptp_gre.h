/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GRE-to-PPP gateway: one call's data path between pppd (async HDLC
 * or, with --sync, raw frames on a pty or stdin/stdout) and a raw IP
 * protocol 47 socket to the server (RFC 2637 section 4).
 */
#ifndef PPTP_GRE_H
#define PPTP_GRE_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "pptp_opts.h"

struct gre_call {
	struct pptp_addr server;	/* IPv4 (addr.h) */
	uint16_t	call_id;	/* ours: the key on what we receive */
	uint16_t	peer_call_id;	/* the server's: the key we send */
	uint16_t	peer_window;	/* 0: no limit */
	pid_t		pppd;		/* the pppd we launched, 0 if none */
	int		pppd_fd;	/* its pidfd, taken before it could
					   be reaped; -1 if none */
	int		pty_slave;	/* held until pppd has the pty open,
					   -1 if none */
	int		report_fd;	/* pppd's wait status (an int) is
					   written here when it exits, then
					   closed; -1 if none */
};

/*
 * Run the gateway until pppd goes away (EOF on ppp_in, or call->pppd
 * exits), the call manager ends the call (cm_fd), or *stop is set by a
 * signal handler (a pppd we launched is asked to stop first and given a
 * moment to end the link).  A pppd we launched that neither sets up
 * its line (PPP's line discipline) nor writes on its pty
 * (call->pty_slave) within 10 s ends the call too.  SIGUSR1
 * dumps the statistics.  Returns an enum pptp_exit.
 */
int gre_run(const struct pptp_opts *o, const struct gre_call *call,
    int ppp_in, int ppp_out, int cm_fd, volatile sig_atomic_t *stop);

/* The next IP_RECVERR error queued on a raw GRE socket (gre_sock.c). */
struct sock_extended_err;
int gre_next_error(int sock, struct sock_extended_err *ee);

#endif

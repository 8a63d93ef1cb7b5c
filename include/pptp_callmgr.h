/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The call manager: one process per server (and --localbind address)
 * that holds the TCP control connection and serves the calls of every
 * pptp instance for that server, through a unix socket in --rundir.
 */
#ifndef PPTP_CALLMGR_H
#define PPTP_CALLMGR_H

#include <netinet/in.h>
#include <signal.h>

#include "pptp_opts.h"

#define PPTP_PORT	1723

/*
 * Connect to the call manager for server, starting one if none is alive
 * (a socket whose connect fails is stale: removed, replaced).  Returns a
 * SOCK_SEQPACKET fd to it, or -1 after logging why (or, with errno EINTR,
 * silently when *stop was set by a signal meanwhile).
 */
int callmgr_attach(const struct pptp_opts *o, struct in_addr server,
    volatile sig_atomic_t *stop);

#endif

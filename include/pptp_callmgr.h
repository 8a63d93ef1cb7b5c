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

#include <stdbool.h>
#include <sys/types.h>

#include "cm_msg.h"
#include "pptp_opts.h"

#define PPTP_PORT	1723

/* A client that has not spoken by then is dropped (ms after accept). */
#define CM_HELLO_MS	5000

/*
 * Connect to the call manager for server, starting one if none is alive
 * (a socket whose connect fails is stale: removed, replaced).  Returns a
 * SOCK_SEQPACKET fd to it, or -1 after logging why (or, with errno EINTR,
 * silently when *stop was set by a signal meanwhile).
 */
int callmgr_attach(const struct pptp_opts *o, struct in_addr server,
    volatile sig_atomic_t *stop);

/*
 * May a call manager whose socket was made by uid (SO_PEERCRED: the
 * process that called listen(), an instance before any privilege drop)
 * serve us?  Root, or our effective uid.
 */
bool trusted_manager_uid(uid_t uid);

/*
 * A CM_CALL_DOWN: its words logged, escaped (not for PPTP_EXIT_RETRY,
 * which the instance handles quietly); returns its status if it is one
 * of enum pptp_exit, else PPTP_EXIT_ERROR (logged).
 */
int callmgr_down(const struct cm_msg *m);

#endif

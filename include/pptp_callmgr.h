/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The call manager: one process per server (and --localbind address)
 * that holds the TCP control connections and serves the calls of every
 * pptp instance for that server, through a unix socket in --rundir
 * (rendezvous.h).
 */
#ifndef PPTP_CALLMGR_H
#define PPTP_CALLMGR_H

#include "addr.h"
#include "cm_msg.h"
#include "pptp_ctrl.h"
#include "pptp_opts.h"

#define PPTP_PORT	1723

/* A client that has not spoken by then is dropped (ms after accept). */
#define CM_HELLO_MS	5000

#define CM_MAX_CALLS	CTRL_MAX_CALLS	/* calls a call manager holds */
/* and room beside them for pptp --status, and to tell a caller too many */
#define CM_MAX_CLIENTS	(CM_MAX_CALLS + 8)

/*
 * Start the call manager for server on the listening socket lfd (at
 * path), in a grandchild of ours (init's, not ours, once we go) below
 * its keeper; lockfd, the run directory's lock, is not passed on.  -1 if
 * no process could be made.
 */
int callmgr_spawn(const struct pptp_opts *o,
    const struct pptp_addr *server, int lfd, int lockfd, const char *path);

/*
 * A CM_CALL_DOWN: its words logged, escaped (not for PPTP_EXIT_RETRY,
 * which the instance handles quietly); returns its status if it is one
 * of enum pptp_exit, else PPTP_EXIT_ERROR (logged).
 */
int callmgr_down(const struct cm_msg *m);

#endif

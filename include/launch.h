/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Launch mode: pppd on a pty, started once the call is up, and the
 * command's own process waiting for pppd's status (launch.c).
 */
#ifndef PPTP_LAUNCH_H
#define PPTP_LAUNCH_H

#include <signal.h>

#include "pptp_gre.h"
#include "pptp_opts.h"

/*
 * The call is up: pppd's side (launched on a pty, unless
 * --nolaunchpppd), then the gateway until the end.  *stop and *usr1 are
 * the signal handlers' flags (*stop: the stop signal's number).  Returns
 * the exit status: in launch mode pppd's, if its first process ended
 * while the gateway ran (with --debug; else the waiting parent exits
 * with it and this returns in the child alone).
 */
int launch_run(const struct pptp_opts *o, struct gre_call *call, int cm_fd,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *usr1);

#endif

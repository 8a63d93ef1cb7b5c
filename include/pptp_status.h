/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pptp --status [--json] [HOST]: asks every call manager in --rundir what
 * its connections and calls are doing, and shows it as a table or one
 * JSON document (pptp(8), STATUS).
 */
#ifndef PPTP_STATUS_CMD_H
#define PPTP_STATUS_CMD_H

#include "pptp_opts.h"

/* The exit status: 0 tunnels shown, 3 none (to HOST), 1 an error. */
int status_main(const struct pptp_opts *o);

#endif

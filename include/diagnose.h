/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pptp --diagnose HOST (pptp(8) DIAGNOSE): walk the stages of a tunnel
 * (name, local, tcp, control, call, gre, clear) without credentials and
 * without pppd, say per stage what was tried and what came back, and
 * end with a verdict: the cause and the fix in words.
 */
#ifndef PPTP_DIAGNOSE_H
#define PPTP_DIAGNOSE_H

#include "pptp_opts.h"

/* Waits of the network stages (documented in pptp(8) DIAGNOSE). */
#define DIAG_REPLY_MAX_S	5	/* SCCRP, OCRP: --reply-timeout, at
					   most this */
#define DIAG_GRE_WAIT_MS	4000	/* GRE from the server */
#define DIAG_LCP_EVERY_MS	1000	/* our Configure-Request again */
#define DIAG_CLEAR_WAIT_MS	5000	/* CDN, and StopCCRP */
#define DIAG_PPPD_WAIT_MS	2000	/* pppd --version */

/* Run it for o->server; returns the exit status (enum pptp_exit). */
int diagnose_main(const struct pptp_opts *o);

#endif

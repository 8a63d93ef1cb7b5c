/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Everything the command line sets, filled by pptp.c and passed down; and
 * the exit statuses every process of pptp uses.
 */
#ifndef PPTP_OPTS_H
#define PPTP_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "sandbox.h"

#define PPTP_RUNDIR_DEFAULT	"/var/run/pptp"

/* --share-connection: may a call go over a connection that has one? */
enum pptp_share {
	SHARE_AUTO,		/* when the server says it can carry it */
	SHARE_NEVER,		/* one call per control connection */
	SHARE_ALWAYS,		/* every call over one connection */
};

struct pptp_opts {
	const char	*server;	/* HOST as given */
	const char	*phone;		/* --phone */
	const char	*quirks;	/* --quirks */
	const char	*logstring;	/* --logstring */
	const char	*localbind;	/* --localbind, dotted quad */
	const char	*rundir;	/* --rundir */
	const char	*client_hostname; /* --client-hostname, NULL: ours */
	const char	*user;		/* --user, NULL: the default */
	bool		 nosandbox;	/* --nosandbox */
	struct sandbox	 sandbox;	/* filled before setup */
	const char	*pppd_path;	/* --pppd, absolute (PPPD_PATH) */
	enum pptp_share	 share;		/* --share-connection */
	bool		 status;	/* --status: show tunnels, no call */
	bool		 diagnose;	/* --diagnose: test the way, no call
					   kept (diagnose.c) */
	bool		 json;		/* --json: as one JSON document */
	bool		 nolaunchpppd;
	bool		 debug;
	bool		 sync;
	bool		 nobuffer;
	bool		 nohostroute;
	bool		 rtmark_set;
	uint32_t	 rtmark;
	int		 loglevel;
	uint64_t	 timeout_ms;	/* --timeout: reorder wait */
	bool		 timeout_set;	/* given: a fixed wait, not adaptive */
	unsigned	 idle_wait_s;
	unsigned	 max_echo_wait_s;
	unsigned	 reply_timeout_s;
	unsigned	 connect_timeout_s;
	unsigned	 missing_window;
	unsigned	 window;
	unsigned	 test_type;
	unsigned	 test_rate;
	char		**pppd_args;	/* options for a pppd we launch */
	int		 pppd_nargs;
};

/* Exit statuses: what a supervisor can act on (see pptp(8)). */
enum pptp_exit {
	PPTP_EXIT_OK = 0,	/* ended as asked: signal, pppd gone */
	PPTP_EXIT_ERROR = 1,	/* local failure (resources, privileges) */
	PPTP_EXIT_USAGE = 2,	/* bad command line */
	PPTP_EXIT_CONNECT = 3,	/* no TCP connection to the server */
	PPTP_EXIT_REFUSED = 4,	/* server refused the control connection */
	PPTP_EXIT_CALL_REFUSED = 5, /* server refused the call */
	PPTP_EXIT_HANGUP = 6,	/* server ended the call or connection */
	PPTP_EXIT_TIMEOUT = 7,	/* server stopped answering */
	PPTP_EXIT_PROTOCOL = 8,	/* server sent a malformed message */
	PPTP_EXIT_RETRY = 9,	/* internal: call manager was closing */
	/* pptp --diagnose: the first stage that failed (diagnose.c) */
	PPTP_EXIT_DIAG_NAME = 10,	/* the name does not resolve */
	PPTP_EXIT_DIAG_LOCAL = 11,	/* the network passed; this machine
					   cannot run pppd's side yet */
	PPTP_EXIT_DIAG_TCP = 12,	/* no TCP connection to port 1723 */
	PPTP_EXIT_DIAG_CONTROL = 13,	/* no control connection */
	PPTP_EXIT_DIAG_CALL = 14,	/* the call was not accepted */
	PPTP_EXIT_DIAG_GRE = 15,	/* GRE does not pass both ways */
	PPTP_EXIT_DIAG_CLEAR = 16,	/* the server did not clear */
};

#endif

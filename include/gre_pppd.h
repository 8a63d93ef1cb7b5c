/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pppd a gateway launched, as the gateway holds it (gre_pppd.c): its
 * reaping and the report of its wait status, its signals (sent by the
 * gateway itself, or through pppd's watchdog once the gateway is
 * sandboxed), and its end.  And, in --nolaunchpppd mode, which pppd runs
 * us, for pptp --status.
 */
#ifndef PPTP_GRE_PPPD_H
#define PPTP_GRE_PPPD_H

#include <stdbool.h>
#include <sys/types.h>

#include "sandbox.h"

struct gre_pppd {
	const char	*addr;		/* the server's, for logs */
	pid_t		 pid;		/* 0: none, or reaped */
	int		 pidfd;		/* pppd's, until the watchdog has
					   it; -1: none */
	int		 report_fd;	/* its wait status goes here, -1 */
	int		 watch;		/* to its watchdog, -1: none */
	pid_t		 watch_pid;	/* our child, to reap */
	bool		 sandboxed;	/* beyond our own signals */
};

/*
 * pid, pidfd (ours to close), report_fd: from struct gre_call; addr:
 * kept, for logs.
 */
void pppd_init(struct gre_pppd *p, pid_t pid, int pidfd, int report_fd,
    const char *addr);

/* Its watchdog, before the gateway enters its sandbox: 0, or -1 (said). */
int pppd_watchdog_start(struct gre_pppd *p, const struct sandbox *sb);

/*
 * After SIGCHLD.  pppd_watchdog_reap: a watchdog that ended (killed: it
 * ends with us otherwise) is reaped, and said.  pppd_reap: has pppd
 * exited?  Then its status is reported, and true when that ends the call
 * (anything but status 0, which is pppd going to the background);
 * stopping: we asked it to end, so no warning.
 */
void pppd_watchdog_reap(struct gre_pppd *p);
bool pppd_reap(struct gre_pppd *p, bool stopping);

/* A signal to pppd, by its pidfd, through its watchdog when sandboxed:
   false if none could go. */
bool pppd_signal(struct gre_pppd *p, int sig);

/* Has pppd ended within ms?  Then its status is reported. */
bool pppd_wait(struct gre_pppd *p, int ms);

/* The end, once its hangup did not end it: TERM, then KILL. */
void pppd_end(struct gre_pppd *p);

/* What is left goes: the watchdog's socket (it ends, and pppd if it
   still runs), pppd's pidfd and the report's pipe. */
void pppd_release(struct gre_pppd *p);

/*
 * Which pppd runs us (--nolaunchpppd): our parent, or the parent of the
 * shell pppd ran us through.  Our parent when neither is pppd.
 */
pid_t pppd_above(void);

#endif

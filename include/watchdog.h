/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pppd's watchdog (pptp(8) SECURITY).  A pppd that pptp launched runs as
 * root, and the sandboxed gateway may not signal it; so before it gives
 * up root the gateway forks this small process, which keeps root's user
 * (no capability, no kill(2) in its filter), reads nothing but the
 * gateway's orders (ipc.h messages of the set below, on a socketpair),
 * and signals that one pppd for it, by its pidfd alone: SIGTERM or
 * SIGKILL on order, and SIGTERM, then SIGKILL, if the gateway ends (or
 * dies) while pppd runs.  A pppd that ended is seen on its pidfd; a pid
 * reused since is never signalled, whatever the gateway says or keeps
 * quiet about.
 */
#ifndef PPTP_WATCHDOG_H
#define PPTP_WATCHDOG_H

#include <sys/types.h>

#include "sandbox.h"

/* The watchdog's message set: orders, each with an empty payload. */
enum watch_order {
	WATCH_TERM = 1,		/* SIGTERM to pppd */
	WATCH_KILL,		/* SIGKILL to pppd */
};

/*
 * The watchdog for pppd, held by pidfd (pidfd_open(2) by pppd's parent
 * before it could be reaped; the watchdog takes a copy, the caller
 * keeps its own); pppd: its pid, for titles and logs alone.  The fd to
 * give it orders on, -1 if none; its pid in *pid, for the caller (its
 * parent) to reap.
 */
int watchdog_start(const struct sandbox *sb, pid_t pppd, int pidfd,
    const char *addr, pid_t *pid);

/* An order; false if the watchdog is gone. */
int watchdog_order(int fd, enum watch_order order);

#endif

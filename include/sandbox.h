/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Least privilege (pptp(8) SECURITY).  Once a process that reads network
 * input is set up, it gives up root for an unprivileged user, every
 * capability in every set, and its file system (a chroot to an empty,
 * root-owned directory), and goes under a seccomp filter that kills it on
 * any system call its loop does not make.  The call manager's privileged
 * remainder, the keeper, keeps root's files and CAP_NET_ADMIN alone.
 */
#ifndef PPTP_SANDBOX_H
#define PPTP_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

/* The user pptp's network-facing processes become, unless --user says. */
#define SANDBOX_USER		"pptp"
#define SANDBOX_USER_FALLBACK	"nobody"

/* The empty directory they are shut in: made root's, 0555. */
#define SANDBOX_EMPTY_DIR	"/var/run/pptp/empty"

enum sandbox_role {
	SB_MANAGER,	/* the call manager: TCP 1723 */
	SB_MANAGER_BIND, /* the same, with --localbind: bind too */
	SB_GATEWAY,	/* the GRE-to-PPP gateway: GRE and pppd's pty */
	SB_DIAGNOSE,	/* pptp --diagnose: TCP and GRE, both opened */
	SB_WATCHDOG,	/* pppd's watchdog: pidfd_send_signal, no kill */
	SB_RELAY,	/* the stderr relay: read, write, exit */
	SB_LOGRELAY,	/* the log relay: the same and the clock */
};

struct sandbox {
	bool	on;		/* not --nosandbox */
	bool	switch_user;	/* we may, and will, become uid/gid */
	uid_t	uid;
	gid_t	gid;
	char	user[64];
};

/*
 * Before anything is set up: which user (--user NAME, else SANDBOX_USER
 * if it exists, else SANDBOX_USER_FALLBACK), looked up while the files
 * are still reachable.  0, or -1 after saying why.
 */
int sandbox_prepare(struct sandbox *sb, const char *user, bool off);

/* Is capability cap (linux/capability.h) in our effective set? */
bool sandbox_have_cap(int cap);

/*
 * Setup is done: become sb's user in an empty root, with no capability
 * left, no new privileges, role's resource limits (sandbox.c,
 * sandbox_limits) and role's filter.  A failure is fatal: the
 * process would go on with more than it should.  Nothing when off.
 */
void sandbox_enter(const struct sandbox *sb, enum sandbox_role role,
    const char *who);

/*
 * The keeper: root's user (for the run directory and the route lock),
 * CAP_NET_ADMIN alone if net_admin (the host route, SO_MARK), else no
 * capability, and no new privileges.  pppd's watchdog likewise, with no
 * capability: root's user is what lets it signal pppd (see also
 * sandbox_helper).
 */
void sandbox_keeper(const struct sandbox *sb, bool net_admin);

/*
 * A root helper that reads no network input, role SB_WATCHDOG (pppd's
 * watchdog: signals by pidfd alone, no kill, no tgkill but to itself),
 * SB_RELAY (the stderr relay, relay.h: read, write and exit alone) or
 * SB_LOGRELAY (the log relay, logrelay.h: the same and the clock): as
 * the keeper without a capability, and its role's filter.  who names it
 * in a failure.  Nothing when off.
 */
void sandbox_helper(const struct sandbox *sb, enum sandbox_role role,
    const char *who);

#endif

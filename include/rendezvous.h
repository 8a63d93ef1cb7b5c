/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rendezvous: how a pptp instance finds the call manager for its
 * server, and whom each side trusts.  The run directory (checked: a
 * directory of root's or ours, writable by no one else; its lock, a
 * file in it, taken while one instance looks for or starts a manager
 * and by a keeper that removes its manager's socket), the socket's name
 * in it (server, network namespace, options), connecting to the socket
 * or listening on it, and the peer credentials (SO_PEERCRED) of what
 * answers there.
 */
#ifndef PPTP_RENDEZVOUS_H
#define PPTP_RENDEZVOUS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "pptp_opts.h"

/*
 * Deadlines (pptp(8) DEADLINES).  RDV_LOCK_MS: the run directory's lock
 * is waited for that long at most.  RDV_ANSWER_MS: a call manager takes
 * a newcomer in (accept) and reads its request within that; one that
 * does not is stopped or stuck, and the instance gives up in words.
 */
#define RDV_LOCK_MS	5000
#define RDV_ANSWER_MS	2000

/*
 * Connect to the call manager for server, starting one (callmgr_spawn)
 * if none is alive (a socket whose connect fails is stale: removed,
 * replaced).  Returns a SOCK_SEQPACKET fd to it, or -1 after logging why
 * (or silently: with errno EINTR when *stop was set by a signal
 * meanwhile, ETIME when a wait reached by_ms, the caller's deadline for
 * the whole attempt, a CLOCK_MONOTONIC time in ms; UINT64_MAX: none).
 */
int rdv_attach(const struct pptp_opts *o, const struct pptp_addr *server,
    volatile sig_atomic_t *stop, uint64_t by_ms);

/*
 * A run directory, checked: made (0700) if missing; a directory, not a
 * symbolic link, root's or our effective user's, writable by no one
 * else.  Open (O_DIRECTORY), or -1 after one line saying why.
 */
int rdv_dir_open(const char *dir);

/*
 * The same checks, for pptp --status, which makes nothing: -1 with errno
 * ENOENT, and nothing said, if dir is missing.
 */
int rdv_dir_read(const char *dir);

/*
 * The run directory's lock: RDV_LOCK_NAME in it, made 0600, and taken
 * only if it is a regular file of root's (or our effective user's) that
 * no one else may open: the directory itself may be readable by all,
 * and whoever can open a file can flock it.  The holder removes it on
 * rdv_unlock (a file locked is checked to be the one at that name).
 */
#define RDV_LOCK_NAME	"lock"

/*
 * Take the lock of the run directory dirfd (named dir, for the log),
 * waiting wait_ms at most, with the stop signals let through.  Its fd,
 * or -1: errno ETIMEDOUT (nothing said), EINTR (*stop was set; nothing
 * said), or another after one line saying why.
 */
int rdv_lock(int dirfd, const char *dir, int wait_ms,
    volatile sig_atomic_t *stop);

/* Let the lock go: its file removed, then closed.  -1 is none. */
void rdv_unlock(int dirfd, int lockfd);

/* Our network namespace's identity (0 without /proc). */
unsigned long rdv_netns_id(void);

/*
 * The host route's lock for server: one per server and namespace, in
 * PPTP_RUNDIR_DEFAULT (made if missing) whatever --rundir says.
 */
void rdv_route_lock_path(const struct pptp_addr *server, char *out,
    size_t outsz);

/* The peer of a connected unix socket: uid and pid; -1 with errno. */
int rdv_peer(int fd, uid_t *uid, pid_t *pid);

/*
 * Was the call manager's socket fd (at path) made by root or by our
 * effective uid?  If not, or if it cannot be told, one line says so:
 * "PREFIXthe call manager at PATH is of uid U (pid P), not root or
 * ours: REFUSAL".
 */
bool rdv_manager_trusted(int fd, const char *path, const char *prefix,
    const char *refusal);

#endif

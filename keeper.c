// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keeper (keeper.h): the call manager's parent, which keeps root's
 * files and CAP_NET_ADMIN so that the manager, which parses what the
 * server sends, needs neither.  It serves requests on a SOCK_SEQPACKET
 * socketpair until the manager's end closes, then cleans up after it
 * whichever way it ended, a SIGKILL included.  Requests and replies
 * are ipc.h messages of the small set below.  A request that the
 * options rule out (a route with --nohostroute, a mark without
 * --rtmark) or that it does not know can only come from a manager
 * turned hostile: it is served no more.
 */
#include "keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"
#include "route.h"
#include "sandbox.h"
#include "util.h"
#include "wire.h"

/*
 * The keeper's message set: every request has an empty payload (the
 * mark's socket is passed beside it); its reply has its type.
 */
enum keep_type {
	KEEP_ROUTE = 1,		/* reply: added (u8), then its words */
	KEEP_MARK,		/* reply: an errno (u32), 0 when marked */
	KEEP_UNLINK,		/* reply: empty, once done */
};

struct sock_id {
	uint32_t		 dev_major, dev_minor;
	uint64_t		 ino;
	struct statx_timestamp	 btime;	/* zeros where not kept */
};

struct keeper {
	const struct pptp_opts	*o;
	const struct keeper_cfg	*k;
	struct sock_id		 sock;		/* the manager's socket file */
	bool			 unlinked;
	bool			 route_held;
	struct hostroute	 route;
};

/*
 * Which file is at path: device and inode, and its birth time where the
 * file system keeps one (an inode number freed can come back at once,
 * for the socket of a manager started meanwhile).  -1 if none.
 */
static int
sock_id(const char *path, struct sock_id *id)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_INO |
	    STATX_BTIME, &sx) < 0)
		return -1;
	*id = (struct sock_id){ .dev_major = sx.stx_dev_major,
	    .dev_minor = sx.stx_dev_minor, .ino = sx.stx_ino };
	if (sx.stx_mask & STATX_BTIME)
		id->btime = sx.stx_btime;
	return 0;
}

/* The socket file goes if it is still ours, under the instances' lock. */
static void
keep_unlink(struct keeper *kp)
{
	struct sock_id now;
	int lockfd;

	if (kp->unlinked)
		return;
	kp->unlinked = true;
	lockfd = open(kp->o->rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd >= 0)
		flock(lockfd, LOCK_EX);
	if (sock_id(kp->k->sockpath, &now) == 0 &&
	    memcmp(&now, &kp->sock, sizeof(now)) == 0)
		unlink(kp->k->sockpath);
	if (lockfd >= 0)
		close(lockfd);
}

static void
keep_route(struct keeper *kp, int fd)
{
	uint8_t reply[128] = { 0 };	/* not added */
	size_t len = 1;

	if (!kp->route_held) {
		kp->route_held = true;
		(void)route_add_host(&kp->k->server, kp->o->rtmark_set,
		    kp->o->rtmark, kp->k->routelock, &kp->route);
	}
	if (kp->route.added) {
		char words[sizeof(reply) - 1];

		reply[0] = 1;
		route_describe(&kp->route, words, sizeof(words));
		memcpy(reply + 1, words, strlen(words));
		len += strlen(words);
	}
	/* Said where the user looks; what is left (removal) to syslog. */
	if (!kp->o->debug)
		log_stderr(false, 1);
	(void)ipc_send(fd, KEEP_ROUTE, reply, len, -1, IPC_FOREVER);
}

/* --rtmark's mark on the manager's TCP socket s; errno as the reply. */
static void
keep_mark(struct keeper *kp, int fd, int s)
{
	uint8_t reply[4];
	struct wr w = { .p = reply, .len = sizeof(reply) };
	int err = 0, v[3];
	socklen_t len = sizeof(v[0]);
	const int opt[3] = { SO_DOMAIN, SO_TYPE, SO_PROTOCOL };
	/* IPv4 only: IPv6 would take AF_INET6 TCP sockets here too. */
	const int want[3] = { AF_INET, SOCK_STREAM, IPPROTO_TCP };

	for (int i = 0; i < 3 && err == 0; i++)
		if (getsockopt(s, SOL_SOCKET, opt[i], &v[i], &len) < 0 ||
		    v[i] != want[i])
			err = EINVAL;	/* a TCP socket, or nothing */
	if (err == 0 && setsockopt(s, SOL_SOCKET, SO_MARK, &kp->o->rtmark,
	    sizeof(kp->o->rtmark)) < 0) {
		err = errno;
		log_warn("callmgr: --rtmark %u: SO_MARK", kp->o->rtmark);
	}
	wr_u32(&w, (uint32_t)err);
	(void)ipc_send(fd, KEEP_MARK, reply, sizeof(reply), -1, IPC_FOREVER);
}

static void __attribute__((noreturn))
keeper_main(const struct pptp_opts *o, const struct keeper_cfg *k, int fd,
    pid_t manager)
{
	struct keeper kp = { .o = o, .k = k, .route = { .lockfd = -1 } };
	char addr[ADDR_STRLEN];
	const char *hostile = NULL;
	int ws = 0;

	/* The manager's end is the stop: a stray TERM must not orphan it. */
	helper_signals();
	if (sock_id(k->sockpath, &kp.sock) < 0)
		kp.unlinked = true;	/* none to remove */
	/* With no route to add, nothing more for the user's stderr. */
	if (o->nohostroute && !o->debug)
		log_stderr(false, 1);
	sandbox_keeper(&o->sandbox, !o->nohostroute || o->rtmark_set);
	proc_title("pptp: keeper for %s", addr_ntop(&k->server, addr,
	    sizeof(addr)));
	while (hostile == NULL) {
		struct ipc_msg m;
		int r = ipc_recv(fd, &m, IPC_FOREVER);

		if (r < 0 && errno == EBADMSG) {
			hostile = "a malformed request";
			break;
		}
		if (r <= 0)
			break;
		if (m.len != 0)
			hostile = "a malformed request";
		else if (m.type == KEEP_ROUTE && !o->nohostroute)
			keep_route(&kp, fd);
		else if (m.type == KEEP_MARK && o->rtmark_set && m.fd >= 0)
			keep_mark(&kp, fd, m.fd);
		else if (m.type == KEEP_UNLINK) {
			keep_unlink(&kp);
			(void)ipc_send(fd, KEEP_UNLINK, NULL, 0, -1,
			    IPC_FOREVER);
		} else
			hostile = "a request its options rule out";
		if (m.fd >= 0)
			close(m.fd);
	}
	if (hostile != NULL)
		log_warnx("keeper: %s from the call manager: no more requests "
		    "served", hostile);
	keep_unlink(&kp);
	if (kp.route_held)
		route_del_host(&kp.route);
	while (waitpid(manager, &ws, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(ws))
		log_warnx("callmgr %s: killed by signal %d%s", addr,
		    WTERMSIG(ws), WTERMSIG(ws) == SIGSYS ? " (a system call "
		    "its filter forbids: see pptp(8) SECURITY)" : "");
	_exit(0);
}

int
keeper_fork(const struct pptp_opts *o, const struct keeper_cfg *k)
{
	int fd;
	pid_t pid = ipc_fork(&fd);

	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(k->lfd);
		keeper_main(o, k, fd, pid);
	}
	return fd;
}

/*
 * One request (with the descriptor fd, if >= 0) and its reply in *reply;
 * -1 if the keeper is gone or answered something else.
 */
static int
ask(int kfd, enum keep_type req, int fd, struct ipc_msg *reply)
{
	if (kfd < 0 || ipc_send(kfd, req, NULL, 0, fd, IPC_FOREVER) < 0 ||
	    ipc_recv(kfd, reply, IPC_FOREVER) <= 0)
		return -1;
	if (reply->fd >= 0)
		close(reply->fd);	/* none is meant for us */
	return reply->type == req ? 0 : -1;
}

int
keeper_route(int kfd, bool *added, char *desc, size_t descsz)
{
	struct ipc_msg reply;

	*added = false;
	if (descsz > 0)
		desc[0] = '\0';
	if (ask(kfd, KEEP_ROUTE, -1, &reply) < 0 || reply.len < 1)
		return -1;
	*added = reply.payload[0] == 1;
	if (*added)
		snprintf(desc, descsz, "%.*s", (int)(reply.len - 1),
		    (const char *)reply.payload + 1);
	return 0;
}

int
keeper_mark(int kfd, int s)
{
	struct ipc_msg reply;
	int err = EPIPE;	/* the keeper is gone */

	if (ask(kfd, KEEP_MARK, s, &reply) == 0 && reply.len == 4) {
		struct rd r = { .p = reply.payload, .len = reply.len };

		err = (int)rd_u32(&r);
	}
	errno = err;
	return err == 0 ? 0 : -1;
}

void
keeper_unlink(int kfd)
{
	struct ipc_msg reply;

	(void)ask(kfd, KEEP_UNLINK, -1, &reply);
}

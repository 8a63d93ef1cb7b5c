// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keeper (keeper.h): the call manager's parent, which keeps root's
 * files and CAP_NET_ADMIN so that the manager, which parses what the
 * server sends, needs neither.  It serves one-byte requests on a
 * socketpair until the manager's end closes, then cleans up after it
 * whichever way it ended, a SIGKILL included.  A request that the
 * options rule out (a route with --nohostroute, a mark without
 * --rtmark) or that it does not know can only come from a manager
 * turned hostile: it is served no more.
 */
#include "keeper.h"

#include <arpa/inet.h>
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

#include "route.h"
#include "sandbox.h"
#include "util.h"

enum {
	KEEP_ROUTE = 'R',
	KEEP_MARK = 'M',
	KEEP_UNLINK = 'U',
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
	char reply[128] = "0";

	if (!kp->route_held) {
		kp->route_held = true;
		(void)route_add_host(kp->k->server, kp->o->rtmark_set,
		    kp->o->rtmark, kp->k->routelock, &kp->route);
	}
	if (kp->route.added) {
		reply[0] = '1';
		route_describe(&kp->route, reply + 1, sizeof(reply) - 1);
	}
	/* Said where the user looks; what is left (removal) to syslog. */
	if (!kp->o->debug)
		log_stderr(false, 1);
	(void)send(fd, reply, strlen(reply), MSG_NOSIGNAL);
}

/* --rtmark's mark on the manager's TCP socket s; errno as the reply. */
static void
keep_mark(struct keeper *kp, int fd, int s)
{
	int err = 0, v[3];
	socklen_t len = sizeof(v[0]);
	const int opt[3] = { SO_DOMAIN, SO_TYPE, SO_PROTOCOL };
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
	(void)send(fd, &err, sizeof(err), MSG_NOSIGNAL);
}

static void __attribute__((noreturn))
keeper_main(const struct pptp_opts *o, const struct keeper_cfg *k, int fd,
    pid_t manager)
{
	struct keeper kp = { .o = o, .k = k, .route = { .lockfd = -1 } };
	char addr[INET_ADDRSTRLEN];
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
	inet_ntop(AF_INET, &k->server, addr, sizeof(addr));
	proc_title("pptp: keeper for %s", addr);
	while (hostile == NULL) {
		char cbuf[CMSG_SPACE(sizeof(int))];
		unsigned char req;
		struct iovec iov = { &req, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		int passed = -1;
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL;
		    c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_RIGHTS) {
				int nfd = (int)((c->cmsg_len - CMSG_LEN(0)) /
				    sizeof(int));

				for (int i = 0; i < nfd; i++) {
					int f;

					memcpy(&f, CMSG_DATA(c) + i *
					    sizeof(int), sizeof(int));
					if (passed < 0)
						passed = f;
					else
						close(f);
				}
			}
		if (req == KEEP_ROUTE && !o->nohostroute)
			keep_route(&kp, fd);
		else if (req == KEEP_MARK && o->rtmark_set && passed >= 0)
			keep_mark(&kp, fd, passed);
		else if (req == KEEP_UNLINK) {
			keep_unlink(&kp);
			(void)send(fd, "u", 1, MSG_NOSIGNAL);
		} else
			hostile = "a request its options rule out";
		if (passed >= 0)
			close(passed);
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
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid > 0) {
		close(sv[1]);
		close(k->lfd);
		keeper_main(o, k, sv[0], pid);
	}
	close(sv[0]);
	return sv[1];
}

/* One request (with fd, if >= 0), its reply into buf: its length. */
static ssize_t
ask(int kfd, unsigned char req, int fd, void *buf, size_t bufsz)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &req, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (kfd < 0)
		return -1;
	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(kfd, &mh, MSG_NOSIGNAL) != 1)
		return -1;
	do
		n = recv(kfd, buf, bufsz, 0);
	while (n < 0 && errno == EINTR);
	return n;
}

int
keeper_route(int kfd, bool *added, char *desc, size_t descsz)
{
	char reply[128];
	ssize_t n = ask(kfd, KEEP_ROUTE, -1, reply, sizeof(reply) - 1);

	*added = false;
	if (descsz > 0)
		desc[0] = '\0';
	if (n <= 0)
		return -1;
	reply[n] = '\0';
	*added = reply[0] == '1';
	if (*added)
		snprintf(desc, descsz, "%s", reply + 1);
	return 0;
}

int
keeper_mark(int kfd, int s)
{
	int err = 0;

	if (ask(kfd, KEEP_MARK, s, &err, sizeof(err)) != (ssize_t)sizeof(err))
		err = EPIPE;	/* the keeper is gone */
	errno = err;
	return err == 0 ? 0 : -1;
}

void
keeper_unlink(int kfd)
{
	char reply;

	(void)ask(kfd, KEEP_UNLINK, -1, &reply, 1);
}

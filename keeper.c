// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keeper (keeper.h): the call manager's parent, which keeps root's
 * files and CAP_NET_ADMIN so that the manager, which parses what the
 * server sends, needs neither.  It serves one-byte requests on a
 * socketpair until the manager's end closes, then cleans up after it
 * whichever way it ended, a SIGKILL included.
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
	KEEP_SOCKET = 'S',
	KEEP_UNLINK = 'U',
};

struct keeper {
	const struct pptp_opts	*o;
	const struct keeper_cfg	*k;
	dev_t			 sock_dev;	/* the manager's socket file */
	ino_t			 sock_ino;
	bool			 unlinked;
	bool			 route_held;
	struct hostroute	 route;
};

/* The socket file goes if it is still ours, under the instances' lock. */
static void
keep_unlink(struct keeper *kp)
{
	struct stat st;
	int lockfd;

	if (kp->unlinked)
		return;
	kp->unlinked = true;
	lockfd = open(kp->o->rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd >= 0)
		flock(lockfd, LOCK_EX);
	if (lstat(kp->k->sockpath, &st) == 0 && st.st_ino == kp->sock_ino &&
	    st.st_dev == kp->sock_dev)
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

/* A TCP socket with --rtmark's mark; its errno as the reply otherwise. */
static void
keep_socket(struct keeper *kp, int fd)
{
	const struct pptp_opts *o = kp->o;
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	int err = 0, s;
	struct iovec iov = { &err, sizeof(err) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s >= 0 && o->rtmark_set && setsockopt(s, SOL_SOCKET, SO_MARK,
	    &o->rtmark, sizeof(o->rtmark)) < 0) {
		log_warn("callmgr: --rtmark %u: SO_MARK", o->rtmark);
		close(s);
		s = -1;
	}
	if (s < 0) {
		err = errno != 0 ? errno : EIO;
	} else {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &s, sizeof(int));
	}
	(void)sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (s >= 0)
		close(s);
}

static void __attribute__((noreturn))
keeper_main(const struct pptp_opts *o, const struct keeper_cfg *k, int fd,
    pid_t manager)
{
	struct keeper kp = { .o = o, .k = k, .route = { .lockfd = -1 } };
	struct stat st;
	char addr[INET_ADDRSTRLEN];
	unsigned char req;
	sigset_t none;
	int ws = 0;
	ssize_t n;

	/* The manager's end is the stop: a stray TERM must not orphan it. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);	/* pkill -USR1 pptp: statistics */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (lstat(k->sockpath, &st) == 0) {
		kp.sock_dev = st.st_dev;
		kp.sock_ino = st.st_ino;
	} else {
		kp.unlinked = true;	/* none to remove */
	}
	sandbox_keeper(&o->sandbox);
	inet_ntop(AF_INET, &k->server, addr, sizeof(addr));
	proc_title("pptp: keeper for %s", addr);
	for (;;) {
		n = recv(fd, &req, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		switch (req) {
		case KEEP_ROUTE:
			keep_route(&kp, fd);
			break;
		case KEEP_SOCKET:
			keep_socket(&kp, fd);
			break;
		case KEEP_UNLINK:
			keep_unlink(&kp);
			(void)send(fd, "u", 1, MSG_NOSIGNAL);
			break;
		default:
			/* it can only have turned hostile: serve it no more */
			log_warnx("keeper: unknown request 0x%02x from the call "
			    "manager: no more requests served", req);
			goto out;
		}
	}
out:
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

/* One request, its reply into buf: the reply's length, -1 if none. */
static ssize_t
ask(int kfd, unsigned char req, void *buf, size_t bufsz, struct msghdr *mh)
{
	struct iovec iov = { buf, bufsz };
	ssize_t n;

	if (kfd < 0 || send(kfd, &req, 1, MSG_NOSIGNAL) != 1)
		return -1;
	mh->msg_iov = &iov;
	mh->msg_iovlen = 1;
	do
		n = recvmsg(kfd, mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	return n;
}

int
keeper_route(int kfd, bool *added, char *desc, size_t descsz)
{
	char reply[128];
	struct msghdr mh = { 0 };
	ssize_t n = ask(kfd, KEEP_ROUTE, reply, sizeof(reply) - 1, &mh);

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
keeper_socket(int kfd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = { .msg_control = cbuf,
	    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int err = 0, s = -1;
	ssize_t n = ask(kfd, KEEP_SOCKET, &err, sizeof(err), &mh);

	if (n != (ssize_t)sizeof(err)) {
		errno = EPIPE;	/* the keeper is gone */
		return -1;
	}
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&s, CMSG_DATA(c), sizeof(int));
	if (s < 0)
		errno = err != 0 ? err : EIO;
	return s;
}

void
keeper_unlink(int kfd)
{
	char reply;
	struct msghdr mh = { 0 };

	(void)ask(kfd, KEEP_UNLINK, &reply, 1, &mh);
}

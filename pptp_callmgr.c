// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The call manager process: one TCP control connection to one server,
 * shared by every pptp instance calling that server.  Instances find it
 * through a unix SOCK_SEQPACKET socket named after the server address in
 * --rundir; each asks for one call and holds its connection open for as
 * long as it wants the call.  A closed connection clears the call; when
 * the last one is gone the manager stops the control connection, removes
 * its socket and exits.
 *
 * The protocol itself is pptp_ctrl.c's; this file is sockets, processes
 * and the poll loop.  Errors that end calls travel to the instances in
 * CM_CALL_DOWN and are logged there, once.
 */
#include "pptp_callmgr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "cm_msg.h"
#include "pptp_ctrl.h"
#include "pptp_quirks.h"
#include "route.h"
#include "util.h"

#define CM_MAX_CLIENTS	CTRL_MAX_CALLS
#define CM_FIRST_CLIENT_MS	10000	/* the starter must show up by then */

struct cm_client {
	int			 fd;	/* -1: slot free */
	struct ctrl_call	*call;
	bool			 gone;	/* reap after dispatch */
};

struct cm {
	const struct pptp_opts	*o;
	char			 addr[INET_ADDRSTRLEN];
	char			 sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct in_addr		 server;
	int			 lfd;		/* listening socket, -1 closed */
	int			 tcp;
	bool			 connecting;
	uint64_t		 connect_due_ms;
	dev_t			 sock_dev;	/* our socket file */
	ino_t			 sock_ino;
	bool			 had_client;
	bool			 settled;	/* a first call came up or not */
	uint64_t		 started_ms;
	struct hostroute	 route;
	struct ctrl_conn	 ctrl;
	struct cm_client	 clients[CM_MAX_CLIENTS];
};

static volatile sig_atomic_t cm_stop;

static void
on_signal(int sig)
{
	(void)sig;
	cm_stop = 1;
}

static void
client_send(struct cm_client *cl, const struct cm_msg *m)
{
	uint8_t buf[CM_MAX_LEN];
	size_t n = cm_encode(m, buf, sizeof(buf));

	if (cl->fd < 0 || cl->gone)
		return;
	/* SEQPACKET: a message arrives whole or not at all */
	if (send(cl->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n) {
		log_debug("callmgr: instance not reading, dropping it");
		cl->gone = true;
	}
}

/*
 * Until its first call is settled the manager logs to the stderr of the
 * instance that started it (pppd's log, or a terminal), so that setup
 * trouble (routes, connecting) shows there; then to syslog alone, since
 * it outlives that instance and serves others.
 */
static void
cm_settled(struct cm *cm)
{
	int null;

	if (cm->settled || cm->o->debug)
		return;
	cm->settled = true;
	log_init(cm->o->logstring, false, cm->o->loglevel);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 2);
		close(null);
	}
}

static void
cb_call_up(void *arg, struct ctrl_call *call)
{
	struct cm_client *cl = call->owner;
	struct cm_msg m = { .type = CM_CALL_UP };

	cm_settled(arg);
	m.up.call_id = call->call_id;
	m.up.peer_call_id = call->peer_call_id;
	m.up.peer_window = call->peer_window;
	m.up.peer_ppd = call->peer_ppd;
	m.up.speed = call->connect_speed;
	client_send(cl, &m);
}

static void
cb_call_down(void *arg, struct ctrl_call *call, int status, const char *why)
{
	struct cm_client *cl = call->owner;
	struct cm_msg m = { .type = CM_CALL_DOWN };

	cm_settled(arg);
	log_debug("callmgr: call %u down: %s", call->call_id, why);
	m.down.status = (uint16_t)status;
	snprintf(m.down.why, sizeof(m.down.why), "%s", why);
	client_send(cl, &m);
	cl->call = NULL;
	cl->gone = true;
}

static void
cb_sli(void *arg, struct ctrl_call *call, uint32_t send_accm,
    uint32_t recv_accm)
{
	struct cm_msg m = { .type = CM_SLI };

	(void)arg;
	m.sli.send_accm = send_accm;
	m.sli.recv_accm = recv_accm;
	client_send(call->owner, &m);
}

static const struct ctrl_ops cm_ops = { cb_call_up, cb_call_down, cb_sli };

/* The socket's name: the server address, and the local one if bound. */
static int
sock_path(const struct pptp_opts *o, struct in_addr server, char *out,
    size_t outsz)
{
	char addr[INET_ADDRSTRLEN];
	int n;

	inet_ntop(AF_INET, &server, addr, sizeof(addr));
	if (o->localbind != NULL)
		n = snprintf(out, outsz, "%s/%s-%s", o->rundir, addr,
		    o->localbind);
	else
		n = snprintf(out, outsz, "%s/%s", o->rundir, addr);
	if (n < 0 || (size_t)n >= outsz) {
		log_warnx("callmgr: socket path in %s is too long", o->rundir);
		return -1;
	}
	return 0;
}

static const char *
connect_words(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "connection refused (no PPTP server listening there?)";
	case ENETUNREACH:
		return "network unreachable";
	case EHOSTUNREACH:
		return "no route to host";
	case ETIMEDOUT:
		return "timed out";
	default:
		return strerror(err);
	}
}

/* "HOST (ADDRESS)", or the address alone when that is what was given. */
static const char *
cm_name(const struct cm *cm, char *out, size_t outsz)
{
	if (strcmp(cm->o->server, cm->addr) == 0)
		snprintf(out, outsz, "%s", cm->addr);
	else
		snprintf(out, outsz, "%s (%s)", cm->o->server, cm->addr);
	return out;
}

static void
cm_connect_failed(struct cm *cm, int err)
{
	char why[200], name[120];

	cm_name(cm, name, sizeof(name));
	if (err == ETIMEDOUT)
		snprintf(why, sizeof(why), "cannot connect to %s port %d: "
		    "timed out after %u s", name, PPTP_PORT,
		    cm->o->connect_timeout_s);
	else
		snprintf(why, sizeof(why), "cannot connect to %s port %d: %s",
		    name, PPTP_PORT, connect_words(err));
	cm->connecting = false;
	ctrl_tcp_closed(&cm->ctrl, PPTP_EXIT_CONNECT, why);
}

/* Start the non-blocking TCP connect; the loop finishes it. */
static int
cm_tcp_start(struct cm *cm, uint64_t now)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(PPTP_PORT), .sin_addr = cm->server };
	const struct pptp_opts *o = cm->o;

	/* Pin the way to the server before anything is sent there. */
	if (!o->nohostroute)
		(void)route_add_host(cm->server, o->rtmark_set, o->rtmark,
		    &cm->route);
	cm->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (cm->tcp < 0) {
		log_warn("callmgr: socket");
		return -1;
	}
	if (o->rtmark_set && setsockopt(cm->tcp, SOL_SOCKET, SO_MARK,
	    &o->rtmark, sizeof(o->rtmark)) < 0) {
		log_warn("callmgr: --rtmark %u: SO_MARK", o->rtmark);
		return -1;
	}
	if (o->localbind != NULL) {
		struct sockaddr_in lb = { .sin_family = AF_INET };

		if (inet_pton(AF_INET, o->localbind, &lb.sin_addr) != 1 ||
		    bind(cm->tcp, (struct sockaddr *)&lb, sizeof(lb)) < 0) {
			log_warn("callmgr: --localbind %s", o->localbind);
			return -1;
		}
	}
	cm->connecting = true;
	cm->connect_due_ms = now + (uint64_t)o->connect_timeout_s * 1000;
	if (connect(cm->tcp, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		cm->connecting = false;
		ctrl_open(&cm->ctrl, now);
	} else if (errno != EINPROGRESS) {
		cm_connect_failed(cm, errno);
	}
	return 0;
}

/*
 * GRE carries PPP frames whole: a frame larger than the path allows is
 * fragmented, which some paths drop.  Say what pppd's mtu and mru may be:
 * the path MTU less IP (20), enhanced GRE (16), and PPP's address,
 * control and protocol fields with MPPE's header and inner protocol (8).
 */
static void
cm_mtu_hint(struct cm *cm)
{
	int mtu = 0;
	socklen_t len = sizeof(mtu);

	if (getsockopt(cm->tcp, IPPROTO_IP, IP_MTU, &mtu, &len) < 0 ||
	    mtu < 576)
		return;
	log_info("callmgr %s: path MTU %d: pppd mtu and mru of at most %d "
	    "keep GRE unfragmented", cm->addr, mtu, mtu - 20 - 16 - 8);
}

static void
cm_tcp_connected(struct cm *cm, uint64_t now)
{
	int err = 0;
	socklen_t len = sizeof(err);
	char name[120], route[100] = "";

	if (getsockopt(cm->tcp, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		cm_connect_failed(cm, err);
		return;
	}
	cm->connecting = false;
	if (cm->route.added) {
		strcpy(route, "; added ");
		route_describe(&cm->route, route + 8, sizeof(route) - 8);
	}
	log_info("callmgr: connected to %s port %d%s", cm_name(cm, name,
	    sizeof(name)), PPTP_PORT, route);
	cm_mtu_hint(cm);
	ctrl_open(&cm->ctrl, now);
}

static void
cm_tcp_read(struct cm *cm, uint64_t now)
{
	uint8_t buf[4096];
	ssize_t n = recv(cm->tcp, buf, sizeof(buf), 0);
	char why[200];

	if (n > 0) {
		ctrl_input(&cm->ctrl, buf, (size_t)n, now);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0)
		snprintf(why, sizeof(why), "server %s closed the control "
		    "connection", cm->addr);
	else
		snprintf(why, sizeof(why), "control connection to %s failed: "
		    "%s", cm->addr, errno == ECONNRESET ?
		    "reset by the server" : strerror(errno));
	ctrl_tcp_closed(&cm->ctrl, PPTP_EXIT_HANGUP, why);
}

static void
cm_tcp_write(struct cm *cm)
{
	const uint8_t *p;
	size_t len = ctrl_output(&cm->ctrl, &p);
	ssize_t n;

	if (len == 0 || cm->tcp < 0 || cm->connecting)
		return;
	n = send(cm->tcp, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n > 0)
		ctrl_output_done(&cm->ctrl, (size_t)n);
}

static void
cm_accept(struct cm *cm)
{
	int fd = accept4(cm->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int i = 0; i < CM_MAX_CLIENTS; i++) {
		if (cm->clients[i].fd < 0) {
			cm->clients[i] = (struct cm_client){ .fd = fd };
			cm->had_client = true;
			return;
		}
	}
	log_warnx("callmgr %s: more than %d calls, refusing one", cm->addr,
	    CM_MAX_CLIENTS);
	close(fd);
}

static void
cm_client_read(struct cm *cm, struct cm_client *cl, uint64_t now)
{
	uint8_t buf[CM_MAX_LEN + 1];
	ssize_t n = recv(cl->fd, buf, sizeof(buf), 0);
	struct cm_msg m;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		cl->gone = true;
		return;
	}
	if (cm_decode(buf, (size_t)n, &m) < 0 || m.type != CM_CALL_REQ ||
	    cl->call != NULL) {
		log_warnx("callmgr %s: bad message from an instance (%zd "
		    "bytes), dropping it", cm->addr, n);
		cl->gone = true;
		return;
	}
	cl->call = ctrl_call_open(&cm->ctrl, cl, m.req.window, m.req.ppd,
	    m.req.sync, m.req.phone, now);
	/* Connect on the first request: then someone hears how it went. */
	if (cl->call != NULL && cm->tcp < 0 && cm_tcp_start(cm, now) < 0)
		ctrl_tcp_closed(&cm->ctrl, PPTP_EXIT_ERROR,
		    "call manager cannot open its TCP socket");
	if (cl->call == NULL && !cl->gone) {
		struct cm_msg down = { .type = CM_CALL_DOWN };

		down.down.status = PPTP_EXIT_RETRY;
		snprintf(down.down.why, sizeof(down.down.why),
		    "call manager for %s is closing", cm->addr);
		client_send(cl, &down);
		cl->gone = true;
	}
}

/* Close what instances left; clear their calls. */
static void
cm_reap(struct cm *cm, uint64_t now)
{
	for (int i = 0; i < CM_MAX_CLIENTS; i++) {
		struct cm_client *cl = &cm->clients[i];

		if (cl->fd < 0 || !cl->gone)
			continue;
		if (cl->call != NULL)
			ctrl_call_close(&cm->ctrl, cl->call, now);
		close(cl->fd);
		*cl = (struct cm_client){ .fd = -1 };
	}
}

static int
cm_nclients(const struct cm *cm)
{
	int n = 0;

	for (int i = 0; i < CM_MAX_CLIENTS; i++)
		n += cm->clients[i].fd >= 0;
	return n;
}

/*
 * No more new instances here: they will start a fresh manager.  The
 * socket file goes only if it is still ours (a newer manager may have
 * replaced it), checked under the lock that instances take.
 */
static void
cm_stop_listening(struct cm *cm)
{
	struct stat st;
	int lockfd;

	if (cm->lfd < 0)
		return;
	close(cm->lfd);
	cm->lfd = -1;
	lockfd = open(cm->o->rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd >= 0)
		flock(lockfd, LOCK_EX);
	if (lstat(cm->sockpath, &st) == 0 && st.st_ino == cm->sock_ino &&
	    st.st_dev == cm->sock_dev)
		unlink(cm->sockpath);
	if (lockfd >= 0)
		close(lockfd);
}

static int
cm_poll_timeout(const struct cm *cm, uint64_t now)
{
	uint64_t due = ctrl_next_deadline(&cm->ctrl);

	if (cm->connecting && (due == 0 || cm->connect_due_ms < due))
		due = cm->connect_due_ms;
	if (!cm->had_client) {
		uint64_t first = cm->started_ms + CM_FIRST_CLIENT_MS;

		if (due == 0 || first < due)
			due = first;
	}
	if (due == 0)
		return -1;
	return due <= now ? 0 : (int)(due - now);
}

static void
cm_loop(struct cm *cm)
{
	struct pollfd pfd[2 + CM_MAX_CLIENTS];
	int idx[CM_MAX_CLIENTS];

	for (;;) {
		uint64_t now = now_ms();
		int n = 0, nc = 0;
		const uint8_t *p;

		if (cm_stop) {
			cm_stop = 0;
			log_info("callmgr %s: stopping on a signal", cm->addr);
			for (int i = 0; i < CM_MAX_CLIENTS; i++)
				if (cm->clients[i].fd >= 0)
					cm->clients[i].gone = true;
			cm->had_client = true;
		}
		if (cm->connecting && now >= cm->connect_due_ms)
			cm_connect_failed(cm, ETIMEDOUT);
		ctrl_timer(&cm->ctrl, now);
		cm_reap(cm, now);
		if (!cm->had_client && now >= cm->started_ms +
		    CM_FIRST_CLIENT_MS) {
			log_warnx("callmgr %s: no instance came", cm->addr);
			ctrl_tcp_closed(&cm->ctrl, PPTP_EXIT_ERROR,
			    "no instance");
		}
		if (cm->had_client && cm_nclients(cm) == 0) {
			cm_stop_listening(cm);
			if (ctrl_ncalls(&cm->ctrl) == 0) {
				if (cm->connecting || cm->ctrl.state ==
				    CTRL_IDLE)
					ctrl_tcp_closed(&cm->ctrl,
					    PPTP_EXIT_OK, "no calls left");
				else if (cm->ctrl.state == CTRL_UP ||
				    cm->ctrl.state == CTRL_WAIT_REPLY)
					ctrl_close(&cm->ctrl, now);
			}
		}
		cm_tcp_write(cm);
		if (cm->ctrl.state == CTRL_DEAD)
			break;

		if (cm->lfd >= 0)
			pfd[n++] = (struct pollfd){ cm->lfd, POLLIN, 0 };
		/* a negative fd (not connected yet) is ignored by poll */
		pfd[n++] = (struct pollfd){ cm->tcp, (short)(cm->connecting ||
		    ctrl_output(&cm->ctrl, &p) > 0 ? POLLOUT : 0) |
		    (cm->connecting ? 0 : POLLIN), 0 };
		for (int i = 0; i < CM_MAX_CLIENTS; i++) {
			if (cm->clients[i].fd < 0)
				continue;
			idx[nc++] = i;
			pfd[n++] = (struct pollfd){ cm->clients[i].fd, POLLIN,
			    0 };
		}
		if (poll(pfd, (nfds_t)n, cm_poll_timeout(cm, now)) < 0) {
			if (errno == EINTR)
				continue;
			fatal("callmgr: poll");
		}
		now = now_ms();
		n = 0;
		if (cm->lfd >= 0 && pfd[n++].revents & POLLIN)
			cm_accept(cm);
		if (pfd[n].revents != 0) {
			if (cm->connecting)
				cm_tcp_connected(cm, now);
			else if (pfd[n].revents & (POLLIN | POLLHUP | POLLERR))
				cm_tcp_read(cm, now);
		}
		n++;
		for (int i = 0; i < nc; i++, n++)
			if (pfd[n].revents != 0)
				cm_client_read(cm, &cm->clients[idx[i]], now);
	}
}

/* The manager's life, in the grandchild of the instance that started it. */
static void __attribute__((noreturn))
cm_main(const struct pptp_opts *o, struct in_addr server, int lfd,
    const char *sockpath)
{
	struct cm *cm = calloc(1, sizeof(*cm));
	struct ctrl_cfg cfg = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	int null = open("/dev/null", O_RDWR);
	uint16_t rnd[2] = { 0, 0 };
	const uint8_t *p;
	size_t len;

	if (cm == NULL)
		fatal("callmgr: calloc");
	setsid();
	if (chdir("/") < 0)
		log_warn("callmgr: chdir /");
	/* stdin/stdout go away: the instance's are pppd's */
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (null > 2)
			close(null);
	}

	cm->o = o;
	cm->server = server;
	cm->lfd = lfd;
	cm->tcp = -1;
	cm->started_ms = now_ms();
	snprintf(cm->sockpath, sizeof(cm->sockpath), "%s", sockpath);
	{
		struct stat st;

		if (lstat(sockpath, &st) == 0) {
			cm->sock_dev = st.st_dev;
			cm->sock_ino = st.st_ino;
		}
	}
	inet_ntop(AF_INET, &server, cm->addr, sizeof(cm->addr));
	for (int i = 0; i < CM_MAX_CLIENTS; i++)
		cm->clients[i].fd = -1;
	proc_title("pptp: call manager %s", cm->addr);

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	/* the instance blocked them; ours are set now */
	sigprocmask(SIG_UNBLOCK, &sa.sa_mask, NULL);

	cfg.server = cm->addr;
	if (gethostname(cfg.hostname, sizeof(cfg.hostname) - 1) < 0)
		snprintf(cfg.hostname, sizeof(cfg.hostname), "local");
	cfg.quirk = o->quirks != NULL ? quirk_find(o->quirks) : NULL;
	if (getrandom(rnd, sizeof(rnd), 0) < 0)
		rnd[0] = (uint16_t)getpid();
	/* RFC 2637 2.7: a random start keeps IDs apart across restarts */
	cfg.first_call_id = rnd[0] != 0 ? rnd[0] : 1;
	cfg.first_serial = rnd[1];
	cfg.idle_wait_ms = o->idle_wait_s * 1000;
	cfg.echo_wait_ms = o->max_echo_wait_s * 1000;
	cfg.reply_wait_ms = o->reply_timeout_s * 1000;
	cfg.cdn_wait_ms = 1000;
	cfg.stop_wait_ms = 1000;
	ctrl_init(&cm->ctrl, &cfg, &cm_ops, cm);
	test_pause("callmgr");
	cm_loop(cm);

	/* The last words (StopCCRP, StopCCRQ) before closing. */
	len = ctrl_output(&cm->ctrl, &p);
	if (len > 0 && cm->tcp >= 0 && !cm->connecting)
		(void)send(cm->tcp, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	cm_reap(cm, now_ms());
	for (int i = 0; i < CM_MAX_CLIENTS; i++)
		if (cm->clients[i].fd >= 0)
			close(cm->clients[i].fd);
	cm_stop_listening(cm);
	if (cm->tcp >= 0)
		close(cm->tcp);
	route_del_host(&cm->route);
	log_info("callmgr %s: exiting: %s", cm->addr, cm->ctrl.why);
	exit(cm->ctrl.status);
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, saved;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, CM_MAX_CLIENTS) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Fork twice, so that the manager is nobody's child but init's. */
static int
cm_spawn(const struct pptp_opts *o, struct in_addr server, int lfd,
    int lockfd, const char *path)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(lockfd);
		if (fork() != 0)
			_exit(0);
		/*
		 * Keep nothing of the instance's but stdio and the listener.
		 * syslog's socket goes first, through closelog(), so that
		 * syslog does not later close what reuses its number.
		 */
		closelog();
		if (lfd > 3)
			close_range(3, (unsigned)lfd - 1, 0);
		close_range((unsigned)lfd + 1, ~0U, 0);
		log_reopen();	/* else glibc tags lines with argv[0] */
		cm_main(o, server, lfd, path);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int
callmgr_attach(const struct pptp_opts *o, struct in_addr server)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int lockfd, fd, lfd;

	if (sock_path(o, server, path, sizeof(path)) < 0)
		return -1;
	if (mkdir(o->rundir, 0700) < 0 && errno != EEXIST) {
		log_warn("cannot create %s", o->rundir);
		return -1;
	}
	/* One instance at a time looks for (and maybe starts) a manager. */
	lockfd = open(o->rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
		log_warn("cannot lock %s", o->rundir);
		if (lockfd >= 0)
			close(lockfd);
		return -1;
	}
	fd = connect_unix(path);
	if (fd < 0 && (errno == ECONNREFUSED || errno == ENOENT)) {
		/* Nobody there: a socket file left is a crashed manager's. */
		if (unlink(path) == 0)
			log_info("removed stale call manager socket %s", path);
		lfd = listen_unix(path);
		if (lfd < 0) {
			log_warn("cannot listen on %s", path);
		} else {
			if (cm_spawn(o, server, lfd, lockfd, path) < 0) {
				log_warn("cannot start the call manager");
				unlink(path);
			}
			close(lfd);
			fd = connect_unix(path);
		}
	}
	if (fd < 0)
		log_warn("cannot reach the call manager at %s", path);
	close(lockfd);
	return fd;
}

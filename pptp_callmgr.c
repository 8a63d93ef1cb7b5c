// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The call manager process: the TCP control connections to one server
 * (up to CM_MAX_CONNS of them: one, shared, where the server carries
 * several calls on it; else one per call) and the calls on them, for
 * every pptp instance calling that server.  Instances find it through a
 * unix SOCK_SEQPACKET socket (rendezvous.c); each asks for one call and
 * holds its connection open for as long as it wants the call.  A closed
 * connection clears the call; when the last one is gone the manager
 * stops its control connections, has its socket removed and exits.
 *
 * This file is the process: spawning it (and its keeper), its poll loop,
 * the instances' requests, and placing calls on connections.  The
 * protocol itself is pptp_ctrl.c's; the status answers are
 * callmgr_status.c's, the call-ID reservations callmgr_ids.c's.  Errors that end calls travel to the
 * instances in CM_CALL_DOWN and are logged there, once.
 */
#include "callmgr_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "gre_hdr.h"
#include "keeper.h"
#include "logrelay.h"
#include "pptp_quirks.h"
#include "rendezvous.h"
#include "sandbox.h"
#include "util.h"

static volatile sig_atomic_t cm_stop;

static void
on_signal(int sig)
{
	(void)sig;
	cm_stop = 1;
}

/*
 * A send to the client failed (errno): it is dropped, never waited for,
 * in words when its socket is full, for then it reads nothing.
 */
static void
client_failed(struct cm_client *cl, const struct cm_msg *m)
{
	char who[32];

	cl->hangup = true;
	if (errno != EAGAIN) {
		log_debug("callmgr: the tunnel of pid %d is gone",
		    (int)cl->pid);
		return;
	}
	/* its call's ID, which it said; its pid may be its parent's */
	if (cl->call != NULL)
		snprintf(who, sizeof(who), "call %u", cl->call->call_id);
	else
		snprintf(who, sizeof(who), "pid %d", (int)cl->pid);
	log_warnx("callmgr%s%s: the tunnel of %s reads nothing of what its "
	    "call manager sends: dropped%s%s%s",
	    cl->conn != NULL ? " " : "", cl->conn != NULL ? cl->conn->name : "",
	    who, m->type == CM_CALL_DOWN ? " (it was to hear: " : "",
	    m->type == CM_CALL_DOWN ? m->down.why : "",
	    m->type == CM_CALL_DOWN ? ")" : "");
}

static void
client_send(struct cm_client *cl, const struct cm_msg *m)
{
	if (cl->fd < 0 || cl->gone)
		return;
	if (cm_send(cl->fd, m, -1, IPC_NOWAIT) < 0 && !cl->hangup)
		client_failed(cl, m);
}

static void
client_down(struct cm_client *cl, int status, const char *why)
{
	struct cm_msg m = { .type = CM_CALL_DOWN };

	m.down.status = (uint16_t)status;
	snprintf(m.down.why, sizeof(m.down.why), "%s", why);
	cl->sli_due = false;	/* the call's: stale */
	client_send(cl, &m);
	cl->call = NULL;
	cl->gone = true;
}

/*
 * Until its first call is settled the manager logs to the stderr of the
 * instance that started it (pppd's log, or a terminal), so that setup
 * trouble (routes, connecting) shows there; then to syslog alone, since
 * it outlives that instance and serves others.  That stderr is the
 * stderr relay's pipe (relay.h), never the terminal itself.
 */
static void
cm_settled(struct cm *cm)
{
	if (cm->settled || cm->o->debug)
		return;
	cm->settled = true;
	log_stderr(false, 1);	/* /dev/null since we started */
}

static void
cb_call_up(void *arg, struct ctrl_call *call)
{
	struct cm_conn *cn = arg;
	struct cm_client *cl = call->owner;
	struct cm_msg m = { .type = CM_CALL_UP };

	cm_settled(cn->cm);
	m.up.call_id = call->call_id;
	m.up.peer_call_id = call->peer_call_id;
	m.up.peer_window = call->peer_window;
	m.up.peer_ppd = call->peer_ppd;
	m.up.speed = call->connect_speed;
	client_send(cl, &m);
}

/*
 * A second call on one connection failed before it was up: the server
 * refused it, stopped answering, or closed the connection (poptop closes
 * it, and the first call with it).  Remember for the manager's life that
 * this server carries one call per connection, and say so once.
 */
static bool
second_call_failed(const struct cm_conn *cn, const struct cm_client *cl,
    const struct ctrl_call *call, int status)
{
	struct cm *cm = cn->cm;

	if (!cl->shared || call->state != CALL_WAIT_REPLY)
		return false;
	/*
	 * The connection closed or reset by the server, or on a connection
	 * still up the call refused or its reply never come; not echo
	 * loss, a stuck send or a StopCCRQ, which say nothing of sharing.
	 */
	if (cn->ctrl.state == CTRL_DEAD ? !cn->server_closed :
	    status != PPTP_EXIT_CALL_REFUSED && status != PPTP_EXIT_TIMEOUT)
		return false;
	if (!cm->one_call)
		log_notice("callmgr %s: the server failed a second call over "
		    "one control connection: from now on each call to it "
		    "gets a connection of its own", cm->addr);
	cm->one_call = true;
	return cm->o->share != SHARE_ALWAYS;
}

static void
cb_call_down(void *arg, struct ctrl_call *call, int status, const char *why)
{
	struct cm_conn *cn = arg;
	struct cm_client *cl = call->owner;

	log_debug("callmgr %s: call %u down: %s", cn->name, call->call_id,
	    why);
	if (second_call_failed(cn, cl, call, status)) {
		/* the instance need not know: placed again by the loop */
		cl->call = NULL;
		cl->conn = NULL;
		cl->again = true;
		return;
	}
	cm_settled(cn->cm);
	client_down(cl, status, why);
}

/*
 * The call's link info, if some waits: a socket with no room keeps it
 * waiting (POLLOUT), newer info replaces it, and the same again is not
 * sent again, so that a server's reports, however many, never fill a
 * tunnel's socket.
 */
static void
client_sli_flush(struct cm_client *cl)
{
	struct cm_msg m = { .type = CM_SLI };

	if (!cl->sli_due || cl->fd < 0 || cl->gone || cl->hangup)
		return;
	m.sli.send_accm = cl->sli_send;
	m.sli.recv_accm = cl->sli_recv;
	if (cm_send(cl->fd, &m, -1, IPC_NOWAIT) == 0)
		cl->sli_due = false;
	else if (errno != EAGAIN)
		client_failed(cl, &m);
}

static void
cb_sli(void *arg, struct ctrl_call *call, uint32_t send_accm,
    uint32_t recv_accm)
{
	struct cm_client *cl = call->owner;

	(void)arg;
	if (cl->sli_any && cl->sli_send == send_accm &&
	    cl->sli_recv == recv_accm)
		return;		/* sent, or waiting, already */
	cl->sli_any = cl->sli_due = true;
	cl->sli_send = send_accm;
	cl->sli_recv = recv_accm;
	client_sli_flush(cl);
}

/* A call its instance hung up is cleared: the instance may go now. */
static void
cb_cleared(void *arg, void *owner)
{
	struct cm_conn *cn = arg;
	struct cm_client *cl = owner;

	cn->cleared_ours = true;
	cl->call = NULL;
}

/* GRE is told apart by our call ID: reserved (callmgr_ids.c). */
static bool
cb_id_taken(void *arg, uint16_t id)
{
	struct cm_conn *self = arg;

	return cm_id_taken(self->cm, self, id);
}

static const struct ctrl_ops cm_ops = { cb_call_up, cb_call_down, cb_sli,
    cb_cleared, cb_id_taken };

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

/* Connecting failed: one line of words for the instances. */
static void
cm_connect_failed(struct cm_conn *cn, int err)
{
	char why[400], name[300];

	cm_name(cn->cm, name, sizeof(name));
	if (err == ETIMEDOUT)
		snprintf(why, sizeof(why), "cannot connect to %s port %d: "
		    "timed out after %u s", name, PPTP_PORT,
		    cn->cm->o->connect_timeout_s);
	else
		snprintf(why, sizeof(why), "cannot connect to %s port %d: %s",
		    name, PPTP_PORT, connect_words(err));
	cn->connecting = false;
	ctrl_tcp_closed(&cn->ctrl, PPTP_EXIT_CONNECT, why);
}

/* Start the non-blocking TCP connect; the loop finishes it. */
static int
cm_tcp_start(struct cm_conn *cn, uint64_t now)
{
	struct cm *cm = cn->cm;
	struct pptp_addr to = cm->server;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const struct pptp_opts *o = cm->o;

	/* Pin the way to the server before anything is sent there. */
	if (!o->nohostroute && !cm->route_held) {
		cm->route_held = true;
		if (keeper_route(cm->kfd, &cm->route_added, cm->route_desc,
		    sizeof(cm->route_desc)) < 0)
			log_warnx("callmgr: no keeper for the host route");
	}
	cn->tcp = socket(to.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (cn->tcp < 0) {
		log_warn("callmgr: socket");
		return -1;
	}
	/* --rtmark's mark takes CAP_NET_ADMIN: the keeper's */
	if (o->rtmark_set && keeper_mark(cm->kfd, cn->tcp) < 0) {
		log_warn("callmgr: --rtmark %u: SO_MARK", o->rtmark);
		return -1;
	}
	if (o->localbind != NULL) {
		struct pptp_addr lb;

		if (addr_pton(to.family, o->localbind, &lb) < 0 ||
		    bind(cn->tcp, (struct sockaddr *)&ss,
		    addr_to_sockaddr(&lb, &ss)) < 0) {
			log_warn("callmgr: --localbind %s", o->localbind);
			return -1;
		}
	}
	cn->connecting = true;
	cn->connect_due_ms = now + (uint64_t)o->connect_timeout_s * 1000;
	to.port = PPTP_PORT;
	sslen = addr_to_sockaddr(&to, &ss);
	if (connect(cn->tcp, (struct sockaddr *)&ss, sslen) == 0) {
		cn->connecting = false;
		ctrl_open(&cn->ctrl, now);
	} else if (errno != EINPROGRESS) {
		cm_connect_failed(cn, errno);
	}
	return 0;
}

/*
 * GRE carries PPP frames whole: a frame larger than the path allows is
 * fragmented, which some paths drop.  Say what pppd's mtu and mru may be:
 * the path MTU less GRE_PPP_OVERHEAD (gre_hdr.h).
 */
static void
cm_mtu_hint(struct cm_conn *cn)
{
	int mtu = 0;
	socklen_t len = sizeof(mtu);

	/* IPv4 only: IPv6 would ask IPV6_MTU and take 40 for the header. */
	if (getsockopt(cn->tcp, IPPROTO_IP, IP_MTU, &mtu, &len) < 0 ||
	    mtu < 576)
		return;
	log_info("callmgr %s: path MTU %d: pppd mtu and mru of at most %d "
	    "keep GRE unfragmented", cn->name, mtu, mtu - GRE_PPP_OVERHEAD);
}

static void
cm_tcp_connected(struct cm_conn *cn, uint64_t now)
{
	int err = 0;
	socklen_t len = sizeof(err);
	char name[120], route[110] = "";

	if (getsockopt(cn->tcp, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		cm_connect_failed(cn, err);
		return;
	}
	cn->connecting = false;
	if (cn->cm->route_added && !cn->cm->route_told) {
		cn->cm->route_told = true;
		snprintf(route, sizeof(route), "; added %s",
		    cn->cm->route_desc);
	}
	log_info("callmgr %s: connected to %s port %d%s", cn->name,
	    cm_name(cn->cm, name, sizeof(name)), PPTP_PORT, route);
	cm_mtu_hint(cn);
	ctrl_open(&cn->ctrl, now);
}

static void
cm_tcp_read(struct cm_conn *cn, uint64_t now)
{
	uint8_t buf[4096];
	ssize_t n = recv(cn->tcp, buf, sizeof(buf), 0);
	char why[200];

	if (n > 0) {
		ctrl_input(&cn->ctrl, buf, (size_t)n, now);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	cn->server_closed = true;
	if (n == 0)
		snprintf(why, sizeof(why), "server %s closed the control "
		    "connection", cn->name);
	else
		snprintf(why, sizeof(why), "control connection to %s failed: "
		    "%s", cn->name, errno == ECONNRESET ?
		    "reset by the server" : strerror(errno));
	ctrl_tcp_closed(&cn->ctrl, PPTP_EXIT_HANGUP, why);
}

static void
cm_tcp_write(struct cm_conn *cn)
{
	const uint8_t *p;
	size_t len = ctrl_output(&cn->ctrl, &p);
	ssize_t n;

	if (len == 0 || cn->tcp < 0 || cn->connecting)
		return;
	n = send(cn->tcp, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n > 0)
		ctrl_output_done(&cn->ctrl, (size_t)n);
}

/* A new control connection, not yet connected; NULL if none is free. */
static struct cm_conn *
cm_conn_new(struct cm *cm)
{
	uint16_t rnd[2] = { 0, 0 };
	struct cm_conn *cn;
	int slot = -1;

	for (int i = 0; i < CM_MAX_CONNS && slot < 0; i++)
		if (cm->conns[i] == NULL)
			slot = i;
	if (slot < 0 || (cn = calloc(1, sizeof(*cn))) == NULL)
		return NULL;
	cn->cm = cm;
	cn->tcp = -1;
	if (slot == 0)
		snprintf(cn->name, sizeof(cn->name), "%s", cm->addr);
	else
		snprintf(cn->name, sizeof(cn->name), "%s#%d", cm->addr,
		    slot + 1);
	if (getrandom(rnd, sizeof(rnd), 0) < 0)
		rnd[0] = (uint16_t)(getpid() + slot);
	/* RFC 2637 2.7: a random start keeps IDs apart across restarts */
	cm->cfg.first_call_id = rnd[0] != 0 ? rnd[0] : 1;
#ifdef PPTP_TEST_HOOKS
	/* tests make managers collide: PPTP_FIRST_CALL_ID=N */
	if (getenv("PPTP_FIRST_CALL_ID") != NULL)
		cm->cfg.first_call_id = (uint16_t)atoi(
		    getenv("PPTP_FIRST_CALL_ID"));
#endif
	cm->cfg.first_serial = rnd[1];
	cm->cfg.server = cn->name;
	ctrl_init(&cn->ctrl, &cm->cfg, &cm_ops, cn);
	cm->conns[slot] = cn;
	return cn;
}

/* Its last words (StopCCRP, StopCCRQ), then it goes. */
static void
cm_conn_free(struct cm *cm, int slot)
{
	struct cm_conn *cn = cm->conns[slot];
	const uint8_t *p;
	size_t len = ctrl_output(&cn->ctrl, &p);

	if (len > 0 && cn->tcp >= 0 && !cn->connecting)
		(void)send(cn->tcp, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (cn->tcp >= 0)
		close(cn->tcp);
	log_debug("callmgr %s: control connection ended: %s", cn->name,
	    cn->ctrl.why);
	cm->status = cn->ctrl.status;
	if (cn->server_closed && cn->cleared_ours &&
	    ctrl_ncalls(&cn->ctrl) == 0)
		/* poptop's way after a clear: a normal end, said as one */
		snprintf(cm->why, sizeof(cm->why), "the call was cleared at "
		    "our request; server %s then closed the control "
		    "connection", cn->name);
	else
		snprintf(cm->why, sizeof(cm->why), "%s", cn->ctrl.why);
	free(cn);
	cm->conns[slot] = NULL;
}

/*
 * May one more call go over this connection?  RFC 2637 3.1.3 would have
 * one control connection per client and server, but the servers in the
 * field differ: poptop (Debian's pptpd) serves one call per connection
 * and, asked for a second, closes the connection with the first call on
 * it; it says so in its SCCRP, "maximum channels 1" (seen: host "local",
 * vendor "linux", firmware 1, maximum channels 1), as accel-ppp does.
 * RFC 2637 2.2 calls the field "the total number of individual PPP
 * sessions this PAC can support".  So a call shares a connection only
 * when the server has said it has room for one more there; a server
 * that says 0 (nothing) or that has failed a second call before gets a
 * connection per call.  --share-connection forces either way.
 */
static bool
cm_can_share(const struct cm *cm, const struct cm_conn *cn)
{
	unsigned calls = ctrl_ncalls(&cn->ctrl);
	enum ctrl_state st = cn->ctrl.state;

	if (st != CTRL_IDLE && st != CTRL_WAIT_REPLY && st != CTRL_UP)
		return false;		/* closing */
	if (calls == 0)
		return true;		/* up, and no one on it */
	switch (cm->o->share) {
	case SHARE_NEVER:
		return false;
	case SHARE_ALWAYS:
		return true;
	case SHARE_AUTO:
		break;
	}
	return !cm->one_call && st == CTRL_UP &&
	    cn->ctrl.peer.max_channels > calls;
}

/* Give the client's request a call, on a connection that can carry it. */
static void
cm_place(struct cm *cm, struct cm_client *cl, uint64_t now)
{
	struct cm_conn *cn = NULL;
	char why[CM_WHY_LEN];
	int calls = 0;

	for (int i = 0; i < CM_MAX_CLIENTS; i++)
		calls += cm->clients[i].fd >= 0 && cm->clients[i].conn != NULL;
	if (calls >= CM_MAX_CALLS) {
		snprintf(why, sizeof(why), "call manager for %s already holds "
		    "%d calls, its most: no more tunnels to it", cm->addr,
		    CM_MAX_CALLS);
		log_warnx("callmgr %s: %d calls, refusing another", cm->addr,
		    CM_MAX_CALLS);
		client_down(cl, PPTP_EXIT_ERROR, why);
		return;
	}
	for (int i = 0; i < CM_MAX_CONNS && cn == NULL; i++)
		if (cm->conns[i] != NULL && cm_can_share(cm, cm->conns[i]))
			cn = cm->conns[i];
	if (cn == NULL)
		cn = cm_conn_new(cm);
	if (cn == NULL) {
		client_down(cl, PPTP_EXIT_ERROR, "call manager: no room for "
		    "another control connection");
		return;
	}
	if (cm_take_id(cm, cn, why, sizeof(why)) < 0) {
		log_warnx("callmgr %s: %s", cm->addr, why);
		client_down(cl, PPTP_EXIT_ERROR, why);
		return;
	}
	cl->conn = cn;
	cl->shared = ctrl_ncalls(&cn->ctrl) > 0;
	if (cl->shared)
		log_info("callmgr %s: another call over this connection "
		    "(server's maximum channels %u)", cn->name,
		    cn->ctrl.peer.max_channels);
	cl->call = ctrl_call_open(&cn->ctrl, cl, cl->req.req.window,
	    cl->req.req.ppd, cl->req.req.sync, cl->req.req.phone, now);
	cm->reserving = 0;
	/* Connect on the first request: then someone hears how it went. */
	if (cl->call != NULL && cn->tcp < 0 && cm_tcp_start(cn, now) < 0)
		ctrl_tcp_closed(&cn->ctrl, PPTP_EXIT_ERROR,
		    "call manager cannot open its TCP socket");
	if (cl->call == NULL && !cl->gone && !cl->again) {
		snprintf(why, sizeof(why), "call manager for %s is closing",
		    cm->addr);
		client_down(cl, PPTP_EXIT_RETRY, why);
	}
}

/*
 * Only root and the user that started us may use us: the run directory
 * should keep everyone else out, and this holds if it does not.
 */
static void
cm_accept(struct cm *cm, uint64_t now)
{
	int fd = accept4(cm->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	uid_t uid;
	pid_t pid;

	if (fd < 0)
		return;
	if (rdv_peer(fd, &uid, &pid) < 0) {
		log_warn("callmgr %s: SO_PEERCRED", cm->addr);
		close(fd);
		return;
	}
	if (uid != 0 && uid != cm->start_uid) {
		log_warnx("callmgr %s: refused a client of uid %u (pid %d): "
		    "only root and uid %u may use this call manager",
		    cm->addr, (unsigned)uid, (int)pid,
		    (unsigned)cm->start_uid);
		close(fd);
		return;
	}
	for (int i = 0; i < CM_MAX_CLIENTS; i++) {
		if (cm->clients[i].fd < 0) {
			cm->clients[i] = (struct cm_client){ .fd = fd,
			    .pid = pid, .hello_due_ms = now + CM_HELLO_MS };
			cm->had_client = true;
			return;
		}
	}
	log_warnx("callmgr %s: more than %d instances at once, refusing one",
	    cm->addr, CM_MAX_CLIENTS);
	close(fd);
}

static void
cm_client_read(struct cm *cm, struct cm_client *cl, uint64_t now)
{
	struct ipc_msg raw;
	struct cm_msg m;
	int r = cm_recv(cl->fd, &m, &raw, IPC_NOWAIT), fd = raw.fd;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r == 0 || (r < 0 && errno != EBADMSG)) {
		cl->hangup = true;	/* the instance is done */
		return;
	}
	cl->hello_due_ms = 0;		/* it spoke: judged by what it said */
	if (r < 0)
		m.type = CM_NTYPES;		/* bad: below */
	if (m.type == CM_STATS_FD) {
		cm_take_pub(cl, fd);
	} else if (m.type == CM_STATUS_REQ && cl->conn == NULL &&
	    !cl->again && cl->out == NULL) {
		cm_status(cm, cl, now);
	} else if (m.type != CM_CALL_REQ || cl->conn != NULL || cl->again ||
	    cl->call != NULL) {
		log_warnx("callmgr %s: bad message from an instance (%zu "
		    "bytes), dropping it", cm->addr, raw.size);
		cl->hangup = true;
	} else {
		cl->req = m;
		cm_place(cm, cl, now);
	}
	if (fd >= 0)
		close(fd);
}

/*
 * Instances that hung up: their calls are cleared (CCRQ, CDN), and only
 * then is their socket closed, so that a gateway that keeps its GRE
 * socket until it sees that close never leaves the server talking to a
 * closed socket.  Clients whose calls are gone are closed here.
 */
static void
cm_reap(struct cm *cm, uint64_t now)
{
	for (int i = 0; i < CM_MAX_CLIENTS; i++) {
		struct cm_client *cl = &cm->clients[i];

		if (cl->fd < 0)
			continue;
		if (cl->again && !cl->hangup) {
			cl->again = false;
			cm_place(cm, cl, now);
		}
		if (cl->hangup && !cl->gone) {
			cl->gone = true;
			cl->again = false;
			if (cl->call != NULL)
				ctrl_call_close(&cl->conn->ctrl, cl->call, now);
		}
		if (cl->out != NULL && cl->nsent < cl->nout &&
		    now >= cl->out_due_ms)
			cl->hangup = true;	/* the reader does not read */
		if (cl->gone && cl->call == NULL) {
			free(cl->out);
			if (cl->pub != NULL)
				munmap((void *)(uintptr_t)cl->pub,
				    sizeof(*cl->pub));
			close(cl->fd);
			*cl = (struct cm_client){ .fd = -1 };
		}
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

static int
cm_nconns(const struct cm *cm)
{
	int n = 0;

	for (int i = 0; i < CM_MAX_CONNS; i++)
		n += cm->conns[i] != NULL;
	return n;
}

/*
 * No more new instances here: they will start a fresh manager.  The
 * keeper removes the socket file if it is still ours (a newer manager
 * may have replaced it), under the lock that instances take; unlinked
 * before closed, so that no attacher takes it for a crashed one's.
 */
static void
cm_stop_listening(struct cm *cm)
{
	if (cm->lfd < 0)
		return;
	keeper_unlink(cm->kfd);
	close(cm->lfd);
	cm->lfd = -1;
}

/* Connections with no call left say goodbye; dead ones go. */
static void
cm_tend_conns(struct cm *cm, uint64_t now)
{
	for (int i = 0; i < CM_MAX_CONNS; i++) {
		struct cm_conn *cn = cm->conns[i];

		if (cn == NULL)
			continue;
		if (ctrl_ncalls(&cn->ctrl) == 0) {
			if (cn->connecting || cn->ctrl.state == CTRL_IDLE)
				ctrl_tcp_closed(&cn->ctrl, PPTP_EXIT_OK,
				    "no calls left");
			else if (cn->ctrl.state == CTRL_UP ||
			    cn->ctrl.state == CTRL_WAIT_REPLY)
				ctrl_close(&cn->ctrl, now);
		}
		cm_tcp_write(cn);
		if (cn->ctrl.state == CTRL_DEAD)
			cm_conn_free(cm, i);
	}
}

static int
cm_poll_timeout(const struct cm *cm, uint64_t now)
{
	uint64_t due = 0;

	for (int i = 0; i < CM_MAX_CONNS; i++) {
		const struct cm_conn *cn = cm->conns[i];
		uint64_t d;

		if (cn == NULL)
			continue;
		d = ctrl_next_deadline(&cn->ctrl);
		if (cn->connecting && (d == 0 || cn->connect_due_ms < d))
			d = cn->connect_due_ms;
		if (d != 0 && (due == 0 || d < due))
			due = d;
	}
	for (int i = 0; i < CM_MAX_CLIENTS; i++) {
		const struct cm_client *cl = &cm->clients[i];

		if (cl->fd >= 0 && cl->out != NULL && !cl->hangup &&
		    (due == 0 || cl->out_due_ms < due))
			due = cl->out_due_ms;
	}
	if (!cm->had_client) {
		uint64_t first = cm->started_ms + CM_FIRST_CLIENT_MS;

		if (due == 0 || first < due)
			due = first;
	}
	for (int i = 0; i < CM_MAX_CLIENTS; i++) {
		const struct cm_client *cl = &cm->clients[i];

		if (cl->fd >= 0 && !cl->hangup && cl->hello_due_ms != 0 &&
		    (due == 0 || cl->hello_due_ms < due))
			due = cl->hello_due_ms;
	}
	if (due == 0)
		return -1;
	return due <= now ? 0 : (int)(due - now);
}

/* One pass of work that needs no input: signals, timers, reaping. */
static void
cm_tick(struct cm *cm, uint64_t now)
{
	if (cm_stop) {
		cm_stop = 0;
		log_info("callmgr %s: stopping on a signal", cm->addr);
		for (int i = 0; i < CM_MAX_CLIENTS; i++)
			if (cm->clients[i].fd >= 0)
				cm->clients[i].hangup = true;
		cm->had_client = true;
		cm_stop_listening(cm);	/* newcomers start a manager anew */
	}
	for (int i = 0; i < CM_MAX_CONNS; i++) {
		struct cm_conn *cn = cm->conns[i];

		if (cn == NULL)
			continue;
		if (cn->connecting && now >= cn->connect_due_ms)
			cm_connect_failed(cn, ETIMEDOUT);
		ctrl_timer(&cn->ctrl, now);
	}
	for (int i = 0; i < CM_MAX_CLIENTS; i++) {
		struct cm_client *cl = &cm->clients[i];

		if (cl->fd < 0 || cl->hangup || cl->hello_due_ms == 0 ||
		    now < cl->hello_due_ms)
			continue;
		log_warnx("callmgr %s: a client (pid %d) said nothing in %d s: "
		    "dropping it", cm->addr, (int)cl->pid, CM_HELLO_MS / 1000);
		cl->hello_due_ms = 0;
		cl->hangup = true;
	}
	cm_reap(cm, now);
	if (!cm->had_client && now >= cm->started_ms + CM_FIRST_CLIENT_MS) {
		log_warnx("callmgr %s: no instance came", cm->addr);
		cm->had_client = true;
	}
	if (cm->had_client && cm_nclients(cm) == 0)
		cm_stop_listening(cm);
	cm_tend_conns(cm, now);
	cm_release_ids(cm);
	cm_note_states(cm);
}

static void
cm_loop(struct cm *cm, const sigset_t *waitmask)
{
	struct pollfd pfd[1 + CM_MAX_CONNS + CM_MAX_CLIENTS];
	struct cm_conn *pconn[CM_MAX_CONNS];
	struct cm_client *pcl[CM_MAX_CLIENTS];

	for (;;) {
		uint64_t now = now_ms();
		int n = 0, nconn = 0, ncl = 0, t;
		struct timespec ts;
		const uint8_t *p;

		cm_tick(cm, now);
		if (cm->had_client && cm_nclients(cm) == 0 &&
		    cm_nconns(cm) == 0)
			break;

		if (cm->lfd >= 0)
			pfd[n++] = (struct pollfd){ cm->lfd, POLLIN, 0 };
		for (int i = 0; i < CM_MAX_CONNS; i++) {
			struct cm_conn *cn = cm->conns[i];

			if (cn == NULL || cn->tcp < 0)
				continue;
			pconn[nconn++] = cn;
			pfd[n++] = (struct pollfd){ cn->tcp,
			    (short)((cn->connecting || ctrl_output(&cn->ctrl,
			    &p) > 0 ? POLLOUT : 0) |
			    (cn->connecting ? 0 : POLLIN)), 0 };
		}
		for (int i = 0; i < CM_MAX_CLIENTS; i++) {
			if (cm->clients[i].fd < 0 || cm->clients[i].gone)
				continue;
			pcl[ncl++] = &cm->clients[i];
			pfd[n++] = (struct pollfd){ cm->clients[i].fd,
			    (short)(POLLIN | (cm->clients[i].out != NULL ||
			    (cm->clients[i].sli_due && !cm->clients[i].hangup) ?
			    POLLOUT : 0)), 0 };
		}
		t = cm_poll_timeout(cm, now);
		ts = (struct timespec){ t / 1000, (long)(t % 1000) * 1000000 };
		/* signals are blocked but while waiting: none is missed */
		if (ppoll(pfd, (nfds_t)n, t < 0 ? NULL : &ts, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fatal("callmgr: poll");
		}
		now = now_ms();
		n = 0;
		if (cm->lfd >= 0 && pfd[n++].revents & POLLIN)
			cm_accept(cm, now);
		for (int i = 0; i < nconn; i++, n++) {
			struct cm_conn *cn = pconn[i];

			if (pfd[n].revents == 0 || cn->ctrl.state == CTRL_DEAD)
				continue;
			if (cn->connecting)
				cm_tcp_connected(cn, now);
			else if (pfd[n].revents & (POLLIN | POLLHUP | POLLERR))
				cm_tcp_read(cn, now);
		}
		for (int i = 0; i < ncl; i++, n++) {
			if (pfd[n].revents & POLLOUT && !pcl[i]->hangup &&
			    pcl[i]->out != NULL)
				cm_status_flush(pcl[i]);	/* a reader */
			if (pfd[n].revents & POLLOUT)
				client_sli_flush(pcl[i]);	/* a tunnel */
			if (pfd[n].revents & ~POLLOUT && !pcl[i]->gone)
				cm_client_read(cm, pcl[i], now);
		}
	}
}

/* The manager's life, in the grandchild of the instance that started it. */
static void __attribute__((noreturn))
cm_main(const struct pptp_opts *o, const struct pptp_addr *server, int lfd,
    int kfd, const char *sockpath)
{
	struct cm *cm = calloc(1, sizeof(*cm));
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t waitmask;

	if (cm == NULL)
		fatal("callmgr: calloc");
	cm->start_uid = getuid();
	cm->netns = rdv_netns_id();
	cm->o = o;
	cm->server = *server;
	cm->lfd = lfd;
	cm->kfd = kfd;
	cm->started_ms = now_ms();
	cm->started_wall_ms = wall_ms();
	snprintf(cm->sockpath, sizeof(cm->sockpath), "%s", sockpath);
	addr_ntop(server, cm->addr, sizeof(cm->addr));
	for (int i = 0; i < CM_MAX_CLIENTS; i++)
		cm->clients[i].fd = -1;
	proc_title("pptp: call manager %s", cm->addr);

	sig_block(NULL, &waitmask, SIGTERM, SIGINT, SIGHUP, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);

	if (o->client_hostname != NULL)
		snprintf(cm->cfg.hostname, sizeof(cm->cfg.hostname), "%s",
		    o->client_hostname);
	else if (gethostname(cm->cfg.hostname, sizeof(cm->cfg.hostname) -
	    1) < 0)
		snprintf(cm->cfg.hostname, sizeof(cm->cfg.hostname), "local");
	cm->cfg.quirk = o->quirks != NULL ? quirk_find(o->quirks) : NULL;
	cm->cfg.idle_wait_ms = o->idle_wait_s * 1000;
	cm->cfg.echo_wait_ms = o->max_echo_wait_s * 1000;
	cm->cfg.reply_wait_ms = o->reply_timeout_s * 1000;
	cm->cfg.cdn_wait_ms = 1000;
	cm->cfg.stop_wait_ms = 1000;
	snprintf(cm->why, sizeof(cm->why), "no calls");
	/* Set up: what is left reads the network, and may do no more. */
	logrelay_start(&o->sandbox, "callmgr");	/* syslog's socket goes */
	sandbox_enter(&o->sandbox, o->localbind != NULL ? SB_MANAGER_BIND :
	    SB_MANAGER, "callmgr");
	test_pause("callmgr");
	cm_loop(cm, &waitmask);

	/* the keeper removes the host route once we are gone */
	cm_stop_listening(cm);
	log_info("callmgr %s: exiting: %s", cm->addr, cm->why);
	exit(cm->status);
}

/* The keeper and its manager are nobody's children but init's. */
int
callmgr_spawn(const struct pptp_opts *o, const struct pptp_addr *server,
    int lfd, int lockfd, const char *path)
{
	int r = fork_orphan();

	if (r < 0)
		return -1;
	if (r == 0) {
		char routelock[sizeof(((struct sockaddr_un *)0)->sun_path)];
		struct keeper_cfg k = { .server = *server, .sockpath = path,
		    .routelock = routelock, .lfd = lfd };
		int kfd;

		close(lockfd);
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
		setsid();
		if (chdir("/") < 0)
			log_warn("callmgr: chdir /");
		/* stdin/stdout go away: the instance's are pppd's */
		(void)stdio_null(2);
		rdv_route_lock_path(server, routelock, sizeof(routelock));
		/* the keeper stays here, root's; the manager goes on below */
		kfd = keeper_fork(o, &k);
		if (kfd < 0)
			fatal("callmgr: cannot start its keeper");
		cm_main(o, server, lfd, kfd, path);
	}
	return 0;
}


int
callmgr_down(const struct cm_msg *m)
{
	char why[4 * CM_WHY_LEN + 1];
	unsigned st = m->down.status;

	if (st != PPTP_EXIT_RETRY)
		log_warnx("%s", log_escape(m->down.why, why, sizeof(why)));
	if (st <= PPTP_EXIT_RETRY)
		return (int)st;
	log_warnx("the call manager ended the call with status %u, which "
	    "pptp does not know: exit status %d", st, PPTP_EXIT_ERROR);
	return PPTP_EXIT_ERROR;
}


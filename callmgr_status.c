// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The call manager's status answers (pptp --status): a line per
 * manager, connection and call (status.h), each call's with the figures
 * of its gateway's shared page; queued, and sent as the reader reads so
 * that a reader that does not read stalls nothing.  Also the moments
 * connections and calls change state, which the lines show.
 */
#include "callmgr_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static const char *
conn_state_word(enum ctrl_state st)
{
	switch (st) {
	case CTRL_IDLE:
	case CTRL_WAIT_REPLY:
		return "connecting";
	case CTRL_UP:
		return "up";
	case CTRL_WAIT_STOP:
		return "stopping";
	case CTRL_DEAD:
		break;
	}
	return "closed";
}

static const char *
call_state_word(enum call_state st)
{
	switch (st) {
	case CALL_PENDING:
	case CALL_WAIT_REPLY:
		return "connecting";
	case CALL_UP:
		return "up";
	case CALL_CLEARING:
		return "clearing";
	case CALL_FREE:
		break;
	}
	return "gone";
}

static void
status_send(struct cm_client *cl, const struct status_line *l)
{
	struct cm_msg *m = &cl->out[cl->nout++];

	*m = (struct cm_msg){ .type = CM_STATUS_LINE };
	snprintf(m->line, sizeof(m->line), "%s", l->text);
}

/*
 * What of the answer the reader's socket has room for (with many
 * tunnels it is more than a socket buffer holds); all sent, it is done.
 */
void
cm_status_flush(struct cm_client *cl)
{
	for (; cl->nsent < cl->nout; cl->nsent++) {
		if (cm_send(cl->fd, &cl->out[cl->nsent], -1, IPC_NOWAIT) < 0) {
			if (errno != EAGAIN)
				cl->hangup = true;
			return;
		}
	}
	cl->hangup = true;
}

/* One call's line: the manager's view, then its gateway's figures. */
static void
cm_status_call(const struct cm_client *c, int conn, struct status_line *l)
{
	const struct ctrl_call *k = c->call;
	struct gw_pub p;

	status_line_init(l, "call");
	status_line_u64(l, "conn", (uint64_t)conn);
	status_line_str(l, "state", call_state_word(k->state));
	status_line_u64(l, "since", c->since_ms);
	status_line_u64(l, "call_id", k->call_id);
	status_line_u64(l, "peer_call_id", k->peer_call_id);
	status_line_u64(l, "speed", k->connect_speed);
	status_line_u64(l, "peer_window", k->peer_window);
	if (c->pub == NULL || !status_pub_read(c->pub, &p))
		return;
	status_line_u64(l, "pppd", p.pppd_pid > 0 ? (uint64_t)p.pppd_pid : 0);
	status_line_figures(l, &p.fig);
	if (p.last_ms != 0) {
		status_line_str(l, "last_warning", p.last);
		status_line_u64(l, "last_warning_at", p.last_ms);
	}
}

/*
 * pptp --status: every connection and call, one line each, then "end".
 * Sent as the reader reads, never waited for: a reader that has not
 * read it all within CM_STATUS_MS loses it, and the manager goes on.
 */
void
cm_status(struct cm *cm, struct cm_client *cl, uint64_t now)
{
	static const char *const share[] = { "auto", "never", "always" };
	struct status_line l;

	cl->out = malloc(CM_STATUS_LINES * sizeof(*cl->out));
	if (cl->out == NULL) {
		cl->hangup = true;
		return;
	}
	cl->out_due_ms = now + CM_STATUS_MS;
	status_line_init(&l, "manager");
	status_line_u64(&l, "version", STATUS_VERSION);
	status_line_str(&l, "server", cm->addr);
	status_line_str(&l, "host", cm->o->server);
	status_line_u64(&l, "pid", (uint64_t)getpid());
	status_line_u64(&l, "netns", cm->netns);
	status_line_u64(&l, "since", cm->started_wall_ms);
	status_line_str(&l, "share", share[cm->o->share]);
	status_line_u64(&l, "one_call", cm->one_call);
	status_send(cl, &l);
	for (int i = 0; i < CM_MAX_CONNS; i++) {
		const struct cm_conn *cn = cm->conns[i];
		const struct msg_sccrp *p;
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct pptp_addr local;
		char addr[ADDR_STRLEN];

		if (cn == NULL)
			continue;
		p = &cn->ctrl.peer;
		status_line_init(&l, "conn");
		status_line_u64(&l, "id", (uint64_t)i + 1);
		status_line_str(&l, "state", conn_state_word(cn->ctrl.state));
		status_line_u64(&l, "since", cn->since_ms);
		if (cn->tcp >= 0 && !cn->connecting && getsockname(cn->tcp,
		    (struct sockaddr *)&ss, &len) == 0 &&
		    addr_from_sockaddr((struct sockaddr *)&ss, len,
		    &local) == 0)
			status_line_str(&l, "local", addr_ntop(&local, addr,
			    sizeof(addr)));
		if (cn->ctrl.state == CTRL_UP ||
		    cn->ctrl.state == CTRL_WAIT_STOP) {
			status_line_str(&l, "peer_host", p->hostname);
			status_line_str(&l, "peer_vendor", p->vendor);
			status_line_u64(&l, "firmware", p->firmware_rev);
			status_line_u64(&l, "max_channels", p->max_channels);
		}
		status_line_u64(&l, "ncalls", ctrl_ncalls(&cn->ctrl));
		status_send(cl, &l);
		for (int j = 0; j < CM_MAX_CLIENTS; j++) {
			const struct cm_client *c = &cm->clients[j];

			if (c->fd < 0 || c->call == NULL || c->conn != cn)
				continue;
			cm_status_call(c, i + 1, &l);
			status_send(cl, &l);
		}
	}
	status_line_init(&l, "end");
	status_send(cl, &l);
	cm_status_flush(cl);
}

/* Note when connections and calls change state, for status. */
void
cm_note_states(struct cm *cm)
{
	uint64_t now = 0;

	for (int i = 0; i < CM_MAX_CONNS; i++) {
		struct cm_conn *cn = cm->conns[i];

		if (cn != NULL && (cn->since_ms == 0 ||
		    cn->seen != cn->ctrl.state)) {
			cn->seen = cn->ctrl.state;
			cn->since_ms = now != 0 ? now : (now = wall_ms());
		}
	}
	for (int i = 0; i < CM_MAX_CLIENTS; i++) {
		struct cm_client *c = &cm->clients[i];

		if (c->fd >= 0 && c->call != NULL && (c->since_ms == 0 ||
		    c->seen != c->call->state)) {
			c->seen = c->call->state;
			c->since_ms = now != 0 ? now : (now = wall_ms());
		}
	}
}

/* The gateway's statistics page, read-only; a wrong one is ignored. */
void
cm_take_pub(struct cm_client *cl, int fd)
{
	struct stat st;
	int seals;
	void *p;

	/*
	 * Only a memfd sealed against shrinking, so that reading it cannot
	 * fault, and against writing by any mapping but its gateway's
	 * (F_SEAL_FUTURE_WRITE, or F_SEAL_WRITE), so that ours cannot be
	 * made writable (mprotect) to write into the gateway's.  F_GET_SEALS
	 * is -1 on anything else (a tmpfs or disk file that its sender
	 * could truncate under us), whose bits are all set.
	 */
	if (fd < 0 || cl->pub != NULL || cl->call == NULL ||
	    fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)sizeof(struct gw_pub))
		return;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK) ||
	    !(seals & (F_SEAL_FUTURE_WRITE | F_SEAL_WRITE)))
		return;
	p = mmap(NULL, sizeof(struct gw_pub), PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		cl->pub = p;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control connection as the PNS, RFC 2637 section 3: the connection
 * state machine (a table), the calls (a switch on each message), and the
 * timers of 3.1.4 as deadlines on the monotonic clock.  No sockets: bytes
 * come in through ctrl_input() and go out through ctrl_output().
 *
 * Errors that end a call are not logged here but handed to the call's
 * owner as one line of words (ctrl_ops.call_down), which the owner logs
 * once; what is logged here is progress and the server's own reports.
 */
#include "pptp_ctrl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pptp_opts.h"
#include "pptp_quirks.h"
#include "util.h"

enum ctrl_event {
	EV_OPEN,
	EV_SCCRP_OK,
	EV_SCCRP_NAK,
	EV_STOPCCRQ,
	EV_STOPCCRP,
	EV_CLOSE,
	EV_TIMEOUT,
	EV_ECHO_LOST,
	EV_BROKEN,	/* malformed message, TCP closed, no room to send */
};

static const char *const ev_names[] = {
	[EV_OPEN] = "OPEN", [EV_SCCRP_OK] = "SCCRP_OK",
	[EV_SCCRP_NAK] = "SCCRP_NAK", [EV_STOPCCRQ] = "STOPCCRQ",
	[EV_STOPCCRP] = "STOPCCRP", [EV_CLOSE] = "CLOSE",
	[EV_TIMEOUT] = "TIMEOUT", [EV_ECHO_LOST] = "ECHO_LOST",
	[EV_BROKEN] = "BROKEN",
};

static void send_sccrq(struct ctrl_conn *c, uint64_t now);
static void established(struct ctrl_conn *c, uint64_t now);
static void send_stopccrq(struct ctrl_conn *c, uint64_t now);
static void send_stopccrp(struct ctrl_conn *c, uint64_t now);

static const struct ctrl_step {
	enum ctrl_state	 from;
	enum ctrl_event	 ev;
	enum ctrl_state	 to;
	void		(*act)(struct ctrl_conn *, uint64_t);
} ctrl_steps[] = {
	{ CTRL_IDLE,       EV_OPEN,      CTRL_WAIT_REPLY, send_sccrq },
	{ CTRL_IDLE,       EV_CLOSE,     CTRL_DEAD,       NULL },
	{ CTRL_WAIT_REPLY, EV_SCCRP_OK,  CTRL_UP,         established },
	{ CTRL_WAIT_REPLY, EV_SCCRP_NAK, CTRL_DEAD,       NULL },
	{ CTRL_WAIT_REPLY, EV_TIMEOUT,   CTRL_DEAD,       NULL },
	{ CTRL_WAIT_REPLY, EV_STOPCCRQ,  CTRL_DEAD,       send_stopccrp },
	{ CTRL_WAIT_REPLY, EV_CLOSE,     CTRL_WAIT_STOP,  send_stopccrq },
	{ CTRL_UP,         EV_STOPCCRQ,  CTRL_DEAD,       send_stopccrp },
	{ CTRL_UP,         EV_CLOSE,     CTRL_WAIT_STOP,  send_stopccrq },
	{ CTRL_UP,         EV_ECHO_LOST, CTRL_DEAD,       NULL },
	{ CTRL_WAIT_STOP,  EV_STOPCCRP,  CTRL_DEAD,       NULL },
	{ CTRL_WAIT_STOP,  EV_STOPCCRQ,  CTRL_DEAD,       send_stopccrp },
	{ CTRL_WAIT_STOP,  EV_TIMEOUT,   CTRL_DEAD,       NULL },
};

const char *
ctrl_state_name(enum ctrl_state s)
{
	static const char *const names[] = {
		[CTRL_IDLE] = "IDLE", [CTRL_WAIT_REPLY] = "WAIT_REPLY",
		[CTRL_UP] = "UP", [CTRL_WAIT_STOP] = "WAIT_STOP",
		[CTRL_DEAD] = "DEAD",
	};

	return (unsigned)s <= CTRL_DEAD ? names[s] : "?";
}

/* Remember why the connection ends; the first reason given stands. */
static void __attribute__((format(printf, 3, 4)))
ctrl_reason(struct ctrl_conn *c, int status, const char *fmt, ...)
{
	va_list ap;

	if (c->why[0] != '\0')
		return;
	c->status = status;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

static void
call_free(struct ctrl_call *call)
{
	memset(call, 0, sizeof(*call));
}

/* The call is gone: an owner that closed it hears so; free the slot. */
static void
call_release(struct ctrl_conn *c, struct ctrl_call *call)
{
	void *owner = call->leaving ? call->owner : NULL;

	call_free(call);
	if (owner != NULL && c->ops->cleared != NULL)
		c->ops->cleared(c->arg, owner);
}

/* Tell the owner (if any) why its call ended, and free the slot. */
static void
call_end(struct ctrl_conn *c, struct ctrl_call *call, int status,
    const char *why)
{
	if (call->owner != NULL && !call->leaving)
		c->ops->call_down(c->arg, call, status, why);
	call_release(c, call);
}

static void
ctrl_set_state(struct ctrl_conn *c, enum ctrl_state to, enum ctrl_event ev)
{
	log_debug("ctrl %s: %s -> %s on %s", c->cfg.server,
	    ctrl_state_name(c->state), ctrl_state_name(to), ev_names[ev]);
	c->state = to;
	if (to != CTRL_DEAD)
		return;
	c->reply_due_ms = c->idle_due_ms = c->echo_due_ms = 0;
	if (c->why[0] == '\0')
		ctrl_reason(c, PPTP_EXIT_OK, "control connection closed");
	for (int i = 0; i < CTRL_MAX_CALLS; i++)
		if (c->calls[i].state != CALL_FREE)
			call_end(c, &c->calls[i], c->status, c->why);
}

static void
ctrl_fsm(struct ctrl_conn *c, enum ctrl_event ev, uint64_t now)
{
	if (c->state == CTRL_DEAD)
		return;
	if (ev == EV_BROKEN) {
		ctrl_set_state(c, CTRL_DEAD, ev);
		return;
	}
	for (size_t i = 0; i < sizeof(ctrl_steps) / sizeof(ctrl_steps[0]);
	    i++) {
		const struct ctrl_step *s = &ctrl_steps[i];

		if (s->from != c->state || s->ev != ev)
			continue;
		if (s->act != NULL)
			s->act(c, now);
		ctrl_set_state(c, s->to, ev);
		return;
	}
	log_debug("ctrl %s: ignoring %s in state %s", c->cfg.server,
	    ev_names[ev], ctrl_state_name(c->state));
}

/* Queue one message for the server; no room means the server is stuck. */
static void
ctrl_send(struct ctrl_conn *c, struct msg *m)
{
	size_t n = msg_encode(m, c->out + c->out_len,
	    sizeof(c->out) - c->out_len);

	if (n == 0) {
		/* Broken at the end of the entry point, not mid-action. */
		ctrl_reason(c, PPTP_EXIT_TIMEOUT,
		    "server is not reading the control connection");
		c->stuck = true;
		return;
	}
	log_debug("ctrl %s: sent %s", c->cfg.server,
	    msg_type_name(m->hdr.ctrl_type));
	c->out_len += n;
}

/* End of every entry point: act on a failure found on the way. */
static void
ctrl_settle(struct ctrl_conn *c)
{
	if (c->stuck)
		ctrl_fsm(c, EV_BROKEN, 0);
}

static void
send_sccrq(struct ctrl_conn *c, uint64_t now)
{
	struct msg m;

	msg_init(&m, MSG_SCCRQ);
	m.sccrq.version = MSG_VERSION;
	m.sccrq.framing_caps = MSG_FRAMING_ASYNC | MSG_FRAMING_SYNC;
	m.sccrq.bearer_caps = MSG_BEARER_ANALOG | MSG_BEARER_DIGITAL;
	m.sccrq.max_channels = 0;	/* RFC 2637 2.1: a PNS sends 0 */
	m.sccrq.firmware_rev = 0x0100;
	snprintf(m.sccrq.hostname, sizeof(m.sccrq.hostname), "%s",
	    c->cfg.hostname);
	snprintf(m.sccrq.vendor, sizeof(m.sccrq.vendor), "pptp %s",
	    PPTP_VERSION);
	if (c->cfg.quirk != NULL && c->cfg.quirk->sccrq != NULL)
		c->cfg.quirk->sccrq(&m.sccrq);
	ctrl_send(c, &m);
	c->reply_due_ms = now + c->cfg.reply_wait_ms;
}

static void
send_stopccrq(struct ctrl_conn *c, uint64_t now)
{
	struct msg m;

	msg_init(&m, MSG_STOPCCRQ);
	m.stopccrq.reason = 3;		/* local shutdown */
	ctrl_send(c, &m);
	c->idle_due_ms = c->echo_due_ms = 0;
	c->reply_due_ms = now + c->cfg.stop_wait_ms;
}

static void
send_stopccrp(struct ctrl_conn *c, uint64_t now)
{
	struct msg m;

	(void)now;
	msg_init(&m, MSG_STOPCCRP);
	m.stopccrp.result = 1;
	ctrl_send(c, &m);
}

static void
send_ocrq(struct ctrl_conn *c, struct ctrl_call *call, uint64_t now)
{
	struct msg m;

	msg_init(&m, MSG_OCRQ);
	m.ocrq.call_id = call->call_id;
	m.ocrq.call_serial = call->serial;
	m.ocrq.min_bps = 300;
	m.ocrq.max_bps = 100000000;
	m.ocrq.bearer_type = MSG_BEARER_ANY;
	m.ocrq.framing_type = call->sync ? MSG_FRAMING_SYNC :
	    MSG_FRAMING_ASYNC;
	m.ocrq.recv_window = call->window;
	m.ocrq.proc_delay = call->ppd;
	snprintf(m.ocrq.phone, sizeof(m.ocrq.phone), "%s", call->phone);
	m.ocrq.phone_len = (uint16_t)strlen(m.ocrq.phone);
	if (c->cfg.quirk != NULL && c->cfg.quirk->ocrq != NULL)
		c->cfg.quirk->ocrq(&m.ocrq);
	ctrl_send(c, &m);
	call->state = CALL_WAIT_REPLY;
	call->due_ms = now + c->cfg.reply_wait_ms;
}

static void
send_ccrq(struct ctrl_conn *c, struct ctrl_call *call, uint64_t now)
{
	struct msg m;

	msg_init(&m, MSG_CCRQ);
	m.ccrq.call_id = call->call_id;	/* RFC 2637 2.12: our own ID */
	ctrl_send(c, &m);
	call->state = CALL_CLEARING;
	call->due_ms = now + c->cfg.cdn_wait_ms;
}

/* Silence from now on is counted again; --idle-wait 0: no Echo-Requests. */
static void
idle_restart(struct ctrl_conn *c, uint64_t now)
{
	c->idle_due_ms = c->cfg.idle_wait_ms != 0 ? now +
	    c->cfg.idle_wait_ms : 0;
}

static void
established(struct ctrl_conn *c, uint64_t now)
{
	char host[3 * MSG_HOSTNAME_LEN], vendor[3 * MSG_VENDOR_LEN];

	c->reply_due_ms = 0;
	idle_restart(c, now);
	log_info("ctrl %s: control connection up: server \"%s\", vendor "
	    "\"%s\", firmware 0x%04x, protocol %u.%u", c->cfg.server,
	    log_escape(c->peer.hostname, host, sizeof(host)),
	    log_escape(c->peer.vendor, vendor, sizeof(vendor)),
	    c->peer.firmware_rev, c->peer.version >> 8,
	    c->peer.version & 0xff);
	for (int i = 0; i < CTRL_MAX_CALLS; i++)
		if (c->calls[i].state == CALL_PENDING)
			send_ocrq(c, &c->calls[i], now);
}

void
ctrl_init(struct ctrl_conn *c, const struct ctrl_cfg *cfg,
    const struct ctrl_ops *ops, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->ops = ops;
	c->arg = arg;
	c->next_call_id = cfg->first_call_id;
	c->next_serial = cfg->first_serial;
	msg_reader_init(&c->rd);
}

void
ctrl_open(struct ctrl_conn *c, uint64_t now)
{
	ctrl_fsm(c, EV_OPEN, now);
	ctrl_settle(c);
}

void
ctrl_close(struct ctrl_conn *c, uint64_t now)
{
	ctrl_fsm(c, EV_CLOSE, now);
	ctrl_settle(c);
}

void
ctrl_tcp_closed(struct ctrl_conn *c, int status, const char *why)
{
	if (c->state == CTRL_WAIT_STOP)
		/* we asked to stop: a close is as good as the reply */
		ctrl_reason(c, PPTP_EXIT_OK, "control connection closed");
	ctrl_reason(c, status, "%s", why);
	ctrl_fsm(c, EV_BROKEN, 0);
}

static struct ctrl_call *
call_by_id(struct ctrl_conn *c, uint16_t call_id)
{
	for (int i = 0; i < CTRL_MAX_CALLS; i++)
		if (c->calls[i].state != CALL_FREE &&
		    c->calls[i].call_id == call_id)
			return &c->calls[i];
	return NULL;
}

/*
 * The call the server knows as peer_call_id.  One being cleared comes
 * first: a call refused for repeating another's server ID is cleared
 * under that ID, and the CDN that answers its clear must not end the
 * other.
 */
static struct ctrl_call *
call_by_peer_id(struct ctrl_conn *c, uint16_t peer_call_id)
{
	struct ctrl_call *up = NULL;

	for (int i = 0; i < CTRL_MAX_CALLS; i++) {
		if (c->calls[i].peer_call_id != peer_call_id)
			continue;
		if (c->calls[i].state == CALL_CLEARING)
			return &c->calls[i];
		if (c->calls[i].state == CALL_UP && up == NULL)
			up = &c->calls[i];
	}
	return up;
}

/* The one call waiting for its reply, or NULL if none or several. */
static struct ctrl_call *
call_sole_waiting(struct ctrl_conn *c)
{
	struct ctrl_call *found = NULL;

	for (int i = 0; i < CTRL_MAX_CALLS; i++) {
		if (c->calls[i].state != CALL_WAIT_REPLY)
			continue;
		if (found != NULL)
			return NULL;
		found = &c->calls[i];
	}
	return found;
}

static void
on_sccrp(struct ctrl_conn *c, const struct msg_sccrp *m, uint64_t now)
{
	if (c->state != CTRL_WAIT_REPLY) {
		log_info("ctrl %s: ignoring SCCRP in state %s", c->cfg.server,
		    ctrl_state_name(c->state));
		return;
	}
	c->peer = *m;
	if (m->result == 1) {	/* Alcatel's 0 too: quirk_alcatel */
		ctrl_fsm(c, EV_SCCRP_OK, now);
		return;
	}
	if (m->result == 2)
		ctrl_reason(c, PPTP_EXIT_REFUSED,
		    "server refused control connection: general error: %s "
		    "(error code %u)", msg_error_str(m->error), m->error);
	else
		ctrl_reason(c, PPTP_EXIT_REFUSED,
		    "server refused control connection: %s (result %u)",
		    msg_result_str(MSG_SCCRP, m->result), m->result);
	ctrl_fsm(c, EV_SCCRP_NAK, now);
}

static void
on_ocrp(struct ctrl_conn *c, const struct msg_ocrp *m, uint64_t now)
{
	struct ctrl_call *call = call_by_id(c, m->peer_call_id), *other;
	char why[200];

	if (call == NULL || call->state != CALL_WAIT_REPLY) {
		log_info("ctrl %s: ignoring OCRP for call %u: no call waiting "
		    "for it", c->cfg.server, m->peer_call_id);
		return;
	}
	if (m->result != 1) {
		if (m->result == 2)
			snprintf(why, sizeof(why), "server refused call: "
			    "general error: %s (error code %u)",
			    msg_error_str(m->error), m->error);
		else
			snprintf(why, sizeof(why), "server refused call: %s "
			    "(result %u, cause %u)",
			    msg_result_str(MSG_OCRP, m->result), m->result,
			    m->cause);
		call_end(c, call, PPTP_EXIT_CALL_REFUSED, why);
		return;
	}
	other = call_by_peer_id(c, m->call_id);
	if (other != NULL) {
		/* two calls under one server ID: its GRE and its CDN could
		 * not be told apart; the new call is cleared, the old kept */
		snprintf(why, sizeof(why), "bad OCRP: server call ID %u is "
		    "call %u's already", m->call_id, other->call_id);
		log_warnx("ctrl %s: %s", c->cfg.server, why);
		if (call->owner != NULL && !call->leaving)
			c->ops->call_down(c->arg, call, PPTP_EXIT_PROTOCOL,
			    why);
		call->owner = NULL;
		call->peer_call_id = m->call_id;
		send_ccrq(c, call, now);
		return;
	}
	call->state = CALL_UP;
	call->due_ms = 0;
	call->peer_call_id = m->call_id;
	call->peer_window = m->recv_window;
	call->peer_ppd = m->proc_delay;
	call->connect_speed = m->connect_speed;
	log_info("ctrl %s: call %u up: server call ID %u, speed %u bps, "
	    "server window %u%s", c->cfg.server, call->call_id,
	    call->peer_call_id, call->connect_speed, call->peer_window,
	    call->peer_window == 0 ? " (no limit)" : "");
	if (call->owner != NULL)
		c->ops->call_up(c->arg, call);
	if (c->cfg.quirk != NULL && c->cfg.quirk->call_up_sli != NULL) {
		struct msg sli;

		msg_init(&sli, MSG_SLI);
		sli.sli.peer_call_id = call->peer_call_id;
		if (c->cfg.quirk->call_up_sli(&sli.sli))
			ctrl_send(c, &sli);
	}
}

static void
on_cdn(struct ctrl_conn *c, const struct msg_cdn *m)
{
	struct ctrl_call *call = call_by_peer_id(c, m->call_id);
	char stats[3 * MSG_STATS_LEN], why[600];

	if (call == NULL) {
		/* before its OCRP a call has no server ID to match: a CDN
		 * then ends the one call waiting, if there is just one */
		call = call_sole_waiting(c);
		if (call == NULL) {
			log_info("ctrl %s: ignoring CDN for unknown server "
			    "call %u", c->cfg.server, m->call_id);
			return;
		}
		log_escape(m->call_stats, stats, sizeof(stats));
		snprintf(why, sizeof(why), "server disconnected the call "
		    "before answering it: %s (result %u, error %s, cause "
		    "%u)%s%s%s", msg_result_str(MSG_CDN, m->result),
		    m->result, msg_error_str(m->error), m->cause,
		    stats[0] ? ", statistics \"" : "", stats,
		    stats[0] ? "\"" : "");
		call_end(c, call, PPTP_EXIT_CALL_REFUSED, why);
		return;
	}
	log_escape(m->call_stats, stats, sizeof(stats));
	if (call->state == CALL_CLEARING) {
		log_debug("ctrl %s: call %u cleared: %s, statistics \"%s\"",
		    c->cfg.server, call->call_id,
		    msg_result_str(MSG_CDN, m->result), stats);
		call_release(c, call);
		return;
	}
	snprintf(why, sizeof(why), "server disconnected the call: %s "
	    "(result %u, error %s, cause %u)%s%s%s",
	    msg_result_str(MSG_CDN, m->result), m->result,
	    msg_error_str(m->error), m->cause,
	    stats[0] ? ", statistics \"" : "", stats, stats[0] ? "\"" : "");
	call_end(c, call, PPTP_EXIT_HANGUP, why);
}

static void
on_echorq(struct ctrl_conn *c, const struct msg_echorq *m)
{
	struct msg r;

	msg_init(&r, MSG_ECHORP);
	r.echorp.id = m->id;
	r.echorp.result = 1;
	ctrl_send(c, &r);
}

static void
on_icrq(struct ctrl_conn *c, const struct msg_icrq *m)
{
	struct msg r;

	log_info("ctrl %s: refusing incoming call %u: this client only "
	    "places calls", c->cfg.server, m->call_id);
	msg_init(&r, MSG_ICRP);
	r.icrp.peer_call_id = m->call_id;
	r.icrp.result = 3;		/* do not accept */
	ctrl_send(c, &r);
}

static void
on_wen(struct ctrl_conn *c, const struct msg_wen *m)
{
	log_info("ctrl %s: WAN error notify for call %u: CRC %u, framing %u, "
	    "hardware overruns %u, buffer overruns %u, time-outs %u, "
	    "alignment %u", c->cfg.server, m->peer_call_id, m->crc_errors,
	    m->framing_errors, m->hw_overruns, m->buf_overruns, m->timeouts,
	    m->alignment_errors);
}

/* Set-Link-Info said at info level for a call, at most */
#define SLI_SAID	4

static void
on_sli(struct ctrl_conn *c, const struct msg_sli *m)
{
	struct ctrl_call *call = call_by_id(c, m->peer_call_id);

	/* a few at info; a server that keeps changing them is not a flood */
	if (call != NULL && call->slis_said >= SLI_SAID)
		log_debug("ctrl %s: set link info for call %u: send ACCM "
		    "0x%08x, receive ACCM 0x%08x", c->cfg.server,
		    m->peer_call_id, m->send_accm, m->recv_accm);
	else
		log_info("ctrl %s: set link info for call %u: send ACCM 0x%08x, "
		    "receive ACCM 0x%08x%s", c->cfg.server, m->peer_call_id,
		    m->send_accm, m->recv_accm, call != NULL &&
		    ++call->slis_said == SLI_SAID ? " (more for this call: at "
		    "debug level)" : "");
	if (call != NULL && call->owner != NULL && call->state == CALL_UP)
		c->ops->sli(c->arg, call, m->send_accm, m->recv_accm);
}

/* One quirk's incoming hook over *m; its words said once (bit). */
static void
quirk_in(struct ctrl_conn *c, const struct quirk *q, uint32_t bit,
    struct msg *m)
{
	char words[200] = "";

	if (q->incoming == NULL || !q->incoming(m, words, sizeof(words)) ||
	    words[0] == '\0' || (c->quirks_told & bit))
		return;
	c->quirks_told |= bit;
	log_info("ctrl %s: %s", c->cfg.server, words);
}

/*
 * A message from the server through the tolerances always on, then the
 * quirk chosen: a vendor's known deviation becomes what RFC 2637 says.
 */
static void
ctrl_quirks_in(struct ctrl_conn *c, struct msg *m)
{
	const struct quirk *q;

	for (size_t i = 0; (q = quirk_at(i)) != NULL; i++)
		if (q->always)
			quirk_in(c, q, 1u << i, m);
	if (c->cfg.quirk != NULL)
		quirk_in(c, c->cfg.quirk, CTRL_QUIRK_CHOSEN, m);
}

static void
ctrl_dispatch(struct ctrl_conn *c, const struct msg *m, uint64_t now)
{
	unsigned type = m->hdr.ctrl_type;
	struct msg in;

	log_debug("ctrl %s: received %s", c->cfg.server, msg_type_name(type));
	in = *m;
	ctrl_quirks_in(c, &in);
	m = &in;
	if (c->state == CTRL_UP) {
		idle_restart(c, now);
		c->echo_due_ms = 0;
	}

	switch (type) {
	case MSG_SCCRP:
		on_sccrp(c, &m->sccrp, now);
		return;
	case MSG_STOPCCRQ:
		ctrl_reason(c, PPTP_EXIT_HANGUP,
		    "server stopped the control connection: %s (reason %u)",
		    msg_result_str(MSG_STOPCCRQ, m->stopccrq.reason),
		    m->stopccrq.reason);
		ctrl_fsm(c, EV_STOPCCRQ, now);
		return;
	case MSG_STOPCCRP:
		ctrl_fsm(c, EV_STOPCCRP, now);
		return;
	case MSG_ECHORQ:
		if (c->state != CTRL_DEAD)
			on_echorq(c, &m->echorq);
		return;
	default:
		break;
	}

	if (c->state != CTRL_UP) {
		log_info("ctrl %s: ignoring %s in state %s", c->cfg.server,
		    msg_type_name(type), ctrl_state_name(c->state));
		return;
	}
	switch (type) {
	case MSG_ECHORP:
		break;
	case MSG_OCRP:
		on_ocrp(c, &m->ocrp, now);
		break;
	case MSG_CDN:
		on_cdn(c, &m->cdn);
		break;
	case MSG_ICRQ:
		on_icrq(c, &m->icrq);
		break;
	case MSG_WEN:
		on_wen(c, &m->wen);
		break;
	case MSG_SLI:
		on_sli(c, &m->sli);
		break;
	default:
		log_info("ctrl %s: ignoring %s: not a message a PAC sends",
		    c->cfg.server, msg_type_name(type));
		break;
	}
}

void
ctrl_input(struct ctrl_conn *c, const uint8_t *data, size_t len,
    uint64_t now)
{
	size_t off = 0, used;
	enum msg_err e;
	struct msg m;

	while (off < len && c->state != CTRL_DEAD) {
		e = msg_reader_next(&c->rd, data + off, len - off, &used);
		off += used;
		if (e == MSG_EAGAIN)
			return;
		if (e == MSG_OK)
			e = msg_decode(c->rd.buf, c->rd.hdr.length, &m);
		if (e != MSG_OK) {
			const struct msg_hdr *h = &c->rd.hdr;

			ctrl_reason(c, PPTP_EXIT_PROTOCOL, "malformed control "
			    "message from server: %s (length %u, type %u, "
			    "magic 0x%08x, control type %u)", msg_strerror(e),
			    h->length, h->pptp_type, h->magic, h->ctrl_type);
			ctrl_fsm(c, EV_BROKEN, now);
			return;
		}
		ctrl_dispatch(c, &m, now);
		ctrl_settle(c);
	}
}

void
ctrl_timer(struct ctrl_conn *c, uint64_t now)
{
	struct msg m;

	if (c->reply_due_ms != 0 && now >= c->reply_due_ms) {
		c->reply_due_ms = 0;
		if (c->state == CTRL_WAIT_REPLY)
			ctrl_reason(c, PPTP_EXIT_TIMEOUT, "no reply to SCCRQ "
			    "from server within %u s",
			    c->cfg.reply_wait_ms / 1000);
		ctrl_fsm(c, EV_TIMEOUT, now);
	}
	if (c->echo_due_ms != 0 && now >= c->echo_due_ms) {
		ctrl_reason(c, PPTP_EXIT_TIMEOUT, "no Echo-Reply from server "
		    "within %u s: control connection lost",
		    c->cfg.echo_wait_ms / 1000);
		ctrl_fsm(c, EV_ECHO_LOST, now);
	}
	if (c->idle_due_ms != 0 && now >= c->idle_due_ms) {
		/* RFC 2637 3.1.4: silence for a while, so ask */
		c->idle_due_ms = 0;
		msg_init(&m, MSG_ECHORQ);
		m.echorq.id = ++c->echo_id;
		ctrl_send(c, &m);
		c->echo_due_ms = now + c->cfg.echo_wait_ms;
	}
	for (int i = 0; i < CTRL_MAX_CALLS; i++) {
		struct ctrl_call *call = &c->calls[i];
		char why[100];

		if (call->due_ms == 0 || now < call->due_ms)
			continue;
		call->due_ms = 0;
		if (call->state == CALL_WAIT_REPLY) {
			snprintf(why, sizeof(why), "no reply to OCRQ from "
			    "server within %u s", c->cfg.reply_wait_ms / 1000);
			if (call->owner != NULL)
				c->ops->call_down(c->arg, call,
				    PPTP_EXIT_TIMEOUT, why);
			call->owner = NULL;
			send_ccrq(c, call, now);
		} else if (call->state == CALL_CLEARING) {
			log_debug("ctrl %s: no CDN for call %u, released",
			    c->cfg.server, call->call_id);
			call_release(c, call);
		}
	}
	ctrl_settle(c);
}

uint64_t
ctrl_next_deadline(const struct ctrl_conn *c)
{
	uint64_t d = 0;

#define NEAREST(t)	do { if ((t) != 0 && (d == 0 || (t) < d)) d = (t); } while (0)
	NEAREST(c->reply_due_ms);
	NEAREST(c->idle_due_ms);
	NEAREST(c->echo_due_ms);
	for (int i = 0; i < CTRL_MAX_CALLS; i++)
		NEAREST(c->calls[i].due_ms);
#undef NEAREST
	return d;
}

struct ctrl_call *
ctrl_call_open(struct ctrl_conn *c, void *owner, uint16_t window,
    uint16_t ppd, bool sync, const char *phone, uint64_t now)
{
	struct ctrl_call *call = NULL;
	uint16_t id = 0;

	if (c->state != CTRL_IDLE && c->state != CTRL_WAIT_REPLY &&
	    c->state != CTRL_UP)
		return NULL;
	for (int i = 0; i < CTRL_MAX_CALLS && call == NULL; i++)
		if (c->calls[i].state == CALL_FREE)
			call = &c->calls[i];
	if (call == NULL)
		return NULL;
	/* The next nonzero ID not in use; with 64 calls, one is free. */
	do {
		id = c->next_call_id++;
	} while (id == 0 || call_by_id(c, id) != NULL ||
	    (c->ops->id_taken != NULL && c->ops->id_taken(c->arg, id)));

	call->state = CALL_PENDING;
	call->call_id = id;
	call->serial = c->next_serial++;
	call->window = window;
	call->ppd = ppd;
	call->sync = sync;
	call->owner = owner;
	snprintf(call->phone, sizeof(call->phone), "%s",
	    phone != NULL ? phone : "");
	if (c->state == CTRL_UP)
		send_ocrq(c, call, now);
	ctrl_settle(c);
	return c->state == CTRL_DEAD ? NULL : call;
}

void
ctrl_call_close(struct ctrl_conn *c, struct ctrl_call *call, uint64_t now)
{
	call->leaving = true;
	switch (call->state) {
	case CALL_PENDING:
		call_release(c, call);
		break;
	case CALL_WAIT_REPLY:
	case CALL_UP:
		if (c->state == CTRL_DEAD)
			call_release(c, call);
		else
			send_ccrq(c, call, now);
		break;
	case CALL_CLEARING:
	case CALL_FREE:
		break;
	}
	ctrl_settle(c);
}

unsigned
ctrl_ncalls(const struct ctrl_conn *c)
{
	unsigned n = 0;

	for (int i = 0; i < CTRL_MAX_CALLS; i++)
		n += c->calls[i].state != CALL_FREE;
	return n;
}

size_t
ctrl_output(struct ctrl_conn *c, const uint8_t **p)
{
	*p = c->out;
	return c->out_len;
}

void
ctrl_output_done(struct ctrl_conn *c, size_t n)
{
	if (n >= c->out_len) {
		c->out_len = 0;
		return;
	}
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
}

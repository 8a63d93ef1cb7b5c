// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptp --diagnose HOST (diagnose.h, pptp(8) DIAGNOSE): the Diagnosis
 * HOWTO run by the client.  Stages in order: name, local, tcp, control,
 * call, gre, clear; a line each, then the verdict.  This file runs the
 * stages and their network exchanges; this machine's checks are in
 * diagnose_local.c, the stage lines and the verdict in
 * diagnose_report.c, the pure parts in diagnose_pure.c.  The control
 * connection is the call manager's state machine (pptp_ctrl.c) fed from
 * here; GRE is the codec of gre_hdr.c with a PPP LCP Configure-Request
 * inside.  Nothing is kept: the call is cleared and the connection
 * stopped on every way out, no route is added, no file written.
 *
 * Privileged first (the name, the local checks, pppd --version, the TCP
 * and raw GRE sockets), then the process enters the sandbox (SB_DIAGNOSE)
 * before it connects: everything that reads what the network sends runs
 * as the unprivileged user, without capabilities, under the filter.
 */
#include "diagnose.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <unistd.h>

#include "diagnose_int.h"

#include "addr.h"
#include "gre_hdr.h"
#include "logrelay.h"
#include "pptp_ctrl.h"
#include "pptp_gre.h"
#include "pptp_msg.h"
#include "pptp_quirks.h"
#include "sandbox.h"
#include "util.h"

#ifndef IPPROTO_GRE
#define IPPROTO_GRE	47
#endif

static volatile sig_atomic_t stop_sig;

static void
on_stop(int sig)
{
	stop_sig = sig;
}

/* Microseconds on CLOCK_MONOTONIC: round trips on a LAN are short. */
static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* why without its leading prefix, if it has it (no words said twice). */
static const char *
unprefixed(const char *why, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(why, prefix, n) == 0 ? why + n : why;
}

/* --- name ------------------------------------------------------------ */

static bool
stage_name(struct diag *d)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM }, *res, *ai;
	char list[400] = "", a[ADDR_STRLEN];
	uint64_t t0 = now_ms();
	size_t n = 0;
	int e;

	e = getaddrinfo(d->o->server, NULL, &hints, &res);
	if (e != 0) {
		diag_stage(d, "name", false, t0, "%s does not resolve: %s",
		    d->o->server, e == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(e));
		diag_fail(&d->f, "name", PPTP_EXIT_DIAG_NAME, "check the "
		    "server's name (a typing error?) and this machine's DNS "
		    "(resolv.conf)", "the name %s does not resolve",
		    d->o->server);
		return false;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pptp_addr pa;

		if (addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &pa) < 0)
			continue;
		addr_ntop(&pa, a, sizeof(a));
		if (strstr(list, a) == NULL && n + strlen(a) + 3 <
		    sizeof(list))
			n += (size_t)snprintf(list + n, sizeof(list) - n,
			    "%s%s", n ? ", " : "", a);
		/* IPv4 only: the first IPv4 address is the one used */
		if (pa.family == AF_INET && !addr_is_set(&d->server)) {
			d->server = pa;
			d->server.port = 0;
		}
	}
	freeaddrinfo(res);
	if (!addr_is_set(&d->server)) {
		diag_stage(d, "name", false, t0, "%s resolves to %s: no IPv4 "
		    "address", d->o->server, list);
		diag_fail(&d->f, "name", PPTP_EXIT_DIAG_NAME, "give the "
		    "server's IPv4 address or a name with one (pptp carries "
		    "IPv4 only)", "%s has no IPv4 address", d->o->server);
		return false;
	}
	addr_ntop(&d->server, d->addr, sizeof(d->addr));
	diag_stage(d, "name", true, t0, "%s resolves to %s; using %s",
	    d->o->server, list, d->addr);
	return true;
}

/* --- the control connection's owner ----------------------------------- */

static void
cb_call_up(void *arg, struct ctrl_call *call)
{
	struct diag *d = arg;

	(void)call;
	d->call_up = true;
}

static void
cb_call_down(void *arg, struct ctrl_call *call, int status, const char *why)
{
	struct diag *d = arg;

	(void)call;
	d->call_down = true;
	d->call_status = status;
	snprintf(d->call_why, sizeof(d->call_why), "%s", why);
	d->call = NULL;
}

static void
cb_sli(void *arg, struct ctrl_call *call, uint32_t s, uint32_t r)
{
	(void)arg;
	(void)call;
	(void)s;
	(void)r;
}

static void
cb_cleared(void *arg, void *owner)
{
	struct diag *d = arg;

	(void)owner;
	d->cleared = true;
	d->cleared_by_cdn = d->in_input;
	d->call = NULL;
}

static const struct ctrl_ops diag_ops = { cb_call_up, cb_call_down, cb_sli,
    cb_cleared, NULL };

static void gre_input(struct diag *d);
static void gre_errors(struct diag *d);
static void gre_send_lcp(struct diag *d);

/* What ctrl has to say, written while the socket takes it. */
static void
ctrl_flush(struct diag *d)
{
	const uint8_t *p;
	size_t n;

	while (d->ctrl.state != CTRL_DEAD &&
	    (n = ctrl_output(&d->ctrl, &p)) > 0) {
		ssize_t w = send(d->tcp, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (w < 0) {
			char why[160];

			snprintf(why, sizeof(why), "cannot write to the "
			    "server: %s", strerror(errno));
			d->dead_by = END_TCP;
			ctrl_tcp_closed(&d->ctrl, PPTP_EXIT_HANGUP, why);
			return;
		}
		ctrl_output_done(&d->ctrl, (size_t)w);
	}
}

/*
 * Run the connection (and GRE, when gre_on) until done says so, the
 * connection is dead, a stop signal came, or until the deadline.
 * Returns whether done said so.
 */
static bool
pump(struct diag *d, bool (*done)(struct diag *), uint64_t deadline,
    bool gre_on, uint64_t *next_lcp)
{
	for (;;) {
		struct pollfd pfd[2] = { { d->tcp, POLLIN, 0 },
		    { gre_on ? d->gre : -1, POLLIN, 0 } };
		uint64_t now, until = deadline, dl;
		const uint8_t *p;
		uint8_t buf[4096];
		ssize_t n;
		enum ctrl_state before;

		ctrl_flush(d);
		if (done(d))
			return true;
		if (d->ctrl.state == CTRL_DEAD || (stop_sig && !d->clearing))
			return false;
		now = now_ms();
		if (now >= deadline)
			return false;
		if (gre_on && next_lcp != NULL && now >= *next_lcp) {
			gre_send_lcp(d);
			*next_lcp = now + DIAG_LCP_EVERY_MS;
		}
		if (gre_on && next_lcp != NULL && *next_lcp < until)
			until = *next_lcp;
		dl = ctrl_next_deadline(&d->ctrl);
		if (dl != 0 && dl < until)
			until = dl;
		if (ctrl_output(&d->ctrl, &p) > 0)
			pfd[0].events |= POLLOUT;
		if (poll(pfd, 2, until > now ? (int)(until - now) : 0) < 0 &&
		    errno != EINTR)
			fatal("diagnose: poll");
		if (pfd[1].revents & POLLERR)
			gre_errors(d);
		if (pfd[1].revents & POLLIN)
			gre_input(d);
		before = d->ctrl.state;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(d->tcp, buf, sizeof(buf), MSG_DONTWAIT);
			if (n > 0) {
				d->in_input = true;
				ctrl_input(&d->ctrl, buf, (size_t)n, now_ms());
				d->in_input = false;
				if (before != CTRL_DEAD &&
				    d->ctrl.state == CTRL_DEAD)
					d->dead_by = END_INPUT;
			} else if (n == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				char why[160];

				snprintf(why, sizeof(why), "the server closed "
				    "the connection%s%s", n == 0 ? "" : ": ",
				    n == 0 ? "" : strerror(errno));
				d->dead_by = END_TCP;
				ctrl_tcp_closed(&d->ctrl, PPTP_EXIT_HANGUP,
				    why);
			}
		}
		before = d->ctrl.state;
		ctrl_timer(&d->ctrl, now_ms());
		if (before != CTRL_DEAD && d->ctrl.state == CTRL_DEAD)
			d->dead_by = END_TIMER;
	}
}

/* --- tcp -------------------------------------------------------------- */

static const char *
connect_words(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "refused: nothing listens on port 1723 there, or a "
		    "firewall rejects it";
	case ENETUNREACH:
		return "ICMP network unreachable: no router knows the way";
	case EHOSTUNREACH:
		return "ICMP host unreachable (or administratively "
		    "prohibited): the host is down or a firewall rejects "
		    "it";
	case EACCES:
	case EPERM:
		return "refused by this machine's own firewall";
	default:
		return strerror(err);
	}
}

static bool
stage_tcp(struct diag *d)
{
	struct pptp_addr to = d->server;
	struct sockaddr_storage ss;
	socklen_t sl;
	uint64_t t0 = now_ms(), due = t0 + d->o->connect_timeout_s * 1000ULL;
	int err = 0;

	to.port = DIAG_PPTP_PORT;
	sl = addr_to_sockaddr(&to, &ss);
	if (connect(d->tcp, (struct sockaddr *)&ss, sl) < 0) {
		err = errno;
		while (err == EINPROGRESS || err == EINTR) {
			struct pollfd pfd = { d->tcp, POLLOUT, 0 };
			uint64_t now = now_ms();
			socklen_t len = sizeof(err);

			if (stop_sig || now >= due) {
				err = ETIMEDOUT;
				break;
			}
			if (poll(&pfd, 1, (int)(due - now)) <= 0)
				continue;
			if (getsockopt(d->tcp, SOL_SOCKET, SO_ERROR, &err,
			    &len) < 0)
				err = errno;
		}
	}
	if (err == 0) {
		diag_stage(d, "tcp", true, t0, "connected to %s port %d",
		    d->addr, DIAG_PPTP_PORT);
		return true;
	}
	if (stop_sig) {
		diag_stage(d, "tcp", false, t0, "stopped by signal %d",
		    (int)stop_sig);
		diag_fail(&d->f, "tcp", PPTP_EXIT_DIAG_TCP, "run it again",
		    "stopped by a signal");
	} else if (err == ETIMEDOUT) {
		diag_stage(d, "tcp", false, t0, "connect to %s port %d: no "
		    "answer in %u s (filtered)", d->addr, DIAG_PPTP_PORT,
		    d->o->connect_timeout_s);
		diag_fail(&d->f, "tcp", PPTP_EXIT_DIAG_TCP, "make sure the "
		    "server is up, and that every firewall on the way (here, "
		    "the routers, the server's own) lets TCP port 1723 through",
		    "nothing answers TCP port 1723 at %s: a firewall drops it "
		    "silently, or the host is down", d->addr);
	} else {
		diag_stage(d, "tcp", false, t0, "connect to %s port %d: %s",
		    d->addr, DIAG_PPTP_PORT, connect_words(err));
		diag_fail(&d->f, "tcp", PPTP_EXIT_DIAG_TCP,
		    err == ECONNREFUSED ? "start the PPTP server (e.g. "
		    "pptpd) on that host, or check the address; if it runs, "
		    "let TCP port 1723 through its firewall" : "check the "
		    "address, the routes and the firewalls between here and "
		    "there", "TCP port 1723 at %s: %s", d->addr,
		    connect_words(err));
	}
	return false;
}

/* --- control ---------------------------------------------------------- */

static bool
ctrl_is_up(struct diag *d)
{
	return d->ctrl.state == CTRL_UP;
}

static bool
stage_control(struct diag *d)
{
	char host[3 * MSG_HOSTNAME_LEN], vendor[3 * MSG_VENDOR_LEN];
	uint64_t t0 = now_ms();
	const struct msg_sccrp *p = &d->ctrl.peer;

	ctrl_open(&d->ctrl, t0);
	if (pump(d, ctrl_is_up, t0 + d->ctrl.cfg.reply_wait_ms + 1000, false,
	    NULL)) {
		diag_stage(d, "control", true, t0, "SCCRP: accepted; server "
		    "\"%s\", vendor \"%s\", firmware 0x%04x, protocol %u.%u, "
		    "maximum channels %u", log_escape(p->hostname, host,
		    sizeof(host)), log_escape(p->vendor, vendor,
		    sizeof(vendor)), p->firmware_rev, p->version >> 8,
		    p->version & 0xff, p->max_channels);
		return true;
	}
	if (stop_sig)
		snprintf(d->ctrl.why, sizeof(d->ctrl.why), "stopped by signal "
		    "%d", (int)stop_sig);
	else if (d->ctrl.why[0] == '\0')
		snprintf(d->ctrl.why, sizeof(d->ctrl.why), "no reply to SCCRQ "
		    "from server");
	diag_stage(d, "control", false, t0, "SCCRQ sent: %s", d->ctrl.why);
	if (d->ctrl.status == PPTP_EXIT_PROTOCOL ||
	    (d->dead_by == END_INPUT && d->ctrl.status != PPTP_EXIT_REFUSED))
		diag_fail(&d->f, "control", PPTP_EXIT_DIAG_CONTROL, "check the "
		    "address and the port: whatever runs there is not a PPTP "
		    "server (or a proxy or captive portal stands in the way)",
		    "something answers on TCP port 1723 at %s, but it does not "
		    "speak PPTP (%s)", d->addr, d->ctrl.why);
	else if (d->ctrl.status == PPTP_EXIT_REFUSED)
		diag_fail(&d->f, "control", PPTP_EXIT_DIAG_CONTROL, "ask the "
		    "server's administrator why this client is refused (it may "
		    "allow only some addresses, or be out of connections); "
		    "--quirks may help with an old server", "the server "
		    "refused the control connection: %s",
		    unprefixed(d->ctrl.why, "server refused control "
		    "connection: "));
	else if (d->dead_by == END_TCP)
		diag_fail(&d->f, "control", PPTP_EXIT_DIAG_CONTROL, "the PPTP "
		    "server may refuse this address (its allow list, e.g. TCP "
		    "wrappers) or be broken: see its log", "the server took "
		    "the TCP connection and closed it (%s)", d->ctrl.why);
	else
		diag_fail(&d->f, "control", PPTP_EXIT_DIAG_CONTROL, "the "
		    "server accepts TCP but does not answer: see its log, or "
		    "try again later", "the server did not answer the control "
		    "connection request (%s)", d->ctrl.why);
	return false;
}

/* --- call --------------------------------------------------------------- */

static bool
call_settled(struct diag *d)
{
	return d->call_up || d->call_down;
}

/* Words for common Q.931 causes (OCRP's cause field). */
static const char *
q931_words(unsigned cause)
{
	switch (cause) {
	case 16: return "normal clearing";
	case 17: return "user busy";
	case 18: return "no user responding";
	case 19: return "no answer";
	case 21: return "call rejected";
	case 27: return "destination out of order";
	case 31: return "normal, unspecified";
	case 34: return "no circuit available";
	case 38: return "network out of order";
	case 41: return "temporary failure";
	case 42: return "switching equipment congestion";
	case 44: return "requested channel not available";
	case 47: return "resource unavailable";
	default: return NULL;
	}
}

static bool
stage_call(struct diag *d)
{
	uint64_t t0 = now_ms();
	const char *q, *c;
	unsigned cause;

	d->call = ctrl_call_open(&d->ctrl, d, (uint16_t)d->o->window, 0,
	    d->o->sync, d->o->phone, t0);
	if (d->call == NULL) {
		diag_stage(d, "call", false, t0, "no call could be placed: %s",
		    d->ctrl.why[0] ? d->ctrl.why : "connection closing");
		diag_fail(&d->f, "call", PPTP_EXIT_DIAG_CALL, "see the "
		    "server's log", "the call could not be placed (%s)",
		    d->ctrl.why);
		return false;
	}
	if (pump(d, call_settled, t0 + d->ctrl.cfg.reply_wait_ms + 1000, false,
	    NULL) && d->call_up) {
		diag_stage(d, "call", true, t0, "OCRP: accepted; our call ID "
		    "%u, server call ID %u, server window %u%s, speed %u bps",
		    d->call->call_id, d->call->peer_call_id,
		    d->call->peer_window, d->call->peer_window == 0 ?
		    " (no limit)" : "", d->call->connect_speed);
		return true;
	}
	if (!d->call_down)
		snprintf(d->call_why, sizeof(d->call_why), "%s", stop_sig ?
		    "stopped by a signal" : d->ctrl.why[0] ? d->ctrl.why :
		    "no reply to OCRQ");
	c = strstr(d->call_why, "cause ");
	q = c != NULL && sscanf(c, "cause %u", &cause) == 1 ?
	    q931_words(cause) : NULL;
	diag_stage(d, "call", false, t0, "OCRQ sent: %s%s%s%s", d->call_why,
	    q ? " (cause: " : "", q ? q : "", q ? ")" : "");
	if (d->call_status == PPTP_EXIT_CALL_REFUSED)
		diag_fail(&d->f, "call", PPTP_EXIT_DIAG_CALL, "the server "
		    "takes the connection but not the call: it may be full "
		    "(all its addresses or channels in use), limit calls per "
		    "user or address, or need --phone; see its log",
		    "the server refused the call: %s%s%s%s",
		    unprefixed(d->call_why, "server refused call: "),
		    q ? " (cause: " : "", q ? q : "", q ? ")" : "");
	else
		diag_fail(&d->f, "call", PPTP_EXIT_DIAG_CALL, "see the "
		    "server's log; its pppd may fail to start", "the call did "
		    "not come up: %s", d->call_why);
	return false;
}

/* --- gre ------------------------------------------------------------- */

static void
gre_send_lcp(struct diag *d)
{
	uint8_t pkt[GRE_HDR_MAX + 32];
	struct gre_hdr h = { .has_seq = true, .seq = ++d->seq,
	    .call_id = d->call->peer_call_id, .has_ack = d->have_peer_seq,
	    .ack = d->peer_seq };
	struct pptp_addr to = d->server;
	struct sockaddr_storage ss;
	size_t hl, n = DIAG_LCP_REQ_LEN;

	h.payload_len = (uint16_t)n;
	hl = gre_encode(&h, pkt, sizeof(pkt));
	diag_lcp_confreq(pkt + hl, ++d->lcp_id, d->magic);
	d->sent_us[d->lcp_id] = now_us();
	if (sendto(d->gre, pkt, hl + n, 0, (struct sockaddr *)&ss,
	    addr_to_sockaddr(&to, &ss)) < 0)
		d->gre_errno = errno;
	else
		d->sent++;
}

/* A PPP frame from the server's side of the call, at now (us). */
static void
ppp_frame(struct diag *d, const uint8_t *p, size_t n, uint64_t now)
{
	struct diag_ppp f;

	diag_ppp_parse(p, n, d->magic, &f);
	switch (f.kind) {
	case DIAG_PPP_OTHER:
		if (d->other_ppp[0] == '\0')
			snprintf(d->other_ppp, sizeof(d->other_ppp),
			    "PPP protocol 0x%04x", f.proto);
		break;
	case DIAG_LCP_ECHOED:
		d->echoed = true;	/* ours, sent back as is */
		if (d->sent_us[f.id] != 0 && d->rtt_us == 0)
			d->rtt_us = now - d->sent_us[f.id] + 1;
		break;
	case DIAG_LCP_REQUEST:
		d->server_req = true;
		break;
	case DIAG_LCP_REPLY:
		if (d->sent_us[f.id] == 0)
			break;
		if (!d->replied) {
			d->replied = true;
			d->reply_code = f.code;
			d->rtt_us = now - d->sent_us[f.id] + 1;
		}
		break;
	default:
		break;
	}
}

static void
gre_input(struct diag *d)
{
	uint8_t buf[4096];
	ssize_t n;

	while ((n = recv(d->gre, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		uint32_t src;
		size_t plen, ihl = gre_ip4_strip(buf, (size_t)n, &src, &plen);
		struct gre_hdr h;
		enum gre_err e;

		if (ihl == 0 || src != d->server.u.v4.s_addr)
			continue;
		e = gre_decode(buf + ihl, plen, &h);
		if (e != GRE_OK) {
			if (d->rx_bad++ == 0)
				snprintf(d->rx_bad_why, sizeof(d->rx_bad_why),
				    "%s", gre_strerror(e));
			continue;
		}
		if (d->call == NULL || h.call_id != d->call->call_id)
			continue;
		if (d->rx++ == 0)
			d->first_rx_ms = now_ms();
		if (h.has_seq) {
			d->peer_seq = h.seq;
			d->have_peer_seq = true;
			ppp_frame(d, buf + ihl + h.hdr_len, h.payload_len,
			    now_us());
		}
	}
}

static const char *
icmp_words(unsigned type, unsigned code)
{
	if (type == 3) {
		switch (code) {
		case 0: return "network unreachable";
		case 1: return "host unreachable";
		case 2: return "protocol unreachable: nothing on the server "
		    "takes GRE";
		case 3: return "port unreachable";
		case 4: return "fragmentation needed";
		case 9:
		case 10:
		case 13: return "administratively prohibited: a firewall "
		    "rejects GRE";
		default: return "destination unreachable";
		}
	}
	if (type == 11)
		return "time exceeded";
	return "ICMP error";
}

static void
gre_errors(struct diag *d)
{
	struct sock_extended_err ee;

	while (gre_next_error(d->gre, &ee) == 1)
		if (ee.ee_origin == SO_EE_ORIGIN_ICMP && d->icmp[0] == '\0')
			snprintf(d->icmp, sizeof(d->icmp), "ICMP %s (type %u "
			    "code %u)", icmp_words(ee.ee_type, ee.ee_code),
			    ee.ee_type, ee.ee_code);
}

/* Both ways proven, or an ICMP error said GRE cannot pass. */
static bool
gre_settled(struct diag *d)
{
	return d->replied || d->echoed || d->icmp[0] != '\0';
}

static bool
stage_gre(struct diag *d)
{
	uint64_t t0 = now_ms(), next = t0;
	char from[200], bad[200] = "";

	if (d->gre < 0) {
		diag_stage(d, "gre", false, t0, "no raw GRE socket: %s",
		    strerror(d->gre_errno));
		diag_fail(&d->f, "gre", PPTP_EXIT_DIAG_GRE, "run pptp "
		    "--diagnose as root (or with CAP_NET_RAW)", "GRE could not "
		    "be tried: a raw socket needs root");
		return false;
	}
	d->magic = (uint32_t)(now_ms() * 2654435761u) ^ (uint32_t)getpid();
	if (d->magic == 0)
		d->magic = 1;
	(void)pump(d, gre_settled, t0 + DIAG_GRE_WAIT_MS, true, &next);
	if (d->rx_bad > 0)
		snprintf(bad, sizeof(bad), "; %u malformed GRE packets from "
		    "the server (first: %s)", d->rx_bad, d->rx_bad_why);
	if (d->rx > 0)
		snprintf(from, sizeof(from), "GRE from the server arrives "
		    "(%u packets, first after %.3f s)%s%s", d->rx,
		    (double)(d->first_rx_ms - t0) / 1000.0,
		    d->server_req ? ", its LCP Configure-Request among them" :
		    "", d->other_ppp[0] ? "" : "");
	else
		snprintf(from, sizeof(from), "no GRE from the server in %.1f s",
		    diag_secs_since(t0));
	if (d->replied || d->echoed) {
		diag_stage(d, "gre", true, t0, "sent %u LCP "
		    "Configure-Request%s in GRE (key: call ID %u); %s; ours "
		    "reached it (%s to ours); round trip %.3f ms%s", d->sent,
		    d->sent == 1 ? "" : "s", d->call->peer_call_id, from,
		    d->echoed && !d->replied ? "echoed back unchanged" :
		    d->reply_code == 2 ? "Configure-Ack" : d->reply_code == 3 ?
		    "Configure-Nak" : "Configure-Reject",
		    (double)(d->rtt_us - 1) / 1000.0, bad);
		return true;
	}
	if (stop_sig) {
		diag_stage(d, "gre", false, t0, "stopped by signal %d",
		    (int)stop_sig);
		diag_fail(&d->f, "gre", PPTP_EXIT_DIAG_GRE, "run it again",
		    "stopped by a signal");
		return false;
	}
	if (d->call == NULL || d->ctrl.state == CTRL_DEAD) {
		diag_stage(d, "gre", false, t0, "the call ended during the "
		    "test: %s", d->call_why[0] ? d->call_why : d->ctrl.why);
		diag_fail(&d->f, "gre", PPTP_EXIT_DIAG_GRE, "see the server's "
		    "log: its side of the call ended (its pppd may have "
		    "failed)",
		    "the server ended the call while GRE was tested (%s)",
		    d->call_why[0] ? d->call_why : d->ctrl.why);
		return false;
	}
	diag_stage(d, "gre", false, t0, "sent %u LCP Configure-Request%s in "
	    "GRE (key: call ID %u)%s%s%s; %s; ours reached it: %s%s%s",
	    d->sent, d->sent == 1 ? "" : "s", d->call->peer_call_id,
	    d->gre_errno ? " (send: " : "",
	    d->gre_errno ? strerror(d->gre_errno) : "",
	    d->gre_errno ? ")" : "", from, d->icmp[0] ? "no, it bounced: " :
	    "", d->icmp[0] ? d->icmp : d->rx > 0 ? "no (no LCP reply to "
	    "ours)" : "cannot tell", bad);
	if (d->icmp[0] != '\0')
		diag_fail(&d->f, "gre", PPTP_EXIT_DIAG_GRE, "on the server, "
		    "let GRE (IP protocol 47) in and make sure its PPTP server "
		    "handles it; on a router in between, load its PPTP helper",
		    "TCP 1723 works, but GRE to %s bounced: %s", d->addr,
		    d->icmp);
	else if (d->rx > 0)
		diag_fail(&d->f, "gre", PPTP_EXIT_DIAG_GRE, "let GRE (IP "
		    "protocol 47) from this machine through to the server: "
		    "this machine's outgoing firewall, a router in between "
		    "(its PPTP helper) or the server's own firewall drops it",
		    "GRE from %s arrives, but ours does not reach it: no LCP "
		    "reply to our Configure-Request in %u s", d->addr,
		    DIAG_GRE_WAIT_MS / 1000);
	else if (diag_ct_no_helper(d) == 1)
		diag_fail(&d->f, "gre", PPTP_EXIT_DIAG_GRE, "on this machine, "
		    "load the PPTP conntrack helper (modprobe "
		    "nf_conntrack_pptp) and assign it to TCP port 1723 (nft: "
		    "ct helper set \"pptp\" on tcp dport 1723 in an output "
		    "chain; iptables: -t raw -A OUTPUT -p tcp --dport 1723 -j "
		    "CT --helper pptp), or accept GRE from the server "
		    "(iptables -A INPUT -p gre -s SERVER -j ACCEPT); if that "
		    "is not it, a firewall or NAT between here and there drops "
		    "GRE", "TCP 1723 works but no GRE comes back from %s in "
		    "%u s; this machine tracks connections (netfilter "
		    "conntrack) and the control connection has no PPTP helper "
		    "(%s), so a stateful firewall here that accepts only "
		    "established traffic drops the server's GRE", d->addr,
		    DIAG_GRE_WAIT_MS / 1000, d->ct_pptp_loaded ?
		    "nf_conntrack_pptp is loaded but not assigned" :
		    "nf_conntrack_pptp is not loaded");
	else
		diag_fail(&d->f, "gre", PPTP_EXIT_DIAG_GRE, "let GRE (IP "
		    "protocol 47) through both ways: on a NAT router, load its "
		    "PPTP helper (Linux: nf_conntrack_pptp and nf_nat_pptp); "
		    "on a stateful firewall on this machine, assign the pptp "
		    "conntrack helper to TCP port 1723 or accept GRE from the "
		    "server; on the server, accept GRE", "TCP 1723 works but "
		    "no GRE comes back from %s in %u s: a firewall or NAT "
		    "between here and there (or on either end) drops IP "
		    "protocol 47; whether ours reaches the server cannot be "
		    "told from here", d->addr, DIAG_GRE_WAIT_MS / 1000);
	return false;
}

/* --- clear ------------------------------------------------------------ */

static bool
call_gone(struct diag *d)
{
	return ctrl_ncalls(&d->ctrl) == 0;
}

static bool
ctrl_gone(struct diag *d)
{
	return d->ctrl.state == CTRL_DEAD;
}

/* Leave the server as found: clear the call, stop the connection. */
static void
stage_clear(struct diag *d)
{
	uint64_t t0 = now_ms(), t1;
	char cdn[160] = "no call to clear", stop[200];
	bool ok = true;

	if (d->ctrl.state == CTRL_DEAD)
		return;		/* nothing open: the server closed it */
	d->clearing = true;
	if (d->call != NULL || ctrl_ncalls(&d->ctrl) > 0) {
		if (d->call != NULL)
			ctrl_call_close(&d->ctrl, d->call, t0);
		d->call = NULL;
		(void)pump(d, call_gone, t0 + DIAG_CLEAR_WAIT_MS + 1000, false,
		    NULL);
		if (d->cleared && d->cleared_by_cdn) {
			snprintf(cdn, sizeof(cdn), "Call-Clear-Request "
			    "answered by Call-Disconnect-Notify in %.3f s",
			    diag_secs_since(t0));
		} else if (d->ctrl.state == CTRL_DEAD) {
			snprintf(cdn, sizeof(cdn), "Call-Clear-Request: the "
			    "connection ended first");
		} else {
			snprintf(cdn, sizeof(cdn), "Call-Clear-Request: no "
			    "Call-Disconnect-Notify in %u s",
			    DIAG_CLEAR_WAIT_MS / 1000);
			ok = false;
			diag_fail(&d->f, "clear", PPTP_EXIT_DIAG_CLEAR,
			    "nothing to do here; the server keeps the call "
			    "until its own timeout (its administrator can "
			    "clear it)", "the server did not answer "
			    "Call-Clear-Request with Call-Disconnect-Notify");
		}
	}
	t1 = now_ms();
	if (d->ctrl.state != CTRL_DEAD) {
		d->dead_by = END_NONE;
		ctrl_close(&d->ctrl, t1);
		(void)pump(d, ctrl_gone, t1 + DIAG_CLEAR_WAIT_MS + 1000, false,
		    NULL);
	}
	if (d->dead_by == END_INPUT)
		snprintf(stop, sizeof(stop), "Stop-Control-Connection-Request "
		    "answered by Stop-Control-Connection-Reply in %.3f s",
		    diag_secs_since(t1));
	else if (d->dead_by == END_TCP)
		snprintf(stop, sizeof(stop), "Stop-Control-Connection-Request: "
		    "the server closed the connection");
	else {
		snprintf(stop, sizeof(stop), "Stop-Control-Connection-Request: "
		    "no reply in %u s", DIAG_CLEAR_WAIT_MS / 1000);
		if (ok)
			diag_fail(&d->f, "clear", PPTP_EXIT_DIAG_CLEAR,
			    "nothing to do here; the server ends the "
			    "connection at its own timeout", "the server did "
			    "not answer Stop-Control-Connection-Request");
		ok = false;
	}
	diag_stage(d, "clear", ok, t0, "%s; %s", cdn, stop);
}

/* --- the whole -------------------------------------------------------- */

/* The sockets, opened with privileges; bound and marked as a tunnel's. */
static void
open_sockets(struct diag *d)
{
	int one = 1;

	d->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (d->tcp < 0)
		fatal("diagnose: socket");
	d->gre = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_GRE);
	if (d->gre < 0)
		d->gre_errno = errno;
	else
		(void)setsockopt(d->gre, IPPROTO_IP, IP_RECVERR, &one,
		    sizeof(one));
	if (d->o->rtmark_set) {
		(void)setsockopt(d->tcp, SOL_SOCKET, SO_MARK, &d->o->rtmark,
		    sizeof(d->o->rtmark));
		if (d->gre >= 0)
			(void)setsockopt(d->gre, SOL_SOCKET, SO_MARK,
			    &d->o->rtmark, sizeof(d->o->rtmark));
	}
	if (d->o->localbind != NULL) {
		struct sockaddr_storage ss;
		struct pptp_addr lb;

		if (addr_pton(AF_INET, d->o->localbind, &lb) == 0) {
			(void)bind(d->tcp, (struct sockaddr *)&ss,
			    addr_to_sockaddr(&lb, &ss));
			if (d->gre >= 0)
				(void)bind(d->gre, (struct sockaddr *)&ss,
				    addr_to_sockaddr(&lb, &ss));
		}
	}
}

static void
ctrl_setup(struct diag *d)
{
	struct ctrl_cfg cfg = { .server = d->addr };
	unsigned reply_s = d->o->reply_timeout_s < DIAG_REPLY_MAX_S ?
	    d->o->reply_timeout_s : DIAG_REPLY_MAX_S;
	uint16_t id;

	if (d->o->client_hostname != NULL)
		snprintf(cfg.hostname, sizeof(cfg.hostname), "%s",
		    d->o->client_hostname);
	else if (gethostname(cfg.hostname, sizeof(cfg.hostname) - 1) < 0)
		snprintf(cfg.hostname, sizeof(cfg.hostname), "local");
	cfg.quirk = d->o->quirks != NULL ? quirk_find(d->o->quirks) : NULL;
	do {
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (uint16_t)(getpid() ^ now_ms());
	} while (id == 0);
	cfg.first_call_id = id;
	cfg.first_serial = id;
	cfg.idle_wait_ms = 60000;
	cfg.echo_wait_ms = 60000;
	cfg.reply_wait_ms = reply_s * 1000;
	cfg.cdn_wait_ms = DIAG_CLEAR_WAIT_MS;
	cfg.stop_wait_ms = DIAG_CLEAR_WAIT_MS;
	ctrl_init(&d->ctrl, &cfg, &diag_ops, d);
}

int
diagnose_main(const struct pptp_opts *o)
{
	static struct diag d;
	struct sigaction sa = { .sa_handler = on_stop };

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.ct_fd = -1;
	/* the stage lines say it all: the state machine's info lines not */
	if (!o->debug)
		log_init(o->logstring, true, LOG_LEVEL_LOW);
	d.tcp = d.gre = -1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (o->pppd_nargs > 0)
		log_warnx("pppd options ignored with --diagnose (first: "
		    "'%s'): no pppd runs", o->pppd_args[0]);
	if (stage_name(&d)) {
		diag_stage_local(&d);
		open_sockets(&d);
		/* read again, sandboxed, if GRE does not come */
		d.ct_fd = open("/proc/net/nf_conntrack", O_RDONLY | O_CLOEXEC);
		d.ct_pptp_loaded = access("/sys/module/nf_conntrack_pptp",
		    F_OK) == 0;
		ctrl_setup(&d);
		logrelay_start(&o->sandbox, "diagnose");
		sandbox_enter(&o->sandbox, SB_DIAGNOSE, "diagnose");
		if (d.f.failed == NULL && stage_tcp(&d) && stage_control(&d) &&
		    stage_call(&d))
			(void)stage_gre(&d);
		if (d.ctrl.state != CTRL_IDLE)
			stage_clear(&d);
		if (d.gre >= 0)
			close(d.gre);
		if (d.ct_fd >= 0)
			close(d.ct_fd);
		close(d.tcp);
	}
	return diag_report(&d);
}

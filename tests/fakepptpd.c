// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakepptpd: a scriptable PPTP server (PAC) for the integration tests,
 * for what a real server will not do on demand: refuse, stall, send
 * garbage, reorder GRE.  It answers the control connection (several at
 * once), and logs every message and GRE packet the client sends, one
 * line each, to --log for the tests to assert on.
 *
 *   fakepptpd --listen ADDR --log FILE [options] [--script FILE]
 *
 * Options:
 *   --sccrp N       SCCRP result (default 1); "never": no reply
 *   --ocrp N        OCRP result (default 1); "never": no reply
 *   --no-cdn        never answer CCRQ with CDN
 *   --close-after-cdn  as poptop: close the connection once a call is
 *                   cleared, without waiting for StopCCRQ
 *   --no-echo       never answer Echo-Request
 *   --no-stopccrp   never answer StopCCRQ
 *   --reserved0 N   send this in every header's reserved0
 *   --bytewise      send replies one byte at a time
 *   --window N      our receive window in OCRP (default 0)
 *   --gre MODE      echo: send every payload back; drop: send nothing;
 *                   script: only what the script says (default echo);
 *                   none: no GRE socket at all (the kernel answers GRE
 *                   with ICMP protocol unreachable); lcp: as a server's
 *                   pppd, answer an LCP Configure-Request with a
 *                   Configure-Ack and send one Configure-Request of its
 *                   own per call (tests/integration/diagnose.py)
 *   --banner TEXT   not PPTP at all: greet each connection with TEXT and
 *                   a CRLF (as an SSH or SMTP server would), and ignore
 *                   whatever the client sends
 *   --spoof ADDR    a second local address for `send ... src=spoof'
 *   --max-channels N  maximum channels in SCCRP (default 0)
 *   --one-call      as poptop: a second OCRQ on a connection that has a
 *                   call closes the connection
 *   --stopccrp-delay MS  answer StopCCRQ that much later
 *   --goodbye-gre N  on CCRQ, send N GRE packets for the call first (as
 *                   the server's pppd still talks), then the CDN
 *   --hostname-hex HEX  the host name in SCCRP, as bytes in hex
 *   --disorder N    echo mode: of every N packets echoed to a call, one
 *                   is held and sent after the next (reordered) and one
 *                   is never sent (lost); for the soak test
 *   --commands FIFO  script commands at any moment, a line each, on the
 *                   newest connection (tests/chaos.py); besides the
 *                   script's: hold sccrp|ocrp (no reply until release),
 *                   release, silent on|off (ignore all the client sends),
 *                   grestop, grestart, gap, reorder N, dup N (GRE of the
 *                   connection's first call), cdnwrong (a CDN for no call)
 *                   (tests/fakepptpd_chaos.c)
 *
 * The script runs once the first call is up, a command a line:
 *   sleep MS | echorq | cdn | stopccrq | wen | icrq | garbage |
 *   badcookie | badlen | truncated | close | reset |
 *   gre SEQ [ack=N] [callid=N] [spoof] [noseq] [badver] [trunc] [len=N]
 *       [hex=PAYLOAD]
 *   sli [ACCM [COUNT]]: COUNT Set-Link-Info (1), send ACCMs ACCM (0) up
 *   greack N | waitgre (until a data packet from the client, 5 s at most)
 *   greburst SEQ COUNT LEN: COUNT packets of LEN bytes from SEQ on, at once
 * A gre payload is "\xff\x03\x00\x21" then "seq=SEQ" padded to len, or
 * the bytes given in hex.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fakepptpd.h"
#include "gre_hdr.h"
#include "pptp_msg.h"

struct fake_cfg cfg = { .sccrp = 1, .ocrp = 1, .gre_mode = "echo" };
struct conn conns[MAXCONN];
int gre = -1;
static int gre_spoof = -1;
static uint16_t next_call = 0x4000;
static struct conn *script_conn;

void
logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(cfg.log, fmt, ap);
	va_end(ap);
	fputc('\n', cfg.log);
	fflush(cfg.log);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void
raw_send(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->fd < 0)
		return;
	if (cfg.bytewise) {
		for (size_t i = 0; i < n; i++) {
			if (write(c->fd, p + i, 1) != 1)
				return;
			sleep_ms(1);
		}
		return;
	}
	if (write(c->fd, p, n) != (ssize_t)n)
		logf_("write failed: %s", strerror(errno));
}

void
send_msg(struct conn *c, struct msg *m)
{
	uint8_t buf[MSG_MAX_LEN];
	size_t n = msg_encode(m, buf, sizeof(buf));

	buf[10] = (uint8_t)(cfg.reserved0 >> 8);
	buf[11] = (uint8_t)cfg.reserved0;
	logf_("send %s", msg_type_name(m->hdr.ctrl_type));
	raw_send(c, buf, n);
}

/* One line per client message, with the fields tests look at. */
static void
log_msg(const struct msg *m)
{
	switch (m->hdr.ctrl_type) {
	case MSG_SCCRQ:
		logf_("recv SCCRQ version=0x%04x framing=%u bearer=%u "
		    "max_channels=%u firmware=0x%04x hostname=%s vendor=%s",
		    m->sccrq.version, m->sccrq.framing_caps,
		    m->sccrq.bearer_caps, m->sccrq.max_channels,
		    m->sccrq.firmware_rev, m->sccrq.hostname,
		    m->sccrq.vendor);
		break;
	case MSG_OCRQ:
		logf_("recv OCRQ call_id=%u serial=%u min_bps=%u max_bps=%u "
		    "bearer=%u framing=%u window=%u ppd=%u phone_len=%u "
		    "phone=%s subaddr=%s", m->ocrq.call_id,
		    m->ocrq.call_serial, m->ocrq.min_bps, m->ocrq.max_bps,
		    m->ocrq.bearer_type, m->ocrq.framing_type,
		    m->ocrq.recv_window, m->ocrq.proc_delay,
		    m->ocrq.phone_len, m->ocrq.phone, m->ocrq.subaddr);
		break;
	case MSG_CCRQ:
		logf_("recv CCRQ call_id=%u", m->ccrq.call_id);
		break;
	case MSG_STOPCCRQ:
		logf_("recv StopCCRQ reason=%u", m->stopccrq.reason);
		break;
	case MSG_ECHORQ:
		logf_("recv Echo-Request id=%u", m->echorq.id);
		break;
	case MSG_ECHORP:
		logf_("recv Echo-Reply id=%u result=%u", m->echorp.id,
		    m->echorp.result);
		break;
	case MSG_ICRP:
		logf_("recv ICRP peer_call_id=%u result=%u",
		    m->icrp.peer_call_id, m->icrp.result);
		break;
	case MSG_SLI:
		logf_("recv SLI peer_call_id=%u send_accm=0x%08x "
		    "recv_accm=0x%08x", m->sli.peer_call_id, m->sli.send_accm,
		    m->sli.recv_accm);
		break;
	default:
		logf_("recv %s", msg_type_name(m->hdr.ctrl_type));
		break;
	}
}

static void
close_conn(struct conn *c, const char *why)
{
	if (c->fd < 0)
		return;
	chaos_forget(c);
	logf_("close %s", why);
	close(c->fd);
	c->fd = -1;
}

/* --goodbye-gre: what a server's pppd sends while the call is cleared. */
static void
goodbye_gre(struct conn *c, struct call *k)
{
	uint8_t p[200];

	for (unsigned i = 0; i < cfg.goodbye_gre && gre >= 0; i++) {
		struct gre_hdr h = { .has_seq = true, .call_id = k->client,
		    .seq = ++k->seq };
		size_t n = payload(p, h.seq, 64);

		h.payload_len = (uint16_t)n;
		gre_out(gre, c->peer, &h, p, n, false);
	}
	if (cfg.goodbye_gre > 0)
		logf_("sent %u goodbye GRE packets", cfg.goodbye_gre);
}

/* StopCCRPs held back by --stopccrp-delay, now due. */
static void
stop_replies_due(void)
{
	struct timespec now;
	struct msg r;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (int i = 0; i < MAXCONN; i++) {
		struct conn *c = &conns[i];

		if (c->fd < 0 || c->stop_due.tv_sec == 0 ||
		    now.tv_sec * 1000000000L + now.tv_nsec <
		    c->stop_due.tv_sec * 1000000000L + c->stop_due.tv_nsec)
			continue;
		c->stop_due.tv_sec = 0;
		msg_init(&r, MSG_STOPCCRP);
		r.stopccrp.result = 1;
		send_msg(c, &r);
		close_conn(c, "after StopCCRP");
	}
}

void
on_msg(struct conn *c, const struct msg *m)
{
	struct msg r;

	log_msg(m);
	if (chaos_swallow(c, m))
		return;
	switch (m->hdr.ctrl_type) {
	case MSG_SCCRQ:
		if (cfg.sccrp == NEVER)
			return;
		msg_init(&r, MSG_SCCRP);
		r.sccrp.version = MSG_VERSION;
		r.sccrp.result = (uint8_t)cfg.sccrp;
		r.sccrp.error = cfg.sccrp == 2 ? 6 : 0;
		r.sccrp.framing_caps = 1;
		r.sccrp.bearer_caps = 1;
		r.sccrp.firmware_rev = 0x0102;
		r.sccrp.max_channels = cfg.max_channels;
		strcpy(r.sccrp.hostname, cfg.hostname[0] ? cfg.hostname :
		    "fakepptpd");
		strcpy(r.sccrp.vendor, "pptp test server");
		send_msg(c, &r);
		break;
	case MSG_OCRQ:
		if (cfg.one_call) {
			for (int i = 0; i < MAXCALLS; i++) {
				if (!c->calls[i].up)
					continue;
				close_conn(c, "second call on one connection");
				return;
			}
		}
		if (cfg.ocrp == NEVER)
			return;
		msg_init(&r, MSG_OCRP);
		r.ocrp.call_id = ++next_call;
		r.ocrp.peer_call_id = m->ocrq.call_id;
		r.ocrp.result = (uint8_t)cfg.ocrp;
		r.ocrp.connect_speed = 10000000;
		r.ocrp.recv_window = cfg.window;
		send_msg(c, &r);
		if (cfg.ocrp != 1)
			break;
		for (int i = 0; i < MAXCALLS; i++) {
			if (c->calls[i].up)
				continue;
			c->calls[i] = (struct call){ true, m->ocrq.call_id,
			    r.ocrp.call_id, 0, false };
			break;
		}
		if (c->client_call == 0) {	/* a connection's first */
			c->client_call = m->ocrq.call_id;
			c->our_call = r.ocrp.call_id;
		}
		if (script_conn == NULL)
			script_conn = c;
		break;
	case MSG_CCRQ:
		for (int i = 0; i < MAXCALLS; i++) {
			struct call *k = &c->calls[i];

			if (!k->up || k->client != m->ccrq.call_id)
				continue;
			k->up = false;
			goodbye_gre(c, k);
			if (cfg.no_cdn)
				return;
			msg_init(&r, MSG_CDN);
			r.cdn.call_id = k->ours;
			r.cdn.result = 4;
			strcpy(r.cdn.call_stats, "cleared on request");
			send_msg(c, &r);
			if (cfg.close_after_cdn) {
				close_conn(c, "after CDN");
				return;
			}
		}
		break;
	case MSG_ECHORQ:
		if (cfg.no_echo)
			return;
		msg_init(&r, MSG_ECHORP);
		r.echorp.id = m->echorq.id;
		r.echorp.result = 1;
		send_msg(c, &r);
		break;
	case MSG_STOPCCRQ:
		if (cfg.no_stopccrp)
			return;
		if (cfg.stop_delay_ms != 0) {
			clock_gettime(CLOCK_MONOTONIC, &c->stop_due);
			c->stop_due.tv_sec += cfg.stop_delay_ms / 1000;
			c->stop_due.tv_nsec += (long)(cfg.stop_delay_ms %
			    1000) * 1000000;
			return;
		}
		msg_init(&r, MSG_STOPCCRP);
		r.stopccrp.result = 1;
		send_msg(c, &r);
		close_conn(c, "after StopCCRP");
		break;
	default:
		break;
	}
}

static void
conn_read(struct conn *c)
{
	uint8_t buf[4096];
	ssize_t n = read(c->fd, buf, sizeof(buf));
	size_t off = 0, used;

	if (n <= 0) {
		close_conn(c, n == 0 ? "by client" : strerror(errno));
		return;
	}
	if (cfg.banner != NULL) {
		logf_("not pptp: ignored %zd bytes", n);
		return;
	}
	while (off < (size_t)n && c->fd >= 0) {
		struct msg m;
		enum msg_err e = msg_reader_next(&c->rd, buf + off,
		    (size_t)n - off, &used);

		off += used;
		if (e == MSG_EAGAIN)
			break;
		if (e == MSG_OK)
			e = msg_decode(c->rd.buf, c->rd.hdr.length, &m);
		if (e != MSG_OK) {
			logf_("bad message from client: %s", msg_strerror(e));
			close_conn(c, "bad message");
			return;
		}
		on_msg(c, &m);
	}
}

/* A test payload: a PPP frame carrying its own sequence number. */
size_t
payload(uint8_t *p, uint32_t seq, size_t len)
{
	size_t n = 4;

	memcpy(p, "\xff\x03\x00\x21", 4);
	n += (size_t)snprintf((char *)p + 4, 32, "seq=%u", seq);
	while (n < len) {
		p[n] = (uint8_t)('a' + n % 26);
		n++;
	}
	return n;
}

void
gre_out(int sock, struct in_addr to, struct gre_hdr *h, const uint8_t *p,
    size_t plen, bool badver)
{
	uint8_t pkt[GRE_HDR_MAX + 4096];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = to };
	size_t hl = gre_encode(h, pkt, sizeof(pkt));

	if (badver)
		pkt[1] ^= 0x01;
	if (plen > 0)
		memcpy(pkt + hl, p, plen);
	if (sendto(sock, pkt, hl + plen, 0, (struct sockaddr *)&sin,
	    sizeof(sin)) < 0)
		logf_("gre send failed: %s", strerror(errno));
}

/* --disorder N: the echo of a call's packets, with one in N held back
 * until the call's next has gone (reordered) and one in N dropped. */
static unsigned disorder_every;

static void
disorder_out(struct in_addr to, struct gre_hdr *r, const uint8_t *p)
{
	static unsigned count;
	static bool held;
	static uint16_t held_call;
	static struct in_addr held_to;
	static struct gre_hdr held_hdr;
	static uint8_t held_p[4096];

	if (disorder_every == 0) {
		gre_out(gre, to, r, p, r->payload_len, false);
		return;
	}
	count++;
	if (count % disorder_every == disorder_every / 2)
		return;				/* lost */
	if (!held && count % disorder_every == 0 &&
	    r->payload_len <= sizeof(held_p)) {
		held = true;			/* goes after the next */
		held_call = r->call_id;
		held_to = to;
		held_hdr = *r;
		memcpy(held_p, p, r->payload_len);
		return;
	}
	gre_out(gre, to, r, p, r->payload_len, false);
	if (held && held_call == r->call_id) {
		held = false;
		gre_out(gre, held_to, &held_hdr, held_p, held_hdr.payload_len,
		    false);
	}
}

/*
 * --gre lcp: a Configure-Request from the client (address and control
 * 0xff 0x03, LCP 0xc021, code 1) is acked with its own identifier and
 * options; the first also brings a Configure-Request of ours.
 */
static void
lcp_answer(struct call *k, uint32_t src, const uint8_t *p, size_t n,
    uint32_t ack)
{
	static const uint8_t ours[] = { 0xff, 0x03, 0xc0, 0x21, 0x01, 0x01,
	    0x00, 0x0a, 0x05, 0x06, 0x5a, 0x5a, 0x5a, 0x5a };
	struct in_addr to = { .s_addr = src };
	uint8_t r[1600];
	struct gre_hdr h = { .has_seq = true, .has_ack = true,
	    .call_id = k->client, .ack = ack };

	if (n < 8 || n > sizeof(r) || p[0] != 0xff || p[1] != 0x03 ||
	    p[2] != 0xc0 || p[3] != 0x21 || p[4] != 1)
		return;
	logf_("lcp configure-request id=%u", p[5]);
	if (!k->lcp_sent) {
		k->lcp_sent = true;
		h.seq = ++k->seq;
		h.payload_len = sizeof(ours);
		gre_out(gre, to, &h, ours, sizeof(ours), false);
	}
	memcpy(r, p, n);
	r[4] = 2;		/* Configure-Ack */
	h.seq = ++k->seq;
	h.payload_len = (uint16_t)n;
	gre_out(gre, to, &h, r, n, false);
}

/*
 * GRE from the client: log it; echo payloads back in echo mode.  The
 * number of data packets (with a sequence number) read.
 */
static unsigned
gre_read(void)
{
	uint8_t buf[65536];
	unsigned data = 0;
	ssize_t n;

	while ((n = recv(gre, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		uint32_t src;
		size_t plen, ihl = gre_ip4_strip(buf, (size_t)n, &src, &plen);
		struct gre_hdr h;
		enum gre_err e;
		struct call *k = NULL;

		if (ihl == 0)
			continue;
		e = gre_decode(buf + ihl, plen, &h);
		if (e != GRE_OK) {
			logf_("gre bad: %s", gre_strerror(e));
			continue;
		}
		if (h.has_seq && h.has_ack)
			logf_("gre rx call=%u seq=%u ack=%u len=%u", h.call_id,
			    h.seq, h.ack, h.payload_len);
		else if (h.has_seq)
			logf_("gre rx call=%u seq=%u ack=none len=%u",
			    h.call_id, h.seq, h.payload_len);
		else
			logf_("gre rx call=%u ack-only ack=%u", h.call_id,
			    h.ack);
		data += h.has_seq;
		for (int i = 0; i < MAXCONN; i++)
			for (int j = 0; j < MAXCALLS && conns[i].fd >= 0; j++)
				if (conns[i].calls[j].up &&
				    conns[i].calls[j].ours == h.call_id)
					k = &conns[i].calls[j];
		if (k != NULL && h.has_seq && strcmp(cfg.gre_mode, "lcp") == 0)
			lcp_answer(k, src, buf + ihl + h.hdr_len,
			    h.payload_len, h.seq);
		if (k == NULL || !h.has_seq || strcmp(cfg.gre_mode, "echo"))
			continue;
		{
			struct gre_hdr r = { .has_seq = true, .has_ack = true,
			    .payload_len = h.payload_len,
			    .call_id = k->client, .seq = ++k->seq,
			    .ack = h.seq };
			struct in_addr to = { .s_addr = src };

			disorder_out(to, &r, buf + ihl + h.hdr_len);
		}
	}
	return data;
}

static void
script_gre(struct conn *c, char *args)
{
	struct gre_hdr h = { .has_seq = true, .call_id = c->client_call };
	uint8_t p[4096];
	size_t len = 0, n;
	bool spoof = false, badver = false, trunc = false;
	const char *hex = NULL;
	char *tok = strtok(args, " ");

	h.seq = (uint32_t)strtoul(tok, NULL, 0);
	while ((tok = strtok(NULL, " ")) != NULL) {
		if (strncmp(tok, "ack=", 4) == 0) {
			h.has_ack = true;
			h.ack = (uint32_t)strtoul(tok + 4, NULL, 0);
		} else if (strncmp(tok, "callid=", 7) == 0) {
			h.call_id = (uint16_t)strtoul(tok + 7, NULL, 0);
		} else if (strncmp(tok, "len=", 4) == 0) {
			len = strtoul(tok + 4, NULL, 0);
		} else if (strcmp(tok, "spoof") == 0) {
			spoof = true;
		} else if (strcmp(tok, "noseq") == 0) {
			h.has_seq = false;
		} else if (strcmp(tok, "badver") == 0) {
			badver = true;
		} else if (strcmp(tok, "trunc") == 0) {
			trunc = true;
		} else if (strncmp(tok, "hex=", 4) == 0) {
			hex = tok + 4;
		}
	}
	n = 0;
	if (hex != NULL)
		while (n < sizeof(p) && sscanf(hex + 2 * n, "%2hhx", &p[n]) == 1)
			n++;
	else
		n = payload(p, h.seq, len);
	h.payload_len = (uint16_t)(trunc ? n + 100 : n);
	if (!h.has_seq)
		h.payload_len = (uint16_t)n;	/* payload without S */
	gre_out(spoof ? gre_spoof : gre, c->peer, &h, p, n, badver);
}

/* Script commands from f, a line each, on connection c. */
void
run_lines(struct conn *c, FILE *f)
{
	char line[256];
	struct msg m;

	while (fgets(line, sizeof(line), f) != NULL && c->fd >= 0) {
		char *arg;

		line[strcspn(line, "\n")] = '\0';
		arg = strchr(line, ' ');
		if (arg != NULL)
			*arg++ = '\0';
		if (strcmp(line, "sleep") == 0) {
			sleep_ms((unsigned)atoi(arg));
		} else if (strcmp(line, "echorq") == 0) {
			msg_init(&m, MSG_ECHORQ);
			m.echorq.id = 0x5eed;
			send_msg(c, &m);
		} else if (strcmp(line, "cdn") == 0) {
			msg_init(&m, MSG_CDN);
			m.cdn.call_id = c->our_call;
			m.cdn.result = 3;
			strcpy(m.cdn.call_stats, "test statistics");
			send_msg(c, &m);
		} else if (strcmp(line, "stopccrq") == 0) {
			msg_init(&m, MSG_STOPCCRQ);
			m.stopccrq.reason = 3;
			send_msg(c, &m);
		} else if (strcmp(line, "wen") == 0) {
			msg_init(&m, MSG_WEN);
			m.wen.peer_call_id = c->client_call;
			m.wen.crc_errors = 11;
			send_msg(c, &m);
		} else if (strcmp(line, "sli") == 0) {
			char *end = NULL;
			uint32_t accm = arg != NULL ?
			    (uint32_t)strtoul(arg, &end, 0) : 0;
			unsigned count = end != NULL && *end == ' ' ?
			    (unsigned)atoi(end + 1) : 1;

			/* COUNT of them, each send ACCM one above the last */
			for (unsigned i = 0; i < count; i++) {
				msg_init(&m, MSG_SLI);
				m.sli.peer_call_id = c->client_call;
				m.sli.send_accm = accm + i;
				m.sli.recv_accm = 0xffffffff;
				send_msg(c, &m);
			}
		} else if (strcmp(line, "icrq") == 0) {
			msg_init(&m, MSG_ICRQ);
			m.icrq.call_id = 0x7777;
			send_msg(c, &m);
		} else if (strcmp(line, "garbage") == 0) {
			logf_("send garbage");
			raw_send(c, (const uint8_t *)"GET / HTTP/1.0\r\n\r\n",
			    18);
		} else if (strcmp(line, "badcookie") == 0) {
			uint8_t b[16] = { 0, 16, 0, 1, 0xde, 0xad, 0xbe, 0xef,
			    0, 5 };

			logf_("send badcookie");
			raw_send(c, b, sizeof(b));
		} else if (strcmp(line, "badlen") == 0) {
			uint8_t b[16] = { 0xff, 0xff, 0, 1, 0x1a, 0x2b, 0x3c,
			    0x4d, 0, 5 };

			logf_("send badlen");
			raw_send(c, b, sizeof(b));
		} else if (strcmp(line, "truncated") == 0) {
			uint8_t b[10] = { 0, 16, 0, 1, 0x1a, 0x2b, 0x3c,
			    0x4d, 0, 5 };

			logf_("send truncated");
			raw_send(c, b, sizeof(b));
			close_conn(c, "after truncated");
		} else if (strcmp(line, "close") == 0) {
			close_conn(c, "by script");
		} else if (strcmp(line, "reset") == 0) {
			struct linger l = { 1, 0 };

			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close_conn(c, "reset by script");
		} else if (strcmp(line, "gre") == 0) {
			script_gre(c, arg);
		} else if (strcmp(line, "waitgre") == 0) {
			/* an ack alone is not what the script waits for */
			struct pollfd pfd = { gre, POLLIN, 0 };
			struct timespec t0, t;
			int left = 5000;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			while (left > 0 && poll(&pfd, 1, left) > 0 &&
			    gre_read() == 0) {
				clock_gettime(CLOCK_MONOTONIC, &t);
				left = 5000 - (int)((t.tv_sec - t0.tv_sec) *
				    1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
			}
		} else if (strcmp(line, "greburst") == 0) {
			unsigned long seq, count, len;
			char a[64];

			if (arg == NULL || sscanf(arg, "%lu %lu %lu", &seq,
			    &count, &len) != 3)
				continue;
			logf_("send greburst %lu from %lu", count, seq);
			for (unsigned long i = 0; i < count; i++) {
				snprintf(a, sizeof(a), "%lu len=%lu", seq + i,
				    len);
				script_gre(c, a);
			}
			logf_("greburst sent");
		} else if (strcmp(line, "greack") == 0) {
			struct gre_hdr h = { .has_ack = true,
			    .call_id = c->client_call,
			    .ack = (uint32_t)strtoul(arg, NULL, 0) };

			gre_out(gre, c->peer, &h, NULL, 0, false);
		}
	}
}

static void
run_script(struct conn *c)
{
	FILE *f = fopen(cfg.script, "r");

	if (f == NULL) {
		logf_("cannot open script %s", cfg.script);
		return;
	}
	logf_("script start");
	run_lines(c, f);
	fclose(f);
	logf_("script done");
}

static int
parse_result(const char *s)
{
	return strcmp(s, "never") == 0 ? NEVER : atoi(s);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "log", required_argument, NULL, 'L' },
		{ "sccrp", required_argument, NULL, 's' },
		{ "ocrp", required_argument, NULL, 'o' },
		{ "no-cdn", no_argument, NULL, 'c' },
		{ "no-echo", no_argument, NULL, 'e' },
		{ "no-stopccrp", no_argument, NULL, 'p' },
		{ "reserved0", required_argument, NULL, 'r' },
		{ "bytewise", no_argument, NULL, 'b' },
		{ "window", required_argument, NULL, 'w' },
		{ "gre", required_argument, NULL, 'g' },
		{ "script", required_argument, NULL, 'S' },
		{ "spoof", required_argument, NULL, 'P' },
		{ "max-channels", required_argument, NULL, 'm' },
		{ "one-call", no_argument, NULL, '1' },
		{ "stopccrp-delay", required_argument, NULL, 'D' },
		{ "goodbye-gre", required_argument, NULL, 'G' },
		{ "hostname-hex", required_argument, NULL, 'H' },
		{ "disorder", required_argument, NULL, 'd' },
		{ "commands", required_argument, NULL, 'C' },
		{ "banner", required_argument, NULL, 'B' },
		{ "close-after-cdn", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(1723) };
	const char *listen_addr = "0.0.0.0", *logpath = NULL;
	int lfd, c, one = 1;
	bool script_done = false;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_addr = optarg; break;
		case 'L': logpath = optarg; break;
		case 's': cfg.sccrp = parse_result(optarg); break;
		case 'o': cfg.ocrp = parse_result(optarg); break;
		case 'c': cfg.no_cdn = true; break;
		case 'X': cfg.close_after_cdn = true; break;
		case 'e': cfg.no_echo = true; break;
		case 'p': cfg.no_stopccrp = true; break;
		case 'r': cfg.reserved0 = (uint16_t)strtoul(optarg, NULL, 0);
			  break;
		case 'b': cfg.bytewise = true; break;
		case 'w': cfg.window = (uint16_t)atoi(optarg); break;
		case 'g': cfg.gre_mode = optarg; break;
		case 'S': cfg.script = optarg; break;
		case 'P': cfg.spoof = optarg; break;
		case 'm': cfg.max_channels = (uint16_t)atoi(optarg); break;
		case '1': cfg.one_call = true; break;
		case 'D': cfg.stop_delay_ms = (unsigned)atoi(optarg); break;
		case 'G': cfg.goodbye_gre = (unsigned)atoi(optarg); break;
		case 'H':
			for (size_t i = 0; i < MSG_HOSTNAME_LEN &&
			    sscanf(optarg + 2 * i, "%2hhx",
			    (unsigned char *)&cfg.hostname[i]) == 1; i++)
				;
			break;
		case 'B': cfg.banner = optarg; break;
		case 'd': disorder_every = (unsigned)atoi(optarg); break;
		case 'C':
			if (chaos_open(optarg) < 0)
				return 1;
			break;
		default: return 2;
		}
	}
	cfg.log = logpath != NULL ? fopen(logpath, "a") : stdout;
	if (cfg.log == NULL)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	inet_pton(AF_INET, listen_addr, &sin.sin_addr);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, MAXCONN) < 0) {
		logf_("listen failed: %s", strerror(errno));
		return 1;
	}
	gre = strcmp(cfg.gre_mode, "none") == 0 ? -2 :
	    socket(AF_INET, SOCK_RAW, IPPROTO_GRE);
	if (gre == -1) {
		logf_("gre socket failed: %s", strerror(errno));
		return 1;
	}
	/* GRE from the address the client called, and only to it */
	if (gre >= 0 && sin.sin_addr.s_addr != INADDR_ANY) {
		struct sockaddr_in ga = { .sin_family = AF_INET,
		    .sin_addr = sin.sin_addr };

		if (bind(gre, (struct sockaddr *)&ga, sizeof(ga)) < 0)
			logf_("gre bind failed: %s", strerror(errno));
	}
	if (cfg.spoof != NULL) {
		struct sockaddr_in sp = { .sin_family = AF_INET };

		inet_pton(AF_INET, cfg.spoof, &sp.sin_addr);
		gre_spoof = socket(AF_INET, SOCK_RAW, IPPROTO_GRE);
		if (bind(gre_spoof, (struct sockaddr *)&sp, sizeof(sp)) < 0)
			logf_("spoof bind failed: %s", strerror(errno));
	}
	for (int i = 0; i < MAXCONN; i++)
		conns[i].fd = -1;
	logf_("ready");

	for (;;) {
		struct pollfd pfd[MAXCONN + 3];
		int n = 0;

		pfd[n++] = (struct pollfd){ lfd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ gre, POLLIN, 0 };
		for (int i = 0; i < MAXCONN; i++)
			pfd[n++] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ chaos_fd(), POLLIN, 0 };
		if (poll(pfd, (nfds_t)n, 50) < 0 && errno != EINTR)
			return 1;
		if (pfd[0].revents & POLLIN) {
			struct sockaddr_in peer;
			socklen_t pl = sizeof(peer);
			int fd = accept(lfd, (struct sockaddr *)&peer, &pl);

			for (int i = 0; i < MAXCONN && fd >= 0; i++) {
				if (conns[i].fd >= 0)
					continue;
				conns[i] = (struct conn){ .fd = fd,
				    .peer = peer.sin_addr };
				msg_reader_init(&conns[i].rd);
				logf_("accept connection %d", i);
				if (cfg.banner != NULL) {
					raw_send(&conns[i], (const uint8_t *)
					    cfg.banner, strlen(cfg.banner));
					raw_send(&conns[i],
					    (const uint8_t *)"\r\n", 2);
				}
				chaos_newest(&conns[i]);
				fd = -1;
			}
		}
		if (pfd[1].revents & POLLIN)
			(void)gre_read();
		if (pfd[n - 1].revents & POLLIN)
			chaos_read();
		stop_replies_due();
		for (int i = 0; i < MAXCONN; i++)
			if (conns[i].fd >= 0 && pfd[2 + i].revents)
				conn_read(&conns[i]);
		if (!script_done && script_conn != NULL &&
		    cfg.script != NULL) {
			script_done = true;
			run_script(script_conn);
		}
	}
}

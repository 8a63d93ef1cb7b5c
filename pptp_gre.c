// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The GRE-to-PPP gateway loop for one call.
 *
 * Transmit: pppd's bytes are read in large chunks and decoded straight
 * into a batch of GRE packet buffers (the decoder writes each frame just
 * behind the space its GRE header needs), which go out with one
 * sendmmsg() per chunk.  Receive: recvmmsg() drains up to a batch of
 * datagrams per turn; each is checked (source, header, call ID), its ack
 * taken, and its payload put through the reorder queue, whose in-order
 * output is HDLC-encoded into a bounded buffer for pppd, escaping the
 * control characters pppd's receive ACCM names (all of them until LCP
 * shows better: accm.h).  When pppd is slow that buffer fills and
 * further packets are dropped and counted: the network side never waits
 * for pppd.  While pppd's side is full, the socket is read every few ms
 * rather than at every packet (gre_wait).
 *
 * One ppoll() loop; signals are blocked except inside ppoll, so their
 * handlers' flags are seen at once.  Timers (ack delay, reorder wait,
 * the GRE-not-arriving check) are deadlines on the monotonic clock.
 * A pppd we launched is reaped, signalled and ended through gre_pppd.c;
 * what goes out on GRE is sent by gre_tx.c, the raw socket is set up in
 * gre_sock.c, the statistics in gre_stats.c.
 */
#include "gre_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accm.h"
#include "cm_msg.h"
#include "gre_hdr.h"
#include "gre_pppd.h"
#include "hdlc.h"
#include "logrelay.h"
#include "pptp_callmgr.h"
#include "pqueue.h"
#include "sandbox.h"
#include "status.h"
#include "util.h"

/* the longest the GRE socket waits while pppd's side is full: gre_wait */
#define GRE_WAIT_MS	5
/* how early an ack may go when we are awake anyway: gw_timers */
#define ACK_SLACK_MS	10
/* the call manager's messages read in one turn, at most: cm_read */
#define CM_READ_BATCH	256

static volatile sig_atomic_t want_stats, child_exited;

static void
on_usr1(int sig)
{
	(void)sig;
	want_stats = 1;
}

static void
on_chld(int sig)
{
	(void)sig;
	child_exited = 1;
}

/* pppd's receive ACCM changed: encode by the new one from now on. */
static void
accm_changed(struct gw *g)
{
	hdlc_enc_init(&g->enc, g->accm.now);
	if (g->accm.now != HDLC_ACCM_ALL)
		log_info("gre %s: LCP is open and pppd receives with ACCM "
		    "0x%08x: other control characters now go to it "
		    "unescaped", g->addr, g->accm.now);
	else
		log_info("gre %s: LCP negotiates again: every control "
		    "character goes to pppd escaped", g->addr);
}

/* The decoder closed a frame in the current slot: take the next one. */
static void
on_ppp_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct gw *g = arg;

	if (!g->o->sync && accm_from_pppd(&g->accm, frame, len))
		accm_changed(g);
	if (g->o->sync && frame[0] == HDLC_FLAG && !g->warned_sync) {
		g->warned_sync = true;
		log_warnx("gre %s: pppd sends async HDLC frames but pptp runs "
		    "with --sync: drop --sync or give pppd `sync'", g->addr);
	}
	g->slot_len[g->nslot++] = len;
	if (g->nslot == BATCH)
		tx_flush(g, now_ms());
	g->dec.buf = slot_frame(g, g->nslot);
}

static void
check_garbage(struct gw *g)
{
	const struct hdlc_stats *d = &g->dec.st;

	if (g->warned_garbage || g->o->sync)
		return;
	if (d->garbage >= 64 || (d->bad_fcs >= 3 && d->bad_fcs > d->frames)) {
		g->warned_garbage = true;
		log_warnx("gre %s: pppd writes bytes that are not async HDLC "
		    "frames to its pty (%llu stray bytes, %llu bad frames): "
		    "is pppd logging to the pty (use `logfd 2'), or running "
		    "with `sync' while pptp runs without --sync?", g->addr,
		    (unsigned long long)d->garbage,
		    (unsigned long long)d->bad_fcs);
	}
}

/* Read what pppd wrote; send every whole frame in it. */
static void
ppp_read(struct gw *g, uint64_t now)
{
	for (int turn = 0; turn < 8 && !g->done; turn++) {
		ssize_t n;

		if (g->o->sync)
			n = read(g->ppp_in, slot_frame(g, g->nslot),
			    FRAME_MAX + 1);
		else
			n = read(g->ppp_in, g->rbuf, PPP_READ);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n > 0 && g->call.pty_slave >= 0) {
			/*
			 * pppd has opened the pty: with our copy of its end
			 * closed, pppd closing it shows here as EOF
			 */
			close(g->call.pty_slave);
			g->call.pty_slave = -1;
			g->pty_due_ms = 0;
		}
		if (n <= 0) {
			/* EOF, or EIO when pppd closed the pty */
			log_info("gre %s: pppd closed its end: call ends",
			    g->addr);
			g->exit_code = PPTP_EXIT_OK;
			g->done = true;
			break;
		}
		if (g->o->sync && n > FRAME_MAX) {
			/* one frame a read: this one is larger than we carry
			 * (on a pty its rest comes as the next read: a line
			 * without frame boundaries cannot tell) */
			g->dec.st.too_long++;
			if (!g->warned_oversize) {
				g->warned_oversize = true;
				log_warnx("gre %s: pppd wrote a frame of more "
				    "than %d bytes: dropped (give pppd a "
				    "smaller mtu)", g->addr, FRAME_MAX);
			}
			continue;
		}
		if (g->o->sync) {
			hdlc_dec_feed(&g->dec, slot_frame(g, g->nslot),
			    (size_t)n, on_ppp_frame, g);
			if (g->nslot < BATCH)
				continue;	/* one frame a read: gather */
		} else {
			hdlc_dec_feed(&g->dec, g->rbuf, (size_t)n,
			    on_ppp_frame, g);
		}
		/*
		 * Send what this read completed before reading more: a pty
		 * hands over at most a few kilobytes a read, and pppd
		 * refills it while we send.
		 */
		tx_flush(g, now);
		/* A frame still open sits in slot nslot (0 now): keep it. */
		if (g->dec.buf != slot_frame(g, 0)) {
			memmove(slot_frame(g, 0), g->dec.buf, g->dec.len);
			g->dec.buf = slot_frame(g, 0);
		}
	}
	tx_flush(g, now);
	check_garbage(g);
}

static void ppp_write(struct gw *g);

/*
 * pppd's side is full: a write to it was short or failed with EAGAIN.
 * Until it has room again (POLLOUT), nothing more is written to it; and
 * until our buffer for it has gone to it whole, the GRE socket stays out
 * of the poll, for at most GRE_WAIT_MS at a time.  Polled, it would wake
 * us for every packet, to add it to the buffer or, when that is full
 * too, drop it, over and over: a busy loop that takes the CPU pppd needs
 * to catch up, and many small writes where one would do.  What arrives
 * meanwhile waits in the socket, behind what waits in the buffer: no
 * later than it would have gone to pppd from the buffer.  And it is read
 * every GRE_WAIT_MS (what no longer fits is dropped in on_deliver), so a
 * slow pppd still costs drops, not a queue in the socket.
 */
static void
gre_wait(struct gw *g)
{
	if (g->gre_wait_ms == 0)
		g->gre_wait_ms = now_ms() + GRE_WAIT_MS;
}

static void
ppp_full(struct gw *g)
{
	g->ppp_full = true;
	gre_wait(g);
}

/* A payload dropped: pppd's side and our buffer for it are full. */
static void
ppp_lags(struct gw *g)
{
	g->stats.rx_pppd_slow++;
	gre_wait(g);
}

/*
 * After ppoll, given what it said of pppd's side: true when the GRE
 * socket, left out of the poll (gre_wait), is due to be read now.
 */
static bool
ppp_room(struct gw *g, short ppp_out_revents, uint64_t now)
{
	if (ppp_out_revents & (POLLOUT | POLLERR | POLLHUP))
		g->ppp_full = false;
	if (g->gre_wait_ms == 0 || now < g->gre_wait_ms)
		return false;
	g->gre_wait_ms = 0;
	return true;
}

/*
 * Room for need more bytes in the buffer to pppd, after writing to pppd
 * first if the buffer lacks that room.
 */
static size_t
obuf_room(struct gw *g, size_t need)
{
	if (OBUF_LEN - g->olen < need && !g->ppp_full)
		ppp_write(g);	/* what pppd's side can take now */
	if (g->ooff > 0 && (g->olen > OBUF_LEN / 2 ||
	    OBUF_LEN - g->olen < need)) {
		memmove(g->obuf, g->obuf + g->ooff, g->olen - g->ooff);
		g->olen -= g->ooff;
		g->ooff = 0;
	}
	return OBUF_LEN - g->olen;
}

/*
 * Append one in-order payload for pppd.  When the buffer is full (a gap
 * given up can release a thousand packets at once), it goes to pppd's
 * side first; only if that is full too does the payload drop: pppd lags.
 */
static void
on_deliver(void *arg, uint32_t seq, const uint8_t *p, size_t len)
{
	struct gw *g = arg;
	size_t room, n;

	(void)seq;
	room = obuf_room(g, g->o->sync ? len + 2 : hdlc_enc_bound(len));
	if (g->o->sync) {
		/* a length prefix keeps frame boundaries for the writes */
		if (len + 2 > room) {
			ppp_lags(g);
			return;
		}
		g->obuf[g->olen++] = (uint8_t)(len >> 8);
		g->obuf[g->olen++] = (uint8_t)len;
		memcpy(g->obuf + g->olen, p, len);
		g->olen += len;
		return;
	}
	if (accm_from_server(&g->accm, p, len))
		accm_changed(g);
	n = hdlc_encode(accm_is_lcp(p, len) ? &g->enc_lcp : &g->enc, p, len,
	    g->obuf + g->olen, room);
	if (n == 0) {
		ppp_lags(g);
		return;
	}
	g->olen += n;
}

static void
ppp_write(struct gw *g)
{
	if (g->ppp_full)
		return;		/* until POLLOUT: ppp_room */
	while (g->ooff < g->olen) {
		ssize_t n;

		if (g->o->sync) {
			size_t len = (size_t)g->obuf[g->ooff] << 8 |
			    g->obuf[g->ooff + 1];

			n = write(g->ppp_out, g->obuf + g->ooff + 2, len);
			if (n >= 0 && (size_t)n < len)
				/* pppd got the frame cut short: lost to it */
				g->stats.rx_pppd_slow++;
			if (n >= 0)
				n = (ssize_t)len + 2;	/* one frame a write */
		} else {
			n = write(g->ppp_out, g->obuf + g->ooff,
			    g->olen - g->ooff);
			if (n > 0 && (size_t)n < g->olen - g->ooff) {
				/*
				 * Taken in part: full (a pty holds some 20
				 * KB), so a second write would only fail.
				 * Wait for POLLOUT.
				 */
				g->ooff += (size_t)n;
				ppp_full(g);
				return;
			}
		}
		if (n < 0) {
			if (errno == EAGAIN)
				ppp_full(g);
			if (errno == EAGAIN || errno == EINTR)
				return;
			log_info("gre %s: writing to pppd: %s: call ends",
			    g->addr, strerror(errno));
			g->exit_code = PPTP_EXIT_OK;
			g->done = true;
			return;
		}
		g->ooff += (size_t)n;
	}
	g->ooff = g->olen = 0;
	g->gre_wait_ms = 0;	/* all taken: poll GRE again (gre_wait) */
}

static void
take_ack(struct gw *g, uint32_t ack, uint64_t now)
{
	unsigned i = ack % RTT_SLOTS;

	if (g->rtt_seq[i] != ack || g->rtt_sent[i] == 0)
		return;
	/* RFC 2637 4.4 style smoothing: 7/8 old, 1/8 new */
	if (!g->rtt_valid)
		g->srtt_ms = (uint32_t)(now - g->rtt_sent[i]);
	else
		g->srtt_ms = (7 * g->srtt_ms +
		    (uint32_t)(now - g->rtt_sent[i])) / 8;
	g->rtt_valid = true;
	g->rtt_sent[i] = 0;
}

/*
 * One datagram from the raw socket: IP header, GRE header, payload.
 * IPv4 only: the IPv4 header comes first, and its source is compared
 * with the server's; an IPv6 raw socket delivers no IP header (the
 * source would come from recvmmsg's msg_name, or connect() would
 * check it).
 */
static void
gre_packet(struct gw *g, const uint8_t *pkt, size_t len, uint64_t now)
{
	uint32_t saddr, before;
	size_t plen, ihl = gre_ip4_strip(pkt, len, &saddr, &plen);
	struct gre_hdr h;
	enum gre_err e;

	if (ihl == 0) {
		g->stats.rx_invalid++;
		return;
	}
	if (saddr != g->call.server.u.v4.s_addr) {
		g->stats.rx_foreign++;
		return;
	}
	e = gre_decode(pkt + ihl, plen, &h);
	if (e == GRE_ETRUNC || e == GRE_EHDRLEN || e == GRE_ESHORT) {
		g->stats.rx_truncated++;
		return;
	}
	if (e != GRE_OK) {
		g->stats.rx_invalid++;
		return;
	}
	if (h.call_id != g->call.call_id) {
		g->stats.rx_wrong_call++;
		return;
	}
	g->gre_seen = true;
	if (h.has_ack)
		take_ack(g, h.ack, now);
	if (!h.has_seq) {
		g->stats.rx_acks++;
		return;
	}
	if (h.payload_len == 0) {
		/* a sequence number and no PPP frame: nothing for pppd */
		g->stats.rx_invalid++;
		return;
	}
	g->stats.rx_packets++;
	g->stats.rx_bytes += h.payload_len;
	before = (uint32_t)g->pq.st.accepted;
	pq_input(&g->pq, h.seq, pkt + ihl + h.hdr_len, h.payload_len, now,
	    on_deliver, g);
	if ((uint32_t)g->pq.st.accepted != before) {
		g->unacked += (uint32_t)g->pq.st.accepted - before;
		g->ack_pending = true;
		if (g->ack_due_ms == 0)
			g->ack_due_ms = now + ACK_DELAY_MS;
	}
}

/*
 * SO_RXQ_OVFL: a datagram carries the count of datagrams the kernel had
 * dropped on this socket when it queued this one, because its receive
 * buffer was full: we did not read in time.  Said once, with the likely
 * cause.  A rise is the reorder queue's evidence that the numbers may jump
 * that much at this datagram.
 */
static void
gre_overflow(struct gw *g, struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL;
	    c = CMSG_NXTHDR(mh, c)) {
		uint32_t drops;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_RXQ_OVFL)
			continue;
		memcpy(&drops, CMSG_DATA(c), sizeof(drops));
		if (drops <= g->stats.rx_socket_overflow)
			continue;
		pq_dropped(&g->pq, drops - g->stats.rx_socket_overflow);
		g->stats.rx_socket_overflow = drops;
		if (g->warned_overflow)
			continue;
		g->warned_overflow = true;
		log_warnx("gre %s: the kernel dropped %u GRE packets from the "
		    "server because pptp did not read them in time: this "
		    "host is short of CPU, or pptp was stopped", g->addr,
		    drops);
	}
}

static void
gre_read(struct gw *g, uint64_t now)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	union {
		char		ctl[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr	align;
	} ctl[BATCH];

	for (int turn = 0; turn < 4; turn++) {
		int n;

		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ g->rx[i], RX_LEN };
			m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov =
			    &iov[i], .msg_iovlen = 1, .msg_control =
			    ctl[i].ctl, .msg_controllen = sizeof(ctl[i]) } };
		}
		n = recvmmsg(g->gre, m, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			g->stats.rx_os_errors++;
			gre_errqueue(g);
			return;
		}
		for (int i = 0; i < n; i++) {
			/* the count is cumulative, as of each datagram */
			if (m[i].msg_hdr.msg_controllen > 0)
				gre_overflow(g, &m[i].msg_hdr);
			if (m[i].msg_hdr.msg_flags & MSG_TRUNC)
				g->stats.rx_truncated++;
			else
				gre_packet(g, g->rx[i], m[i].msg_len, now);
		}
		if (n < BATCH)
			return;
	}
}

/*
 * A message from the call manager: the call ended, or link info.  True
 * when there may be more and the call goes on.
 */
static bool
cm_read_one(struct gw *g)
{
	struct ipc_msg raw;
	struct cm_msg m;
	int r = cm_recv(g->cm, &m, &raw, IPC_NOWAIT);

	if (raw.fd >= 0)
		close(raw.fd);	/* none is meant for us */
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (r < 0 && errno == EBADMSG) {
		log_warnx("gre %s: bad message from the call manager (%zu "
		    "bytes): call ends", g->addr, raw.size);
		g->exit_code = PPTP_EXIT_ERROR;
		g->done = true;
		return false;
	}
	if (r <= 0) {
		log_warnx("gre %s: the call manager went away: call ends",
		    g->addr);
		g->exit_code = PPTP_EXIT_HANGUP;
		g->done = true;
		g->cm_ended = true;
		return false;
	}
	if (m.type == CM_CALL_DOWN) {
		g->exit_code = callmgr_down(&m);	/* its words logged */
		g->done = true;
		g->cm_ended = true;
	} else if (m.type == CM_SLI) {
		/* the manager said so, at info ("set link info") */
		log_debug("gre %s: server's ACCMs: send 0x%08x, receive 0x%08x",
		    g->addr, m.sli.send_accm, m.sli.recv_accm);
	}
	return !g->done;
}

/*
 * What the call manager sent, all of it (a bound keeps the data moving):
 * the manager never waits for us, and drops a tunnel whose socket fills.
 */
static void
cm_read(struct gw *g)
{
	for (int i = 0; i < CM_READ_BATCH && cm_read_one(g); i++)
		;
}

static void
gw_timers(struct gw *g, uint64_t now)
{
	pq_timer(&g->pq, now, on_deliver, g);
	/*
	 * Ack after the delay, or at once when half our window waits.  A
	 * turn woken by something else (a packet) within ACK_SLACK_MS of
	 * the deadline sends it then: on a tunnel whose packets come more
	 * often than that, the ack rides their wake-ups instead of waking
	 * us on its own a few ms later.
	 */
	if (g->ack_pending && (now + ACK_SLACK_MS >= g->ack_due_ms ||
	    2 * g->unacked >= g->o->window))
		gw_send_ack(g);
	if (!g->gre_seen && !g->warned_silent && g->first_tx_ms != 0 &&
	    now >= g->first_tx_ms + GRE_SILENT_MS) {
		g->warned_silent = true;
		if (g->ct_no_helper == 1)
			log_warnx("gre %s: no GRE (IP protocol 47) has arrived "
			    "from the server in %d s while pppd is sending: "
			    "this machine tracks connections (netfilter "
			    "conntrack) and the control connection has no "
			    "PPTP helper, so a stateful firewall here drops "
			    "the server's GRE: assign the pptp helper to TCP "
			    "port 1723 (iptables -t raw -A OUTPUT -p tcp "
			    "--dport 1723 -j CT --helper pptp, after modprobe "
			    "nf_conntrack_pptp) or accept GRE from %s",
			    g->addr, GRE_SILENT_MS / 1000, g->addr);
		else
			log_warnx("gre %s: no GRE (IP protocol 47) has arrived "
			    "from the server in %d s while pppd is sending: a "
			    "firewall or NAT on the path likely blocks GRE",
			    g->addr, GRE_SILENT_MS / 1000);
	}
	if (g->pty_due_ms != 0 && now >= g->pty_due_ms) {
		log_warnx("gre %s: pppd wrote nothing on its pty in %d s: "
		    "call ends", g->addr, PPPD_OPEN_MS / 1000);
		g->exit_code = PPTP_EXIT_ERROR;
		g->done = true;
	}
}

static int
gw_timeout(struct gw *g, uint64_t now)
{
	uint64_t due = pq_next_deadline(&g->pq);

#define NEAREST(t)	do { if ((t) != 0 && (due == 0 || (t) < due)) due = (t); } while (0)
	if (g->ack_pending)
		NEAREST(g->ack_due_ms);
	if (!g->gre_seen && !g->warned_silent && g->first_tx_ms != 0)
		NEAREST(g->first_tx_ms + GRE_SILENT_MS);
	NEAREST(g->stop_due_ms);
	NEAREST(g->pty_due_ms);
	NEAREST(g->gre_wait_ms);
#undef NEAREST
	if (due == 0)
		return -1;
	return due <= now ? 0 : (int)(due - now);
}

static int
gw_init(struct gw *g, const struct pptp_opts *o, const struct gre_call *call,
    int ppp_in, int ppp_out, int cm_fd, volatile sig_atomic_t *stop)
{
	memset(g, 0, sizeof(*g));
	g->o = o;
	g->call = *call;
	g->ppp_in = ppp_in;
	g->ppp_out = ppp_out;
	g->cm = cm_fd;
	g->gre = -1;
	g->null = open("/dev/null", O_RDWR | O_CLOEXEC);
	pppd_init(&g->pppd, call->pppd, call->pppd_fd, call->report_fd,
	    g->addr);
	g->stop = stop;
	g->exit_code = PPTP_EXIT_OK;
	if (call->pty_slave >= 0)
		g->pty_due_ms = now_ms() + PPPD_OPEN_MS;
	addr_ntop(&call->server, g->addr, sizeof(g->addr));
	g->peer_len = addr_to_sockaddr(&call->server, &g->peer);
	g->slot = malloc((size_t)(BATCH + 1) * SLOT_LEN);
	g->rx = malloc((size_t)BATCH * RX_LEN);
	g->rbuf = malloc(PPP_READ);
	g->obuf = malloc(OBUF_LEN);
	if (g->slot == NULL || g->rx == NULL || g->rbuf == NULL ||
	    g->obuf == NULL || pq_init(&g->pq, o->missing_window,
	    o->timeout_ms, !o->timeout_set, o->nobuffer, 256, 1 << 20) < 0) {
		log_warn("gre %s: cannot allocate buffers", g->addr);
		return -1;
	}
	if (o->test_type != 0) {
		g->tt.buf = malloc(10 * SLOT_LEN);
		if (g->tt.buf == NULL) {
			log_warn("gre %s: cannot allocate buffers", g->addr);
			return -1;
		}
	}
	hdlc_dec_init(&g->dec, slot_frame(g, 0), FRAME_MAX + 2, o->sync);
	/*
	 * Towards pppd every control character is escaped to begin with,
	 * as pppd's receive ACCM starts: LCP's ACCM, once it applies,
	 * narrows that (accm_changed), while LCP itself always goes with
	 * every control character escaped (enc_lcp).
	 */
	hdlc_enc_init(&g->enc, HDLC_ACCM_ALL);
	hdlc_enc_init(&g->enc_lcp, HDLC_ACCM_ALL);
	accm_init(&g->accm);
	if (set_nonblock(ppp_in) < 0 || set_nonblock(ppp_out) < 0) {
		log_warn("gre %s: pppd's file descriptors", g->addr);
		return -1;
	}
	return gw_open_socket(g);
}

static void
gw_free(struct gw *g)
{
	if (g->gre >= 0)
		close(g->gre);
	if (g->null >= 0)
		close(g->null);
	pppd_release(&g->pppd);	/* its watchdog ends, and pppd if not
				   reaped */
	pq_free(&g->pq);
	free(g->slot);
	free(g->rx);
	free(g->rbuf);
	free(g->obuf);
	free(g->tt.buf);
	if (g->pub != NULL)
		munmap(g->pub, sizeof(*g->pub));
}

/*
 * We end the call: the call manager clears it (Call-Clear-Request, then
 * the server's Call-Disconnect-Notify) and closes our socket when that is
 * done.  Until then GRE keeps arriving (the server's pppd says goodbye
 * too): read and drop it, since with no GRE socket our kernel would
 * answer it with ICMP protocol-unreachable, and poptop drops the control
 * connection on that before it reads the clear.  Bounded by LINGER_MS.
 */
static void
gw_linger(struct gw *g)
{
	uint64_t end = now_ms() + LINGER_MS, now;

	if (g->cm < 0 || g->cm_ended)
		return;
	if (shutdown(g->cm, SHUT_WR) < 0)
		return;
	while ((now = now_ms()) < end) {
		struct pollfd pfd[2] = {
			{ g->cm, POLLIN, 0 },
			{ g->gre, POLLIN, 0 },
		};
		struct ipc_msg raw;
		int r;

		if (poll(pfd, 2, (int)(end - now)) < 0 && errno != EINTR)
			break;
		/* at most BATCH a round: a flood cannot stretch the wait */
		for (int i = 0; i < BATCH && pfd[1].revents != 0; i++)
			if (recv(g->gre, g->rx[0], RX_LEN, MSG_DONTWAIT) <= 0)
				break;
		if (pfd[1].revents & POLLERR)
			gre_errqueue(g);	/* else POLLERR stays: a spin */
		if (pfd[0].revents == 0)
			continue;
		/* the manager's close: the call is cleared */
		r = ipc_recv(g->cm, &raw, IPC_NOWAIT);
		if (raw.fd >= 0)
			close(raw.fd);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR &&
		    errno != EBADMSG))
			return;
	}
	log_debug("gre %s: no word of the call being cleared in %d ms",
	    g->addr, LINGER_MS);
}

/*
 * The call is over: a pppd we launched goes too.  Unless a signal ended
 * the call (pppd had SIGTERM then), its line hangs up first, as when the
 * classic client's gateway went: pppd ends with its status for that
 * ("Modem hangup", 16).  Then TERM, then KILL (pppd_end).
 */
static void
pppd_stop(struct gw *g)
{
	if (g->pppd.pid <= 0)
		return;
	/* our only hold on the pty master (launch mode) goes */
	if (g->stop_due_ms == 0 && g->null >= 0 &&
	    dup2(g->null, g->ppp_in) >= 0 && pppd_wait(&g->pppd, 1000))
		return;
	pppd_end(&g->pppd);
}

/*
 * A pppd we launched flushes its line as it starts (tcsetattr with
 * TCSAFLUSH), then gives it PPP's line discipline (the kernel drops
 * what the old one held): a frame written to the pty before then is
 * lost, and the server's pppd sends its Configure-Request again only
 * after its restart timer (3 s).  So the server's frames wait in the
 * GRE socket's queue until pppd's line is PPP's, or pppd has written
 * (a stand-in for pppd on the pty), or PPPD_HOLD_MS: a program that
 * does neither still gets them.  Before the sandbox (the ioctl): this
 * reads nothing from the network or from pppd, and is once per call.
 */
static void
gw_await_pppd(struct gw *g, const sigset_t *waitmask)
{
	uint64_t start = now_ms(), now;

	if (g->call.pty_slave < 0)
		return;		/* not ours, or pppd wrote already */
	while (!*g->stop && (now = now_ms()) < start + PPPD_HOLD_MS) {
		struct pollfd pfd[2] = {
			{ g->ppp_in, POLLIN, 0 },
			{ g->cm, POLLIN, 0 },
		};
		uint64_t left = start + PPPD_HOLD_MS - now;
		struct timespec ts = { 0, (long)(left < PPPD_POLL_MS ? left :
		    PPPD_POLL_MS) * 1000000 };
		int disc;

		if (ioctl(g->call.pty_slave, TIOCGETD, &disc) < 0)
			break;
		if (disc != N_TTY) {
			/*
			 * pppd has its line, though it may not write soon
			 * (`silent' waits for the server): our copy of its
			 * end goes, so that pppd closing it shows as EOF,
			 * and there is no deadline for its first bytes.
			 */
			close(g->call.pty_slave);
			g->call.pty_slave = -1;
			g->pty_due_ms = 0;
			break;
		}
		if (child_exited) {
			child_exited = 0;
			pppd_watchdog_reap(&g->pppd);
			if (pppd_reap(&g->pppd, false)) {
				g->done = true;
				return;
			}
		}
		if (want_stats) {
			want_stats = 0;
			gw_stats(g);
		}
		/* pppd's first bytes, or word from the call manager */
		if (ppoll(pfd, 2, &ts, waitmask) > 0)
			break;
	}
	if (*g->stop)
		return;
	now = now_ms();
	if (now < start + PPPD_HOLD_MS)
		log_debug("gre %s: passing data to pppd %llu ms into its "
		    "start-up", g->addr, (unsigned long long)(now - start));
	else
		log_info("gre %s: pppd has not set up its line in %d ms: "
		    "passing data to it anyway", g->addr, PPPD_HOLD_MS);
}

int
gre_run(const struct pptp_opts *o, const struct gre_call *call, int ppp_in,
    int ppp_out, int cm_fd, volatile sig_atomic_t *stop)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct sigaction sc = { .sa_handler = on_chld,
	    .sa_flags = SA_NOCLDSTOP };
	sigset_t waitmask;
	struct gw *g = malloc(sizeof(*g));
	int exit_code;

	if (g == NULL || gw_init(g, o, call, ppp_in, ppp_out, cm_fd,
	    stop) < 0) {
		if (g != NULL) {
			/* a pppd we launched is not left unwatched */
			pppd_stop(g);
			gw_free(g);
		} else if (call->pppd > 0) {
			kill(call->pppd, SIGKILL);
			waitpid(call->pppd, NULL, 0);
		}
		free(g);
		return PPTP_EXIT_ERROR;
	}
	/* ps tells tunnels apart; pkill -f can signal one alone */
	proc_title("pptp: GRE-to-PPP gateway for %s%s%s%s call %u%s%s%s",
	    strcmp(o->server, g->addr) != 0 ? o->server : "",
	    strcmp(o->server, g->addr) != 0 ? " (" : "", g->addr,
	    strcmp(o->server, g->addr) != 0 ? ")" : "", call->call_id,
	    o->logstring != NULL ? " [" : "",
	    o->logstring != NULL ? o->logstring : "",
	    o->logstring != NULL ? "]" : "");
	log_info("gre %s: call up: our call ID %u, server's %u: passing "
	    "data", g->addr, call->call_id, call->peer_call_id);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGCHLD, &sc, NULL);
	sig_block(NULL, &waitmask, SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1,
	    0);
	child_exited = 1;	/* pppd may have gone before the handler came */
	gw_share(g);
	gw_conntrack(g);
	/* Set up: what is left reads the network, and may do no more. */
	(void)pppd_watchdog_start(&g->pppd, &o->sandbox);
	gw_await_pppd(g, &waitmask);
	logrelay_start(&o->sandbox, "gre");	/* syslog's socket goes */
	sandbox_enter(&o->sandbox, SB_GATEWAY, "gre");

	while (!g->done) {
		struct pollfd pfd[4] = {
			{ g->ppp_in, POLLIN, 0 },
			{ g->gre_wait_ms == 0 ? g->gre : -1, POLLIN, 0 },
			{ g->cm, POLLIN, 0 },
			{ g->ppp_out, POLLOUT, 0 },
		};
		uint64_t now = now_ms();
		struct timespec ts;
		int t;

		if (*g->stop && g->stop_due_ms == 0) {
			log_info("gre %s: signal %d: call ends", g->addr,
			    (int)*g->stop);
			/* let pppd end the link (LCP) through us first */
			if (g->pppd.pid <= 0 ||
			    !pppd_signal(&g->pppd, SIGTERM))
				break;	/* else pppd hangs up (pppd_stop) */
			g->stop_due_ms = now + 1500;
		}
		if (g->stop_due_ms != 0 && now >= g->stop_due_ms)
			break;
		if (child_exited) {
			child_exited = 0;
			pppd_watchdog_reap(&g->pppd);
			if (pppd_reap(&g->pppd, g->stop_due_ms != 0)) {
				g->done = true;
				break;
			}
		}
		if (want_stats) {
			want_stats = 0;
			gw_stats(g);
		}
		gw_publish(g);
		/* after the above: a stop just begun has its deadline now */
		t = gw_timeout(g, now);
		ts = (struct timespec){ t / 1000, (long)(t % 1000) * 1000000 };
		if (ppoll(pfd, g->olen > g->ooff ? 4 : 3,
		    t < 0 ? NULL : &ts, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("gre %s: poll", g->addr);
			g->exit_code = PPTP_EXIT_ERROR;
			break;
		}
		now = now_ms();
		if (ppp_room(g, pfd[3].revents, now))
			pfd[1].revents = POLLIN;	/* what waits there */
		if (pfd[1].revents & (POLLIN | POLLERR)) {
			if (pfd[1].revents & POLLERR)
				gre_errqueue(g);
			gre_read(g, now);
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			ppp_read(g, now);
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
			cm_read(g);
		gw_timers(g, now);
		if (g->olen > g->ooff)
			ppp_write(g);
	}
	exit_code = g->exit_code;
	pppd_stop(g);
	gw_linger(g);
	if (g->call.pty_slave >= 0)
		close(g->call.pty_slave);
	gw_free(g);
	free(g);
	return exit_code;
}

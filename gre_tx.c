// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the gateway sends on GRE (gre_int.h): pppd's frames a batch at a
 * time, each sendmmsg() carrying the ack due, if any, in every header;
 * lone acks when no frame goes; --test-type's reordering; and what a
 * failed send says.
 */
#include "gre_int.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "gre_hdr.h"
#include "pqueue.h"
#include "util.h"

/* The ack to carry: the last sequence number handed to pppd. */
static bool
ack_value(struct gw *g, uint32_t *ack)
{
	return g->ack_pending && pq_last(&g->pq, ack);
}

static void
ack_sent(struct gw *g)
{
	g->ack_pending = false;
	g->ack_due_ms = 0;
	g->unacked = 0;
}

static void
tx_error(struct gw *g, int err)
{
	g->stats.tx_failed++;
	if (err == EPERM && !g->warned_eperm) {
		g->warned_eperm = true;
		log_warnx("gre %s: sending GRE: operation not permitted: a "
		    "local packet filter (iptables/nftables) drops IP "
		    "protocol 47", g->addr);
	}
}

void
gw_send_ack(struct gw *g)
{
	uint8_t pkt[GRE_HDR_MAX];
	struct gre_hdr h = { .has_ack = true,
	    .call_id = g->call.peer_call_id };
	size_t len;

	if (!ack_value(g, &h.ack))
		return;
	len = gre_encode(&h, pkt, sizeof(pkt));
	if (sendto(g->gre, pkt, len, 0, (struct sockaddr *)&g->peer,
	    g->peer_len) < 0) {
		tx_error(g, errno);
		return;
	}
	g->stats.tx_acks++;
	ack_sent(g);
}

static void
tx_one(struct gw *g, const uint8_t *p, size_t len)
{
	ssize_t n = sendto(g->gre, p, len, 0, (struct sockaddr *)&g->peer,
	    g->peer_len);

	if (n < 0)
		tx_error(g, errno);
	else if ((size_t)n < len)
		g->stats.tx_short++;
	else
		g->stats.tx_packets++;
}

/*
 * --test-type (pptp(8)): after every test_rate packets in order, one
 * group goes out of order.  1: the next two swap.  2: ten are held and
 * the eleventh goes first, then the ten in order.  3: the same eleven go
 * in reverse order.  Nothing is lost: these test the server's reordering.
 */
static void
test_emit(struct gw *g, const uint8_t *p, size_t len)
{
	unsigned group = g->o->test_type == 1 ? 1 : 10;

	if (g->tt.passed < g->o->test_rate) {
		g->tt.passed++;
		tx_one(g, p, len);
		return;
	}
	if (g->tt.held < group) {
		memcpy(g->tt.buf[g->tt.held], p, len);
		g->tt.len[g->tt.held++] = len;
		return;
	}
	tx_one(g, p, len);
	for (unsigned i = 0; i < g->tt.held; i++) {
		unsigned k = g->o->test_type == 3 ? g->tt.held - 1 - i : i;

		tx_one(g, g->tt.buf[k], g->tt.len[k]);
	}
	g->tt.held = 0;
	g->tt.passed = 0;
}

void
tx_flush(struct gw *g, uint64_t now)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	uint32_t ack = 0;
	bool with_ack = ack_value(g, &ack);
	unsigned off = 0;

	if (g->nslot == 0)
		return;
	for (unsigned i = 0; i < g->nslot; i++) {
		struct gre_hdr h = { .has_seq = true, .has_ack = with_ack,
		    .payload_len = (uint16_t)g->slot_len[i],
		    .call_id = g->call.peer_call_id, .seq = ++g->tx_seq,
		    .ack = ack };
		uint8_t hdr[GRE_HDR_MAX];
		size_t hl = gre_encode(&h, hdr, sizeof(hdr));
		uint8_t *start = slot_frame(g, i) - hl;

		memcpy(start, hdr, hl);
		iov[i] = (struct iovec){ start, hl + g->slot_len[i] };
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &g->peer,
		    .msg_namelen = g->peer_len, .msg_iov = &iov[i],
		    .msg_iovlen = 1 } };
		g->rtt_seq[h.seq % RTT_SLOTS] = h.seq;
		g->rtt_sent[h.seq % RTT_SLOTS] = now;
	}
	if (g->first_tx_ms == 0)
		g->first_tx_ms = now;
	if (g->o->test_type != 0) {
		for (unsigned i = 0; i < g->nslot; i++)
			test_emit(g, iov[i].iov_base, iov[i].iov_len);
		off = g->nslot;
	}
	while (off < g->nslot) {
		int n = sendmmsg(g->gre, m + off, g->nslot - off, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* this one failed; the rest may go */
			tx_error(g, errno);
			off++;
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (m[off + i].msg_len < iov[off + i].iov_len) {
				g->stats.tx_short++;
			} else {
				g->stats.tx_packets++;
				g->stats.tx_bytes += g->slot_len[off + i];
			}
		}
		off += (unsigned)n;
	}
	if (with_ack)
		ack_sent(g);
	g->nslot = 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reorder queue.  Waiting packets sit in a ring indexed by sequence
 * number modulo PQ_SLOTS, so the slot of the next expected packet is
 * found without a search; the ring only ever holds packets less than
 * PQ_SLOTS ahead of `next`, and the count and byte limits keep it small.
 *
 * The wait is measured from the arrival of the first waiting packet
 * after the gap (the lowest queued one): when it has waited timeout_ms,
 * the gap in front of it is counted lost and delivery moves on.
 *
 * Resynchronising.  A packet more than the window away from `next', ahead
 * or behind, is dropped.  The numbering is followed to a new place only
 * when both of these hold:
 *  - a run: at least PQ_RESYNC_RUN far packets, each after the one before
 *    and at most the window past it, with no packet in the window between
 *    them (one resets the run);
 *  - silence: no packet in the window has come for PQ_RESYNC_QUIET_MS.
 * The delivery then goes on at the packet that completed both.
 *
 * A blind sender (one who spoofs the server's address and guesses the
 * call ID, but cannot see the numbers) can send runs of consecutive
 * numbers as easily as anything; what it cannot do is stop the real
 * packets in the window from arriving, and every one of them both resets
 * its run and restarts the silence.  So while the real path delivers
 * a packet at least every PQ_RESYNC_QUIET_MS, spoofed far packets are
 * only ever dropped (counted over_win or under_win).  A run alone, the
 * rule before, such a sender forged with three packets.  (A packet in the
 * window counts whether it is taken, queued, late or a duplicate.)
 *
 * The recoveries this keeps: after an outage of at least
 * PQ_RESYNC_QUIET_MS the silence is there already, and the third packet
 * of the new numbering goes on, as before (after a shorter outage, the
 * first one once the silence is complete); when the peer restarts its
 * numbering (ahead or behind) while traffic flows, the first packet of
 * the new numbering that comes PQ_RESYNC_QUIET_MS after the last of the
 * old one (and is at least the third) goes on: what came in that second
 * is lost.  On an idle tunnel (nothing real for PQ_RESYNC_QUIET_MS) a
 * run of three can still move the queue: sequence numbers alone cannot
 * tell a spoofed run there from a real restart.
 *
 * One jump needs no run: when the system dropped packets for want of
 * room (pq_dropped: the gateway reads the kernel's count with each
 * datagram), the packet after them may be that many past the window; it
 * goes on at once, what lies before it counted lost.  Only packets from
 * the server's address with our call ID take room in the socket (the
 * gateway's socket filter drops the rest in the kernel), so junk cannot
 * earn that allowance; a spoofer who floods with forged ones must still
 * guess a number within it, one guess a flood, as hard per packet sent
 * as guessing one in the window.
 */
#include "pqueue.h"

#include <stdlib.h>
#include <string.h>

#include "gre_hdr.h"

int
pq_init(struct pq *q, unsigned missing_window, uint64_t timeout_ms,
    bool adaptive, bool nobuffer, unsigned max_pkts, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	q->window = missing_window;
	q->timeout_ms = timeout_ms;
	q->adaptive = adaptive;
	q->wait_ms = adaptive && timeout_ms > PQ_WAIT_START_MS ?
	    PQ_WAIT_START_MS : timeout_ms;
	q->nobuffer = nobuffer;
	q->max_pkts = max_pkts < PQ_SLOTS - 1 ? max_pkts : PQ_SLOTS - 1;
	q->max_bytes = max_bytes;
	q->data = malloc((size_t)PQ_SLOTS * PQ_PKT_MAX);
	return q->data == NULL ? -1 : 0;
}

void
pq_free(struct pq *q)
{
	free(q->data);
	q->data = NULL;
}

/* A packet came late_ms after the gap it filled opened: learn from it. */
static void
learn(struct pq *q, uint64_t late_ms)
{
	int64_t m = (int64_t)late_ms, err, w;

	if (!q->adaptive)
		return;
	if (!q->have_late) {
		q->have_late = true;
		q->late8 = m << 3;
		q->dev4 = m << 1;	/* deviation: half the first sample */
	} else {
		err = m - (q->late8 >> 3);
		q->late8 += err;			/* 1/8 of the error */
		q->dev4 += (err < 0 ? -err : err) - (q->dev4 >> 2);
	}
	w = (q->late8 >> 3) + q->dev4;		/* late + 4 * dev/4 */
	if (w < PQ_WAIT_MIN_MS)
		w = PQ_WAIT_MIN_MS;
	if ((uint64_t)w > q->timeout_ms)
		w = (int64_t)q->timeout_ms;
	q->wait_ms = (uint64_t)w;
}

static struct pq_slot *
slot_of(struct pq *q, uint32_t seq)
{
	return &q->slot[seq % PQ_SLOTS];
}

static uint8_t *
data_of(struct pq *q, uint32_t seq)
{
	return q->data + (size_t)(seq % PQ_SLOTS) * PQ_PKT_MAX;
}

static void
deliver(struct pq *q, uint32_t seq, const uint8_t *p, size_t len,
    pq_deliver_fn *fn, void *arg)
{
	q->st.accepted++;
	q->next = seq + 1;
	fn(arg, seq, p, len);
}

/* Hand on every queued packet that is now in order. */
static void
drain(struct pq *q, pq_deliver_fn *fn, void *arg)
{
	struct pq_slot *s;

	while (q->count > 0 && (s = slot_of(q, q->next))->used &&
	    s->seq == q->next) {
		s->used = false;
		q->count--;
		q->bytes -= s->len;
		deliver(q, s->seq, data_of(q, s->seq), s->len, fn, arg);
	}
}

/* The lowest queued sequence number; the queue is not empty. */
static uint32_t
lowest(const struct pq *q)
{
	for (uint32_t d = 1; d < PQ_SLOTS; d++) {
		const struct pq_slot *s = &q->slot[(q->next + d) % PQ_SLOTS];

		if (s->used)
			return s->seq;
	}
	return q->next;		/* not reached: count > 0 */
}

/* Give up on the gap in front of the lowest queued packet. */
static void
skip_gap(struct pq *q, uint64_t now, pq_deliver_fn *fn, void *arg)
{
	uint32_t low = lowest(q);

	q->skip_lo = q->next;
	q->skip_hi = low;
	q->skip_ms = now;
	q->skip_wait_ms = now - slot_of(q, low)->since_ms;
	q->st.lost += (uint32_t)(low - q->next);
	q->next = low;
	drain(q, fn, arg);
}

/* Forget the old numbering: what waits goes on, then the jump. */
static void
resync(struct pq *q, uint32_t seq, uint64_t now, pq_deliver_fn *fn,
    void *arg)
{
	while (q->count > 0)
		skip_gap(q, now, fn, arg);
	q->st.resyncs++;
	q->far_run = 0;
	q->next = seq;
	q->seen_ms = now;
}

void
pq_input(struct pq *q, uint32_t seq, const uint8_t *p, size_t len,
    uint64_t now, pq_deliver_fn *fn, void *arg)
{
	int32_t d;
	struct pq_slot *s;
	bool at_once;

	if (!q->started) {
		q->started = true;
		q->next = seq;
		q->seen_ms = now;
	}
	d = seq_diff(seq, q->next);

	/*
	 * Far from where we are: dropped, unless a run and a silence of the
	 * packets in the window say we jumped (see the top of this file), or
	 * the system dropped what lies between.
	 */
	if ((d > (int32_t)q->window || d < -(int32_t)q->window) &&
	    !(d > 0 && (uint64_t)d - q->window <= q->dropped)) {
		if (q->far_run > 0 && seq_after(seq, q->far_last) &&
		    seq_diff(seq, q->far_last) <= (int32_t)q->window)
			q->far_run++;
		else
			q->far_run = 1;
		q->far_last = seq;
		if (q->far_run < PQ_RESYNC_RUN ||
		    now < q->seen_ms + PQ_RESYNC_QUIET_MS) {
			if (d > 0)
				q->st.over_win++;
			else
				q->st.under_win++;
			q->dropped = 0;
			return;
		}
		resync(q, seq, now, fn, arg);
		d = 0;
	}
	q->far_run = 0;
	q->seen_ms = now;
	/* what the system dropped just before it is not waited for */
	at_once = q->nobuffer || q->dropped > 0;
	q->dropped = 0;

	if (d < 0) {
		q->st.under_win++;	/* late, or a duplicate */
		/* one we gave up on: the wait should have been longer */
		if (seq_diff(seq, q->skip_lo) >= 0 &&
		    seq_before(seq, q->skip_hi))
			learn(q, q->skip_wait_ms + (now - q->skip_ms));
		return;
	}
	if (d == 0) {
		/* it fills a gap that others waited behind: that long */
		if (q->count > 0)
			learn(q, now - slot_of(q, lowest(q))->since_ms);
		deliver(q, seq, p, len, fn, arg);
		drain(q, fn, arg);
		return;
	}
	q->st.buffered++;
	s = slot_of(q, seq);
	if (s->used && s->seq == seq) {
		q->st.buffered--;
		q->st.under_win++;	/* a duplicate of one waiting */
		return;
	}
	/*
	 * Make room: with nobuffer or after a drop (or a packet too big to
	 * keep), ahead of the ring, or over the limits, the gaps before it
	 * give way, then it goes on at once if it still cannot wait.
	 */
	while (q->count > 0 && (at_once || len > PQ_PKT_MAX ||
	    seq_diff(seq, q->next) >= PQ_SLOTS ||
	    q->count >= q->max_pkts || q->bytes + len > q->max_bytes) &&
	    seq_after(seq, lowest(q)))
		skip_gap(q, now, fn, arg);
	/* no gap was skipped past seq, so it is not behind next */
	d = seq_diff(seq, q->next);
	if (d == 0 || at_once || len > PQ_PKT_MAX ||
	    d >= PQ_SLOTS || q->count >= q->max_pkts ||
	    q->bytes + len > q->max_bytes) {
		/* it goes on now; what it jumped over is lost */
		if (d == 0)
			q->st.buffered--;
		q->st.lost += (uint32_t)d;
		deliver(q, seq, p, len, fn, arg);
		drain(q, fn, arg);
		return;
	}
	s = slot_of(q, seq);
	s->used = true;
	s->seq = seq;
	s->len = (uint16_t)len;
	s->since_ms = now;
	memcpy(data_of(q, seq), p, len);
	q->count++;
	q->bytes += len;
}

void
pq_dropped(struct pq *q, uint64_t n)
{
	q->dropped += n;
}

void
pq_timer(struct pq *q, uint64_t now, pq_deliver_fn *fn, void *arg)
{
	while (q->count > 0 && now >= slot_of(q, lowest(q))->since_ms +
	    q->wait_ms)
		skip_gap(q, now, fn, arg);
}

uint64_t
pq_next_deadline(const struct pq *q)
{
	if (q->count == 0)
		return 0;
	return q->slot[lowest(q) % PQ_SLOTS].since_ms + q->wait_ms;
}

bool
pq_last(const struct pq *q, uint32_t *seq)
{
	if (!q->started || q->st.accepted == 0)
		return false;
	*seq = q->next - 1;
	return true;
}

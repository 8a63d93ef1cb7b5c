// SPDX-License-Identifier: GPL-2.0-or-later
/* Reorder queue: ordering, loss, duplicates, jumps, wrap, limits. */
#include "pqueue.h"

#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "gre_hdr.h"

struct got {
	uint32_t	seq[4096];
	size_t		n;
};

static void
on_deliver(void *arg, uint32_t seq, const uint8_t *p, size_t len)
{
	struct got *g = arg;

	/* the payload is the sequence number, so content is checked too */
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(memcmp(p, &seq, 4), 0);
	ck_assert_uint_lt(g->n, 4096);
	g->seq[g->n++] = seq;
}

/* Records the order only, for payloads that are not just the number. */
static void
on_deliver_any(void *arg, uint32_t seq, const uint8_t *p, size_t len)
{
	struct got *g = arg;

	(void)p;
	(void)len;
	g->seq[g->n++] = seq;
}

static struct pq *
mk(unsigned window, bool nobuffer, unsigned max_pkts)
{
	struct pq *q = malloc(sizeof(*q));

	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(pq_init(q, window, 300, false, nobuffer, max_pkts,
	    1 << 20), 0);
	return q;
}

static void
put(struct pq *q, struct got *g, uint32_t seq, uint64_t now)
{
	pq_input(q, seq, (const uint8_t *)&seq, 4, now, on_deliver, g);
}

static void
done(struct pq *q)
{
	pq_free(q);
	free(q);
}

START_TEST(test_in_order)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };
	uint32_t last;

	ck_assert(!pq_last(q, &last));
	for (uint32_t s = 1; s <= 100; s++)
		put(q, &g, s, 0);
	ck_assert_uint_eq(g.n, 100);
	ck_assert_uint_eq(q->st.accepted, 100);
	ck_assert_uint_eq(q->st.buffered, 0);
	ck_assert(pq_last(q, &last));
	ck_assert_uint_eq(last, 100);
	ck_assert_uint_eq(pq_next_deadline(q), 0);
	done(q);
}
END_TEST

START_TEST(test_reorder_fills_gap)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };

	put(q, &g, 1, 0);
	put(q, &g, 3, 10);
	put(q, &g, 4, 10);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(pq_next_deadline(q), 310);
	put(q, &g, 2, 20);
	ck_assert_uint_eq(g.n, 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(g.seq[i], i + 1);
	ck_assert_uint_eq(q->st.buffered, 2);
	ck_assert_uint_eq(q->st.lost, 0);
	ck_assert_uint_eq(pq_next_deadline(q), 0);
	done(q);
}
END_TEST

START_TEST(test_gap_times_out)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };

	put(q, &g, 1, 0);
	put(q, &g, 4, 100);
	put(q, &g, 6, 150);
	pq_timer(q, 399, on_deliver, &g);
	ck_assert_uint_eq(g.n, 1);
	pq_timer(q, 400, on_deliver, &g);	/* 4 waited 300 ms */
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.seq[1], 4);
	ck_assert_uint_eq(q->st.lost, 2);
	ck_assert_uint_eq(pq_next_deadline(q), 450);
	pq_timer(q, 450, on_deliver, &g);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(q->st.lost, 3);
	/* 2 comes at last: too late */
	put(q, &g, 2, 500);
	ck_assert_uint_eq(q->st.under_win, 1);
	ck_assert_uint_eq(g.n, 3);
	done(q);
}
END_TEST

START_TEST(test_duplicates)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };

	put(q, &g, 1, 0);
	put(q, &g, 1, 0);
	put(q, &g, 3, 0);
	put(q, &g, 3, 0);
	put(q, &g, 2, 0);
	put(q, &g, 2, 0);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(q->st.under_win, 3);
	ck_assert_uint_eq(q->st.buffered, 1);
	done(q);
}
END_TEST

START_TEST(test_over_window_dropped)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };

	put(q, &g, 1, 0);
	put(q, &g, 303, 0);	/* 301 ahead of the expected 2 */
	ck_assert_uint_eq(q->st.over_win, 1);
	put(q, &g, 2, 0);
	ck_assert_uint_eq(g.n, 2);
	/* 300 ahead of the expected 3 is still in the window */
	put(q, &g, 303, 0);
	ck_assert_uint_eq(q->st.buffered, 1);
	done(q);
}
END_TEST

/*
 * After an outage (nothing for longer than PQ_RESYNC_QUIET_MS) the peer is
 * far ahead: the third packet of a run resyncs, as soon as before.
 */
START_TEST(test_jump_ahead_resyncs)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };
	uint64_t t = 1000 + PQ_RESYNC_QUIET_MS;

	for (uint32_t s = 1; s <= 10; s++)
		put(q, &g, s, s);
	put(q, &g, 5000, t);
	put(q, &g, 5001, t);
	ck_assert_uint_eq(g.n, 10);
	ck_assert_uint_eq(q->st.over_win, 2);
	put(q, &g, 5002, t);
	put(q, &g, 5003, t);
	ck_assert_uint_eq(g.n, 12);
	ck_assert_uint_eq(g.seq[10], 5002);
	ck_assert_uint_eq(g.seq[11], 5003);
	ck_assert_uint_eq(q->st.resyncs, 1);
	done(q);
}
END_TEST

/* The same after an outage, but far behind (the numbering restarted). */
START_TEST(test_peer_restart_resyncs)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };
	uint64_t t = 10 + PQ_RESYNC_QUIET_MS;

	for (uint32_t s = 100000; s < 100010; s++)
		put(q, &g, s, 0);
	for (uint32_t s = 1; s <= 5; s++)
		put(q, &g, s, t);
	ck_assert_uint_eq(q->st.under_win, 2);
	ck_assert_uint_eq(g.n, 13);
	ck_assert_uint_eq(g.seq[12], 5);
	done(q);
}
END_TEST

/*
 * Real packets every 10 ms, and between two of them a spoofed burst of
 * consecutive numbers far from them, ahead (_i even) or behind (_i odd),
 * of 3, 10 or 1000 packets: nothing but the real stream is delivered, the
 * burst is counted dropped, the numbering never moves.  The spoofer sends
 * the burst at once, or spread out, three between real packets, for as
 * long as it likes (longer than the silence a resync needs).
 */
static const uint32_t burst_len[] = { 3, 10, 1000 };

static void
spoof_run(int i, bool spread)
{
	struct pq *q = mk(300, false, 64);
	struct got *g = calloc(1, sizeof(*g));
	uint32_t n = burst_len[i / 2], sent = 0, real = 1000000;
	uint32_t from = i % 2 == 0 ? real + 70000 : real - 70000;
	uint64_t t = 5000;

	ck_assert_ptr_nonnull(g);
	while (sent < n || real < 1000000 + 20) {
		put(q, g, real++, t);
		if (real == 1000000 + 10 || (spread && real > 1000000 + 10))
			for (uint32_t k = 0; k < (spread ? 3 : n) && sent < n;
			    k++, sent++)
				put(q, g, from + sent, t + 5);
		t += 10;
	}
	ck_assert_uint_eq(g->n, real - 1000000);
	for (size_t k = 0; k < g->n; k++)
		ck_assert_uint_eq(g->seq[k], 1000000 + k);
	ck_assert_uint_eq(q->st.resyncs, 0);
	ck_assert_uint_eq(q->st.lost, 0);
	ck_assert_uint_eq(i % 2 == 0 ? q->st.over_win : q->st.under_win, n);
	ck_assert_uint_eq(i % 2 == 0 ? q->st.under_win : q->st.over_win, 0);
	free(g);
	done(q);
}

START_TEST(test_spoofed_burst_changes_nothing)
{
	spoof_run(_i, false);
}
END_TEST

START_TEST(test_spoofed_spread_changes_nothing)
{
	spoof_run(_i, true);
}
END_TEST

/*
 * The peer restarts its numbering while traffic flows: the old numbers
 * stop, the new ones (far ahead, or far behind) come every 10 ms.  The
 * new numbering is followed at the first of its packets that comes
 * PQ_RESYNC_QUIET_MS or more after the last old one (and is at least the
 * third): within PQ_RESYNC_QUIET_MS plus one packet's interval.
 */
START_TEST(test_restart_while_flowing)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };
	uint32_t to = _i == 0 ? 0x80000000u : 7, s;
	uint64_t t = 5000, last_old;

	for (s = 1000000; s < 1000020; s++, t += 10)
		put(q, &g, s, t);
	last_old = t - 10;
	for (s = to; g.n == 20; s++, t += 10) {
		ck_assert_uint_le(t, last_old + PQ_RESYNC_QUIET_MS + 10);
		put(q, &g, s, t);
	}
	ck_assert_uint_eq(q->st.resyncs, 1);
	ck_assert_uint_ge(t - 10, last_old + PQ_RESYNC_QUIET_MS);
	ck_assert_uint_eq(g.seq[20], s - 1);
	for (uint32_t k = 0; k < 10; k++, t += 10)
		put(q, &g, s + k, t);
	ck_assert_uint_eq(g.n, 31);
	ck_assert_uint_eq(g.seq[30], s + 9);
	done(q);
}
END_TEST

/*
 * An outage: nothing for a while, then numbers far ahead.  Recovered at
 * the third packet whenever the outage outlasted PQ_RESYNC_QUIET_MS; a
 * shorter one waits for the rest of it.
 */
START_TEST(test_outage_recovers)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };
	uint64_t outage = _i == 0 ? 60000 : PQ_RESYNC_QUIET_MS / 2, t;
	uint32_t s;

	for (s = 1; s <= 10; s++)
		put(q, &g, s, 10 * s);
	t = 100 + outage;
	for (s = 50001; g.n == 10; s++, t += 10)
		put(q, &g, s, t);
	ck_assert_uint_eq(q->st.resyncs, 1);
	if (_i == 0)
		ck_assert_uint_eq(s - 1, 50003);
	else
		ck_assert_uint_eq(t - 10, 100 + PQ_RESYNC_QUIET_MS);
	put(q, &g, s, t);
	ck_assert_uint_eq(g.n, 12);
	ck_assert_uint_eq(g.seq[11], s);
	done(q);
}
END_TEST

/*
 * The system dropped packets (its buffer was full) just before one: that
 * one may be that much past the window, and goes on at once over the gap;
 * the allowance is for the next packet only.
 */
START_TEST(test_system_drops)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };

	put(q, &g, 1, 0);
	put(q, &g, 3, 0);		/* a gap at 2 waits */
	pq_dropped(q, 500);
	put(q, &g, 802, 0);		/* 800 ahead: 300 + 500 */
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.seq[1], 3);
	ck_assert_uint_eq(g.seq[2], 802);
	ck_assert_uint_eq(q->st.lost, 1 + 798);
	ck_assert_uint_eq(q->st.over_win, 0);
	put(q, &g, 1500, 0);		/* the allowance is used up */
	ck_assert_uint_eq(q->st.over_win, 1);
	pq_dropped(q, 10);
	put(q, &g, 1500, 0);		/* 697 ahead: still too far */
	ck_assert_uint_eq(q->st.over_win, 2);
	put(q, &g, 803, 0);		/* in order: the allowance is gone */
	put(q, &g, 1200, 0);
	ck_assert_uint_eq(q->st.over_win, 3);
	pq_dropped(q, 5);
	put(q, &g, 810, 0);		/* in the window: no wait for 804-809 */
	ck_assert_uint_eq(g.n, 5);
	ck_assert_uint_eq(g.seq[4], 810);
	ck_assert_uint_eq(pq_next_deadline(q), 0);
	done(q);
}
END_TEST

/* Scattered far packets (noise, not a jump) never resync. */
START_TEST(test_far_noise_no_resync)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };

	put(q, &g, 1, 0);
	for (int i = 0; i < 50; i++) {
		put(q, &g, 1000000u * (uint32_t)(i + 1), 0);
		put(q, &g, (uint32_t)i + 2, 0);
	}
	ck_assert_uint_eq(q->st.resyncs, 0);
	ck_assert_uint_eq(g.n, 51);
	done(q);
}
END_TEST

START_TEST(test_wrap)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };
	static const uint32_t in[] = { 0xfffffffd, 0xffffffff, 0xfffffffe, 1,
	    0, 2 };

	for (size_t i = 0; i < 6; i++)
		put(q, &g, in[i], 0);
	ck_assert_uint_eq(g.n, 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_uint_eq(g.seq[i], 0xfffffffdu + (uint32_t)i);
	ck_assert_uint_eq(q->st.lost, 0);
	done(q);
}
END_TEST

START_TEST(test_nobuffer)
{
	struct pq *q = mk(300, true, 64);
	struct got g = { .n = 0 };

	put(q, &g, 1, 0);
	put(q, &g, 4, 0);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(q->st.lost, 2);
	ck_assert_uint_eq(q->st.buffered, 1);
	put(q, &g, 3, 0);
	ck_assert_uint_eq(q->st.under_win, 1);
	ck_assert_uint_eq(pq_next_deadline(q), 0);
	done(q);
}
END_TEST

/* The queue holds at most max_pkts: the oldest gap gives way. */
START_TEST(test_packet_limit)
{
	struct pq *q = mk(300, false, 4);
	struct got g = { .n = 0 };

	put(q, &g, 1, 0);
	for (uint32_t s = 3; s <= 6; s++)
		put(q, &g, s, 0);
	ck_assert_uint_eq(q->count, 4);
	put(q, &g, 8, 0);
	/* gap 2 given up: 3..6 delivered, 8 waits for 7 */
	ck_assert_uint_eq(g.n, 5);
	ck_assert_uint_eq(q->st.lost, 1);
	ck_assert_uint_eq(q->count, 1);
	done(q);
}
END_TEST

/*
 * Full queue, and a packet from inside the first gap: only the gap in
 * front of it is given up, it goes on at once, the queue stays whole.
 */
START_TEST(test_full_queue_earlier_packet)
{
	struct pq *q = mk(300, false, 4);
	struct got g = { .n = 0 };

	put(q, &g, 1, 0);
	for (uint32_t s = 5; s <= 8; s++)
		put(q, &g, s, 0);
	ck_assert_uint_eq(q->count, 4);
	put(q, &g, 3, 0);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.seq[1], 3);
	ck_assert_uint_eq(q->st.lost, 1);
	ck_assert_uint_eq(q->count, 4);
	put(q, &g, 4, 0);	/* the rest follows in order */
	ck_assert_uint_eq(g.n, 7);
	ck_assert_uint_eq(g.seq[6], 8);
	ck_assert_uint_eq(q->count, 0);
	ck_assert_uint_eq(q->st.lost, 1);
	ck_assert_uint_eq(q->st.under_win, 0);
	done(q);
}
END_TEST

/* A packet too big to keep goes on at once; queued ones are not lost. */
START_TEST(test_oversize_passes_queued_kept)
{
	struct pq *q = mk(300, false, 64);
	struct got g = { .n = 0 };
	static uint8_t big[PQ_PKT_MAX + 4];
	uint32_t seq = 6;

	put(q, &g, 1, 0);
	put(q, &g, 3, 0);
	memcpy(big, &seq, 4);
	pq_input(q, seq, big, sizeof(big), 0, on_deliver_any, &g);
	/* gaps 2 and 4-5 lost; 3 and 6 delivered, in order */
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.seq[1], 3);
	ck_assert_uint_eq(g.seq[2], 6);
	ck_assert_uint_eq(q->st.lost, 3);
	ck_assert_uint_eq(q->count, 0);
	done(q);
}
END_TEST

/*
 * Random loss, duplication and reordering by a few places: whatever
 * comes out is strictly increasing, and once the waits are over every
 * sequence number is either delivered or counted lost.
 */
START_TEST(test_property_random)
{
	struct pq *q = mk(300, false, 64);
	struct got *g = calloc(1, sizeof(*g));
	uint32_t in[3000];
	size_t n = 0;
	uint32_t base = 0xffffff00u + (uint32_t)_i * 0x1000;

	srand((unsigned)_i);
	for (uint32_t s = 0; s < 2000 && n < 2900; s++) {
		if (rand() % 100 < 3)
			continue;		/* lost */
		in[n++] = base + s;
		if (rand() % 100 < 2)
			in[n++] = base + s;	/* duplicated */
	}
	for (size_t i = 1; i < n; i++)
		if (rand() % 10 == 0) {		/* swap with one nearby */
			size_t j = i - 1 - (size_t)rand() % (i < 4 ? i : 4);
			uint32_t t = in[i];

			in[i] = in[j];
			in[j] = t;
		}
	for (size_t i = 0; i < n; i++)
		put(q, g, in[i], (uint64_t)i);
	pq_timer(q, (uint64_t)n + 1000, on_deliver, g);
	for (size_t i = 1; i < g->n; i++)
		ck_assert(seq_after(g->seq[i], g->seq[i - 1]));
	ck_assert_uint_eq(q->count, 0);
	ck_assert_uint_eq(q->st.accepted + q->st.lost,
	    (uint32_t)(g->seq[g->n - 1] - g->seq[0]) + 1);
	free(g);
	done(q);
}
END_TEST

/* Adaptive: starts at 100 ms, shrinks to what fills take, never past
 * the ceiling, grows when packets come after their gap was given up. */
START_TEST(test_adaptive_wait)
{
	struct pq *q = malloc(sizeof(*q));
	struct got g = { .n = 0 };
	uint64_t t = 1000;
	uint32_t s = 2;

	ck_assert_int_eq(pq_init(q, 300, 300, true, false, 64, 1 << 20), 0);
	ck_assert_uint_eq(q->wait_ms, PQ_WAIT_START_MS);
	put(q, &g, 1, t);
	/* many gaps that fill 4 ms later */
	for (int i = 0; i < 40; i++, s += 2, t += 10) {
		put(q, &g, s + 1, t);
		put(q, &g, s, t + 4);
	}
	ck_assert_uint_le(q->wait_ms, 12);
	ck_assert_uint_ge(q->wait_ms, PQ_WAIT_MIN_MS);
	/* a gap given up on after the short wait, its packet 60 ms late */
	put(q, &g, s + 1, t);
	pq_timer(q, t + q->wait_ms, on_deliver, &g);
	ck_assert_uint_eq(q->st.lost, 1);
	put(q, &g, s, t + 60);
	ck_assert_uint_eq(q->st.under_win, 1);
	ck_assert_uint_ge(q->wait_ms, 20);
	/* never past the ceiling */
	for (int i = 0; i < 20; i++) {
		s += 2;
		t += 10000;
		put(q, &g, s + 1, t);
		put(q, &g, s, t + 5000);
	}
	ck_assert_uint_eq(q->wait_ms, 300);
	done(q);
}
END_TEST

Suite *
pqueue_suite(void)
{
	Suite *s = suite_create("pqueue");
	TCase *tc = tcase_create("reorder");

	tcase_add_test(tc, test_in_order);
	tcase_add_test(tc, test_reorder_fills_gap);
	tcase_add_test(tc, test_gap_times_out);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_over_window_dropped);
	tcase_add_test(tc, test_jump_ahead_resyncs);
	tcase_add_test(tc, test_peer_restart_resyncs);
	tcase_add_test(tc, test_far_noise_no_resync);
	tcase_add_loop_test(tc, test_spoofed_burst_changes_nothing, 0, 6);
	tcase_add_loop_test(tc, test_spoofed_spread_changes_nothing, 0, 6);
	tcase_add_loop_test(tc, test_restart_while_flowing, 0, 2);
	tcase_add_loop_test(tc, test_outage_recovers, 0, 2);
	tcase_add_test(tc, test_system_drops);
	tcase_add_test(tc, test_wrap);
	tcase_add_test(tc, test_nobuffer);
	tcase_add_test(tc, test_packet_limit);
	tcase_add_test(tc, test_full_queue_earlier_packet);
	tcase_add_test(tc, test_oversize_passes_queued_kept);
	tcase_add_loop_test(tc, test_property_random, 0, 10);
	tcase_add_test(tc, test_adaptive_wait);
	suite_add_tcase(s, tc);
	return s;
}

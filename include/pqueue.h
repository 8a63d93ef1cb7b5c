/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The receive side's sequence logic (RFC 2637 4.3): packets in order go
 * straight on; packets slightly ahead wait in a bounded queue until the
 * gap fills or their wait times out; late and duplicate packets are
 * dropped; packets far ahead (or far behind) are dropped unless the
 * peer's numbering really jumped, after an outage or a restart, in which
 * case delivery resynchronises there (the rule is in pqueue.c).  Pure: no
 * I/O.
 */
#ifndef PPTP_PQUEUE_H
#define PPTP_PQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PQ_SLOTS	1024	/* the farthest a packet can wait ahead */
#define PQ_PKT_MAX	2048	/* largest payload kept */
#define PQ_RESYNC_RUN	3	/* far packets in a run, at least, */
#define PQ_RESYNC_QUIET_MS 1000	/* and this long without one in the
				   window, before a resync */

struct pq_stats {
	uint64_t	accepted;	/* handed on in order */
	uint64_t	lost;		/* never came: gaps given up on */
	uint64_t	under_win;	/* late or duplicate, dropped */
	uint64_t	over_win;	/* too far ahead, dropped */
	uint64_t	buffered;	/* ahead of sequence: queued (or, with
					   nobuffer, passed on over a gap) */
	uint64_t	resyncs;	/* numbering jumps followed */
};

struct pq_slot {
	bool		used;
	uint16_t	len;
	uint32_t	seq;
	uint64_t	since_ms;
};

#define PQ_WAIT_START_MS	100	/* adaptive wait before any evidence */
#define PQ_WAIT_MIN_MS		5

struct pq {
	bool		 started;	/* a first packet fixed the numbering */
	uint32_t	 next;		/* the sequence number expected */
	unsigned	 window;	/* --missing-window */
	uint64_t	 timeout_ms;	/* --timeout: the wait, or its ceiling */
	bool		 adaptive;	/* learn the wait from the network */
	uint64_t	 wait_ms;	/* the wait now */
	int64_t		 late8;		/* smoothed lateness, ms << 3 */
	int64_t		 dev4;		/* its mean deviation, ms << 2 */
	bool		 have_late;
	uint32_t	 skip_lo, skip_hi;	/* the last gap given up on */
	uint64_t	 skip_ms;
	uint64_t	 skip_wait_ms;
	bool		 nobuffer;
	unsigned	 max_pkts;
	size_t		 max_bytes;
	unsigned	 count;
	size_t		 bytes;
	unsigned	 far_run;	/* consecutive far packets */
	uint32_t	 far_last;
	uint64_t	 seen_ms;	/* when one in the window last came */
	uint64_t	 dropped;	/* pq_dropped, for the next packet */
	struct pq_slot	 slot[PQ_SLOTS];
	uint8_t		*data;		/* PQ_SLOTS * PQ_PKT_MAX */
	struct pq_stats	 st;
};

typedef void pq_deliver_fn(void *arg, uint32_t seq, const uint8_t *p,
    size_t len);

/*
 * 0, or -1 if the buffer cannot be allocated.  A fixed wait is timeout_ms;
 * an adaptive one starts at PQ_WAIT_START_MS (at most timeout_ms) and
 * follows how late reordered packets really come: the time a gap took to
 * fill, or (when one came after its gap was given up) how much longer it
 * would have needed, smoothed as TCP smooths round trips (RFC 6298),
 * wait = lateness + 4 deviations, between PQ_WAIT_MIN_MS and timeout_ms.
 */
int pq_init(struct pq *q, unsigned missing_window, uint64_t timeout_ms,
    bool adaptive, bool nobuffer, unsigned max_pkts, size_t max_bytes);
void pq_free(struct pq *q);

/* A data packet arrived; in-order packets go to fn at once. */
void pq_input(struct pq *q, uint32_t seq, const uint8_t *p, size_t len,
    uint64_t now, pq_deliver_fn *fn, void *arg);

/*
 * The system dropped n packets just before the next one (its receive
 * buffer was full): that one may be up to n past the window, and it goes
 * on at once, the gap before it counted lost, rather than dropped as far.
 */
void pq_dropped(struct pq *q, uint64_t n);

/* Give up on gaps whose wait is over; deliver what follows them. */
void pq_timer(struct pq *q, uint64_t now, pq_deliver_fn *fn, void *arg);

/* When pq_timer has work, 0 if never. */
uint64_t pq_next_deadline(const struct pq *q);

/* The last sequence number handed on, for acks; false before any. */
bool pq_last(const struct pq *q, uint32_t *seq);

#endif

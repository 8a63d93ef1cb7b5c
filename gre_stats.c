// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The gateway's statistics (gre_int.h): its figures by their names in
 * status.h, the SIGUSR1 dump, and the page it shares with the call
 * manager for pptp --status.
 */
#include "gre_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cm_msg.h"
#include "ipc.h"
#include "util.h"

/*
 * The figures published on the page, by their names in status.h: the
 * gateway's own counters, its reorder queue's and its HDLC decoder's.
 */
static void
gw_figures(const struct gw *g, struct status_figures *f)
{
	const struct pq_stats *q = &g->pq.st;

	*f = (struct status_figures){
		.rx_packets = g->stats.rx_packets,
		.rx_bytes = g->stats.rx_bytes,
		.tx_packets = g->stats.tx_packets,
		.tx_bytes = g->stats.tx_bytes,
		.rx_lost = q->lost,
		.rx_reordered = q->buffered,
		.rx_late = q->under_win,
		.rx_over_window = q->over_win,
		.rx_invalid = g->stats.rx_invalid,
		.rx_truncated = g->stats.rx_truncated,
		.rx_foreign = g->stats.rx_foreign,
		.rx_wrong_call = g->stats.rx_wrong_call,
		.rx_pppd_slow = g->stats.rx_pppd_slow,
		.rx_socket_overflow = g->stats.rx_socket_overflow,
		.rx_resyncs = q->resyncs,
		.tx_failed = g->stats.tx_failed,
		.tx_oversize = g->dec.st.too_long,
		.tx_bad_fcs = g->dec.st.bad_fcs,
		.rtt_ms = g->srtt_ms,
		.reorder_wait_ms = (uint32_t)g->pq.wait_ms,
	};
}

struct dump_item {
	const char	*words;
	uint64_t	 n;
	const char	*unit;
};

/* One line of the SIGUSR1 dump: "gre call 7: rx lost 0, rx ... 3". */
static void
dump_line(const struct gw *g, const struct dump_item *it, size_t n)
{
	char line[512];
	size_t len = 0;

	line[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		    "%s%s %llu%s", i > 0 ? ", " : "", it[i].words,
		    (unsigned long long)it[i].n, it[i].unit);
	log_notice("gre call %u: %s", g->call.call_id, line);
}

/*
 * SIGUSR1: every count since the call began, by the words of status.h
 * (pptp(8) STATISTICS), with the few only this dump shows; "round trip"
 * comes last, for readers that wait for the dump to be whole.
 */
static void
gw_dump(const struct gw *g, const struct status_figures *f)
{
#define FIG(name)	{ STATUS_WORDS(name), f->name, "" }
	const struct dump_item rx[] = {
		{ "rx accepted", g->pq.st.accepted, "" },
		FIG(rx_lost), FIG(rx_late), FIG(rx_over_window),
		FIG(rx_reordered),
		{ "rx OS errors", g->stats.rx_os_errors, "" },
		FIG(rx_truncated), FIG(rx_invalid),
		{ "rx acks", g->stats.rx_acks, "" },
	}, drop[] = {
		FIG(rx_foreign), FIG(rx_wrong_call), FIG(rx_pppd_slow),
		FIG(rx_resyncs), FIG(rx_socket_overflow),
	}, tx[] = {
		FIG(tx_packets), FIG(tx_failed),
		{ "tx short", g->stats.tx_short, "" },
		{ "tx acks", g->stats.tx_acks, "" },
		FIG(tx_oversize), FIG(tx_bad_fcs),
		{ STATUS_WORDS(rtt_ms), f->rtt_ms, " ms" },
	};
#undef FIG

	dump_line(g, rx, sizeof(rx) / sizeof(rx[0]));
	dump_line(g, drop, sizeof(drop) / sizeof(drop[0]));
	dump_line(g, tx, sizeof(tx) / sizeof(tx[0]));
}

void
gw_stats(const struct gw *g)
{
	struct status_figures f;

	gw_figures(g, &f);
	gw_dump(g, &f);
}

/*
 * The statistics page for pptp --status: made once, handed to the call
 * manager with the call's socket (SCM_RIGHTS).  Without it (no memfd,
 * an old manager) status shows the call without its figures.
 *
 * Sealed at its size, so that the manager's reads can never fault; and,
 * once our own mapping is made (we write through it), against any
 * writing to come (F_SEAL_FUTURE_WRITE): the manager, which parses what
 * the server sends, can map it for reading alone, and cannot make its
 * mapping writable (mprotect) to write into ours.
 */
void
gw_share(struct gw *g)
{
	const struct cm_msg m = { .type = CM_STATS_FD };
	int fd = memfd_create("pptp-status", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p = MAP_FAILED;

	if (fd < 0 || ftruncate(fd, sizeof(struct gw_pub)) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0 ||
	    (p = mmap(NULL, sizeof(struct gw_pub), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) < 0) {
		log_debug("gre %s: no statistics page: %s", g->addr,
		    strerror(errno));
		if (p != MAP_FAILED)
			munmap(p, sizeof(struct gw_pub));
		if (fd >= 0)
			close(fd);
		return;
	}
	g->pub = p;
	g->up_ms = wall_ms();
	g->pppd_pid = g->pppd.pid > 0 ? g->pppd.pid : pppd_above();
	if (g->cm >= 0 && cm_send(g->cm, &m, fd, IPC_NOWAIT) < 0)
		log_debug("gre %s: statistics page not handed over: %s",
		    g->addr, strerror(errno));
	close(fd);
}

/* The figures to the page, each turn of the loop: plain stores. */
void
gw_publish(struct gw *g)
{
	struct gw_pub *p = g->pub;
	const char *last;

	if (p == NULL)
		return;
	status_pub_begin(p);
	p->pppd_pid = g->pppd_pid;
	p->up_ms = g->up_ms;
	gw_figures(g, &p->fig);
	last = log_last(&p->last_ms);
	snprintf(p->last, sizeof(p->last), "%s", last);
	status_pub_end(p);
}

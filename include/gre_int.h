/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's state, shared by its four files alone: pptp_gre.c (the
 * loop and the data path), gre_tx.c (what it sends: data and acks),
 * gre_sock.c (the raw GRE socket: opening, the kernel's filter, what
 * the network says back) and gre_stats.c (the statistics: the SIGUSR1
 * dump and the page for pptp --status).
 */
#ifndef PPTP_GRE_INT_H
#define PPTP_GRE_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "accm.h"
#include "addr.h"
#include "gre_hdr.h"
#include "gre_pppd.h"
#include "hdlc.h"
#include "pptp_gre.h"
#include "pptp_opts.h"
#include "pqueue.h"
#include "status.h"

#ifndef IPPROTO_GRE
#define IPPROTO_GRE	47
#endif

#define BATCH		32		/* datagrams per sendmmsg/recvmmsg */
#define FRAME_MAX	8192		/* largest PPP frame we carry */
#define SLOT_LEN	(GRE_HDR_MAX + FRAME_MAX + 2)	/* + FCS */
/* IPv4 only: room for an IPv4 header, which IPv6 raw sockets omit. */
#define RX_LEN		(60 + GRE_HDR_MAX + FRAME_MAX)
#define PPP_READ	65536
#define OBUF_LEN	(512 * 1024)	/* to pppd: bounded */
#define ACK_DELAY_MS	50
#define GRE_SILENT_MS	10000		/* then say GRE is not arriving */
#define PPPD_OPEN_MS	10000		/* pppd's first bytes on its pty */
#define PPPD_HOLD_MS	3000		/* pppd setting up its line, at most */
#define PPPD_POLL_MS	5		/* looking at its line meanwhile */
#define RTT_SLOTS	64
#define LINGER_MS	3000		/* for the call to be cleared */

struct gw {
	const struct pptp_opts	*o;
	struct gre_call		 call;
	char			 addr[ADDR_STRLEN];
	struct sockaddr_storage	 peer;
	socklen_t		 peer_len;
	int			 gre, ppp_in, ppp_out, cm;
	int			 null;		/* /dev/null, to hang up with */
	struct gre_pppd		 pppd;		/* the pppd we launched */
	volatile sig_atomic_t	*stop;
	int			 exit_code;	/* enum pptp_exit, when done */
	bool			 done;
	bool			 cm_ended;	/* the manager ended the call */
	uint64_t		 stop_due_ms;	/* stop: pppd ends LCP by */
	uint64_t		 pty_due_ms;	/* pppd must have written */

	/* transmit */
	uint32_t		 tx_seq;	/* last sequence number sent */
	struct hdlc_dec		 dec;
	uint8_t			(*slot)[SLOT_LEN];
	size_t			 slot_len[BATCH];
	unsigned		 nslot;		/* completed frames waiting */
	uint8_t			*rbuf;		/* a read from pppd */

	/* receive */
	struct pq		 pq;
	struct hdlc_enc		 enc;		/* toward pppd, by its ACCM */
	struct hdlc_enc		 enc_lcp;	/* every control char escaped */
	struct accm_snoop	 accm;
	uint8_t			(*rx)[RX_LEN];
	uint8_t			*obuf;		/* to pppd */
	size_t			 olen, ooff;
	unsigned		 unacked;	/* accepted since our last ack */
	bool			 ack_pending;
	uint64_t		 ack_due_ms;

	/* round trip: send times by sequence number */
	uint32_t		 rtt_seq[RTT_SLOTS];
	uint64_t		 rtt_sent[RTT_SLOTS];
	uint32_t		 srtt_ms;
	bool			 rtt_valid;

	/* --test-type: packets held back to be sent out of order */
	struct {
		uint8_t		(*buf)[SLOT_LEN];
		size_t		 len[10];
		unsigned	 held, passed;
	} tt;

	/* diagnosis */
	uint64_t		 first_tx_ms;
	bool			 gre_seen;
	bool			 warned_silent, warned_eperm, warned_icmp;
	bool			 warned_garbage, warned_sync, warned_oversize;
	bool			 warned_overflow;
	int			 ct_no_helper;	/* conntrack.h, at set-up */
	bool			 ppp_full;	/* pppd's side: no room */
	uint64_t		 gre_wait_ms;	/* GRE unpolled till */

	/*
	 * Counters, named as the figures of status.h they become (the
	 * reorder queue and the HDLC decoder count the others); rx_os_errors,
	 * rx_acks, tx_short and tx_acks only the SIGUSR1 dump shows.
	 */
	struct {
		uint64_t	rx_packets, rx_bytes, tx_packets, tx_bytes;
		uint64_t	rx_invalid, rx_truncated, rx_foreign;
		uint64_t	rx_wrong_call, rx_pppd_slow, rx_socket_overflow;
		uint64_t	rx_os_errors, rx_acks;
		uint64_t	tx_failed, tx_short, tx_acks;
	} stats;
	struct gw_pub		*pub;		/* shared with the call manager */
	pid_t			 pppd_pid;	/* for status: ours or our parent */
	uint64_t		 up_ms;		/* CLOCK_REALTIME */
};

/*
 * Transmit batch.  Slot i holds a frame at offset GRE_HDR_MAX, written
 * there by the HDLC decoder (or by read() in sync mode); its GRE header
 * is encoded right in front of it when the batch goes out (gre_tx.c),
 * so a frame is never copied between pppd and the socket.
 */
static inline uint8_t *
slot_frame(struct gw *g, unsigned i)
{
	return g->slot[i] + GRE_HDR_MAX;
}

/* gre_tx.c */
void tx_flush(struct gw *g, uint64_t now);
void gw_send_ack(struct gw *g);

/* gre_sock.c */
int gw_open_socket(struct gw *g);
void gre_errqueue(struct gw *g);
void gw_conntrack(struct gw *g);

/* gre_stats.c */
void gw_stats(const struct gw *g);
void gw_share(struct gw *g);
void gw_publish(struct gw *g);

#endif

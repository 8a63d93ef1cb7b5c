/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fakepptpd's own structures, shared by its two files and no other:
 * tests/fakepptpd.c (the server: options, connections, GRE, scripts)
 * and tests/fakepptpd_chaos.c (--commands, for tests/chaos.py).
 */
#ifndef PPTP_FAKEPPTPD_H
#define PPTP_FAKEPPTPD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "gre_hdr.h"
#include "pptp_msg.h"

#define MAXCONN	64	/* tests/scale.py: 64 tunnels, a connection each */
#define NEVER	-1

struct fake_cfg {
	int		sccrp, ocrp;
	bool		no_cdn, no_echo, no_stopccrp, bytewise, one_call;
	bool		close_after_cdn;
	uint16_t	reserved0, window, max_channels;
	unsigned	stop_delay_ms, goodbye_gre;
	char		hostname[MSG_HOSTNAME_LEN + 1];
	const char	*gre_mode;
	const char	*script;
	const char	*spoof;
	const char	*banner;
	FILE		*log;
};

#define MAXCALLS	64	/* tests/scale.py: 64 tunnels, one connection */

struct call {
	bool		up;
	uint16_t	client;		/* the client's call ID */
	uint16_t	ours;
	uint32_t	seq;		/* last GRE sequence number sent */
	bool		lcp_sent;	/* --gre lcp: our Configure-Request */
};

struct conn {
	int			fd;
	struct msg_reader	rd;
	struct in_addr		peer;
	struct call		calls[MAXCALLS];
	uint16_t		client_call;	/* the first call: scripts */
	uint16_t		our_call;
	struct timespec		stop_due;	/* StopCCRP then, if set */
};

/* fakepptpd.c: the server */
extern struct fake_cfg cfg;
extern struct conn conns[MAXCONN];
extern int gre;				/* the GRE socket, or < 0 */

void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void send_msg(struct conn *c, struct msg *m);
void on_msg(struct conn *c, const struct msg *m);
void run_lines(struct conn *c, FILE *f);
size_t payload(uint8_t *p, uint32_t seq, size_t len);
void gre_out(int sock, struct in_addr to, struct gre_hdr *h,
    const uint8_t *p, size_t plen, bool badver);

/* fakepptpd_chaos.c: --commands FIFO */
int chaos_open(const char *path);	/* 0, or -1 */
int chaos_fd(void);			/* for poll: the FIFO, or -1 */
void chaos_newest(struct conn *c);	/* commands go to c */
void chaos_read(void);			/* run the whole lines there */
void chaos_forget(const struct conn *c);	/* c is closed */
bool chaos_swallow(struct conn *c, const struct msg *m);

#endif

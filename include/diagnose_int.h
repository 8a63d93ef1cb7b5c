/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pptp --diagnose's own structures, shared by the files that make it up
 * and by no other: diagnose.c (the stages and their network exchanges),
 * diagnose_local.c (this machine's checks), diagnose_report.c (the stage
 * lines and the verdict, text or JSON) and diagnose_pure.c (the pure
 * parts: JSON strings, PPP frames, the MTU's words, the verdict's
 * choice; tests/check_diagnose.c).
 */
#ifndef PPTP_DIAGNOSE_INT_H
#define PPTP_DIAGNOSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "diagnose.h"
#include "pptp_ctrl.h"
#include "pptp_opts.h"

#define DIAG_PPTP_PORT	1723
#define DIAG_NSTAGES	8
#define DIAG_DETAIL_LEN	700
#define DIAG_LCP_PROTO	0xc021
#define DIAG_LCP_REQ_LEN	14	/* our Configure-Request, ff 03 too */

struct diag_stage {
	const char	*name;
	bool		 ok;
	double		 secs;
	char		 detail[DIAG_DETAIL_LEN];
};

/* What went wrong, for the verdict: the first failure and what is missing. */
struct diag_finding {
	int		 status;		/* the first failure's */
	const char	*failed;		/* its stage */
	char		 cause[DIAG_DETAIL_LEN];
	char		 fix[DIAG_DETAIL_LEN];
	char		 missing[400];		/* what pppd's side lacks */
	char		 missing_fix[400];
};

struct diag {
	const struct pptp_opts *o;
	struct diag_stage st[DIAG_NSTAGES];
	int		 nst;
	struct diag_finding f;
	struct pptp_addr server;
	char		 addr[ADDR_STRLEN];
	int		 tcp, gre, gre_errno;
	int		 ct_fd;			/* /proc/net/nf_conntrack */
	bool		 ct_pptp_loaded;	/* nf_conntrack_pptp */
	/* the control connection */
	struct ctrl_conn ctrl;
	struct ctrl_call *call;
	bool		 call_up, call_down, cleared, cleared_by_cdn;
	int		 call_status;
	char		 call_why[300];
	enum { END_NONE, END_INPUT, END_TIMER, END_TCP } dead_by;
	bool		 in_input;
	bool		 clearing;	/* a stop signal no longer stops */
	/* GRE */
	uint32_t	 seq, peer_seq;
	bool		 have_peer_seq;
	uint32_t	 magic;
	uint8_t		 lcp_id;
	uint64_t	 sent_us[256];	/* each id's Configure-Request */
	unsigned	 rx, rx_bad, sent;
	char		 rx_bad_why[120];
	bool		 server_req, replied, echoed;
	uint8_t		 reply_code;
	uint64_t	 first_rx_ms, rtt_us;		/* 0: none yet */
	char		 icmp[160];
	char		 other_ppp[80];
};

/* diagnose_local.c: this machine's checks */
void diag_stage_local(struct diag *d);
int diag_ct_no_helper(struct diag *d);

/* diagnose_report.c: the stage lines and the verdict */
void diag_stage(struct diag *d, const char *name, bool ok, uint64_t t0,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
double diag_secs_since(uint64_t t0_ms);
int diag_report(struct diag *d);

/* diagnose_pure.c: pure */

/* The first failure names the verdict; later ones only add a stage. */
void diag_fail(struct diag_finding *f, const char *name, int status,
    const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* One more thing this machine lacks, and its fix. */
void diag_add_missing(struct diag_finding *f, const char *what,
    const char *fix);
/*
 * The verdict's cause and fix in words, for the server named server;
 * returns the exit status (PPTP_EXIT_OK: every stage passed).
 */
int diag_verdict(struct diag_finding *f, const char *server, char *cause,
    size_t causesz, char *fix, size_t fixsz);

/*
 * Byte c as it goes inside a JSON string: quote, backslash, controls and
 * non-ASCII bytes escaped (\u00XX), the rest as is.  Returns out.
 */
const char *diag_json_char(unsigned char c, char out[7]);

/* The path MTU's words, and what it allows pppd (mtu < 576: unknown). */
void diag_mtu_words(int mtu, char *out, size_t outsz);

/* Our LCP Configure-Request (ff 03, Magic-Number magic) into p. */
void diag_lcp_confreq(uint8_t p[DIAG_LCP_REQ_LEN], uint8_t id,
    uint32_t magic);

/* What a PPP frame from the server's side is. */
enum diag_ppp_kind {
	DIAG_PPP_SHORT,		/* too short to tell: ignored */
	DIAG_PPP_OTHER,		/* not LCP (or too short a one): proto */
	DIAG_LCP_ECHOED,	/* our Configure-Request sent back: id */
	DIAG_LCP_REQUEST,	/* the server's own Configure-Request */
	DIAG_LCP_REPLY,		/* Configure-Ack, -Nak, -Reject: code, id */
	DIAG_LCP_OTHER,		/* some other LCP code */
};

struct diag_ppp {
	enum diag_ppp_kind kind;
	unsigned	 proto;
	uint8_t		 code, id;
};

/* Parse PPP frame p (n bytes) against our Magic-Number magic. */
void diag_ppp_parse(const uint8_t *p, size_t n, uint32_t magic,
    struct diag_ppp *out);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live status (pptp --status): the page each gateway shares with its call
 * manager, and the lines a call manager answers a status request with.
 * Pure: no I/O.
 *
 * A gateway keeps its figures in a page it hands the manager once
 * (memfd, SCM_RIGHTS) and refreshes it after each turn of its loop:
 * plain stores under a sequence count, no system call, and nothing a
 * reader does can stall it.  The manager copies the page out when asked.
 *
 * An answer is lines of "KIND key=value ...", the values percent-encoded
 * (every byte outside [A-Za-z0-9._:/+-] as %XX), so that whatever a
 * server or a user put in a name stays one value.
 */
#ifndef PPTP_STATUS_H
#define PPTP_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATUS_VERSION	1	/* of the JSON document and these lines */
#define STATUS_TEXT_LEN	160

struct gw_pub {
	uint32_t	seq;		/* odd while being written */
	int32_t		pppd_pid;	/* 0: not known */
	uint64_t	up_ms;		/* CLOCK_REALTIME, when the call came up */
	uint64_t	rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t	rx_lost, rx_reordered, rx_late, rx_over_win;
	uint64_t	rx_invalid, rx_truncated, rx_foreign, rx_wrong_call;
	uint64_t	rx_pppd_slow, rx_overflow, rx_resyncs;
	uint64_t	tx_failed, tx_oversize, tx_bad_fcs;
	uint32_t	rtt_ms, wait_ms;
	uint64_t	last_ms;	/* CLOCK_REALTIME of last, 0: none */
	char		last[STATUS_TEXT_LEN];	/* last warning, in words */
};

/* Writer: begin, change fields, end.  Reader: a copy, or false. */
void status_pub_begin(struct gw_pub *p);
void status_pub_end(struct gw_pub *p);
bool status_pub_read(const struct gw_pub *p, struct gw_pub *out);

/*
 * A line being written: status_line_init(l, "call"), then key=value
 * pairs; the result is always a whole line (a pair that does not fit is
 * left out and *l marked cut).
 */
struct status_line {
	char	text[1024];
	size_t	len;
	bool	cut;
};

void status_line_init(struct status_line *l, const char *kind);
void status_line_str(struct status_line *l, const char *key,
    const char *value);
void status_line_u64(struct status_line *l, const char *key, uint64_t v);

/*
 * Reading a line: its kind, then each pair in turn.  status_next()
 * returns false at the end or on a malformed pair (*bad set); value is
 * decoded in place into buf (at most bufsz - 1 bytes, NUL-terminated).
 */
struct status_reader {
	const char	*p;
	bool		 bad;
};

bool status_kind(struct status_reader *r, const char *line, char *kind,
    size_t kindsz);
bool status_next(struct status_reader *r, char *key, size_t keysz,
    char *buf, size_t bufsz);

#endif

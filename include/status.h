/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live status (pptp --status): the page each gateway shares with its call
 * manager, and the lines a call manager answers a status request with.
 * Pure: no I/O.
 *
 * One table (STATUS_FIGURES) names each figure a gateway publishes,
 * for the page, the lines, the JSON document and the words people read.
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

/*
 * The figures a gateway publishes, one row each, in the page's order:
 * X(name, type, group, words).
 *
 * name is everything a program reads: the gateway's counter (where it
 * counts one itself: the reorder queue and the HDLC decoder have their
 * own), the page's field, the status line's key and pptp --status
 * --json's key.
 * pptp(8) documents the JSON keys: they stay.  words are what people
 * read, in the SIGUSR1 dump (pptp(8) STATISTICS documents them) and in
 * the --status table.  group places a figure in that table: the volume
 * (its own sentence: "rx 5 packets 400 bytes, tx ..."), what happened
 * to received packets, why received packets were dropped, what went
 * wrong sending, and times in milliseconds.
 *
 * The page is read by whichever call manager the gateway joined, maybe
 * one an older pptp started, which expects the layout it knows (unit
 * test test_pub_layout): a new row changes it.
 */
#define STATUS_FIGURES(X)						\
	X(rx_packets,		uint64_t, FIG_VOLUME,	"rx packets")	\
	X(rx_bytes,		uint64_t, FIG_VOLUME,	"rx bytes")	\
	X(tx_packets,		uint64_t, FIG_VOLUME,	"tx sent")	\
	X(tx_bytes,		uint64_t, FIG_VOLUME,	"tx bytes")	\
	X(rx_lost,		uint64_t, FIG_RX,	"rx lost")	\
	X(rx_reordered,		uint64_t, FIG_RX,	"rx buffered")	\
	X(rx_late,		uint64_t, FIG_RX,	"rx under win")	\
	X(rx_over_window,	uint64_t, FIG_DROP,	"rx over win")	\
	X(rx_invalid,		uint64_t, FIG_DROP,	"rx invalid")	\
	X(rx_truncated,		uint64_t, FIG_DROP,	"rx truncated")	\
	X(rx_foreign,		uint64_t, FIG_DROP,	"rx foreign source") \
	X(rx_wrong_call,	uint64_t, FIG_DROP,	"rx wrong call ID") \
	X(rx_pppd_slow,		uint64_t, FIG_DROP,	"rx pppd slow")	\
	X(rx_socket_overflow,	uint64_t, FIG_DROP,	"rx socket overflow") \
	X(rx_resyncs,		uint64_t, FIG_RX,	"rx resyncs")	\
	X(tx_failed,		uint64_t, FIG_TX,	"tx failed")	\
	X(tx_oversize,		uint64_t, FIG_TX,	"tx oversize")	\
	X(tx_bad_fcs,		uint64_t, FIG_TX,	"tx bad FCS")	\
	X(rtt_ms,		uint32_t, FIG_MS,	"round trip")	\
	X(reorder_wait_ms,	uint32_t, FIG_MS,	"reorder wait")

enum status_group { FIG_VOLUME, FIG_RX, FIG_DROP, FIG_TX, FIG_MS };

enum status_fig {
#define STATUS_X(name, type, group, words)	STATUS_FIG_##name,
	STATUS_FIGURES(STATUS_X)
#undef STATUS_X
	STATUS_NFIGS
};

struct status_figures {
#define STATUS_X(name, type, group, words)	type name;
	STATUS_FIGURES(STATUS_X)
#undef STATUS_X
};

struct status_figure {
	const char		*name;
	const char		*words;
	enum status_group	 group;
};

/* The table above, by enum status_fig. */
extern const struct status_figure status_figure[STATUS_NFIGS];

/* A figure's words, e.g. STATUS_WORDS(rx_lost) is "rx lost". */
#define STATUS_WORDS(name)	(status_figure[STATUS_FIG_##name].words)

/* Figure i of *f, whatever its type. */
uint64_t status_figure_value(const struct status_figures *f,
    enum status_fig i);

struct gw_pub {
	uint32_t		seq;		/* odd while being written */
	int32_t			pppd_pid;	/* 0: not known */
	uint64_t		up_ms;		/* CLOCK_REALTIME: call up */
	struct status_figures	fig;
	uint64_t		last_ms;	/* its CLOCK_REALTIME, 0: none */
	char			last[STATUS_TEXT_LEN];	/* last warning */
};

/* Writer: begin, change fields, end.  Reader: a copy, or false. */
void status_pub_begin(struct gw_pub *p);
void status_pub_end(struct gw_pub *p);
bool status_pub_read(const struct gw_pub *p, struct gw_pub *out);

/*
 * A line being written: status_line_init(l, "call"), then key=value
 * pairs; the result is always a whole line.  A pair that does not fit
 * is left out, and so is every pair after it: the line then ends in
 * " cut=N", N the pairs left out, for the reader to report (room for
 * that marker is always kept).  Readers that do not know the key show
 * it as one more figure.
 */
struct status_line {
	char		text[1024];
	size_t		len;
	size_t		whole;	/* len before " cut=N" */
	unsigned	cut;	/* pairs left out */
};

void status_line_init(struct status_line *l, const char *kind);
void status_line_str(struct status_line *l, const char *key,
    const char *value);
void status_line_u64(struct status_line *l, const char *key, uint64_t v);

/* Every figure of *f, by its name, in the table's order. */
void status_line_figures(struct status_line *l,
    const struct status_figures *f);

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

/*
 * A whole line read into a record: its kind and up to STATUS_MAX_PAIRS
 * pairs.  What the line lacks is counted in cut: the pairs its writer
 * left out (its "cut" key, not kept as a pair) and those beyond
 * STATUS_MAX_PAIRS here.  False if the line is malformed.
 */
#define STATUS_MAX_PAIRS	48

struct status_pair {
	char	key[32];
	char	val[STATUS_TEXT_LEN + 64];
};

struct status_rec {
	char			kind[16];
	int			npairs;
	unsigned		cut;
	struct status_pair	pairs[STATUS_MAX_PAIRS];
};

bool status_parse(const char *line, struct status_rec *r);

/* The value of key in *r, or NULL. */
const char *status_get(const struct status_rec *r, const char *key);

/*
 * Is v a number: digits alone, no leading zero (as JSON writes one), at
 * most UINT64_MAX?  Its value in *out.
 */
bool status_number(const char *v, uint64_t *out);

/*
 * Is *r a line a call manager sends (callmgr_status.c)?  Its kind is
 * manager, conn, call or end; it has only that kind's keys (a call's
 * include the figures of STATUS_FIGURES), each once, and the numbers
 * are digits alone.  If not, false with what is wrong in why (no byte
 * of the line in it but plain ones).
 */
bool status_check(const struct status_rec *r, char *why, size_t whysz);

/*
 * The pairs of *r as the members of a JSON object, without its braces
 * ("key":value,...; "" if none), key skip left out, and "cut":N last
 * if pairs are missing.  Valid JSON whatever the record holds, checked
 * or not: a value is a number only where its kind of line has one and
 * status_number() takes it, written again from its value; anything else
 * is a string, in ASCII.  False, and out "", if it does not fit in
 * outsz; STATUS_JSON_LEN always holds a record read from a line of
 * sizeof(struct status_line) bytes.
 */
#define STATUS_JSON_LEN	(8 * sizeof(((struct status_line *)0)->text))
bool status_json(const struct status_rec *r, const char *skip, char *out,
    size_t outsz);

#endif

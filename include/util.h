/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging (syslog, or the log relay's pipe, and, in the foreground,
 * stderr), the monotonic clock, strict number parsing for command line
 * options, and the server's addresses.
 */
#ifndef PPTP_UTIL_H
#define PPTP_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* --loglevel: 0 warnings and errors, 1 also information, 2 also debug. */
enum log_level {
	LOG_LEVEL_LOW = 0,
	LOG_LEVEL_DEFAULT = 1,
	LOG_LEVEL_HIGH = 2,
};

/*
 * Log to syslog with the tag "pptp" and facility LOG_DAEMON, and to
 * stderr too (as "pptp: ...") when to_stderr; every line starts with
 * "TAG: " when a TAG (--logstring) is given.  Callable again to change
 * the settings (e.g. once options are parsed, or in a child process).
 */
void log_init(const char *tag, bool to_stderr, int level);

/* Open syslog's socket again, as set (after closing every fd). */
void log_reopen(void);

/*
 * From now on syslog through the log relay's pipe fd (logrelay.h), one
 * record of at most LOG_RECORD_MAX bytes per line; syslog's own socket
 * is closed, and log_reopen() opens none.
 */
#define LOG_RECORD_MAX	1200
void log_pipe(int fd);

/*
 * From now on syslog alone, or stderr too; stderr itself becomes null_fd
 * (>= 0), so that a gone terminal or pty takes nothing.  Opens nothing:
 * for sandboxed processes.
 */
void log_stderr(bool on, int null_fd);

/*
 * Signals for a helper that ends with its partner process (the keeper,
 * pppd's watchdog, the relays): the stop signals, SIGUSR1 (pkill -USR1
 * pptp), SIGPIPE and the terminal's (Ctrl-Z, tostop) ignored, SIGCHLD at its default (a child's status to wait
 * for), nothing blocked.
 */
void helper_signals(void);

/*
 * fork(2) for a process that no one waits for (the call manager's
 * keeper, the relays): a middle process forks it and ends at once, and
 * is reaped here, so the new process is init's (or the nearest
 * subreaper's) to reap.  A process that never waits for it cannot hold
 * its zombie when it is killed.  0 in the new process, 1 here, -1
 * (errno set) when it could not start.  The middle process killed by a
 * signal counts as started: it may have forked.
 */
int fork_orphan(void);

/*
 * Descriptors 0 to n - 1 onto /dev/null: the stdio a process must not
 * keep of its parent's (a terminal, a pipe someone waits on).  Without
 * /dev/null they are closed instead, and -1 says so (nothing is logged:
 * a helper calls it with no logger of its own yet); else 0.
 */
int stdio_null(int n);

/*
 * Signal masks, built in one place.  The lists end in 0.
 * sig_block: block the signals listed; *before (if not NULL) is the mask
 * as it was, *waitmask (if not NULL) that mask with them let through:
 * the mask for ppoll, so that handlers run only inside it.
 * sig_waitmask: the present mask with the signals listed let through,
 * nothing changed.  sig_unblock_all: nothing blocked.
 */
void sig_block(sigset_t *before, sigset_t *waitmask, ...);
void sig_waitmask(sigset_t *waitmask, ...);
void sig_unblock_all(void);

/* The last warning logged ("" if none) and when (CLOCK_REALTIME ms). */
const char *log_last(uint64_t *when_ms);

/* Debug (level 2), information (1), notice (always). */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Warnings: log_warn appends ": strerror(errno)", log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log as an error and exit with status 1. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy s into out (size outsz, at least 1) with every byte that is not
 * printable ASCII written as \xHH, so that peer-supplied text is safe to
 * log; truncated to fit, always NUL-terminated.  Returns out.
 */
/* c itself if keep, else \\xHH, at out: the bytes written, 1 or 4. */
size_t escape_byte(unsigned char c, bool keep, char *out);
char *log_escape(const char *s, char *out, size_t outsz);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t now_ms(void);

/* Milliseconds on CLOCK_REALTIME (since 1970), for when things began. */
uint64_t wall_ms(void);

/*
 * Parse arg as a decimal integer in [min, max] for option optname: the
 * whole string, no sign, no spaces.  On error logs e.g.
 * "--rtmark: 'x' is not a number from 0 to 4294967295" and returns -1.
 */
int parse_uint(const char *optname, const char *arg, unsigned long min,
    unsigned long max, unsigned long *out);

/*
 * Numbers in options the classic client had, read as it read them: the
 * number arg starts with (strtoll in base: a sign, "0x" in base 0); what
 * follows is ignored with a warning ("--idle-wait: '10s' read as 10").
 * No number at all: logged, -1.
 */
int parse_lead_long(const char *optname, const char *arg, int base,
    long long *out);

/*
 * Parse arg as seconds, as strtod reads them ("0.3", "10", "1e0"; what
 * follows the number is ignored with a warning), into milliseconds in
 * [min_ms, max_ms]; logs and returns -1 on error.
 */
int parse_secs_ms(const char *optname, const char *arg, uint64_t min_ms,
    uint64_t max_ms, uint64_t *out_ms);

/*
 * Process titles for ps: proc_title_init() once from main() with its
 * argc/argv (it moves the environment aside to make room), then
 * proc_title("pptp: call manager %s", addr) in any process.
 */
void proc_title_init(int argc, char **argv);
void proc_title(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Test builds only (make builds pptp-hooks with PPTP_TEST_HOOKS): when
 * $PPTP_PAUSE names stage, log "paused at STAGE (pid N)" and wait up to
 * 2 s or until a signal is handled, so that tests can land signals at
 * each stage of start-up.  Nothing in the shipped binary.
 */
#ifdef PPTP_TEST_HOOKS
void test_pause(const char *stage);
#else
#define test_pause(stage)	((void)0)
#endif

/* Set O_NONBLOCK on fd; 0 or -1 with errno. */
int set_nonblock(int fd);

/*
 * The server's IPv4 addresses (port 0), for pptp (which tries them in
 * turn) and pptp --status HOST (which shows the tunnels to any of
 * them): host is a name or a dotted quad; its addresses come in the
 * resolver's order, each once, at most max (both use RESOLVE_MAX).
 * None: 0, after logging "cannot resolve server HOST: WHY" ("unknown
 * host" for a name that does not exist; an address of another family,
 * which cannot come today, makes none too: addr.h).
 */
#define RESOLVE_MAX	8
int resolve_server(const char *host, struct pptp_addr *addrs, int max);

#endif

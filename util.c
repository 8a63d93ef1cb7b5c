// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Logging, the monotonic clock, and strict option number parsing.  The
 * logger picks the sinks once (syslog always, stderr in the foreground),
 * so a call site logs each event exactly once.
 */
#include "util.h"

#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The syslog tag is "pptp" in every process (as the classic client's),
 * never taken from argv, which process titles overwrite: log filters
 * match it.  --logstring goes at the start of the text instead.
 */
static const char ident[] = "pptp";

static struct {
	char	prefix[64];	/* "TAG: " or "" */
	bool	to_stderr;
	int	level;
	char	last[160];	/* the last warning, for pptp --status */
	uint64_t last_ms;
	int	pipe;		/* the log relay's pipe (logrelay.h), -1 */
} lg = { "", true, LOG_LEVEL_DEFAULT, "", 0, -1 };

void
log_init(const char *tag, bool to_stderr, int level)
{
	if (tag != NULL && tag[0] != '\0')
		/* a long tag is cut, its ": " kept */
		snprintf(lg.prefix, sizeof(lg.prefix), "%.*s: ",
		    (int)sizeof(lg.prefix) - 3, tag);
	else
		lg.prefix[0] = '\0';
	lg.to_stderr = to_stderr;
	lg.level = level;
	log_reopen();
}

void
log_stderr(bool on, int null_fd)
{
	lg.to_stderr = on;
	if (!on && null_fd >= 0)
		dup2(null_fd, 2);
}

/*
 * The one place signal sets are built: block (or not) the signals
 * listed in ap (ending in 0); *before is the mask as it was, *waitmask
 * that mask with the listed signals let through.
 */
static void
sig_vmask(bool block, sigset_t *before, sigset_t *waitmask, va_list ap)
{
	sigset_t set, old;
	int sig;

	sigemptyset(&set);
	while ((sig = va_arg(ap, int)) != 0)
		sigaddset(&set, sig);
	sigprocmask(block ? SIG_BLOCK : SIG_SETMASK, block ? &set : NULL,
	    &old);
	if (before != NULL)
		*before = old;
	if (waitmask != NULL) {
		*waitmask = old;
		for (sig = 1; sig < NSIG; sig++)
			if (sigismember(&set, sig) == 1)
				sigdelset(waitmask, sig);
	}
}

void
sig_block(sigset_t *before, sigset_t *waitmask, ...)
{
	va_list ap;

	va_start(ap, waitmask);
	sig_vmask(true, before, waitmask, ap);
	va_end(ap);
}

void
sig_waitmask(sigset_t *waitmask, ...)
{
	va_list ap;

	va_start(ap, waitmask);
	sig_vmask(false, NULL, waitmask, ap);
	va_end(ap);
}

void
sig_unblock_all(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void
helper_signals(void)
{
	static const int ignored[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1,
	    SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };

	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sig_unblock_all();
}

int
fork_orphan(void)
{
	pid_t mid = fork();
	int st;

	if (mid < 0)
		return -1;
	if (mid == 0) {
		pid_t pid = fork();

		if (pid != 0)
			_exit(pid < 0 ? errno : 0);
		return 0;
	}
	while (waitpid(mid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	/*
	 * Its fork failed: it says so.  Killed (a signal between its fork
	 * and its exit), it may have started the process: taken as started,
	 * as its failure to show up is seen later (no answer, no relay),
	 * while one taken for dead would be undone under its feet.
	 */
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
		errno = WEXITSTATUS(st);
		return -1;
	}
	return 1;
}

int
stdio_null(int n)
{
	int null = open("/dev/null", O_RDWR);

	for (int i = 0; i < n; i++) {
		if (null < 0)
			close(i);
		else if (i != null)
			dup2(null, i);
	}
	if (null >= n && null > 2)
		close(null);	/* else it fills a stdio slot that was shut */
	return null < 0 ? -1 : 0;
}

void
log_reopen(void)
{
	closelog();
	if (lg.pipe < 0)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_pipe(int fd)
{
	closelog();
	lg.pipe = fd;
}

/* A record for the log relay: "<P>text\n", one write (PIPE_BUF). */
static void
log_record(int prio, const char *line)
{
	char rec[LOG_RECORD_MAX];
	int n = snprintf(rec, sizeof(rec) - 1, "<%d>%s%s", prio, lg.prefix,
	    line);

	if (n < 0)
		return;
	if ((size_t)n > sizeof(rec) - 2)
		n = (int)sizeof(rec) - 2;
	for (int i = 0; i < n; i++)
		if (rec[i] == '\n')
			rec[i] = ' ';	/* one record, one line */
	rec[n++] = '\n';
	(void)!write(lg.pipe, rec, (size_t)n);	/* full: dropped */
}

/*
 * A line to stderr in one write, which a pipe takes whole (PIPE_BUF):
 * the stderr relay's pipe does not block (relay.c), and a line it has
 * no room for is dropped, never waited for.  How many were dropped is
 * said, in order, once there is room again.
 */
static void
log_to_stderr(const char *line)
{
	static unsigned long dropped;	/* lines stderr had no room for */
	char out[sizeof(ident) + sizeof(lg.prefix) + 1024 + 3];
	int n, saved = errno;

	if (dropped > 0) {
		n = snprintf(out, sizeof(out), "%s: %s%lu lines dropped: "
		    "stderr was full\n", ident, lg.prefix, dropped);
		if (n > 0 && write(2, out, (size_t)n) == n)
			dropped = 0;
	}
	n = snprintf(out, sizeof(out), "%s: %s%s\n", ident, lg.prefix, line);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(out)) {
		n = (int)sizeof(out) - 1;
		out[n - 1] = '\n';
	}
	if (n > 0 && (dropped > 0 || write(2, out, (size_t)n) != n))
		dropped++;	/* after the count, or not at all */
	errno = saved;
}

static void __attribute__((format(printf, 2, 0)))
vlog(int prio, const char *fmt, va_list ap, const char *err)
{
	char line[1024];
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (err != NULL && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", err);
	if (lg.pipe >= 0)
		log_record(prio, line);
	else
		syslog(prio, "%s%s", lg.prefix, line);
	if (lg.to_stderr)
		log_to_stderr(line);
	if (prio <= LOG_WARNING) {
		snprintf(lg.last, sizeof(lg.last), "%.*s",
		    (int)sizeof(lg.last) - 1, line);
		lg.last_ms = wall_ms();
	}
}

const char *
log_last(uint64_t *when_ms)
{
	*when_ms = lg.last_ms;
	return lg.last;
}

#define LOG_FN(name, prio, minlevel, with_errno)			\
void									\
name(const char *fmt, ...)						\
{									\
	const char *err = (with_errno) ? strerror(errno) : NULL;	\
	va_list ap;							\
									\
	if (lg.level < (minlevel))					\
		return;							\
	va_start(ap, fmt);						\
	vlog((prio), fmt, ap, err);					\
	va_end(ap);							\
}

LOG_FN(log_debug, LOG_DEBUG, LOG_LEVEL_HIGH, false)
LOG_FN(log_info, LOG_INFO, LOG_LEVEL_DEFAULT, false)
LOG_FN(log_notice, LOG_NOTICE, LOG_LEVEL_LOW, false)
LOG_FN(log_warn, LOG_WARNING, LOG_LEVEL_LOW, true)
LOG_FN(log_warnx, LOG_WARNING, LOG_LEVEL_LOW, false)

void
fatal(const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, err);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

size_t
escape_byte(unsigned char c, bool keep, char *out)
{
	static const char hex[] = "0123456789abcdef";

	if (keep) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

char *
log_escape(const char *s, char *out, size_t outsz)
{
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		bool keep = c >= 0x20 && c < 0x7f && c != '\\';

		if (o + (keep ? 1 : 4) >= outsz)
			break;
		o += escape_byte(c, keep, out + o);
	}
	out[o] = '\0';
	return out;
}

uint64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int
parse_uint(const char *optname, const char *arg, unsigned long min,
    unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	bool digits = all_digits(arg);

	errno = 0;
	if (digits)
		v = strtoul(arg, NULL, 10);	/* all digits: all of it used */
	if (!digits || errno != 0 || v < min || v > max) {
		log_warnx("%s: '%s' is not a number from %lu to %lu",
		    optname, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Milliseconds as seconds without trailing zeros: 10 -> "0.01". */
static const char *
fmt_secs(uint64_t ms, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%llu.%03llu",
	    (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));

	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	return out;
}

/* What came after the number the classic client would have read. */
static void
warn_rest(const char *optname, const char *arg, const char *end)
{
	if (*end != '\0')
		log_warnx("%s: '%s' read as %.*s (the classic pptp ignored "
		    "'%s' too)", optname, arg, (int)(end - arg), arg, end);
}

int
parse_lead_long(const char *optname, const char *arg, int base,
    long long *out)
{
	const char *p = arg + (arg[0] == '-');
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, base);
	if (*p < '0' || *p > '9' || end == arg || errno != 0) {
		log_warnx("%s: '%s' is not a number", optname, arg);
		return -1;
	}
	warn_rest(optname, arg, end);
	*out = v;
	return 0;
}

int
parse_secs_ms(const char *optname, const char *arg, uint64_t min_ms,
    uint64_t max_ms, uint64_t *out_ms)
{
	char *end, lo[32], hi[32];
	double s;

	errno = 0;
	s = strtod(arg, &end);
	/* nan and inf fail the range test */
	if (end != arg && errno == 0 && s * 1000 >= (double)min_ms - 1e-6 &&
	    s * 1000 <= (double)max_ms + 1e-6) {
		warn_rest(optname, arg, end);
		*out_ms = (uint64_t)(s * 1000 + 0.5);
		return 0;
	}
	log_warnx("%s: '%s' is not a number of seconds from %s to %s",
	    optname, arg, fmt_secs(min_ms, lo, sizeof(lo)),
	    fmt_secs(max_ms, hi, sizeof(hi)));
	return -1;
}

static struct {
	char	*start;		/* argv[0] */
	size_t	 len;		/* contiguous bytes from there */
} title;

void
proc_title_init(int argc, char **argv)
{
	extern char **environ;
	char *end;
	int n = 0;

	if (argc < 1 || argv[0] == NULL)
		return;
	end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	/* The environment usually follows argv: copy it away, use its room. */
	while (environ[n] != NULL)
		n++;
	if (n > 0 && environ[0] == end) {
		char **env = calloc((size_t)n + 1, sizeof(*env));

		if (env != NULL) {
			for (int i = 0; i < n; i++) {
				if (environ[i] == end)
					end = environ[i] + strlen(environ[i]) + 1;
				env[i] = strdup(environ[i]);
			}
			environ = env;
		}
	}
	title.start = argv[0];
	title.len = (size_t)(end - argv[0]);
}

void
proc_title(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* comm (15 bytes) for top and pgrep, argv for ps */
	prctl(PR_SET_NAME, buf, 0, 0, 0);
	if (title.start == NULL || title.len < 2)
		return;
	memset(title.start, 0, title.len);
	snprintf(title.start, title.len, "%s", buf);
}

int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

#ifdef PPTP_TEST_HOOKS
void
test_pause(const char *stage)
{
	const char *want = getenv("PPTP_PAUSE");
	struct timespec ts = { 2, 0 };
	sigset_t m;

	if (want == NULL || strcmp(want, stage) != 0)
		return;
	log_notice("paused at %s (pid %d)", stage, (int)getpid());
	sig_waitmask(&m, SIGTERM, SIGINT, SIGHUP, SIGUSR1, 0);
	ppoll(NULL, 0, &ts, &m);
}
#endif

int
resolve_server(const char *host, struct pptp_addr *addrs, int max)
{
	/*
	 * IPv4 only: the one place that decides which family pptp carries
	 * (and refuses any other, below).  IPv6 would ask for AF_UNSPEC
	 * here, once every place listed in addr.h takes it.  One socket
	 * type: else each address comes once per type.
	 */
	struct addrinfo hints = { .ai_family = AF_INET,
	    .ai_socktype = SOCK_STREAM }, *res, *ai;
	int n = 0, e;

	e = getaddrinfo(host, NULL, &hints, &res);
	if (e != 0) {
		log_warnx("cannot resolve server %s: %s", host,
		    e == EAI_NONAME ? "unknown host" : gai_strerror(e));
		return 0;
	}
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		struct pptp_addr a;
		bool dup = false;

		if (addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &a) < 0 ||
		    a.family != AF_INET) {
			/* not asked for (hints): cannot come today */
			log_warnx("cannot resolve server %s: %s", host,
			    "an address not IPv4, which pptp cannot carry yet");
			n = 0;
			break;
		}
		for (int i = 0; i < n; i++)
			dup |= addr_eq(&addrs[i], &a);
		if (!dup)
			addrs[n++] = a;
	}
	freeaddrinfo(res);
	return n;
}

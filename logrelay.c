// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The log relay (logrelay.h): a sandboxed process's syslog, through a
 * pipe to a process outside its jail that holds the syslog socket.
 */
#include "logrelay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define LOG_PATH	"/dev/log"

static bool stream;	/* syslog reads a stream: records end in NUL */

/*
 * syslog's own socket, connected: a datagram one, or a stream one where
 * the syslog daemon listens so (as glibc's syslog() falls back); -1
 * (records dropped) without one.
 */
static int
syslog_socket(void)
{
	static const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memcpy(sun.sun_path, LOG_PATH, sizeof(LOG_PATH));
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int s = socket(AF_UNIX, types[t] | SOCK_CLOEXEC, 0);

		if (s < 0)
			return -1;
		if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			stream = types[t] == SOCK_STREAM;
			return s;
		}
		close(s);
		if (errno != EPROTOTYPE)
			break;
	}
	return -1;
}

/*
 * One record to syslog, as glibc's syslog() would have sent it for the
 * writer ("<PRI>Mmm dd hh:mm:ss pptp[PID]: text"), every byte of text
 * that is not printable ASCII as \xHH.  A record without a priority
 * ("<0>" to "<7>") is logged whole as a warning.
 */
static void
emit(int out, pid_t writer, const char *rec, size_t len)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static char line[64 + 4 * LOG_RECORD_MAX + 1];
	int prio = LOG_WARNING;
	time_t now = time(NULL);
	struct tm tm;
	size_t o;
	int n;

	if (len >= 3 && rec[0] == '<' && rec[1] >= '0' && rec[1] <= '7' &&
	    rec[2] == '>') {
		/*
		 * pptp logs at err and below; emerg, alert and crit, which
		 * syslog daemons write on every user's terminal, can come
		 * only from a process taken over: err.
		 */
		prio = rec[1] - '0' < LOG_ERR ? LOG_ERR : rec[1] - '0';
		rec += 3;
		len -= 3;
	}
	if (localtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	n = snprintf(line, 64, "<%d>%s %2d %02d:%02d:%02d pptp[%d]: ",
	    LOG_DAEMON | prio, mon[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)writer);
	if (n < 0 || n >= 64)
		return;
	o = (size_t)n;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rec[i];

		o += escape_byte(c, c >= 0x20 && c < 0x7f, line + o);
	}
	if (stream)
		line[o++] = '\0';
	for (size_t w = 0; out >= 0 && w < o; ) {
		ssize_t k = write(out, line + w, o - w);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || !stream)
			break;		/* syslog gone: dropped */
		w += (size_t)k;
	}
}

/* Records from in to out until the pipe's end. */
static void __attribute__((noreturn))
relay_loop(int in, int out, pid_t writer)
{
	static char buf[4096], rec[LOG_RECORD_MAX];
	size_t len = 0;

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (len > 0)
				emit(out, writer, rec, len);
			_exit(0);	/* the writer has ended */
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				emit(out, writer, rec, len);
				len = 0;
			} else if (len < sizeof(rec) - 1) {
				rec[len++] = buf[i];	/* else cut */
			}
		}
	}
}

void
logrelay_start(const struct sandbox *sb, const char *who)
{
	pid_t writer = getpid();
	int p[2], in, out, r;

	if (!sb->on)
		return;
	if (pipe2(p, O_CLOEXEC) < 0)
		fatal("%s: cannot start its log relay", who);
	r = fork_orphan();	/* killed, it is no zombie of ours */
	if (r < 0)
		fatal("%s: cannot start its log relay", who);
	if (r == 0) {
		/* the pipe's read end and syslog's socket: no more */
		closelog();
		in = fcntl(p[0], F_DUPFD, 5);
		if (in < 0 || dup2(in, 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		(void)stdio_null(3);	/* 2: not the stderr relay's pipe */
		out = syslog_socket();
		tzset();	/* the zone read now, not under the filter */
		helper_signals();	/* it ends with its writer */
		proc_title("pptp: log relay for %s (pid %d)", who,
		    (int)writer);
		sandbox_helper(sb, SB_LOGRELAY, "log relay");
		relay_loop(3, out, writer);
	}
	close(p[0]);
	(void)set_nonblock(p[1]);	/* a full pipe drops, never stalls */
	log_pipe(p[1]);
}

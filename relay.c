// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stderr relay (relay.h): the user's stderr stays outside every
 * sandbox, behind a pipe and a process that copies, escaped.
 */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "util.h"

#define FLUSH_WAIT_MS	1000	/* at the command's exit, at most */

/* One relay per stream: [1] stdout (pptp --diagnose), [2] stderr. */
static struct relay {
	pid_t	owner;		/* the command: it waits at its exit */
	int	ack;		/* acknowledgements' read end, -1 */
	dev_t	dev;		/* the pipe, as our fd 1 or 2 */
	ino_t	ino;
} rl[3] = { { 0, -1, 0, 0 }, { 0, -1, 0, 0 }, { 0, -1, 0, 0 } };

static int saved = -1;		/* the real stderr, for pppd, -1 */

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* a stderr gone: dropped */
		p += w;
		n -= (size_t)w;
	}
}

/* Copy in to 2, escaped; a NUL is a flush: answered on ack once the
   bytes before it are written. */
static void __attribute__((noreturn))
relay_loop(int in, int ack)
{
	static char buf[4096], out[4 * sizeof(buf)];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		size_t o = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);	/* every writer has let go */
		for (ssize_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (c == '\0') {
				write_all(2, out, o);
				o = 0;
				(void)!write(ack, "", 1);
			} else {
				o += escape_byte(c, c == '\n' || c == '\t' ||
				    (c >= 0x20 && c < 0x7f), out + o);
			}
		}
		write_all(2, out, o);
	}
}

/* Is p ready before end_ms? */
static bool
ready_by(struct pollfd *p, uint64_t end_ms)
{
	for (;;) {
		uint64_t now = now_ms();
		int n;

		if (now >= end_ms)
			return false;
		n = poll(p, 1, (int)(end_ms - now));
		if (n > 0)
			return true;
		if (n == 0 || errno != EINTR)
			return false;
	}
}

/*
 * At the command's exit: wait until the relay of fd has written all we
 * sent, until end_ms at most, whatever the other writers do (a process
 * taken over may write NULs for ever, each of them answered).
 */
static void
relay_flush_one(int fd, uint64_t end_ms)
{
	struct relay *r = &rl[fd];
	struct pollfd out = { fd, POLLOUT, 0 }, ack = { r->ack, POLLIN, 0 };
	struct stat st;
	char stale[512];

	if (r->ack < 0 || getpid() != r->owner || fstat(fd, &st) < 0 ||
	    st.st_dev != r->dev || st.st_ino != r->ino)
		return;		/* not the command, or the stream let go */
	/* answers to others' NULs go, but no longer than allowed */
	while (now_ms() < end_ms && read(r->ack, stale, sizeof(stale)) > 0)
		;
	/* a non-blocking pipe (stderr's) can fill again after the poll */
	while (ready_by(&out, end_ms))
		if (write(fd, "", 1) == 1) {
			(void)ready_by(&ack, end_ms);	/* or relay gone */
			return;
		} else if (errno != EAGAIN && errno != EINTR) {
			return;
		}
}

static void
relay_flush(void)
{
	uint64_t end = now_ms() + FLUSH_WAIT_MS;

	fflush(stdout);		/* before exit's own flush, which is after */
	relay_flush_one(1, end);
	relay_flush_one(2, end);
}

/* fd to want, whatever is there (want is free, or ours to replace). */
static int
move_fd(int fd, int want)
{
	if (fd == want)
		return fd;
	if (dup2(fd, want) < 0)
		return -1;
	close(fd);
	return want;
}

/* A relay for fd (1 or 2): fd becomes the pipe.  0, or -1 (said). */
static int
relay_fd(const struct sandbox *sb, int fd, const char *title)
{
	static bool flush_set;
	int data[2], ack[2], r;
	struct stat st;

	if (pipe2(data, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(ack, O_CLOEXEC) < 0) {
		close(data[0]);
		close(data[1]);
		return -1;
	}
	r = fork_orphan();	/* killed, it is no zombie of ours */
	if (r < 0) {
		close(data[0]);
		close(data[1]);
		close(ack[0]);
		close(ack[1]);
		return -1;
	}
	if (r == 0) {
		/* the real stream (as 2), the pipe's read end, the acks */
		closelog();
		if (fd != 2 && dup2(fd, 2) < 0)
			_exit(1);
		/* above 4 first, so that 3 and 4 are free for them */
		data[0] = fcntl(data[0], F_DUPFD, 5);
		ack[1] = fcntl(ack[1], F_DUPFD, 6);
		if (data[0] < 0 || ack[1] < 0 || move_fd(data[0], 3) < 0 ||
		    move_fd(ack[1], 4) < 0)
			_exit(1);
		close_range(5, ~0U, 0);
		(void)stdio_null(2);
		(void)fcntl(4, F_SETFL, O_NONBLOCK);	/* forged acks: dropped */
		helper_signals();	/* it ends with its last writer */
		proc_title("%s", title);
		sandbox_helper(sb, SB_RELAY, "relay");
		relay_loop(3, 4);
	}
	close(data[0]);
	close(ack[1]);
	if (dup2(data[1], fd) < 0) {
		close(data[1]);
		close(ack[0]);
		return -1;
	}
	close(data[1]);
	(void)fcntl(ack[0], F_SETFL, O_NONBLOCK);
	rl[fd].ack = ack[0];
	rl[fd].owner = getpid();
	if (fstat(fd, &st) == 0) {
		rl[fd].dev = st.st_dev;
		rl[fd].ino = st.st_ino;
	}
	if (!flush_set)
		atexit(relay_flush);
	flush_set = true;
	return 0;
}

int
relay_start(const struct sandbox *sb)
{
	if (!sb->on)
		return 0;
	saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (relay_fd(sb, 2, "pptp: stderr relay") == 0) {
		/*
		 * No writer waits for a relay that is stopped, or for a
		 * stderr no one reads: a line without room is dropped
		 * (util.c), so no process hangs on its logging.
		 */
		(void)set_nonblock(2);
		return 0;
	}
	log_warn("no stderr relay");
	if (saved >= 0)
		close(saved);
	saved = -1;
	return -1;
}

int
relay_start_stdout(const struct sandbox *sb)
{
	if (!sb->on)
		return 0;
	if (relay_fd(sb, 1, "pptp: stdout relay") == 0)
		return 0;
	log_warn("no stdout relay");
	return -1;
}

int
relay_stderr(void)
{
	return saved >= 0 ? saved : 2;
}

void
relay_stderr_close(void)
{
	if (saved >= 0)
		close(saved);
	saved = -1;
}

void
relay_forget(void)
{
	for (int fd = 1; fd <= 2; fd++) {
		if (rl[fd].ack >= 0)
			close(rl[fd].ack);
		rl[fd].ack = -1;
		rl[fd].owner = 0;
	}
}

int
relay_ack_fd(void)
{
	return rl[2].ack;
}

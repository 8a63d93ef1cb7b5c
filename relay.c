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
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "util.h"

#define FLUSH_WAIT_MS	1000	/* at the command's exit, at most */

static struct {
	pid_t	owner;		/* the command: it waits at its exit */
	int	ack;		/* acknowledgements' read end, -1 */
	int	saved;		/* the real stderr, for pppd, -1 */
	dev_t	dev;		/* the pipe, as our fd 2 */
	ino_t	ino;
} rl = { 0, -1, -1, 0, 0 };

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
	static const char hex[] = "0123456789abcdef";
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
			} else if (c == '\n' || c == '\t' ||
			    (c >= 0x20 && c < 0x7f)) {
				out[o++] = (char)c;
			} else {
				out[o++] = '\\';
				out[o++] = 'x';
				out[o++] = hex[c >> 4];
				out[o++] = hex[c & 15];
			}
		}
		write_all(2, out, o);
	}
}

/* At the command's exit: wait until the relay has written all we sent. */
static void
relay_flush(void)
{
	struct pollfd p = { rl.ack, POLLIN, 0 };
	uint64_t end = now_ms() + FLUSH_WAIT_MS;
	struct stat st;
	char c;

	if (rl.ack < 0 || getpid() != rl.owner || fstat(2, &st) < 0 ||
	    st.st_dev != rl.dev || st.st_ino != rl.ino)
		return;		/* not the command, or stderr let go */
	while (read(rl.ack, &c, 1) > 0)
		;		/* stale ones */
	if (write(2, "", 1) != 1)
		return;
	for (;;) {
		uint64_t now = now_ms();
		int r;

		if (now >= end)
			return;
		r = poll(&p, 1, (int)(end - now));
		if (r != 0 && !(r < 0 && errno == EINTR))
			return;	/* answered, or the relay is gone */
	}
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

int
relay_start(const struct sandbox *sb)
{
	int data[2], ack[2], null;
	struct stat st;
	pid_t pid;

	if (!sb->on)
		return 0;
	if (pipe2(data, O_CLOEXEC) < 0)
		goto fail;
	if (pipe2(ack, O_CLOEXEC) < 0) {
		close(data[0]);
		close(data[1]);
		goto fail;
	}
	rl.saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	pid = fork();
	if (pid < 0) {
		close(data[0]);
		close(data[1]);
		close(ack[0]);
		close(ack[1]);
		goto fail;
	}
	if (pid == 0) {
		/* the real stderr, the pipe's read end, the acks: no more */
		closelog();
		/* above 4 first, so that 3 and 4 are free for them */
		data[0] = fcntl(data[0], F_DUPFD, 5);
		ack[1] = fcntl(ack[1], F_DUPFD, 6);
		if (data[0] < 0 || ack[1] < 0 || move_fd(data[0], 3) < 0 ||
		    move_fd(ack[1], 4) < 0)
			_exit(1);
		close_range(5, ~0U, 0);
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			close(null);
		}
		(void)fcntl(4, F_SETFL, O_NONBLOCK);	/* forged acks: dropped */
		helper_signals();	/* it ends with its last writer */
		proc_title("pptp: stderr relay");
		sandbox_relay(sb);
		relay_loop(3, 4);
	}
	close(data[0]);
	close(ack[1]);
	if (dup2(data[1], 2) < 0) {
		close(data[1]);
		close(ack[0]);
		goto fail;
	}
	close(data[1]);
	(void)fcntl(ack[0], F_SETFL, O_NONBLOCK);
	rl.ack = ack[0];
	rl.owner = getpid();
	if (fstat(2, &st) == 0) {
		rl.dev = st.st_dev;
		rl.ino = st.st_ino;
	}
	atexit(relay_flush);
	return 0;
fail:
	log_warn("no stderr relay");
	if (rl.saved >= 0)
		close(rl.saved);
	rl.saved = -1;
	return -1;
}

int
relay_stderr(void)
{
	return rl.saved >= 0 ? rl.saved : 2;
}

void
relay_stderr_close(void)
{
	if (rl.saved >= 0)
		close(rl.saved);
	rl.saved = -1;
}

void
relay_forget(void)
{
	if (rl.ack >= 0)
		close(rl.ack);
	rl.ack = -1;
	rl.owner = 0;
}

int
relay_ack_fd(void)
{
	return rl.ack;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pppd's watchdog (watchdog.h): root's, but with nothing else: every
 * capability given up, no new privileges, a system call filter with no
 * kill(2) in it, and no descriptor but its socket to the gateway, pppd's
 * pidfd, stdio and syslog.  It holds pppd by that pidfd, taken by the
 * gateway (pppd's parent) before anything could reap pppd, so that what
 * it signals is that pppd or nothing: once pppd is gone, and its pid
 * maybe another process's, pidfd_send_signal fails with ESRCH.  The
 * gateway's word is needed for nothing, its silence least of all.
 */
#include "watchdog.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/pidfd.h>
#include <syslog.h>
#include <unistd.h>

#include "ipc.h"
#include "util.h"

#define GONE_WAIT_MS	1000	/* after SIGTERM, before SIGKILL */

/* Has pppd ended (its pidfd readable) within ms? */
static bool
pppd_gone(int pidfd, int ms)
{
	struct pollfd p = { pidfd, POLLIN, 0 };
	uint64_t end = now_ms() + (uint64_t)ms;

	for (;;) {
		uint64_t now = now_ms();
		int r = poll(&p, 1, now >= end ? 0 : (int)(end - now));

		if (r > 0)
			return true;
		if (r == 0 || errno != EINTR)
			return r < 0;	/* a broken pidfd: nothing to signal */
	}
}

static void __attribute__((noreturn))
watchdog_main(pid_t pppd, int fd, int pidfd)
{
	struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
	struct ipc_msg m;
	int r;

	/* the gateway's end closed (it ended, or died): pppd goes too */
	for (;;) {
		if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents != 0)
			pfd[1].fd = -1;	/* pppd ended: nothing more to do
					   but wait for the gateway's end */
		if (pfd[0].revents == 0)
			continue;
		r = ipc_recv(fd, &m, IPC_NOWAIT);
		if (r == 0 || (r < 0 && errno != EBADMSG && errno != EAGAIN &&
		    errno != EINTR))
			break;
		if (r < 0)
			continue;
		if (m.fd >= 0)
			close(m.fd);
		if (m.len != 0)
			continue;	/* no order: ignored */
		if (m.type == WATCH_TERM || m.type == WATCH_KILL)
			(void)pidfd_send_signal(pidfd, m.type == WATCH_TERM ?
			    SIGTERM : SIGKILL, NULL, 0);
	}
	if (pfd[1].fd >= 0 && pidfd_send_signal(pidfd, SIGTERM, NULL, 0) ==
	    0 && !pppd_gone(pidfd, GONE_WAIT_MS)) {
		/* the gateway is gone: pppd is init's, reaped as it ends */
		log_warnx("pppd (pid %d) has not ended on SIGTERM in %d s: "
		    "SIGKILL", (int)pppd, GONE_WAIT_MS / 1000);
		(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
	}
	_exit(0);
}

int
watchdog_start(const struct sandbox *sb, pid_t pppd, int pidfd,
    const char *addr, pid_t *child)
{
	int fd;
	pid_t pid;

	if (pidfd < 0) {
		errno = EBADF;
		return -1;
	}
	pid = ipc_fork(&fd);
	if (pid < 0)
		return -1;
	if (pid > 0) {
		*child = pid;
		return fd;
	}
	/*
	 * Nothing of the gateway's: above all not the pty's master; stdin
	 * and stdout are /dev/null (the gateway's already are, or its
	 * terminal: launch.c), stderr the gateway's (/dev/null, or
	 * the stderr relay).
	 */
	closelog();
	if (pidfd == 3)
		pidfd = fcntl(pidfd, F_DUPFD_CLOEXEC, 5);
	if (fd != 3) {
		dup2(fd, 3);
		close(fd);
	}
	if (pidfd != 4) {
		dup2(pidfd, 4);
		close(pidfd);
	}
	close_range(5, ~0U, 0);
	log_reopen();
	helper_signals();	/* it ends with the gateway */
	proc_title("pptp: pppd watchdog for %s pppd %d", addr, (int)pppd);
	/* root's user, no capability, no kill */
	sandbox_helper(sb, SB_WATCHDOG, "watchdog");
	watchdog_main(pppd, 3, 4);
}

int
watchdog_order(int fd, enum watch_order order)
{
	return fd >= 0 && ipc_send(fd, order, NULL, 0, -1, IPC_FOREVER) == 0;
}

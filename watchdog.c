// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pppd's watchdog (watchdog.h): root's, but with nothing else: every
 * capability given up, no new privileges, and no descriptor but its
 * socket to the gateway, stdio and syslog.  It is not pppd's parent (the gateway is, and
 * reaps it), so it relies on the gateway's word that pppd was reaped
 * before its pid could be anyone else's.
 */
#include "watchdog.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "util.h"

#define GONE_WAIT_MS	1000	/* after SIGTERM, before SIGKILL */

static void __attribute__((noreturn))
watchdog_main(pid_t pppd, int fd)
{
	struct timespec ts = { 0, 10 * 1000000 };
	bool reaped = false;
	struct ipc_msg m;
	int r;

	/* the gateway's end closed (it ended, or died): pppd goes too */
	while ((r = ipc_recv(fd, &m, IPC_FOREVER)) != 0) {
		if (r < 0 && errno != EBADMSG)
			break;
		if (m.fd >= 0)
			close(m.fd);
		if (r < 0 || m.len != 0)
			continue;	/* no order: ignored */
		if (m.type == WATCH_REAPED)
			reaped = true;
		else if (!reaped && (m.type == WATCH_TERM ||
		    m.type == WATCH_KILL))
			(void)kill(pppd, m.type == WATCH_TERM ? SIGTERM :
			    SIGKILL);
	}
	if (!reaped && kill(pppd, SIGTERM) == 0) {
		/* the gateway is gone: pppd is init's, reaped as it ends */
		for (int i = 0; i < GONE_WAIT_MS / 10 && kill(pppd, 0) == 0;
		    i++)
			nanosleep(&ts, NULL);
		if (kill(pppd, 0) == 0) {
			log_warnx("pppd (pid %d) has not ended on SIGTERM in "
			    "%d s: SIGKILL", (int)pppd, GONE_WAIT_MS / 1000);
			(void)kill(pppd, SIGKILL);
		}
	}
	_exit(0);
}

int
watchdog_start(const struct sandbox *sb, pid_t pppd, const char *addr,
    pid_t *child)
{
	int fd;
	pid_t pid = ipc_fork(&fd);

	if (pid < 0)
		return -1;
	if (pid > 0) {
		*child = pid;
		return fd;
	}
	/* Nothing of the gateway's: above all not the pty's master. */
	closelog();
	if (fd != 3) {
		dup2(fd, 3);
		close(fd);
	}
	close_range(4, ~0U, 0);
	log_reopen();
	helper_signals();	/* it ends with the gateway */
	sandbox_keeper(sb, false);	/* root's user, no capability */
	proc_title("pptp: pppd watchdog for %s pppd %d", addr, (int)pppd);
	watchdog_main(pppd, 3);
}

int
watchdog_order(int fd, enum watch_order order)
{
	return fd >= 0 && ipc_send(fd, order, NULL, 0, -1, IPC_FOREVER) == 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pppd a gateway launched (gre_pppd.h): reaped by the gateway, its
 * parent, and its status reported once to whoever waits for it (the
 * command's waiting process, or --debug's pipe); held by a pidfd taken
 * before anything could reap it (launch.c), and signalled through it:
 * by the gateway with --nosandbox, else by pppd's watchdog
 * (watchdog.c), which gets the pidfd and nothing else of pppd's, so that
 * a pid free again is never signalled.
 */
#include "gre_pppd.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "watchdog.h"

/* pppd_end's waits: after SIGTERM, then after SIGKILL (pptp(8) SIGNALS) */
#define PPPD_TERM_MS	500
#define PPPD_KILL_MS	1000

void
pppd_init(struct gre_pppd *p, pid_t pid, int pidfd, int report_fd,
    const char *addr)
{
	*p = (struct gre_pppd){ .addr = addr, .pid = pid, .pidfd = pidfd,
	    .report_fd = report_fd, .watch = -1 };
}

int
pppd_watchdog_start(struct gre_pppd *p, const struct sandbox *sb)
{
	p->sandboxed = sb->on;
	if (!sb->on || p->pid <= 0)
		return 0;
	p->watch = watchdog_start(sb, p->pid, p->pidfd, p->addr,
	    &p->watch_pid);
	/* the watchdog's now: nothing for the sandbox to signal with */
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	if (p->watch >= 0)
		return 0;
	log_warn("gre %s: no watchdog for pppd: only a hangup can end it",
	    p->addr);
	return -1;
}

/* pppd's wait status, to whoever waits for it (once). */
static void
pppd_report(struct gre_pppd *p, int wstatus)
{
	if (p->report_fd < 0)
		return;
	if (write(p->report_fd, &wstatus, sizeof(wstatus)) != sizeof(wstatus))
		log_warn("gre %s: reporting pppd's status", p->addr);
	close(p->report_fd);
	p->report_fd = -1;
}

/*
 * Status 0 is pppd going to the background (it forks unless `nodetach',
 * before it opens the pty, or with `updetach' once the link is up): the
 * pty tells when it is gone, and a pty no one writes on ends the call
 * too (the gateway's PPPD_OPEN_MS).  Anything else means it failed, or
 * ended as we asked it to.
 */
bool
pppd_reap(struct gre_pppd *p, bool stopping)
{
	int wstatus;

	if (p->pid <= 0 || waitpid(p->pid, &wstatus, WNOHANG) != p->pid)
		return false;
	p->pid = 0;
	pppd_report(p, wstatus);
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
		log_info("gre %s: pppd went to the background", p->addr);
		return false;
	}
	if (stopping)
		log_info("gre %s: pppd ended", p->addr);
	else if (WIFEXITED(wstatus))
		log_warnx("gre %s: pppd exited with status %d: call ends",
		    p->addr, WEXITSTATUS(wstatus));
	else
		log_warnx("gre %s: pppd killed by signal %d: call ends",
		    p->addr, WTERMSIG(wstatus));
	return true;
}

void
pppd_watchdog_reap(struct gre_pppd *p)
{
	int wstatus;

	if (p->watch_pid <= 0 ||
	    waitpid(p->watch_pid, &wstatus, WNOHANG) != p->watch_pid)
		return;
	log_warnx("gre %s: pppd's watchdog (pid %d) is gone: only a hangup "
	    "can end pppd now", p->addr, (int)p->watch_pid);
	p->watch_pid = 0;
	close(p->watch);
	p->watch = -1;
}

bool
pppd_signal(struct gre_pppd *p, int sig)
{
	if (p->watch >= 0)
		return watchdog_order(p->watch, sig == SIGTERM ? WATCH_TERM :
		    WATCH_KILL);
	return !p->sandboxed && p->pidfd >= 0 &&
	    pidfd_send_signal(p->pidfd, sig, NULL, 0) == 0;
}

bool
pppd_wait(struct gre_pppd *p, int ms)
{
	int wstatus;

	for (int i = 0; i <= ms / 10; i++) {
		if (waitpid(p->pid, &wstatus, WNOHANG) == p->pid) {
			pppd_report(p, wstatus);
			return true;
		}
		usleep(10000);
	}
	return false;
}

/* Without a watchdog when sandboxed, the hangup is all it had. */
void
pppd_end(struct gre_pppd *p)
{
	if (p->pid <= 0)
		return;
	if (!pppd_signal(p, SIGTERM)) {
		log_warnx("gre %s: pppd (pid %d) has not ended on the "
		    "hangup, and has no watchdog to signal it: leaving it",
		    p->addr, (int)p->pid);
		return;
	}
	if (pppd_wait(p, PPPD_TERM_MS))
		return;
	/*
	 * Bounded too: the order goes through the watchdog, which may be
	 * gone or late.  A pppd left here is init's once we exit, and the
	 * watchdog, seeing our end, signals it again.
	 */
	if (pppd_signal(p, SIGKILL) && pppd_wait(p, PPPD_KILL_MS))
		return;
	log_warnx("gre %s: pppd (pid %d) has not ended %d ms after SIGKILL: "
	    "leaving it", p->addr, (int)p->pid, PPPD_KILL_MS);
}

void
pppd_release(struct gre_pppd *p)
{
	if (p->watch >= 0)
		close(p->watch);
	p->watch = -1;
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	if (p->report_fd >= 0)
		close(p->report_fd);
	p->report_fd = -1;
}

pid_t
pppd_above(void)
{
	pid_t pid = getppid(), up = pid;

	for (int level = 0; level < 2 && up > 1; level++) {
		char path[64], comm[32] = "", stat[256] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)up);
		if ((f = fopen(path, "re")) != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
		if (strncmp(comm, "pppd", 4) == 0)
			return up;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)up);
		if ((f = fopen(path, "re")) == NULL)
			break;
		if (fgets(stat, sizeof(stat), f) == NULL || strrchr(stat,
		    ')') == NULL || sscanf(strrchr(stat, ')') + 2, "%*c %d",
		    &up) != 1)
			up = 0;
		fclose(f);
	}
	return pid;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pid-reuse attack on pppd's watchdog (pptp(8) SECURITY, issue 21):
 * a taken-over gateway reaps pppd itself and says nothing, waits until
 * another root process has pppd's pid, then orders a kill.  The
 * watchdog must signal that pppd alone, which is gone: the other
 * process lives.  Run by make unit as root (else skipped), in a pid
 * namespace of its own, where nothing else takes pids: the victim gets
 * pppd's pid through ns_last_pid.
 *
 * Prints "watchdog_reuse: N passed, N failed"; exits 1 on a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "util.h"
#include "watchdog.h"

static pid_t
sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		close_range(3, ~0U, 0);	/* no end of the watchdog's socket */
		for (;;)
			pause();
	}
	return pid;
}

static void
ms_sleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A process of ours at pid want, or -1. */
static pid_t
take_pid(pid_t want)
{
	for (int tries = 0; tries < 20; tries++) {
		char last[32];
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
		pid_t pid;
		int n;

		if (fd < 0)
			return -1;
		n = snprintf(last, sizeof(last), "%d", (int)want - 1);
		if (write(fd, last, (size_t)n) != n) {
			close(fd);
			return -1;
		}
		close(fd);
		pid = sleeper();
		if (pid == want)
			return pid;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

static bool
alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

/*
 * One round: order is what the hostile gateway does once the victim
 * has pppd's pid (an order, or its end).  The victim must live.
 */
static int
round_(const char *name, int order)
{
	struct sandbox sb = { .on = true };
	pid_t pppd = sleeper(), dog, victim;
	int fd, pidfd, ok;

	pidfd = pidfd_open(pppd, 0);	/* as launch.c, before any reaping */
	if (pppd < 0 || pidfd < 0) {
		printf("%s: no stand-in pppd: %s\n", name, strerror(errno));
		return 0;
	}
	fd = watchdog_start(&sb, pppd, pidfd, "192.0.2.1", &dog);
	close(pidfd);
	if (fd < 0) {
		printf("%s: no watchdog: %s\n", name, strerror(errno));
		return 0;
	}
	/* the hostile gateway: pppd reaped, not a word to the watchdog */
	kill(pppd, SIGKILL);
	waitpid(pppd, NULL, 0);
	victim = take_pid(pppd);
	if (victim < 0) {
		printf("%s: could not reuse pid %d\n", name, (int)pppd);
		return 0;
	}
	if (order > 0) {
		(void)watchdog_order(fd, (enum watch_order)order);
		ms_sleep(300);
	}
	close(fd);		/* the gateway ends */
	waitpid(dog, NULL, 0);	/* the watchdog has done all it does */
	ms_sleep(100);
	ok = alive(victim);
	printf("%s: %s\n", name, ok ? "the victim lives" :
	    "the watchdog killed the process that took pppd's pid");
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
	return ok;
}

static int
in_namespace(void)
{
	int passed = 0, failed = 0;
	const struct {
		const char	*name;
		int		 order;
	} rounds[] = {
		{ "WATCH_TERM after reuse", WATCH_TERM },
		{ "WATCH_KILL after reuse", WATCH_KILL },
		{ "gateway gone after reuse", 0 },
	};

	log_init("watchdog_reuse", true, LOG_LEVEL_DEFAULT);
	for (size_t i = 0; i < sizeof(rounds) / sizeof(rounds[0]); i++) {
		if (round_(rounds[i].name, rounds[i].order))
			passed++;
		else
			failed++;
	}
	printf("watchdog_reuse: %d passed, %d failed\n", passed, failed);
	fflush(stdout);
	return failed == 0 ? 0 : 1;
}

int
main(void)
{
	pid_t init;
	int st;

	if (geteuid() != 0) {
		printf("watchdog_reuse: skipped (needs root for a pid "
		    "namespace)\n");
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (unshare(CLONE_NEWPID) < 0) {
		printf("watchdog_reuse: no pid namespace: %s\n",
		    strerror(errno));
		return 1;
	}
	init = fork();		/* pid 1 there: nothing else takes pids */
	if (init < 0)
		return 1;
	if (init == 0)
		_exit(in_namespace());
	/*
	 * _exit: a process that unshared its children's pid namespace may
	 * make no thread, and the leak checker's exit (SANITIZE=1) makes one.
	 */
	if (waitpid(init, &st, 0) != init || !WIFEXITED(st))
		_exit(1);
	_exit(WEXITSTATUS(st));
}

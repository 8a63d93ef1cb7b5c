// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Launch mode: pppd on a pty of ours, and the command's own process
 * standing for pppd.  Once the call is up, pppd is started on a pty
 * ("pppd TTY 38400 <options>", by its absolute path); without --debug
 * the call goes on in a child of its own session while the command
 * waits in the foreground for pppd's first process to end, passes its
 * signals on and exits with pppd's status.  With --nolaunchpppd, pppd
 * is already on our stdin and stdout, and only the gateway runs.
 */
#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <termios.h>
#include <unistd.h>

#include "pptp_gre.h"
#include "relay.h"
#include "util.h"

/* Every descriptor from 3 up but a and b (either may be -1). */
static void
close_all_but(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
	unsigned from = 3;

	for (int i = 0; i < 2; i++) {
		int keep = i == 0 ? lo : hi;

		if (keep < (int)from)
			continue;
		if (keep > (int)from)
			close_range(from, (unsigned)keep - 1, 0);
		from = (unsigned)keep + 1;
	}
	close_range(from, ~0U, 0);
}

/* pppd's wait status as an exit status, the way a shell shows it. */
static int
pppd_exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return PPTP_EXIT_ERROR;
}

/*
 * The command, once the call is up in launch mode, stands for pppd (the
 * classic client execs pppd): it waits for the report of pppd's first
 * process ending and exits with its status: at once when pppd goes to
 * the background, when the link is up with `updetach', when pppd ends
 * with `nodetach'.  Its signals go to the child, which asks pppd to end
 * the link.  If the child ends without a report, its status is ours
 * (1 if it was killed, and a line says so).
 */
static void __attribute__((noreturn))
wait_for_pppd(pid_t child, int rfd, volatile sig_atomic_t *stop,
    volatile sig_atomic_t *usr1)
{
	struct pollfd pfd = { rfd, POLLIN, 0 };
	sigset_t waitmask;
	int st;

	/*
	 * Nothing of the call's: its end must not wait for us.  The stderr
	 * relay's acknowledgements stay, for our exit (relay.h).
	 */
	closelog();
	close_all_but(rfd, relay_ack_fd());
	log_reopen();
	sig_block(NULL, &waitmask, SIGTERM, SIGINT, SIGHUP, SIGUSR1, 0);
	for (;;) {
		ssize_t n;

		if (*stop) {
			kill(child, (int)*stop);
			*stop = 0;
		}
		if (*usr1) {
			kill(child, SIGUSR1);
			*usr1 = 0;
		}
		if (ppoll(&pfd, 1, NULL, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		n = read(rfd, &st, sizeof(st));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == sizeof(st))
			exit(pppd_exit_status(st));
		break;		/* no word: the child is ending; wait for it */
	}
	for (;;) {
		struct timespec ts = { 0, 10 * 1000000 };
		pid_t r = waitpid(child, &st, WNOHANG);

		if (r == child && WIFSIGNALED(st))
			log_warnx("the gateway was killed by signal %d before "
			    "it could say how pppd ended: pppd ends too, its "
			    "exit status unknown", WTERMSIG(st));
		if (r == child)
			exit(WIFEXITED(st) ? WEXITSTATUS(st) :
			    PPTP_EXIT_ERROR);
		if (r < 0 && errno != EINTR)
			exit(PPTP_EXIT_ERROR);
		if (*stop) {	/* still passed on meanwhile */
			kill(child, (int)*stop);
			*stop = 0;
		}
		(void)ppoll(NULL, 0, &ts, &waitmask);
	}
}

/*
 * Launch mode without --debug: the call goes on in a child of its own
 * session, with stdio on /dev/null; the user's stdin, stdout and stderr
 * are kept (close-on-exec) in stdio[] for pppd alone.  Returns in the
 * child: the fd on which to report pppd's status, -1 on failure.
 */
static int
go_background(const struct pptp_opts *o, int stdio[3],
    volatile sig_atomic_t *stop, volatile sig_atomic_t *usr1)
{
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		log_warn("pipe");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid > 0) {
		close(pfd[1]);
		wait_for_pppd(pid, pfd[0], stop, usr1);
	}
	close(pfd[0]);
	relay_forget();		/* the waiting parent is the command now */
	setsid();
	if (chdir("/") < 0)
		log_warn("chdir /");
	/* the user's stdio for pppd: the real stderr, not the relay's */
	for (int i = 0; i < 3; i++)
		stdio[i] = fcntl(i < 2 ? i : relay_stderr(), F_DUPFD_CLOEXEC,
		    3);
	(void)stdio_null(3);
	log_init(o->logstring, false, o->loglevel);
	return pfd[1];
}

/*
 * In the child, just before pppd runs: every signal at its default
 * disposition (whatever ours, or the ignored ones we inherited, were),
 * none blocked, and no descriptor but 0, 1 and 2.
 */
static void
pppd_clean_start(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	uint64_t kdfl[4] = { 0 };	/* the kernel's: all zero is SIG_DFL */

	/*
	 * The C library's own signals (32, 33) it refuses to touch: they
	 * too may come ignored from whoever started us.  KILL and STOP
	 * refuse both: they never change.
	 */
	for (int sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, &dfl, NULL) < 0 && errno == EINVAL)
			(void)syscall(SYS_rt_sigaction, sig, kdfl, NULL,
			    (size_t)(NSIG - 1 + 7) / 8);
	sig_unblock_all();
	closelog();	/* its socket goes too; reopened on demand */
	close_range(3, ~0U, 0);
}

/*
 * A pty for pppd, and pppd on it: "pppd TTY 38400 <user options>", as
 * the classic client runs it; pppd by its absolute path (--pppd), never
 * looked up on PATH.  stdio: pppd's stdin, stdout and stderr (the
 * user's), or NULL for ours.
 */
static pid_t
launch_pppd(const struct pptp_opts *o, struct gre_call *call,
    const int *stdio, int *master, int *slave)
{
	char addr[ADDR_STRLEN];
	char tty[64];
	char **argv;
	struct termios t;
	pid_t pid;
	int m, sl;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 ||
	    ptsname_r(m, tty, sizeof(tty)) != 0) {
		log_warn("cannot open a pty for pppd");
		if (m >= 0)
			close(m);
		return -1;
	}
	/* Raw until pppd sets its own modes: no echo of our frames. */
	sl = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (sl >= 0 && tcgetattr(sl, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(sl, TCSANOW, &t);
	}
	argv = calloc((size_t)o->pppd_nargs + 4, sizeof(char *));
	if (argv == NULL)
		fatal("calloc");
	argv[0] = "pppd";
	argv[1] = tty;
	argv[2] = "38400";
	for (int i = 0; i < o->pppd_nargs; i++)
		argv[3 + i] = o->pppd_args[i];
	pid = fork();
	if (pid == 0) {
		setsid();
		for (int i = 0; stdio != NULL && i < 3; i++)
			if (stdio[i] >= 0)
				dup2(stdio[i], i);
		/* pppd's dispositions: a TERM from now on is pppd's to take */
		pppd_clean_start();
		execv(o->pppd_path, argv);
		log_init(o->logstring, true, o->loglevel);
		log_warn("cannot run pppd %s", o->pppd_path);
		_exit(127);
	}
	free(argv);
	if (pid < 0) {
		log_warn("fork");
		if (sl >= 0)
			close(sl);
		close(m);
		return -1;
	}
	addr_ntop(&call->server, addr, sizeof(addr));
	/*
	 * pppd held by a pidfd from now on, taken while it cannot have
	 * been reaped (we are its parent, and have not waited): its
	 * watchdog signals this pppd or nothing, never a pid reused.
	 */
	call->pppd_fd = pidfd_open(pid, 0);
	if (call->pppd_fd < 0)
		log_warn("gre %s: no pidfd for pppd", addr);
	else
		(void)fcntl(call->pppd_fd, F_SETFD, FD_CLOEXEC);
	log_info("gre %s: launched pppd (pid %d) on %s", addr, (int)pid, tty);
	*master = m;
	*slave = sl;	/* until pppd has opened the pty itself */
	return pid;
}

/*
 * The call is up: pppd's side, then the gateway until the end.  In
 * launch mode the exit status is pppd's if its first process ended
 * while we ran (with --debug; else the waiting parent exits with it).
 */
int
launch_run(const struct pptp_opts *o, struct gre_call *call, int cm_fd,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *usr1)
{
	int master = -1, status, st, rpipe[2] = { -1, -1 };
	int stdio[3] = { -1, -1, -1 }, user[3] = { 0, 1, relay_stderr() };

	call->pppd_fd = -1;
	if (*stop)		/* nothing launched yet: just end */
		return PPTP_EXIT_OK;
	if (o->nolaunchpppd) {
		relay_stderr_close();	/* no pppd of ours to have it */
		return gre_run(o, call, 0, 1, cm_fd, stop);
	}
	if (o->debug) {
		if (pipe2(rpipe, O_CLOEXEC | O_NONBLOCK) < 0) {
			log_warn("pipe");
			return PPTP_EXIT_ERROR;
		}
		call->report_fd = rpipe[1];
	} else {
		call->report_fd = go_background(o, stdio, stop, usr1);
		if (call->report_fd < 0)
			return PPTP_EXIT_ERROR;
		test_pause("background");
	}
	call->pppd = launch_pppd(o, call, o->debug ? user : stdio, &master,
	    &call->pty_slave);
	for (int i = 0; i < 3; i++)
		if (stdio[i] >= 0)
			close(stdio[i]);
	/* pppd has the user's stdio: none of it goes into the sandbox */
	relay_stderr_close();
	if (o->debug)
		/* the user's terminal, with --debug */
		if (stdio_null(2) < 0)
			log_warn("cannot open /dev/null: stdin and stdout "
			    "closed");
	if (call->pppd < 0) {
		close(call->report_fd);
		if (rpipe[0] >= 0)
			close(rpipe[0]);
		return PPTP_EXIT_ERROR;
	}
	test_pause("pppd-launched");
	status = gre_run(o, call, master, master, cm_fd, stop);
	close(master);
	if (o->debug) {
		if (read(rpipe[0], &st, sizeof(st)) == sizeof(st) &&
		    (status == PPTP_EXIT_OK || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0))
			status = pppd_exit_status(st);
		close(rpipe[0]);
	}
	return status;
}


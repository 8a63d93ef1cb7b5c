// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptp: the command.  Parses the command line of the classic pptp(8),
 * resolves the server, asks the call manager for that server (found or
 * started through rendezvous.c) for a call, and once it is up hands it
 * to launch.c: pppd and the GRE-to-PPP gateway.  --status goes to
 * pptp_status.c instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <time.h>
#include <unistd.h>

#include "cm_msg.h"
#include "diagnose.h"
#include "launch.h"
#include "pptp_callmgr.h"
#include "pptp_gre.h"
#include "pptp_opts.h"
#include "pptp_quirks.h"
#include "pptp_status.h"
#include "relay.h"
#include "rendezvous.h"
#include "util.h"

#define ATTACH_TRIES	3

enum {
	OPT_PHONE = 256,
	OPT_NOLAUNCHPPPD,
	OPT_QUIRKS,
	OPT_DEBUG,
	OPT_SYNC,
	OPT_TIMEOUT,
	OPT_NOBUFFER,
	OPT_IDLE_WAIT,
	OPT_MAX_ECHO_WAIT,
	OPT_LOGSTRING,
	OPT_LOCALBIND,
	OPT_RTMARK,
	OPT_LOGLEVEL,
	OPT_MISSING_WINDOW,
	OPT_WINDOW,
	OPT_RUNDIR,
	OPT_PPPD,
	OPT_NOHOSTROUTE,
	OPT_TEST_TYPE,
	OPT_TEST_RATE,
	OPT_CONNECT_TIMEOUT,
	OPT_REPLY_TIMEOUT,
	OPT_CLIENT_HOSTNAME,
	OPT_SHARE_CONNECTION,
	OPT_USER,
	OPT_NOSANDBOX,
	OPT_STATUS,
	OPT_DIAGNOSE,
	OPT_JSON,
	OPT_VERSION,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "phone",		required_argument, NULL, OPT_PHONE },
	{ "nolaunchpppd",	no_argument,	   NULL, OPT_NOLAUNCHPPPD },
	{ "quirks",		required_argument, NULL, OPT_QUIRKS },
	{ "debug",		no_argument,	   NULL, OPT_DEBUG },
	{ "sync",		no_argument,	   NULL, OPT_SYNC },
	{ "timeout",		required_argument, NULL, OPT_TIMEOUT },
	{ "nobuffer",		no_argument,	   NULL, OPT_NOBUFFER },
	{ "idle-wait",		required_argument, NULL, OPT_IDLE_WAIT },
	{ "max-echo-wait",	required_argument, NULL, OPT_MAX_ECHO_WAIT },
	{ "logstring",		required_argument, NULL, OPT_LOGSTRING },
	{ "localbind",		required_argument, NULL, OPT_LOCALBIND },
	{ "rtmark",		required_argument, NULL, OPT_RTMARK },
	{ "loglevel",		required_argument, NULL, OPT_LOGLEVEL },
	{ "missing-window",	required_argument, NULL, OPT_MISSING_WINDOW },
	{ "window",		required_argument, NULL, OPT_WINDOW },
	{ "rundir",		required_argument, NULL, OPT_RUNDIR },
	{ "pppd",		required_argument, NULL, OPT_PPPD },
	{ "nohostroute",	no_argument,	   NULL, OPT_NOHOSTROUTE },
	{ "test-type",		required_argument, NULL, OPT_TEST_TYPE },
	{ "test-rate",		required_argument, NULL, OPT_TEST_RATE },
	{ "connect-timeout",	required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "reply-timeout",	required_argument, NULL, OPT_REPLY_TIMEOUT },
	{ "client-hostname",	required_argument, NULL, OPT_CLIENT_HOSTNAME },
	{ "share-connection",	required_argument, NULL, OPT_SHARE_CONNECTION },
	{ "user",		required_argument, NULL, OPT_USER },
	{ "nosandbox",		no_argument,	   NULL, OPT_NOSANDBOX },
	{ "status",		no_argument,	   NULL, OPT_STATUS },
	{ "diagnose",		no_argument,	   NULL, OPT_DIAGNOSE },
	{ "json",		no_argument,	   NULL, OPT_JSON },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: pptp HOST [pptp options] [[--] pppd options]\n"
"       pptp --status [--json] [HOST]\n"
"       pptp --diagnose [--json] HOST [pptp options]\n"
"\n"
"Connects to the PPTP server HOST and runs PPP over the tunnel: either\n"
"launching pppd on a pty with the given pppd options (the command then\n"
"ends as pppd's first process ends, with its status: nodetach keeps it\n"
"in the foreground), or, with --nolaunchpppd, as pppd's pty program:\n"
"  pppd pty \"pptp HOST --nolaunchpppd\" ...\n"
"\n"
"  --nolaunchpppd          stdin/stdout are pppd's pty; launch no pppd\n"
"  --phone NUMBER          phone number sent in the call request\n"
"  --quirks NAME           server workarounds: %s\n"
"  --sync                  pppd runs with `sync': raw frames on the pty\n"
"  --timeout SECS          fixed reorder wait for out-of-order GRE,\n"
"                          0.01-10 (default: adaptive, at most 0.3)\n"
"  --nobuffer              no reorder wait: deliver at once, drop late\n"
"  --missing-window N      gap beyond which packets count as a jump\n"
"                          (default 300)\n"
"  --window N              our receive window in packets, 1-65535\n"
"                          (default 64)\n"
"  --idle-wait SECS        silence before an Echo-Request (default 60)\n"
"  --max-echo-wait SECS    wait for its Echo-Reply (default 60)\n"
"  --connect-timeout SECS  TCP connect to port 1723 (default 10)\n"
"  --reply-timeout SECS    wait for the server's replies (default 60)\n"
"  --localbind ADDR        local address for TCP and GRE\n"
"  --nohostroute           add no host route to the server\n"
"  --rtmark N              SO_MARK on TCP and GRE (policy routing)\n"
"  --client-hostname NAME  host name sent to the server (default: ours)\n"
"  --share-connection auto|never|always\n"
"                          calls to one server over one control connection:\n"
"                          auto, when the server says it can carry them\n"
"                          (default); never, a connection per call; always,\n"
"                          one connection (poptop then ends the first)\n"
"  --user NAME             user the call manager and the gateway become\n"
"                          once set up (default: pptp if it exists, else\n"
"                          nobody)\n"
"  --nosandbox             keep them root, capabilities and all, with no\n"
"                          system call filter: for debugging only; a bug\n"
"                          in parsing what the server sends could then\n"
"                          give the machine away (see pptp(8) SECURITY)\n"
"  --logstring NAME        start each log line with NAME (the syslog tag\n"
"                          stays pptp)\n"
"  --loglevel 0|1|2        0 warnings and errors, 1 also information\n"
"                          (default), 2 also debug\n"
"  --debug                 stay in the foreground, log to stderr too\n"
"  --test-type 0..3        send out of order, to test servers: 1 swaps\n"
"                          two packets, 2 sends one ahead of ten, 3\n"
"                          reverses eleven (default 0: in order)\n"
"  --test-rate N           packets in order between tests (default 100)\n"
"  --rundir DIR            call manager sockets (default %s): a\n"
"                          directory of root's (or ours), not a symlink,\n"
"                          writable by no one else\n"
"  --pppd PATH             the pppd to launch, an absolute path (default\n"
"                          %s; never looked up on PATH)\n"
"  --status [HOST]         show every tunnel (to HOST): state, IDs,\n"
"                          traffic, loss; exit 0 if any, 3 if none\n"
"  --diagnose HOST         test the way to HOST stage by stage (name,\n"
"                          local, tcp, control, call, gre, clear) without\n"
"                          pppd or credentials, and say what fails and how\n"
"                          to fix it; exit 0 if all passes (pptp(8)\n"
"                          DIAGNOSE)\n"
"  --json                  with --status or --diagnose: one JSON document\n"
"  --version               print the version and exit\n"
"  -h, --help              print this help and exit\n",
	    quirk_names(), PPTP_RUNDIR_DEFAULT, PPPD_PATH);
}

/* Options own copies of their strings: the process title overwrites argv. */
static const char *
keep(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		fatal("strdup");
	return d;
}

static void
set_str(const char **dst, const char *src)
{
	free((char *)(uintptr_t)*dst);
	*dst = keep(src);
}

static void
opts_defaults(struct pptp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->phone = keep("");
	o->rundir = keep(PPTP_RUNDIR_DEFAULT);
	o->pppd_path = keep(PPPD_PATH);
	o->loglevel = LOG_LEVEL_DEFAULT;
	o->timeout_ms = 300;
	o->idle_wait_s = 60;
	o->max_echo_wait_s = 60;
	o->reply_timeout_s = 60;
	o->connect_timeout_s = 10;
	o->missing_window = 300;
	o->window = 64;
	o->test_rate = 100;
}

static int
uint_opt(const char *name, const char *arg, unsigned long min,
    unsigned long max, unsigned *out)
{
	unsigned long v;

	if (parse_uint(name, arg, min, max, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/*
 * A number for an option the classic client had: its leading number in
 * [min, max] (pptp(8): "Option values and the classic client"); -1 if
 * it is none (reported).
 */
static int
classic_num(const char *name, const char *arg, long long min, long long max,
    long long *out)
{
	if (parse_lead_long(name, arg, 10, out) < 0)
		return -1;
	if (*out < min || *out > max) {
		log_warnx("%s: '%s' is not a number from %lld to %lld", name,
		    arg, min, max);
		return -1;
	}
	return 0;
}

/*
 * --rtmark: decimal, or hex with 0x (which the classic client read as 0,
 * no mark), or negative as the classic read it (-1 is 0xffffffff).
 */
static int
rtmark_opt(const char *arg, uint32_t *out)
{
	const char *p = arg + (arg[0] == '-');
	bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	long long v;

	if (parse_lead_long("--rtmark", arg, hex ? 16 : 10, &v) < 0)
		return -1;
	if (v < INT32_MIN || v > UINT32_MAX) {
		log_warnx("--rtmark: '%s' is not a 32-bit mark", arg);
		return -1;
	}
	*out = (uint32_t)v;
	if (v < 0)
		log_warnx("--rtmark: '%s' is mark 0x%x, as the classic pptp "
		    "read it", arg, *out);
	else if (hex)
		log_warnx("--rtmark: '%s' is mark %u; the classic pptp read "
		    "it as 0 and set no mark", arg, *out);
	return 0;
}

/*
 * --rundir, made absolute now: the call manager works from "/", and
 * the name it unlinks at its end must be the one we checked.  The
 * current directory is prefixed as it is (getcwd), not resolved, so
 * that the check of the run directory itself still sees a symbolic
 * link; trailing slashes go, since they would make lstat follow one.
 */
static int
rundir_opt(struct pptp_opts *o, const char *arg)
{
	char cwd[4096], *abs = NULL;
	size_t n = strlen(arg);

	while (n > 1 && arg[n - 1] == '/')
		n--;
	if (n == 0) {
		log_warnx("--rundir: an empty name is no directory");
		return -1;
	}
	if (arg[0] == '/') {
		if (asprintf(&abs, "%.*s", (int)n, arg) < 0)
			fatal("asprintf");
	} else if (getcwd(cwd, sizeof(cwd)) == NULL) {
		log_warn("--rundir: '%s' is relative, and the current "
		    "directory has no name", arg);
		return -1;
	} else if (asprintf(&abs, "%s%s%.*s", cwd, strcmp(cwd, "/") ?
	    "/" : "", (int)n, arg) < 0) {
		fatal("asprintf");
	}
	free((char *)(uintptr_t)o->rundir);
	o->rundir = abs;
	return 0;
}

/* Does the option word w (after "--", up to any '=') take the next one? */
static bool
takes_next(const char *w)
{
	size_t n = strcspn(w, "=");

	if (w[n] == '=')
		return false;
	for (const struct option *lo = long_opts; lo->name != NULL; lo++)
		if (strncmp(lo->name, w, n) == 0 &&
		    lo->has_arg == required_argument)
			return true;
	return false;
}

/*
 * pppd options written with one dash (-detach, -am) before "--" would
 * reach getopt as clusters of unknown letters: say what they are.
 */
static int
single_dash_words(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (strcmp(w, "--") == 0)
			return 0;
		if (w[0] == '-' && w[1] == '-') {
			i += takes_next(w + 2);
			continue;
		}
		if (w[0] == '-' && ((w[1] >= 'a' && w[1] <= 'z') ||
		    (w[1] >= 'A' && w[1] <= 'Z')) && strcmp(w, "-h") != 0) {
			log_warnx("'%s' is not a pptp option: pppd options "
			    "that start with '-' go after '--' (pptp HOST "
			    "[pptp options] -- %s)", w, w);
			return -1;
		}
	}
	return 0;
}

/* Returns -1 on a usage error (already reported), 1 to exit 0, else 0. */
static int
parse_args(int argc, char **argv, struct pptp_opts *o)
{
	struct pptp_addr a;
	unsigned long v;
	long long n;
	int c, bad = 0;

	opts_defaults(o);
	if (single_dash_words(argc, argv) < 0)
		return -1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_PHONE:
			set_str(&o->phone, optarg);
			if (strlen(optarg) > MSG_PHONE_LEN) {
				/* the classic pptp sent these too */
				((char *)(uintptr_t)o->phone)[MSG_PHONE_LEN] =
				    '\0';
				log_warnx("--phone: '%s' is longer than %d "
				    "characters: sending '%s'", optarg,
				    MSG_PHONE_LEN, o->phone);
			}
			break;
		case OPT_NOLAUNCHPPPD:
			o->nolaunchpppd = true;
			break;
		case OPT_QUIRKS:
			if (quirk_find(optarg) == NULL) {
				log_warnx("--quirks: unknown quirk '%s' "
				    "(known: %s)", optarg, quirk_names());
				bad = -1;
			}
			set_str(&o->quirks, optarg);
			break;
		case OPT_DEBUG:
			o->debug = true;
			break;
		case OPT_SYNC:
			o->sync = true;
			break;
		case OPT_TIMEOUT:
			bad |= parse_secs_ms("--timeout", optarg, 10, 10000,
			    &o->timeout_ms);
			o->timeout_set = true;
			break;
		case OPT_NOBUFFER:
			o->nobuffer = true;
			break;
		case OPT_IDLE_WAIT:
			if (classic_num("--idle-wait", optarg, 0, 86400,
			    &n) < 0) {
				bad = -1;
				break;
			}
			o->idle_wait_s = (unsigned)n;
			if (n == 0)
				log_warnx("--idle-wait 0: no Echo-Requests: a "
				    "server gone silent is noticed only when "
				    "TCP gives up");
			break;
		case OPT_MAX_ECHO_WAIT:
			if (classic_num("--max-echo-wait", optarg, 0, 86400,
			    &n) < 0) {
				bad = -1;
				break;
			}
			if (n == 0)
				log_warnx("--max-echo-wait 0 means nothing: "
				    "waiting %u s (the classic pptp ignored "
				    "this option)", o->max_echo_wait_s);
			else
				o->max_echo_wait_s = (unsigned)n;
			break;
		case OPT_CONNECT_TIMEOUT:
			bad |= uint_opt("--connect-timeout", optarg, 1, 600,
			    &o->connect_timeout_s);
			break;
		case OPT_REPLY_TIMEOUT:
			bad |= uint_opt("--reply-timeout", optarg, 1, 600,
			    &o->reply_timeout_s);
			break;
		case OPT_LOGSTRING:
			set_str(&o->logstring, optarg);
			break;
		case OPT_CLIENT_HOSTNAME:
			if (optarg[0] == '\0' ||
			    strlen(optarg) > MSG_HOSTNAME_LEN) {
				log_warnx("--client-hostname: '%s' is not 1 to "
				    "%d characters", optarg, MSG_HOSTNAME_LEN);
				bad = -1;
			}
			set_str(&o->client_hostname, optarg);
			break;
		case OPT_SHARE_CONNECTION:
			if (strcmp(optarg, "auto") == 0) {
				o->share = SHARE_AUTO;
			} else if (strcmp(optarg, "never") == 0) {
				o->share = SHARE_NEVER;
			} else if (strcmp(optarg, "always") == 0) {
				o->share = SHARE_ALWAYS;
			} else {
				log_warnx("--share-connection: '%s' is not "
				    "auto, never or always", optarg);
				bad = -1;
			}
			break;
		case OPT_LOCALBIND:
			/* IPv4 only: IPv6 would take either family here */
			if (addr_pton(AF_INET, optarg, &a) < 0) {
				log_warnx("--localbind: '%s' is not an IPv4 "
				    "address", optarg);
				bad = -1;
			}
			set_str(&o->localbind, optarg);
			break;
		case OPT_RTMARK:
			bad |= rtmark_opt(optarg, &o->rtmark);
			o->rtmark_set = true;
			break;
		case OPT_LOGLEVEL:
			if (parse_uint("--loglevel", optarg, 0, 2, &v) < 0)
				bad = -1;
			o->loglevel = (int)v;
			break;
		case OPT_MISSING_WINDOW:
			bad |= uint_opt("--missing-window", optarg, 1,
			    1000000, &o->missing_window);
			break;
		case OPT_WINDOW:
			bad |= uint_opt("--window", optarg, 1, 65535,
			    &o->window);
			break;
		case OPT_RUNDIR:
			bad |= rundir_opt(o, optarg);
			break;
		case OPT_PPPD:
			if (optarg[0] != '/') {
				log_warnx("--pppd: '%s' is not an absolute "
				    "path", optarg);
				bad = -1;
			}
			set_str(&o->pppd_path, optarg);
			break;
		case OPT_NOHOSTROUTE:
			o->nohostroute = true;
			break;
		case OPT_USER:
			set_str(&o->user, optarg);
			break;
		case OPT_NOSANDBOX:
			o->nosandbox = true;
			break;
		case OPT_TEST_TYPE:
			if (parse_lead_long("--test-type", optarg, 10,
			    &n) < 0) {
				bad = -1;
				break;
			}
			if (n < 0 || n > 3) {
				log_warnx("--test-type: no test %s: packets go "
				    "in order, as with the classic pptp",
				    optarg);
				n = 0;
			}
			o->test_type = (unsigned)n;
			break;
		case OPT_TEST_RATE:
			if (classic_num("--test-rate", optarg, 0, 1000000,
			    &n) < 0) {
				bad = -1;
				break;
			}
			if (n == 0)
				log_warnx("--test-rate 0: no test: packets go "
				    "in order, as with the classic pptp");
			o->test_rate = (unsigned)n;
			break;
		case OPT_STATUS:
			o->status = true;
			break;
		case OPT_DIAGNOSE:
			o->diagnose = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_VERSION:
			printf("pptp version %s\n", PPTP_VERSION);
			return 1;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			return 1;
		default:
			bad = -1;
			break;
		}
	}
	if (bad)
		return -1;
	if (o->test_rate == 0)
		o->test_type = 0;
	if (o->json && !o->status && !o->diagnose) {
		log_warnx("--json goes with --status or --diagnose");
		return -1;
	}
	if (o->status && o->diagnose) {
		log_warnx("--status and --diagnose do not go together");
		return -1;
	}
	if (o->status) {
		/* pptp --status [HOST] */
		if (argc - optind > 1) {
			log_warnx("--status takes at most one server, not '%s'",
			    argv[optind + 1]);
			return -1;
		}
		if (optind < argc)
			set_str(&o->server, argv[optind]);
		return 0;
	}
	if (optind >= argc) {
		log_warnx("no server given");
		return -1;
	}
	set_str(&o->server, argv[optind]);
	/* The rest is for pppd, as given. */
	o->pppd_nargs = argc - optind - 1;
	o->pppd_args = calloc((size_t)o->pppd_nargs + 1, sizeof(char *));
	if (o->pppd_args == NULL)
		fatal("calloc");
	for (int i = 0; i < o->pppd_nargs; i++)
		o->pppd_args[i] = (char *)(uintptr_t)keep(argv[optind + 1 + i]);
	return 0;
}

static void
opts_free(struct pptp_opts *o)
{
	const char **strs[] = { &o->server, &o->phone, &o->quirks,
	    &o->logstring, &o->localbind, &o->rundir, &o->client_hostname,
	    &o->user, &o->pppd_path };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free((char *)(uintptr_t)*strs[i]);
		*strs[i] = NULL;
	}
	for (int i = 0; i < o->pppd_nargs; i++)
		free(o->pppd_args[i]);
	free(o->pppd_args);
	o->pppd_args = NULL;
	o->pppd_nargs = 0;
}

static volatile sig_atomic_t got_signal, got_usr1;

static volatile sig_atomic_t resolving;

static void
on_signal(int sig)
{
	static const char words[] = "pptp: signal while resolving the "
	    "server: giving up\n";

	got_signal = sig;
	/*
	 * getaddrinfo() may wait on DNS for seconds and is not interrupted;
	 * nothing is set up yet, so a stop signal ends the command at once.
	 */
	if (resolving && sig != SIGUSR1) {
		if (write(STDERR_FILENO, words, sizeof(words) - 1) < 0)
			_exit(PPTP_EXIT_OK);
		_exit(PPTP_EXIT_OK);
	}
}

/* Statistics: there are none before the gateway runs. */
static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/*
 * From the first instruction: SIGTERM, SIGINT and SIGHUP set the flag
 * every wait acts on, SIGUSR1 is harmless before a call is up.  Once the
 * server is resolved they stay blocked but inside ppoll (and in a
 * forked call manager until its handlers are set).
 */
static void
signals_init(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction su = { .sa_handler = on_usr1 };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &su, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);	/* a parent's SIG_IGN: we wait */
}

/* The mask for waiting: the present one, stop signals let through. */
static void
wait_mask(sigset_t *m)
{
	sig_waitmask(m, SIGTERM, SIGINT, SIGHUP, SIGUSR1, 0);
}

/*
 * Ask the call manager for a call and wait for its answer.  Returns the
 * exit status; on PPTP_EXIT_OK *up holds the call.  With --nolaunchpppd,
 * pppd hanging up meanwhile (its end of stdin) ends the wait: no one is
 * left to carry the call.
 *
 * Two deadlines (pptp(8) DEADLINES): the manager reads the request
 * within RDV_ANSWER_MS (told by the bytes it left unread, SIOCOUTQ), or
 * it is stopped or stuck; and it answers by end, place_ms() after the
 * attempt began: twice what it waits for the server itself (a call
 * placed again on a connection of its own once).  One deadline for the
 * whole attempt, the calls placed again (ATTACH_TRIES) included, so that
 * a manager that hangs up just short of it holds pptp no longer.
 */
static bool pppd_gone;

static uint64_t
place_ms(const struct pptp_opts *o)
{
	return 2 * ((uint64_t)o->connect_timeout_s + 2 *
	    (uint64_t)o->reply_timeout_s) * 1000 + 5000;
}

/* Has the manager read all we sent?  Where it cannot be told: yes. */
static bool
all_read(int fd)
{
	int n = 0;

	return ioctl(fd, SIOCOUTQ, &n) < 0 || n == 0;
}

/* The attempt's deadline is past: said once, the same way each time. */
static int
no_answer(const struct pptp_opts *o)
{
	log_warnx("no answer from the call manager for %s in %llu s: giving "
	    "up", o->server, (unsigned long long)(place_ms(o) / 1000));
	return PPTP_EXIT_ERROR;
}

static int
place_call(const struct pptp_opts *o, int fd, struct cm_msg *up,
    uint64_t end)
{
	struct cm_msg m = { .type = CM_CALL_REQ };
	struct pollfd pfd[2] = { { fd, POLLIN, 0 },
	    { o->nolaunchpppd ? 0 : -1, 0, 0 } };
	struct ipc_msg raw;
	sigset_t waitmask;
	uint64_t taken_by = now_ms() + RDV_ANSWER_MS;
	bool taken = false;
	int r;

	m.req.window = (uint16_t)o->window;
	m.req.ppd = 0;
	m.req.sync = o->sync;
	snprintf(m.req.phone, sizeof(m.req.phone), "%s", o->phone);
	if (taken_by > end)
		taken_by = end;
	if (cm_send(fd, &m, -1, taken_by) < 0) {
		if (errno != ETIMEDOUT)
			return PPTP_EXIT_RETRY;
		taken_by = 0;	/* not even room for it: said below */
	}

	wait_mask(&waitmask);
	for (;;) {
		uint64_t now = now_ms(), due;
		struct timespec ts;

		if (got_signal) {
			log_info("signal %d while placing the call: giving up",
			    (int)got_signal);
			return PPTP_EXIT_OK;
		}
		taken = taken || (taken_by != 0 && all_read(fd));
		if (now >= end)
			return no_answer(o);
		if (!taken && now >= taken_by) {
			log_warnx("the call manager for %s has not taken the "
			    "call request in %d s (it is stopped or stuck): "
			    "giving up", o->server, RDV_ANSWER_MS / 1000);
			return PPTP_EXIT_ERROR;
		}
		/* until it is taken, looked at every 20 ms */
		due = taken ? end : now + 20 < taken_by ? now + 20 : taken_by;
		ts = (struct timespec){ (time_t)((due - now) / 1000),
		    (long)((due - now) % 1000) * 1000000 };
		if (ppoll(pfd, 2, &ts, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[1].revents & (POLLHUP | POLLERR)) {
			log_info("pppd hung up while the call was placed: "
			    "giving up");
			pppd_gone = true;
			return PPTP_EXIT_OK;
		}
		if (pfd[1].revents & POLLNVAL)
			pfd[1].fd = -1;
		if (pfd[0].revents == 0)
			continue;
		r = cm_recv(fd, up, &raw, IPC_NOWAIT);
		if (raw.fd >= 0)
			close(raw.fd);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0 && errno == EBADMSG) {
			log_warnx("bad message from the call manager (%zu "
			    "bytes)", raw.size);
			return PPTP_EXIT_ERROR;
		}
		if (r <= 0)
			return PPTP_EXIT_RETRY;
		switch (up->type) {
		case CM_CALL_UP:
			return PPTP_EXIT_OK;
		case CM_CALL_DOWN: {
			int st = callmgr_down(up);

			return st != PPTP_EXIT_OK ? st : PPTP_EXIT_HANGUP;
		}
		default:
			break;	/* SLI before the call is up: nothing to do */
		}
	}
}

/*
 * What the call will need, checked before anything goes to the server:
 * without it the server would see a call come up and go at once.
 */
static int
can_set_up(const struct pptp_opts *o)
{
	/* IPv4 only: IPv6 would probe the server's family's socket. */
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_GRE);

	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		log_warn("needs root, or CAP_NET_RAW, to open its raw GRE "
		    "socket (IP protocol 47)");
		return -1;
	}
	if (fd >= 0)
		close(fd);
	if (!o->nolaunchpppd && access(o->pppd_path, X_OK) < 0) {
		log_warn("cannot run pppd %s (--pppd names another)",
		    o->pppd_path);
		return -1;
	}
	if ((!o->nohostroute || o->rtmark_set) && !sandbox_have_cap(CAP_NET_ADMIN)) {
		log_warnx("needs root, or CAP_NET_ADMIN, to %s",
		    o->rtmark_set ? "mark its packets (--rtmark)" :
		    "add the host route to the server (or --nohostroute)");
		return -1;
	}
	return 0;
}

/* Place the call on the first address that answers; run its gateway. */
static int
run(struct pptp_opts *po)
{
	const struct pptp_opts o = *po;
	struct pptp_addr addrs[RESOLVE_MAX];
	int naddrs, status = PPTP_EXIT_CONNECT;

	test_pause("start");
	if (can_set_up(&o) < 0)
		return PPTP_EXIT_ERROR;
	if (o.nolaunchpppd && o.pppd_nargs > 0)
		log_warnx("pppd options ignored with --nolaunchpppd (first: "
		    "'%s'): give them to pppd", o.pppd_args[0]);
	resolving = 1;
	naddrs = got_signal ? 0 : resolve_server(o.server, addrs,
	    RESOLVE_MAX);
	resolving = 0;
	test_pause("resolved");
	/* No wait from here on misses a signal; nothing is set up yet. */
	sig_block(NULL, NULL, SIGTERM, SIGINT, SIGHUP, SIGUSR1, 0);
	if (got_signal) {
		log_info("signal %d before the call: giving up",
		    (int)got_signal);
		return PPTP_EXIT_OK;
	}
	for (int i = 0; i < naddrs; i++) {
		struct cm_msg up;
		struct gre_call call;
		uint64_t end = now_ms() + place_ms(&o);
		int fd = -1;

		for (int t = 0; t < ATTACH_TRIES; t++) {
			fd = rdv_attach(&o, &addrs[i], &got_signal, end);
			if (fd < 0) {
				status = got_signal ? PPTP_EXIT_OK :
				    errno == ETIME ? no_answer(&o) :
				    PPTP_EXIT_ERROR;
				break;
			}
			test_pause("attached");
			status = place_call(&o, fd, &up, end);
			if (status != PPTP_EXIT_RETRY)
				break;
			close(fd);
			fd = -1;
		}
		if (status == PPTP_EXIT_RETRY) {
			log_warnx("call manager for %s keeps going away",
			    o.server);
			status = PPTP_EXIT_ERROR;
		}
		if (status != PPTP_EXIT_OK || got_signal || pppd_gone) {
			if (fd >= 0)
				close(fd);
			if (status == PPTP_EXIT_CONNECT && !got_signal)
				continue;	/* the next address */
			return status;
		}
		call = (struct gre_call){ .server = addrs[i],
		    .call_id = up.up.call_id,
		    .peer_call_id = up.up.peer_call_id,
		    .peer_window = up.up.peer_window, .pty_slave = -1,
		    .report_fd = -1 };
		test_pause("call-up");
		status = launch_run(&o, &call, fd, &got_signal, &got_usr1);
		close(fd);
		return status;
	}
	return status;
}

/*
 * pptp --diagnose: no terminal goes into its sandbox.  Its report and
 * its log reach stdout and stderr through relays (relay.h); stdin is
 * /dev/null (it reads none).
 */
static int
diagnose_start(struct pptp_opts *o)
{
	int null;

	if (o->sandbox.on) {
		null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 0) < 0) {
			log_warn("cannot open /dev/null");
			return PPTP_EXIT_ERROR;
		}
		close(null);
		if (relay_start(&o->sandbox) < 0 ||
		    relay_start_stdout(&o->sandbox) < 0)
			return PPTP_EXIT_ERROR;
		relay_stderr_close();	/* no pppd to have it */
	}
	return diagnose_main(o);
}

int
main(int argc, char **argv)
{
	struct pptp_opts o;
	int status;

	/*
	 * Nothing inherited beyond stdio: whatever else our parent left
	 * open would reach the call manager and the gateway (pptp(8)
	 * SECURITY lists what they keep).
	 */
	close_range(3, ~0U, 0);
	/* 0, 1 and 2 taken, so that no socket or pipe of ours lands there */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", O_RDWR) != fd)
			return PPTP_EXIT_ERROR;
	signals_init();
	/* Measure argv for process titles before getopt reorders it. */
	proc_title_init(argc, argv);
	log_init(NULL, true, LOG_LEVEL_DEFAULT);
	switch (parse_args(argc, argv, &o)) {
	case 1:
		status = PPTP_EXIT_OK;
		break;
	case -1:
		fprintf(stderr, "usage: pptp HOST [pptp options] [[--] pppd "
		    "options]; pptp --help for more\n");
		status = PPTP_EXIT_USAGE;
		break;
	default:
		/* Until the call is up (or for good, with --debug or from
		   pppd's pty, where stderr is pppd's log) stderr too. */
		log_init(o.logstring, true, o.loglevel);
		if (o.status)
			status = status_main(&o);
		else if (o.diagnose && sandbox_prepare(&o.sandbox, o.user,
		    o.nosandbox) == 0)
			status = diagnose_start(&o);
		/* the user to become, looked up while the files are there */
		else if (sandbox_prepare(&o.sandbox, o.user, o.nosandbox) < 0)
			status = PPTP_EXIT_ERROR;
		/* the user's stderr stays out of the sandboxes (relay.h) */
		else if (relay_start(&o.sandbox) < 0)
			status = PPTP_EXIT_ERROR;
		else
			status = run(&o);
		break;
	}
	opts_free(&o);
	return status;
}

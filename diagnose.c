// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptp --diagnose HOST (diagnose.h, pptp(8) DIAGNOSE): the Diagnosis
 * HOWTO run by the client.  Stages in order: name, local, tcp, control,
 * call, gre, clear; a line each, then the verdict.  The control
 * connection is the call manager's state machine (pptp_ctrl.c) fed from
 * here; GRE is the codec of gre_hdr.c with a PPP LCP Configure-Request
 * inside.  Nothing is kept: the call is cleared and the connection
 * stopped on every way out, no route is added, no file written.
 *
 * Privileged first (the name, the local checks, pppd --version, the TCP
 * and raw GRE sockets), then the process enters the sandbox (SB_DIAGNOSE)
 * before it connects: everything that reads what the network sends runs
 * as the unprivileged user, without capabilities, under the filter.
 */
#include "diagnose.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/capability.h>
#include <linux/errqueue.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "gre_hdr.h"
#include "pptp_ctrl.h"
#include "pptp_msg.h"
#include "pptp_quirks.h"
#include "sandbox.h"
#include "util.h"

#ifndef IPPROTO_GRE
#define IPPROTO_GRE	47
#endif

#define PPTP_PORT	1723
#define NSTAGES		8
#define DETAIL_LEN	700
#define LCP_PROTO	0xc021

struct stage {
	const char	*name;
	bool		 ok;
	double		 secs;
	char		 detail[DETAIL_LEN];
};

struct diag {
	const struct pptp_opts *o;
	struct stage	 st[NSTAGES];
	int		 nst;
	int		 status;		/* the first failure's */
	const char	*failed;		/* its stage */
	char		 cause[DETAIL_LEN];
	char		 fix[DETAIL_LEN];
	char		 missing[400];		/* what pppd's side lacks */
	char		 missing_fix[400];
	struct pptp_addr server;
	char		 addr[ADDR_STRLEN];
	int		 tcp, gre, gre_errno;
	int		 ct_fd;			/* /proc/net/nf_conntrack */
	bool		 ct_pptp_loaded;	/* nf_conntrack_pptp */
	/* the control connection */
	struct ctrl_conn ctrl;
	struct ctrl_call *call;
	bool		 call_up, call_down, cleared, cleared_by_cdn;
	int		 call_status;
	char		 call_why[300];
	enum { END_NONE, END_INPUT, END_TIMER, END_TCP } dead_by;
	bool		 in_input;
	bool		 clearing;	/* a stop signal no longer stops */
	/* GRE */
	uint32_t	 seq, peer_seq;
	bool		 have_peer_seq;
	uint32_t	 magic;
	uint8_t		 lcp_id;
	uint64_t	 sent_us[256];		/* each id's Configure-Request */
	unsigned	 rx, rx_bad, sent;
	char		 rx_bad_why[120];
	bool		 server_req, replied, echoed;
	uint8_t		 reply_code;
	uint64_t	 first_rx_ms, rtt_us;		/* 0: none yet */
	char		 icmp[160];
	char		 other_ppp[80];
};

static volatile sig_atomic_t stop_sig;

static void
on_stop(int sig)
{
	stop_sig = sig;
}

/* --- output -------------------------------------------------------- */

/* s as the body of a JSON string: quote, backslash, controls escaped. */
static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* Microseconds on CLOCK_MONOTONIC: round trips on a LAN are short. */
static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static double
secs_since(uint64_t t0)
{
	return (double)(now_ms() - t0) / 1000.0;
}

static void __attribute__((format(printf, 5, 6)))
stage(struct diag *d, const char *name, bool ok, uint64_t t0,
    const char *fmt, ...)
{
	struct stage *s;
	va_list ap;

	if (d->nst >= NSTAGES)
		return;
	s = &d->st[d->nst++];
	s->name = name;
	s->ok = ok;
	s->secs = secs_since(t0);
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
	if (!d->o->json) {
		printf("%-7s %-4s %s (%.3f s)\n", s->name, ok ? "ok" : "FAIL",
		    s->detail, s->secs);
		fflush(stdout);
	}
}

/* The first failure names the verdict; later ones only add a stage. */
static void __attribute__((format(printf, 5, 6)))
fail(struct diag *d, const char *name, int status, const char *fix,
    const char *fmt, ...)
{
	va_list ap;

	if (d->failed != NULL)
		return;
	d->failed = name;
	d->status = status;
	va_start(ap, fmt);
	vsnprintf(d->cause, sizeof(d->cause), fmt, ap);
	va_end(ap);
	snprintf(d->fix, sizeof(d->fix), "%s", fix);
}

static void
verdict(struct diag *d)
{
	char cause[2 * DETAIL_LEN], fix[2 * DETAIL_LEN];
	bool ok = d->failed == NULL && d->missing[0] == '\0';

	if (ok) {
		snprintf(cause, sizeof(cause), "every stage passed: %s "
		    "answers as a PPTP server, takes a call, and GRE passes "
		    "both ways", d->o->server);
		snprintf(fix, sizeof(fix), "nothing to fix on the way; what "
		    "remains is pppd's: the user name and password the "
		    "server expects (MS-CHAP v2) and MPPE (require-mppe-128)");
	} else if (d->failed == NULL) {
		d->status = PPTP_EXIT_DIAG_LOCAL;
		snprintf(cause, sizeof(cause), "the way to %s works (every "
		    "network stage passed), but this machine cannot run the "
		    "tunnel yet: it lacks %s", d->o->server, d->missing);
		snprintf(fix, sizeof(fix), "%s", d->missing_fix);
	} else if (d->missing[0] != '\0') {
		snprintf(cause, sizeof(cause), "%s; besides, this machine "
		    "lacks %s", d->cause, d->missing);
		snprintf(fix, sizeof(fix), "%s; and %s", d->fix,
		    d->missing_fix);
	} else {
		snprintf(cause, sizeof(cause), "%s", d->cause);
		snprintf(fix, sizeof(fix), "%s", d->fix);
	}
	if (!d->o->json) {
		if (ok)
			printf("verdict: ok: %s. Next: %s.\n", cause, fix);
		else
			printf("verdict: FAIL at %s: %s. Fix: %s.\n",
			    d->failed != NULL ? d->failed : "local", cause,
			    fix);
		fflush(stdout);
		return;
	}
	printf("{\"host\": ");
	json_str(stdout, d->o->server);
	printf(", \"verdict\": \"%s\", \"stages\": [", ok ? "ok" : "fail");
	for (int i = 0; i < d->nst; i++) {
		printf("%s{\"name\": ", i ? ", " : "");
		json_str(stdout, d->st[i].name);
		printf(", \"ok\": %s, \"detail\": ", d->st[i].ok ? "true" :
		    "false");
		json_str(stdout, d->st[i].detail);
		printf(", \"seconds\": %.3f}", d->st[i].secs);
	}
	printf("], \"cause\": ");
	json_str(stdout, cause);
	printf(", \"fix\": ");
	json_str(stdout, fix);
	printf("}\n");
	fflush(stdout);
}

/* why without its leading prefix, if it has it (no words said twice). */
static const char *
unprefixed(const char *why, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(why, prefix, n) == 0 ? why + n : why;
}

/* --- name ------------------------------------------------------------ */

static bool
stage_name(struct diag *d)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM }, *res, *ai;
	char list[400] = "", a[ADDR_STRLEN];
	uint64_t t0 = now_ms();
	size_t n = 0;
	int e;

	e = getaddrinfo(d->o->server, NULL, &hints, &res);
	if (e != 0) {
		stage(d, "name", false, t0, "%s does not resolve: %s",
		    d->o->server, e == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(e));
		fail(d, "name", PPTP_EXIT_DIAG_NAME, "check the server's name "
		    "(a typing error?) and this machine's DNS (resolv.conf)",
		    "the name %s does not resolve", d->o->server);
		return false;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pptp_addr pa;

		if (addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &pa) < 0)
			continue;
		addr_ntop(&pa, a, sizeof(a));
		if (strstr(list, a) == NULL && n + strlen(a) + 3 <
		    sizeof(list))
			n += (size_t)snprintf(list + n, sizeof(list) - n,
			    "%s%s", n ? ", " : "", a);
		/* IPv4 only: the first IPv4 address is the one used */
		if (pa.family == AF_INET && !addr_is_set(&d->server)) {
			d->server = pa;
			d->server.port = 0;
		}
	}
	freeaddrinfo(res);
	if (!addr_is_set(&d->server)) {
		stage(d, "name", false, t0, "%s resolves to %s: no IPv4 "
		    "address", d->o->server, list);
		fail(d, "name", PPTP_EXIT_DIAG_NAME, "give the server's IPv4 "
		    "address or a name with one (pptp carries IPv4 only)",
		    "%s has no IPv4 address", d->o->server);
		return false;
	}
	addr_ntop(&d->server, d->addr, sizeof(d->addr));
	stage(d, "name", true, t0, "%s resolves to %s; using %s",
	    d->o->server, list, d->addr);
	return true;
}

/* --- local ------------------------------------------------------------ */

/* Does a line of file contain needle? */
static bool
file_has(const char *path, const char *needle)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* Is kernel module name loaded, built in, or loadable?  Words in out. */
static bool
kmod_state(const char *name, char *out, size_t outsz)
{
	char path[300], needle[80];
	struct utsname u;
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	snprintf(needle, sizeof(needle), "%s ", name);
	if (stat(path, &st) == 0 || file_has("/proc/modules", needle)) {
		snprintf(out, outsz, "%s loaded", name);
		return true;
	}
	if (uname(&u) == 0) {
		snprintf(needle, sizeof(needle), "/%s.ko", name);
		snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin",
		    u.release);
		if (file_has(path, needle)) {
			snprintf(out, outsz, "%s built in", name);
			return true;
		}
		snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep",
		    u.release);
		if (file_has(path, needle)) {
			snprintf(out, outsz, "%s loadable", name);
			return true;
		}
	}
	snprintf(out, outsz, "no %s", name);
	return false;
}

static void
add_missing(struct diag *d, const char *what, const char *fix)
{
	size_t n = strlen(d->missing), m = strlen(d->missing_fix);

	snprintf(d->missing + n, sizeof(d->missing) - n, "%s%s",
	    n ? ", " : "", what);
	snprintf(d->missing_fix + m, sizeof(d->missing_fix) - m, "%s%s",
	    m ? "; " : "", fix);
}

/* The route's interface and gateway from /proc/net/route (main table). */
static void
route_words(const struct diag *d, const char *src_if, char *out,
    size_t outsz)
{
	char line[256], ifn[64], best_if[64] = "";
	unsigned dst, gw, flags, mask, best_gw = 0;
	int metric, best_len = -1, best_metric = 0;
	uint32_t to = d->server.u.v4.s_addr;
	FILE *f = fopen("/proc/net/route", "re");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		int len;

		if (sscanf(line, "%63s %x %x %x %*d %*d %d %x", ifn, &dst, &gw,
		    &flags, &metric, &mask) != 6 || !(flags & 1) ||
		    (to & mask) != dst)
			continue;
		len = __builtin_popcount(mask);
		if (len > best_len || (len == best_len &&
		    metric < best_metric)) {
			best_len = len;
			best_metric = metric;
			best_gw = gw;
			snprintf(best_if, sizeof(best_if), "%s", ifn);
		}
	}
	if (f != NULL)
		fclose(f);
	if (best_len < 0) {
		snprintf(out, outsz, "dev %s", src_if);
	} else if (best_gw != 0) {
		struct pptp_addr g = { .family = AF_INET };
		char a[ADDR_STRLEN];

		g.u.v4.s_addr = best_gw;
		snprintf(out, outsz, "via %s dev %s", addr_ntop(&g, a,
		    sizeof(a)), best_if);
	} else {
		snprintf(out, outsz, "dev %s (on link)", best_if);
	}
}

/*
 * The way to the server as the kernel would take it: a UDP socket
 * connected there (nothing is sent) gives the source address and the
 * path MTU.  Returns the words, or the reason there is no way.
 */
static bool
local_route(struct diag *d, char *out, size_t outsz)
{
	struct pptp_addr to = d->server, src;
	struct sockaddr_storage ss;
	socklen_t len;
	char a[ADDR_STRLEN], route[120], ifname[64] = "?";
	struct ifaddrs *ifs, *i;
	int fd, mtu = 0, hdr = 20 + 16 + 4;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(out, outsz, "no socket: %s", strerror(errno));
		return false;
	}
	if (d->o->rtmark_set)
		(void)setsockopt(fd, SOL_SOCKET, SO_MARK, &d->o->rtmark,
		    sizeof(d->o->rtmark));
	if (d->o->localbind != NULL) {
		struct pptp_addr lb;

		if (addr_pton(AF_INET, d->o->localbind, &lb) == 0)
			(void)bind(fd, (struct sockaddr *)&ss,
			    addr_to_sockaddr(&lb, &ss));
	}
	to.port = PPTP_PORT;
	len = addr_to_sockaddr(&to, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		snprintf(out, outsz, "no route to %s: %s", d->addr,
		    strerror(errno));
		close(fd);
		return false;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    addr_from_sockaddr((struct sockaddr *)&ss, len, &src) < 0)
		src.family = AF_UNSPEC;
	len = sizeof(mtu);
	/* IPv4 only: IP_MTU, and 20 bytes of IP header below */
	if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len) < 0)
		mtu = 0;
	close(fd);
	if (getifaddrs(&ifs) == 0) {
		for (i = ifs; i != NULL; i = i->ifa_next) {
			struct pptp_addr ia;

			if (i->ifa_addr == NULL || i->ifa_addr->sa_family !=
			    AF_INET || addr_from_sockaddr(i->ifa_addr,
			    sizeof(struct sockaddr_in), &ia) < 0)
				continue;
			ia.port = src.port;
			if (addr_eq(&ia, &src)) {
				snprintf(ifname, sizeof(ifname), "%s",
				    i->ifa_name);
				break;
			}
		}
		freeifaddrs(ifs);
	}
	route_words(d, ifname, route, sizeof(route));
	if (mtu >= 576)
		snprintf(out, outsz, "route to %s %s, source %s; path MTU %d: "
		    "pppd mtu and mru of at most %d keep GRE unfragmented "
		    "(%d - IP 20 - GRE 16 - PPP 4; with MPPE %d, its 4 more)",
		    d->addr, route, addr_ntop(&src, a, sizeof(a)), mtu,
		    mtu - hdr, mtu, mtu - hdr - 4);
	else
		snprintf(out, outsz, "route to %s %s, source %s; path MTU "
		    "unknown", d->addr, route, addr_ntop(&src, a, sizeof(a)));
	return true;
}

/* pppd --version, bounded; its version words in out. */
static bool
pppd_version(const char *path, char *out, size_t outsz)
{
	char buf[256] = "", *v, *e;
	size_t have = 0;
	int p[2], null;
	pid_t pid;
	uint64_t due = now_ms() + DIAG_PPPD_WAIT_MS;

	if (access(path, X_OK) < 0) {
		snprintf(out, outsz, "no pppd at %s: %s", path,
		    strerror(errno));
		return false;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(out, outsz, "pppd %s (version not asked)", path);
		return true;
	}
	pid = fork();
	if (pid == 0) {
		char *const argv[] = { (char *)(uintptr_t)path, "--version",
		    NULL };
		char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		    NULL };

		null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execve(path, argv, envp);
		_exit(127);
	}
	close(p[1]);
	while (pid > 0 && have < sizeof(buf) - 1) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= due || poll(&pfd, 1, (int)(due - now)) <= 0)
			break;
		n = read(p[0], buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	close(p[0]);
	if (pid > 0) {
		if (waitpid(pid, NULL, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
		}
	}
	v = strstr(buf, "version ");
	if (v != NULL) {
		v += 8;
		e = v + strcspn(v, " \r\n");
		snprintf(out, outsz, "pppd %s, version %.*s", path,
		    (int)(e - v), v);
	} else {
		snprintf(out, outsz, "pppd %s (no version from --version)",
		    path);
	}
	return true;
}

static void
stage_local(struct diag *d)
{
	char route[400], priv[80], ppp[120], mppe[80], pppd[200], lib[80];
	uint64_t t0 = now_ms();
	bool route_ok, ppp_ok, mppe_ok, pppd_ok, root;
	struct stat st;

	route_ok = local_route(d, route, sizeof(route));
	root = geteuid() == 0;
	if (root)
		snprintf(priv, sizeof(priv), "root");
	else if (sandbox_have_cap(CAP_NET_RAW) &&
	    sandbox_have_cap(CAP_NET_ADMIN))
		snprintf(priv, sizeof(priv), "CAP_NET_RAW and CAP_NET_ADMIN");
	else
		snprintf(priv, sizeof(priv), "not root");
	if (stat("/dev/ppp", &st) == 0 && S_ISCHR(st.st_mode)) {
		snprintf(ppp, sizeof(ppp), "/dev/ppp");
		ppp_ok = true;
	} else {
		ppp_ok = kmod_state("ppp_generic", lib, sizeof(lib));
		snprintf(ppp, sizeof(ppp), "no /dev/ppp, %s", lib);
	}
	mppe_ok = kmod_state("ppp_mppe", mppe, sizeof(mppe));
	pppd_ok = pppd_version(d->o->pppd_path, pppd, sizeof(pppd));
	if (!root && priv[0] == 'n')
		add_missing(d, "root's privileges", "run pptp (and pppd) as "
		    "root");
	if (!ppp_ok)
		add_missing(d, "PPP in the kernel (no /dev/ppp, no "
		    "ppp_generic)", "load the kernel's PPP support "
		    "(modprobe ppp_generic; in a container, pass /dev/ppp "
		    "in)");
	if (!mppe_ok)
		add_missing(d, "MPPE in the kernel (ppp_mppe)", "load "
		    "ppp_mppe (modprobe ppp_mppe), or use a kernel built "
		    "with CONFIG_PPP_MPPE");
	if (!pppd_ok)
		add_missing(d, "pppd", "install pppd (Debian: ppp), or name "
		    "it with --pppd");
	stage(d, "local", route_ok && d->missing[0] == '\0', t0,
	    "%s; privileges: %s; PPP: %s; MPPE: %s; %s", route, priv, ppp,
	    mppe, pppd);
	if (!route_ok)
		fail(d, "local", PPTP_EXIT_DIAG_TCP, "check this machine's "
		    "network connection and routes (ip route get ADDRESS)",
		    "this machine has no route to %s", d->addr);
}

/* --- the control connection's owner ----------------------------------- */

static void
cb_call_up(void *arg, struct ctrl_call *call)
{
	struct diag *d = arg;

	(void)call;
	d->call_up = true;
}

static void
cb_call_down(void *arg, struct ctrl_call *call, int status, const char *why)
{
	struct diag *d = arg;

	(void)call;
	d->call_down = true;
	d->call_status = status;
	snprintf(d->call_why, sizeof(d->call_why), "%s", why);
	d->call = NULL;
}

static void
cb_sli(void *arg, struct ctrl_call *call, uint32_t s, uint32_t r)
{
	(void)arg;
	(void)call;
	(void)s;
	(void)r;
}

static void
cb_cleared(void *arg, void *owner)
{
	struct diag *d = arg;

	(void)owner;
	d->cleared = true;
	d->cleared_by_cdn = d->in_input;
	d->call = NULL;
}

static const struct ctrl_ops diag_ops = { cb_call_up, cb_call_down, cb_sli,
    cb_cleared, NULL };

static void gre_input(struct diag *d);
static void gre_errors(struct diag *d);
static void gre_send_lcp(struct diag *d);

/* What ctrl has to say, written while the socket takes it. */
static void
ctrl_flush(struct diag *d)
{
	const uint8_t *p;
	size_t n;

	while (d->ctrl.state != CTRL_DEAD &&
	    (n = ctrl_output(&d->ctrl, &p)) > 0) {
		ssize_t w = send(d->tcp, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (w < 0) {
			char why[160];

			snprintf(why, sizeof(why), "cannot write to the "
			    "server: %s", strerror(errno));
			d->dead_by = END_TCP;
			ctrl_tcp_closed(&d->ctrl, PPTP_EXIT_HANGUP, why);
			return;
		}
		ctrl_output_done(&d->ctrl, (size_t)w);
	}
}

/*
 * Run the connection (and GRE, when gre_on) until done says so, the
 * connection is dead, a stop signal came, or until the deadline.
 * Returns whether done said so.
 */
static bool
pump(struct diag *d, bool (*done)(struct diag *), uint64_t deadline,
    bool gre_on, uint64_t *next_lcp)
{
	for (;;) {
		struct pollfd pfd[2] = { { d->tcp, POLLIN, 0 },
		    { gre_on ? d->gre : -1, POLLIN, 0 } };
		uint64_t now, until = deadline, dl;
		const uint8_t *p;
		uint8_t buf[4096];
		ssize_t n;
		enum ctrl_state before;

		ctrl_flush(d);
		if (done(d))
			return true;
		if (d->ctrl.state == CTRL_DEAD || (stop_sig && !d->clearing))
			return false;
		now = now_ms();
		if (now >= deadline)
			return false;
		if (gre_on && next_lcp != NULL && now >= *next_lcp) {
			gre_send_lcp(d);
			*next_lcp = now + DIAG_LCP_EVERY_MS;
		}
		if (gre_on && next_lcp != NULL && *next_lcp < until)
			until = *next_lcp;
		dl = ctrl_next_deadline(&d->ctrl);
		if (dl != 0 && dl < until)
			until = dl;
		if (ctrl_output(&d->ctrl, &p) > 0)
			pfd[0].events |= POLLOUT;
		if (poll(pfd, 2, until > now ? (int)(until - now) : 0) < 0 &&
		    errno != EINTR)
			fatal("diagnose: poll");
		if (pfd[1].revents & POLLERR)
			gre_errors(d);
		if (pfd[1].revents & POLLIN)
			gre_input(d);
		before = d->ctrl.state;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(d->tcp, buf, sizeof(buf), MSG_DONTWAIT);
			if (n > 0) {
				d->in_input = true;
				ctrl_input(&d->ctrl, buf, (size_t)n, now_ms());
				d->in_input = false;
				if (before != CTRL_DEAD &&
				    d->ctrl.state == CTRL_DEAD)
					d->dead_by = END_INPUT;
			} else if (n == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				char why[160];

				snprintf(why, sizeof(why), "the server closed "
				    "the connection%s%s", n == 0 ? "" : ": ",
				    n == 0 ? "" : strerror(errno));
				d->dead_by = END_TCP;
				ctrl_tcp_closed(&d->ctrl, PPTP_EXIT_HANGUP,
				    why);
			}
		}
		before = d->ctrl.state;
		ctrl_timer(&d->ctrl, now_ms());
		if (before != CTRL_DEAD && d->ctrl.state == CTRL_DEAD)
			d->dead_by = END_TIMER;
	}
}

/* --- tcp -------------------------------------------------------------- */

static const char *
connect_words(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return "refused: nothing listens on port 1723 there, or a "
		    "firewall rejects it";
	case ENETUNREACH:
		return "ICMP network unreachable: no router knows the way";
	case EHOSTUNREACH:
		return "ICMP host unreachable (or administratively "
		    "prohibited): the host is down or a firewall rejects "
		    "it";
	case EACCES:
	case EPERM:
		return "refused by this machine's own firewall";
	default:
		return strerror(err);
	}
}

static bool
stage_tcp(struct diag *d)
{
	struct pptp_addr to = d->server;
	struct sockaddr_storage ss;
	socklen_t sl;
	uint64_t t0 = now_ms(), due = t0 + d->o->connect_timeout_s * 1000ULL;
	int err = 0;

	to.port = PPTP_PORT;
	sl = addr_to_sockaddr(&to, &ss);
	if (connect(d->tcp, (struct sockaddr *)&ss, sl) < 0) {
		err = errno;
		while (err == EINPROGRESS || err == EINTR) {
			struct pollfd pfd = { d->tcp, POLLOUT, 0 };
			uint64_t now = now_ms();
			socklen_t len = sizeof(err);

			if (stop_sig || now >= due) {
				err = ETIMEDOUT;
				break;
			}
			if (poll(&pfd, 1, (int)(due - now)) <= 0)
				continue;
			if (getsockopt(d->tcp, SOL_SOCKET, SO_ERROR, &err,
			    &len) < 0)
				err = errno;
		}
	}
	if (err == 0) {
		stage(d, "tcp", true, t0, "connected to %s port %d", d->addr,
		    PPTP_PORT);
		return true;
	}
	if (stop_sig) {
		stage(d, "tcp", false, t0, "stopped by signal %d",
		    (int)stop_sig);
		fail(d, "tcp", PPTP_EXIT_DIAG_TCP, "run it again", "stopped "
		    "by a signal");
	} else if (err == ETIMEDOUT) {
		stage(d, "tcp", false, t0, "connect to %s port %d: no answer "
		    "in %u s (filtered)", d->addr, PPTP_PORT,
		    d->o->connect_timeout_s);
		fail(d, "tcp", PPTP_EXIT_DIAG_TCP, "make sure the server is "
		    "up, and that every firewall on the way (here, the "
		    "routers, the server's own) lets TCP port 1723 through",
		    "nothing answers TCP port 1723 at %s: a firewall drops "
		    "it silently, or the host is down", d->addr);
	} else {
		stage(d, "tcp", false, t0, "connect to %s port %d: %s",
		    d->addr, PPTP_PORT, connect_words(err));
		fail(d, "tcp", PPTP_EXIT_DIAG_TCP, err == ECONNREFUSED ?
		    "start the PPTP server (e.g. pptpd) on that host, or "
		    "check the address; if it runs, let TCP port 1723 "
		    "through its firewall" : "check the address, the routes "
		    "and the firewalls between here and there",
		    "TCP port 1723 at %s: %s", d->addr, connect_words(err));
	}
	return false;
}

/* --- control ---------------------------------------------------------- */

static bool
ctrl_is_up(struct diag *d)
{
	return d->ctrl.state == CTRL_UP;
}

static bool
stage_control(struct diag *d)
{
	char host[3 * MSG_HOSTNAME_LEN], vendor[3 * MSG_VENDOR_LEN];
	uint64_t t0 = now_ms();
	const struct msg_sccrp *p = &d->ctrl.peer;

	ctrl_open(&d->ctrl, t0);
	if (pump(d, ctrl_is_up, t0 + d->ctrl.cfg.reply_wait_ms + 1000, false,
	    NULL)) {
		stage(d, "control", true, t0, "SCCRP: accepted; server \"%s\", "
		    "vendor \"%s\", firmware 0x%04x, protocol %u.%u, maximum "
		    "channels %u", log_escape(p->hostname, host, sizeof(host)),
		    log_escape(p->vendor, vendor, sizeof(vendor)),
		    p->firmware_rev, p->version >> 8, p->version & 0xff,
		    p->max_channels);
		return true;
	}
	if (stop_sig)
		snprintf(d->ctrl.why, sizeof(d->ctrl.why), "stopped by signal "
		    "%d", (int)stop_sig);
	else if (d->ctrl.why[0] == '\0')
		snprintf(d->ctrl.why, sizeof(d->ctrl.why), "no reply to SCCRQ "
		    "from server");
	stage(d, "control", false, t0, "SCCRQ sent: %s", d->ctrl.why);
	if (d->ctrl.status == PPTP_EXIT_PROTOCOL ||
	    (d->dead_by == END_INPUT && d->ctrl.status != PPTP_EXIT_REFUSED))
		fail(d, "control", PPTP_EXIT_DIAG_CONTROL, "check the address "
		    "and the port: whatever runs there is not a PPTP server "
		    "(or a proxy or captive portal stands in the way)",
		    "something answers on TCP port 1723 at %s, but it does "
		    "not speak PPTP (%s)", d->addr, d->ctrl.why);
	else if (d->ctrl.status == PPTP_EXIT_REFUSED)
		fail(d, "control", PPTP_EXIT_DIAG_CONTROL, "ask the server's "
		    "administrator why this client is refused (it may allow "
		    "only some addresses, or be out of connections); "
		    "--quirks may help with an old server",
		    "the server refused the control connection: %s",
		    unprefixed(d->ctrl.why, "server refused control "
		    "connection: "));
	else if (d->dead_by == END_TCP)
		fail(d, "control", PPTP_EXIT_DIAG_CONTROL, "the PPTP server "
		    "may refuse this address (its allow list, e.g. "
		    "TCP wrappers) or be broken: see its log",
		    "the server took the TCP connection and closed it (%s)",
		    d->ctrl.why);
	else
		fail(d, "control", PPTP_EXIT_DIAG_CONTROL, "the server "
		    "accepts TCP but does not answer: see its log, or try "
		    "again later",
		    "the server did not answer the control connection "
		    "request (%s)", d->ctrl.why);
	return false;
}

/* --- call --------------------------------------------------------------- */

static bool
call_settled(struct diag *d)
{
	return d->call_up || d->call_down;
}

/* Words for common Q.931 causes (OCRP's cause field). */
static const char *
q931_words(unsigned cause)
{
	switch (cause) {
	case 16: return "normal clearing";
	case 17: return "user busy";
	case 18: return "no user responding";
	case 19: return "no answer";
	case 21: return "call rejected";
	case 27: return "destination out of order";
	case 31: return "normal, unspecified";
	case 34: return "no circuit available";
	case 38: return "network out of order";
	case 41: return "temporary failure";
	case 42: return "switching equipment congestion";
	case 44: return "requested channel not available";
	case 47: return "resource unavailable";
	default: return NULL;
	}
}

static bool
stage_call(struct diag *d)
{
	uint64_t t0 = now_ms();
	const char *q, *c;
	unsigned cause;

	d->call = ctrl_call_open(&d->ctrl, d, (uint16_t)d->o->window, 0,
	    d->o->sync, d->o->phone, t0);
	if (d->call == NULL) {
		stage(d, "call", false, t0, "no call could be placed: %s",
		    d->ctrl.why[0] ? d->ctrl.why : "connection closing");
		fail(d, "call", PPTP_EXIT_DIAG_CALL, "see the server's log",
		    "the call could not be placed (%s)", d->ctrl.why);
		return false;
	}
	if (pump(d, call_settled, t0 + d->ctrl.cfg.reply_wait_ms + 1000, false,
	    NULL) && d->call_up) {
		stage(d, "call", true, t0, "OCRP: accepted; our call ID %u, "
		    "server call ID %u, server window %u%s, speed %u bps",
		    d->call->call_id, d->call->peer_call_id,
		    d->call->peer_window, d->call->peer_window == 0 ?
		    " (no limit)" : "", d->call->connect_speed);
		return true;
	}
	if (!d->call_down)
		snprintf(d->call_why, sizeof(d->call_why), "%s", stop_sig ?
		    "stopped by a signal" : d->ctrl.why[0] ? d->ctrl.why :
		    "no reply to OCRQ");
	c = strstr(d->call_why, "cause ");
	q = c != NULL && sscanf(c, "cause %u", &cause) == 1 ?
	    q931_words(cause) : NULL;
	stage(d, "call", false, t0, "OCRQ sent: %s%s%s%s", d->call_why,
	    q ? " (cause: " : "", q ? q : "", q ? ")" : "");
	if (d->call_status == PPTP_EXIT_CALL_REFUSED)
		fail(d, "call", PPTP_EXIT_DIAG_CALL, "the server takes the "
		    "connection but not the call: it may be full (all its "
		    "addresses or channels in use), limit calls per user or "
		    "address, or need --phone; see its log",
		    "the server refused the call: %s%s%s%s",
		    unprefixed(d->call_why, "server refused call: "),
		    q ? " (cause: " : "", q ? q : "", q ? ")" : "");
	else
		fail(d, "call", PPTP_EXIT_DIAG_CALL, "see the server's log; "
		    "its pppd may fail to start",
		    "the call did not come up: %s", d->call_why);
	return false;
}

/* --- gre ------------------------------------------------------------- */

static void
gre_send_lcp(struct diag *d)
{
	uint8_t pkt[GRE_HDR_MAX + 32];
	uint8_t *p;
	struct gre_hdr h = { .has_seq = true, .seq = ++d->seq,
	    .call_id = d->call->peer_call_id, .has_ack = d->have_peer_seq,
	    .ack = d->peer_seq };
	struct pptp_addr to = d->server;
	struct sockaddr_storage ss;
	size_t hl, n = 14;

	h.payload_len = (uint16_t)n;
	hl = gre_encode(&h, pkt, sizeof(pkt));
	p = pkt + hl;
	d->lcp_id++;
	/* ff 03, LCP, Configure-Request, id, length 10, Magic-Number */
	p[0] = 0xff;
	p[1] = 0x03;
	p[2] = LCP_PROTO >> 8;
	p[3] = LCP_PROTO & 0xff;
	p[4] = 1;
	p[5] = d->lcp_id;
	p[6] = 0;
	p[7] = 10;
	p[8] = 5;
	p[9] = 6;
	p[10] = (uint8_t)(d->magic >> 24);
	p[11] = (uint8_t)(d->magic >> 16);
	p[12] = (uint8_t)(d->magic >> 8);
	p[13] = (uint8_t)d->magic;
	d->sent_us[d->lcp_id] = now_us();
	if (sendto(d->gre, pkt, hl + n, 0, (struct sockaddr *)&ss,
	    addr_to_sockaddr(&to, &ss)) < 0)
		d->gre_errno = errno;
	else
		d->sent++;
}

/* A PPP frame from the server's side of the call, at now (us). */
static void
ppp_frame(struct diag *d, const uint8_t *p, size_t n, uint64_t now)
{
	unsigned proto;

	if (n >= 2 && p[0] == 0xff && p[1] == 0x03) {
		p += 2;
		n -= 2;
	}
	if (n == 0)
		return;
	if (p[0] & 1) {
		proto = p[0];
		p++;
		n--;
	} else if (n >= 2) {
		proto = (unsigned)p[0] << 8 | p[1];
		p += 2;
		n -= 2;
	} else {
		return;
	}
	if (proto != LCP_PROTO || n < 4) {
		if (d->other_ppp[0] == '\0')
			snprintf(d->other_ppp, sizeof(d->other_ppp),
			    "PPP protocol 0x%04x", proto);
		return;
	}
	switch (p[0]) {
	case 1:
		if (n >= 10 && p[4] == 5 && p[5] == 6 &&
		    ((uint32_t)p[6] << 24 | (uint32_t)p[7] << 16 |
		    (uint32_t)p[8] << 8 | p[9]) == d->magic) {
			d->echoed = true;	/* ours, sent back as is */
			if (d->sent_us[p[1]] != 0 && d->rtt_us == 0)
				d->rtt_us = now - d->sent_us[p[1]] + 1;
		} else {
			d->server_req = true;
		}
		break;
	case 2:
	case 3:
	case 4:
		if (d->sent_us[p[1]] == 0)
			break;
		if (!d->replied) {
			d->replied = true;
			d->reply_code = p[0];
			d->rtt_us = now - d->sent_us[p[1]] + 1;
		}
		break;
	default:
		break;
	}
}

static void
gre_input(struct diag *d)
{
	uint8_t buf[4096];
	ssize_t n;

	while ((n = recv(d->gre, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		uint32_t src;
		size_t plen, ihl = gre_ip4_strip(buf, (size_t)n, &src, &plen);
		struct gre_hdr h;
		enum gre_err e;

		if (ihl == 0 || src != d->server.u.v4.s_addr)
			continue;
		e = gre_decode(buf + ihl, plen, &h);
		if (e != GRE_OK) {
			if (d->rx_bad++ == 0)
				snprintf(d->rx_bad_why, sizeof(d->rx_bad_why),
				    "%s", gre_strerror(e));
			continue;
		}
		if (d->call == NULL || h.call_id != d->call->call_id)
			continue;
		if (d->rx++ == 0)
			d->first_rx_ms = now_ms();
		if (h.has_seq) {
			d->peer_seq = h.seq;
			d->have_peer_seq = true;
			ppp_frame(d, buf + ihl + h.hdr_len, h.payload_len,
			    now_us());
		}
	}
}

static const char *
icmp_words(unsigned type, unsigned code)
{
	if (type == 3) {
		switch (code) {
		case 0: return "network unreachable";
		case 1: return "host unreachable";
		case 2: return "protocol unreachable: nothing on the server "
		    "takes GRE";
		case 3: return "port unreachable";
		case 4: return "fragmentation needed";
		case 9:
		case 10:
		case 13: return "administratively prohibited: a firewall "
		    "rejects GRE";
		default: return "destination unreachable";
		}
	}
	if (type == 11)
		return "time exceeded";
	return "ICMP error";
}

static void
gre_errors(struct diag *d)
{
	uint8_t data[256], ctl[512];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = ctl, .msg_controllen = sizeof(ctl) };

	while (recvmsg(d->gre, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
		    c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;

			if (c->cmsg_level != IPPROTO_IP ||
			    c->cmsg_type != IP_RECVERR)
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_ICMP &&
			    d->icmp[0] == '\0')
				snprintf(d->icmp, sizeof(d->icmp), "ICMP %s "
				    "(type %u code %u)",
				    icmp_words(ee.ee_type, ee.ee_code),
				    ee.ee_type, ee.ee_code);
		}
		mh.msg_controllen = sizeof(ctl);
	}
}

/*
 * Does this machine track our control connection (netfilter conntrack
 * in this network namespace), and with the PPTP helper?  Without it the
 * server's GRE matches no connection our GRE made: a firewall here that
 * accepts only established traffic drops it.  1: tracked without the
 * helper, 0: tracked with it, -1: not tracked or cannot tell.
 */
static int
ct_no_helper(struct diag *d)
{
	static char buf[1 << 16];
	char dst[ADDR_STRLEN + 8], sport[24], *line, *end;
	struct sockaddr_storage ss;
	struct pptp_addr me;
	socklen_t len = sizeof(ss);
	size_t have = 0;
	ssize_t n;

	if (d->ct_fd < 0 || lseek(d->ct_fd, 0, SEEK_SET) < 0 ||
	    getsockname(d->tcp, (struct sockaddr *)&ss, &len) < 0 ||
	    addr_from_sockaddr((struct sockaddr *)&ss, len, &me) < 0)
		return -1;
	while (have < sizeof(buf) - 1 && (n = read(d->ct_fd, buf + have,
	    sizeof(buf) - 1 - have)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
	snprintf(dst, sizeof(dst), "dst=%s ", d->addr);
	snprintf(sport, sizeof(sport), "sport=%u dport=%d ", me.port,
	    PPTP_PORT);
	for (line = strtok_r(buf, "\n", &end); line != NULL;
	    line = strtok_r(NULL, "\n", &end))
		if (strstr(line, " tcp ") != NULL && strstr(line, dst) !=
		    NULL && strstr(line, sport) != NULL)
			return strstr(line, "helper=pptp") == NULL;
	return -1;
}

/* Both ways proven, or an ICMP error said GRE cannot pass. */
static bool
gre_settled(struct diag *d)
{
	return d->replied || d->echoed || d->icmp[0] != '\0';
}

static bool
stage_gre(struct diag *d)
{
	uint64_t t0 = now_ms(), next = t0;
	char from[200], bad[200] = "";

	if (d->gre < 0) {
		stage(d, "gre", false, t0, "no raw GRE socket: %s",
		    strerror(d->gre_errno));
		fail(d, "gre", PPTP_EXIT_DIAG_GRE, "run pptp --diagnose as "
		    "root (or with CAP_NET_RAW)", "GRE could not be tried: "
		    "a raw socket needs root");
		return false;
	}
	d->magic = (uint32_t)(now_ms() * 2654435761u) ^ (uint32_t)getpid();
	if (d->magic == 0)
		d->magic = 1;
	(void)pump(d, gre_settled, t0 + DIAG_GRE_WAIT_MS, true, &next);
	if (d->rx_bad > 0)
		snprintf(bad, sizeof(bad), "; %u malformed GRE packets from "
		    "the server (first: %s)", d->rx_bad, d->rx_bad_why);
	if (d->rx > 0)
		snprintf(from, sizeof(from), "GRE from the server arrives "
		    "(%u packets, first after %.3f s)%s%s", d->rx,
		    (double)(d->first_rx_ms - t0) / 1000.0,
		    d->server_req ? ", its LCP Configure-Request among them" :
		    "", d->other_ppp[0] ? "" : "");
	else
		snprintf(from, sizeof(from), "no GRE from the server in %.1f s",
		    secs_since(t0));
	if (d->replied || d->echoed) {
		stage(d, "gre", true, t0, "sent %u LCP Configure-Request%s in "
		    "GRE (key: call ID %u); %s; ours reached it (%s to ours); "
		    "round trip %.3f ms%s", d->sent, d->sent == 1 ? "" : "s",
		    d->call->peer_call_id,
		    from, d->echoed && !d->replied ? "echoed back unchanged" :
		    d->reply_code == 2 ? "Configure-Ack" : d->reply_code == 3 ?
		    "Configure-Nak" : "Configure-Reject",
		    (double)(d->rtt_us - 1) / 1000.0, bad);
		return true;
	}
	if (stop_sig) {
		stage(d, "gre", false, t0, "stopped by signal %d",
		    (int)stop_sig);
		fail(d, "gre", PPTP_EXIT_DIAG_GRE, "run it again",
		    "stopped by a signal");
		return false;
	}
	if (d->call == NULL || d->ctrl.state == CTRL_DEAD) {
		stage(d, "gre", false, t0, "the call ended during the test: "
		    "%s", d->call_why[0] ? d->call_why : d->ctrl.why);
		fail(d, "gre", PPTP_EXIT_DIAG_GRE, "see the server's log: its "
		    "side of the call ended (its pppd may have failed)",
		    "the server ended the call while GRE was tested (%s)",
		    d->call_why[0] ? d->call_why : d->ctrl.why);
		return false;
	}
	stage(d, "gre", false, t0, "sent %u LCP Configure-Request%s in GRE "
	    "(key: call ID %u)%s%s%s; %s; ours reached it: %s%s%s", d->sent,
	    d->sent == 1 ? "" : "s", d->call->peer_call_id, d->gre_errno ? " (send: " : "",
	    d->gre_errno ? strerror(d->gre_errno) : "",
	    d->gre_errno ? ")" : "", from, d->icmp[0] ? "no, it bounced: " :
	    "", d->icmp[0] ? d->icmp : d->rx > 0 ? "no (no LCP reply to "
	    "ours)" : "cannot tell", bad);
	if (d->icmp[0] != '\0')
		fail(d, "gre", PPTP_EXIT_DIAG_GRE, "on the server, let GRE "
		    "(IP protocol 47) in and make sure its PPTP server "
		    "handles it; on a router in between, load its PPTP "
		    "helper", "TCP 1723 works, but GRE to %s bounced: %s",
		    d->addr, d->icmp);
	else if (d->rx > 0)
		fail(d, "gre", PPTP_EXIT_DIAG_GRE, "let GRE (IP protocol 47) "
		    "from this machine through to the server: this "
		    "machine's outgoing firewall, a router in between (its "
		    "PPTP helper) or the server's own firewall drops it",
		    "GRE from %s arrives, but ours does not reach it: no LCP "
		    "reply to our Configure-Request in %u s", d->addr,
		    DIAG_GRE_WAIT_MS / 1000);
	else if (ct_no_helper(d) == 1)
		fail(d, "gre", PPTP_EXIT_DIAG_GRE, "on this machine, load "
		    "the PPTP conntrack helper (modprobe nf_conntrack_pptp) "
		    "and assign it to TCP port 1723 (nft: ct helper set "
		    "\"pptp\" on tcp dport 1723 in an output chain; "
		    "iptables: -t raw -A OUTPUT -p tcp --dport 1723 -j CT "
		    "--helper pptp), or accept GRE from the server (iptables "
		    "-A INPUT -p gre -s SERVER -j ACCEPT); if that is not it, "
		    "a firewall or NAT between here and there drops GRE",
		    "TCP 1723 works but no GRE comes back from %s in %u s; "
		    "this machine tracks connections (netfilter conntrack) "
		    "and the control connection has no PPTP helper (%s), so "
		    "a stateful firewall here that accepts only established "
		    "traffic drops the server's GRE", d->addr,
		    DIAG_GRE_WAIT_MS / 1000, d->ct_pptp_loaded ?
		    "nf_conntrack_pptp is loaded but not assigned" :
		    "nf_conntrack_pptp is not loaded");
	else
		fail(d, "gre", PPTP_EXIT_DIAG_GRE, "let GRE (IP protocol 47) "
		    "through both ways: on a NAT router, load its PPTP helper "
		    "(Linux: nf_conntrack_pptp and nf_nat_pptp); on a "
		    "stateful firewall on this machine, assign the pptp "
		    "conntrack helper to TCP port 1723 or accept GRE from "
		    "the server; on the server, accept GRE",
		    "TCP 1723 works but no GRE comes back from %s in %u s: a "
		    "firewall or NAT between here and there (or on either "
		    "end) drops IP protocol 47; whether ours reaches the "
		    "server cannot be told from here", d->addr,
		    DIAG_GRE_WAIT_MS / 1000);
	return false;
}

/* --- clear ------------------------------------------------------------ */

static bool
call_gone(struct diag *d)
{
	return ctrl_ncalls(&d->ctrl) == 0;
}

static bool
ctrl_gone(struct diag *d)
{
	return d->ctrl.state == CTRL_DEAD;
}

/* Leave the server as found: clear the call, stop the connection. */
static void
stage_clear(struct diag *d)
{
	uint64_t t0 = now_ms(), t1;
	char cdn[160] = "no call to clear", stop[200];
	bool ok = true;

	if (d->ctrl.state == CTRL_DEAD)
		return;		/* nothing open: the server closed it */
	d->clearing = true;
	if (d->call != NULL || ctrl_ncalls(&d->ctrl) > 0) {
		if (d->call != NULL)
			ctrl_call_close(&d->ctrl, d->call, t0);
		d->call = NULL;
		(void)pump(d, call_gone, t0 + DIAG_CLEAR_WAIT_MS + 1000, false,
		    NULL);
		if (d->cleared && d->cleared_by_cdn) {
			snprintf(cdn, sizeof(cdn), "Call-Clear-Request "
			    "answered by Call-Disconnect-Notify in %.3f s",
			    secs_since(t0));
		} else if (d->ctrl.state == CTRL_DEAD) {
			snprintf(cdn, sizeof(cdn), "Call-Clear-Request: the "
			    "connection ended first");
		} else {
			snprintf(cdn, sizeof(cdn), "Call-Clear-Request: no "
			    "Call-Disconnect-Notify in %u s",
			    DIAG_CLEAR_WAIT_MS / 1000);
			ok = false;
			fail(d, "clear", PPTP_EXIT_DIAG_CLEAR, "nothing to do "
			    "here; the server keeps the call until its own "
			    "timeout (its administrator can clear it)",
			    "the server did not answer Call-Clear-Request "
			    "with Call-Disconnect-Notify");
		}
	}
	t1 = now_ms();
	if (d->ctrl.state != CTRL_DEAD) {
		d->dead_by = END_NONE;
		ctrl_close(&d->ctrl, t1);
		(void)pump(d, ctrl_gone, t1 + DIAG_CLEAR_WAIT_MS + 1000, false,
		    NULL);
	}
	if (d->dead_by == END_INPUT)
		snprintf(stop, sizeof(stop), "Stop-Control-Connection-Request "
		    "answered by Stop-Control-Connection-Reply in %.3f s",
		    secs_since(t1));
	else if (d->dead_by == END_TCP)
		snprintf(stop, sizeof(stop), "Stop-Control-Connection-Request: "
		    "the server closed the connection");
	else {
		snprintf(stop, sizeof(stop), "Stop-Control-Connection-Request: "
		    "no reply in %u s", DIAG_CLEAR_WAIT_MS / 1000);
		if (ok)
			fail(d, "clear", PPTP_EXIT_DIAG_CLEAR, "nothing to do "
			    "here; the server ends the connection at its own "
			    "timeout", "the server did not answer "
			    "Stop-Control-Connection-Request");
		ok = false;
	}
	stage(d, "clear", ok, t0, "%s; %s", cdn, stop);
}

/* --- the whole -------------------------------------------------------- */

/* The sockets, opened with privileges; bound and marked as a tunnel's. */
static void
open_sockets(struct diag *d)
{
	int one = 1;

	d->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (d->tcp < 0)
		fatal("diagnose: socket");
	d->gre = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_GRE);
	if (d->gre < 0)
		d->gre_errno = errno;
	else
		(void)setsockopt(d->gre, IPPROTO_IP, IP_RECVERR, &one,
		    sizeof(one));
	if (d->o->rtmark_set) {
		(void)setsockopt(d->tcp, SOL_SOCKET, SO_MARK, &d->o->rtmark,
		    sizeof(d->o->rtmark));
		if (d->gre >= 0)
			(void)setsockopt(d->gre, SOL_SOCKET, SO_MARK,
			    &d->o->rtmark, sizeof(d->o->rtmark));
	}
	if (d->o->localbind != NULL) {
		struct sockaddr_storage ss;
		struct pptp_addr lb;

		if (addr_pton(AF_INET, d->o->localbind, &lb) == 0) {
			(void)bind(d->tcp, (struct sockaddr *)&ss,
			    addr_to_sockaddr(&lb, &ss));
			if (d->gre >= 0)
				(void)bind(d->gre, (struct sockaddr *)&ss,
				    addr_to_sockaddr(&lb, &ss));
		}
	}
}

static void
ctrl_setup(struct diag *d)
{
	struct ctrl_cfg cfg = { .server = d->addr };
	unsigned reply_s = d->o->reply_timeout_s < DIAG_REPLY_MAX_S ?
	    d->o->reply_timeout_s : DIAG_REPLY_MAX_S;
	uint16_t id;

	if (d->o->client_hostname != NULL)
		snprintf(cfg.hostname, sizeof(cfg.hostname), "%s",
		    d->o->client_hostname);
	else if (gethostname(cfg.hostname, sizeof(cfg.hostname) - 1) < 0)
		snprintf(cfg.hostname, sizeof(cfg.hostname), "local");
	cfg.quirk = d->o->quirks != NULL ? quirk_find(d->o->quirks) : NULL;
	do {
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (uint16_t)(getpid() ^ now_ms());
	} while (id == 0);
	cfg.first_call_id = id;
	cfg.first_serial = id;
	cfg.idle_wait_ms = 60000;
	cfg.echo_wait_ms = 60000;
	cfg.reply_wait_ms = reply_s * 1000;
	cfg.cdn_wait_ms = DIAG_CLEAR_WAIT_MS;
	cfg.stop_wait_ms = DIAG_CLEAR_WAIT_MS;
	ctrl_init(&d->ctrl, &cfg, &diag_ops, d);
}

int
diagnose_main(const struct pptp_opts *o)
{
	static struct diag d;
	struct sigaction sa = { .sa_handler = on_stop };

	memset(&d, 0, sizeof(d));
	d.o = o;
	d.ct_fd = -1;
	/* the stage lines say it all: the state machine's info lines not */
	if (!o->debug)
		log_init(o->logstring, true, LOG_LEVEL_LOW);
	d.tcp = d.gre = -1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (o->pppd_nargs > 0)
		log_warnx("pppd options ignored with --diagnose (first: "
		    "'%s'): no pppd runs", o->pppd_args[0]);
	if (stage_name(&d)) {
		stage_local(&d);
		open_sockets(&d);
		/* read again, sandboxed, if GRE does not come */
		d.ct_fd = open("/proc/net/nf_conntrack", O_RDONLY | O_CLOEXEC);
		d.ct_pptp_loaded = access("/sys/module/nf_conntrack_pptp",
		    F_OK) == 0;
		ctrl_setup(&d);
		sandbox_enter(&o->sandbox, SB_DIAGNOSE, "diagnose");
		if (d.failed == NULL && stage_tcp(&d) && stage_control(&d) &&
		    stage_call(&d))
			(void)stage_gre(&d);
		if (d.ctrl.state != CTRL_IDLE)
			stage_clear(&d);
		if (d.gre >= 0)
			close(d.gre);
		if (d.ct_fd >= 0)
			close(d.ct_fd);
		close(d.tcp);
	}
	verdict(&d);
	return d.failed != NULL || d.missing[0] != '\0' ? d.status :
	    PPTP_EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptp --diagnose's checks of this machine (diagnose_int.h): the local
 * stage (the route to the server and its path MTU, privileges, /dev/ppp
 * and the PPP modules, MPPE, pppd's version), and whether netfilter
 * conntrack here tracks the control connection with its PPTP helper,
 * asked when no GRE comes back.  Reads /proc, /sys and /lib/modules;
 * runs pppd --version; sends nothing.
 */
#include "diagnose_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conntrack.h"
#include "sandbox.h"
#include "util.h"

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
	char a[ADDR_STRLEN], route[120], ifname[64] = "?", mtuw[200];
	struct ifaddrs *ifs, *i;
	int fd, mtu = 0;

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
	to.port = DIAG_PPTP_PORT;
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
	/* IPv4 only: IP_MTU (and 20 bytes of IP header in its words) */
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
	diag_mtu_words(mtu, mtuw, sizeof(mtuw));
	snprintf(out, outsz, "route to %s %s, source %s; %s", d->addr, route,
	    addr_ntop(&src, a, sizeof(a)), mtuw);
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

void
diag_stage_local(struct diag *d)
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
		diag_add_missing(&d->f, "root's privileges", "run pptp (and "
		    "pppd) as root");
	if (!ppp_ok)
		diag_add_missing(&d->f, "PPP in the kernel (no /dev/ppp, no "
		    "ppp_generic)", "load the kernel's PPP support "
		    "(modprobe ppp_generic; in a container, pass /dev/ppp "
		    "in)");
	if (!mppe_ok)
		diag_add_missing(&d->f, "MPPE in the kernel (ppp_mppe)", "load "
		    "ppp_mppe (modprobe ppp_mppe), or use a kernel built "
		    "with CONFIG_PPP_MPPE");
	if (!pppd_ok)
		diag_add_missing(&d->f, "pppd", "install pppd (Debian: ppp), "
		    "or name it with --pppd");
	diag_stage(d, "local", route_ok && d->f.missing[0] == '\0', t0,
	    "%s; privileges: %s; PPP: %s; MPPE: %s; %s", route, priv, ppp,
	    mppe, pppd);
	if (!route_ok)
		diag_fail(&d->f, "local", PPTP_EXIT_DIAG_TCP, "check this "
		    "machine's network connection and routes (ip route get "
		    "ADDRESS)", "this machine has no route to %s", d->addr);
}

/*
 * Does this machine track our control connection (netfilter conntrack
 * in this network namespace), and with the PPTP helper?  Without it the
 * server's GRE matches no connection our GRE made: a firewall here that
 * accepts only established traffic drops it.  1: tracked without the
 * helper, 0: tracked with it, -1: not tracked or cannot tell.
 */
int
diag_ct_no_helper(struct diag *d)
{
	static char buf[1 << 16];
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
	return conntrack_no_pptp_helper(buf, &d->server, me.port);
}

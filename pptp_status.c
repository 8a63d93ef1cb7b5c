// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptp --status: every call manager in the run directory is asked (one
 * message), answers with a line per connection and call (status.h), and
 * what they said is shown as a table or one JSON document.  A manager
 * that does not answer within STATUS_WAIT_MS is named and skipped.
 */
#include "pptp_status.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cm_msg.h"
#include "rendezvous.h"
#include "status.h"
#include "util.h"

#define STATUS_WAIT_MS	2000

struct answer {
	struct status_rec	*recs;
	size_t			 n, cap;
};

/* A word from the manager, fit for a terminal: escaped, "?" if none. */
static const char *
word(const struct status_rec *r, const char *key, char *out, size_t outsz)
{
	const char *v = status_get(r, key);

	return v != NULL ? log_escape(v, out, outsz) : "?";
}

static uint64_t
num(const struct status_rec *r, const char *key)
{
	const char *v = status_get(r, key);

	return v != NULL ? strtoull(v, NULL, 10) : 0;
}

/* A figure of the table in status.h, by its name: checked when built. */
#define FIGURE(r, fig)	num(r, status_figure[STATUS_FIG_##fig].name)

/* Ask the manager at path; its lines in *a.  0, or -1 after a warning. */
static int
ask(const char *path, struct answer *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct cm_msg m = { .type = CM_STATUS_REQ };
	struct ipc_msg raw;
	uint64_t end = now_ms() + STATUS_WAIT_MS;
	/* a connect that cannot wait: a full backlog is EAGAIN */
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (e == ECONNREFUSED)
			return 0;	/* a socket a killed manager left */
		if (e == EAGAIN) {
			log_warnx("status: the call manager at %s takes no one "
			    "in (it is stopped or stuck)", path);
			return -1;
		}
		errno = e;
		log_warn("status: cannot reach the call manager at %s", path);
		return -1;
	}
	/* made by root or us?  else not asked, and said so */
	if (!rdv_manager_trusted(fd, path, "status: ", "not asked")) {
		close(fd);
		return -1;
	}
	if (cm_send(fd, &m, -1, end) < 0)
		goto failed;
	for (;;) {
		int got = cm_recv(fd, &m, &raw, end);

		if (got > 0 && raw.fd >= 0)
			close(raw.fd);
		if (got <= 0 || m.type != CM_STATUS_LINE)
			goto failed;
		if (a->n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 64;
			struct status_rec *r = realloc(a->recs,
			    cap * sizeof(*r));

			if (r == NULL)
				fatal("status: realloc");
			a->recs = r;
			a->cap = cap;
		}
		if (!status_parse(m.line, &a->recs[a->n]))
			goto failed;
		if (strcmp(a->recs[a->n].kind, "end") == 0)
			break;
		if (a->recs[a->n].cut > 0)
			log_warnx("status: the call manager at %s left %u "
			    "fields out of a %s line: they did not fit", path,
			    a->recs[a->n].cut, a->recs[a->n].kind);
		a->n++;
	}
	close(fd);
	return 0;
failed:
	log_warnx("status: no whole answer from the call manager at %s "
	    "within %d s", path, STATUS_WAIT_MS / 1000);
	close(fd);
	return -1;
}

/* pppd's interface, from the pid files pppd writes; "" if not known. */
static void
ifname_of(uint64_t pid, char *out, size_t outsz)
{
	const char *pats[] = { "/run/ppp*.pid", "/var/run/ppp*.pid" };

	out[0] = '\0';
	for (size_t p = 0; p < 2 && out[0] == '\0' && pid != 0; p++) {
		glob_t g;

		if (glob(pats[p], 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc && out[0] == '\0'; i++) {
			char l1[32] = "", l2[32] = "";
			const char *base = strrchr(g.gl_pathv[i], '/') + 1;
			FILE *f = fopen(g.gl_pathv[i], "re");

			if (f == NULL)
				continue;
			if (fgets(l1, sizeof(l1), f) != NULL &&
			    strtoull(l1, NULL, 10) == pid) {
				/* pppN.pid; ppp-NAME.pid holds the name */
				if (fgets(l2, sizeof(l2), f) != NULL &&
				    l2[0] != '\n')
					snprintf(out, outsz, "%.*s",
					    (int)strcspn(l2, "\n"), l2);
				else if (strncmp(base, "ppp-", 4) != 0)
					snprintf(out, outsz, "%.*s",
					    (int)(strlen(base) - 4), base);
			}
			fclose(f);
		}
		globfree(&g);
	}
}

static void
duration(uint64_t since_ms, char *out, size_t outsz)
{
	uint64_t now = wall_ms(), s = since_ms && now > since_ms ?
	    (now - since_ms) / 1000 : 0;

	if (s >= 86400)
		snprintf(out, outsz, "%llud%02lluh", (unsigned long long)(s /
		    86400), (unsigned long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, outsz, "%lluh%02llum", (unsigned long long)(s /
		    3600), (unsigned long long)(s % 3600 / 60));
	else
		snprintf(out, outsz, "%llum%02llus", (unsigned long long)(s /
		    60), (unsigned long long)(s % 60));
}

/*
 * A call's counters on one line, by their words in status.h, "rx" said
 * once: "lost 0, buffered 0, under win 0; dropped: over win 0, ...;
 * resyncs 0; tx failed 0, oversize 0, bad FCS 0".
 */
static void
print_counters(const struct status_rec *c)
{
	enum status_group group = FIG_VOLUME;
	char dir = 'r';		/* the line is about received packets */

	printf("     ");
	for (int i = 0; i < STATUS_NFIGS; i++) {
		const struct status_figure *f = &status_figure[i];
		const char *w = f->words;

		if (f->group != FIG_RX && f->group != FIG_DROP &&
		    f->group != FIG_TX)
			continue;
		if (f->group == group)
			printf(",");
		else if (group != FIG_VOLUME)
			printf(";");
		printf(" %s", f->group != group && f->group == FIG_DROP ?
		    "dropped: " : "");
		if (w[0] == dir && w[1] == 'x' && w[2] == ' ')
			w += 3;
		else
			dir = w[0];
		printf("%s %llu", w, (unsigned long long)num(c, f->name));
		group = f->group;
	}
	printf("\n");
}

static void
print_call(const struct status_rec *c)
{
	char since[32], ifn[32], when[32] = "", state[64];
	uint64_t pppd = num(c, "pppd");
	const char *last = status_get(c, "last_warning");
	const char *sep = "      ";

	duration(num(c, "since"), since, sizeof(since));
	ifname_of(pppd, ifn, sizeof(ifn));
	printf("    call %llu, server's %llu: %s %s", (unsigned long long)num(c,
	    "call_id"), (unsigned long long)num(c, "peer_call_id"),
	    word(c, "state", state, sizeof(state)), since);
	if (pppd != 0)
		printf(", pppd %llu%s%s%s", (unsigned long long)pppd,
		    ifn[0] ? " (" : "", ifn, ifn[0] ? ")" : "");
	printf("\n");
	if (status_get(c, "rx_packets") == NULL)
		return;		/* no figures from its gateway (yet) */
	printf("      rx %llu packets %llu bytes, tx %llu packets %llu bytes\n",
	    (unsigned long long)FIGURE(c, rx_packets),
	    (unsigned long long)FIGURE(c, rx_bytes),
	    (unsigned long long)FIGURE(c, tx_packets),
	    (unsigned long long)FIGURE(c, tx_bytes));
	print_counters(c);
	for (int i = 0; i < STATUS_NFIGS; i++) {
		if (status_figure[i].group != FIG_MS)
			continue;
		printf("%s%s %llu ms", sep, status_figure[i].words,
		    (unsigned long long)num(c, status_figure[i].name));
		sep = ", ";
	}
	printf("\n");
	if (last != NULL) {
		char esc[3 * STATUS_TEXT_LEN];
		time_t t = (time_t)(num(c, "last_warning_at") / 1000);
		struct tm tm;

		if (localtime_r(&t, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("      last warning, %s: %s\n", when,
		    log_escape(last, esc, sizeof(esc)));
	}
}

static void
print_table(const struct answer *a)
{
	char since[32], esc1[200], esc2[200];

	for (size_t i = 0; i < a->n; i++) {
		const struct status_rec *r = &a->recs[i];

		duration(num(r, "since"), since, sizeof(since));
		if (strcmp(r->kind, "manager") == 0) {
			const char *host = status_get(r, "host"), *srv =
			    status_get(r, "server");

			printf("%s%s%s%s: call manager %llu, up %s, network "
			    "namespace %llu\n", srv ? srv : "?", host && srv &&
			    strcmp(host, srv) ? " (" : "", host && srv &&
			    strcmp(host, srv) ? log_escape(host, esc1,
			    sizeof(esc1)) : "", host && srv && strcmp(host,
			    srv) ? ")" : "", (unsigned long long)num(r, "pid"),
			    since, (unsigned long long)num(r, "netns"));
		} else if (strcmp(r->kind, "conn") == 0) {
			const char *vendor = status_get(r, "peer_vendor");

			printf("  connection %llu: %s %s", (unsigned long long)
			    num(r, "id"), word(r, "state", esc1, sizeof(esc1)),
			    since);
			if (status_get(r, "local") != NULL)
				printf(", from %s", word(r, "local", esc1,
				    sizeof(esc1)));
			if (status_get(r, "peer_host") != NULL)
				printf(", server \"%s\", vendor \"%s\", "
				    "firmware 0x%04llx, maximum channels %llu",
				    word(r, "peer_host", esc1, sizeof(esc1)),
				    vendor != NULL ? log_escape(vendor, esc2,
				    sizeof(esc2)) : "", (unsigned long long)
				    num(r, "firmware"), (unsigned long long)
				    num(r, "max_channels"));
			printf("\n");
		} else if (strcmp(r->kind, "call") == 0) {
			print_call(r);
		}
	}
}

/* A JSON string: always valid, whatever bytes the value holds. */
static void
json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\u%04x", *p);	/* as Latin-1: no bad UTF-8 */
		else
			putchar(*p);
	}
	putchar('"');
}

/* The keys whose values are words; every other one is a number. */
static bool
is_text(const char *key)
{
	static const char *const text[] = { "state", "local", "peer_host",
	    "peer_vendor", "server", "host", "share", "last_warning", NULL };

	for (int i = 0; text[i] != NULL; i++)
		if (strcmp(key, text[i]) == 0)
			return true;
	return false;
}

static void
json_pairs(const struct status_rec *r, const char *skip)
{
	bool first = true;

	for (int i = 0; i < r->npairs; i++) {
		const struct status_pair *p = &r->pairs[i];

		if (skip != NULL && strcmp(p->key, skip) == 0)
			continue;
		printf("%s", first ? "" : ",");
		first = false;
		json_str(p->key);
		putchar(':');
		if (is_text(p->key) || p->val[0] == '\0' ||
		    strspn(p->val, "0123456789") != strlen(p->val))
			json_str(p->val);
		else
			printf("%s", p->val);
	}
	if (r->cut > 0)
		printf("%s\"cut\":%u", first ? "" : ",", r->cut);
}

static void
print_json(const struct answer *a)
{
	bool first_m = true, first_c = true, first_k = true, open_m = false,
	    open_c = false;

	printf("{\"version\":%d,\"managers\":[", STATUS_VERSION);
	for (size_t i = 0; i < a->n; i++) {
		const struct status_rec *r = &a->recs[i];

		if (strcmp(r->kind, "manager") == 0) {
			if (open_c)
				printf("]}");
			if (open_m)
				printf("]}");
			printf("%s{", first_m ? "" : ",");
			json_pairs(r, "version");
			printf(",\"connections\":[");
			first_m = false;
			open_m = true;
			open_c = false;
			first_c = true;
		} else if (strcmp(r->kind, "conn") == 0) {
			if (open_c)
				printf("]}");
			printf("%s{", first_c ? "" : ",");
			json_pairs(r, NULL);
			printf(",\"calls\":[");
			first_c = false;
			open_c = true;
			first_k = true;
		} else if (strcmp(r->kind, "call") == 0 && open_c) {
			char ifn[32];

			printf("%s{", first_k ? "" : ",");
			json_pairs(r, "conn");
			ifname_of(num(r, "pppd"), ifn, sizeof(ifn));
			if (ifn[0] != '\0') {
				printf(",\"ifname\":");
				json_str(ifn);
			}
			putchar('}');
			first_k = false;
		}
	}
	if (open_c)
		printf("]}");
	if (open_m)
		printf("]}");
	printf("]}\n");
}

/* Does the socket named name serve one of addrs (or any, if n < 0)? */
static bool
wanted(const char *name, const struct pptp_addr *addrs, int n)
{
	char addr[ADDR_STRLEN + 4];

	if (n < 0)
		return true;
	for (int i = 0; i < n; i++) {
		addr_ntop(&addrs[i], addr, ADDR_STRLEN);
		strcat(addr, "-ns");
		if (strncmp(name, addr, strlen(addr)) == 0)
			return true;
	}
	return false;
}

int
status_main(const struct pptp_opts *o)
{
	struct pptp_addr addrs[RESOLVE_MAX];
	struct answer a = { 0 };
	int naddrs = -1, exit_code = PPTP_EXIT_OK, calls = 0;
	struct dirent *d;
	DIR *dir;

	if (o->server != NULL &&
	    (naddrs = resolve_server(o->server, addrs, RESOLVE_MAX)) == 0)
		return PPTP_EXIT_ERROR;
	dir = opendir(o->rundir);
	if (dir == NULL && errno != ENOENT) {
		log_warn("status: cannot read %s", o->rundir);
		return PPTP_EXIT_ERROR;
	}
	while (dir != NULL && (d = readdir(dir)) != NULL) {
		char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
		struct stat sb;

		if (strncmp(d->d_name, "route-", 6) == 0 ||
		    !wanted(d->d_name, addrs, naddrs) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", o->rundir,
		    d->d_name) >= sizeof(path) || lstat(path, &sb) < 0 ||
		    !S_ISSOCK(sb.st_mode))
			continue;
		if (ask(path, &a) < 0)
			exit_code = PPTP_EXIT_ERROR;
	}
	if (dir != NULL)
		closedir(dir);
	for (size_t i = 0; i < a.n; i++)
		calls += strcmp(a.recs[i].kind, "call") == 0;
	if (o->json)
		print_json(&a);
	else if (a.n > 0)
		print_table(&a);
	else
		printf("no tunnels%s%s\n", o->server ? " to " : "",
		    o->server ? o->server : "");
	free(a.recs);
	if (exit_code == PPTP_EXIT_OK && calls == 0)
		exit_code = PPTP_EXIT_CONNECT;	/* none: 3 */
	return exit_code;
}

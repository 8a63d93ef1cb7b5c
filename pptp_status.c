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
#include <fcntl.h>
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
#include "pptp_callmgr.h"
#include "rendezvous.h"
#include "status.h"
#include "util.h"

#define STATUS_WAIT_MS	2000

/*
 * The most lines one call manager can truthfully send (callmgr_int.h's
 * CM_STATUS_LINES): its own, a connection's each (CM_MAX_CONNS, as many
 * as calls), a call's each (at most one per client), and "end".  And the
 * most kept from all managers together.  A manager that sends more, or
 * comes when the total is reached, is named and not shown.
 */
#define STATUS_MAX_LINES	(1 + CM_MAX_CALLS + CM_MAX_CLIENTS + 1)
#define STATUS_MAX_TOTAL	(16 * STATUS_MAX_LINES)

enum line_kind { LINE_MANAGER, LINE_CONN, LINE_CALL };

/* A line of a manager's answer, as it came (checked). */
struct line {
	enum line_kind	 kind;
	uint64_t	 conn;	/* a connection's id; the one a call is on */
	char		*text;
};

/* One call manager's whole answer: lines[0] is its own. */
struct answer {
	struct line	*lines;
	size_t		 n;
};

struct answers {
	struct answer	*a;
	size_t		 n, cap;
	size_t		 total;	/* lines kept, all answers */
};

/* A word from the manager, fit for a terminal: escaped, "?" if none. */
static const char *
word(const struct status_rec *r, const char *key, char *out, size_t outsz)
{
	const char *v = status_get(r, key);

	return v != NULL ? log_escape(v, out, outsz) : "?";
}

/* A number from the manager (checked: digits alone), 0 if none. */
static uint64_t
num(const struct status_rec *r, const char *key)
{
	const char *v = status_get(r, key);
	uint64_t n = 0;

	if (v != NULL)
		status_number(v, &n);
	return n;
}

/* A figure of the table in status.h, by its name: checked when built. */
#define FIGURE(r, fig)	num(r, status_figure[STATUS_FIG_##fig].name)

static int
grow(struct answers *all)
{
	size_t cap = all->cap ? 2 * all->cap : 8;
	struct answer *a = realloc(all->a, cap * sizeof(*a));

	if (a == NULL)
		return -1;
	all->a = a;
	all->cap = cap;
	return 0;
}

static void
answer_free(struct answer *an)
{
	for (size_t i = 0; an->lines != NULL && i < an->n; i++)
		free(an->lines[i].text);
	free(an->lines);
	an->lines = NULL;
	an->n = 0;
}

/*
 * The line text, read into *r (scratch) and judged as the next of *an:
 * a manager line first and only first, connections once each, calls on
 * a connection named before them.  True when it is "end"; false with
 * *why set when the answer is wrong, or *why "" to go on.
 */
static bool
take_line(struct answer *an, const char *text, struct status_rec *r,
    char *why, size_t whysz)
{
	enum line_kind kind;
	uint64_t conn = 0;

	why[0] = '\0';
	if (!status_parse(text, r)) {
		snprintf(why, whysz, "a malformed line");
		return false;
	}
	if (!status_check(r, why, whysz))
		return false;
	if (an->n == 0 && strcmp(r->kind, "manager") != 0) {
		snprintf(why, whysz, "a %s line before the manager's", r->kind);
		return false;
	}
	if (strcmp(r->kind, "end") == 0)
		return true;
	if (strcmp(r->kind, "manager") == 0) {
		if (an->n > 0) {
			snprintf(why, whysz, "a second manager line");
			return false;
		}
		kind = LINE_MANAGER;
	} else if (strcmp(r->kind, "conn") == 0) {
		kind = LINE_CONN;
		if (status_get(r, "id") == NULL) {
			snprintf(why, whysz, "a conn line without id");
			return false;
		}
		conn = num(r, "id");
		for (size_t i = 1; i < an->n; i++)
			if (an->lines[i].kind == LINE_CONN &&
			    an->lines[i].conn == conn) {
				snprintf(why, whysz, "connection %llu twice",
				    (unsigned long long)conn);
				return false;
			}
	} else {
		bool named = false;

		kind = LINE_CALL;
		conn = num(r, "conn");
		for (size_t i = 1; i < an->n && !named; i++)
			named = an->lines[i].kind == LINE_CONN &&
			    an->lines[i].conn == conn;
		if (status_get(r, "conn") == NULL || !named) {
			snprintf(why, whysz, "a call on connection %llu, which "
			    "it did not name before", (unsigned long long)conn);
			return false;
		}
	}
	an->lines[an->n].kind = kind;
	an->lines[an->n].conn = conn;
	an->lines[an->n].text = strdup(text);
	if (an->lines[an->n].text == NULL) {
		snprintf(why, whysz, "no memory to keep it");
		return false;
	}
	an->n++;
	return false;
}

/*
 * Ask the manager at path; its answer, checked, added to *all.  0, or
 * -1 after a warning (and nothing of its answer kept).
 */
static int
ask(const char *path, struct answers *all, struct status_rec *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct cm_msg m = { .type = CM_STATUS_REQ };
	struct answer an = { 0 };
	struct line *kept;
	struct ipc_msg raw;
	char why[128];
	size_t got_lines = 0;
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
	if ((all->n == all->cap && grow(all) < 0) ||
	    (an.lines = calloc(STATUS_MAX_LINES, sizeof(*an.lines))) == NULL) {
		log_warn("status: no memory for the answer of the call "
		    "manager at %s", path);
		goto out;
	}
	if (cm_send(fd, &m, -1, end) < 0)
		goto failed;
	for (;;) {
		int got = cm_recv(fd, &m, &raw, end);

		if (got > 0 && raw.fd >= 0)
			close(raw.fd);
		if (got <= 0 || m.type != CM_STATUS_LINE)
			goto failed;
		if (++got_lines > STATUS_MAX_LINES) {
			log_warnx("status: the call manager at %s sent more "
			    "than %d lines, more than a call manager has: not "
			    "shown", path, STATUS_MAX_LINES);
			goto out;
		}
		if (take_line(&an, m.line, r, why, sizeof(why)))
			break;
		if (why[0] != '\0') {
			log_warnx("status: the call manager at %s sent a wrong "
			    "answer (%s): not shown", path, why);
			goto out;
		}
		if (all->total + an.n > STATUS_MAX_TOTAL) {
			log_warnx("status: the answers so far fill the %d lines "
			    "pptp --status keeps: the call manager at %s is "
			    "not shown", STATUS_MAX_TOTAL, path);
			goto out;
		}
		if (r->cut > 0)
			log_warnx("status: the call manager at %s left %u "
			    "fields out of a %s line: they did not fit", path,
			    r->cut, r->kind);
	}
	close(fd);
	/* room for what it said alone (never empty: its own line) */
	if ((kept = realloc(an.lines, an.n * sizeof(*kept))) != NULL)
		an.lines = kept;
	all->a[all->n++] = an;
	all->total += an.n;
	return 0;
failed:
	log_warnx("status: no whole answer from the call manager at %s "
	    "within %d s", path, STATUS_WAIT_MS / 1000);
out:
	close(fd);
	answer_free(&an);
	return -1;
}

/* pppd's pid files, read once: pid and interface. */
#define PIDFILES_MAX	256

static struct pidfile {
	uint64_t	pid;
	char		ifname[32];
} pidfiles[PIDFILES_MAX];
static size_t npidfiles;
static bool pidfiles_read;

static void
read_pidfiles(void)
{
	const char *pats[] = { "/run/ppp*.pid", "/var/run/ppp*.pid" };

	pidfiles_read = true;
	for (size_t p = 0; p < 2; p++) {
		glob_t g;

		if (glob(pats[p], 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc &&
		    npidfiles < PIDFILES_MAX; i++) {
			struct pidfile *pf = &pidfiles[npidfiles];
			char l1[32] = "", l2[32] = "";
			const char *base = strrchr(g.gl_pathv[i], '/') + 1;
			FILE *f = fopen(g.gl_pathv[i], "re");

			if (f == NULL)
				continue;
			pf->ifname[0] = '\0';
			if (fgets(l1, sizeof(l1), f) != NULL &&
			    (pf->pid = strtoull(l1, NULL, 10)) != 0) {
				/* pppN.pid; ppp-NAME.pid holds the name */
				if (fgets(l2, sizeof(l2), f) != NULL &&
				    l2[0] != '\n')
					snprintf(pf->ifname, sizeof(pf->ifname),
					    "%.*s", (int)strcspn(l2, "\n"), l2);
				else if (strncmp(base, "ppp-", 4) != 0)
					snprintf(pf->ifname, sizeof(pf->ifname),
					    "%.*s", (int)(strlen(base) - 4),
					    base);
				if (pf->ifname[0] != '\0')
					npidfiles++;
			}
			fclose(f);
		}
		globfree(&g);
	}
}

/* pppd's interface, from the pid files pppd writes; "" if not known. */
static void
ifname_of(uint64_t pid, char *out, size_t outsz)
{
	out[0] = '\0';
	if (pid == 0)
		return;
	if (!pidfiles_read)
		read_pidfiles();
	for (size_t i = 0; i < npidfiles; i++)
		if (pidfiles[i].pid == pid) {
			snprintf(out, outsz, "%s", pidfiles[i].ifname);
			return;
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
	char since[32], ifn[32], esc[4 * sizeof(ifn)], when[32] = "",
	    state[4 * STATUS_TEXT_LEN];
	uint64_t pppd = num(c, "pppd");
	const char *sep = "      ";

	duration(num(c, "since"), since, sizeof(since));
	ifname_of(pppd, ifn, sizeof(ifn));
	printf("    call %llu, server's %llu: %s %s", (unsigned long long)num(c,
	    "call_id"), (unsigned long long)num(c, "peer_call_id"),
	    word(c, "state", state, sizeof(state)), since);
	if (pppd != 0)
		printf(", pppd %llu%s%s%s", (unsigned long long)pppd,
		    ifn[0] ? " (" : "", log_escape(ifn, esc, sizeof(esc)),
		    ifn[0] ? ")" : "");
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
	if (status_get(c, "last_warning") != NULL) {
		time_t t = (time_t)(num(c, "last_warning_at") / 1000);
		struct tm tm;

		if (localtime_r(&t, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("      last warning, %s: %s\n", when,
		    word(c, "last_warning", state, sizeof(state)));
	}
}

/*
 * Each manager's block: its line, each connection's, and beneath each
 * the calls on it.  Every word the manager sent goes through word().
 */
static void
print_table(const struct answers *all, struct status_rec *r)
{
	char since[32], esc1[4 * STATUS_TEXT_LEN], esc2[4 * STATUS_TEXT_LEN];

	for (size_t a = 0; a < all->n; a++) {
		const struct answer *an = &all->a[a];
		const char *host, *srv;
		bool other;

		status_parse(an->lines[0].text, r);
		duration(num(r, "since"), since, sizeof(since));
		host = status_get(r, "host");
		srv = status_get(r, "server");
		other = host != NULL && srv != NULL && strcmp(host, srv) != 0;
		printf("%s%s%s%s: call manager %llu, up %s, network "
		    "namespace %llu\n", word(r, "server", esc1, sizeof(esc1)),
		    other ? " (" : "", other ? word(r, "host", esc2,
		    sizeof(esc2)) : "", other ? ")" : "",
		    (unsigned long long)num(r, "pid"), since,
		    (unsigned long long)num(r, "netns"));
		for (size_t i = 1; i < an->n; i++) {
			if (an->lines[i].kind != LINE_CONN)
				continue;
			status_parse(an->lines[i].text, r);
			duration(num(r, "since"), since, sizeof(since));
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
				    status_get(r, "peer_vendor") != NULL ?
				    word(r, "peer_vendor", esc2, sizeof(esc2)) :
				    "", (unsigned long long)num(r, "firmware"),
				    (unsigned long long)num(r, "max_channels"));
			printf("\n");
			for (size_t j = 1; j < an->n; j++) {
				if (an->lines[j].kind != LINE_CALL ||
				    an->lines[j].conn != an->lines[i].conn)
					continue;
				status_parse(an->lines[j].text, r);
				print_call(r);
			}
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

/*
 * An object's members from a line (status_json: valid JSON whatever the
 * manager sent), then its own: each begins with "," when any came first.
 * Returns that separator for the next member.
 */
static const char *
json_pairs(const struct status_rec *r, const char *skip)
{
	static char out[STATUS_JSON_LEN];

	/* always fits: a line is at most CM_LINE_LEN (else out is "") */
	(void)status_json(r, skip, out, sizeof(out));
	printf("%s", out);
	return out[0] != '\0' ? "," : "";
}

/* One object per manager, its connections in it, their calls in them. */
static void
print_json(const struct answers *all, struct status_rec *r)
{
	printf("{\"version\":%d,\"managers\":[", STATUS_VERSION);
	for (size_t a = 0; a < all->n; a++) {
		const struct answer *an = &all->a[a];
		const char *sep;
		bool first_c = true;

		status_parse(an->lines[0].text, r);
		printf("%s{", a == 0 ? "" : ",");
		printf("%s\"connections\":[", json_pairs(r, "version"));
		for (size_t i = 1; i < an->n; i++) {
			bool first_k = true;

			if (an->lines[i].kind != LINE_CONN)
				continue;
			status_parse(an->lines[i].text, r);
			printf("%s{", first_c ? "" : ",");
			printf("%s\"calls\":[", json_pairs(r, NULL));
			first_c = false;
			for (size_t j = 1; j < an->n; j++) {
				char ifn[32];

				if (an->lines[j].kind != LINE_CALL ||
				    an->lines[j].conn != an->lines[i].conn)
					continue;
				status_parse(an->lines[j].text, r);
				printf("%s{", first_k ? "" : ",");
				sep = json_pairs(r, "conn");
				ifname_of(num(r, "pppd"), ifn, sizeof(ifn));
				if (ifn[0] != '\0') {
					printf("%s\"ifname\":", sep);
					json_str(ifn);
				}
				putchar('}');
				first_k = false;
			}
			printf("]}");
		}
		printf("]}");
	}
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
	static struct status_rec scratch;
	struct pptp_addr addrs[RESOLVE_MAX];
	struct answers all = { 0 };
	int naddrs = -1, exit_code = PPTP_EXIT_OK, calls = 0, dfd;
	struct dirent *d;
	DIR *dir = NULL;

	if (o->server != NULL &&
	    (naddrs = resolve_server(o->server, addrs, RESOLVE_MAX)) == 0)
		return PPTP_EXIT_ERROR;
	/* checked as every use of it is: none at all is no tunnels */
	dfd = rdv_dir_read(o->rundir);
	if (dfd < 0 && errno != ENOENT)
		return PPTP_EXIT_ERROR;
	if (dfd >= 0 && (dir = fdopendir(dfd)) == NULL) {
		log_warn("status: cannot read %s", o->rundir);
		close(dfd);
		return PPTP_EXIT_ERROR;
	}
	while (dir != NULL && (d = readdir(dir)) != NULL) {
		char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
		struct stat sb;

		if (strncmp(d->d_name, "route-", 6) == 0 ||
		    !wanted(d->d_name, addrs, naddrs) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", o->rundir,
		    d->d_name) >= sizeof(path) || fstatat(dirfd(dir),
		    d->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISSOCK(sb.st_mode))
			continue;
		if (ask(path, &all, &scratch) < 0)
			exit_code = PPTP_EXIT_ERROR;
	}
	if (dir != NULL)
		closedir(dir);
	for (size_t a = 0; a < all.n; a++)
		for (size_t i = 0; i < all.a[a].n; i++)
			calls += all.a[a].lines[i].kind == LINE_CALL;
	if (o->json)
		print_json(&all, &scratch);
	else if (all.n > 0)
		print_table(&all, &scratch);
	else
		printf("no tunnels%s%s\n", o->server ? " to " : "",
		    o->server ? o->server : "");
	for (size_t a = 0; a < all.n; a++)
		answer_free(&all.a[a]);
	free(all.a);
	if (exit_code == PPTP_EXIT_OK && calls == 0)
		exit_code = PPTP_EXIT_CONNECT;	/* none: 3 */
	return exit_code;
}

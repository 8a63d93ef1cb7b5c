// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptpsetup: writes a pptp tunnel's /etc/ppp/peers/TUNNEL and its line in
 * /etc/ppp/chap-secrets, or removes them, with the classic pptpsetup's
 * command line.  libc only.
 *
 * pppd reads both files with one word parser: words split at white
 * space, '"' or '\'' quote (also in mid-word), '\' escapes the next
 * character (\n, \t, \s, octal and \x hex among them), and '#' outside
 * quotes starts a comment even in mid-word.  Every value we write goes
 * out in double quotes with '\' and '"' escaped, which pppd reads back
 * as exactly the bytes given; control characters are refused, since no
 * line of ours may break in two.  tests/pptpsetup.py checks this against
 * the real pppd.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "util.h"

#ifndef PPTPSETUP_PPTP
#define PPTPSETUP_PPTP	"/usr/sbin/pptp"
#endif

#define PPP_DIR		"/etc/ppp"
#define MAX_TUNNEL	64
#define MAX_HOST	253
#define MAX_PATH_ARG	200
#define MAX_NAME	255	/* pppd: MAXNAMELEN 256, with the NUL */
#define MAX_SECRET	255	/* pppd: MAXSECRETLEN 256, with the NUL */
#define MAX_SECRETS_FILE (16u << 20)

enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct setup {
	const char	*create, *delete, *server, *domain, *user, *password;
	const char	*dir, *pptp;
	char		*login;		/* USER, or DOMAIN\\USER */
	char		*asked;		/* the password typed at the prompt */
	bool		 encrypt, start;
};

/* a growing byte buffer; on ENOMEM the program ends */
struct buf {
	char		*p;
	size_t		 len, cap;
};

static void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void
die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("pptpsetup: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->cap - b->len < n + 1) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap - b->len < n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			die(EXIT_FAIL, "out of memory");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Frees b, wiped first: it may hold a secret. */
static void
buf_free(struct buf *b)
{
	if (b->p != NULL)
		explicit_bzero(b->p, b->cap);
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* s as one pppd word: in double quotes, '\' and '"' escaped. */
static void
buf_word(struct buf *b, const char *s)
{
	buf_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_add(b, "\\", 1);
		buf_add(b, s, 1);
	}
	buf_add(b, "\"", 1);
}

/* --- what we accept ------------------------------------------------------ */

/* s for a message: at most 80 bytes, control characters escaped. */
static const char *
shown(const char *s)
{
	static char out[80 * 4 + 4];
	size_t n = 0;

	for (size_t i = 0; s[i] && i < 80; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(out + n, sizeof(out) - n,
					      "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	strcpy(out + n, strlen(s) > 80 ? "..." : "");
	return out;
}

static bool
in_set(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z')
		    && !(*s >= '0' && *s <= '9') && !strchr(extra, *s))
			return false;
	return true;
}

static void
check_tunnel(const char *t)
{
	if (*t == '\0')
		die(EXIT_USAGE, "the tunnel name is empty");
	if (strchr(t, '/'))
		die(EXIT_USAGE, "tunnel name '%s' contains '/': it names a "
		    "file in the peers directory", shown(t));
	if (strstr(t, ".."))
		die(EXIT_USAGE, "tunnel name '%s' contains '..'", shown(t));
	if (strlen(t) > MAX_TUNNEL || !in_set(t, "._-") || *t == '.'
	    || *t == '-')
		die(EXIT_USAGE, "tunnel name '%s' refused: up to %d "
		    "letters, digits, '.', '_' and '-', not first '.' or '-'",
		    shown(t), MAX_TUNNEL);
}

/* Text for pppd's files: one line each, so no control characters. */
static void
check_text(const char *what, const char *s, size_t max, bool empty_ok)
{
	const unsigned char *u = (const unsigned char *)s;

	if (!empty_ok && *s == '\0')
		die(EXIT_USAGE, "the %s is empty", what);
	for (; *u; u++)
		if (*u < 0x20 || *u == 0x7f)
			die(EXIT_USAGE, "the %s contains a control character "
			    "(0x%02x%s); pppd's files hold one entry a line",
			    what, *u, *u == '\n' ? ", a newline" : "");
	if (strlen(s) > max)
		die(EXIT_USAGE, "the %s is longer than %zu bytes, pppd's "
		    "limit", what, max);
}

static void
check_create(const struct setup *s)
{
	check_tunnel(s->create);
	if (s->server == NULL)
		die(EXIT_USAGE, "--create needs --server HOST");
	if (s->user == NULL)
		die(EXIT_USAGE, "--create needs --username USER");
	/* HOST goes into the pty command, which pppd runs with /bin/sh. */
	if (*s->server == '\0' || *s->server == '-'
	    || strlen(s->server) > MAX_HOST || !in_set(s->server, ".-"))
		die(EXIT_USAGE, "server '%s' refused: a host name or "
		    "address (letters, digits, '.', '-')", shown(s->server));
	if (s->pptp[0] != '/' || strlen(s->pptp) > MAX_PATH_ARG
	    || !in_set(s->pptp, "/._+-") || strstr(s->pptp, ".."))
		die(EXIT_USAGE, "--pptp '%s' refused: an absolute path of "
		    "letters, digits, '/', '.', '_', '+', '-'", shown(s->pptp));
	check_text("user name", s->user, MAX_NAME, false);
	if (strcmp(s->user, "*") == 0)
		die(EXIT_USAGE, "user name '*' is pppd's wildcard in "
		    "chap-secrets");
	if (s->domain != NULL) {
		check_text("domain", s->domain, MAX_NAME, false);
		if (strlen(s->domain) + 1 + strlen(s->user) > MAX_NAME)
			die(EXIT_USAGE, "DOMAIN\\USER is longer than %d bytes, "
			    "pppd's limit", MAX_NAME);
	}
	if (s->start && strcmp(s->dir, PPP_DIR) != 0)
		die(EXIT_USAGE, "--start runs 'pppd call', which reads "
		    PPP_DIR ", not --dir %s", s->dir);
}

static void
check_password(const char *p)
{
	check_text("password", p, MAX_SECRET, false);
	if (*p == '@')
		die(EXIT_USAGE, "the password starts with '@', which pppd "
		    "takes as the name of a file to read the secret from");
}

/* --- the password from the terminal -------------------------------------- */

static int tty_fd = -1;
static struct termios tty_saved;

static void
tty_restore(int sig)
{
	tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static char *
ask_password(const char *user)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct termios quiet;
	sigset_t before;
	char line[MAX_SECRET + 2], prompt[MAX_NAME + 32];
	size_t n = 0;
	ssize_t r;
	bool ok, ended;
	char c;

	tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty_fd < 0 || tcgetattr(tty_fd, &tty_saved) < 0)
		die(EXIT_USAGE, "no --password and no terminal to ask for it "
		    "on");
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], tty_restore);
	/* no stopping (^Z) half way: echo would come back, input go */
	sig_block(&before, NULL, SIGTSTP, SIGTTIN, SIGTTOU, 0);
	quiet = tty_saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(tty_fd, TCSAFLUSH, &quiet) < 0)
		die(EXIT_FAIL, "cannot turn off echo: %s", strerror(errno));
	snprintf(prompt, sizeof(prompt), "Password for %s: ", user);
	ok = write(tty_fd, prompt, strlen(prompt)) >= 0;
	ended = false;
	while (ok && n < sizeof(line) && (r = read(tty_fd, &c, 1)) == 1
	       && !(ended = c == '\n'))
		line[n++] = c;
	tcsetattr(tty_fd, TCSANOW, &tty_saved);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, &before, NULL);
	ok = write(tty_fd, "\n", 1) >= 0 && ok;
	close(tty_fd);
	if (!ok)
		die(EXIT_FAIL, "cannot write to the terminal");
	if (n < sizeof(line) && !ended) {
		/* ^D or a hangup before Enter: what came so far is no password */
		explicit_bzero(line, sizeof(line));
		die(EXIT_USAGE, "no password: the terminal's input ended "
		    "before a line was entered");
	}
	if (n == sizeof(line))
		die(EXIT_USAGE, "the password is longer than %d bytes, "
		    "pppd's limit", MAX_SECRET);
	line[n] = '\0';
	char *p = strdup(line);
	explicit_bzero(line, sizeof(line));
	if (p == NULL)
		die(EXIT_FAIL, "out of memory");
	return p;
}

/* --- files ------------------------------------------------------------- */

static char *
path_join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		die(EXIT_FAIL, "out of memory");
	return p;
}

/* The whole of path in b; false if it does not exist. */
static bool
read_file(const char *path, struct buf *b)
{
	char chunk[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return false;
		die(EXIT_FAIL, "cannot read %s: %s", path, strerror(errno));
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_FAIL, "cannot read %s: %s", path,
			    strerror(errno));
		}
		if (b->len + (size_t)n > MAX_SECRETS_FILE)
			die(EXIT_FAIL, "%s is larger than %u MiB", path,
			    MAX_SECRETS_FILE >> 20);
		buf_add(b, chunk, (size_t)n);
	}
	explicit_bzero(chunk, sizeof(chunk));	/* it held secrets */
	close(fd);
	return true;
}

/*
 * Replaces path by data atomically: a temporary file beside the target,
 * written, synced and renamed over it.  A link is followed, so that its
 * target is what changes.  old: the file it replaces, whose owner and
 * group are kept (mode is decided by the caller); NULL for a new file.
 */
static void
replace_file(const char *path, const struct buf *data, mode_t mode,
	     const struct stat *old)
{
	char *real = NULL, *tmp, *slash, *dir;
	const char *target = path;
	size_t off = 0;
	int fd, dfd;

	if (old != NULL && (real = realpath(path, NULL)) != NULL)
		target = real;
	if (asprintf(&tmp, "%s.pptpsetup-XXXXXX", target) < 0)
		die(EXIT_FAIL, "out of memory");
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		die(EXIT_FAIL, "cannot create a file beside %s: %s", target,
		    strerror(errno));
	if (fchmod(fd, mode) < 0
	    || (old != NULL && (old->st_uid != geteuid()
				|| old->st_gid != getegid())
		&& fchown(fd, old->st_uid, old->st_gid) < 0))
		goto fail;
	while (off < data->len) {
		ssize_t n = write(fd, data->p + off, data->len - off);

		if (n < 0 && errno != EINTR)
			goto fail;
		if (n > 0)
			off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, target) < 0)
		goto fail;
	dir = strdup(target);
	if (dir != NULL && (slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if ((dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY
				| O_CLOEXEC)) >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	free(dir);
	free(tmp);
	free(real);
	return;
fail:
	{
		int e = errno;

		if (fd >= 0)
			close(fd);
		unlink(tmp);
		die(EXIT_FAIL, "cannot write %s: %s", target, strerror(e));
	}
}

/*
 * pppd's reading of one word from line[*i], up to end (see the top of
 * this file).  Returns false at a comment or the end of the line, or
 * when the word goes on onto the next line (cont set).
 */
static bool
next_word(const char *line, size_t end, size_t *i, struct buf *w, bool *cont)
{
	char quote = 0;
	size_t k = *i;

	w->len = 0;
	while (k < end && strchr(" \t\r\v\f", line[k]))
		k++;
	if (k == end || line[k] == '#')
		return false;
	for (; k < end; k++) {
		char c = line[k];

		if (c == '\\') {
			unsigned v = 0, n = 0;

			if (++k == end) {
				*cont = true;
				return false;
			}
			c = line[k];
			if (c >= '0' && c <= '7') {
				for (; n < 3 && k < end && line[k] >= '0'
				     && line[k] <= '7'; n++, k++)
					v = v * 8 + (unsigned)(line[k] - '0');
				k--;
				c = (char)v;
			} else if (c == 'x') {
				for (; n < 2 && k + 1 < end
				     && strchr("0123456789abcdefABCDEF",
					       line[k + 1]); n++, k++)
					v = v * 16 + (unsigned)(line[k + 1]
						<= '9' ? line[k + 1] - '0'
						: (line[k + 1] | 0x20) - 'a'
						  + 10);
				c = (char)v;
			} else {
				const char *from = "abfnrst", *to = "\a\b\f\n\r \t";
				const char *m = strchr(from, c);

				if (m != NULL)
					c = to[m - from];
			}
			buf_add(w, &c, 1);
		} else if (quote) {
			if (c == quote)
				quote = 0;
			else
				buf_add(w, &c, 1);
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (strchr(" \t\r\v\f#", c)) {
			break;
		} else {
			buf_add(w, &c, 1);
		}
	}
	if (quote) {		/* a quoted word that runs to the next line */
		*cont = true;
		return false;
	}
	*i = k;
	return true;
}

/*
 * Is this line of chap-secrets an entry for tunnel (its server, the
 * second word)?  A line that goes on onto the next is never ours, nor
 * is the line after it (cont carries that over).
 */
static bool
secret_is_tunnel(const char *line, size_t len, const char *tunnel,
		 bool *cont)
{
	struct buf w = { 0 };
	size_t i = 0;
	bool was_cont = *cont, ours;

	*cont = false;
	ours = next_word(line, len, &i, &w, cont)
	       && next_word(line, len, &i, &w, cont)
	       && w.len == strlen(tunnel) && memcmp(w.p, tunnel, w.len) == 0;
	if (!*cont) {		/* see whether the line ends in '\' */
		struct buf rest = { 0 };

		while (next_word(line, len, &i, &rest, cont))
			;
		free(rest.p);
	}
	free(w.p);
	return ours && !was_cont && !*cont;
}

/*
 * chap-secrets without the lines of tunnel, and with line (if not NULL)
 * added at the end.  Returns how many lines it took out.  The comment
 * the classic pptpsetup puts above each line it adds goes with it.
 */
static unsigned
edit_secrets(const struct buf *old, const char *tunnel, const char *line,
	     struct buf *out, unsigned *marked)
{
	unsigned removed = 0;
	bool cont = false;
	size_t at = 0, last = 0;	/* where the last line kept starts */
	char *classic;

	if (asprintf(&classic, "# added by pptpsetup for %s\n", tunnel) < 0)
		die(EXIT_FAIL, "out of memory");
	while (at < old->len) {
		const char *nl = memchr(old->p + at, '\n', old->len - at);
		size_t len = nl ? (size_t)(nl - (old->p + at)) : old->len - at;

		if (secret_is_tunnel(old->p + at, len, tunnel, &cont)) {
			removed++;
			if (out->len - last == strlen(classic)
			    && memcmp(out->p + last, classic, out->len - last)
			       == 0) {
				out->len = last;
				if (marked != NULL)
					(*marked)++;
			}
		} else {
			last = out->len;
			buf_add(out, old->p + at, len + (nl != NULL));
		}
		at += len + (nl != NULL);
	}
	free(classic);
	if (line != NULL) {
		if (out->len > 0 && out->p[out->len - 1] != '\n')
			buf_add(out, "\n", 1);
		buf_str(out, line);
	}
	return removed;
}

/* chap-secrets' mode: 0600 when new, else as it was less "other" and
   set-id bits */
static mode_t
secrets_mode(const struct stat *old)
{
	return old ? (old->st_mode & 0660) : 0600;
}

static int
lock_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die(EXIT_FAIL, "cannot open %s: %s", dir, strerror(errno));
	if (flock(fd, LOCK_EX) < 0)
		die(EXIT_FAIL, "cannot lock %s: %s", dir, strerror(errno));
	return fd;
}

/* --- create and delete ---------------------------------------------------- */

static void
peers_text(const struct setup *s, struct buf *b)
{
	buf_str(b, "# pptp tunnel ");
	buf_str(b, s->create);
	buf_str(b, ", written by pptpsetup: \"pon ");
	buf_str(b, s->create);
	buf_str(b, "\" brings it up,\n# \"poff ");
	buf_str(b, s->create);
	buf_str(b, "\" takes it down, \"pptpsetup --delete ");
	buf_str(b, s->create);
	buf_str(b, "\" removes it.\n# The password is in chap-secrets, "
		"on the line whose second word is ");
	buf_str(b, s->create);
	buf_str(b, ".\npty \"");
	buf_str(b, s->pptp);
	buf_str(b, " ");
	buf_str(b, s->server);
	buf_str(b, " --nolaunchpppd\"\nname ");
	buf_word(b, s->login);
	buf_str(b, "\nremotename ");
	buf_str(b, s->create);
	buf_str(b, "\n");
	if (s->encrypt)
		buf_str(b, "require-mppe-128\n");
	buf_str(b, "file " PPP_DIR "/options.pptp\nipparam ");
	buf_str(b, s->create);
	buf_str(b, "\n");
}

static void
secret_line(const struct setup *s, struct buf *b)
{
	buf_word(b, s->login);
	buf_str(b, " ");
	buf_str(b, s->create);
	buf_str(b, " ");
	buf_word(b, s->password);
	buf_str(b, " *\n");
}

static void
do_create(struct setup *s)
{
	char *peers = path_join(s->dir, "peers");
	char *peer = path_join(peers, s->create);
	char *secrets = path_join(s->dir, "chap-secrets");
	char *options = path_join(s->dir, "options.pptp");
	struct buf text = { 0 }, line = { 0 }, old = { 0 }, out = { 0 };
	struct stat st_peer, st_sec, st;
	bool had_peer, had_sec;

	if (stat(s->dir, &st) < 0 || !S_ISDIR(st.st_mode))
		die(EXIT_FAIL, "%s is not a directory", s->dir);
	if (s->password == NULL)
		s->password = s->asked = ask_password(s->user);
	check_password(s->password);
	peers_text(s, &text);
	secret_line(s, &line);

	int lock = lock_dir(s->dir);
	if (mkdir(peers, 0755) < 0 && errno != EEXIST)
		die(EXIT_FAIL, "cannot create %s: %s", peers, strerror(errno));
	/* the secret first: a peers file without it would only fail */
	had_sec = read_file(secrets, &old) && stat(secrets, &st_sec) == 0;
	unsigned marked = 0;
	unsigned replaced = edit_secrets(&old, s->create, line.p, &out,
					 &marked);
	had_peer = stat(peer, &st_peer) == 0;
	/* lines for a name that is no tunnel (neither a peers file nor the
	   classic tool's comment): another's, such as a PPTP server's own
	   name in its secrets; not ours to replace */
	if (replaced > marked && !had_peer)
		die(EXIT_USAGE, "%s has %u line%s whose server is %s, but there "
		    "is no %s: not a tunnel's, left alone; choose another "
		    "tunnel name", secrets, replaced, replaced == 1 ? "" : "s",
		    s->create, peer);
	replace_file(secrets, &out, secrets_mode(had_sec ? &st_sec : NULL),
		     had_sec ? &st_sec : NULL);
	replace_file(peer, &text, had_peer ? st_peer.st_mode & 07777 : 0644,
		     had_peer ? &st_peer : NULL);
	close(lock);
	printf("pptpsetup: %s %s and its secret in %s", had_peer ?
	       "replaced" : "wrote", peer, secrets);
	if (replaced == 1)
		printf(" (its old line replaced)\n");
	else if (replaced > 1)
		printf(" (%u old lines for %s replaced)\n", replaced,
		       s->create);
	else
		printf("\n");

	if (access(options, F_OK) < 0)
		fprintf(stderr, "pptpsetup: warning: %s does not exist: the "
			"tunnel's pppd reads " PPP_DIR "/options.pptp and "
			"refuses the tunnel without it (make install or the "
			"package writes an example)\n", options);
	buf_free(&text);
	buf_free(&line);
	buf_free(&old);
	buf_free(&out);
	free(peers);
	free(peer);
	free(secrets);
	free(options);
}

static void
do_delete(struct setup *s)
{
	char *peer, *secrets = path_join(s->dir, "chap-secrets");
	struct buf old = { 0 }, out = { 0 };
	struct stat st;
	unsigned removed = 0, marked = 0;
	bool had_peer;

	if (asprintf(&peer, "%s/peers/%s", s->dir, s->delete) < 0)
		die(EXIT_FAIL, "out of memory");
	if (stat(s->dir, &st) < 0 || !S_ISDIR(st.st_mode))
		die(EXIT_FAIL, "%s is not a directory", s->dir);
	int lock = lock_dir(s->dir);
	if (read_file(secrets, &old)) {
		removed = edit_secrets(&old, s->delete, NULL, &out, &marked);
		/* as for --create: no tunnel's lines, not ours to remove */
		if (removed > marked && lstat(peer, &st) < 0)
			die(EXIT_USAGE, "%s has %u line%s whose server is %s, "
			    "but there is no %s: not a tunnel's, left alone",
			    secrets, removed, removed == 1 ? "" : "s",
			    s->delete, peer);
		if (removed > 0) {
			if (stat(secrets, &st) < 0)
				die(EXIT_FAIL, "cannot stat %s: %s", secrets,
				    strerror(errno));
			replace_file(secrets, &out, secrets_mode(&st), &st);
		}
	}
	had_peer = unlink(peer) == 0;
	if (!had_peer && errno != ENOENT)
		die(EXIT_FAIL, "cannot remove %s: %s", peer, strerror(errno));
	close(lock);
	buf_free(&old);
	buf_free(&out);
	if (!had_peer && removed == 0)
		die(EXIT_FAIL, "no tunnel %s: neither %s nor a line for it in "
		    "%s", s->delete, peer, secrets);
	printf("pptpsetup: removed %s%s%s\n", had_peer ? peer : "",
	       had_peer && removed ? " and " : "",
	       removed ? "its secret" : "");
	free(peer);
	free(secrets);
}

/* --- the command line ------------------------------------------------------ */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: pptpsetup --create TUNNEL --server HOST [--domain DOMAIN]\n"
"                 --username USER [--password PASS] [--encrypt] [--start]\n"
"       pptpsetup --delete TUNNEL\n"
"\n"
"Writes a pptp tunnel's peers file and secret for pppd, or removes them.\n"
"  --create TUNNEL   write %s/peers/TUNNEL and TUNNEL's line in\n"
"                    %s/chap-secrets (replacing an older one)\n"
"  --server HOST     the PPTP server's name or address\n"
"  --domain DOMAIN   log in as DOMAIN\\USER (Windows domains)\n"
"  --username USER   the user name to log in with\n"
"  --password PASS   its password (asked on the terminal if not given)\n"
"  --encrypt         require MPPE 128-bit encryption\n"
"  --start           run 'pppd call TUNNEL' once written\n"
"  --delete TUNNEL   remove TUNNEL's peers file and its secret\n"
"  --dir DIR         use DIR instead of %s (also $PPTPSETUP_DIR)\n"
"  --pptp PATH       the pptp to run (default %s)\n"
"  --help            print this and exit\n"
"  --version         print the version and exit\n"
"Then: pon TUNNEL brings the tunnel up, poff TUNNEL takes it down.\n",
		PPP_DIR, PPP_DIR, PPP_DIR, PPTPSETUP_PPTP);
}

enum {
	OPT_CREATE = 256, OPT_DELETE, OPT_SERVER, OPT_DOMAIN, OPT_USERNAME,
	OPT_PASSWORD, OPT_ENCRYPT, OPT_START, OPT_DIR, OPT_PPTP, OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "create",	required_argument, NULL, OPT_CREATE },
	{ "delete",	required_argument, NULL, OPT_DELETE },
	{ "server",	required_argument, NULL, OPT_SERVER },
	{ "domain",	required_argument, NULL, OPT_DOMAIN },
	{ "username",	required_argument, NULL, OPT_USERNAME },
	{ "password",	required_argument, NULL, OPT_PASSWORD },
	{ "encrypt",	no_argument,	   NULL, OPT_ENCRYPT },
	{ "start",	no_argument,	   NULL, OPT_START },
	{ "dir",	required_argument, NULL, OPT_DIR },
	{ "pptp",	required_argument, NULL, OPT_PPTP },
	{ "help",	no_argument,	   NULL, OPT_HELP },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char **argv)
{
	struct setup s = { .pptp = PPTPSETUP_PPTP };
	int c;

	s.dir = getenv("PPTPSETUP_DIR");
	if (s.dir == NULL || *s.dir == '\0')
		s.dir = PPP_DIR;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CREATE:	s.create = optarg; break;
		case OPT_DELETE:	s.delete = optarg; break;
		case OPT_SERVER:	s.server = optarg; break;
		case OPT_DOMAIN:	s.domain = optarg; break;
		case OPT_USERNAME:	s.user = optarg; break;
		case OPT_PASSWORD:	s.password = optarg; break;
		case OPT_ENCRYPT:	s.encrypt = true; break;
		case OPT_START:		s.start = true; break;
		case OPT_DIR:		s.dir = optarg; break;
		case OPT_PPTP:		s.pptp = optarg; break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("pptpsetup version %s\n", PPTP_VERSION);
			return 0;
		default:
			/* getopt names the option in optopt when it has an
			   id of ours (a value missing or not wanted) */
			if (optopt >= OPT_CREATE && optopt <= OPT_VERSION) {
				const struct option *lo =
				    &long_opts[optopt - OPT_CREATE];

				die(EXIT_USAGE, "option --%s %s (--help lists "
				    "them)", lo->name, lo->has_arg ==
				    no_argument ? "takes no value" :
				    "needs a value");
			}
			die(EXIT_USAGE, "unknown or ambiguous option '%s' "
			    "(--help lists them)", shown(argv[optind - 1]));
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s' (--help lists the "
		    "options)", shown(argv[optind]));
	if ((s.create != NULL) == (s.delete != NULL))
		die(EXIT_USAGE, "give one of --create TUNNEL or --delete "
		    "TUNNEL (--help shows how)");
	if (*s.dir == '\0')
		die(EXIT_USAGE, "--dir is empty");
	if (s.delete != NULL) {
		if (s.server || s.domain || s.user || s.password || s.encrypt
		    || s.start)
			die(EXIT_USAGE, "--delete takes only a tunnel name "
			    "(and --dir)");
		check_tunnel(s.delete);
		do_delete(&s);
		return 0;
	}
	check_create(&s);
	if (asprintf(&s.login, "%s%s%s", s.domain ? s.domain : "",
		     s.domain ? "\\" : "", s.user) < 0)
		die(EXIT_FAIL, "out of memory");
	if (s.password != NULL)
		check_password(s.password);
	do_create(&s);
	free(s.login);
	if (s.asked != NULL) {
		explicit_bzero(s.asked, strlen(s.asked));
		free(s.asked);
	}
	if (s.start) {
		fflush(stdout);
		/* by its absolute path, as pptp runs it: never from PATH */
		execl(PPPD_PATH, "pppd", "call", s.create, (char *)NULL);
		die(EXIT_FAIL, "cannot run %s: %s (Debian package ppp)",
		    PPPD_PATH, strerror(errno));
	}
	return 0;
}

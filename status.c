// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live status: the figures' table, the shared page's sequence count and
 * the answer's lines.
 */
#include "status.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct status_figure status_figure[STATUS_NFIGS] = {
#define STATUS_X(name, type, group, words)	\
	[STATUS_FIG_##name] = { #name, words, group },
	STATUS_FIGURES(STATUS_X)
#undef STATUS_X
};

uint64_t
status_figure_value(const struct status_figures *f, enum status_fig i)
{
	switch (i) {
#define STATUS_X(name, type, group, words)	\
	case STATUS_FIG_##name:			\
		return f->name;
	STATUS_FIGURES(STATUS_X)
#undef STATUS_X
	case STATUS_NFIGS:
		break;
	}
	return 0;
}

void
status_pub_begin(struct gw_pub *p)
{
	__atomic_store_n(&p->seq, p->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

void
status_pub_end(struct gw_pub *p)
{
	__atomic_store_n(&p->seq, p->seq + 1, __ATOMIC_RELEASE);
}

bool
status_pub_read(const struct gw_pub *p, struct gw_pub *out)
{
	for (int tries = 0; tries < 100; tries++) {
		uint32_t a = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE), b;

		if (a & 1)
			continue;	/* being written: again */
		memcpy(out, p, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		b = __atomic_load_n(&p->seq, __ATOMIC_RELAXED);
		if (a == b) {
			out->last[sizeof(out->last) - 1] = '\0';
			return true;
		}
	}
	return false;
}

static bool
plain(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || strchr("._:/+-", c) != NULL;
}

void
status_line_init(struct status_line *l, const char *kind)
{
	l->len = (size_t)snprintf(l->text, sizeof(l->text), "%s", kind);
	l->whole = l->len;
	l->cut = 0;
}

/* Room always kept for " cut=N", N up to 10 digits. */
#define CUT_ROOM	(sizeof(" cut=") - 1 + 10)

/* One more pair left out: the marker at the end says how many. */
static void
line_cut(struct status_line *l)
{
	if (l->cut < UINT_MAX)
		l->cut++;
	l->len = l->whole + (size_t)snprintf(l->text + l->whole,
	    sizeof(l->text) - l->whole, " cut=%u", l->cut);
}

void
status_line_str(struct status_line *l, const char *key, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	char enc[sizeof(l->text)];
	size_t n = 0;

	for (; *s && n + 4 < sizeof(enc); s++) {
		if (plain(*s)) {
			enc[n++] = (char)*s;
		} else {
			snprintf(enc + n, 4, "%%%02X", *s);
			n += 3;
		}
	}
	enc[n] = '\0';
	/* a value that does not fit is left out whole, never cut short */
	if (l->cut > 0 || *s != '\0' || l->len + 1 + strlen(key) + 1 + n +
	    CUT_ROOM + 1 > sizeof(l->text)) {
		line_cut(l);
		return;
	}
	l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len,
	    " %s=%s", key, enc);
	l->whole = l->len;
}

void
status_line_u64(struct status_line *l, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	status_line_str(l, key, num);
}

void
status_line_figures(struct status_line *l, const struct status_figures *f)
{
	for (int i = 0; i < STATUS_NFIGS; i++)
		status_line_u64(l, status_figure[i].name,
		    status_figure_value(f, (enum status_fig)i));
}

bool
status_kind(struct status_reader *r, const char *line, char *kind,
    size_t kindsz)
{
	size_t n = strcspn(line, " ");

	r->p = line + n;
	r->bad = n == 0 || n >= kindsz;
	if (r->bad)
		return false;
	memcpy(kind, line, n);
	kind[n] = '\0';
	return true;
}

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool
status_next(struct status_reader *r, char *key, size_t keysz, char *buf,
    size_t bufsz)
{
	size_t k = 0, v = 0;

	if (r->bad || *r->p == '\0')
		return false;
	if (*r->p++ != ' ')
		goto bad;
	while (*r->p != '=' && *r->p != '\0' && *r->p != ' ') {
		if (k + 1 >= keysz)
			goto bad;
		key[k++] = *r->p++;
	}
	if (k == 0 || *r->p++ != '=')
		goto bad;
	key[k] = '\0';
	while (*r->p != ' ' && *r->p != '\0') {
		int c = (unsigned char)*r->p++;

		if (c == '%') {
			int hi = hex(r->p[0]), lo = hi < 0 ? -1 : hex(r->p[1]);

			if (lo < 0)
				goto bad;
			c = hi << 4 | lo;
			r->p += 2;
		} else if (!plain((unsigned char)c)) {
			goto bad;
		}
		if (c == '\0' || v + 1 >= bufsz)
			goto bad;
		buf[v++] = (char)c;
	}
	buf[v] = '\0';
	return true;
bad:
	r->bad = true;
	return false;
}

bool
status_parse(const char *line, struct status_rec *r)
{
	struct status_reader rd;
	struct status_pair extra;

	memset(r, 0, sizeof(*r));
	if (!status_kind(&rd, line, r->kind, sizeof(r->kind)))
		return false;
	for (;;) {
		struct status_pair *p = r->npairs < STATUS_MAX_PAIRS ?
		    &r->pairs[r->npairs] : &extra;
		unsigned long long n;

		if (!status_next(&rd, p->key, sizeof(p->key), p->val,
		    sizeof(p->val)))
			break;
		if (strcmp(p->key, "cut") == 0) {
			n = strtoull(p->val, NULL, 10);
			r->cut = n > UINT_MAX - r->cut ? UINT_MAX :
			    r->cut + (unsigned)n;
		} else if (p == &extra) {
			r->cut += r->cut < UINT_MAX;
		} else {
			r->npairs++;
		}
	}
	return !rd.bad;
}

const char *
status_get(const struct status_rec *r, const char *key)
{
	for (int i = 0; i < r->npairs; i++)
		if (strcmp(r->pairs[i].key, key) == 0)
			return r->pairs[i].val;
	return NULL;
}

/* The keys each kind of line has (callmgr_status.c), 'n' numbers. */
struct status_key {
	const char	*name;
	char		 type;	/* 'n' digits, 't' any text */
};

static const struct status_key manager_keys[] = {
	{ "version", 'n' }, { "server", 't' }, { "host", 't' },
	{ "pid", 'n' }, { "netns", 'n' }, { "since", 'n' },
	{ "share", 't' }, { "one_call", 'n' }, { NULL, 0 },
};
static const struct status_key conn_keys[] = {
	{ "id", 'n' }, { "state", 't' }, { "since", 'n' }, { "local", 't' },
	{ "peer_host", 't' }, { "peer_vendor", 't' }, { "firmware", 'n' },
	{ "max_channels", 'n' }, { "ncalls", 'n' }, { NULL, 0 },
};
static const struct status_key call_keys[] = {
	{ "conn", 'n' }, { "state", 't' }, { "since", 'n' },
	{ "call_id", 'n' }, { "peer_call_id", 'n' }, { "speed", 'n' },
	{ "peer_window", 'n' }, { "pppd", 'n' }, { "last_warning", 't' },
	{ "last_warning_at", 'n' }, { NULL, 0 },
};
static const struct status_key no_keys[] = { { NULL, 0 } };

/* 'n', 't', or 0 for a key a line of this kind does not have. */
static char
key_type(const struct status_key *keys, bool figures, const char *key)
{
	for (int i = 0; keys[i].name != NULL; i++)
		if (strcmp(keys[i].name, key) == 0)
			return keys[i].type;
	for (int i = 0; figures && i < STATUS_NFIGS; i++)
		if (strcmp(status_figure[i].name, key) == 0)
			return 'n';
	return 0;
}

bool
status_number(const char *v, uint64_t *out)
{
	size_t n = strspn(v, "0123456789");

	/* as JSON writes one: "0", or no leading zero */
	if (n == 0 || v[n] != '\0' || n > 20 || (v[0] == '0' && n > 1) ||
	    (n == 20 && strcmp(v, "18446744073709551615") > 0))
		return false;
	if (out != NULL)
		*out = strtoull(v, NULL, 10);
	return true;
}

/* The keys of a kind of line, and whether it has the figures; NULL. */
static const struct status_key *
kind_keys(const char *kind, bool *figures)
{
	static const struct {
		const char		*kind;
		const struct status_key	*keys;
		bool			 figures;
	} kinds[] = {
		{ "manager", manager_keys, false }, { "conn", conn_keys, false },
		{ "call", call_keys, true }, { "end", no_keys, false },
	};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (strcmp(kind, kinds[k].kind) == 0) {
			*figures = kinds[k].figures;
			return kinds[k].keys;
		}
	*figures = false;
	return NULL;
}

bool
status_check(const struct status_rec *r, char *why, size_t whysz)
{
	bool figures;
	const struct status_key *keys = kind_keys(r->kind, &figures);

	if (keys == NULL) {
		snprintf(why, whysz, "a line of an unknown kind");
		return false;
	}
	for (int i = 0; i < r->npairs; i++) {
		const struct status_pair *p = &r->pairs[i];
		char type = key_type(keys, figures, p->key), shown[32];
		size_t n = 0;

		if (type == 0) {
			/* named as far as it is plain, for the log */
			for (const char *c = p->key; *c && n + 1 < sizeof(shown);
			    c++)
				shown[n++] = plain((unsigned char)*c) ? *c : '?';
			shown[n] = '\0';
			snprintf(why, whysz, "an unknown key %s in a %s line",
			    shown, r->kind);
			return false;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(r->pairs[j].key, p->key) == 0) {
				snprintf(why, whysz, "%s twice in a %s line",
				    p->key, r->kind);
				return false;
			}
		if (type == 'n' && !status_number(p->val, NULL)) {
			snprintf(why, whysz, "%s is not a number in a %s line",
			    p->key, r->kind);
			return false;
		}
	}
	return true;
}

/* Where JSON is written: sticky bad once it would not fit. */
struct jw {
	char	*p;
	size_t	 len, off;
	bool	 bad;
};

static void
jw_put(struct jw *w, const char *s, size_t n)
{
	if (w->bad || w->len - w->off <= n) {
		w->bad = true;
		return;
	}
	memcpy(w->p + w->off, s, n);
	w->off += n;
	w->p[w->off] = '\0';
}

/* A JSON string, ASCII alone: any other byte as \u00XX (Latin-1). */
static void
jw_str(struct jw *w, const char *s)
{
	char esc[8];

	jw_put(w, "\"", 1);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*c;
			jw_put(w, esc, 2);
		} else if (*c < 0x20 || *c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *c);
			jw_put(w, esc, 6);
		} else {
			jw_put(w, (const char *)c, 1);
		}
	}
	jw_put(w, "\"", 1);
}

bool
status_json(const struct status_rec *r, const char *skip, char *out,
    size_t outsz)
{
	struct jw w = { .p = out, .len = outsz };
	bool figures;
	const struct status_key *keys = kind_keys(r->kind, &figures);
	char num[32];

	if (outsz == 0)
		return false;
	out[0] = '\0';
	for (int i = 0; i < r->npairs; i++) {
		const struct status_pair *p = &r->pairs[i];
		uint64_t n;

		if (skip != NULL && strcmp(p->key, skip) == 0)
			continue;
		if (w.off > 0)
			jw_put(&w, ",", 1);
		jw_str(&w, p->key);
		jw_put(&w, ":", 1);
		/* a number only where one is due, and written afresh */
		if (keys != NULL && key_type(keys, figures, p->key) == 'n' &&
		    status_number(p->val, &n)) {
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)n);
			jw_put(&w, num, strlen(num));
		} else {
			jw_str(&w, p->val);
		}
	}
	if (r->cut > 0) {
		snprintf(num, sizeof(num), "%s\"cut\":%u", w.off > 0 ? "," :
		    "", r->cut);
		jw_put(&w, num, strlen(num));
	}
	if (w.bad)
		out[0] = '\0';
	return !w.bad;
}

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

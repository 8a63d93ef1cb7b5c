// SPDX-License-Identifier: GPL-2.0-or-later
/* Live status: the shared page's sequence count and the answer's lines. */
#include "status.h"

#include <stdio.h>
#include <string.h>

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
	l->cut = false;
}

void
status_line_str(struct status_line *l, const char *key, const char *value)
{
	char enc[sizeof(l->text)];
	size_t n = 0;

	for (const unsigned char *s = (const unsigned char *)value; *s &&
	    n + 4 < sizeof(enc); s++) {
		if (plain(*s)) {
			enc[n++] = (char)*s;
		} else {
			snprintf(enc + n, 4, "%%%02X", *s);
			n += 3;
		}
	}
	enc[n] = '\0';
	if (l->len + 1 + strlen(key) + 1 + n + 1 > sizeof(l->text)) {
		l->cut = true;
		return;
	}
	l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len,
	    " %s=%s", key, enc);
}

void
status_line_u64(struct status_line *l, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	status_line_str(l, key, num);
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

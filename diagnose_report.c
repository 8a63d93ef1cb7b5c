// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptp --diagnose's report (diagnose_int.h): a line per stage as it
 * ends, then the verdict, in text on standard output, or with --json
 * all of it at the end in one JSON object.  The verdict's words are
 * chosen in diagnose_pure.c.
 */
#include "diagnose_int.h"

#include <stdarg.h>
#include <stdio.h>

#include "util.h"

/* s as a JSON string: quote, backslash, controls escaped. */
static void
json_str(FILE *f, const char *s)
{
	char e[7];

	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputs(diag_json_char(*p, e), f);
	fputc('"', f);
}

double
diag_secs_since(uint64_t t0)
{
	return (double)(now_ms() - t0) / 1000.0;
}

void
diag_stage(struct diag *d, const char *name, bool ok, uint64_t t0,
    const char *fmt, ...)
{
	struct diag_stage *s;
	va_list ap;

	if (d->nst >= DIAG_NSTAGES)
		return;
	s = &d->st[d->nst++];
	s->name = name;
	s->ok = ok;
	s->secs = diag_secs_since(t0);
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
	if (!d->o->json) {
		printf("%-7s %-4s %s (%.3f s)\n", s->name, ok ? "ok" : "FAIL",
		    s->detail, s->secs);
		fflush(stdout);
	}
}

int
diag_report(struct diag *d)
{
	char cause[2 * DIAG_DETAIL_LEN], fix[2 * DIAG_DETAIL_LEN];
	bool ok = d->f.failed == NULL && d->f.missing[0] == '\0';
	int status = diag_verdict(&d->f, d->o->server, cause, sizeof(cause),
	    fix, sizeof(fix));

	if (!d->o->json) {
		if (ok)
			printf("verdict: ok: %s. Next: %s.\n", cause, fix);
		else
			printf("verdict: FAIL at %s: %s. Fix: %s.\n",
			    d->f.failed != NULL ? d->f.failed : "local",
			    cause, fix);
		fflush(stdout);
		return status;
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
	return status;
}

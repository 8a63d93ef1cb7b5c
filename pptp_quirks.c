// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The table of vendor quirks, and the tolerances that are always on.
 * A quirk a user picks lives in a file of its own (orckit_quirks.c);
 * a tolerance is small enough to live here.
 */
#include "pptp_quirks.h"

#include <stdio.h>
#include <string.h>

/* Some Alcatel modems answer SCCRQ with result 0, not in the RFC: OK. */
static bool
alcatel_incoming(struct msg *m, char *words, size_t wordsz)
{
	(void)words;		/* as ever, not worth a log line */
	(void)wordsz;
	if (m->hdr.ctrl_type != MSG_SCCRP || m->sccrp.result != 0)
		return false;
	m->sccrp.result = 1;
	return true;
}

const struct quirk quirk_alcatel = {
	.name = "alcatel SCCRP result 0",
	.always = true,
	.incoming = alcatel_incoming,
};

/* Cisco PIX sets the header's reserved0 (RFC 2637 2.1: must be 0). */
static bool
pix_incoming(struct msg *m, char *words, size_t wordsz)
{
	if (m->hdr.reserved0 == 0)
		return false;
	snprintf(words, wordsz, "server sets reserved0 to 0x%04x in %s (as "
	    "Cisco PIX does): accepted", m->hdr.reserved0,
	    msg_type_name(m->hdr.ctrl_type));
	m->hdr.reserved0 = 0;
	return true;
}

const struct quirk quirk_pix = {
	.name = "cisco PIX reserved0",
	.always = true,
	.incoming = pix_incoming,
};

static const struct quirk *const quirks[] = {
	&quirk_orckit,
	&quirk_alcatel,
	&quirk_pix,
};

#define NQUIRKS	(sizeof(quirks) / sizeof(quirks[0]))

/* struct ctrl_conn's quirks_told has a bit for each (and one more) */
_Static_assert(NQUIRKS <= 31, "too many quirks for quirks_told");

const struct quirk *
quirk_at(size_t i)
{
	return i < NQUIRKS ? quirks[i] : NULL;
}

const struct quirk *
quirk_find(const char *name)
{
	for (size_t i = 0; i < NQUIRKS; i++)
		if (!quirks[i]->always && strcmp(quirks[i]->name, name) == 0)
			return quirks[i];
	return NULL;
}

const char *
quirk_names(void)
{
	static char names[256];
	size_t len = 0;

	if (names[0] != '\0')
		return names;
	for (size_t i = 0; i < NQUIRKS; i++) {
		if (quirks[i]->always || len >= sizeof(names))
			continue;
		len += (size_t)snprintf(names + len, sizeof(names) - len,
		    "%s%s", len > 0 ? ", " : "", quirks[i]->name);
	}
	return names;
}

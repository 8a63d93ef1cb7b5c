// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The table of vendor quirks.  Each vendor's hooks live in a file of
 * their own (orckit_quirks.c); this file only names them.
 */
#include "pptp_quirks.h"

#include <string.h>

static const struct quirk *const quirks[] = {
	&quirk_orckit,
};

const struct quirk *
quirk_find(const char *name)
{
	for (size_t i = 0; i < sizeof(quirks) / sizeof(quirks[0]); i++)
		if (strcmp(quirks[i]->name, name) == 0)
			return quirks[i];
	return NULL;
}

const char *
quirk_names(void)
{
	/* One entry today; grow this string with the table. */
	return "BEZEQ_ISRAEL";
}

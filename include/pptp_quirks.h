/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Vendor quirks (--quirks NAME): hooks that adjust an outgoing control
 * message at the points where real servers need something else than what
 * RFC 2637 prescribes.  Pure: no I/O, no logging.
 */
#ifndef PPTP_QUIRKS_H
#define PPTP_QUIRKS_H

#include <stdbool.h>

#include "pptp_msg.h"

struct quirk {
	const char	*name;
	/* Adjust our Start-Control-Connection-Request. */
	void		(*sccrq)(struct msg_sccrq *m);
	/* Adjust an Outgoing-Call-Request. */
	void		(*ocrq)(struct msg_ocrq *m);
	/*
	 * A call came up: fill *m (peer_call_id already set) and return
	 * true to send Set-Link-Info to the server.
	 */
	bool		(*call_up_sli)(struct msg_sli *m);
};

/* The quirk called name, NULL if there is none. */
const struct quirk *quirk_find(const char *name);

/* The known names, comma separated, for a usage message. */
const char *quirk_names(void);

/* Orckit ADSL modems (Bezeq, Israel): orckit_quirks.c. */
extern const struct quirk quirk_orckit;

#endif

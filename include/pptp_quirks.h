/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Vendor quirks: hooks at the points where real servers need something
 * else than what RFC 2637 prescribes.  One table (pptp_quirks.c) holds
 * them all: those a user picks (--quirks NAME), which adjust what we
 * send, and tolerances that are always on, which bring a vendor's known
 * deviation in what a server sends back to the RFC before the control
 * connection's state machine judges it.  Pure: no I/O, no logging.
 */
#ifndef PPTP_QUIRKS_H
#define PPTP_QUIRKS_H

#include <stdbool.h>
#include <stddef.h>

#include "pptp_msg.h"

struct quirk {
	const char	*name;
	bool		 always;	/* a tolerance, not a --quirks name */
	/* Adjust our Start-Control-Connection-Request. */
	void		(*sccrq)(struct msg_sccrq *m);
	/* Adjust an Outgoing-Call-Request. */
	void		(*ocrq)(struct msg_ocrq *m);
	/*
	 * A call came up: fill *m (peer_call_id already set) and return
	 * true to send Set-Link-Info to the server.
	 */
	bool		(*call_up_sli)(struct msg_sli *m);
	/*
	 * A message from the server, decoded, before it is judged: if it
	 * shows this vendor's deviation, make *m what the RFC says and
	 * return true, with words for the log in words (which comes as "";
	 * left so, nothing is said), said once per connection.
	 */
	bool		(*incoming)(struct msg *m, char *words, size_t wordsz);
};

/* The quirk a user may pick by name (--quirks), NULL if there is none. */
const struct quirk *quirk_find(const char *name);

/* The names a user may pick, comma separated, for a usage message. */
const char *quirk_names(void);

/* Entry i of the table, NULL past its end: every quirk, in order. */
const struct quirk *quirk_at(size_t i);

/* Orckit ADSL modems (Bezeq, Israel): orckit_quirks.c. */
extern const struct quirk quirk_orckit;

/* Always on: pptp_quirks.c. */
extern const struct quirk quirk_alcatel;	/* SCCRP result 0: success */
extern const struct quirk quirk_pix;		/* reserved0 not 0 */

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which control characters pppd needs escaped in what we write to its pty
 * (its receive ACCM, RFC 1662 7.1), learnt by watching LCP go by.
 *
 * pppd drops unescaped control characters that its receive ACCM names,
 * and it starts with all 32 named, so every control character is escaped
 * until there is proof of better: the server acknowledged an ACCM that
 * pppd asked for, and pppd has since sent something other than LCP, which
 * it does only once LCP is open and that ACCM applies.  Any new LCP
 * negotiation or termination goes back to escaping everything.  LCP
 * itself always goes with every control character escaped.  Pure: no
 * I/O.
 */
#ifndef PPTP_ACCM_H
#define PPTP_ACCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct accm_snoop {
	uint32_t	now;		/* what to escape toward pppd now */
	uint32_t	acked;		/* what the server acknowledged */
	bool		have_acked;
};

void accm_init(struct accm_snoop *s);

/* An LCP frame (FF 03 C0 21): it goes with every control char escaped. */
bool accm_is_lcp(const uint8_t *frame, size_t len);

/* A frame pppd sent; true if s->now changed. */
bool accm_from_pppd(struct accm_snoop *s, const uint8_t *frame, size_t len);

/* A frame from the server, before it goes to pppd; true if s->now changed. */
bool accm_from_server(struct accm_snoop *s, const uint8_t *frame,
    size_t len);

#endif

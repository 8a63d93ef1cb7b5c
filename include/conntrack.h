/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Does this machine's netfilter follow a PPTP control connection with
 * the PPTP helper?  Without it, the server's GRE matches no connection
 * our GRE made, and a stateful firewall here that accepts only
 * established traffic drops it: the most common cause of "no GRE" that
 * pptp can see from where it runs.  Pure: the caller reads the table.
 */
#ifndef PPTP_CONNTRACK_H
#define PPTP_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CONNTRACK_TABLE	"/proc/net/nf_conntrack"

/*
 * In table (the text of CONNTRACK_TABLE, changed in place), the TCP
 * entry from this machine to server's port 1723 (from source port sport,
 * or any if 0): 1 if it has no PPTP helper, 0 if it has one, -1 if there
 * is none (connections not tracked here, or not this one).
 */
int conntrack_no_pptp_helper(char *table, const struct pptp_addr *server,
    uint16_t sport);

#endif

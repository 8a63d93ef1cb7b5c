// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PPTP conntrack helper's presence on a control connection
 * (conntrack.h), from the text of /proc/net/nf_conntrack: one line per
 * tracked connection, "ipv4 2 tcp 6 ... src=A dst=B sport=P dport=Q
 * ... helper=pptp ...", the original direction's tuple first.
 */
#include "conntrack.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pptp_callmgr.h"

/* After the original tuple's " dst=ADDR ": "sport=P dport=1723 "? */
static bool
ports_match(const char *p, uint16_t sport)
{
	unsigned got_sport, got_dport;
	int used = 0;

	if (sscanf(p, "sport=%u dport=%u %n", &got_sport, &got_dport,
	    &used) != 2 || used == 0)
		return false;
	return got_dport == PPTP_PORT && (sport == 0 || got_sport == sport);
}

int
conntrack_no_pptp_helper(char *table, const struct pptp_addr *server,
    uint16_t sport)
{
	char addr[ADDR_STRLEN], dst[ADDR_STRLEN + 8], *line, *end;

	addr_ntop(server, addr, sizeof(addr));
	snprintf(dst, sizeof(dst), " dst=%s ", addr);
	for (line = strtok_r(table, "\n", &end); line != NULL;
	    line = strtok_r(NULL, "\n", &end)) {
		/* the original direction's tuple comes first */
		char *first_dst = strstr(line, " dst=");

		if (strstr(line, " tcp ") == NULL || first_dst == NULL ||
		    strncmp(first_dst, dst, strlen(dst)) != 0 ||
		    !ports_match(first_dst + strlen(dst), sport))
			continue;
		return strstr(line, " helper=pptp") == NULL;
	}
	return -1;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host route to the server (pptp(8) ROUTING), via rtnetlink: look up
 * how the server is reached now, pin that with a /32 route so that a
 * default route over the tunnel cannot swallow the tunnel's own packets,
 * and remove exactly that route again at exit.
 */
#ifndef PPTP_ROUTE_H
#define PPTP_ROUTE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hostroute {
	bool		added;		/* ours to remove */
	struct in_addr	dst;
	struct in_addr	gw;		/* 0: on-link */
	int		oif;
	uint32_t	table;
};

/*
 * Add the host route for server (with the --rtmark mark if mark_set).
 * Leaves an existing /32 route alone, warns when the route found goes
 * through a ppp interface.  Returns 0 (added or not needed) or -1 after
 * logging why; *hr says what to remove.
 */
int route_add_host(struct in_addr server, bool mark_set, uint32_t mark,
    struct hostroute *hr);

/* "host route via GW dev IF" or "host route dev IF (on link)", in out. */
char *route_describe(const struct hostroute *hr, char *out, size_t outsz);

/* Remove what route_add_host() added, if anything. */
void route_del_host(struct hostroute *hr);

#endif

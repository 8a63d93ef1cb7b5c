/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host route to the server (pptp(8) ROUTING), via rtnetlink: look up
 * how the server is reached now, pin that with a /32 route so that a
 * default route over the tunnel cannot swallow the tunnel's own packets,
 * and remove it again when the last tunnel that needs it is gone.
 */
#ifndef PPTP_ROUTE_H
#define PPTP_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * Host routes pptp adds carry this routing protocol number ("proto 47",
 * after GRE's IP protocol number), so that pptp only ever removes its
 * own: a route an administrator added is never touched.
 */
#define ROUTE_PROTO	47

struct hostroute {
	bool		added;		/* we created it */
	int		lockfd;		/* shared lock on lockpath, -1 none */
	char		lockpath[160];
	struct pptp_addr dst;		/* unset: none */
	struct pptp_addr gw;		/* unset: on-link */
	int		oif;
	uint32_t	table;
};

/*
 * Add the host route for server (with the --rtmark mark if mark_set).
 * Every process that relies on the route holds a shared lock on the file
 * lockprefix-tableN (lockprefix names the server and network namespace;
 * N is the routing table the route goes in) while it does; the route,
 * once there, belongs to all of them.  Leaves an
 * existing /32 route alone, warns when the route found goes through a
 * ppp interface.  Returns 0 (added, there already, or not needed) or -1
 * after logging why; *hr says what to release.
 */
int route_add_host(const struct pptp_addr *server, bool mark_set, uint32_t mark,
    const char *lockprefix, struct hostroute *hr);

/* "host route via GW dev IF" or "host route dev IF (on link)", in out. */
char *route_describe(const struct hostroute *hr, char *out, size_t outsz);

/*
 * Let go of the route: the last process holding it removes the /32
 * route pptp added (ROUTE_PROTO; never another's) and the lock file.
 */
void route_del_host(struct hostroute *hr);

#endif

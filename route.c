// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host route to the server over rtnetlink: one RTM_GETROUTE to learn the
 * gateway, device and table the kernel uses for the server now, one
 * RTM_NEWROUTE (create, exclusive: an existing /32 stays as it is) to
 * pin it, one RTM_DELROUTE when the last user lets go.
 *
 * Several processes may rely on one route: call managers for the same
 * server with other options or --localbind, and one that is still
 * saying goodbye to the server while a new one starts.  Each holds a
 * shared flock on a lock file for as long as it needs the route; the
 * one that can turn that into an exclusive lock at its end is the last,
 * and removes the route (only one of ROUTE_PROTO: never another's) and
 * the file.  A newcomer waits while that happens, then adds the route
 * again.  The kernel drops the locks of a process that dies, so a crash
 * only leaves a route and a file that the next user cleans up.
 */
#include "route.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* How long a newcomer waits for a last user removing the route. */
#define ROUTE_LOCK_MS	2000

struct nlreq {
	struct nlmsghdr	n;
	struct rtmsg	r;
	uint8_t		attrs[256];
};

static void
add_attr(struct nlreq *q, unsigned short type, const void *data,
    unsigned short len)
{
	struct rtattr *a = (struct rtattr *)((uint8_t *)q +
	    NLMSG_ALIGN(q->n.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	q->n.nlmsg_len = NLMSG_ALIGN(q->n.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/*
 * Send q and read the answer into buf.  Returns the reply length, or -1
 * with errno set (from a netlink error message or the socket).
 */
static ssize_t
nl_talk(struct nlreq *q, uint8_t *buf, size_t bufsz)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	q->n.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	q->n.nlmsg_seq = 1;
	if (sendto(fd, q, q->n.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0)
		goto fail;
	for (;;) {
		struct nlmsghdr *h;

		n = recv(fd, buf, bufsz, 0);
		if (n < 0)
			goto fail;
		h = (struct nlmsghdr *)buf;
		if (!NLMSG_OK(h, (size_t)n))
			continue;
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			if (e->error != 0) {
				errno = -e->error;
				goto fail;
			}
			close(fd);
			return 0;	/* a plain ack */
		}
		close(fd);
		return n;
	}
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * A request about the host route to dst.
 *
 * IPv4 only: rtm_family AF_INET, a /32 and a 4-byte destination (and
 * gateway, in lookup and route_req).  IPv6 would need AF_INET6, a /128
 * and 16-byte addresses, taken from dst's family; its gateway is often
 * link-local, which the route's device (RTA_OIF, kept) makes whole.
 */
static void
req_init(struct nlreq *q, unsigned short type, unsigned short flags,
    const struct pptp_addr *dst)
{
	memset(q, 0, sizeof(*q));
	q->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	q->n.nlmsg_type = type;
	q->n.nlmsg_flags = flags;
	q->r.rtm_family = AF_INET;
	q->r.rtm_dst_len = 32;
	add_attr(q, RTA_DST, &dst->u.v4, 4);
}

/* How the kernel routes to hr->dst now: gateway, device, table. */
static int
lookup(bool mark_set, uint32_t mark, struct hostroute *hr,
    unsigned char *type)
{
	uint8_t buf[4096];
	struct nlreq q;
	struct nlmsghdr *h;
	struct rtmsg *r;
	struct rtattr *a;
	int len;

	req_init(&q, RTM_GETROUTE, 0, &hr->dst);
	if (mark_set)
		add_attr(&q, RTA_MARK, &mark, 4);
	if (nl_talk(&q, buf, sizeof(buf)) <= 0)
		return -1;
	h = (struct nlmsghdr *)buf;
	if (h->nlmsg_type != RTM_NEWROUTE) {
		errno = EPROTO;
		return -1;
	}
	r = NLMSG_DATA(h);
	*type = r->rtm_type;
	hr->table = r->rtm_table;
	len = (int)RTM_PAYLOAD(h);
	for (a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_GATEWAY)
			(void)addr_from_bytes(AF_INET, RTA_DATA(a),
			    RTA_PAYLOAD(a), &hr->gw);
		else if (a->rta_type == RTA_OIF)
			memcpy(&hr->oif, RTA_DATA(a), 4);
		else if (a->rta_type == RTA_TABLE)
			memcpy(&hr->table, RTA_DATA(a), 4);
	}
	return 0;
}

/* A request that names the /32 route exactly. */
static void
route_req(struct nlreq *q, unsigned short type, unsigned short flags,
    const struct hostroute *hr)
{
	req_init(q, type, flags, &hr->dst);
	q->r.rtm_table = hr->table < 256 ? (unsigned char)hr->table :
	    RT_TABLE_UNSPEC;
	q->r.rtm_protocol = ROUTE_PROTO;
	q->r.rtm_scope = addr_is_set(&hr->gw) ? RT_SCOPE_UNIVERSE :
	    RT_SCOPE_LINK;
	q->r.rtm_type = RTN_UNICAST;
	if (hr->table >= 256)
		add_attr(q, RTA_TABLE, &hr->table, 4);
	if (addr_is_set(&hr->gw))
		add_attr(q, RTA_GATEWAY, &hr->gw.u.v4, 4);
	add_attr(q, RTA_OIF, &hr->oif, 4);
}

/* Same file at fd and at path?  (A last user may have unlinked it.) */
static bool
same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * A shared lock on the lock file of the route in hr->table (one file per
 * table: users with other marks may share a route), in *hr; -1 after a
 * warning.
 */
static int
route_hold(const char *lockprefix, struct hostroute *hr)
{
	int n = snprintf(hr->lockpath, sizeof(hr->lockpath), "%s-table%u",
	    lockprefix, hr->table);
	uint64_t end = now_ms() + ROUTE_LOCK_MS;

	errno = ENAMETOOLONG;
	for (int tries = 0; tries < 10 && n > 0 &&
	    (size_t)n < sizeof(hr->lockpath); tries++) {
		int fd = open(hr->lockpath, O_RDWR | O_CREAT | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		bool held;

		if (fd < 0)
			break;
		/*
		 * A last user holds it exclusively only while it removes
		 * the route: a moment, unless it was stopped there, which
		 * must not hold up this tunnel for ever.
		 */
		while (!(held = flock(fd, LOCK_SH | LOCK_NB) == 0) &&
		    (errno == EWOULDBLOCK || errno == EINTR) &&
		    now_ms() < end)
			usleep(10000);
		if (held && same_file(fd, hr->lockpath)) {
			hr->lockfd = fd;
			return 0;
		}
		close(fd);
		if (!held) {
			log_warnx("route: %s stayed locked for %d s: the host "
			    "route is this tunnel's alone", hr->lockpath,
			    ROUTE_LOCK_MS / 1000);
			return -1;
		}
		/* removed by a last user meanwhile: again */
	}
	log_warn("route: cannot lock %s", hr->lockpath);
	return -1;
}

int
route_add_host(const struct pptp_addr *server, bool mark_set, uint32_t mark,
    const char *lockprefix, struct hostroute *hr)
{
	char addr[ADDR_STRLEN], gw[ADDR_STRLEN], desc[80];
	char ifname[IF_NAMESIZE] = "?";
	uint8_t buf[1024];
	unsigned char type = 0;
	struct nlreq q;

	memset(hr, 0, sizeof(*hr));
	hr->lockfd = -1;
	hr->dst = *server;
	addr_ntop(server, addr, sizeof(addr));
	if (lookup(mark_set, mark, hr, &type) < 0) {
		log_warn("route %s: no route to the server", addr);
		return -1;
	}
	/* Without the lock, the route is ours alone: removed if added. */
	(void)route_hold(lockprefix, hr);
	if (type != RTN_UNICAST) {
		log_debug("route %s: local or special: no host route", addr);
		return 0;
	}
	if_indextoname((unsigned)hr->oif, ifname);
	addr_ntop(&hr->gw, gw, sizeof(gw));
	if (strncmp(ifname, "ppp", 3) == 0)
		log_warnx("route %s: the route to the server goes through %s: "
		    "the tunnel would carry its own packets (a routing loop); "
		    "fix the route to the server first", addr, ifname);
	route_req(&q, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, hr);
	if (nl_talk(&q, buf, sizeof(buf)) < 0) {
		if (errno == EEXIST) {
			log_info("route %s: a host route exists: left alone",
			    addr);
			return 0;
		}
		log_warn("route %s: cannot add host route %s%s%s dev %s",
		    addr, addr_is_set(&hr->gw) ? "via " : "",
		    addr_is_set(&hr->gw) ? gw : "",
		    addr_is_set(&hr->gw) ? "" : "on link", ifname);
		return -1;
	}
	hr->added = true;
	log_debug("route %s: added %s", addr, route_describe(hr, desc,
	    sizeof(desc)));
	return 0;
}

char *
route_describe(const struct hostroute *hr, char *out, size_t outsz)
{
	char gw[ADDR_STRLEN], ifname[IF_NAMESIZE] = "?";

	if_indextoname((unsigned)hr->oif, ifname);
	if (addr_is_set(&hr->gw))
		snprintf(out, outsz, "host route via %s dev %s",
		    addr_ntop(&hr->gw, gw, sizeof(gw)), ifname);
	else
		snprintf(out, outsz, "host route dev %s (on link)", ifname);
	return out;
}

/* Remove the /32 route to hr->dst in its table, if pptp added it. */
static void
route_remove(struct hostroute *hr)
{
	char addr[ADDR_STRLEN];
	uint8_t buf[1024];
	struct nlreq q;

	addr_ntop(&hr->dst, addr, sizeof(addr));
	req_init(&q, RTM_DELROUTE, 0, &hr->dst);
	q.r.rtm_table = hr->table < 256 ? (unsigned char)hr->table :
	    RT_TABLE_UNSPEC;
	q.r.rtm_protocol = ROUTE_PROTO;	/* the kernel matches it: ours only */
	q.r.rtm_scope = RT_SCOPE_NOWHERE;	/* any scope */
	if (hr->table >= 256)
		add_attr(&q, RTA_TABLE, &hr->table, 4);
	if (nl_talk(&q, buf, sizeof(buf)) == 0)
		log_debug("route %s: removed our host route", addr);
	else if (errno != ESRCH)
		log_warn("route %s: cannot remove our host route", addr);
}

void
route_del_host(struct hostroute *hr)
{
	char addr[ADDR_STRLEN];
	int fd;

	if (hr->lockfd < 0) {
		if (hr->added)
			route_remove(hr);
		hr->added = false;
		return;
	}
	close(hr->lockfd);
	hr->lockfd = -1;
	hr->added = false;
	fd = open(hr->lockpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;		/* a last user came and went meanwhile */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && same_file(fd, hr->lockpath)) {
		route_remove(hr);
		unlink(hr->lockpath);
	} else if (addr_is_set(&hr->dst)) {
		log_info("route %s: host route still used by another tunnel: "
		    "left in place", addr_ntop(&hr->dst, addr, sizeof(addr)));
	}
	close(fd);
}

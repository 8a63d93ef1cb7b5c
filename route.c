// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host route to the server over rtnetlink: one RTM_GETROUTE to learn the
 * gateway, device and table the kernel uses for the server now, one
 * RTM_NEWROUTE (create, exclusive: an existing /32 stays as it is) to
 * pin it, one RTM_DELROUTE at exit for exactly what was added.
 */
#include "route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

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

static void
req_init(struct nlreq *q, unsigned short type, unsigned short flags)
{
	memset(q, 0, sizeof(*q));
	q->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	q->n.nlmsg_type = type;
	q->n.nlmsg_flags = flags;
	q->r.rtm_family = AF_INET;
}

/* How the kernel routes to dst now: gateway, device, table. */
static int
lookup(struct in_addr dst, bool mark_set, uint32_t mark, struct hostroute *hr,
    unsigned char *type)
{
	uint8_t buf[4096];
	struct nlreq q;
	struct nlmsghdr *h;
	struct rtmsg *r;
	struct rtattr *a;
	int len;

	req_init(&q, RTM_GETROUTE, 0);
	q.r.rtm_dst_len = 32;
	add_attr(&q, RTA_DST, &dst, 4);
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
			memcpy(&hr->gw, RTA_DATA(a), 4);
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
	req_init(q, type, flags);
	q->r.rtm_dst_len = 32;
	q->r.rtm_table = hr->table < 256 ? (unsigned char)hr->table :
	    RT_TABLE_UNSPEC;
	q->r.rtm_protocol = RTPROT_STATIC;
	q->r.rtm_scope = hr->gw.s_addr != 0 ? RT_SCOPE_UNIVERSE :
	    RT_SCOPE_LINK;
	q->r.rtm_type = RTN_UNICAST;
	add_attr(q, RTA_DST, &hr->dst, 4);
	if (hr->table >= 256)
		add_attr(q, RTA_TABLE, &hr->table, 4);
	if (hr->gw.s_addr != 0)
		add_attr(q, RTA_GATEWAY, &hr->gw, 4);
	add_attr(q, RTA_OIF, &hr->oif, 4);
}

int
route_add_host(struct in_addr server, bool mark_set, uint32_t mark,
    struct hostroute *hr)
{
	char addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], desc[80];
	char ifname[IF_NAMESIZE] = "?";
	uint8_t buf[1024];
	unsigned char type = 0;
	struct nlreq q;

	memset(hr, 0, sizeof(*hr));
	hr->dst = server;
	inet_ntop(AF_INET, &server, addr, sizeof(addr));
	if (lookup(server, mark_set, mark, hr, &type) < 0) {
		log_warn("route %s: no route to the server", addr);
		return -1;
	}
	if (type != RTN_UNICAST) {
		log_debug("route %s: local or special: no host route", addr);
		return 0;
	}
	if_indextoname((unsigned)hr->oif, ifname);
	inet_ntop(AF_INET, &hr->gw, gw, sizeof(gw));
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
		    addr, hr->gw.s_addr ? "via " : "", hr->gw.s_addr ? gw :
		    "", hr->gw.s_addr ? "" : "on link", ifname);
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
	char gw[INET_ADDRSTRLEN], ifname[IF_NAMESIZE] = "?";

	if_indextoname((unsigned)hr->oif, ifname);
	if (hr->gw.s_addr != 0)
		snprintf(out, outsz, "host route via %s dev %s",
		    inet_ntop(AF_INET, &hr->gw, gw, sizeof(gw)), ifname);
	else
		snprintf(out, outsz, "host route dev %s (on link)", ifname);
	return out;
}

void
route_del_host(struct hostroute *hr)
{
	char addr[INET_ADDRSTRLEN];
	uint8_t buf[1024];
	struct nlreq q;

	if (!hr->added)
		return;
	hr->added = false;
	inet_ntop(AF_INET, &hr->dst, addr, sizeof(addr));
	route_req(&q, RTM_DELROUTE, 0, hr);
	if (nl_talk(&q, buf, sizeof(buf)) < 0 && errno != ESRCH)
		log_warn("route %s: cannot remove our host route", addr);
	else
		log_debug("route %s: removed our host route", addr);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The gateway's raw GRE socket (gre_int.h): opened with its buffers and
 * options, the kernel filter that keeps only this call's GRE from the
 * server, and what the network says about our GRE (IP_RECVERR).
 */
#include "gre_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "conntrack.h"
#include "util.h"

static const char *
icmp_words(uint8_t type, uint8_t code)
{
	if (type != 3)
		return type == 11 ? "time exceeded" : "ICMP error";
	switch (code) {
	case 0:
		return "network unreachable";
	case 1:
		return "host unreachable";
	case 2:
		return "protocol unreachable: the server does not take GRE";
	case 4:
		return "fragmentation needed";
	case 9:
	case 10:
	case 13:
		return "communication administratively prohibited: a "
		    "firewall blocks GRE";
	default:
		return "destination unreachable";
	}
}

/*
 * The next error the network reported about what we sent on sock
 * (IP_RECVERR; the gateway and pptp --diagnose both read them): 1 with
 * *ee filled, 0 when the queue is empty.
 * IPv4 only: ICMPv4's types and codes, at IPPROTO_IP; IPv6 would read
 * IPV6_RECVERR at IPPROTO_IPV6 and name ICMPv6's (type 1, unreachable).
 */
int
gre_next_error(int sock, struct sock_extended_err *ee)
{
	uint8_t data[256], ctl[512];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = ctl, .msg_controllen = sizeof(ctl) };

	while (recvmsg(sock, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
		    c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_RECVERR) {
				memcpy(ee, CMSG_DATA(c), sizeof(*ee));
				return 1;
			}
		mh.msg_controllen = sizeof(ctl);
	}
	return 0;
}

/* What the network said about our GRE: counted, and said once. */
void
gre_errqueue(struct gw *g)
{
	struct sock_extended_err ee;

	while (gre_next_error(g->gre, &ee) == 1) {
		/* an rx OS error: the system reports it on reading */
		g->stats.rx_os_errors++;
		if (ee.ee_origin != SO_EE_ORIGIN_ICMP || g->warned_icmp)
			continue;
		g->warned_icmp = true;
		if (ee.ee_type == 3 && ee.ee_code == 4 &&
		    ee.ee_info > GRE_PPP_OVERHEAD + 64)
			/* the path's MTU comes with it */
			log_warnx("gre %s: GRE to the server bounced: "
			    "fragmentation needed (ICMP type 3 code 4): the "
			    "path takes %u bytes: give pppd mtu %u and mru %u",
			    g->addr, ee.ee_info, ee.ee_info - GRE_PPP_OVERHEAD,
			    ee.ee_info - GRE_PPP_OVERHEAD);
		else
			log_warnx("gre %s: GRE to the server bounced: %s (ICMP "
			    "type %u code %u)", g->addr,
			    icmp_words(ee.ee_type, ee.ee_code), ee.ee_type,
			    ee.ee_code);
	}
}

/*
 * Each raw GRE socket gets every GRE packet the host receives: with n
 * tunnels each gateway would wake for, and queue, all n tunnels'
 * traffic, and anyone's junk GRE.  This filter keeps in the kernel only
 * what can be ours: from the server's address, at least a PPTP header
 * (version 1, key present, PPP's protocol type) and our call ID in it.
 * Call IDs are unique per server (callmgr's reservation), so with the
 * source this names one call.  What is dropped here never takes room
 * in the socket's buffer, so it cannot earn the reorder queue's
 * allowance for packets the system dropped (pq_dropped) either.
 * Without it (setsockopt failed) gre_packet drops the same and counts
 * it: only the cost differs.
 *
 * IPv4 only: a raw IPv4 socket hands the IP header to the filter (the
 * source at byte 12, the header's length in the low nibble of byte 0).
 * An IPv6 raw socket starts at the GRE header: the filter would lose
 * its source check and header-length step (the GRE header at offset 0),
 * and the source would be checked by connect() instead.
 */
static void
gw_filter(struct gw *g)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12),	/* IP source */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    ntohl(g->call.server.u.v4.s_addr), 0, 12),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),	/* IP header length */
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 8),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),	/* 8 bytes of GRE? */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 6),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0),	/* flags, protocol */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x2007ffff),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x2001880b, 0, 2),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 6),	/* call ID */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, g->call.call_id, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),			/* not ours */
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),		/* ours */
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (setsockopt(g->gre, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) < 0)
		log_debug("gre %s: no socket filter: %s", g->addr,
		    strerror(errno));
}

/*
 * The raw socket's receive buffer.  A server that keeps to our receive
 * window has at most o->window packets unacknowledged; twice that holds
 * what it sends while our acknowledgement is on its way, at 4 KB a
 * packet (what the kernel charges a full-size one, its truesize).  Not
 * every server keeps to the window (Windows sends ahead of it; so does
 * the benchmark's server): 4 MB, which the kernel doubles, is the least
 * with which make bench's unpaced bursts lost nothing here (1 MB lost
 * some 3% of them), and 16 MB the most: every tunnel's buffer is memory
 * the kernel pins while a flood fills it.
 */
static int
gw_rcvbuf(const struct pptp_opts *o)
{
	size_t want = (size_t)o->window * 2 * 4096;

	if (want < (4 << 20))
		want = 4 << 20;
	if (want > (16 << 20))
		want = 16 << 20;
	return (int)want;
}

int
gw_open_socket(struct gw *g)
{
	const struct pptp_opts *o = g->o;
	int one = 1, buf = gw_rcvbuf(o), sbuf = 4 << 20;

	/*
	 * IPv4 only: an AF_INET raw socket, its IP_RECVERR, and below the
	 * filter for IPv4 headers.  IPv6 would open AF_INET6 (no header
	 * on reads: gre_packet), set IPV6_RECVERR, and connect() to the
	 * server for the source check.
	 */
	g->gre = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    IPPROTO_GRE);
	if (g->gre < 0) {
		log_warn("gre %s: cannot open the raw GRE socket (pptp needs "
		    "root or CAP_NET_RAW)", g->addr);
		return -1;
	}
	/*
	 * While we are off the CPU, what the server sends waits here (as
	 * root, past rmem_max; see gw_rcvbuf).  It fills only while we do
	 * not run, or for 5 ms at most while pppd's side is full (gre_wait,
	 * pptp_gre.c): a slow pppd costs drops in on_deliver, not a queue
	 * here, so it adds no delay of its own.
	 */
	if (setsockopt(g->gre, SOL_SOCKET, SO_RCVBUFFORCE, &buf,
	    sizeof(buf)) < 0)
		(void)setsockopt(g->gre, SOL_SOCKET, SO_RCVBUF, &buf,
		    sizeof(buf));
	if (setsockopt(g->gre, SOL_SOCKET, SO_SNDBUFFORCE, &sbuf,
	    sizeof(sbuf)) < 0)
		(void)setsockopt(g->gre, SOL_SOCKET, SO_SNDBUF, &sbuf,
		    sizeof(sbuf));
	(void)setsockopt(g->gre, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	(void)setsockopt(g->gre, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	gw_filter(g);
	if (o->rtmark_set && setsockopt(g->gre, SOL_SOCKET, SO_MARK,
	    &o->rtmark, sizeof(o->rtmark)) < 0) {
		log_warn("gre %s: --rtmark %u", g->addr, o->rtmark);
		return -1;
	}
	if (o->localbind != NULL) {
		struct sockaddr_storage ss;
		struct pptp_addr lb;

		if (addr_pton(AF_INET, o->localbind, &lb) < 0 ||
		    bind(g->gre, (struct sockaddr *)&ss,
		    addr_to_sockaddr(&lb, &ss)) < 0) {
			log_warn("gre %s: --localbind %s", g->addr,
			    o->localbind);
			return -1;
		}
	}
	return 0;
}

/*
 * Whether this machine's netfilter follows our control connection
 * without the PPTP helper (conntrack.h): read once, while /proc can
 * still be opened, for the warning when no GRE arrives.  A table larger
 * than we read (a busy router) is taken as telling nothing.
 */
void
gw_conntrack(struct gw *g)
{
	enum { CT_READ_MAX = 4 << 20 };
	int fd = open(CONNTRACK_TABLE, O_RDONLY | O_CLOEXEC);
	char *buf = fd >= 0 ? malloc(CT_READ_MAX + 1) : NULL;
	size_t have = 0;
	ssize_t n = 0;

	g->ct_no_helper = -1;
	if (buf != NULL) {
		while (have < CT_READ_MAX && (n = read(fd, buf + have,
		    CT_READ_MAX - have)) > 0)
			have += (size_t)n;
		buf[have] = '\0';
		if (n == 0)
			g->ct_no_helper = conntrack_no_pptp_helper(buf,
			    &g->call.server, 0);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
}

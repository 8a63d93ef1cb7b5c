/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One address type for every interface that names a host: the server,
 * --localbind, a socket's local end, a route's gateway.  A struct
 * pptp_addr carries the family, the address and, where it matters (a
 * socket address), the port; these helpers turn it into text and to and
 * from socket addresses, so that no caller builds a sockaddr_in or calls
 * inet_ntop itself.  Pure: no I/O, no logging.
 *
 * pptp carries IPv4 only, for now.  The resolver is the one place that
 * turns down any other family (util.c resolve_server); what lies behind
 * it assumes IPv4 in the places below, each marked with a comment
 * beginning "IPv4 only:" that says what IPv6 would need there
 * (grep -rn "IPv4 only" *.c include):
 *
 *   util.c resolve_server    asks getaddrinfo for AF_INET alone, and
 *                            refuses any other family it is given
 *   pptp.c parse_args        --localbind takes an IPv4 address
 *   pptp.c can_set_up        probes for an AF_INET raw GRE socket
 *   pptp_gre.c RX_LEN        room for an IPv4 header on each datagram
 *   pptp_gre.c gw_open_socket  the AF_INET raw socket, IP_RECVERR
 *   pptp_gre.c gre_packet    the IP header stripped, the source compared
 *   gre_hdr.c gre_ip4_strip  the raw IPv4 header's decoder
 *   pptp_gre.c gre_errqueue  ICMPv4 errors by type and code
 *   pptp_gre.c gw_filter     the socket filter's offsets into the IPv4
 *                            header (source at byte 12, header length)
 *   pptp_callmgr.c cm_mtu_hint  IP_MTU and a 20-byte IP header
 *   route.c req_init         rtm_family AF_INET, /32, 4-byte attributes
 *   keeper.c keep_mark       the socket to mark must be AF_INET TCP
 *   sandbox.c SOCKET_TCP     seccomp lets socket() make AF_INET TCP only
 */
#ifndef PPTP_ADDR_H
#define PPTP_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Room for any address as text, with its NUL (INET6_ADDRSTRLEN). */
#define ADDR_STRLEN	46

/*
 * An IPv6 link-local server would need sin6_scope_id kept beside the
 * address too; nothing here carries it yet.
 */
struct pptp_addr {
	sa_family_t	family;		/* AF_INET, AF_INET6; AF_UNSPEC:
					   none */
	uint16_t	port;		/* host order; 0: none */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} u;
};

/*
 * text as an address of family (AF_INET, AF_INET6, or AF_UNSPEC for
 * either), port 0, in *a: 0, or -1 (errno EINVAL) if it is none.
 */
int addr_pton(int family, const char *text, struct pptp_addr *a);

/*
 * a's address as text (inet_ntop's, no port) in buf, of bufsz bytes
 * (ADDR_STRLEN holds any); "?" for no address or a buffer too small.
 * Returns buf (or a constant "?" when bufsz is 0).
 */
const char *addr_ntop(const struct pptp_addr *a, char *buf, size_t bufsz);

/*
 * The address and port of a socket address of len bytes (from
 * getaddrinfo, getsockname, ...) in *a: 0, or -1 with errno
 * EAFNOSUPPORT for a family other than AF_INET or AF_INET6, EINVAL if
 * len is short for it.
 */
int addr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
    struct pptp_addr *a);

/*
 * a as a socket address (port included) in *ss, for connect, bind and
 * sendto: returns its length, 0 for no address.
 */
socklen_t addr_to_sockaddr(const struct pptp_addr *a,
    struct sockaddr_storage *ss);

/* The raw address of family, len bytes at p (a netlink attribute): 0/-1. */
int addr_from_bytes(int family, const void *p, size_t len,
    struct pptp_addr *a);

/* Is there an address in a (a family set)? */
bool addr_is_set(const struct pptp_addr *a);

/* Same family, address and port? */
bool addr_eq(const struct pptp_addr *a, const struct pptp_addr *b);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The address type (addr.h): text, socket addresses and raw bytes in
 * and out, for both families, so that whatever comes to carry IPv6
 * finds its conversions here.  Pure: no I/O, no logging.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int
addr_pton(int family, const char *text, struct pptp_addr *a)
{
	*a = (struct pptp_addr){ .family = AF_UNSPEC };
	if ((family == AF_INET || family == AF_UNSPEC) &&
	    inet_pton(AF_INET, text, &a->u.v4) == 1)
		a->family = AF_INET;
	else if ((family == AF_INET6 || family == AF_UNSPEC) &&
	    inet_pton(AF_INET6, text, &a->u.v6) == 1)
		a->family = AF_INET6;
	else {
		*a = (struct pptp_addr){ .family = AF_UNSPEC };
		errno = EINVAL;
		return -1;
	}
	return 0;
}

const char *
addr_ntop(const struct pptp_addr *a, char *buf, size_t bufsz)
{
	if (bufsz == 0)
		return "?";
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, &a->u, buf, (socklen_t)bufsz) == NULL)
		snprintf(buf, bufsz, "?");
	return buf;
}

int
addr_from_sockaddr(const struct sockaddr *sa, socklen_t len,
    struct pptp_addr *a)
{
	*a = (struct pptp_addr){ .family = AF_UNSPEC };
	if (len < sizeof(sa_family_t)) {
		errno = EINVAL;
		return -1;
	}
	switch (sa->sa_family) {
	case AF_INET: {
		struct sockaddr_in sin;

		if (len < sizeof(sin))
			break;
		memcpy(&sin, sa, sizeof(sin));
		a->family = AF_INET;
		a->port = ntohs(sin.sin_port);
		a->u.v4 = sin.sin_addr;
		return 0;
	}
	case AF_INET6: {
		struct sockaddr_in6 sin6;

		if (len < sizeof(sin6))
			break;
		memcpy(&sin6, sa, sizeof(sin6));
		a->family = AF_INET6;
		a->port = ntohs(sin6.sin6_port);
		a->u.v6 = sin6.sin6_addr;
		return 0;
	}
	default:
		errno = EAFNOSUPPORT;
		return -1;
	}
	errno = EINVAL;
	return -1;
}

socklen_t
addr_to_sockaddr(const struct pptp_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	switch (a->family) {
	case AF_INET: {
		struct sockaddr_in sin = { .sin_family = AF_INET,
		    .sin_port = htons(a->port), .sin_addr = a->u.v4 };

		memcpy(ss, &sin, sizeof(sin));
		return sizeof(sin);
	}
	case AF_INET6: {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
		    .sin6_port = htons(a->port), .sin6_addr = a->u.v6 };

		memcpy(ss, &sin6, sizeof(sin6));
		return sizeof(sin6);
	}
	default:
		return 0;
	}
}

int
addr_from_bytes(int family, const void *p, size_t len, struct pptp_addr *a)
{
	*a = (struct pptp_addr){ .family = AF_UNSPEC };
	if (family == AF_INET && len == sizeof(a->u.v4))
		memcpy(&a->u.v4, p, len);
	else if (family == AF_INET6 && len == sizeof(a->u.v6))
		memcpy(&a->u.v6, p, len);
	else {
		errno = EINVAL;
		return -1;
	}
	a->family = (sa_family_t)family;
	return 0;
}

bool
addr_is_set(const struct pptp_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

bool
addr_eq(const struct pptp_addr *a, const struct pptp_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	switch (a->family) {
	case AF_INET:
		return a->u.v4.s_addr == b->u.v4.s_addr;
	case AF_INET6:
		return memcmp(&a->u.v6, &b->u.v6, sizeof(a->u.v6)) == 0;
	default:
		return true;	/* two empty addresses */
	}
}

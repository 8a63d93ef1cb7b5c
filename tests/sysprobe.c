// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * For the integration tests: preloaded into pptp (LD_PRELOAD), it makes
 * a process do, on SIGUSR2, the system call $PPTP_PROBE names, so that a
 * test can show that a sandboxed process's filter kills it for that,
 * with no test path in pptp itself.  Several calls: names with commas.
 *   open     open a file (/etc/hostname)
 *   execve   run /bin/true
 *   kill     signal process 1 with 0
 *   setown   have SIGIO sent to process 1 (fcntl F_SETOWN)
 *   mptcp    make an MPTCP, then an SCTP, stream socket; the filter must
 *            refuse both with EACCES: anything else (made, or another
 *            error) runs /bin/true, which the filter answers with SIGSYS
 *   unixsock make unix sockets (stream, datagram, packet): the call
 *            manager's filter must refuse each with EACCES, else as mptcp
 *   bind     bind a TCP socket to a port of any address: the call
 *            manager's filter allows it with --localbind alone
 *   keeperempty  send an empty packet on each unnamed SOCK_SEQPACKET
 *            socket (a socketpair's end: the call manager's to its
 *            keeper), which must not read as the manager's end
 *   escape   write an escape sequence (a terminal's title, a bell) and
 *            other bytes no log line has to stderr, as a process taken
 *            over could: the stderr relay must show them escaped
 *   abstract send each socket held (by SCM_RIGHTS, a message beside it)
 *            to the abstract unix name $PPTP_PROBE_NAME, by sendmsg's
 *            address, on every socket held but TCP and unix
 *            SOCK_SEQPACKET ones (connected: the kernel sends to their
 *            peer, whatever the address); then say on stderr "probe
 *            abstract: N sockets, M sent[: fd A B]"
 *   abstractconnect  the same, by connect(2) to the name first (the
 *            call manager's and --diagnose's filters have connect),
 *            then send, on every socket held but TCP ones (connect
 *            there, once connected, succeeds whatever the name: the
 *            peer stays)
 *   nulspam  write NUL bytes to stderr for ever (each one a flush that
 *            the stderr relay answers)
 *   logemerg write records at emerg, alert and crit down every pipe held
 *            for writing but stderr (the log relay's): the relay must
 *            pass them to syslog at err
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP	262
#endif

/* fd's own descriptor, and a message, by SCM_RIGHTS to `to' (or its peer
   when to is NULL): did it go? */
static int
send_self(int fd, struct sockaddr_un *to, socklen_t tolen)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int))];
	} cb;
	char msg[] = "a descriptor from pptp";
	struct iovec iov = { msg, sizeof(msg) - 1 };
	struct msghdr mh = { .msg_name = to, .msg_namelen = tolen,
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.b,
	    .msg_controllen = sizeof(cb.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	memset(&cb, 0, sizeof(cb));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0;
}

static void
probe_abstract(int by_connect)
{
	const char *name = getenv("PPTP_PROBE_NAME");
	struct sockaddr_un to = { .sun_family = AF_UNIX };
	socklen_t tolen;
	int socks = 0, sent = 0;
	char line[160], which[64] = "";

	if (name == NULL || strlen(name) + 1 > sizeof(to.sun_path))
		return;
	memcpy(to.sun_path + 1, name, strlen(name));	/* abstract: \0name */
	tolen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(name));
	for (int fd = 0; fd < 256; fd++) {
		int type = 0, domain = 0, ok = 0;
		socklen_t tlen = sizeof(type), dlen = sizeof(domain);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dlen) < 0)
			continue;
		socks++;
		if (domain != AF_UNIX && type == SOCK_STREAM)
			continue;	/* TCP: to its peer, whatever the name */
		if (by_connect)
			ok = connect(fd, (struct sockaddr *)&to, tolen) == 0 &&
			    send_self(fd, NULL, 0);
		else if (type != SOCK_SEQPACKET)
			ok = send_self(fd, &to, tolen);
		if (ok && strlen(which) + 5 < sizeof(which))
			snprintf(which + strlen(which), 5, " %d", fd);
		sent += ok;
	}
	snprintf(line, sizeof(line), "probe abstract: %d sockets, %d sent%s%s"
	    "\n", socks, sent, sent ? ": fd" : "", which);
	(void)!write(2, line, strlen(line));
}

static void
probe_one(const char *what)
{
	char *const argv[] = { "true", NULL };

	if (strcmp(what, "open") == 0)
		(void)open("/etc/hostname", O_RDONLY);
	else if (strcmp(what, "execve") == 0)
		(void)execve("/bin/true", argv, NULL);
	else if (strcmp(what, "kill") == 0)
		(void)kill(1, 0);
	else if (strcmp(what, "setown") == 0)
		(void)fcntl(2, F_SETOWN, 1);
	else if (strcmp(what, "escape") == 0) {
		static const char seq[] = "probe: \x1b]0;owned\x07\r\xff\n";

		(void)!write(2, seq, sizeof(seq) - 1);
	} else if (strcmp(what, "mptcp") == 0) {
		static const int protos[] = { IPPROTO_MPTCP, IPPROTO_SCTP };

		for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
			if (socket(AF_INET, SOCK_STREAM, protos[i]) >= 0 ||
			    errno != EACCES)
				(void)execve("/bin/true", argv, NULL);
	} else if (strcmp(what, "unixsock") == 0) {
		static const int types[] = { SOCK_STREAM, SOCK_DGRAM,
		    SOCK_SEQPACKET };

		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (socket(AF_UNIX, types[i], 0) >= 0 ||
			    errno != EACCES)
				(void)execve("/bin/true", argv, NULL);
	} else if (strcmp(what, "keeperempty") == 0) {
		for (int fd = 3; fd < 256; fd++) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof(ss);
			int type = 0;
			socklen_t tlen = sizeof(type);

			if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type,
			    &tlen) < 0 || type != SOCK_SEQPACKET ||
			    getsockname(fd, (struct sockaddr *)&ss,
			    &len) < 0 || len != sizeof(sa_family_t))
				continue;
			(void)send(fd, "", 0, MSG_DONTWAIT);
		}
	} else if (strcmp(what, "abstract") == 0) {
		probe_abstract(0);
	} else if (strcmp(what, "abstractconnect") == 0) {
		probe_abstract(1);
	} else if (strcmp(what, "nulspam") == 0) {
		static const char zeros[4096];

		for (;;)
			(void)!write(2, zeros, sizeof(zeros));
	} else if (strcmp(what, "logemerg") == 0) {
		static const char recs[] = "<0>probe emerg\n<1>probe alert\n"
		    "<2>probe crit\n";

		for (int fd = 3; fd < 256; fd++) {
			struct stat st;
			int fl = fcntl(fd, F_GETFL);

			if (fl >= 0 && (fl & O_ACCMODE) == O_WRONLY &&
			    fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
				(void)!write(fd, recs, sizeof(recs) - 1);
		}
	} else if (strcmp(what, "bind") == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		(void)bind(fd, (struct sockaddr *)&sin, sizeof(sin));
		if (fd >= 0)
			(void)close(fd);
	}
}

static void
probe(int sig)
{
	const char *what = getenv("PPTP_PROBE");
	char one[32];

	(void)sig;
	while (what != NULL && *what != '\0') {
		size_t n = strcspn(what, ",");

		if (n < sizeof(one)) {
			memcpy(one, what, n);
			one[n] = '\0';
			probe_one(one);
		}
		what += n + (what[n] == ',');
	}
}

static void __attribute__((constructor))
install(void)
{
	struct sigaction sa = { .sa_handler = probe, .sa_flags = SA_RESTART };

	sigaction(SIGUSR2, &sa, NULL);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Framed messages between pptp's processes (ipc.h): the framing, pure,
 * then the sending and receiving, with a descriptor and a deadline.
 * Descriptor passing (SCM_RIGHTS) is written here and nowhere else.
 */
#include "ipc.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "wire.h"

size_t
ipc_encode(uint16_t type, const void *payload, size_t len, uint8_t *buf,
    size_t cap)
{
	struct wr w = { .p = buf, .len = cap };

	if (type == 0 || len > IPC_MAX_PAYLOAD || cap < IPC_HDR_LEN + len)
		return 0;
	wr_u16(&w, type);
	wr_u16(&w, (uint16_t)(IPC_HDR_LEN + len));
	if (len > 0)
		memcpy(buf + IPC_HDR_LEN, payload, len);
	return w.bad ? 0 : IPC_HDR_LEN + len;
}

enum ipc_err
ipc_decode(const uint8_t *buf, size_t len, struct ipc_frame *f)
{
	struct rd r = { .p = buf, .len = len };
	uint16_t type, mlen;

	memset(f, 0, sizeof(*f));
	if (len < IPC_HDR_LEN)
		return IPC_ESHORT;
	if (len > IPC_MAX_LEN)
		return IPC_ETOOBIG;
	type = rd_u16(&r);
	mlen = rd_u16(&r);
	if (mlen != len)
		return IPC_EBADLEN;
	if (type == 0)
		return IPC_ETYPE;
	f->type = type;
	f->payload = buf + IPC_HDR_LEN;
	f->len = len - IPC_HDR_LEN;
	return IPC_OK;
}

const char *
ipc_strerror(enum ipc_err e)
{
	switch (e) {
	case IPC_OK:
		return "no error";
	case IPC_ESHORT:
		return "shorter than a header";
	case IPC_ETOOBIG:
		return "too long";
	case IPC_EBADLEN:
		return "length field does not match";
	case IPC_ETYPE:
		return "no type";
	}
	return "unknown error";
}

/*
 * Wait for events on sock until deadline_ms: 0 when they may have come,
 * -1 with errno ETIMEDOUT (or EAGAIN for IPC_NOWAIT) when not.  A signal
 * that interrupts the wait just ends it early: the caller tries again.
 */
static int
ipc_wait(int sock, short events, uint64_t deadline_ms)
{
	struct pollfd pfd = { sock, events, 0 };
	uint64_t now;
	int ms;

	if (deadline_ms == IPC_NOWAIT) {
		errno = EAGAIN;
		return -1;
	}
	if (deadline_ms == IPC_FOREVER) {
		ms = -1;
	} else {
		now = now_ms();
		if (now >= deadline_ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		ms = deadline_ms - now > 60000 ? 60000 : (int)(deadline_ms -
		    now);
	}
	if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
		return -1;
	return 0;
}

int
ipc_send(int sock, uint16_t type, const void *payload, size_t len, int fd,
    uint64_t deadline_ms)
{
	uint8_t buf[IPC_MAX_LEN];
	union {
		struct cmsghdr	h;
		uint8_t		b[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = { buf, ipc_encode(type, payload, len, buf,
	    sizeof(buf)) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (iov.iov_len == 0) {
		errno = EMSGSIZE;
		return -1;
	}
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.b;
		mh.msg_controllen = sizeof(cbuf.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		/* SEQPACKET: a message goes whole or not at all */
		ssize_t n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n == (ssize_t)iov.iov_len)
			return 0;
		if (n >= 0) {
			errno = EMSGSIZE;	/* not a packet socket */
			return -1;
		}
		if ((errno != EAGAIN && errno != EINTR) ||
		    ipc_wait(sock, POLLOUT, deadline_ms) < 0)
			return -1;
	}
}

/* The first descriptor passed, or -1; any other is closed. */
static int
ipc_take_fds(struct msghdr *mh)
{
	int fd = -1;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL;
	    c = CMSG_NXTHDR(mh, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int one;

			memcpy(&one, CMSG_DATA(c) + i * sizeof(int),
			    sizeof(int));
			if (fd < 0)
				fd = one;
			else
				close(one);
		}
	}
	return fd;
}

/*
 * An empty read is the end, or an empty message, which a peer can send
 * to look gone while it goes on: the end is an empty read once the peer
 * has closed (POLLHUP) or shut its side (POLLRDHUP).
 */
static bool
ipc_hung_up(int sock)
{
	struct pollfd pfd = { sock, POLLRDHUP, 0 };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLRDHUP |
	    POLLERR | POLLNVAL)) != 0;
}

int
ipc_recv(int sock, struct ipc_msg *m, uint64_t deadline_ms)
{
	uint8_t buf[IPC_MAX_LEN + 1];	/* one more: too long is seen */
	union {
		struct cmsghdr	h;
		uint8_t		b[CMSG_SPACE(4 * sizeof(int))];
	} cbuf;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh;
	struct ipc_frame f;
	ssize_t n;

	m->type = 0;
	m->len = m->size = 0;
	m->fd = -1;
	for (;;) {
		mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
		    .msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b) };
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n >= 0)
			break;
		if ((errno != EAGAIN && errno != EINTR) ||
		    ipc_wait(sock, POLLIN, deadline_ms) < 0)
			return -1;
	}
	m->fd = ipc_take_fds(&mh);
	if (n == 0 && m->fd < 0 && ipc_hung_up(sock))
		return 0;		/* SEQPACKET: an empty read is the end */
	m->size = (size_t)n;
	if (n == 0 || (mh.msg_flags & MSG_TRUNC) ||
	    ipc_decode(buf, (size_t)n, &f) != IPC_OK) {
		if (m->fd >= 0)
			close(m->fd);
		m->fd = -1;
		errno = EBADMSG;
		return -1;
	}
	m->type = f.type;
	m->len = f.len;
	memcpy(m->payload, f.payload, f.len);
	return 1;
}

pid_t
ipc_fork(int *fd)
{
	int sv[2], e;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	close(sv[pid > 0 ? 1 : 0]);
	*fd = sv[pid > 0 ? 0 : 1];
	return pid;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Framed messages between pptp's processes: framing, descriptors, deadlines. */
#include "ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"
#include "util.h"

static const size_t lens[] = { 0, 1, 2, 255, 256, 1024, 1028,
    IPC_MAX_PAYLOAD - 1, IPC_MAX_PAYLOAD };

START_TEST(test_round_trip)
{
	static uint8_t payload[IPC_MAX_PAYLOAD], buf[IPC_MAX_LEN];
	size_t len = lens[_i], n;
	struct ipc_frame f;

	for (size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	n = ipc_encode(0x1234, payload, len, buf, sizeof(buf));
	ck_assert_uint_eq(n, IPC_HDR_LEN + len);
	ck_assert_int_eq(buf[0], 0x12);
	ck_assert_int_eq(buf[1], 0x34);
	ck_assert_int_eq(buf[2] << 8 | buf[3], (int)n);
	ck_assert_int_eq(ipc_decode(buf, n, &f), IPC_OK);
	ck_assert_uint_eq(f.type, 0x1234);
	ck_assert_uint_eq(f.len, len);
	ck_assert_ptr_eq(f.payload, buf + IPC_HDR_LEN);
	ck_assert_int_eq(memcmp(f.payload, payload, len), 0);
	/* any other length than the header says is refused */
	for (size_t l = 0; l <= IPC_MAX_LEN; l++)
		if (l != n)
			ck_assert_int_ne(ipc_decode(buf, l, &f), IPC_OK);
	/* no room: nothing written */
	ck_assert_uint_eq(ipc_encode(0x1234, payload, len, buf, n - 1), 0);
}
END_TEST

START_TEST(test_bad_frames)
{
	uint8_t buf[IPC_MAX_LEN + 8] = { 0 };
	struct ipc_frame f;

	for (size_t l = 0; l < IPC_HDR_LEN; l++)
		ck_assert_int_eq(ipc_decode(buf, l, &f), IPC_ESHORT);
	ck_assert_int_eq(ipc_decode(buf, IPC_MAX_LEN + 1, &f), IPC_ETOOBIG);
	buf[1] = 1;
	buf[3] = 5;		/* says 5, has 4 */
	ck_assert_int_eq(ipc_decode(buf, 4, &f), IPC_EBADLEN);
	ck_assert_int_eq(ipc_decode(buf, 6, &f), IPC_EBADLEN);
	ck_assert_int_eq(ipc_decode(buf, 5, &f), IPC_OK);
	buf[1] = 0;		/* type 0 */
	ck_assert_int_eq(ipc_decode(buf, 5, &f), IPC_ETYPE);
	ck_assert_uint_eq(ipc_encode(0, NULL, 0, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(ipc_encode(1, buf, IPC_MAX_PAYLOAD + 1, buf,
	    sizeof(buf)), 0);
	for (int e = IPC_OK; e <= IPC_ETYPE; e++)
		ck_assert_str_ne(ipc_strerror((enum ipc_err)e),
		    "unknown error");
}
END_TEST

static void
pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
	    0, sv), 0);
}

START_TEST(test_send_recv)
{
	struct ipc_msg m;
	int sv[2];

	pair(sv);
	ck_assert_int_eq(ipc_send(sv[0], 7, "hello", 5, -1, IPC_NOWAIT), 0);
	ck_assert_int_eq(ipc_send(sv[0], 8, NULL, 0, -1, IPC_FOREVER), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &m, now_ms() + 1000), 1);
	ck_assert_uint_eq(m.type, 7);
	ck_assert_uint_eq(m.len, 5);
	ck_assert_uint_eq(m.size, 9);
	ck_assert_int_eq(m.fd, -1);
	ck_assert_int_eq(memcmp(m.payload, "hello", 5), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), 1);
	ck_assert_uint_eq(m.type, 8);
	ck_assert_uint_eq(m.len, 0);
	/* nothing more: at once, or at the deadline */
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(sv[0]);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_FOREVER), 0);
	close(sv[1]);
}
END_TEST

START_TEST(test_descriptor)
{
	struct ipc_msg m;
	char c = 0;
	int sv[2], p[2];

	pair(sv);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ipc_send(sv[0], 5, NULL, 0, p[1], IPC_NOWAIT), 0);
	close(p[1]);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), 1);
	ck_assert_int_ge(m.fd, 0);
	ck_assert_int_eq(fcntl(m.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(write(m.fd, "x", 1), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(c, 'x');
	close(m.fd);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* Two descriptors with one message: the first kept, the other closed. */
START_TEST(test_extra_descriptors_closed)
{
	uint8_t msg[4] = { 0, 9, 0, 4 };
	union {
		struct cmsghdr	h;
		uint8_t		b[CMSG_SPACE(2 * sizeof(int))];
	} cbuf;
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf.b, .msg_controllen = sizeof(cbuf.b) };
	struct cmsghdr *c;
	struct ipc_msg m;
	int sv[2], p[2];
	char x;

	pair(sv);
	ck_assert_int_eq(pipe(p), 0);
	memset(&cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(c), p, sizeof(p));
	ck_assert_int_eq(sendmsg(sv[0], &mh, 0), 4);
	close(p[1]);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), 1);
	ck_assert_uint_eq(m.type, 9);
	ck_assert_int_ge(m.fd, 0);
	close(m.fd);		/* p[0]'s copy */
	/* every write end is closed: the read end sees the end */
	ck_assert_int_eq(read(p[0], &x, 1), 0);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_bad_packet)
{
	uint8_t junk[3000];
	struct ipc_msg m;
	int sv[2], p[2];

	pair(sv);
	memset(junk, 0xde, sizeof(junk));
	ck_assert_int_eq(send(sv[0], junk, 40, 0), 40);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_uint_eq(m.size, 40);
	/* longer than any message: refused, not cut to fit */
	ck_assert_int_eq(send(sv[0], junk, sizeof(junk), 0), sizeof(junk));
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), -1);
	ck_assert_int_eq(errno, EBADMSG);
	/* a descriptor with a bad packet is not kept */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ipc_send(sv[0], 1, NULL, 0, p[1], IPC_NOWAIT), 0);
	close(p[1]);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), 1);
	close(m.fd);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/*
 * An empty packet reads like the end on a SOCK_SEQPACKET socket; from a
 * peer still there it is a malformed message, so that a process cannot
 * make its keeper or watchdog think it is gone while it goes on.
 */
START_TEST(test_empty_packet_is_not_the_end)
{
	struct ipc_msg m;
	int sv[2];

	pair(sv);
	ck_assert_int_eq(send(sv[0], "", 0, 0), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), -1);
	ck_assert_int_eq(errno, EBADMSG);
	ck_assert_uint_eq(m.size, 0);
	/* and what follows is read as before */
	ck_assert_int_eq(ipc_send(sv[0], 7, "ab", 2, -1, IPC_NOWAIT), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), 1);
	ck_assert_uint_eq(m.type, 7);
	/* an empty packet, then the end: the end */
	ck_assert_int_eq(send(sv[0], "", 0, 0), 0);
	close(sv[0]);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), 0);
	close(sv[1]);
	/* its side shut for writing: the end too */
	pair(sv);
	ck_assert_int_eq(shutdown(sv[0], SHUT_WR), 0);
	ck_assert_int_eq(ipc_recv(sv[1], &m, IPC_NOWAIT), 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_recv_deadline)
{
	struct ipc_msg m;
	uint64_t t0;
	int sv[2];

	pair(sv);
	t0 = now_ms();
	ck_assert_int_eq(ipc_recv(sv[1], &m, t0 + 150), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_uint_ge(now_ms() - t0, 150);
	ck_assert_uint_lt(now_ms() - t0, 1000);
	/* a deadline already past: no wait */
	ck_assert_int_eq(ipc_recv(sv[1], &m, 1), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_send_deadline)
{
	static uint8_t big[IPC_MAX_PAYLOAD];
	uint64_t t0;
	int sv[2], n = 0;

	pair(sv);
	while (ipc_send(sv[0], 1, big, sizeof(big), -1, IPC_NOWAIT) == 0)
		ck_assert_int_lt(++n, 100000);
	ck_assert_int_eq(errno, EAGAIN);
	t0 = now_ms();
	ck_assert_int_eq(ipc_send(sv[0], 1, big, sizeof(big), -1,
	    t0 + 150), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_uint_ge(now_ms() - t0, 150);
	ck_assert_uint_lt(now_ms() - t0, 1000);
	/* the peer gone (its queue unread): an error, and no SIGPIPE */
	close(sv[1]);
	ck_assert_int_eq(ipc_send(sv[0], 1, NULL, 0, -1, IPC_FOREVER), -1);
	ck_assert(errno == EPIPE || errno == ECONNRESET);
	ck_assert_int_eq(ipc_send(sv[0], 1, big, sizeof(big) + 1, -1,
	    IPC_NOWAIT), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	close(sv[0]);
}
END_TEST

/* Each side of ipc_fork has its own end; the other's end is closed. */
START_TEST(test_fork)
{
	struct ipc_msg m;
	int fd, st;
	pid_t pid = ipc_fork(&fd);

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct ipc_msg got;

		if (ipc_recv(fd, &got, now_ms() + 5000) != 1 ||
		    ipc_send(fd, (uint16_t)(got.type + 1), NULL, 0, -1,
		    IPC_FOREVER) < 0)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(ipc_send(fd, 41, NULL, 0, -1, IPC_FOREVER), 0);
	ck_assert_int_eq(ipc_recv(fd, &m, now_ms() + 5000), 1);
	ck_assert_uint_eq(m.type, 42);
	/* the child gone, its end closes: no other holder of it */
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(ipc_recv(fd, &m, now_ms() + 5000), 0);
	close(fd);
}
END_TEST

Suite *
ipc_suite(void)
{
	Suite *s = suite_create("ipc");
	TCase *tc = tcase_create("framing");
	TCase *io = tcase_create("io");

	tcase_add_loop_test(tc, test_round_trip, 0,
	    (int)(sizeof(lens) / sizeof(lens[0])));
	tcase_add_test(tc, test_bad_frames);
	suite_add_tcase(s, tc);
	tcase_add_test(io, test_send_recv);
	tcase_add_test(io, test_descriptor);
	tcase_add_test(io, test_extra_descriptors_closed);
	tcase_add_test(io, test_bad_packet);
	tcase_add_test(io, test_empty_packet_is_not_the_end);
	tcase_add_test(io, test_recv_deadline);
	tcase_add_test(io, test_send_deadline);
	tcase_add_test(io, test_fork);
	suite_add_tcase(s, io);
	return s;
}

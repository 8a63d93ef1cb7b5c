// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptpbench's scale and latency runs (pptpbench.h): mserve, mfeed and
 * the null client; pptpbench.c's top says what each does.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <linux/filter.h>
#include <unistd.h>

#include "gre_hdr.h"
#include "hdlc.h"
#include "pptp_msg.h"
#include "pptpbench.h"

/* --- scale and latency: many calls, stamped frames ---------------------- */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A frame of a call with its sending time at bytes 8-15. */
static size_t
make_stamped(uint8_t *f, uint32_t idx, size_t size)
{
	uint64_t t = now_ns();

	make_frame(f, idx, size);
	memcpy(f + 8, &t, 8);
	return size;
}

/* Latencies kept, in ns; written out at the end. */
struct lat {
	uint64_t	*v;
	size_t		 n, cap;
};

static void
lat_add(struct lat *l, uint64_t ns)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 65536;
		uint64_t *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL || cap > (8u << 20))
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ns;
}

static void
lat_write(const struct lat *l, const char *dir, const char *name)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w")) == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%llu\n", (unsigned long long)l->v[i]);
	fclose(f);
}

/* The stamp of a frame whose header is right, 0 if it is not one. */
static uint64_t
frame_stamp(const uint8_t *f, size_t len, size_t size, uint32_t *idx)
{
	uint64_t t;

	if (len != size || size < 16 || memcmp(f, "\xff\x03\x00\x21", 4))
		return 0;
	memcpy(idx, f + 4, 4);
	memcpy(&t, f + 8, 8);
	return t;
}

static int
exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

enum { MCALLS = 256, MCONNS = 256 };

struct mcall {
	uint16_t	peer;		/* the client's call ID */
	uint32_t	seq, idx;
	uint8_t		held[GRE_HDR_MAX + FRAME_MAX_BENCH];
	size_t		held_len;
	uint64_t	sent;
};

struct mserver {
	const char		*dir;
	int			 lfd, gre, nconn, ncalls, want;
	int			 cfd[MCONNS];
	struct msg_reader	 rd[MCONNS];
	struct mcall		 call[MCALLS];
	struct in_addr		 peer;
	size_t			 size;
	struct lat		 up;
	uint64_t		 received;
};

static void
ms_ctrl(struct mserver *s, int c)
{
	uint8_t buf[2048];
	ssize_t n = recv(s->cfd[c], buf, sizeof(buf), MSG_DONTWAIT);
	size_t off = 0, used;

	if (n == 0) {
		close(s->cfd[c]);
		s->cfd[c] = -1;
		return;
	}
	while (n > 0 && off < (size_t)n) {
		struct msg m, r;

		if (msg_reader_next(&s->rd[c], buf + off, (size_t)n - off,
		    &used) != MSG_OK) {
			off += used;
			continue;
		}
		off += used;
		if (msg_decode(s->rd[c].buf, s->rd[c].hdr.length, &m) != MSG_OK)
			continue;
		if (m.hdr.ctrl_type == MSG_SCCRQ) {
			msg_init(&r, MSG_SCCRP);
			r.sccrp.version = MSG_VERSION;
			r.sccrp.result = 1;
			strcpy(r.sccrp.hostname, "bench");
			ctrl_send(s->cfd[c], &r);
		} else if (m.hdr.ctrl_type == MSG_ECHORQ) {
			msg_init(&r, MSG_ECHORP);
			r.echorp.id = m.echorq.id;
			r.echorp.result = 1;
			ctrl_send(s->cfd[c], &r);
		} else if (m.hdr.ctrl_type == MSG_OCRQ &&
		    s->ncalls < MCALLS) {
			char name[32];

			msg_init(&r, MSG_OCRP);
			r.ocrp.call_id = (uint16_t)(100 + s->ncalls);
			r.ocrp.peer_call_id = m.ocrq.call_id;
			r.ocrp.result = 1;
			r.ocrp.recv_window = 0;
			s->call[s->ncalls++].peer = m.ocrq.call_id;
			ctrl_send(s->cfd[c], &r);
			snprintf(name, sizeof(name), "call%d", s->ncalls);
			touch(s->dir, name);
			if (s->ncalls == s->want)
				touch(s->dir, "ready");
		}
	}
}

static void
ms_gre(struct mserver *s)
{
	static uint8_t buf[65536];
	ssize_t n;

	while ((n = recv(s->gre, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		uint64_t t = now_ns(), st;
		uint32_t src, idx;
		size_t plen, ihl = gre_ip4_strip(buf, (size_t)n, &src, &plen);
		struct gre_hdr h;

		if (ihl == 0 || gre_decode(buf + ihl, plen, &h) != GRE_OK ||
		    !h.has_seq)
			continue;
		st = frame_stamp(buf + ihl + h.hdr_len, h.payload_len, s->size,
		    &idx);
		if (st == 0)
			continue;
		s->received++;
		lat_add(&s->up, t - st);
	}
}

/* Serve control and GRE until the deadline (ns, CLOCK_MONOTONIC). */
static void
ms_poll(struct mserver *s, uint64_t until)
{
	for (;;) {
		struct pollfd p[MCONNS + 2];
		int k = 0, idx[MCONNS + 2];
		uint64_t t = now_ns();
		struct timespec ts;

		if (t >= until)
			return;
		ts.tv_sec = (time_t)((until - t) / 1000000000u);
		ts.tv_nsec = (long)((until - t) % 1000000000u);
		p[k] = (struct pollfd){ s->lfd, POLLIN, 0 };
		idx[k++] = -1;
		p[k] = (struct pollfd){ s->gre, POLLIN, 0 };
		idx[k++] = -2;
		for (int c = 0; c < s->nconn; c++)
			if (s->cfd[c] >= 0) {
				p[k] = (struct pollfd){ s->cfd[c], POLLIN, 0 };
				idx[k++] = c;
			}
		if (ppoll(p, (nfds_t)k, &ts, NULL) <= 0)
			continue;
		for (int i = 0; i < k; i++) {
			if (!p[i].revents)
				continue;
			if (idx[i] == -2)
				ms_gre(s);
			else if (idx[i] >= 0)
				ms_ctrl(s, idx[i]);
			else if (s->nconn < MCONNS) {
				struct sockaddr_in sin;
				socklen_t sl = sizeof(sin);
				int fd = accept(s->lfd, (struct sockaddr *)&sin,
				    &sl);

				if (fd < 0)
					continue;
				s->peer = sin.sin_addr;
				msg_reader_init(&s->rd[s->nconn]);
				s->cfd[s->nconn++] = fd;
			}
		}
	}
}

static void
ms_send(struct mserver *s, struct sockaddr_in *to, struct mcall *c,
    int late)
{
	uint8_t pkt[GRE_HDR_MAX + FRAME_MAX_BENCH];
	struct gre_hdr h = { .has_seq = true,
	    .payload_len = (uint16_t)s->size, .call_id = c->peer };
	size_t hl;

	h.seq = ++c->seq;
	hl = gre_encode(&h, pkt, GRE_HDR_MAX);
	make_stamped(pkt + hl, c->idx++, s->size);
	if (late && c->held_len == 0) {
		memcpy(c->held, pkt, hl + s->size);
		c->held_len = hl + s->size;
		return;
	}
	while (sendto(s->gre, pkt, hl + s->size, 0, (struct sockaddr *)to,
	    sizeof(*to)) < 0 && errno == ENOBUFS)
		;
	c->sent++;
	if (c->held_len) {	/* the late one, after its successor */
		uint64_t t = now_ns();

		memcpy(c->held + hl + 8, &t, 8);	/* its wait is not ours */
		sendto(s->gre, c->held, c->held_len, 0, (struct sockaddr *)to,
		    sizeof(*to));
		c->sent++;
		c->held_len = 0;
	}
}

int
mserve(int argc, char **argv)
{
	static struct mserver s;
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(1723) }, to = { .sin_family = AF_INET };
	int one = 1, buf = 64 << 20;
	double fps = strtod(argv[5], NULL), secs = strtod(argv[6], NULL);
	unsigned late = argc > 7 ? (unsigned)atoi(argv[7]) : 0;
	uint64_t t0, sent = 0, total = (uint64_t)(fps * secs);
	double sending;

	s.dir = argv[2];
	s.want = atoi(argv[3]);
	s.size = strtoul(argv[4], NULL, 0);
	if (s.want < 1 || s.want > MCALLS || s.size < 16)
		return printf("error=args\n"), 1;
	s.lfd = socket(AF_INET, SOCK_STREAM, 0);
	s.gre = socket(AF_INET, SOCK_RAW, IPPROTO_GRE);
	setsockopt(s.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s.gre, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(s.gre, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	if (s.gre < 0 || bind(s.lfd, (struct sockaddr *)&sin,
	    sizeof(sin)) < 0 || listen(s.lfd, 256) < 0)
		return printf("error=listen\n"), 1;
	touch(s.dir, "listening");
	while (!exists(s.dir, "go")) {
		ms_poll(&s, now_ns() + 5000000);
		if (exists(s.dir, "done"))
			return printf("error=no-go\n"), 1;
	}
	to.sin_addr = s.peer;
	t0 = now_ns();
	for (uint64_t i = 0; i < total; i++) {
		uint64_t due = t0 + (uint64_t)((double)i * 1e9 / fps);
		struct mcall *c = &s.call[i % (uint64_t)s.ncalls];

		if (now_ns() < due)
			ms_poll(&s, due);
		ms_send(&s, &to, c, late && c->idx % late == late - 1);
		sent++;
	}
	if (total == 0)		/* upstream only: sink for SECONDS */
		ms_poll(&s, t0 + (uint64_t)(secs * 1e9));
	for (int k = 0; k < s.ncalls; k++)	/* any still held */
		if (s.call[k].held_len)
			sendto(s.gre, s.call[k].held, s.call[k].held_len, 0,
			    (struct sockaddr *)&to, sizeof(to));
	touch(s.dir, "sent");
	sending = (double)(now_ns() - t0) / 1e9;
	ms_poll(&s, now_ns() + 1000000000u);	/* what is still coming up */
	lat_write(&s.up, s.dir, "up_lat");
	sent = 0;
	for (int k = 0; k < s.ncalls; k++)
		sent += s.call[k].sent;
	printf("sent=%llu received=%llu calls=%d seconds=%.6f\n",
	    (unsigned long long)sent, (unsigned long long)s.received,
	    s.ncalls, sending);
	fflush(stdout);
	while (!exists(s.dir, "done"))
		ms_poll(&s, now_ns() + 20000000);
	return 0;
}

struct mtun {
	int		fd;
	struct hdlc_dec	d;
	uint8_t		fb[4096];
	uint64_t	got, ooo;
	uint32_t	next;
	uint64_t	now;	/* when what is being decoded was read */
	struct lat	*lat;
	size_t		size;
};

static void
on_mframe(void *arg, const uint8_t *f, size_t len)
{
	struct mtun *t = arg;
	uint32_t idx;
	uint64_t st = frame_stamp(f, len, t->size, &idx);

	if (st == 0)
		return;
	if (t->got && idx < t->next)
		t->ooo++;
	t->next = idx + 1;
	t->got++;
	lat_add(t->lat, t->now - st);
}

int
mfeed(int argc, char **argv)
{
	const char *dir = argv[2];
	int n = atoi(argv[3]);
	size_t size = strtoul(argv[4], NULL, 0);
	double fps = strtod(argv[5], NULL), secs = strtod(argv[6], NULL);
	static struct mtun t[MCALLS];
	static uint8_t buf[1 << 16], frame[FRAME_MAX_BENCH],
	    enc[2 * FRAME_MAX_BENCH + 8];
	pid_t pid[MCALLS];
	struct lat down = { 0 };
	struct hdlc_enc e;
	uint64_t up_i = 0, t0, quiet, ooo = 0;

	if (n < 1 || n > MCALLS || size < 16 || argc < 8)
		return printf("error=args\n"), 1;
	hdlc_enc_init(&e, HDLC_ACCM_ALL);
	for (int k = 0; k < n; k++) {
		int sv[2], b = 1 << 20;
		char name[32];

		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &b, sizeof(b));
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &b, sizeof(b));
		pid[k] = fork();
		if (pid[k] == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(sv[1], 0);
			dup2(sv[1], 1);
			if (getenv("PPTPBENCH_CLIENT_LOG") == NULL)
				dup2(null, 2);
			for (int j = 3; j < 1024; j++)
				close(j);
			execvp(argv[7], argv + 7);
			_exit(127);
		}
		close(sv[1]);
		t[k].fd = sv[0];
		t[k].lat = &down;
		t[k].size = size;
		hdlc_dec_init(&t[k].d, t[k].fb, sizeof(t[k].fb), false);
		snprintf(name, sizeof(name), "call%d", k + 1);
		if (wait_file(dir, name, 20) < 0) {
			printf("error=no-call-%d\n", k + 1);
			for (int j = 0; j <= k; j++)
				kill(pid[j], SIGTERM);
			return 1;
		}
	}
	usleep(500000);		/* the gateways open their sockets */
	touch(dir, "settled");
	if (wait_file(dir, "go", 30) < 0)
		return printf("error=no-go\n"), 1;
	t0 = now_ns();
	quiet = 0;
	for (;;) {
		struct pollfd p[MCALLS];
		uint64_t now = now_ns(), wake = now + 20000000;
		struct timespec ts;
		int r;

		if (fps > 0 && up_i < (uint64_t)(fps * secs)) {
			uint64_t due = t0 + (uint64_t)((double)up_i * 1e9 / fps);

			while (due <= now && up_i < (uint64_t)(fps * secs)) {
				size_t l;

				make_stamped(frame, (uint32_t)up_i, size);
				l = hdlc_encode(&e, frame, size, enc,
				    sizeof(enc));
				if (write(t[0].fd, enc, l) != (ssize_t)l)
					break;
				up_i++;
				due = t0 + (uint64_t)((double)up_i * 1e9 /
				    fps);
				now = now_ns();
			}
			if (due < wake)
				wake = due;
		}
		if (quiet == 0 && exists(dir, "sent"))
			quiet = now + 1000000000u;
		if (quiet && now > quiet)
			break;
		for (int k = 0; k < n; k++)
			p[k] = (struct pollfd){ t[k].fd, POLLIN, 0 };
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(wake > now ? wake - now : 0);
		r = ppoll(p, (nfds_t)n, &ts, NULL);
		if (r <= 0)
			continue;
		for (int k = 0; k < n; k++) {
			ssize_t got;

			if (!(p[k].revents & POLLIN))
				continue;
			got = read(t[k].fd, buf, sizeof(buf));
			if (got <= 0)
				continue;
			t[k].now = now_ns();
			hdlc_dec_feed(&t[k].d, buf, (size_t)got, on_mframe,
			    &t[k]);
			if (quiet)
				quiet = now_ns() + 1000000000u;
		}
	}
	lat_write(&down, dir, "down_lat");
	printf("received=");
	for (int k = 0; k < n; k++) {
		printf("%s%llu", k ? "," : "", (unsigned long long)t[k].got);
		ooo += t[k].ooo;
	}
	printf(" out_of_order=%llu up_sent=%llu\n", (unsigned long long)ooo,
	    (unsigned long long)up_i);
	fflush(stdout);
	wait_file(dir, "done", 60);
	for (int k = 0; k < n; k++)
		kill(pid[k], SIGTERM);
	for (int k = 0; k < n; k++) {
		waitpid(pid[k], NULL, 0);
		close(t[k].fd);
	}
	return 0;
}

/* --- null: the null client ---------------------------------------------- */

struct nulls {
	int		gre;
	struct sockaddr_in to;
	uint16_t	peer_call;
	uint32_t	seq;
	struct mmsghdr	mm[64];
	struct iovec	iov[64];
	uint8_t		pkt[64][GRE_HDR_MAX + FRAME_MAX_BENCH];
	unsigned	n;
};

static void
null_flush(struct nulls *s)
{
	for (unsigned off = 0; off < s->n;) {
		int r = sendmmsg(s->gre, s->mm + off, s->n - off, 0);

		if (r < 0 && errno != EINTR && errno != ENOBUFS)
			break;
		if (r > 0)
			off += (unsigned)r;
	}
	s->n = 0;
}

static void
null_up(void *arg, const uint8_t *f, size_t len)
{
	struct nulls *s = arg;
	struct gre_hdr h = { .has_seq = true, .payload_len = (uint16_t)len,
	    .call_id = s->peer_call, .seq = ++s->seq };
	size_t hl;

	if (len > FRAME_MAX_BENCH)
		return;
	hl = gre_encode(&h, s->pkt[s->n], GRE_HDR_MAX);
	memcpy(s->pkt[s->n] + hl, f, len);
	s->iov[s->n] = (struct iovec){ s->pkt[s->n], hl + len };
	s->mm[s->n] = (struct mmsghdr){ .msg_hdr = { .msg_name = &s->to,
	    .msg_namelen = sizeof(s->to), .msg_iov = &s->iov[s->n],
	    .msg_iovlen = 1 } };
	if (++s->n == 64)
		null_flush(s);
}

int
null_client(const char *server)
{
	enum { B = 32 };
	static struct nulls s;
	static uint8_t in[B][2048], out[B * (2 * FRAME_MAX_BENCH + 8)],
	    rbuf[1 << 16], fb[4096];
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(1723) };
	struct mmsghdr mm[B];
	struct iovec iov[B];
	struct msg_reader rd;
	struct msg m;
	struct hdlc_enc e;
	struct hdlc_dec d;
	uint16_t my_call = (uint16_t)(getpid() | 0x8000);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sock_filter code[] = {
		/* x = IP header length; accept if the call ID is ours */
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 6),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, my_call, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { 5, code };

	s.gre = socket(AF_INET, SOCK_RAW, IPPROTO_GRE);
	inet_pton(AF_INET, server, &sin.sin_addr);
	if (fd < 0 || s.gre < 0 || setsockopt(s.gre, SOL_SOCKET,
	    SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return 1;
	msg_reader_init(&rd);
	msg_init(&m, MSG_SCCRQ);
	m.sccrq.version = MSG_VERSION;
	ctrl_send(fd, &m);
	if (ctrl_expect(fd, &rd, MSG_SCCRP, &m) < 0)
		return 1;
	msg_init(&m, MSG_OCRQ);
	m.ocrq.call_id = my_call;
	m.ocrq.recv_window = 64;
	ctrl_send(fd, &m);
	if (ctrl_expect(fd, &rd, MSG_OCRP, &m) < 0)
		return 1;
	s.peer_call = m.ocrp.call_id;
	s.to = (struct sockaddr_in){ .sin_family = AF_INET,
	    .sin_addr = sin.sin_addr };
	hdlc_enc_init(&e, HDLC_ACCM_ALL);
	hdlc_dec_init(&d, fb, sizeof(fb), false);
	for (int k = 0; k < B; k++) {
		iov[k] = (struct iovec){ in[k], sizeof(in[k]) };
		mm[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k],
		    .msg_iovlen = 1 } };
	}
	for (;;) {
		struct pollfd p[3] = { { 0, POLLIN, 0 }, { s.gre, POLLIN, 0 },
		    { fd, POLLIN, 0 } };

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents) {
			ssize_t n = read(0, rbuf, sizeof(rbuf));

			if (n <= 0)
				return 0;
			hdlc_dec_feed(&d, rbuf, (size_t)n, null_up, &s);
			null_flush(&s);
		}
		if (p[1].revents) {
			int r = recvmmsg(s.gre, mm, B, MSG_DONTWAIT, NULL);
			size_t o = 0;

			for (int k = 0; k < r; k++) {
				uint32_t src;
				size_t plen, ihl = gre_ip4_strip(in[k],
				    mm[k].msg_len, &src, &plen);
				struct gre_hdr h;

				if (ihl == 0 || gre_decode(in[k] + ihl, plen,
				    &h) != GRE_OK || !h.has_seq ||
				    h.call_id != my_call)
					continue;
				o += hdlc_encode(&e, in[k] + ihl + h.hdr_len,
				    h.payload_len, out + o, sizeof(out) - o);
			}
			for (size_t w = 0; w < o;) {
				ssize_t n = write(1, out + w, o - w);

				if (n < 0 && errno != EINTR)
					return 1;
				if (n > 0)
					w += (size_t)n;
			}
		}
		if (p[2].revents) {
			uint8_t cb[1024];

			if (read(fd, cb, sizeof(cb)) <= 0)
				return 0;
		}
	}
}


// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptpbench: the hot parts of `make bench` (tests/bench/bench.py runs
 * them in network namespaces of its own).
 *
 *   pptpbench serve DIR up|down|lossy|paced SIZE COUNT [FPS]
 *	A minimal PAC on 0.0.0.0:1723: answers the control handshake for
 *	one call, then sinks GRE (up: checks every frame's content and
 *	order) or sources COUNT frames of SIZE bytes as fast as it can
 *	(down; lossy: 1% of them never sent, 2% swapped with the next;
 *	paced: at FPS frames/s, 50000 if not given).
 *	Writes DIR/ready once the call is up, waits for DIR/go to source,
 *	and prints its findings as one line of key=value.
 *
 *   pptpbench feed DIR up|down|lossy SIZE COUNT pair|pty CLIENT ARGS...
 *	Plays pppd: starts CLIENT ARGS... with stdin/stdout a socketpair
 *	or a raw pty, writes COUNT HDLC frames (up) or reads and checks
 *	them (down, lossy), and measures the CPU time and peak memory of
 *	every process of CLIENT over the data phase, and its own CPU time
 *	(feed_cpu) and reads that had data (feed_reads).  One line of
 *	key=value.  With PPTPBENCH_CLIENT_LOG set in the environment, the
 *	client's stderr is kept (bench.py shows it) and it gets SIGUSR1,
 *	for its statistics, before it is stopped.
 *
 *   pptpbench floor SERVER up SIZE COUNT
 *	The least CPU per frame that a client sending through a raw IP
 *	socket can spend here: sets up a call with `serve ... up' at
 *	SERVER, then sends COUNT pre-built GRE packets of SIZE-byte frames,
 *	32 a sendmmsg(), and reports its own CPU time (one line, as feed).
 *
 *   pptpbench write DIR down SIZE COUNT
 *	Plays a client that never drops: once DIR/go exists, writes COUNT
 *	HDLC frames to stdout as fast as they are taken, blocking when it
 *	is full, so that `feed ... down' through it measures how fast the
 *	pppd side reads.
 *
 *   pptpbench mserve DIR N SIZE FPS SECONDS [LATE]
 *	The server of the scale and latency runs: answers any number of
 *	control connections and N calls in all (DIR/callK once the K-th
 *	is up, DIR/ready once all are), then, from DIR/go on, sources
 *	FPS frames/s in all for SECONDS, round robin over the calls, each
 *	stamped with its sending time (CLOCK_MONOTONIC, ns, bytes 8-15);
 *	with LATE, one frame in LATE of each call is held and sent after
 *	the call's next one.  Meanwhile it sinks GRE and keeps the
 *	latency of each stamped frame that arrives (DIR/up_lat, ns, one a
 *	line).  Touches DIR/sent when done sending, prints sent= and
 *	received=, and keeps the calls until DIR/done.
 *
 *   pptpbench mfeed DIR N SIZE FPS SECONDS CLIENT ARGS...
 *	Plays N pppds: starts CLIENT ARGS... N times, one after the other
 *	once the server has the previous call, each on a socketpair; once
 *	all are up, touches DIR/settled and waits for DIR/go (bench.py
 *	samples /proc in between); then reads and checks what comes down
 *	(the latency of every stamped frame to DIR/down_lat) until
 *	DIR/sent and a quiet second, and with FPS writes that many stamped
 *	frames a second up the first tunnel for SECONDS.  Prints
 *	received= (per tunnel: r0,r1,...) and out_of_order=.
 *
 *   pptpbench null SERVER
 *	The null client, a floor for the others: one control connection
 *	and call, then a relay between stdin/stdout (HDLC) and a raw GRE
 *	socket filtered by call ID in the kernel, batched both ways, with
 *	no acknowledgements, no reordering and no timers.
 *
 * A frame: FF 03 00 21, a 32-bit index, then bytes that depend on the
 * index and position, SIZE bytes in all; every byte is checked.
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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
touch(const char *dir, const char *name)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}

int
wait_file(const char *dir, const char *name, double timeout)
{
	char p[PATH_MAX];
	double end = now_s() + timeout;
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	while (stat(p, &st) < 0) {
		if (now_s() > end)
			return -1;
		usleep(2000);
	}
	return 0;
}


/*
 * Byte i (from 8 on) of frame idx is (idx * 7 + i) mod 256: a ramp that
 * starts at a point given by idx.  Copies from and comparisons with a
 * ramp of 0..255 repeated make and check it, so that neither the server
 * nor the checker falls behind the client.
 */

static uint8_t ramp[256 + FRAME_MAX_BENCH];

static const uint8_t *
ramp_at(uint32_t idx)
{
	if (ramp[1] == 0)
		for (size_t i = 0; i < sizeof(ramp); i++)
			ramp[i] = (uint8_t)i;
	return ramp + (uint8_t)(idx * 7 + 8);
}

size_t
make_frame(uint8_t *f, uint32_t idx, size_t size)
{
	memcpy(f, "\xff\x03\x00\x21", 4);
	memcpy(f + 4, &idx, 4);
	memcpy(f + 8, ramp_at(idx), size - 8);
	return size;
}

/* 1 if f is frame idx of the given size, exactly. */
static int
check_frame(const uint8_t *f, size_t len, size_t size, uint32_t *idx)
{
	if (len != size || memcmp(f, "\xff\x03\x00\x21", 4) != 0)
		return 0;
	memcpy(idx, f + 4, 4);
	return memcmp(f + 8, ramp_at(*idx), size - 8) == 0;
}

/* What arrived, in order or not: shared by both roles' checkers. */
struct tally {
	uint64_t	good, corrupt, out_of_order, gaps;
	uint32_t	next;
	int		started;
	double		first, last;
	uint64_t	bytes;
};

static void
tally(struct tally *t, const uint8_t *f, size_t len, size_t size)
{
	uint32_t idx;

	t->last = now_s();
	if (!t->started)
		t->first = t->last;
	if (!check_frame(f, len, size, &idx)) {
		t->corrupt++;
		return;
	}
	if (t->started && idx > t->next)
		t->gaps += idx - t->next;	/* frames that never came */
	else if (t->started && idx < t->next)
		t->out_of_order++;		/* older than one passed on */
	t->started = 1;
	t->next = idx + 1;
	t->good++;
	t->bytes += len;
}

/*
 * COUNT HDLC frames of SIZE bytes (every control character escaped, as
 * pppd before LCP settles) to fd, written whole a chunk at a time.
 */
static int
send_frames(int fd, size_t size, uint64_t count, size_t chunk)
{
	static uint8_t frame[FRAME_MAX_BENCH],
	    out[(1 << 20) + 2 * FRAME_MAX_BENCH + 8];
	struct hdlc_enc e;
	size_t o = 0;

	if (chunk > 1 << 20)
		return -1;
	hdlc_enc_init(&e, HDLC_ACCM_ALL);
	for (uint64_t i = 0; i < count; i++) {
		make_frame(frame, (uint32_t)i, size);
		o += hdlc_encode(&e, frame, size, out + o, sizeof(out) - o);
		if (o < chunk && i + 1 < count)
			continue;
		for (size_t w = 0; w < o;) {
			ssize_t n = write(fd, out + w, o - w);

			if (n < 0 && errno != EINTR)
				return -1;
			if (n > 0)
				w += (size_t)n;
		}
		o = 0;
	}
	return 0;
}

/* --- serve: the PAC ------------------------------------------------------ */

int
ctrl_send(int fd, struct msg *m)
{
	uint8_t buf[MSG_MAX_LEN];
	size_t n = msg_encode(m, buf, sizeof(buf));

	return write(fd, buf, n) == (ssize_t)n ? 0 : -1;
}

/* Handshake for one call; the client's call ID and address out. */
static int
handshake(int *cfd, uint16_t *client_call, struct in_addr *peer)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(1723) };
	struct msg_reader rd;
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t sl = sizeof(sin);

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 4) < 0)
		return -1;
	*cfd = accept(lfd, (struct sockaddr *)&sin, &sl);
	close(lfd);
	if (*cfd < 0)
		return -1;
	*peer = sin.sin_addr;
	msg_reader_init(&rd);
	for (;;) {
		uint8_t buf[1024];
		ssize_t n = read(*cfd, buf, sizeof(buf));
		size_t off = 0, used;

		if (n <= 0)
			return -1;
		while (off < (size_t)n) {
			struct msg m, r;

			if (msg_reader_next(&rd, buf + off, (size_t)n - off,
			    &used) != MSG_OK) {
				off += used;
				continue;
			}
			off += used;
			if (msg_decode(rd.buf, rd.hdr.length, &m) != MSG_OK)
				return -1;
			if (m.hdr.ctrl_type == MSG_SCCRQ) {
				msg_init(&r, MSG_SCCRP);
				r.sccrp.version = MSG_VERSION;
				r.sccrp.result = 1;
				strcpy(r.sccrp.hostname, "bench");
				ctrl_send(*cfd, &r);
			} else if (m.hdr.ctrl_type == MSG_OCRQ) {
				msg_init(&r, MSG_OCRP);
				r.ocrp.call_id = 77;
				r.ocrp.peer_call_id = m.ocrq.call_id;
				r.ocrp.result = 1;
				r.ocrp.recv_window = 0;
				*client_call = m.ocrq.call_id;
				ctrl_send(*cfd, &r);
				return 0;
			}
		}
	}
}

/* Answer what the control connection says while data flows. */
static void
ctrl_poll(int cfd)
{
	uint8_t buf[1024];

	while (recv(cfd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;	/* echo requests are rare at these timescales */
}

static int
serve_sink(int gre, int cfd, size_t size, uint64_t count)
{
	static uint8_t buf[65536];
	struct tally t = { 0 };
	double idle_end = now_s() + 30;

	while (t.good + t.corrupt < count && now_s() < idle_end) {
		struct pollfd p = { gre, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0) {
			ctrl_poll(cfd);
			if (t.started && now_s() - t.last > 2)
				break;
			continue;
		}
		while ((n = recv(gre, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			uint32_t src;
			size_t plen, ihl = gre_ip4_strip(buf, (size_t)n, &src,
			    &plen);
			struct gre_hdr h;

			if (ihl == 0 || gre_decode(buf + ihl, plen, &h) !=
			    GRE_OK || !h.has_seq)
				continue;
			tally(&t, buf + ihl + h.hdr_len, h.payload_len, size);
		}
		idle_end = now_s() + 30;
	}
	printf("received=%llu corrupt=%llu out_of_order=%llu gaps=%llu "
	    "seconds=%.6f\n", (unsigned long long)t.good,
	    (unsigned long long)t.corrupt,
	    (unsigned long long)t.out_of_order, (unsigned long long)t.gaps,
	    t.last - t.first);
	return 0;
}

static int
serve_source(int gre, struct in_addr peer, uint16_t call, size_t size,
    uint64_t count, int lossy, double paced)
{
	static uint8_t pkt[2][GRE_HDR_MAX + 2048];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = peer };
	uint64_t sent = 0, skipped = 0, swapped = 0;
	uint32_t seq = 0;
	double t0 = now_s();
	size_t len[2];
	int held = 0;

	srand(1);
	for (uint64_t i = 0; i < count; i++) {
		struct gre_hdr h = { .has_seq = true,
		    .payload_len = (uint16_t)size, .call_id = call };
		size_t hl;
		int r = lossy ? rand() % 100 : 100;

		h.seq = ++seq;
		if (paced && i % 32 == 0) {
			double due = t0 + (double)i / paced;

			while (now_s() < due)
				;	/* spin: sleeps are too coarse here */
		}
		if (r == 0) {		/* 1%: lost on the way */
			skipped++;
			continue;
		}
		hl = gre_encode(&h, pkt[held], GRE_HDR_MAX);
		make_frame(pkt[held] + hl, (uint32_t)i, size);
		len[held] = hl + size;
		if (r <= 2 && !held) {	/* 2%: overtaken by the next */
			held = 1;
			swapped++;
			continue;
		}
		while (sendto(gre, pkt[held], len[held], 0,
		    (struct sockaddr *)&to, sizeof(to)) < 0 &&
		    errno == ENOBUFS)
			;
		sent++;
		if (held) {
			sendto(gre, pkt[0], len[0], 0, (struct sockaddr *)&to,
			    sizeof(to));
			sent++;
			held = 0;
		}
	}
	printf("sent=%llu skipped=%llu swapped=%llu seconds=%.6f\n",
	    (unsigned long long)sent, (unsigned long long)skipped,
	    (unsigned long long)swapped, now_s() - t0);
	return 0;
}

static int
serve(int argc, char **argv)
{
	const char *dir = argv[2], *mode = argv[3];
	size_t size = strtoul(argv[4], NULL, 0);
	uint64_t count = strtoull(argv[5], NULL, 0);
	int cfd, gre, buf = 64 << 20, rc;
	uint16_t call;
	struct in_addr peer;

	gre = socket(AF_INET, SOCK_RAW, IPPROTO_GRE);
	setsockopt(gre, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(gre, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	touch(dir, "listening");
	if (gre < 0 || handshake(&cfd, &call, &peer) < 0) {
		printf("error=handshake\n");
		return 1;
	}
	touch(dir, "ready");
	if (strcmp(mode, "up") == 0) {
		rc = serve_sink(gre, cfd, size, count);
		fflush(stdout);
		touch(dir, "sunk");
	}
	else if (wait_file(dir, "go", 30) < 0)
		rc = printf("error=no-go\n") < 0;
	else
		rc = serve_source(gre, peer, call, size, count,
		    strcmp(mode, "lossy") == 0, strcmp(mode, "paced") != 0 ? 0 :
		    argc > 6 ? strtod(argv[6], NULL) : 50000);
	fflush(stdout);
	/* keep the call until told, so the client does not end early */
	wait_file(dir, "done", 60);
	close(cfd);
	return rc;
}

/* --- feed: pppd's side --------------------------------------------------- */

/*
 * CPU seconds of process pid: its time on the CPU in ns (schedstat, one
 * thread each here), else its user and system clock ticks, which are
 * too coarse for runs of a tenth of a second.
 */
static double
proc_cpu(int pid)
{
	char p[64], stat[1024], *s;
	unsigned long long ns;
	unsigned long ut, st;
	double cpu = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/schedstat", pid);
	if ((f = fopen(p, "r")) != NULL) {
		int n = fscanf(f, "%llu", &ns);

		fclose(f);
		if (n == 1)
			return (double)ns / 1e9;
	}
	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	if ((f = fopen(p, "r")) == NULL)
		return 0;
	if (fgets(stat, sizeof(stat), f) != NULL &&
	    (s = strrchr(stat, ')')) != NULL &&
	    sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
	    "%*u %lu %lu", &ut, &st) == 2)
		cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	fclose(f);
	return cpu;
}

/* CPU seconds and peak RSS (kB) of every process running exe. */
static void
client_usage(const char *exe, double *cpu, long *rss_kb)
{
	char real[PATH_MAX], link[PATH_MAX], p[64];
	struct dirent *de;
	DIR *dp;

	*cpu = 0;
	*rss_kb = 0;
	if (realpath(exe, real) == NULL || (dp = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		char line[1024];
		ssize_t n;
		FILE *f;
		int pid = atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(p, sizeof(p), "/proc/%d/exe", pid);
		n = readlink(p, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, real) != 0)
			continue;
		*cpu += proc_cpu(pid);
		snprintf(p, sizeof(p), "/proc/%d/status", pid);
		f = fopen(p, "r");
		while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			long kb;

			if (sscanf(line, "VmHWM: %ld", &kb) == 1)
				*rss_kb += kb;
		}
		if (f != NULL)
			fclose(f);
	}
	closedir(dp);
}

/* This process's own CPU seconds so far. */
static double
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct dec_arg {
	struct tally	t;
	size_t		size;
};

static void
on_frame(void *arg, const uint8_t *f, size_t len)
{
	struct dec_arg *a = arg;

	tally(&a->t, f, len, a->size);
}

static int
feed(int argc, char **argv)
{
	const char *dir = argv[2], *mode = argv[3];
	size_t size = strtoul(argv[4], NULL, 0);
	uint64_t count = strtoull(argv[5], NULL, 0);
	int use_pty = strcmp(argv[6], "pty") == 0;
	const char *exe = argv[7];
	int ours, theirs;
	pid_t pid;
	double cpu0, cpu1, t0, t1, self0;
	long rss;
	uint64_t reads = 0;
	struct dec_arg da = { .size = size };

	(void)argc;
	if (use_pty) {
		struct termios t;
		char name[64];

		ours = posix_openpt(O_RDWR | O_NOCTTY);
		grantpt(ours);
		unlockpt(ours);
		ptsname_r(ours, name, sizeof(name));
		theirs = open(name, O_RDWR | O_NOCTTY);
		tcgetattr(theirs, &t);
		cfmakeraw(&t);
		tcsetattr(theirs, TCSANOW, &t);
	} else {
		int sv[2];

		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		ours = sv[0];
		theirs = sv[1];
		int b = 4 << 20;
		setsockopt(ours, SOL_SOCKET, SO_SNDBUF, &b, sizeof(b));
		setsockopt(ours, SOL_SOCKET, SO_RCVBUF, &b, sizeof(b));
		/* what the client may have in flight to us is its send buffer */
		setsockopt(theirs, SOL_SOCKET, SO_SNDBUF, &b, sizeof(b));
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(theirs, 0);
		dup2(theirs, 1);
		if (getenv("PPTPBENCH_CLIENT_LOG") == NULL)
			dup2(null, 2);
		close(ours);
		execvp(argv[8], argv + 8);
		_exit(127);
	}
	close(theirs);
	if (wait_file(dir, "ready", 20) < 0) {
		printf("error=no-call\n");
		return 1;
	}
	usleep(300000);		/* the gateway opens its socket */
	client_usage(exe, &cpu0, &rss);
	self0 = self_cpu();
	t0 = now_s();
	if (strcmp(mode, "up") == 0) {
		send_frames(ours, size, count, 1 << 20);
		/* the sink reports when all arrived or arrivals stop */
		wait_file(dir, "sunk", 60);
		t1 = now_s();
	} else {
		static uint8_t buf[1 << 16], fb[4096];
		struct hdlc_dec d;
		double idle;

		hdlc_dec_init(&d, fb, sizeof(fb), false);
		touch(dir, "go");
		idle = now_s() + 10;
		while (da.t.good + da.t.corrupt < count && now_s() < idle) {
			struct pollfd p = { ours, POLLIN, 0 };
			ssize_t n;

			if (poll(&p, 1, 100) <= 0)
				continue;
			n = read(ours, buf, sizeof(buf));
			if (n <= 0)
				break;
			reads++;
			hdlc_dec_feed(&d, buf, (size_t)n, on_frame, &da);
			idle = now_s() + 1.5;
		}
		t1 = da.t.started ? da.t.last : now_s();
		t0 = da.t.started ? da.t.first : t0;
	}
	client_usage(exe, &cpu1, &rss);
	printf("cpu=%.6f rss_kb=%ld seconds=%.6f received=%llu "
	    "corrupt=%llu out_of_order=%llu gaps=%llu feed_cpu=%.6f "
	    "feed_reads=%llu\n", cpu1 - cpu0, rss,
	    t1 - t0, (unsigned long long)da.t.good,
	    (unsigned long long)da.t.corrupt,
	    (unsigned long long)da.t.out_of_order,
	    (unsigned long long)da.t.gaps, self_cpu() - self0,
	    (unsigned long long)reads);
	fflush(stdout);
	touch(dir, "done");
	if (getenv("PPTPBENCH_CLIENT_LOG") != NULL) {
		kill(pid, SIGUSR1);	/* pptp(8)'s statistics */
		usleep(200000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(ours);
	return 0;
}

/* --- floor: the least a client can spend ------------------------------- */

/* The next control message of the given type from fd, or -1. */
int
ctrl_expect(int fd, struct msg_reader *rd, uint16_t type, struct msg *m)
{
	uint8_t buf[1];		/* a byte a read: the handshake only */

	for (;;) {
		size_t used;

		if (read(fd, buf, 1) != 1)
			return -1;
		if (msg_reader_next(rd, buf, 1, &used) != MSG_OK)
			continue;
		if (msg_decode(rd->buf, rd->hdr.length, m) == MSG_OK &&
		    m->hdr.ctrl_type == type)
			return 0;
	}
}

/*
 * floor: see the comment at the top.  Pre-built packets, 32 a sendmmsg()
 * on a raw socket, as the gateway sends them; its own CPU time counts,
 * which includes, as for a client, the receiving namespace's work that
 * the kernel does in the sender's context on veth.
 */
static int
floor_send(const char *server, size_t size, uint64_t count)
{
	enum { N = 32 };
	static uint8_t pkt[N][GRE_HDR_MAX + FRAME_MAX_BENCH];
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(1723) };
	struct mmsghdr mm[N];
	struct iovec iov[N];
	struct msg_reader rd;
	struct msg m;
	struct rusage ru0, ru1;
	uint16_t peer_call;
	uint32_t seq = 0;
	double t0, t1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int gre = socket(AF_INET, SOCK_RAW, IPPROTO_GRE);

	inet_pton(AF_INET, server, &sin.sin_addr);
	if (fd < 0 || gre < 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		printf("error=connect\n");
		return 1;
	}
	msg_reader_init(&rd);
	msg_init(&m, MSG_SCCRQ);
	m.sccrq.version = MSG_VERSION;
	ctrl_send(fd, &m);
	if (ctrl_expect(fd, &rd, MSG_SCCRP, &m) < 0) {
		printf("error=sccrp\n");
		return 1;
	}
	msg_init(&m, MSG_OCRQ);
	m.ocrq.call_id = 1;
	m.ocrq.recv_window = 64;
	ctrl_send(fd, &m);
	if (ctrl_expect(fd, &rd, MSG_OCRP, &m) < 0) {
		printf("error=ocrp\n");
		return 1;
	}
	peer_call = m.ocrp.call_id;
	sin.sin_port = 0;
	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_s();
	for (uint64_t i = 0; i < count; i += N) {
		unsigned n = count - i < N ? (unsigned)(count - i) : N;

		for (unsigned k = 0; k < n; k++) {
			struct gre_hdr h = { .has_seq = true,
			    .payload_len = (uint16_t)size,
			    .call_id = peer_call, .seq = ++seq };
			size_t hl = gre_encode(&h, pkt[k], GRE_HDR_MAX);

			make_frame(pkt[k] + hl, (uint32_t)(i + k), size);
			iov[k] = (struct iovec){ pkt[k], hl + size };
			mm[k] = (struct mmsghdr){ .msg_hdr = {
			    .msg_name = &sin, .msg_namelen = sizeof(sin),
			    .msg_iov = &iov[k], .msg_iovlen = 1 } };
		}
		for (unsigned off = 0; off < n;) {
			int r = sendmmsg(gre, mm + off, n - off, 0);

			if (r < 0 && errno != EINTR && errno != ENOBUFS) {
				printf("error=sendmmsg\n");
				return 1;
			}
			if (r > 0)
				off += (unsigned)r;
		}
	}
	t1 = now_s();
	getrusage(RUSAGE_SELF, &ru1);
	printf("cpu=%.6f rss_kb=%ld seconds=%.6f received=%llu corrupt=0 "
	    "out_of_order=0 gaps=0\n",
	    (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec +
	    ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
	    (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec +
	    ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6,
	    ru1.ru_maxrss, t1 - t0, (unsigned long long)count);
	fflush(stdout);
	close(gre);
	close(fd);
	return 0;
}

/* write: see the comment at the top. */
static int
write_frames(const char *dir, size_t size, uint64_t count)
{
	if (wait_file(dir, "go", 30) < 0 ||
	    send_frames(1, size, count, 1 << 16) < 0)
		return 1;
	pause();	/* until feed is done with us */
	return 0;
}

int
main(int argc, char **argv)
{
	size_t size = argc >= 5 ? strtoul(argv[4], NULL, 0) : 0;

	if (argc == 3 && strcmp(argv[1], "null") == 0)
		return null_client(argv[2]);
	if (size < 8 || size > FRAME_MAX_BENCH) {
		fprintf(stderr, "pptpbench: frame size from 8 to %d bytes\n",
		    FRAME_MAX_BENCH);
		return 2;
	}
	if (argc >= 7 && strcmp(argv[1], "mserve") == 0)
		return mserve(argc, argv);
	if (argc >= 8 && strcmp(argv[1], "mfeed") == 0)
		return mfeed(argc, argv);
	if (argc >= 6 && strcmp(argv[1], "serve") == 0)
		return serve(argc, argv);
	if (argc >= 9 && strcmp(argv[1], "feed") == 0)
		return feed(argc, argv);
	if (argc == 6 && strcmp(argv[1], "floor") == 0)
		return floor_send(argv[2], size, strtoull(argv[5], NULL, 0));
	if (argc == 6 && strcmp(argv[1], "write") == 0)
		return write_frames(argv[2], size, strtoull(argv[5], NULL, 0));
	fprintf(stderr, "usage: see the comment at the top of "
	    "tests/bench/pptpbench.c\n");
	return 2;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keeper (keeper.h): the call manager's parent, which keeps root's
 * files and CAP_NET_ADMIN so that the manager, which parses what the
 * server sends, needs neither.  It serves requests on a SOCK_SEQPACKET
 * socketpair until the manager ends (its pidfd) or its end closes, then,
 * once the manager is gone, cleans up after it whichever way it ended, a
 * SIGKILL included.  Requests and replies
 * are ipc.h messages of the small set below.  A request that the
 * options rule out (a route with --nohostroute, a mark without
 * --rtmark) or that it does not know can only come from a manager
 * turned hostile: it is served no more.
 */
#include "keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "callmgr_int.h"
#include "ipc.h"
#include "rendezvous.h"
#include "route.h"
#include "sandbox.h"
#include "util.h"
#include "wire.h"

/*
 * The keeper's message set.  Every request's payload begins with its
 * number (a u16 the manager counts), which its reply, of the same type,
 * repeats before what it says: an answer that comes after its deadline
 * is never taken for the answer to a later request.  After the number
 * a request has nothing (the mark's socket is passed beside it) but the
 * call IDs' and KEEP_CANCEL's (a u16).
 */
enum keep_type {
	KEEP_ROUTE = 1,		/* reply: added (u8), then its words */
	KEEP_MARK,		/* reply: an errno (u32), 0 when marked */
	KEEP_UNLINK,		/* reply: empty, once done */
	KEEP_TAKE_ID,		/* u16 start; reply: u16 ID, u8 enum id_why */
	KEEP_GIVE_ID,		/* u16 ID; reply: empty */
	KEEP_CANCEL,		/* u16 number of a KEEP_TAKE_ID the manager
				   no longer waits for; reply: empty */
};

/*
 * Deadlines.  The manager waits KEEPER_WAIT_MS for an answer (a route
 * added, a search of every call ID); the keeper waits as long for room
 * to answer.  The run directory's lock is waited for RUNDIR_LOCK_MS at
 * most: instances hold it for no wait on another process.
 */
#define KEEPER_WAIT_MS	5000
#define KEEP_PAYLOAD_MAX	128	/* a message's bytes after its number */
#define RUNDIR_LOCK_MS	2000

struct sock_id {
	uint32_t		 dev_major, dev_minor;
	uint64_t		 ino;
	struct statx_timestamp	 btime;	/* zeros where not kept */
};

struct keeper {
	const struct pptp_opts	*o;
	const struct keeper_cfg	*k;
	struct sock_id		 sock;		/* the manager's socket file */
	bool			 unlinked;
	bool			 route_held;
	struct hostroute	 route;
	struct idstore		 ids;
	uint16_t		 took_for;	/* the last KEEP_TAKE_ID's */
	uint16_t		 took;		/* number, and its ID, or 0 */
};

/*
 * Which file is at path: device and inode, and its birth time where the
 * file system keeps one (an inode number freed can come back at once,
 * for the socket of a manager started meanwhile).  -1 if none.
 */
static int
sock_id(const char *path, struct sock_id *id)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_INO |
	    STATX_BTIME, &sx) < 0)
		return -1;
	*id = (struct sock_id){ .dev_major = sx.stx_dev_major,
	    .dev_minor = sx.stx_dev_minor, .ino = sx.stx_ino };
	if (sx.stx_mask & STATX_BTIME)
		id->btime = sx.stx_btime;
	return 0;
}

/*
 * The socket file goes if it is still ours, under the instances' lock,
 * waited for RUNDIR_LOCK_MS at most: past that it stays, and the next
 * instance, refused there, removes it as a stale one.
 */
static void
keep_unlink(struct keeper *kp)
{
	struct sock_id now;
	int dirfd, lockfd;

	if (kp->unlinked)
		return;
	kp->unlinked = true;
	dirfd = open(kp->o->rundir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (dirfd < 0)
		return;
	lockfd = rdv_lock(dirfd, kp->o->rundir, RUNDIR_LOCK_MS, NULL);
	if (lockfd < 0) {
		if (errno == ETIMEDOUT)
			log_warnx("keeper: %s stayed locked for %d s: the "
			    "socket %s is left for the next instance",
			    kp->o->rundir, RUNDIR_LOCK_MS / 1000,
			    kp->k->sockpath);
		close(dirfd);
		return;
	}
	if (sock_id(kp->k->sockpath, &now) == 0 &&
	    memcmp(&now, &kp->sock, sizeof(now)) == 0)
		unlink(kp->k->sockpath);
	rdv_unlock(dirfd, lockfd);
	close(dirfd);
}

/*
 * A message of the keeper's set, either way: number n, then p's len
 * bytes (with the descriptor pass, if >= 0), by end.  ipc_send's result.
 */
static int
send_numbered(int fd, enum keep_type type, uint16_t n, const void *p,
    size_t len, int pass, uint64_t end)
{
	uint8_t out[2 + KEEP_PAYLOAD_MAX];

	if (len > KEEP_PAYLOAD_MAX)
		return -1;
	out[0] = (uint8_t)(n >> 8);
	out[1] = (uint8_t)n;
	if (len > 0)
		memcpy(out + 2, p, len);
	return ipc_send(fd, type, out, len + 2, pass, end);
}

/*
 * A reply to request number n: the manager asked and waits; past the
 * deadline, dropped.
 */
static void
keep_reply(int fd, enum keep_type type, uint16_t n, const void *p,
    size_t len)
{
	(void)send_numbered(fd, type, n, p, len, -1, now_ms() +
	    KEEPER_WAIT_MS);
}

static void
keep_take_id(struct keeper *kp, int fd, uint16_t n, struct rd *r)
{
	uint8_t out[3];
	struct wr w = { .p = out, .len = sizeof(out) };
	uint16_t id = 0;
	enum id_why why = idstore_take(&kp->ids, rd_u16(r), &id);

	if (why == ID_ALL_TAKEN)
		log_warnx("keeper: every call ID of the server is taken on "
		    "this host (%s/%s*)", kp->ids.dir, kp->ids.prefix);
	wr_u16(&w, id);
	wr_u8(&w, (uint8_t)why);
	kp->took_for = n;
	kp->took = why == ID_OK ? id : 0;
	keep_reply(fd, KEEP_TAKE_ID, n, out, sizeof(out));
}

static void
keep_route(struct keeper *kp, int fd, uint16_t n)
{
	uint8_t reply[KEEP_PAYLOAD_MAX] = { 0 };	/* not added */
	size_t len = 1;

	if (!kp->route_held) {
		kp->route_held = true;
		(void)route_add_host(&kp->k->server, kp->o->rtmark_set,
		    kp->o->rtmark, kp->k->routelock, &kp->route);
	}
	if (kp->route.added) {
		char words[sizeof(reply) - 1];

		reply[0] = 1;
		route_describe(&kp->route, words, sizeof(words));
		memcpy(reply + 1, words, strlen(words));
		len += strlen(words);
	}
	/* Said where the user looks; what is left (removal) to syslog. */
	if (!kp->o->debug)
		log_stderr(false, 1);
	keep_reply(fd, KEEP_ROUTE, n, reply, len);
}

/* --rtmark's mark on the manager's TCP socket s; errno as the reply. */
static void
keep_mark(struct keeper *kp, int fd, uint16_t n, int s)
{
	uint8_t reply[4];
	struct wr w = { .p = reply, .len = sizeof(reply) };
	int err = 0, v[3];
	socklen_t len = sizeof(v[0]);
	const int opt[3] = { SO_DOMAIN, SO_TYPE, SO_PROTOCOL };
	/* IPv4 only: IPv6 would take AF_INET6 TCP sockets here too. */
	const int want[3] = { AF_INET, SOCK_STREAM, IPPROTO_TCP };

	for (int i = 0; i < 3 && err == 0; i++)
		if (getsockopt(s, SOL_SOCKET, opt[i], &v[i], &len) < 0 ||
		    v[i] != want[i])
			err = EINVAL;	/* a TCP socket, or nothing */
	if (err == 0 && setsockopt(s, SOL_SOCKET, SO_MARK, &kp->o->rtmark,
	    sizeof(kp->o->rtmark)) < 0) {
		err = errno;
		log_warn("callmgr: --rtmark %u: SO_MARK", kp->o->rtmark);
	}
	wr_u32(&w, (uint32_t)err);
	keep_reply(fd, KEEP_MARK, n, reply, sizeof(reply));
}

static void __attribute__((noreturn))
keeper_main(const struct pptp_opts *o, const struct keeper_cfg *k, int fd,
    pid_t manager)
{
	struct keeper kp = { .o = o, .k = k, .route = { .lockfd = -1 } };
	char addr[ADDR_STRLEN];
	const char *hostile = NULL;
	int ws = 0, mgr_pidfd;

	/* The manager's end is the stop: a stray TERM must not orphan it. */
	helper_signals();
	idstore_init(&kp.ids, &k->server, o->rundir);
	if (sock_id(k->sockpath, &kp.sock) < 0)
		kp.unlinked = true;	/* none to remove */
	/* With no route to add, nothing more for the user's stderr. */
	if (o->nohostroute && !o->debug)
		log_stderr(false, 1);
	sandbox_keeper(&o->sandbox, !o->nohostroute || o->rtmark_set);
	proc_title("pptp: keeper for %s", addr_ntop(&k->server, addr,
	    sizeof(addr)));
	/*
	 * No deadline, by design: the keeper lives as long as its manager,
	 * which may ask nothing for days.  Its end is seen on its pidfd
	 * (the manager is our child: no one else can reap it), so that a
	 * manager that hands its socket away still ends the keeper, and on
	 * the socket's end.  Only its death starts the cleanup (below).
	 */
	mgr_pidfd = pidfd_open(manager, 0);
	if (mgr_pidfd < 0)
		log_debug("keeper: no pidfd for its manager, ends with its "
		    "socket alone: %s", strerror(errno));
	while (hostile == NULL) {
		struct pollfd pfd[2] = { { fd, POLLIN, 0 },
		    { mgr_pidfd, POLLIN, 0 } };
		struct ipc_msg m;
		struct rd rq;
		uint16_t n;
		int r;
		bool id_msg;

		if (poll(pfd, mgr_pidfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents != 0)
			break;			/* the manager is gone */
		r = ipc_recv(fd, &m, IPC_NOWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0 && errno == EBADMSG) {
			hostile = "a malformed request";
			break;
		}
		if (r <= 0)
			break;
		id_msg = m.type == KEEP_TAKE_ID || m.type == KEEP_GIVE_ID ||
		    m.type == KEEP_CANCEL;
		rq = (struct rd){ .p = m.payload, .len = m.len };
		n = rd_u16(&rq);
		if (m.len != (id_msg ? 4u : 2u))
			hostile = "a malformed request";
		else if (m.type == KEEP_ROUTE && !o->nohostroute)
			keep_route(&kp, fd, n);
		else if (m.type == KEEP_MARK && o->rtmark_set && m.fd >= 0)
			keep_mark(&kp, fd, n, m.fd);
		else if (m.type == KEEP_UNLINK) {
			keep_unlink(&kp);
			keep_reply(fd, KEEP_UNLINK, n, NULL, 0);
		} else if (m.type == KEEP_TAKE_ID) {
			keep_take_id(&kp, fd, n, &rq);
		} else if (m.type == KEEP_GIVE_ID) {
			idstore_give(&kp.ids, rd_u16(&rq));
			keep_reply(fd, KEEP_GIVE_ID, n, NULL, 0);
		} else if (m.type == KEEP_CANCEL) {
			/* comes right after the request it cancels */
			if (kp.took != 0 && kp.took_for == rd_u16(&rq))
				idstore_give(&kp.ids, kp.took);
			kp.took = 0;
			keep_reply(fd, KEEP_CANCEL, n, NULL, 0);
		} else
			hostile = "a request its options rule out";
		if (m.fd >= 0)
			close(m.fd);
	}
	if (hostile != NULL)
		log_warnx("keeper: %s from the call manager: no more requests "
		    "served", hostile);
	/*
	 * Clean up once the manager is gone, not when it says so: its
	 * calls hold their IDs, its tunnels the route, while it runs.
	 */
	while (waitpid(manager, &ws, 0) < 0 && errno == EINTR)
		;
	keep_unlink(&kp);
	idstore_close(&kp.ids);
	if (kp.route_held)
		route_del_host(&kp.route);
	if (WIFSIGNALED(ws))
		log_warnx("callmgr %s: killed by signal %d%s", addr,
		    WTERMSIG(ws), WTERMSIG(ws) == SIGSYS ? " (a system call "
		    "its filter forbids: see pptp(8) SECURITY)" : "");
	_exit(0);
}

int
keeper_fork(const struct pptp_opts *o, const struct keeper_cfg *k)
{
	int fd;
	pid_t pid = ipc_fork(&fd);

	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(k->lfd);
		keeper_main(o, k, fd, pid);
	}
	return fd;
}

static uint16_t next_request;	/* the manager's requests' numbers */

/*
 * Request n, a call ID's, was not answered in time: the keeper, when it
 * comes to it, gives back whatever it reserved for it (the cancel is
 * the next request it reads), so that its reservations are the calls'
 * alone, whether or not the manager asks anything more.  The answers to
 * both, when they come, are late ones, skipped by their numbers.
 */
static void
cancel_request(int kfd, uint16_t n)
{
	uint8_t target[2] = { (uint8_t)(n >> 8), (uint8_t)n };

	if (send_numbered(kfd, KEEP_CANCEL, next_request++, target,
	    sizeof(target), -1, IPC_NOWAIT) < 0)
		log_warn("callmgr: cannot cancel its request for a call ID: "
		    "the keeper may hold one for no call until this manager "
		    "ends");
}

/*
 * One request (its payload p, len bytes; with the descriptor fd, if >=
 * 0) and its reply in *answer (its number taken off), within
 * KEEPER_WAIT_MS; -1 if the keeper is gone, late or answered something
 * else.  Answers to earlier requests that come first are late ones.
 */
static int
ask_with(int kfd, enum keep_type req, const void *p, size_t len, int fd,
    struct ipc_msg *answer)
{
	uint64_t end = now_ms() + KEEPER_WAIT_MS;
	uint16_t n = next_request++;

	if (kfd < 0)
		return -1;
	if (send_numbered(kfd, req, n, p, len, fd, end) < 0) {
		log_warn("callmgr: no answer from its keeper");
		return -1;
	}
	for (;;) {
		int r = ipc_recv(kfd, answer, end);

		if (r <= 0) {
			bool late = r < 0 && errno == ETIMEDOUT;

			log_warn("callmgr: no answer from its keeper");
			if (late && req == KEEP_TAKE_ID)
				cancel_request(kfd, n);
			return -1;
		}
		if (answer->fd >= 0)
			close(answer->fd);	/* none is meant for us */
		answer->fd = -1;
		if (answer->len >= 2 &&
		    answer->payload[0] == (uint8_t)(n >> 8) &&
		    answer->payload[1] == (uint8_t)n)
			break;	/* else a late answer: skipped */
	}
	answer->len -= 2;
	memmove(answer->payload, answer->payload + 2, answer->len);
	return answer->type == req ? 0 : -1;
}

static int
ask(int kfd, enum keep_type req, int fd, struct ipc_msg *answer)
{
	return ask_with(kfd, req, NULL, 0, fd, answer);
}

enum id_why
keeper_take_id(int kfd, uint16_t start, uint16_t *id)
{
	uint8_t req[2] = { (uint8_t)(start >> 8), (uint8_t)start };
	struct ipc_msg answer;
	struct rd r;
	unsigned why;

	*id = 0;
	if (ask_with(kfd, KEEP_TAKE_ID, req, sizeof(req), -1, &answer) < 0 ||
	    answer.len != 3)
		return ID_NO_KEEPER;
	r = (struct rd){ .p = answer.payload, .len = answer.len };
	*id = rd_u16(&r);
	why = rd_u8(&r);
	if (why == ID_OK && *id == 0)
		return ID_NO_KEEPER;	/* no answer of a keeper's */
	return why <= ID_NO_KEEPER ? (enum id_why)why : ID_NO_KEEPER;
}

void
keeper_give_id(int kfd, uint16_t id)
{
	uint8_t req[2] = { (uint8_t)(id >> 8), (uint8_t)id };
	struct ipc_msg answer;

	(void)ask_with(kfd, KEEP_GIVE_ID, req, sizeof(req), -1, &answer);
}

int
keeper_route(int kfd, bool *added, char *desc, size_t descsz)
{
	struct ipc_msg reply;

	*added = false;
	if (descsz > 0)
		desc[0] = '\0';
	if (ask(kfd, KEEP_ROUTE, -1, &reply) < 0 || reply.len < 1)
		return -1;
	*added = reply.payload[0] == 1;
	if (*added)
		snprintf(desc, descsz, "%.*s", (int)(reply.len - 1),
		    (const char *)reply.payload + 1);
	return 0;
}

int
keeper_mark(int kfd, int s)
{
	struct ipc_msg reply;
	int err = EPIPE;	/* the keeper is gone */

	if (ask(kfd, KEEP_MARK, s, &reply) == 0 && reply.len == 4) {
		struct rd r = { .p = reply.payload, .len = reply.len };

		err = (int)rd_u32(&r);
	}
	errno = err;
	return err == 0 ? 0 : -1;
}

void
keeper_unlink(int kfd)
{
	struct ipc_msg reply;

	(void)ask(kfd, KEEP_UNLINK, -1, &reply);
}

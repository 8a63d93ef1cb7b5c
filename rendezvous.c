// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rendezvous (rendezvous.h): the run directory and its lock, the
 * call manager's socket name, connect and listen, and peer credentials.
 * An instance holds the run directory's lock (a file in it only root,
 * or pptp's own user, can open) while it looks for a
 * manager and, finding none, starts one; so two instances for one server
 * never start two managers.  It holds it across no wait on another
 * process: its connect does not block (a manager whose backlog is full
 * is tried again, the lock let go meanwhile, until RDV_ANSWER_MS).
 */
#include "rendezvous.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pptp_callmgr.h"
#include "util.h"

/* A manager serves its own network namespace alone. */
unsigned long
rdv_netns_id(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return 0;	/* no /proc: all share one name, as before */
	return (unsigned long)st.st_ino;
}

/*
 * What the control connection is made of, as one number: instances
 * whose options differ in any of these get managers (and connections)
 * of their own, so that each runs with the options it was given.
 * FNV-1a over the options written out.
 */
static uint32_t
ctrl_opts_digest(const struct pptp_opts *o)
{
	char text[512];
	uint32_t h = 2166136261u;
	int n;

	n = snprintf(text, sizeof(text), "quirks=%s localbind=%s rtmark=%d:%u "
	    "nohostroute=%d idle=%u echo=%u reply=%u connect=%u host=%s "
	    "share=%d sandbox=%d:%d:%u:%u", o->quirks ? o->quirks : "",
	    o->localbind ? o->localbind : "", o->rtmark_set, o->rtmark,
	    o->nohostroute, o->idle_wait_s, o->max_echo_wait_s,
	    o->reply_timeout_s, o->connect_timeout_s,
	    o->client_hostname ? o->client_hostname : "", (int)o->share,
	    o->sandbox.on, o->sandbox.switch_user, (unsigned)o->sandbox.uid,
	    (unsigned)o->sandbox.gid);
	for (int i = 0; i < n && i < (int)sizeof(text); i++)
		h = (h ^ (uint8_t)text[i]) * 16777619u;
	return h;
}

/*
 * The socket's name: the server address, the network namespace (the run
 * directory is shared by every namespace; a manager in another one
 * would place calls whose GRE never reaches us) and the options.
 */
static int
sock_path(const struct pptp_opts *o, const struct pptp_addr *server,
    char *out, size_t outsz)
{
	char addr[ADDR_STRLEN];
	int n;

	n = snprintf(out, outsz, "%s/%s-ns%lu-%08x", o->rundir,
	    addr_ntop(server, addr, sizeof(addr)),
	    rdv_netns_id(), ctrl_opts_digest(o));
	if (n < 0 || (size_t)n >= outsz) {
		log_warnx("callmgr: socket path in %s is too long", o->rundir);
		return -1;
	}
	return 0;
}

/*
 * The host route's lock: one per server and namespace (and table), in a
 * directory of its own whatever --rundir says, since the route is one
 * whatever the run directory of the tunnels that need it.
 */
void
rdv_route_lock_path(const struct pptp_addr *server, char *out, size_t outsz)
{
	char addr[ADDR_STRLEN];

	if (mkdir(PPTP_RUNDIR_DEFAULT, 0700) < 0 && errno != EEXIST)
		log_warn("cannot create %s", PPTP_RUNDIR_DEFAULT);
	snprintf(out, outsz, "%s/route-%s-ns%lu", PPTP_RUNDIR_DEFAULT,
	    addr_ntop(server, addr, sizeof(addr)),
	    rdv_netns_id());
}

/*
 * Connect without waiting: EAGAIN when the listener's backlog is full (a
 * manager that accepts no one: stopped, or stuck).  The socket returned
 * blocks, as before.
 */
static int
connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, saved;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    fcntl(fd, F_SETFL, 0) == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t mask;
	int fd, r;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* srw-------, whatever the umask: its owner (and root) alone */
	mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (r < 0 || listen(fd, CM_MAX_CLIENTS) < 0) {
		r = errno;
		close(fd);
		errno = r;
		return -1;
	}
	return fd;
}

/* A short nap (ms) that a stop signal ends; false if *stop was set. */
static bool
nap(int ms, volatile sig_atomic_t *stop)
{
	struct timespec ts = { 0, (long)ms * 1000000 };
	sigset_t mask;

	sig_waitmask(&mask, SIGTERM, SIGINT, SIGHUP, 0);
	if (stop != NULL && *stop)
		return false;
	(void)ppoll(NULL, 0, &ts, &mask);
	return stop == NULL || !*stop;
}

/*
 * The run directory's lock is a file in it, RDV_LOCK_NAME, made 0600:
 * not the directory itself, which anyone may open (and flock) where it
 * is readable by all, as a root's 0755 --rundir is.  Only its owner
 * (root, or pptp's own user) can open the file, and who holds the lock
 * removes it when done: a lock held on a file no longer at that name
 * locks nothing, so a file locked is checked to still be the one there.
 */
static int
lock_file_open(int dirfd, const char *dir)
{
	struct stat st;
	int fd = openat(dirfd, RDV_LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600);

	if (fd < 0) {
		/* ELOOP: a symbolic link, which only its owner could put */
		log_warn("cannot open the lock %s/%s", dir, RDV_LOCK_NAME);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 077) != 0) {
		log_warnx("the lock %s/%s is not a file of root's (or uid "
		    "%u) that only its owner may open (uid %u, mode %06o): "
		    "not using it", dir, RDV_LOCK_NAME, (unsigned)geteuid(),
		    (unsigned)st.st_uid, (unsigned)st.st_mode);
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Is fd the file at RDV_LOCK_NAME in dirfd? */
static bool
lock_file_current(int dirfd, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(dirfd, RDV_LOCK_NAME, &b,
	    AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino;
}

int
rdv_lock(int dirfd, const char *dir, int wait_ms, volatile sig_atomic_t *stop)
{
	uint64_t end = now_ms() + (uint64_t)wait_ms;
	int fd = -1, saved;

	for (;;) {
		if (fd < 0 && (fd = lock_file_open(dirfd, dir)) < 0)
			return -1;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (lock_file_current(dirfd, fd))
				return fd;
			close(fd);	/* removed by its holder: again */
			fd = -1;
		} else if (errno != EWOULDBLOCK && errno != EINTR) {
			log_warn("cannot lock %s/%s", dir, RDV_LOCK_NAME);
			break;
		}
		if (now_ms() >= end) {
			errno = ETIMEDOUT;
			break;
		}
		if (!nap(10, stop)) {
			errno = EINTR;
			break;
		}
	}
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

void
rdv_unlock(int dirfd, int lockfd)
{
	if (lockfd < 0)
		return;
	(void)unlinkat(dirfd, RDV_LOCK_NAME, 0);	/* under the lock */
	close(lockfd);
}

/*
 * Whoever may write in the run directory may put a call manager of
 * their own there, so it must be a directory (not a symbolic link to
 * one), root's (or that of our effective user: pptp run by a user with
 * CAP_NET_RAW and CAP_NET_ADMIN, with a run directory of its own, which
 * only that user and root can change), and writable by no one else.
 * Created (0700) if missing; checked every time, existing or not.
 * Returns it open (for the lock), or -1 after one line saying why.
 */
static int
dir_open(const char *dir, bool make)
{
	struct stat st, fst;
	int fd;

	if (make && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_warn("cannot create %s", dir);
		return -1;
	}
	if (lstat(dir, &st) < 0) {
		if (!make && errno == ENOENT)
			return -1;	/* not there: nothing in it */
		if (make)
			log_warn("cannot lock %s", dir);
		else
			log_warn("status: cannot read %s", dir);
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		log_warnx("run directory %s is a symbolic link: not using it "
		    "(name the directory itself)", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("run directory %s is not a directory: not using it",
		    dir);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		log_warnx("run directory %s belongs to uid %u, not root (or "
		    "uid %u): not using it", dir, (unsigned)st.st_uid,
		    (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		log_warnx("run directory %s is writable by group or others "
		    "(mode %04o): not using it", dir,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	/* the one we checked, not one put in its place meanwhile */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev ||
	    fst.st_ino != st.st_ino)) {
		log_warnx("run directory %s changed while it was checked: not "
		    "using it", dir);
		close(fd);
		return -1;
	}
	if (fd < 0 && make)
		log_warn("cannot lock %s", dir);
	else if (fd < 0)
		log_warn("status: cannot read %s", dir);
	return fd;
}

int
rdv_dir_open(const char *dir)
{
	return dir_open(dir, true);
}

int
rdv_dir_read(const char *dir)
{
	return dir_open(dir, false);
}

int
rdv_peer(int fd, uid_t *uid, pid_t *pid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	*uid = cr.uid;
	*pid = cr.pid;
	return 0;
}

/*
 * SO_PEERCRED of a connected unix socket names the process that called
 * listen(): an instance, before any privilege drop.
 */
bool
rdv_manager_trusted(int fd, const char *path, const char *prefix,
    const char *refusal)
{
	uid_t uid;
	pid_t pid;

	if (rdv_peer(fd, &uid, &pid) < 0) {
		log_warn("%sSO_PEERCRED on %s", prefix, path);
		return false;
	}
	if (uid == 0 || uid == geteuid())
		return true;
	log_warnx("%sthe call manager at %s is of uid %u (pid %d), not root "
	    "or ours: %s", prefix, path, (unsigned)uid, (int)pid, refusal);
	return false;
}

int
rdv_attach(const struct pptp_opts *o, const struct pptp_addr *server,
    volatile sig_atomic_t *stop, uint64_t by_ms)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint64_t now = now_ms(), end = now + RDV_ANSWER_MS, lock_end;
	int dirfd, lockfd, fd, lfd;

	if (sock_path(o, server, path, sizeof(path)) < 0)
		return -1;
	/* One instance at a time looks for (and maybe starts) a manager. */
	dirfd = rdv_dir_open(o->rundir);
	if (dirfd < 0)
		return -1;
again:
	now = now_ms();
	lock_end = now + RDV_LOCK_MS < by_ms ? now + RDV_LOCK_MS : by_ms;
	if (now < lock_end) {
		lockfd = rdv_lock(dirfd, o->rundir, (int)(lock_end - now),
		    stop);
	} else {
		lockfd = -1;
		errno = ETIMEDOUT;
	}
	if (lockfd < 0) {
		if (errno == ETIMEDOUT && lock_end == by_ms)
			errno = ETIME;	/* the caller's deadline: its words */
		else if (errno == ETIMEDOUT)
			log_warnx("run directory %s stayed locked for %d s "
			    "(another pptp stopped while it started?): giving "
			    "up", o->rundir, RDV_LOCK_MS / 1000);
		close(dirfd);
		return -1;
	}
	fd = connect_unix(path);
	if (fd < 0 && errno == EAGAIN) {
		/* its backlog is full: a burst, or a manager that is stuck */
		rdv_unlock(dirfd, lockfd);
		if (now_ms() < end && now_ms() < by_ms && nap(20, stop))
			goto again;
		close(dirfd);
		if (stop != NULL && *stop) {
			errno = EINTR;
		} else if (now_ms() >= by_ms && by_ms < end) {
			errno = ETIME;
		} else {
			log_warnx("the call manager at %s takes no one in (it is "
			    "stopped or stuck): giving up after %d s", path,
			    RDV_ANSWER_MS / 1000);
			errno = ETIMEDOUT;
		}
		return -1;
	}
	if (fd < 0 && (errno == ECONNREFUSED || errno == ENOENT)) {
		/* Nobody there: a socket file left is a crashed manager's. */
		if (unlink(path) == 0)
			log_info("removed stale call manager socket %s", path);
		lfd = listen_unix(path);
		if (lfd < 0) {
			log_warn("cannot listen on %s", path);
		} else {
			/* waits for a child that only forks and exits */
			if (callmgr_spawn(o, server, lfd, lockfd, path) < 0) {
				log_warn("cannot start the call manager");
				unlink(path);
			}
			close(lfd);
			fd = connect_unix(path);
		}
	}
	if (fd < 0) {
		log_warn("cannot reach the call manager at %s", path);
	} else if (!rdv_manager_trusted(fd, path, "", "not using it")) {
		close(fd);
		fd = -1;
	}
	rdv_unlock(dirfd, lockfd);
	close(dirfd);
	return fd;
}

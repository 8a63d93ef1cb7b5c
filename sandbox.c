// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Least privilege (sandbox.h, pptp(8) SECURITY): the user switch, the
 * capability sets, the empty root and the seccomp-BPF allowlists, with
 * libc and the kernel's headers alone.
 *
 * A filter is a list of rules, one per system call: allowed, allowed
 * unless an argument says otherwise (mmap and mprotect never map
 * anything executable), or refused with an errno where libc copes
 * (socket in the gateway, for syslog's reconnect).  The architecture is
 * checked first, and anything not listed kills the whole process
 * (SIGSYS): a parser bug that makes a process do something new ends it.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pptp_callmgr.h"
#include "pptp_opts.h"
#include "util.h"

#if defined(__x86_64__) && !defined(__ILP32__)
#define SB_ARCH		AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_ARCH		AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define SB_ARCH		AUDIT_ARCH_RISCV64
#endif

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS	0x80000000U
#endif

/* The low 32 bits of argument i. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i)	(offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i)	(offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

#ifdef SB_ARCH
enum rule_kind {
	ALLOW,
	NO_EXEC,	/* allowed unless argument 2 has PROT_EXEC */
	FCNTL_SAFE,	/* flags and seals only: no F_SETOWN, F_SETSIG */
	SELF_ONLY,	/* argument 0 must be our own pid (tgkill: abort) */
	SOCKET_TCP,	/* AF_INET SOCK_STREAM TCP; else EACCES */
	DENY,		/* EACCES */
};

struct rule {
	long		nr;
	enum rule_kind	kind;
};

#define R(name, kind)	{ __NR_##name, kind }

/*
 * What every filtered process's loop does: I/O, time, memory, signals.
 * Messages to other pptp processes (ipc.c) are sendmsg and recvmsg, and
 * wait for their deadline in poll (ppoll where the kernel has no poll).
 */
static const struct rule common_rules[] = {
	R(read, ALLOW), R(write, ALLOW), R(readv, ALLOW), R(writev, ALLOW),
	R(close, ALLOW), R(recvfrom, ALLOW), R(recvmsg, ALLOW),
	R(sendto, ALLOW), R(sendmsg, ALLOW), R(ppoll, ALLOW),
	R(clock_gettime, ALLOW), R(clock_nanosleep, ALLOW),
	R(nanosleep, ALLOW), R(gettimeofday, ALLOW),
	R(exit, ALLOW), R(exit_group, ALLOW), R(rt_sigreturn, ALLOW),
	R(rt_sigprocmask, ALLOW), R(rt_sigaction, ALLOW),
	R(restart_syscall, ALLOW), R(getpid, ALLOW), R(gettid, ALLOW),
	R(tgkill, SELF_ONLY), R(brk, ALLOW), R(munmap, ALLOW),
	R(mremap, ALLOW), R(madvise, ALLOW), R(futex, ALLOW),
	R(mprotect, NO_EXEC), R(getrandom, ALLOW), R(dup3, ALLOW),
	R(shutdown, ALLOW),
#ifdef __NR_mmap
	R(mmap, NO_EXEC),
#endif
#ifdef __NR_fcntl
	R(fcntl, FCNTL_SAFE),
#endif
#ifdef __NR_fstat
	R(fstat, ALLOW),
#endif
#ifdef __NR_newfstatat
	R(newfstatat, ALLOW),
#endif
#ifdef __NR_dup2
	R(dup2, ALLOW),
#endif
#ifdef __NR_poll
	R(poll, ALLOW),
#endif
#ifdef __NR_time
	R(time, ALLOW),
#endif
};

/*
 * The call manager: TCP, and its instances' socket.  Its unix sockets
 * (the listener, the keeper's) are made before; it makes none after
 * (socket(AF_UNIX) fails with EACCES, as syslog's reconnect copes), so
 * it can reach no unix socket but those it holds.  bind is for
 * --localbind alone (manager_bind_rules).
 */
static const struct rule manager_rules[] = {
	R(accept4, ALLOW), R(connect, ALLOW),
	R(getsockopt, ALLOW), R(getsockname, ALLOW), R(socket, SOCKET_TCP),
};

static const struct rule manager_bind_rules[] = {
	R(bind, ALLOW),
};

/* The gateway: GRE, pppd's pty, and pppd's end when we launched it. */
static const struct rule gateway_rules[] = {
	R(wait4, ALLOW), R(recvmmsg, ALLOW), R(sendmmsg, ALLOW),
	R(getsockopt, ALLOW), R(socket, DENY),
};

/*
 * pptp --diagnose: its TCP and GRE sockets are opened before, the TCP
 * connect is made after (diagnose.c); /proc/net/nf_conntrack, opened
 * before, is read again from its start (lseek); no socket is made
 * (syslog's reconnect is refused).
 */
static const struct rule diagnose_rules[] = {
	R(connect, ALLOW), R(getsockopt, ALLOW), R(getsockname, ALLOW),
	R(lseek, ALLOW), R(socket, DENY),
};

/*
 * pppd's watchdog: its orders (recvmsg), pppd's pidfd (poll), and the
 * one signal it may send, to that pidfd; kill(2) is not here, and
 * tgkill is to itself alone (abort).  socket fails for syslog's
 * reconnect, as in the gateway.
 */
static const struct rule watchdog_rules[] = {
	R(pidfd_send_signal, ALLOW), R(socket, DENY),
};

/*
 * The stderr relay (relay.c), which holds the user's terminal: it reads
 * its pipe and writes the terminal and its acknowledgements, nothing
 * else; no common_rules (no sendmsg: the terminal goes to no one).
 */
static const struct rule relay_rules[] = {
	R(read, ALLOW), R(write, ALLOW), R(close, ALLOW),
	R(exit, ALLOW), R(exit_group, ALLOW), R(rt_sigreturn, ALLOW),
	R(rt_sigprocmask, ALLOW), R(restart_syscall, ALLOW),
	R(getpid, ALLOW), R(gettid, ALLOW), R(tgkill, SELF_ONLY),
};

/*
 * The log relay (logrelay.c) as the stderr relay, with the clock for its
 * lines' time (the vDSO's, usually: no system call); it writes to its
 * syslog socket, connected, which reaches syslog alone.
 */
static const struct rule logrelay_rules[] = {
	R(clock_gettime, ALLOW), R(gettimeofday, ALLOW),
#ifdef __NR_time
	R(time, ALLOW),
#endif
};

#ifdef PPTP_SANITIZED
/*
 * Test builds only (make SANITIZE=1): what AddressSanitizer's leak check
 * does at exit, which stops the process's threads from a helper task
 * (clone, ptrace) and reads /proc (so no empty root in these builds).
 */
static const struct rule sanitizer_rules[] = {
	R(sigaltstack, ALLOW), R(clone, ALLOW),
	R(ptrace, ALLOW), R(wait4, ALLOW), R(openat, ALLOW),
	R(getdents64, ALLOW), R(prctl, ALLOW), R(sched_yield, ALLOW),
	R(lseek, ALLOW),
	R(readlinkat, ALLOW), R(getppid, ALLOW),
	R(exit, ALLOW), R(sched_getaffinity, ALLOW), R(pread64, ALLOW),
	R(getrlimit, ALLOW), R(prlimit64, ALLOW), R(kill, ALLOW),
#ifdef __NR_open
	R(open, ALLOW), R(readlink, ALLOW), R(stat, ALLOW),
	R(getdents, ALLOW),
#endif
};
#endif

#define MAX_INSNS	256

struct prog {
	struct sock_filter	insn[MAX_INSNS];
	unsigned short		len;
};

static void
emit(struct prog *p, struct sock_filter f)
{
	if (p->len >= MAX_INSNS)
		fatalx("sandbox: filter too long");
	p->insn[p->len++] = f;
}

#define STMT(code, k)		((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, t, f)	((struct sock_filter)BPF_JUMP(code, k, t, f))
#define RET(v)			STMT(BPF_RET | BPF_K, v)
#define LOAD(off)		STMT(BPF_LD | BPF_W | BPF_ABS, off)

/* Each rule checks the number and returns; A holds it on the way in. */
static void
emit_rules(struct prog *p, const struct rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (r[i].kind) {
		case ALLOW:
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			    (uint32_t)r[i].nr, 0, 1));
			emit(p, RET(SECCOMP_RET_ALLOW));
			break;
		case DENY:
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			    (uint32_t)r[i].nr, 0, 1));
			emit(p, RET(SECCOMP_RET_ERRNO | EACCES));
			break;
		case NO_EXEC:
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			    (uint32_t)r[i].nr, 0, 4));
			emit(p, LOAD(ARG_LO(2)));
			emit(p, JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC,
			    0, 1));
			emit(p, RET(SECCOMP_RET_KILL_PROCESS));
			emit(p, RET(SECCOMP_RET_ALLOW));
			break;
		case FCNTL_SAFE: {
			static const uint32_t ok[] = { F_GETFD, F_SETFD,
			    F_GETFL, F_SETFL, F_GET_SEALS };
			const uint8_t n_ok = sizeof(ok) / sizeof(ok[0]);

			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			    (uint32_t)r[i].nr, 0, n_ok + 3));
			emit(p, LOAD(ARG_LO(1)));
			for (uint8_t k = 0; k < n_ok; k++)
				emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, ok[k],
				    (uint8_t)(n_ok - k), 0));
			emit(p, RET(SECCOMP_RET_KILL_PROCESS));
			emit(p, RET(SECCOMP_RET_ALLOW));
			break;
		}
		case SELF_ONLY:
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			    (uint32_t)r[i].nr, 0, 4));
			emit(p, LOAD(ARG_LO(0)));
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			    (uint32_t)getpid(), 1, 0));
			emit(p, RET(SECCOMP_RET_KILL_PROCESS));
			emit(p, RET(SECCOMP_RET_ALLOW));
			break;
		case SOCKET_TCP:
			/*
			 * The type alone would let MPTCP and SCTP through.
			 * IPv4 only: AF_INET is the one family of TCP let
			 * through; IPv6 would allow AF_INET6 beside it (a
			 * second family test jumping to the type check).
			 */
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			    (uint32_t)r[i].nr, 0, 10));
			emit(p, LOAD(ARG_LO(0)));
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 0,
			    6));
			emit(p, LOAD(ARG_LO(1)));
			emit(p, STMT(BPF_ALU | BPF_AND | BPF_K, 0xf));
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_STREAM,
			    0, 3));
			emit(p, LOAD(ARG_LO(2)));
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0));
			emit(p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP,
			    1, 0));
			emit(p, RET(SECCOMP_RET_ERRNO | EACCES));
			emit(p, RET(SECCOMP_RET_ALLOW));
			break;
		}
	}
}

static void
filter_install(enum sandbox_role role, const char *who)
{
	static struct prog p;
	struct sock_fprog fp;

	p.len = 0;
	emit(&p, LOAD(offsetof(struct seccomp_data, arch)));
	emit(&p, JUMP(BPF_JMP | BPF_JEQ | BPF_K, SB_ARCH, 1, 0));
	emit(&p, RET(SECCOMP_RET_KILL_PROCESS));
	emit(&p, LOAD(offsetof(struct seccomp_data, nr)));
#ifdef __x86_64__
	/* the x32 numbers alias the same calls: none is allowed */
	emit(&p, JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000U, 0, 1));
	emit(&p, RET(SECCOMP_RET_KILL_PROCESS));
#endif
	if (role == SB_RELAY || role == SB_LOGRELAY)
		emit_rules(&p, relay_rules, sizeof(relay_rules) /
		    sizeof(relay_rules[0]));
	else
		emit_rules(&p, common_rules, sizeof(common_rules) /
		    sizeof(common_rules[0]));
#ifdef PPTP_SANITIZED
	emit_rules(&p, sanitizer_rules, sizeof(sanitizer_rules) /
	    sizeof(sanitizer_rules[0]));
#endif
	if (role == SB_MANAGER || role == SB_MANAGER_BIND)
		emit_rules(&p, manager_rules, sizeof(manager_rules) /
		    sizeof(manager_rules[0]));
	if (role == SB_MANAGER_BIND)
		emit_rules(&p, manager_bind_rules, sizeof(manager_bind_rules) /
		    sizeof(manager_bind_rules[0]));
	else if (role == SB_GATEWAY)
		emit_rules(&p, gateway_rules, sizeof(gateway_rules) /
		    sizeof(gateway_rules[0]));
	else if (role == SB_WATCHDOG)
		emit_rules(&p, watchdog_rules, sizeof(watchdog_rules) /
		    sizeof(watchdog_rules[0]));
	else if (role == SB_DIAGNOSE)
		emit_rules(&p, diagnose_rules, sizeof(diagnose_rules) /
		    sizeof(diagnose_rules[0]));
	else if (role == SB_LOGRELAY)
		emit_rules(&p, logrelay_rules, sizeof(logrelay_rules) /
		    sizeof(logrelay_rules[0]));
	emit(&p, RET(SECCOMP_RET_KILL_PROCESS));
	fp.len = p.len;
	fp.filter = p.insn;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) < 0)
		fatal("%s: cannot set its system call filter", who);
}
#else
static void
filter_install(enum sandbox_role role, const char *who)
{
	(void)role;
	log_notice("%s: no system call filter on this architecture", who);
}
#endif

static int
caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3 };

	return (int)syscall(SYS_capget, &h, d);
}

static int
caps_set(uint64_t keep)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	for (int i = 0; i < 2; i++)
		d[i].effective = d[i].permitted = (uint32_t)(keep >> (32 * i));
	return (int)syscall(SYS_capset, &h, d);
}

bool
sandbox_have_cap(int cap)
{
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (caps_get(d) < 0)
		return geteuid() == 0;
	return (d[cap / 32].effective & (1U << (cap % 32))) != 0;
}

/* Every capability but those in keep leaves the bounding set. */
static void
bounding_drop(uint64_t keep, const char *who)
{
	if (!sandbox_have_cap(CAP_SETPCAP))
		return;		/* not ours to shrink; nothing is raised */
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, cap) < 0)
			break;	/* past the kernel's last */
		if ((keep >> cap) & 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap) < 0)
			fatal("%s: cannot drop capability %d", who, cap);
	}
}

int
sandbox_prepare(struct sandbox *sb, const char *user, bool off)
{
	struct passwd *pw;

	memset(sb, 0, sizeof(*sb));
	sb->on = !off;
	if (off)
		return 0;
	/* Not root, and unable to change user: we stay who we are. */
	if (geteuid() != 0 && !sandbox_have_cap(CAP_SETUID)) {
		if (user != NULL) {
			log_warnx("--user %s: only root can switch users",
			    user);
			return -1;
		}
		return 0;
	}
	errno = 0;
	pw = getpwnam(user != NULL ? user : SANDBOX_USER);
	if (pw == NULL && user == NULL)
		pw = getpwnam(SANDBOX_USER_FALLBACK);
	if (pw == NULL) {
		log_warnx("no user '%s' to run as%s", user != NULL ? user :
		    SANDBOX_USER_FALLBACK, user != NULL ? " (--user)" : "");
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		log_warnx("--user %s: that is root, or in root's group; the "
		    "network-facing processes must not be (--nosandbox, to "
		    "run them as root)", pw->pw_name);
		return -1;
	}
	if (!sandbox_have_cap(CAP_SETUID) || !sandbox_have_cap(CAP_SETGID) ||
	    !sandbox_have_cap(CAP_SETPCAP) || !sandbox_have_cap(CAP_SYS_CHROOT)) {
		log_warnx("needs CAP_SETUID, CAP_SETGID, CAP_SETPCAP and "
		    "CAP_SYS_CHROOT to sandbox the processes that read the "
		    "network (or --nosandbox)");
		return -1;
	}
	sb->switch_user = true;
	sb->uid = pw->pw_uid;
	sb->gid = pw->pw_gid;
	snprintf(sb->user, sizeof(sb->user), "%s", pw->pw_name);
	return 0;
}

#ifndef PPTP_SANITIZED
/* Shut in SANDBOX_EMPTY_DIR, made if missing, refused if not safe. */
static void
empty_root(const char *who)
{
	struct stat st;
	int fd;

	(void)mkdir(PPTP_RUNDIR_DEFAULT, 0700);
	if (mkdir(SANDBOX_EMPTY_DIR, 0555) == 0)
		(void)chmod(SANDBOX_EMPTY_DIR, 0555);	/* whatever umask */
	fd = open(SANDBOX_EMPTY_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		fatal("%s: cannot open %s", who, SANDBOX_EMPTY_DIR);
	if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 0222))
		fatalx("%s: %s must be a directory of root's that nobody "
		    "may write to", who, SANDBOX_EMPTY_DIR);
	if (fchdir(fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		fatal("%s: cannot shut itself in %s", who, SANDBOX_EMPTY_DIR);
	close(fd);
}
#endif

/*
 * Descriptors each role may hold at most (RLIMIT_NOFILE: one above the
 * highest number).  The call manager: stdin, stdout, stderr, the log
 * relay's pipe, its listener and its keeper, a client per instance and
 * status reader (CM_MAX_CLIENTS), a TCP connection per call (CM_MAX_CONNS), and a
 * margin for the descriptor a message brings (a statistics page, closed
 * once mapped) and for what libc opens.  A client beyond CM_MAX_CLIENTS
 * is still accepted, to be refused in words.  The gateway: stdio, the
 * log relay's pipe, GRE, its manager, the pty, the watchdog's socket,
 * the stderr relay's pipes, the waiting command's pipe: a dozen, so 32.
 * pptp --diagnose: stdio, the log relay's pipe, the relays'
 * acknowledgements, TCP, GRE, the conntrack table: 16.
 */
#define MANAGER_NOFILE	(6 + CM_MAX_CLIENTS + CM_MAX_CALLS + 16)
#define GATEWAY_NOFILE	32
#define DIAGNOSE_NOFILE	16

/*
 * What a process taken over could take of the machine beyond its
 * filter: descriptors (each a kernel object, sockets with their
 * buffers), capped by role; no file grows (RLIMIT_FSIZE 0: it opens
 * none, and a memfd is sized before).  RLIMIT_NPROC is moot: no filter
 * allows fork or clone.  Before the filter, which has no setrlimit.
 */
static void
sandbox_limits(enum sandbox_role role, const char *who)
{
	struct rlimit nofile = { 0, 0 };
	struct rlimit fsize = { 0, 0 };

	if (role == SB_MANAGER || role == SB_MANAGER_BIND)
		nofile.rlim_cur = nofile.rlim_max = MANAGER_NOFILE;
	else if (role == SB_GATEWAY)
		nofile.rlim_cur = nofile.rlim_max = GATEWAY_NOFILE;
	else if (role == SB_DIAGNOSE)
		nofile.rlim_cur = nofile.rlim_max = DIAGNOSE_NOFILE;
	else
		return;
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		fatal("%s: cannot limit its descriptors", who);
#ifndef PPTP_SANITIZED
	/* sanitizer builds may write their report to a file (log_path) */
	if (setrlimit(RLIMIT_FSIZE, &fsize) < 0)
		fatal("%s: cannot limit its file sizes", who);
#else
	(void)fsize;
#endif
}

void
sandbox_enter(const struct sandbox *sb, enum sandbox_role role,
    const char *who)
{
	struct __user_cap_data_struct d[2] = { { 0 } };
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	time_t now = time(NULL);
	struct tm tm;

	if (!sb->on)
		return;
	/* What libc would read from files later, read now: the zone. */
	tzset();
	(void)localtime_r(&now, &tm);
	if (sb->switch_user) {
		bounding_drop(0, who);
#ifndef PPTP_SANITIZED
		empty_root(who);
#endif
		if (setgroups(0, NULL) < 0 ||
		    setresgid(sb->gid, sb->gid, sb->gid) < 0 ||
		    setresuid(sb->uid, sb->uid, sb->uid) < 0)
			fatal("%s: cannot become user %s", who, sb->user);
		if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg,
		    &sg) < 0 || ru != sb->uid || eu != sb->uid ||
		    su != sb->uid || rg != sb->gid || eg != sb->gid ||
		    sg != sb->gid || getgroups(0, NULL) != 0)
			fatalx("%s: still not only user %s", who, sb->user);
	}
	else if (sandbox_have_cap(CAP_SETGID) && setgroups(0, NULL) < 0)
		fatal("%s: cannot leave its supplementary groups", who);
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (caps_set(0) < 0 || caps_get(d) < 0 || d[0].effective ||
	    d[1].effective || d[0].permitted || d[1].permitted ||
	    d[0].inheritable || d[1].inheritable)
		fatalx("%s: cannot give up its capabilities", who);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("%s: PR_SET_NO_NEW_PRIVS", who);
#ifdef PPTP_SANITIZED
	(void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);	/* for the leak check */
#endif
	sandbox_limits(role, who);
	filter_install(role, who);
}

void
sandbox_keeper(const struct sandbox *sb, bool net_admin)
{
	const uint64_t keep = net_admin ? 1ULL << CAP_NET_ADMIN : 0;

	if (!sb->on)
		return;
	bounding_drop(keep, "keeper");
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (caps_set(sandbox_have_cap(CAP_NET_ADMIN) ? keep : 0) < 0)
		fatal("keeper: cannot give up its capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("keeper: PR_SET_NO_NEW_PRIVS");
}

void
sandbox_helper(const struct sandbox *sb, enum sandbox_role role,
    const char *who)
{
	if (!sb->on)
		return;
	sandbox_keeper(sb, false);
	filter_install(role, who);
}

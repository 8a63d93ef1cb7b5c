# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of least privilege (pptp(8) SECURITY): the sandbox,
capabilities, forbidden system calls, the keeper.

Their harness is tests/harness.py; tests/integration/run.py runs them,
in the order written."""

import fcntl
import os
import pwd
import re
import signal
import socket
import subprocess
import time

import procinfo
from harness import (CFG, fake_pppd, host_route, Launched, no_leftovers,
                     NOCAPS, passes_data, pid_titled, pppd_result, pptp_pids,
                     proc_status, routed, status, survives_usr1, Syslog,
                     test, title_of, wait_until)


EMPTY = "/var/run/pptp/empty"


def sandbox_user():
    """The user pptp's sandboxed processes become (pptp(8) --user)."""
    try:
        return pwd.getpwnam("pptp")
    except KeyError:
        return pwd.getpwnam("nobody")


NOBODY = sandbox_user()


# RLIMIT_NOFILE by role (sandbox.c: 6 + CM_MAX_CLIENTS + CM_MAX_CALLS
# + 16 for the manager), and no file may grow (but in sanitized builds)
NOFILE = {"call manager": 6 + 72 + 64 + 16, "gateway": 32}


def limits(pid):
    """/proc/PID/limits: {name: (soft, hard)}."""
    out = {}
    for line in open(f"/proc/{pid}/limits").readlines()[1:]:
        name, soft, hard = line[:26].strip(), *line[26:].split()[:2]
        out[name] = (soft, hard)
    return out


def sandboxed(pid, who):
    """What SECURITY says the call manager and the gateway keep."""
    lim = limits(pid)
    n = str(NOFILE[who.split(" (")[0]])
    assert lim["Max open files"] == (n, n), (who, lim["Max open files"])
    if not CFG.sanitized:
        assert lim["Max file size"] == ("0", "0"), (who, lim)
    st = proc_status(pid)
    ids = f"{NOBODY.pw_uid}\t" * 3 + f"{NOBODY.pw_uid}"
    gids = f"{NOBODY.pw_gid}\t" * 3 + f"{NOBODY.pw_gid}"
    assert st["Uid"] == ids and st["Gid"] == gids, (who, st)
    assert st["Groups"].strip() == "", (who, st["Groups"])
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert st[cap] == NOCAPS, (who, cap, st[cap])
    assert st["NoNewPrivs"] == "1", (who, st)
    assert st["Seccomp"] == "2", (who, st)
    if not CFG.sanitized:       # the leak checker reads /proc at exit
        root, ino = procinfo.root(pid)
        assert ino == os.stat(EMPTY).st_ino, (who, root)
        assert os.listdir(EMPTY) == []
    # beyond stdio (pppd's, the user's): sockets, pipes, the pty,
    # /dev/null, the statistics page; no file
    for fd, what in procinfo.fds(pid).items():
        if int(fd) <= 2:
            continue
        assert re.match(r"(socket|pipe|anon_inode):|/dev/(null|pts/(\d+|ptmx)|"
                        r"ptmx)$|/memfd:pptp-status", what), (who, fd, what)


def keeper_keeps_net_admin_alone(pid):
    st = proc_status(pid)
    assert st["Uid"] == "0\t0\t0\t0", st
    net_admin = f"{1 << 12:016x}"
    for cap in ("CapPrm", "CapEff", "CapBnd"):
        assert st[cap] == net_admin, (cap, st[cap])
    assert st["CapInh"] == NOCAPS and st["CapAmb"] == NOCAPS, st
    assert st["NoNewPrivs"] == "1", st


@test
def sandboxed_processes_keep_only_what_security_names(env):
    """During a call, in both modes: the call manager and the gateway are
    nobody, without groups or capabilities, with no new privileges, a
    seccomp filter and the empty root; the keeper is root with
    CAP_NET_ADMIN alone."""
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    passes_data(cli, b"sandboxed")
    sandboxed(cli.proc.pid, "gateway (--nolaunchpppd)")
    sandboxed(pid_titled("pptp: call manager"), "call manager")
    keeper_keeps_net_admin_alone(pid_titled("pptp: keeper for 192.0.2.1"))
    # standalone: the gateway is pppd's parent, pppd stays root
    run = Launched(env, ["nodetach"], wait=True)
    pppd_result(run.res)
    gws = [p for p in pptp_pids() if p != cli.proc.pid and
           title_of(p).startswith("pptp: GRE-to-PPP gateway")]
    assert len(gws) == 1, gws
    sandboxed(gws[0], "gateway (launch mode)")
    pids = [int(x.split()[0]) for x in open(run.res + ".pids")]
    assert proc_status(pids[0])["Uid"].startswith("0\t"), "pppd not root"
    # statistics and status still work with all that
    os.kill(gws[0], signal.SIGUSR1)
    run.syslog.wait("round trip")
    code, out, _ = status(env)
    assert code == 0 and len(re.findall(r"call \d+", out)) >= 2, out
    # read before the empty root, where /proc is not
    ns = os.stat(f"/run/netns/{env.cns}").st_ino
    assert f"network namespace {ns}" in out, out
    run.proc.send_signal(signal.SIGTERM)
    assert run.status(5)[0] == 5, run.err()
    cli.hangup()
    assert cli.exit_status() == 0
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def nosandbox_keeps_root(env):
    """--nosandbox: the processes stay as they started, unfiltered; a
    tunnel with the sandbox gets a call manager of its own, not that
    one; with --nohostroute the keeper holds no capability, nor the
    user's stderr."""
    env.server()
    cli = env.client("--nosandbox")
    cli.wait_up()
    for pid in (cli.proc.pid, pid_titled("pptp: call manager")):
        st = proc_status(pid)
        assert st["Uid"].startswith("0\t") and st["Seccomp"] == "0", st
    boxed = env.client("--nohostroute")
    boxed.wait_up()
    mgrs = [p for p in pptp_pids()
            if title_of(p).startswith("pptp: call manager")]
    assert len(mgrs) == 2, mgrs
    assert sorted(proc_status(p)["Seccomp"] for p in mgrs) == ["0", "2"]
    keepers = [p for p in pptp_pids()
               if title_of(p).startswith("pptp: keeper")]
    caps = sorted(proc_status(p)["CapEff"] for p in keepers)
    assert caps[0] == NOCAPS, caps
    for p in keepers:
        assert procinfo.fds(p)[2] == "/dev/null", p
    boxed.hangup()
    assert boxed.exit_status() == 0
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


def probed(env, args=(), **kw):
    """A client with tests/sysprobe.c preloaded (SIGUSR2: the call)."""
    env.vars["LD_PRELOAD"] = CFG.probe
    env.vars["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    try:
        return env.client(*args, **kw)
    finally:
        del env.vars["LD_PRELOAD"]


def probe(pid):
    """SIGUSR2 to pid, its probe (tests/sysprobe.c), once pid is under
    its filter: a gateway says "call up" before it enters its sandbox."""
    assert wait_until(lambda: proc_status(pid)["Seccomp"] == "2", 5), \
        proc_status(pid)
    os.kill(pid, signal.SIGUSR2)


@test
def forbidden_calls_kill_with_sigsys(env):
    """The filter bites: a gateway that opens a file, or runs a program,
    or signals, is killed by the kernel (SIGSYS); the call is cleared and
    nothing is left.  The same for the call manager, which its keeper
    reports and cleans up after."""
    srv = env.server()
    # a sanitized build's filter lets the leak checker open and signal
    calls = ("execve",) if CFG.sanitized else ("open", "execve", "kill",
                                           "setown")
    for call in calls:
        env.vars["PPTP_PROBE"] = call
        cli = probed(env)
        cli.wait_up()
        probe(cli.proc.pid)
        assert cli.exit_status() == -signal.SIGSYS, (call, cli.stderr())
        srv.wait("recv CCRQ")
        no_leftovers(env)
        srv.proc.kill()
        srv.proc.wait()
        srv = env.server()
    env.vars["PPTP_PROBE"] = calls[0]
    cli = probed(env, ["--debug"])
    cli.wait_up()
    probe(pid_titled("pptp: call manager"))
    cli.wait_log("callmgr 192.0.2.1: killed by signal 31 (a system call "
                 "its filter forbids: see pptp(8) SECURITY)")
    assert cli.exit_status() != 0
    no_leftovers(env)
    # and without the sandbox the probe's open does no harm
    env.vars["PPTP_PROBE"] = "open"
    cli = probed(env, ["--nosandbox"])
    cli.wait_up()
    cli.proc.send_signal(signal.SIGUSR2)
    passes_data(cli, b"unfiltered")
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


def manager_survives_probe(env, args, text):
    """The probe (SIGUSR2) in a tunnel's call manager is refused, not
    fatal: the manager lives on and the tunnel carries text."""
    cli = probed(env, args)
    cli.wait_up()
    mgr = pid_titled("pptp: call manager")
    probe(mgr)
    time.sleep(0.5)
    assert cli.proc.poll() is None, cli.stderr()
    passes_data(cli, text)
    os.kill(mgr, 0)
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def manager_makes_tcp_sockets_only(env):
    """The call manager's filter lets it make TCP sockets, not other
    stream protocols (MPTCP, SCTP, which may load a module) nor unix
    sockets (its listener and its keeper's are made before): those fail
    with EACCES and the manager goes on."""
    env.server()
    env.vars["PPTP_PROBE"] = "mptcp,unixsock"
    manager_survives_probe(env, [], b"still here")


@test
def manager_binds_only_with_localbind(env):
    """bind(2) is in the call manager's filter with --localbind alone:
    without, a bind kills it (SIGSYS), which its keeper reports; with,
    it binds and goes on."""
    srv = env.server()
    env.vars["PPTP_PROBE"] = "bind"
    cli = probed(env, ["--debug"])
    cli.wait_up()
    probe(pid_titled("pptp: call manager"))
    cli.wait_log("callmgr 192.0.2.1: killed by signal 31 (a system call "
                 "its filter forbids: see pptp(8) SECURITY)")
    assert cli.exit_status() != 0
    no_leftovers(env)
    srv.proc.kill()
    srv.proc.wait()
    env.server()
    manager_survives_probe(env, ["--localbind", "192.0.2.2"], b"bound")


@test
def keeper_cleans_up_after_a_killed_call_manager(env):
    """SIGKILL to the call manager: its keeper removes the socket file
    and the host route, the gateway ends, a new tunnel comes up."""
    routed(env)
    cli = env.client(host="203.0.113.1")
    cli.wait_up()
    assert "proto 47" in host_route(env)
    os.kill(pid_titled("pptp: call manager"), signal.SIGKILL)
    assert cli.exit_status() != 0
    no_leftovers(env)
    assert host_route(env) == "", host_route(env)
    cli = env.client(host="203.0.113.1")
    cli.wait_up()
    passes_data(cli, b"again")
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def keeper_cleans_up_at_its_managers_death(env):
    """An empty packet from the call manager reads like its end, but the
    keeper takes it for what it is (a malformed request: it serves no
    more) and keeps the host route and the manager's socket while the
    manager runs; it removes them when the manager is gone."""
    routed(env)
    env.vars["PPTP_PROBE"] = "keeperempty"
    cli = probed(env, ["--debug"], host="203.0.113.1")
    cli.wait_up()
    assert "proto 47" in host_route(env)
    files = sorted(os.listdir(env.rundir))
    probe(pid_titled("pptp: call manager"))
    cli.wait_log("keeper: a malformed request from the call manager: no "
                 "more requests served")
    time.sleep(0.5)
    assert "proto 47" in host_route(env), host_route(env)
    assert sorted(os.listdir(env.rundir)) == files, files
    passes_data(cli, b"still routed")
    os.kill(pid_titled("pptp: call manager"), signal.SIGKILL)
    assert cli.exit_status() != 0
    no_leftovers(env)
    assert host_route(env) == "", host_route(env)


# --- descriptors: what pptp(8) SECURITY lists, per process and mode ------

UNIX_LISTENING = 0x10000      # /proc/net/unix Flags: __SO_ACCEPTCON
UNIX_STREAM, UNIX_DGRAM, UNIX_SEQPACKET = 1, 2, 5
UNIX_CONNECTED = 3


def unix_kind(row):
    """unix for a stream or packet socket connected or listening (which
    sendmsg and connect cannot point anywhere else); unix-dgram, or
    unix-unconnected, for one that can be."""
    _, _, _, flags, typ, st = row.split()[:6]
    if int(typ, 16) == UNIX_DGRAM:
        return "unix-dgram"
    if int(typ, 16) in (UNIX_STREAM, UNIX_SEQPACKET) and (
            int(st, 16) == UNIX_CONNECTED or int(flags, 16) & UNIX_LISTENING):
        return "unix"
    return "unix-unconnected"


def socket_kind(pid, ino):
    """gre (raw), tcp or unix (unix_kind), by the socket's inode in pid's
    namespace."""
    for kind, table in (("gre", "raw"), ("tcp", "tcp"), ("unix", "unix")):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        col = 6 if kind == "unix" else 9
        for r in rows:
            if len(r.split()) > col and r.split()[col] == ino:
                return unix_kind(r) if kind == "unix" else kind
    return "socket?"


def holders(target):
    """pptp processes holding a descriptor on target ("pipe:[N]")."""
    out = []
    for p in pptp_pids():
        try:
            if target in procinfo.fds(p).values():
                out.append(p)
        except OSError:
            pass
    return out


def fd_kinds(pid, line):
    """{fd: kind} of pid's descriptors: null, relay (the stderr or stdout
    relay's pipes), log (the log relay's pipe), report (a pipe to the
    command, or the gateway's own with --debug), line (pppd's line: the
    test's socketpair, or the pty pppd runs on), ptmx (the pty's master),
    gre, tcp, unix (connected or listening: socket_kind), pidfd, page
    (the statistics page), or what it points at when none of these."""
    out = {}
    relay = [p for p in pptp_pids()
             if title_of(p).startswith(("pptp: stderr relay",
                                        "pptp: stdout relay"))]
    logs = [p for p in pptp_pids()
            if title_of(p).startswith("pptp: log relay")]
    for fd, what in procinfo.fds(pid).items():
        m = re.fullmatch(r"(socket|pipe):\[(\d+)\]", what)
        if what == "/dev/null":
            kind = "null"
        elif what in line:
            kind = "line"
        elif what in ("/dev/ptmx", "/dev/pts/ptmx"):
            kind = "ptmx"
        elif what == "anon_inode:[pidfd]":
            kind = "pidfd"
        elif what.startswith("/memfd:pptp-status"):
            kind = "page"
        elif re.fullmatch(r"/proc/(\d+|self)/net/nf_conntrack", what):
            kind = "conntrack"
        elif m and m.group(1) == "pipe":
            held = set(holders(what))
            kind = "relay" if held & set(relay) else \
                "log" if held & set(logs) else "report"
        elif m:
            kind = socket_kind(pid, m.group(2))
        else:
            kind = what
        out[fd] = kind
    return out


# pptp(8) SECURITY, "keeps": beyond these, nothing; no unix socket but
# connected or listening ones (no syslog socket: the log relay's pipe)
KEEPS = {
    "call manager": {"null", "relay", "log", "unix", "tcp", "page"},
    "gateway --nolaunchpppd": {"line", "relay", "log", "gre", "unix",
                               "null"},
    "gateway": {"line", "ptmx", "relay", "log", "report", "gre", "unix",
                "null"},
    "diagnose": {"null", "relay", "log", "tcp", "gre", "conntrack"},
}


def keeps_only_what_security_lists(pid, who, terminal, inherited, line):
    """No descriptor of pid is the user's terminal, the inherited file,
    or anything SECURITY does not list for who; stderr is /dev/null or
    the relay's pipe; the only tty is pppd's line."""
    kinds = fd_kinds(pid, line)
    fds = procinfo.fds(pid)
    for fd, what in fds.items():
        assert what != inherited, (who, fd, what, "inherited")
        try:
            rdev = os.stat(f"/proc/{pid}/fd/{fd}").st_rdev
        except OSError:
            continue
        assert rdev != terminal, (who, fd, what, "the user's terminal")
    assert kinds.get(2) in ("null", "relay"), (who, kinds)
    extra = {fd: (k, fds.get(fd)) for fd, k in kinds.items()
             if k not in KEEPS[who]}
    assert not extra, (who, extra, kinds)
    log_relay_holds_syslog_alone(pid, who, kinds)
    return kinds


def log_relay_holds_syslog_alone(pid, who, kinds):
    """pid logs through one pipe, to a log relay of its own: root's user
    without capabilities, filtered, holding /dev/null, the pipe and a
    syslog socket (when there is a /dev/log to connect to), no more."""
    logs = [fd for fd, k in kinds.items() if k == "log"]
    assert len(logs) == 1, (who, kinds)
    pipe = procinfo.fds(pid)[logs[0]]
    relays = [p for p in holders(pipe) if p != pid]
    assert len(relays) == 1, (who, relays)
    relay = relays[0]
    assert title_of(relay).endswith(f"(pid {pid})"), title_of(relay)
    st = proc_status(relay)
    assert st["Uid"] == "0\t0\t0\t0", (who, st)
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert st[cap] == NOCAPS, (who, cap, st[cap])
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", (who, st)
    fds = procinfo.fds(relay)
    assert fds[0] == fds[1] == fds[2] == "/dev/null", (who, fds)
    assert fds[3] == pipe, (who, fds)
    assert set(fds) <= {0, 1, 2, 3, 4}, (who, fds)
    if 4 in fds:
        ino = re.fullmatch(r"socket:\[(\d+)\]", fds[4]).group(1)
        assert socket_kind(relay, ino) == "unix-dgram", (who, fds)


def relay_keeps_the_terminal_alone(terminal):
    relay = pid_titled("pptp: stderr relay")
    st = proc_status(relay)
    assert st["Uid"] == "0\t0\t0\t0" and st["CapEff"] == NOCAPS and \
        st["CapPrm"] == NOCAPS and st["CapBnd"] == NOCAPS, st
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", st
    fds = procinfo.fds(relay)
    assert sorted(fds) == [0, 1, 2, 3, 4], fds
    assert fds[0] == fds[1] == "/dev/null", fds
    assert os.stat(f"/proc/{relay}/fd/2").st_rdev == terminal, fds
    assert fds[3].startswith("pipe:") and fds[4].startswith("pipe:"), fds


class Terminal:
    """A pty whose slave is the user's terminal for pptp: read back
    through the master (with \r\n as the tty writes it)."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        fl = fcntl.fcntl(self.master, fcntl.F_GETFL)
        fcntl.fcntl(self.master, fcntl.F_SETFL, fl | os.O_NONBLOCK)
        self.rdev = os.fstat(self.slave).st_rdev
        self.text = ""

    def read(self):
        while True:
            try:
                d = os.read(self.master, 65536)
            except (BlockingIOError, OSError):
                break
            if not d:
                break
            self.text += d.decode(errors="replace").replace("\r\n", "\n")
        return self.text

    def wait(self, what, timeout=5):
        if not wait_until(lambda: what in self.read(), timeout):
            raise AssertionError(f"terminal never showed {what!r}: "
                                 f"{self.text!r}")

    def close(self):
        os.close(self.master)
        os.close(self.slave)


def on_terminal(env, args, launch):
    """pptp from a terminal (stderr, and stdin and stdout in launch
    mode), with an inherited descriptor open: (Popen, pppd's socketpair
    end or None, the inherited file's name, the Terminal)."""
    term = Terminal()
    inherited = env.path("inherited")
    extra = os.open(inherited, os.O_RDWR | os.O_CREAT, 0o600)
    mode = env.launch_args if launch else ["--nolaunchpppd"]
    cmd = ["ip", "netns", "exec", env.cns, CFG.pptp, "192.0.2.1",
           "--rundir", env.rundir] + mode + args
    ours = None
    if launch:
        io = {"stdin": term.slave, "stdout": term.slave}
    else:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        io = {"stdin": theirs, "stdout": theirs}
    p = subprocess.Popen(cmd, stderr=term.slave, env=env.vars,
                         pass_fds=(extra,), **io)
    env.procs.append(p)
    if not launch:
        theirs.close()
    os.close(extra)
    return p, ours, inherited, term


@test
def no_terminal_nor_stray_descriptor_in_a_sandbox(env):
    """From a terminal, with a descriptor open that pptp did not ask for,
    in every mode (--nolaunchpppd, launch mode with --debug and in the
    background): the call manager and the gateway hold exactly the kinds
    of descriptor pptp(8) SECURITY lists, never the terminal nor what was
    inherited; the terminal is the stderr relay's alone, and the lines
    still reach it, control characters escaped."""
    srv = env.server()
    # --nolaunchpppd: pppd's line is the test's socketpair
    env.vars.update(LD_PRELOAD=CFG.probe, PPTP_PROBE="escape",
                    ASAN_OPTIONS="verify_asan_link_order=0")
    try:
        p, ours, inherited, term = on_terminal(env, ["--loglevel", "2"],
                                               False)
    finally:
        for k in ("LD_PRELOAD", "PPTP_PROBE"):
            del env.vars[k]
    term.wait("call up")
    # what a gateway taken over writes reaches the terminal escaped
    probe(p.pid)
    term.wait("probe: \\x1b]0;owned\\x07\\x0d\\xff\n")
    assert "\x1b" not in term.text and "\x07" not in term.text, term.text
    line = {procinfo.fds(p.pid)[0]}
    assert procinfo.fds(p.pid)[1] in line
    keeps_only_what_security_lists(p.pid, "gateway --nolaunchpppd",
                                   term.rdev, inherited, line)
    keeps_only_what_security_lists(pid_titled("pptp: call manager"),
                                   "call manager", term.rdev, inherited,
                                   set())
    relay_keeps_the_terminal_alone(term.rdev)
    ours.close()
    assert p.wait(5) == 0
    # the last lines are out by the time the command has exited
    assert "pppd closed its end" in term.read(), term.text
    no_leftovers(env)
    term.close()
    # launch mode: --debug in the foreground, then in the background
    for args in (["--debug", "nodetach"], ["nodetach"]):
        res = fake_pppd(env, wait=True)
        if os.path.exists(res):
            os.unlink(res)
        p, _, inherited, term = on_terminal(env, args, True)
        got = pppd_result(res)
        gw = pid_titled("pptp: GRE-to-PPP gateway")
        kinds = keeps_only_what_security_lists(
            gw, "gateway", term.rdev, inherited, {got["argv"][0]})
        assert kinds[0] == kinds[1] == "null", (args, kinds)
        assert kinds[2] == ("relay" if "--debug" in args else "null"), \
            (args, kinds)
        keeps_only_what_security_lists(pid_titled("pptp: call manager"),
                                       "call manager", term.rdev,
                                       inherited, set())
        relay_keeps_the_terminal_alone(term.rdev)
        term.wait("call up" if "--debug" in args else "up: server call ID")
        p.send_signal(signal.SIGTERM)
        assert p.wait(5) == 5, term.read()
        srv.wait("recv StopCCRQ")
        no_leftovers(env)
        term.close()


# A name any local user may bind: abstract unix names ignore the chroot.
RECEIVER = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1])
print("bound", flush=True)
while True:
    msg, fds, _, _ = socket.recv_fds(s, 1024, 8)
    print("got", msg, "with", len(fds), "descriptors", flush=True)
"""


class AbstractName:
    """An abstract unix datagram socket bound by another local user (uid
    4242) in the client's namespace; got(): what reached it."""

    def __init__(self, env):
        self.name = f"pptp-probe-{os.getpid()}-{time.monotonic_ns()}"
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", env.cns, "setpriv", "--reuid=4242",
             "--regid=4242", "--clear-groups", "python3", "-c", RECEIVER,
             self.name], stdout=subprocess.PIPE, text=True)
        env.procs.append(self.proc)
        assert self.proc.stdout.readline() == "bound\n"
        env.vars["PPTP_PROBE_NAME"] = self.name

    def got(self):
        self.proc.kill()
        return self.proc.communicate()[0]


def drained(syslog):
    """The test's syslog read (a full one blocks whoever logs): True."""
    syslog.lines()
    return True


def probe_reaches_nothing(err, pid, lines, syslog):
    """SIGUSR2 to pid (its probe: tests/sysprobe.c abstract): the lines
    it says on stderr (err()) have nothing sent."""
    probe(pid)
    assert wait_until(lambda: drained(syslog) and len(re.findall(
        r"probe abstract: .*", err())) >= lines, 5), err()
    for got in re.findall(r"probe abstract: (\d+) sockets, (\d+) sent",
                          err()):
        assert int(got[0]) > 0 and got[1] == "0", (pid, got)


def logged_gateway(env, log, args):
    """pptp --nolaunchpppd ARGS, its /dev/log the test's (log: Syslog):
    (Popen, our end of pppd's line, a function that reads its stderr)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    errpath = env.path(f"err-{time.monotonic_ns()}")
    p = subprocess.Popen(
        ["ip", "netns", "exec", env.cns] + log.wrap(
            [CFG.pptp, "192.0.2.1", "--rundir", env.rundir,
             "--nolaunchpppd"] + args),
        stdin=theirs, stdout=theirs, stderr=open(errpath, "w"),
        env=env.vars)
    env.procs.append(p)
    theirs.close()

    def err():
        with open(errpath) as f:
            return f.read()
    assert wait_until(lambda: drained(log) and "call up" in err(), 5), err()
    return p, ours, err


@test
def no_sandbox_hands_a_descriptor_to_a_local_user(env):
    """With a syslog daemon's /dev/log there, a sandboxed process taken
    over sends each socket it holds, by SCM_RIGHTS, to an abstract name
    another local user bound, by sendmsg's address and (where its filter
    has connect) by connect: nothing reaches the name, from the call
    manager, the gateway (both modes) or pptp --diagnose, and each goes
    on.  (With syslog's socket in the sandbox, the gateway's raw GRE
    socket and the manager's keeper socket reached such a user.)  Their
    lines still reach syslog, through their log relays, under their own
    process IDs."""
    srv = env.server()
    log = Syslog(env)
    name = AbstractName(env)
    env.vars["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    try:
        # the gateway (--nolaunchpppd) by sendmsg: it has no connect
        env.vars.update(LD_PRELOAD=CFG.probe, PPTP_PROBE="abstract")
        p, ours, err = logged_gateway(env, log, [])
        probe_reaches_nothing(err, p.pid, 1, log)
        assert p.poll() is None, err()
        ours.close()
        assert wait_until(lambda: drained(log) and p.poll() is not None,
                          5) and p.returncode == 0, err()
        no_leftovers(env)
        # the call manager (keeping stderr), by sendmsg, then connect
        env.vars["PPTP_PROBE"] = "abstract,abstractconnect"
        p, ours, err = logged_gateway(env, log, ["--debug"])
        mgr = pid_titled("pptp: call manager")
        probe_reaches_nothing(err, mgr, 2, log)
        assert len(re.findall("probe abstract", err())) == 2, err()
        assert p.poll() is None, err()
        ours.close()
        assert wait_until(lambda: drained(log) and p.poll() is not None,
                          5) and p.returncode == 0, err()
        no_leftovers(env)
        assert any(pid == mgr and "callmgr 192.0.2.1: connected" in text
                   for _, pid, text in log.lines()), log.lines()
        # launch mode: the pty's master, the watchdog's socket, pppd's pidfd
        env.vars["PPTP_PROBE"] = "abstract"
        run = Launched(env, ["--debug", "nodetach"], wait=True,
                       syslog=False, prefix=log.wrap([]))
        assert wait_until(lambda: drained(log) and os.path.exists(run.res),
                          5)
        pppd_result(run.res)
        gw = pid_titled("pptp: GRE-to-PPP gateway")
        probe_reaches_nothing(run.err, gw, 1, log)
        assert any(pid == gw and "gre 192.0.2.1: call up" in text
                   for _, pid, text in log.lines()), log.lines()
        run.proc.send_signal(signal.SIGTERM)
        assert wait_until(lambda: drained(log) and run.proc.poll() is not
                          None, 5)
        srv.wait("recv StopCCRQ")
        no_leftovers(env)
        # pptp --diagnose, waiting for the server's reply, from a terminal
        srv.proc.kill()
        srv.proc.wait()
        srv = env.server("--sccrp", "never")
        env.vars["PPTP_PROBE"] = "abstract,abstractconnect"
        term = Terminal()
        inherited = env.path("inherited")
        extra = os.open(inherited, os.O_RDWR | os.O_CREAT, 0o600)
        diag = subprocess.Popen(
            ["ip", "netns", "exec", env.cns] + log.wrap(
                [CFG.pptp, "--diagnose", "192.0.2.1"]),
            stdin=term.slave, stdout=term.slave, stderr=term.slave,
            env=env.vars, pass_fds=(extra,))
        env.procs.append(diag)
        os.close(extra)
    finally:
        for k in ("LD_PRELOAD", "PPTP_PROBE", "PPTP_PROBE_NAME"):
            env.vars.pop(k, None)
    srv.wait("recv SCCRQ")
    assert wait_until(lambda: [p for p in pptp_pids() if proc_status(
        p)["Seccomp"] == "2" and not title_of(p).startswith("pptp: ")], 3)
    boxed = [p for p in pptp_pids() if not title_of(p).startswith("pptp: ")]
    assert len(boxed) == 1, [title_of(p) for p in pptp_pids()]
    keeps_only_what_security_lists(boxed[0], "diagnose", term.rdev,
                                   inherited, set())
    assert limits(boxed[0])["Max open files"] == ("16", "16")
    probe_reaches_nothing(term.read, boxed[0], 2, log)
    diag.send_signal(signal.SIGTERM)
    assert diag.wait(10) == 13, term.read()
    term.close()
    assert name.got() == "", "a descriptor reached another user"
    no_leftovers(env)


@test
def log_relay_speaks_to_a_stream_syslog(env):
    """/dev/log a stream socket (syslog-ng's unix-stream()): the lines
    of the sandboxed processes reach it all the same, through their log
    relays, each ending in NUL, as glibc's syslog() would send them."""
    env.server()
    log = Syslog(env, stream=True)
    p, ours, err = logged_gateway(env, log, [])
    assert wait_until(lambda: any("call up" in t for _, _, t in
                                  log.lines()), 5), (err(), log.lines())
    gw = pid_titled("pptp: GRE-to-PPP gateway")
    mgr = pid_titled("pptp: call manager")
    assert any(pid == gw and "gre 192.0.2.1: call up" in t
               for _, pid, t in log.lines()), log.lines()
    assert any(pid == mgr and "callmgr 192.0.2.1: connected" in t
               for _, pid, t in log.lines()), log.lines()
    ours.close()
    assert wait_until(lambda: drained(log) and p.poll() is not None, 5)
    no_leftovers(env)


@test
def log_relay_passes_nothing_above_err(env):
    """A gateway taken over writes records at emerg, alert and crit down
    its log relay's pipe (syslog daemons write emerg on every user's
    terminal): syslog gets them at err, the most pptp itself logs."""
    env.server()
    log = Syslog(env)
    env.vars.update(LD_PRELOAD=CFG.probe, PPTP_PROBE="logemerg",
                    ASAN_OPTIONS="verify_asan_link_order=0")
    p, ours, err = logged_gateway(env, log, [])
    assert wait_until(lambda: any("call up" in t for _, _, t in
                                  log.lines()), 5), err()
    gw = pid_titled("pptp: GRE-to-PPP gateway")
    probe(gw)
    assert wait_until(lambda: sum("probe " in t for _, _, t in
                                  log.lines()) >= 3, 5), log.lines()
    got = [(pri, t) for pri, (_, pid, t) in zip(log.prio, log.lines())
           if "probe " in t]
    assert [t for _, t in got] == ["probe emerg", "probe alert",
                                   "probe crit"], got
    assert all(pri == 3 for pri, _ in got), got     # LOG_ERR
    assert min(log.prio) >= 3, log.prio
    ours.close()
    assert wait_until(lambda: drained(log) and p.poll() is not None, 5)
    no_leftovers(env)


@test
def watchdog_filter_has_no_kill(env):
    """pppd's watchdog signals by pidfd alone: its filter has no
    kill(2), so one (here on SIGUSR2, tests/sysprobe.c) kills it with
    SIGSYS; the gateway says it is gone and pppd ends by its hangup."""
    if CFG.sanitized:       # the leak checker's kill is let through there
        return
    out = fake_pppd(env, wait=True)
    srv = env.server()
    env.vars["PPTP_PROBE"] = "kill"
    env.vars["LD_PRELOAD"] = CFG.probe
    try:
        cli = env.client("--debug", "nodetach", launch=True)
    finally:
        del env.vars["LD_PRELOAD"]
    pppd_result(out)
    dog = pid_titled("pptp: pppd watchdog for 192.0.2.1")
    assert proc_status(dog)["Seccomp"] == "2"
    probe(dog)
    cli.wait_log("pppd's watchdog (pid %d) is gone" % dog)
    cli.proc.send_signal(signal.SIGTERM)
    assert cli.exit_status() == 16, cli.stderr()
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def gateway_waits_for_pppd_no_longer_than_signals_says(env):
    """A stopped watchdog cannot deliver the gateway's SIGTERM nor its
    SIGKILL to pppd: the gateway waits a bounded time (0.5 s, then 1 s),
    says it leaves pppd, and ends, with the command, within SIGNALS's
    4 s; the watchdog, continued, ends pppd."""
    if CFG.sanitized:
        return
    out = fake_pppd(env, wait=True)
    srv = env.server()
    cli = env.client("--debug", "nodetach", launch=True)
    pppd_result(out)
    dog = pid_titled("pptp: pppd watchdog for 192.0.2.1")
    os.kill(dog, signal.SIGSTOP)
    try:
        time.sleep(1)       # a quiet line: no packet wakes the gateway
        t0 = time.monotonic()
        cli.proc.send_signal(signal.SIGTERM)
        cli.exit_status(timeout=6)
        took = time.monotonic() - t0
    finally:
        os.kill(dog, signal.SIGCONT)
    assert "after SIGKILL: leaving it" in cli.stderr(), cli.stderr()
    assert took < 4, took       # SIGNALS: every pptp process in 4 s
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def command_waits_for_its_stderr_relay_a_second_at_most(env):
    """At its exit the command waits for the stderr relay to have
    written its lines, a second at most (pptp(8) SECURITY): a call
    manager taken over that writes NUL bytes down the relay's pipe for
    ever, each of them answered, delays the command's exit by no more.
    All on one CPU, the command at the lowest priority: the relay answers
    faster than the command reads."""
    srv = env.server("--sccrp", "never")
    env.vars.update(LD_PRELOAD=CFG.probe, PPTP_PROBE="nulspam",
                    ASAN_OPTIONS="verify_asan_link_order=0")
    try:
        p = subprocess.Popen(
            ["ip", "netns", "exec", env.cns, CFG.pptp, "192.0.2.1",
             "--rundir", env.rundir, "--nolaunchpppd"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(env.path("err"), "w"), env=env.vars,
            preexec_fn=lambda: os.sched_setaffinity(0, {0}))
        env.procs.append(p)
    finally:
        for k in ("LD_PRELOAD", "PPTP_PROBE"):
            del env.vars[k]
    srv.wait("recv SCCRQ")
    mgr = pid_titled("pptp: call manager")
    os.setpriority(os.PRIO_PROCESS, p.pid, 19)
    try:
        probe(mgr)
        time.sleep(0.5)
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        assert wait_until(lambda: p.poll() is not None, 4), \
            "the command still runs"
        took = time.monotonic() - t0
    finally:
        os.kill(mgr, signal.SIGKILL)
    assert took < 2.5, took
    no_leftovers(env)


@test
def relays_killed_leave_no_zombie(env):
    """No pptp process is a relay's parent (pptp(8) SECURITY): SIGKILL
    to the stderr relay and to both log relays leaves no zombie, the
    tunnel passes data on, and ends as it should."""
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    relays = [pid_titled(t) for t in ("pptp: stderr relay",
                                      "pptp: log relay for callmgr",
                                      "pptp: log relay for gre")]
    parents = [procinfo.stat(p).ppid for p in relays]
    assert not set(parents) & set(pptp_pids()), parents
    for pid in relays:
        os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: not any(map(procinfo.exists, relays)), 2), \
        [procinfo.state(p) for p in relays]
    assert not procinfo.zombies_of(pptp_pids())
    passes_data(cli, b"relays gone")
    cli.hangup()
    assert cli.exit_status() == 0
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def a_stopped_stderr_relay_stalls_no_one(env):
    """The stderr relay stopped (or a stderr no one reads), and the
    server makes the gateway log far more than the relay's pipe holds:
    lines are dropped, never waited for (pptp(8) SECURITY), so data
    passes and signals are acted on; once there is room, how many lines
    were dropped is said.  The terminal's stop signals do not stop a
    relay."""
    script = []
    for i in range(60):     # each new: a repeat is not passed on
        script += [f"sli {i * 20} 20", "sleep 20"]
    srv = env.server(script=script)
    cli = env.client("--loglevel", "2")     # a line for each
    cli.wait_up()
    relay = pid_titled("pptp: stderr relay")
    os.kill(relay, signal.SIGTSTP)
    time.sleep(0.1)
    assert procinfo.state(relay) != "T", procinfo.state(relay)
    os.kill(relay, signal.SIGSTOP)
    try:
        srv.wait("script done", 20)
        passes_data(cli, b"relay stopped")
        survives_usr1(cli.proc)         # its statistics: dropped too
    finally:
        os.kill(relay, signal.SIGCONT)
    t0 = time.monotonic()
    cli.proc.send_signal(signal.SIGTERM)
    assert wait_until(lambda: cli.proc.poll() is not None, 4), \
        "the gateway did not end"
    assert time.monotonic() - t0 < 2, time.monotonic() - t0
    assert re.search(r"pptp: \d+ lines dropped: stderr was full\n",
                     cli.stderr()), cli.stderr()[-2000:]
    srv.wait("recv StopCCRQ")
    no_leftovers(env)

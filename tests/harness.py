# SPDX-License-Identifier: GPL-2.0-or-later
"""The integration harness: the pptp client against tests/fakepptpd, in
two network namespaces of a test's own (server 192.0.2.1 and .3, client
.2), with the test playing pppd on the client's stdin/stdout.  Used by
the integration tests (tests/integration/), tests/chaos.py,
tests/soak.py and tests/scale.py.

Set it up once with configure(pptp=..., server=...) before anything
runs; what it was given is then CFG (the binaries, and whether they
were built with the sanitizers).  Then:

    env = Env("name")           namespaces, a scratch directory
    srv = env.server(ARGS)      fakepptpd (Server)
    cli = env.client(ARGS)      pptp HOST --nolaunchpppd (Client)
    ...
    no_leftovers(env)           nothing of pptp left (tests/leftovers.py)
    env.close()                 everything it started killed, namespaces
                                deleted

/proc is read through tests/procinfo.py alone.
"""

import ctypes
import json
import os
import random
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

import leftovers
import procinfo
from hdlc import HdlcReader, hdlc_encode


# --- what the harness runs --------------------------------------------------

class Config:
    """The binaries the harness runs (set by configure()).

    pptp: the client under test; server: fakepptpd; hooks: pptp built
    with test_pause() (tests that need it swap it in as pptp for their
    run, and put pptp back); probe: tests/sysprobe.c built (preloaded);
    sanitized: a SANITIZE=1 build, whose sandbox lets the leak checker
    read /proc; pppd_default: where pptp looks for pppd (the Makefile's
    PPPD_PATH)."""

    def __init__(self):
        self.pptp = self.server = self.hooks = self.probe = None
        self.sanitized = False
        self.pppd_default = "/usr/sbin/pppd"


CFG = Config()
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def configure(pptp, server, hooks=None, probe=None, sanitized=False):
    """Tell the harness what to run; returns CFG."""
    CFG.pptp, CFG.server, CFG.hooks, CFG.probe = pptp, server, hooks, probe
    CFG.sanitized = sanitized
    return CFG


TESTS = []      # in the order the topic modules were imported


def test(fn):
    """@test: an integration test, fn(env), run with an Env of its own."""
    TESTS.append(fn)
    return fn


# --- processes, namespaces ------------------------------------------------

REAPED = {}     # pid -> exit status of children reap() collected


def become_subreaper():
    """Orphans (the call managers) become ours, so we can reap them."""
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)


def as_root(what):
    """Are we root?  If so become the orphans' reaper; if not, say so as
    a failed test."""
    if os.geteuid() != 0:
        print(f"{what} needs root (network namespaces, raw sockets)")
        print("0 passed, 1 failed")
        return False
    become_subreaper()
    return True


def reap():
    """Collect orphans (call managers); keep what our own children said."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        REAPED[pid] = os.waitstatus_to_exitcode(status)


def all_gone(pids):
    """None of pids runs (zombies, reaped here, do not count)."""
    reap()
    return not any(procinfo.running(pid) for pid in pids)


def title_of(pid):
    """A process's title (its argv[0] as ps shows it), "" if gone."""
    return procinfo.title(pid)


def pptp_pids():
    """Live processes running our pptp binary (zombies have no exe)."""
    return procinfo.pids_of(CFG.pptp)


def titles():
    """The process titles of every live pptp process."""
    return [t for t in map(procinfo.title, pptp_pids()) if t]


def wait_until(cond, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        reap()
        if cond():
            return True
        time.sleep(step)
    reap()
    return cond()


class Env:
    """Namespaces, a scratch directory, and what a test started."""

    def __init__(self, name):
        if not (CFG.pptp and CFG.server):
            raise RuntimeError("harness.configure(pptp=..., server=...) "
                               "first")
        tag = f"{os.getpid()}{random.randrange(1 << 20):x}"
        self.sns, self.cns = f"pps{tag}", f"ppc{tag}"
        self.dir = tempfile.mkdtemp(prefix=f"pptp-{name}-")
        self.rundir = os.path.join(self.dir, "run")
        self.launch_args = []       # --pppd, once fake_pppd() made one
        self.procs = []
        self.extra_ns = []
        self.vars = dict(os.environ)
        for ns in (self.sns, self.cns):
            sh(f"ip netns add {ns}")
            sh(f"ip -n {ns} link set lo up")
        sh(f"ip link add vs{tag[:8]} netns {self.sns} type veth "
           f"peer name vc{tag[:8]} netns {self.cns}")
        sh(f"ip -n {self.sns} addr add 192.0.2.1/24 dev vs{tag[:8]}")
        sh(f"ip -n {self.sns} addr add 192.0.2.3/24 dev vs{tag[:8]}")
        sh(f"ip -n {self.sns} link set vs{tag[:8]} up")
        sh(f"ip -n {self.cns} addr add 192.0.2.2/24 dev vc{tag[:8]}")
        sh(f"ip -n {self.cns} link set vc{tag[:8]} up")

    def path(self, name):
        return os.path.join(self.dir, name)

    def server(self, *args, script=None, listen="192.0.2.1"):
        return Server(self, list(args), script, listen)

    def client(self, *args, sync=False, host="192.0.2.1", launch=False,
               netns=None, **popen):
        return Client(self, list(args), sync, host, launch, netns, **popen)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        for pid in pptp_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_until(lambda: not pptp_pids(), 3)
        for f in route_locks(self):     # what a SIGKILL leaves
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass                    # its keeper took it meanwhile
        for ns in [self.sns, self.cns] + self.extra_ns:
            subprocess.run(["ip", "netns", "del", ns],
                           stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", self.dir])


def sh(cmd):
    subprocess.run(cmd.split(), check=True)


class Server:
    def __init__(self, env, args, script, listen):
        self.log = env.path("server.log" if listen == "192.0.2.1" else
                            f"server-{listen}.log")
        if os.path.exists(self.log):
            os.unlink(self.log)
        cmd = ["ip", "netns", "exec", env.sns, CFG.server, "--listen",
               listen, "--log", self.log, "--spoof", "192.0.2.3"]
        if script is not None:
            sp = env.path("script")
            with open(sp, "w") as f:
                f.write("\n".join(script) + "\n")
            cmd += ["--script", sp]
        self.proc = subprocess.Popen(cmd + args)
        env.procs.append(self.proc)
        if not wait_until(lambda: "ready" in self.text(), 5):
            raise AssertionError("fakepptpd did not start")

    def text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def lines(self, prefix):
        return [l for l in self.text().splitlines() if l.startswith(prefix)]

    def wait(self, what, timeout=5):
        if not wait_until(lambda: what in self.text(), timeout):
            raise AssertionError(f"server log never showed {what!r}")

    def field(self, prefix, name):
        line = self.lines(prefix)[0]
        m = re.search(rf"\b{name}=(\S*)", line)
        return m.group(1)


class Client:
    """pptp HOST --nolaunchpppd, with the test as pppd on a socketpair."""

    def __init__(self, env, args, sync, host, launch, netns=None, **popen):
        kind = socket.SOCK_SEQPACKET if sync else socket.SOCK_STREAM
        self.ours, theirs = socket.socketpair(socket.AF_UNIX, kind)
        self.errpath = env.path(f"client{len(env.procs)}.err")
        self.err = open(self.errpath, "w")
        mode = env.launch_args if launch else ["--nolaunchpppd"]
        cmd = ["ip", "netns", "exec", netns or env.cns, CFG.pptp, host,
               "--rundir", env.rundir] + mode + args
        self.proc = subprocess.Popen(cmd, stdin=theirs, stdout=theirs,
                                     stderr=self.err, env=env.vars, **popen)
        theirs.close()
        env.procs.append(self.proc)
        self.reader = HdlcReader()
        self.sync = sync
        self.started = time.monotonic()

    def stderr(self):
        with open(self.errpath) as f:
            return f.read()

    def wait_log(self, what, timeout=5):
        if not wait_until(lambda: what in self.stderr(), timeout):
            raise AssertionError(f"client never logged {what!r}")

    def wait_up(self):
        self.wait_log("call up")

    def send(self, frame):
        self.ours.sendall(frame if self.sync else hdlc_encode(frame))

    def recv_frames(self, n, timeout=5):
        frames, end = [], time.monotonic() + timeout
        while len(frames) < n and time.monotonic() < end:
            p = select.poll()       # select() stops at descriptor 1023
            p.register(self.ours, select.POLLIN)
            if not p.poll(50):
                continue
            data = self.ours.recv(65536)
            if not data:
                break
            if self.sync:
                frames.append(data)
            else:
                frames += self.reader.feed(data)
        return frames

    def hangup(self):
        """What pppd's exit looks like: the pty closes."""
        self.ours.close()

    def exit_status(self, timeout=5):
        if self.proc.pid in REAPED:     # reap() was first
            return REAPED[self.proc.pid]
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"client still running after {timeout} s")

    def stats(self):
        dumps = self.stderr().count("round trip")
        self.proc.send_signal(signal.SIGUSR1)
        if not wait_until(lambda: self.stderr().count("round trip") > dumps,
                          5):
            raise AssertionError("no statistics after SIGUSR1")
        text = self.stderr()
        stats = {}
        for m in re.finditer(r"(rx|tx) ([A-Za-z ]+?) (\d+)(?=[,\n ]| ms)",
                             text):
            stats[f"{m.group(1)} {m.group(2)}"] = int(m.group(3))
        return stats


def route_locks(env):
    """Host route lock files of the test's namespaces (route.c)."""
    inos = []
    for ns in [env.sns, env.cns] + env.extra_ns:
        try:
            inos.append(os.stat(f"/run/netns/{ns}").st_ino)
        except OSError:
            pass
    try:
        names = os.listdir("/var/run/pptp")
    except OSError:
        return []
    return [os.path.join("/var/run/pptp", n) for n in names
            if any(f"-ns{i}-" in n for i in inos)]


def host_routes(env):
    """The host routes pptp added (protocol 47, route.c) in the test's
    client namespaces."""
    out = []
    for ns in [env.cns] + env.extra_ns:
        r = subprocess.run(["ip", "-n", ns, "route", "show", "proto", "47"],
                           capture_output=True, text=True)
        out += [f"{ns}: {l}" for l in r.stdout.splitlines() if l.strip()]
    return out


def left_behind(env, timeout=3):
    """What pptp left, [] if nothing (tests/leftovers.py): processes
    (given timeout to go), run directory files, route locks, host
    routes."""
    def look():
        return {"procs": pptp_pids(),
                "files": sorted(os.listdir(env.rundir))
                if os.path.isdir(env.rundir) else [],
                "locks": route_locks(env),
                "routes": host_routes(env)}
    return leftovers.left_behind(look, timeout, tick=reap)


def no_leftovers(env, timeout=3):
    """Nothing of pptp may remain: processes, sockets, route locks, host
    routes."""
    left = left_behind(env, timeout)
    assert not left, "; ".join(left)


def seq_frames(text):
    return [int(m) for m in re.findall(rb"seq=(\d+)", text)]


# --- what several topics use ----------------------------------------------

def link_of(env):
    out = subprocess.run(["ip", "-n", env.cns, "-o", "link", "show",
                          "type", "veth"], capture_output=True,
                         text=True).stdout
    return out.split(":")[1].strip().split("@")[0]


def nasty(n):
    return bytes(random.choice((0x7E, 0x7D, random.randrange(32),
                                random.randrange(256))) for _ in range(n))


def scripted(env, gre, *args, n=None, wait=1.0):
    """Run a GRE script from the server; return (seqs pppd got, stats)."""
    srv = env.server("--gre", "script", script=["sleep 200"] + gre)
    cli = env.client(*args)
    cli.wait_up()
    srv.wait("script done")
    frames = cli.recv_frames(n if n is not None else 10 ** 6, wait)
    return srv, cli, [int(f.split(b"seq=")[1].split(b"a")[0])
                      if b"seq=" in f else None for f in frames]


def passes_data(cli, text):
    frame = b"\xff\x03\x00\x21" + text
    cli.send(frame)
    got = cli.recv_frames(1)
    assert got == [frame], (text, got)


def connections(srv):
    return len(srv.lines("accept connection"))


def tunnels(env, n, *args, each=None):
    """n tunnels, one after the other, each up before the next starts."""
    clis = []
    for i in range(n):
        extra = list(each[i]) if each else []
        cli = env.client(*(list(args) + extra))
        cli.wait_up()
        clis.append(cli)
    for i, cli in enumerate(clis):
        passes_data(cli, f"tunnel {i}".encode())
    return clis


def end_all(env, clis):
    for cli in clis:
        cli.hangup()
    for cli in clis:
        assert cli.exit_status() == 0, cli.stderr()
    no_leftovers(env)


def status(env, *args, ns=None):
    """pptp --status ARGS in the client's namespace: (status, stdout)."""
    r = subprocess.run(["ip", "netns", "exec", ns or env.cns, CFG.pptp,
                        "--status", "--rundir", env.rundir] + list(args),
                       capture_output=True, text=True, timeout=10)
    return r.returncode, r.stdout, r.stderr


def status_json(env, *args):
    st, out, err = status(env, "--json", *args)
    assert st in (0, 3), (st, err)
    return json.loads(out)


def calls_of(doc):
    return [(m, c, k) for m in doc["managers"] for c in m["connections"]
            for k in c["calls"]]


FAKE_PPPD_SHIM = """#!/bin/sh
# What pppd was given, read before Python starts (it ignores SIGPIPE
# itself): the ignored and blocked signals, by this very process.
while read -r k v; do
    case $k in SigIgn:|SigBlk:) echo "$k $v" ;; esac
done < /proc/self/status > "$FAKE_PPPD_OUT.start"
exec {python} {fake} "$@"
"""


def fake_pppd(env, wait=False):
    """The stand-in pppd, for --pppd (env.pppd, in env.launch_args);
    returns its result path.  PATH is left alone: pptp must not look."""
    bindir = env.path("bin")
    os.makedirs(bindir, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    env.pppd = os.path.join(bindir, "pppd")
    with open(env.pppd, "w") as f:
        f.write(FAKE_PPPD_SHIM.format(python=sys.executable,
                                      fake=os.path.join(here, "fake-pppd")))
    os.chmod(env.pppd, 0o755)
    env.launch_args = ["--pppd", env.pppd]
    env.vars["FAKE_PPPD_OUT"] = env.path("pppd.json")
    if wait:
        env.vars["FAKE_PPPD_WAIT"] = "1"
    return env.path("pppd.json")


def pppd_start(res):
    """The stand-in pppd's ignored and blocked signal masks (ints)."""
    with open(res + ".start") as f:
        return {k.rstrip(":"): int(v, 16) for k, v in
                (l.split() for l in f.read().splitlines())}


def pppd_result(path, timeout=10):
    if not wait_until(lambda: os.path.exists(path), timeout):
        raise AssertionError("the stand-in pppd reported nothing")
    with open(path) as f:
        return json.load(f)


def routed(env):
    """The server at 203.0.113.1, reached through a gateway 192.0.2.1."""
    sh(f"ip -n {env.sns} addr add 203.0.113.1/32 dev lo")
    sh(f"ip -n {env.cns} route add 203.0.113.0/24 via 192.0.2.1")
    return env.server(listen="203.0.113.1")


def host_route(env):
    return subprocess.run(["ip", "-n", env.cns, "route", "show",
                           "203.0.113.1/32"], capture_output=True,
                          text=True).stdout.strip()


def run_pptp(args, timeout=10):
    return subprocess.run([CFG.pptp] + args, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


PRIVATE_DEV = r"""
set -e
mount --make-rprivate /
mount --rbind /dev "$1"
mount -t tmpfs tmpfs /dev
for n in null zero random urandom tty; do
    touch /dev/$n
    mount --bind "$1/$n" /dev/$n
done
mkdir /dev/pts
mount --rbind "$1/pts" /dev/pts
ln -s pts/ptmx /dev/ptmx
touch /dev/log
mount --bind "$2" /dev/log
shift 2
exec "$@"
"""


class Syslog:
    """A /dev/log of the test's own for what it starts: the command runs
    with a private /dev (tmpfs, the few nodes pptp and pppd use bound in)
    whose log is a datagram socket the test reads."""

    def __init__(self, env, stream=False):
        self.path = env.path("devlog")
        self.realdev = env.path("realdev")
        os.mkdir(self.realdev)
        # stream: a socket as syslog-ng's unix-stream(), records ending
        # in NUL, one connection per writer
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM
                                  if stream else socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        if stream:
            self.sock.listen(64)
        self.stream, self.conns, self.partial = stream, [], {}
        self.sock.setblocking(False)
        self.got = []
        self.prio = []      # each line's priority, beside got

    def wrap(self, cmd):
        return ["unshare", "-m", "sh", "-c", PRIVATE_DEV, "sh",
                self.realdev, self.path] + cmd

    def lines(self):
        """(tag, pid, text) of every line so far."""
        for d in self.records():
            m = re.match(r"<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d "
                         r"([^:\[]*(?:\[[^\]]*\])?)\[(\d+)\]: (.*)", d, re.S)
            assert m, f"not a syslog line: {d!r}"
            self.prio.append(int(m.group(1)) & 7)
            self.got.append((m.group(2), int(m.group(3)),
                             m.group(4).rstrip("\n")))
        return self.got

    def records(self):
        """The records come since the last call."""
        if not self.stream:
            while True:
                try:
                    yield self.sock.recv(4096).decode(errors="replace")
                except BlockingIOError:
                    return
        while True:
            try:
                c, _ = self.sock.accept()
            except BlockingIOError:
                break
            c.setblocking(False)
            self.conns.append(c)
            self.partial[c] = b""
        for c in self.conns:
            try:
                self.partial[c] += c.recv(65536)
            except BlockingIOError:
                pass
            *done, self.partial[c] = self.partial[c].split(b"\0")
            for r in done:
                yield r.decode(errors="replace")

    def wait(self, what, timeout=5):
        if not wait_until(lambda: any(what in t for _, _, t in
                                      self.lines()), timeout):
            raise AssertionError(f"syslog never showed {what!r}: "
                                 f"{self.lines()}")


class Launched:
    """pptp HOST ARGS in launch mode with the stand-in pppd (--pppd), as a
    user runs it: stdin /dev/null, stdout and stderr to files; prefix: a
    command that runs pptp, popen: more for subprocess.Popen."""

    def __init__(self, env, args, end="", status=None, wait=False,
                 syslog=True, pptp=None, prefix=(), pppd_arg=True,
                 **popen):
        self.res = fake_pppd(env, wait)
        if end:
            env.vars["FAKE_PPPD_END"] = end
        if status is not None:
            env.vars["FAKE_PPPD_STATUS"] = str(status)
        self.syslog = Syslog(env) if syslog else None
        self.outpath, self.errpath = env.path("out"), env.path("err")
        cmd = list(prefix) + [pptp or CFG.pptp, "192.0.2.1", "--rundir",
                              env.rundir] + \
            (env.launch_args if pppd_arg else []) + args
        if self.syslog:
            cmd = self.syslog.wrap(cmd)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", env.cns] + cmd,
            stdin=subprocess.DEVNULL, stdout=open(self.outpath, "w"),
            stderr=open(self.errpath, "w"), env=env.vars, **popen)
        env.procs.append(self.proc)
        env.procs.append(self)      # its stand-in pppd goes at the end

    def poll(self):
        return None

    def kill(self):
        self.kill_pppd()

    def out(self):
        with open(self.outpath) as f:
            return f.read()

    def err(self):
        with open(self.errpath) as f:
            return f.read()

    def status(self, timeout=5):
        """The exit status, and how long the command ran."""
        try:
            st = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"pptp still running after {timeout} s")
        return st, time.monotonic() - self.started

    def pppd_pids(self):
        try:
            with open(self.res + ".pids") as f:
                return {r: int(p) for p, r in
                        (l.split() for l in f.read().splitlines())}
        except FileNotFoundError:
            return {}

    def kill_pppd(self):
        for pid in self.pppd_pids().values():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def survives_usr1(*procs):
    """SIGUSR1 (print statistics) ends none of procs (pids or Popens):
    each is still there 0.3 s later, and not a zombie."""
    for p in procs:
        os.kill(p if isinstance(p, int) else p.pid, signal.SIGUSR1)
    time.sleep(0.3)
    for p in procs:
        pid = p if isinstance(p, int) else p.pid
        assert procinfo.running(pid), f"SIGUSR1 killed {pid}"


NOCAPS = "0000000000000000"


def proc_status(pid):
    return procinfo.status(pid)


def pid_titled(prefix, timeout=3):
    pids = []
    wait_until(lambda: pids.extend(p for p in pptp_pids()
                                   if title_of(p).startswith(prefix))
               or pids, timeout)
    assert pids, (prefix, [title_of(p) for p in pptp_pids()])
    return pids[0]


# --- the runner's view ------------------------------------------------------

def print_logs(env):
    """The last lines of each log a failed test leaves."""
    for name in sorted(os.listdir(env.dir)):
        if name.endswith((".err", ".log")):
            with open(env.path(name)) as f:
                tail = f.read().splitlines()[-15:]
            print(f"--- {name}")
            print("\n".join(tail))

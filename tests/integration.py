#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests: the pptp client against fakepptpd, each test in two
network namespaces of its own (server 192.0.2.1 and .3, client .2), with
the test playing pppd on the client's stdin/stdout.  Needs root.

Prints PASS/FAIL per test and a closing "N passed, N failed" line; exits
non-zero if anything failed.  Run one test: integration.py ... NAME...
"""

import argparse
import ctypes
import difflib
import json
import os
import pwd
import random
import re
import select
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import traceback

PPTP = SERVER = HOOKS = PROBE = None
SANITIZED = False
PPPD_DEFAULT = "/usr/sbin/pppd"     # the Makefile's PPPD_PATH
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# --- RFC 1662 framing, for playing pppd ------------------------------------

FCSTAB = []
for b in range(256):
    v = b
    for _ in range(8):
        v = (v >> 1) ^ 0x8408 if v & 1 else v >> 1
    FCSTAB.append(v)


def fcs16(data, fcs=0xFFFF):
    for c in data:
        fcs = (fcs >> 8) ^ FCSTAB[(fcs ^ c) & 0xFF]
    return fcs


def hdlc_encode(frame):
    fcs = fcs16(frame) ^ 0xFFFF
    out = bytearray([0x7E])
    for c in frame + bytes([fcs & 0xFF, fcs >> 8]):
        if c < 0x20 or c in (0x7D, 0x7E):
            out += bytes([0x7D, c ^ 0x20])
        else:
            out.append(c)
    out.append(0x7E)
    return bytes(out)


class HdlcReader:
    def __init__(self):
        self.buf = bytearray()
        self.bad = 0
        self.raw = []       # each good frame as it came, escapes and all

    def feed(self, data):
        self.buf += data
        frames = []
        while True:
            i = self.buf.find(b"\x7e")
            if i < 0:
                break
            raw, self.buf = self.buf[:i], self.buf[i + 1:]
            if not raw:
                continue
            out, esc = bytearray(), False
            for c in raw:
                if esc:
                    out.append(c ^ 0x20)
                    esc = False
                elif c == 0x7D:
                    esc = True
                else:
                    out.append(c)
            if len(out) >= 4 and fcs16(out) == 0xF0B8:
                frames.append(bytes(out[:-2]))
                self.raw.append(bytes(raw))
            else:
                self.bad += 1
        return frames


# --- processes, namespaces ----------------------------------------------------

REAPED = {}     # pid -> exit status of children reap() collected


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
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                    return False
        except OSError:
            pass
    return True


def title_of(pid):
    """A process's title (its argv[0] as ps shows it), "" if gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""


def pptp_pids():
    """Live processes running our pptp binary (zombies have no exe)."""
    real = os.path.realpath(PPTP)
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink(f"/proc/{d}/exe") == real:
                    pids.append(int(d))
            except OSError:
                pass
    return pids


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
            os.unlink(f)
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
        cmd = ["ip", "netns", "exec", env.sns, SERVER, "--listen",
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
        cmd = ["ip", "netns", "exec", netns or env.cns, PPTP, host,
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


def no_leftovers(env):
    """Nothing of pptp may remain: processes, sockets, route locks."""
    if not wait_until(lambda: not pptp_pids(), 3):
        raise AssertionError(f"pptp processes left: {pptp_pids()}")
    left = os.listdir(env.rundir) if os.path.isdir(env.rundir) else []
    assert not left, f"files left in rundir: {left}"
    assert not route_locks(env), f"route locks left: {route_locks(env)}"


def seq_frames(text):
    return [int(m) for m in re.findall(rb"seq=(\d+)", text)]


# --- control connection ---------------------------------------------------------

@test
def connect_and_hangup(env):
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    assert srv.field("recv SCCRQ", "max_channels") == "0"
    assert srv.field("recv SCCRQ", "version") == "0x0100"
    assert srv.field("recv SCCRQ", "framing") == "3"
    assert srv.field("recv SCCRQ", "bearer") == "3"
    call_id = srv.field("recv OCRQ", "call_id")
    assert call_id != "0"
    assert srv.field("recv OCRQ", "window") == "64"
    assert srv.field("recv OCRQ", "framing") == "1"
    cli.hangup()
    assert cli.exit_status() == 0
    srv.wait("recv StopCCRQ reason=3")
    assert srv.field("recv CCRQ", "call_id") == call_id
    no_leftovers(env)


@test
def path_mtu_hint(env):
    sh(f"ip -n {env.cns} link set dev {link_of(env)} mtu 1400")
    env.server()
    cli = env.client()
    cli.wait_up()
    cli.wait_log("path MTU 1400: pppd mtu and mru of at most 1356 keep "
                 "GRE unfragmented")
    cli.hangup()
    assert cli.exit_status() == 0


def link_of(env):
    out = subprocess.run(["ip", "-n", env.cns, "-o", "link", "show",
                          "type", "veth"], capture_output=True,
                         text=True).stdout
    return out.split(":")[1].strip().split("@")[0]


@test
def phone_and_sync_framing(env):
    srv = env.server()
    cli = env.client("--phone", "5551234", "--sync", "--window", "16",
                     sync=True)
    cli.wait_up()
    assert srv.field("recv OCRQ", "phone") == "5551234"
    assert srv.field("recv OCRQ", "phone_len") == "7"
    assert srv.field("recv OCRQ", "framing") == "2"
    assert srv.field("recv OCRQ", "window") == "16"
    cli.hangup()
    assert cli.exit_status() == 0


def refused(env, result, words):
    env.server("--sccrp", str(result))
    cli = env.client()
    assert cli.exit_status() == 4, cli.stderr()
    assert f"server refused control connection: {words}" in cli.stderr()
    no_leftovers(env)


@test
def sccrp_general_error(env):
    refused(env, 2, "general error: PAC error")


@test
def sccrp_channel_exists(env):
    refused(env, 3, "command channel already exists")


@test
def sccrp_not_authorized(env):
    refused(env, 4, "not authorized")


@test
def sccrp_bad_version(env):
    refused(env, 5, "protocol version not supported")


@test
def sccrp_result_zero_accepted(env):
    env.server("--sccrp", "0")
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    assert cli.exit_status() == 0


@test
def ocrp_refused_each_result(env):
    words = {2: "general error", 3: "no carrier", 4: "busy",
             5: "no dial tone", 6: "time-out", 7: "do not accept"}
    for result, w in words.items():
        srv = env.server("--ocrp", str(result))
        cli = env.client()
        assert cli.exit_status() == 5, cli.stderr()
        assert f"server refused call: {w}" in cli.stderr(), cli.stderr()
        no_leftovers(env)
        srv.proc.kill()
        srv.proc.wait()


@test
def sccrp_never_comes(env):
    env.server("--sccrp", "never")
    t = time.monotonic()
    cli = env.client("--reply-timeout", "1")
    assert cli.exit_status(5) == 7
    assert time.monotonic() - t < 4
    assert "no reply to SCCRQ from server within 1 s" in cli.stderr()
    no_leftovers(env)


@test
def ocrp_never_comes(env):
    srv = env.server("--ocrp", "never")
    cli = env.client("--reply-timeout", "1")
    assert cli.exit_status(5) == 7
    assert "no reply to OCRQ from server within 1 s" in cli.stderr()
    srv.wait("recv CCRQ")
    no_leftovers(env)


@test
def pppd_hangs_up_while_the_call_is_placed(env):
    """pppd gone before the OCRP: pptp ends at once (not at the reply
    timeout) and the call asked for is cleared (found by make chaos)."""
    srv = env.server("--ocrp", "never")
    cli = env.client()
    srv.wait("recv OCRQ")
    call_id = srv.field("recv OCRQ", "call_id")
    t = time.monotonic()
    cli.hangup()
    assert cli.exit_status(5) == 0, cli.stderr()
    assert time.monotonic() - t < 2
    assert "pppd hung up while the call was placed" in cli.stderr()
    srv.wait(f"recv CCRQ call_id={call_id}")
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def connection_refused(env):
    cli = env.client()
    assert cli.exit_status() == 3
    assert ("cannot connect to 192.0.2.1 port 1723: "
            "connection refused") in cli.stderr(), cli.stderr()
    assert "host route" not in cli.stderr(), cli.stderr()
    no_leftovers(env)


@test
def connect_timeout(env):
    # 192.0.2.9 does not answer ARP: nothing ever comes back
    cmd = ["ip", "netns", "exec", env.cns, PPTP, "192.0.2.9",
           "--nolaunchpppd", "--rundir", env.rundir, "--connect-timeout",
           "1"]
    t = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=10)
    assert p.returncode == 3, p.stderr
    assert time.monotonic() - t < 3
    assert b"port 1723: timed out after 1 s" in p.stderr, p.stderr
    no_leftovers(env)


@test
def unknown_host(env):
    cmd = ["ip", "netns", "exec", env.cns, PPTP, "no-such-host.invalid",
           "--nolaunchpppd", "--rundir", env.rundir]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=20)
    assert p.returncode == 3, p.stderr
    assert b"cannot resolve server no-such-host.invalid" in p.stderr


@test
def echo_request_answered(env):
    srv = env.server(script=["sleep 100", "echorq"])
    cli = env.client()
    cli.wait_up()
    srv.wait("recv Echo-Reply id=24301 result=1")
    cli.hangup()
    assert cli.exit_status() == 0


@test
def echo_timeout(env):
    srv = env.server("--no-echo")
    t = time.monotonic()
    cli = env.client("--idle-wait", "1", "--max-echo-wait", "1")
    cli.wait_up()
    assert cli.exit_status(6) == 7
    assert time.monotonic() - t < 5
    assert ("no Echo-Reply from server within 1 s: control connection lost"
            in cli.stderr())
    srv.wait("recv Echo-Request")
    no_leftovers(env)


@test
def echo_keeps_alive(env):
    env.server()
    cli = env.client("--idle-wait", "1", "--max-echo-wait", "1")
    cli.wait_up()
    time.sleep(3.5)
    assert cli.proc.poll() is None, cli.stderr()
    cli.hangup()
    assert cli.exit_status() == 0


@test
def server_disconnects_call(env):
    srv = env.server(script=["sleep 100", "cdn"])
    cli = env.client()
    assert cli.exit_status() == 6
    err = cli.stderr()
    assert ("server disconnected the call: administrative shutdown" in err
            and 'statistics "test statistics"' in err), err
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def server_stops_connection(env):
    srv = env.server(script=["sleep 100", "stopccrq"])
    cli = env.client()
    assert cli.exit_status() == 6
    assert ("server stopped the control connection: local shutdown"
            in cli.stderr())
    srv.wait("recv StopCCRP")
    no_leftovers(env)


@test
def reports_are_not_fatal(env):
    srv = env.server(script=["sleep 100", "wen", "sli", "icrq"])
    cli = env.client()
    cli.wait_up()
    srv.wait("recv ICRP peer_call_id=30583 result=3")
    srv.wait("script done")
    time.sleep(0.2)
    assert cli.proc.poll() is None
    cli.hangup()
    assert cli.exit_status() == 0


@test
def reserved0_accepted(env):
    env.server("--reserved0", "0x1234")
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    assert cli.exit_status() == 0


@test
def bytewise_replies(env):
    env.server("--bytewise")
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    assert cli.exit_status() == 0


def malformed(env, action, status, words):
    env.server(script=["sleep 100", action])
    cli = env.client()
    assert cli.exit_status() == status, cli.stderr()
    assert words in cli.stderr(), cli.stderr()
    no_leftovers(env)


@test
def garbage_closes(env):
    malformed(env, "garbage", 8,
              "malformed control message from server: bad magic cookie")


@test
def bad_cookie_closes(env):
    malformed(env, "badcookie", 8, "magic 0xdeadbeef")


@test
def impossible_length_closes(env):
    malformed(env, "badlen", 8, "impossible length (length 65535")


@test
def truncated_then_closed(env):
    malformed(env, "truncated", 6,
              "server 192.0.2.1 closed the control connection")


@test
def server_closes(env):
    malformed(env, "close", 6,
              "server 192.0.2.1 closed the control connection")


@test
def server_resets(env):
    malformed(env, "reset", 6, "reset by the server")


@test
def two_calls_share_one_connection(env):
    srv = env.server("--max-channels", "8")
    a = env.client()
    a.wait_up()
    b = env.client()
    b.wait_up()
    assert len(srv.lines("accept connection")) == 1
    ids = [l.split("call_id=")[1].split()[0] for l in srv.lines("recv OCRQ")]
    assert len(ids) == 2 and ids[0] != ids[1], ids
    a.hangup()
    assert a.exit_status() == 0
    srv.wait(f"recv CCRQ call_id={ids[0]}")
    # b still carries data
    b.send(b"\xff\x03\x00\x21still here")
    assert b.recv_frames(1) == [b"\xff\x03\x00\x21still here"]
    assert "StopCCRQ" not in srv.text()
    b.hangup()
    assert b.exit_status() == 0
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def stale_socket_replaced(env):
    srv = env.server()
    a = env.client()
    a.wait_up()
    for pid in pptp_pids():
        if pid != a.proc.pid:
            os.kill(pid, signal.SIGKILL)
    assert a.exit_status() == 6
    assert "the call manager went away" in a.stderr()
    socks = [f for f in os.listdir(env.rundir)
             if re.fullmatch(r"192\.0\.2\.1-ns\d+-[0-9a-f]{8}", f)]
    assert len(socks) == 1, os.listdir(env.rundir)
    b = env.client("--loglevel", "2")
    b.wait_up()
    assert "removed stale call manager socket" in b.stderr()
    assert len(srv.lines("accept connection")) == 2
    b.hangup()
    assert b.exit_status() == 0
    no_leftovers(env)


@test
def quick_restart_never_blocked(env):
    """pppd's persist: a new pptp while the old call manager stops."""
    srv = env.server()
    for i in range(5):
        cli = env.client()
        cli.wait_up()
        cli.hangup()
        # no waiting for the old one to finish
    assert cli.exit_status() == 0
    no_leftovers(env)
    assert len(srv.lines("recv OCRQ")) == 5, srv.lines("recv OCRQ")


@test
def gateway_killed_clears_call(env):
    srv = env.server()
    a = env.client()
    a.wait_up()
    a.proc.kill()
    srv.wait("recv CCRQ")
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def sigterm_ends_call(env):
    srv = env.server()
    a = env.client()
    a.wait_up()
    t = time.monotonic()
    a.proc.send_signal(signal.SIGTERM)
    assert a.exit_status() == 0
    srv.wait("recv StopCCRQ")
    no_leftovers(env)
    assert time.monotonic() - t < 2


@test
def quirk_bezeq_israel(env):
    srv = env.server()
    cli = env.client("--quirks", "BEZEQ_ISRAEL")
    cli.wait_up()
    srv.wait("recv SLI")
    assert srv.field("recv SCCRQ", "framing") == "1"
    assert srv.field("recv SCCRQ", "bearer") == "1"
    assert srv.field("recv SCCRQ", "firmware") == "0x6021"
    assert srv.field("recv SCCRQ", "hostname") == "RELAY_PPP1"
    assert "vendor=MS Win NT" in srv.lines("recv SCCRQ")[0]
    assert srv.field("recv OCRQ", "bearer") == "2"
    assert srv.field("recv OCRQ", "framing") == "3"
    assert srv.field("recv OCRQ", "phone") == "RELAY_PPP1"
    assert srv.field("recv OCRQ", "phone_len") == "10"
    assert srv.field("recv SLI", "send_accm") == "0xffffffff"
    assert srv.field("recv SLI", "recv_accm") == "0xffffffff"
    cli.hangup()
    assert cli.exit_status() == 0


# --- the data path ---------------------------------------------------------------

def nasty(n):
    return bytes(random.choice((0x7E, 0x7D, random.randrange(32),
                                random.randrange(256))) for _ in range(n))


@test
def data_both_ways_byte_exact(env):
    env.server()
    cli = env.client()
    cli.wait_up()
    random.seed(7)
    frames = [b"\xff\x03" + nasty(random.randrange(0, 1500))
              for _ in range(3000)]
    got = []
    for i in range(0, len(frames), 100):
        for f in frames[i:i + 100]:
            cli.send(f)
        got += cli.recv_frames(100 - (len(got) - i), 10)
    got += cli.recv_frames(len(frames) - len(got), 10)
    assert len(got) == len(frames), f"{len(got)} of {len(frames)} back"
    assert got == frames, "frames differ"
    st = cli.stats()
    assert st["tx sent"] == 3000 and st["rx accepted"] == 3000, st
    assert st["rx lost"] == 0 and st["rx under win"] == 0, st
    cli.hangup()
    assert cli.exit_status() == 0


@test
def sync_mode_data(env):
    env.server()
    cli = env.client("--sync", sync=True)
    cli.wait_up()
    frames = [b"\xff\x03\x00\x21" + nasty(n) for n in (0, 1, 100, 1400)]
    for f in frames:
        cli.send(f)
    assert cli.recv_frames(4) == frames
    cli.hangup()
    assert cli.exit_status() == 0


def scripted(env, gre, *args, n=None, wait=1.0):
    """Run a GRE script from the server; return (seqs pppd got, stats)."""
    srv = env.server("--gre", "script", script=["sleep 200"] + gre)
    cli = env.client(*args)
    cli.wait_up()
    srv.wait("script done")
    frames = cli.recv_frames(n if n is not None else 10 ** 6, wait)
    return srv, cli, [int(f.split(b"seq=")[1].split(b"a")[0])
                      if b"seq=" in f else None for f in frames]


@test
def reorder_waits_for_gap(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 3", "gre 4", "gre 2",
                                  "gre 5"], n=5)
    assert seqs == [1, 2, 3, 4, 5], seqs
    st = cli.stats()
    assert st["rx buffered"] == 2 and st["rx lost"] == 0, st
    assert st["rx accepted"] == 5, st


@test
def loss_times_out(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 3", "gre 4"],
                            "--timeout", "0.2", n=3)
    assert seqs == [1, 3, 4], seqs
    st = cli.stats()
    assert st["rx lost"] == 1 and st["rx buffered"] == 2, st


@test
def duplicates_and_late_dropped(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 2", "gre 2", "gre 3",
                                  "gre 1", "gre 4"], n=4)
    assert seqs == [1, 2, 3, 4], seqs
    assert cli.stats()["rx under win"] == 2


@test
def far_ahead_dropped_then_resync(env):
    # an outage: the server's numbers go on, ours wait in silence
    _, cli, seqs = scripted(env, ["gre 1", "gre 2", "gre 1000", "gre 3",
                                  "sleep 1300", "gre 5000", "gre 5001",
                                  "gre 5002", "gre 5003"], n=5)
    assert seqs == [1, 2, 3, 5002, 5003], seqs
    st = cli.stats()
    assert st["rx over win"] == 3, st
    assert st["rx resyncs"] == 1, st


@test
def spoofed_far_burst_changes_nothing(env):
    """A blind spoofer's best case (the server's address and our call ID):
    far-off runs of consecutive numbers between real packets, at once or
    three at a time for longer than a resync's silence, pass nothing to
    pppd and count as dropped; the real stream goes on whole."""
    gre = []
    for s in range(1, 81):
        gre += [f"gre {s}", "sleep 20"]
        if s == 10:
            gre.append("greburst 70000 1000 0")         # far ahead
        elif s == 20:
            gre.append("greburst 4294000000 300 0")     # far behind
        elif s > 20:
            gre.append(f"greburst {90000 + 3 * s} 3 0")  # 60 x 3, 1.2 s
    _, cli, seqs = scripted(env, gre, n=80)
    assert seqs == list(range(1, 81)), seqs
    st = cli.stats()
    assert st["rx accepted"] == 80 and st["rx lost"] == 0, st
    assert st["rx over win"] == 1000 + 60 * 3, st
    assert st["rx under win"] == 300, st
    assert st["rx resyncs"] == 0 and st["rx socket overflow"] == 0, st
    (_, _, k), = calls_of(status_json(env))
    assert k["rx_over_window"] == 1180 and k["rx_late"] == 300, k
    assert k["rx_resyncs"] == 0, k


@test
def server_restart_followed_within_a_second(env):
    """The server's numbering restarts (far behind) while packets flow
    every 20 ms: followed after a second without the old numbers."""
    new = 4000000000
    gre = []
    for s in list(range(1, 21)) + [new + i for i in range(80)]:
        gre += [f"gre {s}", "sleep 20"]
    _, cli, seqs = scripted(env, gre)
    assert seqs[:20] == list(range(1, 21)), seqs
    tail = seqs[20:]
    assert tail and tail == list(range(tail[0], new + 80)), seqs
    skipped = tail[0] - new
    assert 2 <= skipped <= 75, seqs     # 1 s at 20 ms (and slack)
    st = cli.stats()
    assert st["rx resyncs"] == 1 and st["rx under win"] == skipped, st


@test
def missing_window_option(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 13", "gre 2"],
                            "--missing-window", "10", n=2)
    assert seqs == [1, 2], seqs
    assert cli.stats()["rx over win"] == 1


@test
def sequence_wrap(env):
    _, cli, seqs = scripted(env, ["gre 4294967294", "gre 0",
                                  "gre 4294967295", "gre 1"], n=4)
    assert seqs == [4294967294, 4294967295, 0, 1], seqs
    assert cli.stats()["rx lost"] == 0


@test
def nobuffer_passes_at_once(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 3", "gre 2"],
                            "--nobuffer", n=2)
    assert seqs == [1, 3], seqs
    st = cli.stats()
    assert st["rx lost"] == 1 and st["rx under win"] == 1, st


@test
def spoofed_and_foreign_never_delivered(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 2 spoof", "gre 3 callid=1",
                                  "gre 2"], n=3, wait=1.0)
    assert seqs == [1, 2], seqs
    st = cli.stats()
    # another call's GRE from the server never reaches the gateway: its
    # socket filter drops it in the kernel (another_tunnels_gre_filtered)
    # both dropped in the kernel (junk_gre_flood_wakes_no_gateway)
    assert st["rx foreign source"] == 0 and st["rx wrong call ID"] == 0, st


@test
def malformed_gre_counted(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 2 trunc", "gre 3 badver",
                                  "gre 4 noseq", "greack 0", "gre 2"], n=2)
    assert seqs == [1, 2], seqs
    st = cli.stats()
    assert st["rx truncated"] == 1, st
    assert st["rx invalid"] == 1, st    # noseq; badver is dropped in the kernel
    assert st["rx acks"] == 1, st


@test
def empty_gre_payload_not_passed_to_pppd(env):
    """A data packet (S bit) with no payload is no PPP frame: counted as
    invalid, and pppd gets no runt frame for it."""
    _, cli, seqs = scripted(env, ["gre 1", "gre 2 hex=", "gre 3"], n=3)
    assert seqs == [1, 3], seqs
    assert cli.stats()["rx invalid"] == 1, cli.stats()


@test
def ack_only_after_delay(env):
    srv, cli, seqs = scripted(env, ["gre 1", "gre 2", "gre 3"], n=3)
    assert seqs == [1, 2, 3]
    srv.wait("ack-only ack=3", 1)
    # never one ack per packet: far fewer acks than packets
    assert len(srv.lines("gre rx")) <= 2, srv.lines("gre rx")
    assert cli.stats()["tx acks"] >= 1


@test
def acks_piggybacked_both_ways(env):
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    for i in range(50):
        cli.send(b"\xff\x03\x00\x21" + bytes([i]) * 50)
        cli.recv_frames(1)
    acked = [l for l in srv.lines("gre rx") if "ack=none" not in l]
    assert len(acked) >= 45, srv.lines("gre rx")[:5]
    assert not [l for l in srv.lines("gre rx") if "ack-only" in l][5:]
    st = cli.stats()
    assert st["tx sent"] == 50 and st["rx acks"] == 0, st
    cli.hangup()


@test
def stats_hold_every_counter(env):
    env.server()
    cli = env.client()
    cli.wait_up()
    st = cli.stats()
    for name in ("rx accepted", "rx lost", "rx under win", "rx over win",
                 "rx buffered", "rx OS errors", "rx truncated",
                 "rx invalid", "rx acks", "tx sent", "tx failed",
                 "tx short", "tx acks", "tx oversize",
                 "rx foreign source", "rx wrong call ID", "tx bad FCS",
                 "rx pppd slow", "rx resyncs", "rx socket overflow"):
        assert name in st, (name, st)
    assert "round trip" in cli.stderr()
    cli.hangup()


@test
def bad_fcs_and_oversize_from_pppd(env):
    env.server()
    cli = env.client()
    cli.wait_up()
    bad = bytearray(hdlc_encode(b"\xff\x03\x00\x21broken"))
    bad[5] ^= 1
    cli.ours.sendall(bytes(bad))
    cli.send(b"\xff\x03" + b"x" * 9000)
    cli.send(b"\xff\x03\x00\x21ok")
    assert cli.recv_frames(1) == [b"\xff\x03\x00\x21ok"]
    st = cli.stats()
    assert st["tx bad FCS"] == 1 and st["tx oversize"] == 1, st
    assert st["tx sent"] == 1, st
    cli.hangup()


@test
def local_filter_drops_gre(env):
    env.server()
    sh(f"ip netns exec {env.cns} nft add table inet t")
    sh(f"ip netns exec {env.cns} nft add chain inet t out "
       "{ type filter hook output priority 0 ; }")
    sh(f"ip netns exec {env.cns} nft add rule inet t out "
       "meta l4proto 47 drop")
    cli = env.client()
    cli.wait_up()
    for _ in range(5):
        cli.send(b"\xff\x03\xc0\x21\x01\x01\x00\x04")
    cli.wait_log("sending GRE: operation not permitted: a local packet "
                 "filter (iptables/nftables) drops IP protocol 47")
    st = cli.stats()
    assert st["tx failed"] == 5 and st["tx sent"] == 0, st
    assert cli.stderr().count("operation not permitted") == 1
    cli.hangup()
    assert cli.exit_status() == 0


@test
def icmp_protocol_unreachable(env):
    env.server("--gre", "none")
    cli = env.client()
    cli.wait_up()
    for _ in range(3):
        cli.send(b"\xff\x03\xc0\x21\x01\x01\x00\x04")
        time.sleep(0.1)
    cli.wait_log("GRE to the server bounced: protocol unreachable: the "
                 "server does not take GRE (ICMP type 3 code 2)")
    st = cli.stats()
    assert st["rx OS errors"] >= 1, st
    assert cli.stderr().count("bounced") == 1
    cli.hangup()


@test
def round_trip_measured(env):
    env.server("--gre", "script",
               script=["waitgre", "sleep 150", "greack 1"])
    cli = env.client()
    cli.wait_up()
    cli.send(b"\xff\x03\x00\x21one")
    time.sleep(0.5)
    text = cli.stats() and cli.stderr()
    rtt = int(re.findall(r"round trip (\d+) ms", text)[-1])
    assert 140 <= rtt < 1000, rtt
    cli.hangup()


@test
def second_address_tried(env):
    hosts = env.path("hosts")
    # the resolver may sort addresses (RFC 6724 rule 9, longest prefix
    # in common with ours, 192.0.2.2): 192.0.2.3 comes first either way,
    # and refuses, for nothing listens there
    with open(hosts, "w") as f:
        f.write("192.0.2.3 multi.test\n192.0.2.1 multi.test\n")
    env.server()
    err = env.path("multi.err")
    cmd = (f"mount --bind {hosts} /etc/hosts && exec {PPTP} multi.test "
           f"--nolaunchpppd --rundir {env.rundir} --connect-timeout 1")
    with open(err, "w") as ef:
        p = subprocess.Popen(["ip", "netns", "exec", env.cns, "unshare",
                              "--mount", "sh", "-c", cmd],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=ef)
    env.procs.append(p)
    assert wait_until(lambda: "call up" in open(err).read(), 6), \
        open(err).read()
    text = open(err).read()
    assert "cannot connect to multi.test (192.0.2.3)" in text, text
    p.stdin.close()
    assert p.wait(5) == 0
    no_leftovers(env)


@test
def gre_blocked_warning(env):
    env.server("--gre", "drop")
    cli = env.client()
    cli.wait_up()
    cli.send(b"\xff\x03\xc0\x21\x01\x01\x00\x04")
    cli.wait_log("no GRE (IP protocol 47) has arrived from the server in "
                 "10 s while pppd is sending: a firewall or NAT on the "
                 "path likely blocks GRE", 13)
    cli.hangup()


@test
def no_gre_warning_when_gre_flows(env):
    env.server()
    cli = env.client()
    cli.wait_up()
    cli.send(b"\xff\x03\xc0\x21\x01\x01\x00\x04")
    assert len(cli.recv_frames(1)) == 1
    time.sleep(11)
    assert "no GRE" not in cli.stderr()
    cli.hangup()


@test
def pppd_debug_on_pty_warning(env):
    env.server()
    cli = env.client()
    cli.wait_up()
    cli.ours.sendall(b"rcvd [LCP ConfReq id=0x1 <asyncmap 0x0> "
                     b"<magic 0x1234>]\nsent [LCP ConfAck id=0x1]\n")
    cli.wait_log("pppd writes bytes that are not async HDLC frames")
    assert cli.stderr().count("not async HDLC") == 1
    cli.hangup()


@test
def accm_follows_lcp(env):
    # pppd asks for ACCM 0; once the server acked it and pppd speaks
    # beyond LCP, control characters go to it unescaped; LCP itself, and
    # everything after a new negotiation, goes escaped
    opts = bytes.fromhex("020600000000" "050612345678")
    confreq = b"\xff\x03\xc0\x21\x01\x01\x00\x10" + opts
    confack = b"\xff\x03\xc0\x21\x02\x01\x00\x10" + opts
    echo = bytes.fromhex("ff03c02109020008" "00000001")
    data = bytes.fromhex("ff030021" "0102111f" "7e7d41")
    ipcp = bytes.fromhex("80210101" "0004")
    srv = env.server("--gre", "script", script=[
        "waitgre", f"gre 1 hex={confack.hex()}", f"gre 2 hex={data.hex()}",
        "waitgre", f"gre 3 hex={data.hex()}", f"gre 4 hex={echo.hex()}",
        "waitgre", f"gre 5 hex={data.hex()}"])
    cli = env.client()
    cli.wait_up()

    def plain(raw):
        return not any(c < 0x20 for c in raw)

    cli.send(confreq)
    assert cli.recv_frames(2) == [confack, data]
    assert all(map(plain, cli.reader.raw)), cli.reader.raw
    cli.send(ipcp)
    assert cli.recv_frames(2) == [data, echo]
    raw = cli.reader.raw
    assert b"\x00\x21\x01\x02\x11\x1f\x7d\x5e\x7d\x5d" in raw[2], raw[2]
    assert plain(raw[3]), raw[3]
    cli.wait_log("LCP is open and pppd receives with ACCM 0x00000000")
    cli.send(confreq)
    assert cli.recv_frames(1) == [data]
    assert plain(cli.reader.raw[4]), cli.reader.raw[4]
    cli.wait_log("LCP negotiates again")
    cli.hangup()
    assert cli.exit_status() == 0
    del srv


@test
def pppd_slow_reader_bounded(env):
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    # send a lot and do not read: pptp must drop, not stall or grow
    for i in range(3000):
        cli.send(b"\xff\x03\x00\x21" + b"z" * 1400)
    time.sleep(1)
    st = cli.stats()
    assert st["rx pppd slow"] > 0, st
    assert st["tx sent"] == 3000, st
    assert cli.proc.poll() is None
    cli.hangup()
    assert cli.exit_status() == 0
    del srv


@test
def kernel_drops_are_counted_and_explained(env):
    # a burst while the gateway is stopped: the kernel drops what its
    # socket cannot hold; packets after the burst carry the count
    srv = env.server("--gre", "script", script=[
        "sleep 1000", "greburst 1 25000 1400", "sleep 1000",
        "greburst 25001 3 1400"])
    cli = env.client()
    cli.wait_up()
    gw = cli.proc.pid
    os.kill(gw, signal.SIGSTOP)
    try:
        srv.wait("greburst sent", 10)
    finally:
        os.kill(gw, signal.SIGCONT)
    srv.wait("script done", 5)
    cli.wait_log("the kernel dropped")
    st = cli.stats()
    assert st["rx socket overflow"] > 1000, st
    assert (st["rx accepted"] + st["rx socket overflow"] +
            st["rx over win"] == 25003), st
    # the jump past what the kernel dropped is that loss, not a far run
    assert st["rx over win"] == 0 and st["rx resyncs"] == 0, st
    assert st["rx lost"] == st["rx socket overflow"], st
    assert cli.stderr().count("the kernel dropped") == 1
    cli.hangup()
    assert cli.exit_status() == 0


# --- several tunnels: sharing, namespaces, route ownership, the clear -------

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


@test
def max_channels_0_one_call_per_connection(env):
    """A server that says nothing of its room gets a connection a call."""
    srv = env.server("--max-channels", "0")
    clis = tunnels(env, 2)
    assert connections(srv) == 2, srv.lines("accept")
    end_all(env, clis)


@test
def max_channels_1_one_call_per_connection(env):
    """poptop and accel-ppp say 1: each call gets its own connection."""
    srv = env.server("--max-channels", "1", "--one-call")
    clis = tunnels(env, 3)
    assert connections(srv) == 3, srv.lines("accept")
    assert "second call on one connection" not in srv.text()
    assert managers() == 1, titles()     # one manager, three connections
    # the first goes; the others carry on
    clis[0].hangup()
    assert clis[0].exit_status() == 0
    srv.wait("close after StopCCRP")
    passes_data(clis[1], b"still 1")
    passes_data(clis[2], b"still 2")
    end_all(env, clis[1:])


@test
def max_channels_n_shared_until_full(env):
    srv = env.server("--max-channels", "2")
    clis = tunnels(env, 3)
    assert connections(srv) == 2, srv.lines("accept")
    end_all(env, clis)


@test
def another_tunnels_gre_filtered(env):
    """Every raw GRE socket sees every GRE packet: the traffic of one
    tunnel must not wake the gateways of the others to the same server
    (with 64 tunnels they spent 15 times the CPU of the one passing the
    traffic), so the kernel drops it before they see it."""
    env.server("--max-channels", "8")
    env.server(listen="192.0.2.3")
    busy, idle = tunnels(env, 2)
    other = env.client(host="192.0.2.3")   # another server's
    other.wait_up()
    for i in range(200):
        busy.send(b"\xff\x03\x00\x21frame %d" % i)
    assert len(busy.recv_frames(200)) == 200
    for cli in (idle, other):
        st = cli.stats()
        assert st["rx wrong call ID"] == 0, st
        assert st["rx foreign source"] == 0, st
    assert idle.stats()["rx accepted"] == 1     # tunnels()'s own frame
    end_all(env, [busy, idle, other])


FLOOD = r"""
import socket, struct, sys, time
src, dst, ids = sys.argv[1], sys.argv[2], [int(i) for i in sys.argv[3:]]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
s.bind((src, 0))
junk = [struct.pack(">HH", 0, 0x0800) + b"x" * 100]   # plain GRE, IPv4
junk += [struct.pack(">HHHHI", 0x3001, 0x880B, 100, i, 7) + b"y" * 100
         for i in ids]                                 # PPTP, each call
for n in range(300):
    for p in junk:
        s.sendto(p, (dst, 0))
    time.sleep(0.002)
"""


def gateways():
    """{call ID: pid} of the live GRE-to-PPP gateways."""
    out = {}
    for pid in pptp_pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                title = f.read().split(b"\0")[0].decode()
        except OSError:
            continue
        m = re.search(r"GRE-to-PPP gateway .* call (\d+)", title)
        if m:
            out[int(m.group(1))] = pid
    return out


def switches(pid):
    with open(f"/proc/{pid}/status") as f:
        return sum(int(l.split()[1]) for l in f
                   if l.endswith("ctxt_switches\n") or
                   "ctxt_switches:" in l)


def raw_rcvbuf(pid):
    """SO_RCVBUF of process pid's raw GRE socket (a copy of it taken
    with pidfd_getfd)."""
    with open(f"/proc/{pid}/net/raw") as f:
        inodes = {l.split()[9] for l in f.readlines()[1:]}
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
            if link.startswith("socket:[") and link[8:-1] in inodes:
                copy = libc.syscall(438, pidfd, int(fd), 0)  # pidfd_getfd
                assert copy >= 0, os.strerror(ctypes.get_errno())
                with socket.socket(fileno=copy) as s:
                    return s.getsockopt(socket.SOL_SOCKET,
                                        socket.SO_RCVBUF)
    finally:
        os.close(pidfd)
    return 0


@test
def junk_gre_flood_wakes_no_gateway(env):
    """GRE from an address that is not the server's, plain or PPTP with
    each tunnel's own call ID, and non-PPTP GRE: dropped in the kernel
    before any gateway wakes or queues it, however many tunnels; each
    socket's receive buffer is what its window needs, not 32 MB."""
    env.server("--max-channels", "8")
    clis = tunnels(env, 4)
    gws = gateways()
    assert len(gws) == 4, titles()
    before = {pid: switches(pid) for pid in gws.values()}
    subprocess.run(["ip", "netns", "exec", env.sns, sys.executable, "-c",
                    FLOOD, "192.0.2.3", "192.0.2.2"] +
                   [str(i) for i in gws], check=True, timeout=30)
    time.sleep(0.3)
    for cid, pid in gws.items():
        woke = switches(pid) - before[pid]
        assert woke < 30, f"gateway of call {cid} woke {woke} times"
    for cli in clis:
        st = cli.stats()
        assert st["rx foreign source"] == 0 and st["rx invalid"] == 0, st
        assert st["rx wrong call ID"] == 0 and st["rx accepted"] == 1, st
    rbs = [raw_rcvbuf(pid) for pid in gws.values()]
    assert all(0 < rb <= 8 << 20 for rb in rbs), rbs
    end_all(env, clis)


@test
def full_call_manager_answers_status_and_says_why(env):
    """A call manager holds 64 calls: with all 64 up pptp --status still
    answers, and a 65th tunnel is told why it gets none (it was told the
    manager "keeps going away", and --status had no answer)."""
    env.server("--max-channels", "65")
    clis = [env.client() for _ in range(64)]
    for cli in clis:
        cli.wait_up()
    assert len(calls_of(status_json(env))) == 64
    extra = env.client()
    assert extra.exit_status() == 1, extra.stderr()
    assert "already holds 64 calls, its most" in extra.stderr(), \
        extra.stderr()
    for i, cli in enumerate(clis):
        passes_data(cli, b"tunnel %d" % i)
    end_all(env, clis)


@test
def status_answers_with_a_connection_a_call(env):
    """64 tunnels to a server of one call a connection (poptop): the
    answer (130 lines) is more than the reader's socket holds at once;
    it comes whole, every time (it was cut off, and --status failed)."""
    env.server("--max-channels", "1", "--one-call")
    clis = [env.client() for _ in range(64)]
    for cli in clis:
        cli.wait_up()
    for _ in range(5):
        doc = status_json(env)
        assert len(calls_of(doc)) == 64, doc
        assert len(doc["managers"][0]["connections"]) == 64, doc
    # a reader that asks and never reads is dropped within 2 s, its
    # answer cut short, and the others are answered meanwhile
    lazy = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    lazy.connect(os.path.join(env.rundir, os.listdir(env.rundir)[0]))
    lazy.send(b"\x00\x06\x00\x04")       # CM_STATUS_REQ
    assert len(calls_of(status_json(env))) == 64
    time.sleep(2.5)
    lazy.settimeout(1)
    got = list(iter(lambda: lazy.recv(2000), b""))
    assert 0 < len(got) < 130, len(got)
    lazy.close()
    end_all(env, clis)


@test
def share_connection_never(env):
    srv = env.server("--max-channels", "8")
    clis = tunnels(env, 2, "--share-connection", "never")
    assert connections(srv) == 2
    end_all(env, clis)


@test
def share_connection_always(env):
    srv = env.server("--max-channels", "1")
    clis = [env.client("--share-connection", "always") for _ in range(2)]
    for i, cli in enumerate(clis):
        cli.wait_up()
        passes_data(cli, b"forced %d" % i)
    assert connections(srv) == 1, srv.lines("accept")
    end_all(env, clis)


@test
def server_failing_second_call_is_remembered(env):
    """It said 4 but closes on a second call: the one that was placed
    again on a connection of its own, and so is every call after it."""
    srv = env.server("--max-channels", "4", "--one-call")
    a = env.client("--debug")       # the manager logs to a's stderr
    a.wait_up()
    b = env.client()
    b.wait_up()
    srv.wait("close second call on one connection")
    st = a.exit_status()
    assert st == 6, st              # the server took the first one down
    passes_data(b, b"b placed again")
    c = env.client()
    c.wait_up()
    passes_data(c, b"c on its own")
    passes_data(b, b"b still")
    assert connections(srv) == 3, srv.lines("accept")
    note = "the server failed a second call over one control connection"
    assert a.stderr().count(note) == 1, a.stderr()
    assert srv.text().count("close second call") == 1
    end_all(env, [b, c])


@test
def differing_options_get_their_own_connection(env):
    srv = env.server("--max-channels", "8")
    clis = tunnels(env, 2, each=[["--client-hostname", "alpha"],
                                 ["--client-hostname", "beta",
                                  "--idle-wait", "30"]])
    assert connections(srv) == 2
    hosts = re.findall(r"hostname=(\S+)", "\n".join(srv.lines("recv SCCRQ")))
    assert sorted(hosts) == ["alpha", "beta"], hosts
    socks = [f for f in os.listdir(env.rundir) if f.startswith("192.0.2.1-")]
    assert len(socks) == 2, socks
    end_all(env, clis)


@test
def client_hostname_option(env):
    srv = env.server()
    cli = env.client("--client-hostname", "vpn-box 1")
    cli.wait_up()
    assert "hostname=vpn-box 1 vendor=" in srv.text()
    cli.hangup()
    assert cli.exit_status() == 0
    bad = run_pptp(["192.0.2.1", "--client-hostname", "x" * 65])
    assert bad.returncode == 2 and "--client-hostname" in bad.stderr


@test
def namespaces_kept_apart(env):
    """One server address from two namespaces: a manager for each."""
    tag = env.sns[3:11]
    sh(f"ip -n {env.sns} link add br{tag} type bridge")
    sh(f"ip -n {env.sns} link set vs{tag} master br{tag}")
    sh(f"ip -n {env.sns} addr flush dev vs{tag}")
    sh(f"ip -n {env.sns} addr add 192.0.2.1/24 dev br{tag}")
    sh(f"ip -n {env.sns} link set br{tag} up")
    other = f"ppo{tag}"
    sh(f"ip netns add {other}")
    env.extra_ns.append(other)
    sh(f"ip link add vt{tag} netns {env.sns} type veth peer name vo{tag} "
       f"netns {other}")
    sh(f"ip -n {env.sns} link set vt{tag} master br{tag}")
    sh(f"ip -n {env.sns} link set vt{tag} up")
    sh(f"ip -n {other} addr add 192.0.2.4/24 dev vo{tag}")
    sh(f"ip -n {other} link set vo{tag} up")
    sh(f"ip -n {other} link set lo up")
    srv = env.server("--max-channels", "8")
    a = env.client()
    a.wait_up()
    b = env.client(netns=other)
    b.wait_up()
    passes_data(a, b"from the first namespace")
    passes_data(b, b"from the second namespace")
    assert connections(srv) == 2, srv.lines("accept")
    socks = [f for f in os.listdir(env.rundir) if f.startswith("192.0.2.1-")]
    assert len(socks) == 2, socks
    end_all(env, [a, b])


@test
def route_kept_while_old_manager_says_goodbye(env):
    """A new tunnel starts while the old manager waits for StopCCRP."""
    routed(env)
    for p in env.procs:
        p.kill()
        p.wait()
    srv = env.server("--stopccrp-delay", "1500", listen="203.0.113.1")
    a = env.client(host="203.0.113.1")
    a.wait_up()
    a.hangup()
    assert a.exit_status() == 0
    b = env.client(host="203.0.113.1")
    b.wait_up()
    srv.wait("recv StopCCRQ")
    assert managers() == 2
    # the old one gives up waiting for StopCCRP after a second, and goes
    assert wait_until(lambda: managers() == 1, 3)
    assert "proto 47" in host_route(env), host_route(env)
    passes_data(b, b"route still there")
    b.hangup()
    assert b.exit_status() == 0
    no_leftovers(env)
    assert host_route(env) == "", host_route(env)


def managers():
    return len([t for t in titles() if "call manager" in t])


def route_shared(env, a_args, b_args):
    """Two call managers rely on one host route: the first to go leaves
    it to the other, the last removes it."""
    a = env.client(*a_args, host="203.0.113.1")
    a.wait_up()
    b = env.client(*b_args, host="203.0.113.1")
    b.wait_up()
    passes_data(b, b"routed")
    assert managers() == 2
    a.hangup()
    assert a.exit_status() == 0
    assert wait_until(lambda: managers() == 1, 5)
    assert "proto 47" in host_route(env), host_route(env)
    passes_data(b, b"still routed")
    b.hangup()
    assert b.exit_status() == 0
    no_leftovers(env)
    assert host_route(env) == "", host_route(env)


@test
def route_shared_by_two_localbinds(env):
    routed(env)
    sh(f"ip -n {env.cns} addr add 192.0.2.4/24 dev vc{env.sns[3:11]}")
    route_shared(env, ["--localbind", "192.0.2.2"],
                 ["--localbind", "192.0.2.4"])


@test
def route_shared_by_two_marks(env):
    """Other --rtmark values, same routing table: one route for both."""
    routed(env)
    route_shared(env, ["--rtmark", "1"], ["--rtmark", "2"])


@test
def route_shared_across_run_directories(env):
    """The route is one whatever --rundir the tunnels use."""
    routed(env)
    route_shared(env, [], ["--rundir", env.path("run2")])


@test
def signal_while_resolving_acted_on_at_once(env):
    """DNS that never answers: a stop signal still ends pptp at once."""
    conf = f"/etc/netns/{env.cns}"
    os.makedirs(conf, exist_ok=True)
    try:
        with open(f"{conf}/resolv.conf", "w") as f:
            # on the client's link, and silent: no ARP answer, no reply
            f.write("nameserver 192.0.2.9\noptions timeout:30 attempts:1\n")
        p = subprocess.Popen(["ip", "netns", "exec", env.cns, PPTP,
                              "vpn.pptp-test.example", "--nolaunchpppd",
                              "--rundir", env.rundir],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        env.procs.append(p)
        time.sleep(1)
        assert p.poll() is None, p.communicate()
        t = time.monotonic()
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=5)
        took = time.monotonic() - t
        assert took < 0.1, took
        assert p.returncode == 0, (p.returncode, err)
        assert b"signal while resolving the server: giving up" in err, err
    finally:
        subprocess.run(["rm", "-rf", conf])


@test
def signal_while_waiting_for_the_rundir_lock(env):
    """Another instance holds the run directory's lock (here: the test):
    a stop signal meanwhile ends pptp at once, with status 0."""
    import fcntl
    env.server()
    os.makedirs(env.rundir, mode=0o700, exist_ok=True)
    lock = os.open(env.rundir, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        cli = env.client()
        time.sleep(0.5)
        assert cli.proc.poll() is None, cli.stderr()
        t = time.monotonic()
        cli.proc.send_signal(signal.SIGTERM)
        st = cli.exit_status()
        took = time.monotonic() - t
        assert took < 0.1, took
        assert st == 0, (st, cli.stderr())
    finally:
        os.close(lock)
    no_leftovers(env)


@test
def call_ids_unique_across_call_managers(env):
    """Two managers for one server (other options), made to start at the
    same call ID (pptp-hooks): the second takes another, and neither
    tunnel sees the other's frames."""
    global PPTP
    assert HOOKS, "no --pptp-hooks binary: make integration builds one"
    plain, PPTP = PPTP, HOOKS
    try:
        env.vars["PPTP_FIRST_CALL_ID"] = "16962"
        srv = env.server("--max-channels", "8")
        a = env.client("--client-hostname", "alpha")
        a.wait_up()
        b = env.client("--client-hostname", "beta")
        b.wait_up()
        ids = re.findall(r"recv OCRQ call_id=(\d+)", srv.text())
        assert len(ids) == 2 and ids[0] != ids[1], ids
        assert ids[0] == "16962", ids
        passes_data(a, b"for a only")
        passes_data(b, b"for b only")
        assert b.recv_frames(1, timeout=0.3) == []
        end_all(env, [a, b])
    finally:
        PPTP = plain


@test
def call_manager_stopped_takes_no_newcomer(env):
    """SIGTERM to a manager: it stops listening at once; a tunnel started
    then gets a manager of its own, and the old one goes."""
    srv = env.server("--no-cdn")
    a = env.client()
    a.wait_up()
    mgr = [p for p in pptp_pids() if title_of(p).startswith(
        "pptp: call manager")]
    assert len(mgr) == 1, mgr
    os.kill(mgr[0], signal.SIGTERM)
    b = env.client()
    b.wait_up()
    assert wait_until(lambda: not os.path.exists(f"/proc/{mgr[0]}") or
                      open(f"/proc/{mgr[0]}/stat").read().split()[2] == "Z",
                      4), "the stopped manager lives on"
    assert connections(srv) == 2, srv.lines("accept")
    passes_data(b, b"new manager")
    b.hangup()
    assert b.exit_status() == 0
    a.exit_status()
    no_leftovers(env)


@test
def first_call_loses_nothing_while_second_placed(env):
    for share in ("8", "1"):
        # "1" as poptop: a wrongly shared call takes the first one down
        srv = env.server("--max-channels", share,
                         *(["--one-call"] if share == "1" else []),
                         listen="192.0.2.1" if share == "8" else "192.0.2.3")
        host = "192.0.2.1" if share == "8" else "192.0.2.3"
        a = env.client(host=host)
        a.wait_up()
        sent, got = [], []
        b = None
        for i in range(300):
            frame = b"\xff\x03\x00\x21" + b"frame %05d " % i + b"x" * 200
            a.send(frame)
            sent.append(frame)
            if i == 20:
                b = env.client(host=host)
            got += a.recv_frames(1, timeout=0.01)
        got += a.recv_frames(len(sent) - len(got), timeout=5)
        b.wait_up()
        assert got == sent, (share, len(got), len(sent))
        end_all(env, [a, b])


def icmp_unreachables(ns):
    """ICMP destination-unreachable messages the namespace has sent."""
    out = subprocess.run(["ip", "netns", "exec", ns, "cat",
                          "/proc/net/snmp"], capture_output=True,
                         text=True).stdout.splitlines()
    icmp = [l.split()[1:] for l in out if l.startswith("Icmp:")]
    return int(dict(zip(icmp[0], icmp[1]))["OutDestUnreachs"])


@test
def call_cleared_before_gre_socket_closes(env):
    """pppd goes; the server's pppd still sends while the call is
    cleared: that GRE is taken in, not answered with ICMP protocol-
    unreachable (on which poptop drops the connection unread)."""
    srv = env.server("--goodbye-gre", "20")
    cli = env.client()
    cli.wait_up()
    passes_data(cli, b"hello")
    before = icmp_unreachables(env.cns)
    cli.hangup()
    assert cli.exit_status() == 0
    srv.wait("sent 20 goodbye GRE packets")
    srv.wait("send CDN")
    srv.wait("recv StopCCRQ")
    no_leftovers(env)
    assert icmp_unreachables(env.cns) == before, "ICMP sent"


def titles():
    """The process titles of every live pptp process."""
    out = []
    for pid in pptp_pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                out.append(f.read().split(b"\0")[0].decode())
        except OSError:
            pass
    return out


# --- pptp --status -------------------------------------------------------------

def status(env, *args, ns=None):
    """pptp --status ARGS in the client's namespace: (status, stdout)."""
    r = subprocess.run(["ip", "netns", "exec", ns or env.cns, PPTP,
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


@test
def status_shows_every_tunnel(env):
    """Two tunnels to one server, one to another address: the table and
    the JSON document show each, with the figures traffic moved."""
    srv = env.server("--max-channels", "8")
    srv3 = env.server(listen="192.0.2.3")
    a = env.client()
    a.wait_up()
    b = env.client()
    b.wait_up()
    c = env.client(host="192.0.2.3")
    c.wait_up()
    for i in range(10):
        passes_data(a, b"frame %d" % i)
    ids = re.findall(r"recv OCRQ call_id=(\d+)", srv.text())
    st, out, _ = status(env)
    assert st == 0, (st, out)
    assert out.count("192.0.2.1: call manager") == 1, out
    assert out.count("192.0.2.3: call manager") == 1, out
    assert f"call {ids[0]}, server's" in out, out
    assert 'server "fakepptpd", vendor "pptp test server"' in out, out
    assert "rx 10 packets" in out and "tx 10 packets" in out, out
    doc = status_json(env)
    assert doc["version"] == 1, doc
    assert len(doc["managers"]) == 2, doc
    m1 = [m for m in doc["managers"] if m["server"] == "192.0.2.1"][0]
    assert m1["host"] == "192.0.2.1" and m1["share"] == "auto", m1
    conn = m1["connections"][0]
    assert conn["state"] == "up" and conn["local"] == "192.0.2.2", conn
    assert conn["peer_host"] == "fakepptpd", conn
    assert conn["peer_vendor"] == "pptp test server", conn
    assert conn["firmware"] == 0x0102 and conn["max_channels"] == 8, conn
    assert conn["ncalls"] == 2 and len(conn["calls"]) == 2, conn
    calls = {str(k["call_id"]): k for _, _, k in calls_of(doc)}
    ka = calls[ids[0]]
    assert ka["state"] == "up", ka
    assert ka["rx_packets"] == 10 and ka["tx_packets"] == 10, ka
    assert ka["rx_bytes"] == ka["tx_bytes"] > 10 * 8, ka
    assert ka["pppd"] == os.getpid(), (ka, os.getpid())
    assert ka["peer_call_id"] > 0 and ka["since"] > 0, ka
    assert calls[ids[1]]["rx_packets"] == 0, calls[ids[1]]
    assert len(calls) == 3, calls
    # only the tunnels to one server
    doc3 = status_json(env, "192.0.2.3")
    assert [m["server"] for m in doc3["managers"]] == ["192.0.2.3"], doc3
    st, out, _ = status(env, "192.0.2.9")
    assert st == 3 and "no tunnels to 192.0.2.9" in out, (st, out)
    end_all(env, [a, b, c])
    st, out, _ = status(env)
    assert st == 3 and "no tunnels" in out, (st, out)


@test
def status_counts_loss_and_reordering(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 3", "gre 4", "gre 2",
                                  "gre 5", "gre 7"], "--timeout", "0.2",
                            n=6)
    assert seqs == [1, 2, 3, 4, 5, 7], seqs
    (_, _, k), = calls_of(status_json(env))
    assert k["rx_packets"] == 6 and k["rx_lost"] == 1, k
    assert k["rx_reordered"] == 3, k
    assert k["reorder_wait_ms"] == 200, k


@test
def status_states_while_connecting_and_clearing(env):
    env.server("--sccrp", "never")
    cli = env.client()
    cli.wait_log("connected to")
    assert wait_until(lambda: status(env)[0] == 0, 3)
    (m, c, k), = calls_of(status_json(env))
    assert c["state"] == "connecting" and k["state"] == "connecting", c
    assert "peer_host" not in c, c
    cli.proc.send_signal(signal.SIGTERM)
    assert cli.exit_status() == 0
    no_leftovers(env)
    for p in env.procs:
        p.kill()
        p.wait()
    env.server("--no-cdn")
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    # the call waits up to a second for the CDN that never comes
    assert wait_until(lambda: '"state": "clearing"' in json.dumps(
        status_json(env)), 1), status(env)
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def status_json_escapes_whatever_the_server_says(env):
    name = bytes([0x22, 0x5c, 0x41, 0x0a, 0x09, 0x01, 0x7f, 0xc3, 0x28,
                  0xff, 0x20, 0x25, 0x3d]) + b"end"
    env.server("--hostname-hex", name.hex())
    cli = env.client()
    cli.wait_up()
    doc = status_json(env)      # json.loads: valid, whatever the bytes
    got = doc["managers"][0]["connections"][0]["peer_host"]
    assert got == name.decode("latin-1"), (got, name)
    st, out, _ = status(env)
    assert st == 0 and "\\x0a" in out and "\n" not in out.split(
        "server \"")[1].split("\"")[0], out
    cli.hangup()
    cli.exit_status()


@test
def status_readers_that_hang_or_lie_stall_nothing(env):
    """A reader that never speaks, one that asks and never reads, and
    one that sends garbage: traffic goes on, and status still answers."""
    env.server()
    cli = env.client()
    cli.wait_up()
    sock = [f for f in os.listdir(env.rundir) if f.startswith("192.0.2.1")]
    path = os.path.join(env.rundir, sock[0])
    silent, asker, liar = (socket.socket(socket.AF_UNIX,
                                         socket.SOCK_SEQPACKET)
                           for _ in range(3))
    for s_ in (silent, asker, liar):
        s_.connect(path)
    asker.send(b"\x00\x06\x00\x04")        # CM_STATUS_REQ, never read
    liar.send(b"\xde\xad\xbe\xef" * 10)
    for i in range(50):
        passes_data(cli, b"still flowing %d" % i)
    st, out, _ = status(env)
    assert st == 0 and "rx 50 packets" in out, (st, out)
    assert liar.recv(100) == b""        # dropped, and said so
    for s_ in (silent, asker, liar):
        s_.close()
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def status_for_root_alone(env):
    """The run directory is root's (0700): another user's pptp --status
    gets a refusal, not the tunnels."""
    os.chmod(env.dir, 0o755)
    env.server()
    cli = env.client()
    cli.wait_up()
    assert stat.S_IMODE(os.stat(env.rundir).st_mode) == 0o700
    r = subprocess.run(["ip", "netns", "exec", env.cns, "setpriv",
                        "--reuid=65534", "--regid=65534", "--clear-groups",
                        PPTP, "--status", "--rundir", env.rundir],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "cannot read" in r.stderr and "Permission denied" in r.stderr, \
        r.stderr
    assert "192.0.2.1" not in r.stdout, r.stdout
    cli.hangup()
    assert cli.exit_status() == 0


@test
def without_privileges_nothing_reaches_the_server(env):
    """As another user, or with CAP_NET_RAW alone: pptp says what it
    needs and stops before it connects; the server sees nothing."""
    os.chmod(env.dir, 0o755)
    srv = env.server()
    base = ["ip", "netns", "exec", env.cns, "setpriv", "--reuid=65534",
            "--regid=65534", "--clear-groups"]
    raw = ["--inh-caps=+net_raw", "--ambient-caps=+net_raw"]
    for caps, args, words in (
            ([], [], "needs root, or CAP_NET_RAW, to open its raw GRE"),
            (raw, [], "needs root, or CAP_NET_ADMIN, to add the host "
             "route"),
            (raw, ["--nohostroute", "--rtmark", "7"],
             "needs root, or CAP_NET_ADMIN, to mark its packets")):
        r = subprocess.run(base + caps + [PPTP, "192.0.2.1",
                                          "--nolaunchpppd", "--rundir",
                                          env.path("run-nobody")] + args,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=10)
        assert r.returncode == 1 and words in r.stderr, (caps, args, r)
    assert not srv.lines("accept connection"), srv.text()


@test
def status_options_refused_where_meaningless(env):
    r = run_pptp(["--json"])
    assert r.returncode == 2 and "--json goes with --status" in r.stderr
    r = run_pptp(["--status", "a", "b"])
    assert r.returncode == 2 and "at most one server" in r.stderr


# --- the rendezvous: run directory, socket, peers -------------------------------

def manager_socket(env):
    names = [f for f in os.listdir(env.rundir) if f.startswith("192.0.2.1")]
    assert len(names) == 1, names
    return os.path.join(env.rundir, names[0])


SOCKET_PROBE = """
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
print(os.getpid(), flush=True)
try:
    s.send(bytes.fromhex("00060004"))   # CM_STATUS_REQ
except OSError:
    pass
s.settimeout(5)
try:
    print(repr(s.recv(2000)))
except ConnectionResetError:        # closed with our request unread
    print(repr(b""))
"""


@test
def another_user_refused_by_the_call_manager(env):
    """Where the socket is reachable (the test opens the run directory
    and the socket), another user's client is refused for its
    credentials, and the call manager says whose; root is still served.
    The socket is srw------- even under umask 0."""
    env.server()
    cli = env.client("--debug", umask=0)
    cli.wait_up()
    path = manager_socket(env)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, oct(mode)
    for p in (env.dir, env.rundir):
        os.chmod(p, 0o755)
    os.chmod(path, 0o666)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", sys.executable, "-c",
                        SOCKET_PROBE, path],
                       capture_output=True, text=True, timeout=10)
    pid, got = r.stdout.split("\n")[:2]
    assert r.returncode == 0 and got == "b''", (r.stdout, r.stderr)
    cli.wait_log(f"callmgr 192.0.2.1: refused a client of uid 65534 (pid "
                 f"{pid}): only root and uid 0 may use this call manager")
    os.chmod(env.rundir, 0o700)
    st, out, _ = status(env)
    assert st == 0 and "call " in out, (st, out)
    passes_data(cli, b"still served")
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def silent_clients_dropped_at_their_deadline(env):
    """Clients that connect and never speak hold no slot, no manager
    and no control connection past 5 s; a tunnel placed meanwhile
    works."""
    srv = env.server()
    cli = env.client("--debug")
    cli.wait_up()
    path = manager_socket(env)
    silent = [socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
              for _ in range(3)]
    t = time.monotonic()
    for s_ in silent:
        s_.connect(path)
    cli2 = env.client()
    cli2.wait_up()
    passes_data(cli2, b"placed while they sat there")
    for s_ in silent:
        s_.settimeout(10)
        assert s_.recv(100) == b""
        s_.close()
    took = time.monotonic() - t
    assert 4.5 < took < 6.5, took
    assert cli.stderr().count("said nothing in 5 s: dropping it") == 3, \
        cli.stderr()
    passes_data(cli2, b"and after")
    # alone with a silent client, the manager still ends
    last = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    last.connect(path)
    t = time.monotonic()
    cli.hangup()
    cli2.hangup()
    assert cli.exit_status() == 0 and cli2.exit_status() == 0
    srv.wait("recv StopCCRQ", 10)
    assert wait_until(lambda: not pptp_pids(), 10), pptp_pids()
    assert time.monotonic() - t < 6.5, time.monotonic() - t
    last.close()
    no_leftovers(env)


@test
def unsafe_run_directory_refused(env):
    """A run directory that is a symbolic link (with or without a
    trailing slash), writable by group or others, another user's, or
    no directory: refused in one line before anything reaches the
    server; a safe one then works."""
    srv = env.server()
    real = env.path("real")
    os.mkdir(real, 0o700)
    cases = [
        (lambda: os.symlink(real, env.rundir), "",
         "is a symbolic link: not using it"),
        (lambda: os.symlink(real, env.rundir), "/",
         "is a symbolic link: not using it"),
        (lambda: os.mkdir(env.rundir), "",
         "is writable by group or others (mode 0777): not using it"),
        (lambda: os.mkdir(env.rundir), "",
         "is writable by group or others (mode 0770): not using it"),
        (lambda: os.mkdir(env.rundir), "",
         "belongs to uid 65534, not root (or uid 0): not using it"),
        (lambda: open(env.rundir, "w").close(), "",
         "is not a directory: not using it"),
    ]
    for i, (make, slash, words) in enumerate(cases):
        make()
        if "0777" in words:
            os.chmod(env.rundir, 0o777)
        elif "0770" in words:
            os.chmod(env.rundir, 0o770)
        elif "65534" in words:
            os.chmod(env.rundir, 0o700)
            os.chown(env.rundir, 65534, 65534)
        cli = env.client("--rundir", env.rundir + slash)
        assert cli.exit_status() == 1, (words, cli.stderr())
        assert f"pptp: run directory {env.rundir} {words}" in \
            cli.stderr(), (words, cli.stderr())
        assert len(cli.stderr().splitlines()) == 1, cli.stderr()
        assert os.listdir(real) == [], os.listdir(real)
        subprocess.run(["rm", "-rf", env.rundir])
    assert not srv.lines("accept connection"), srv.text()
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def relative_rundir_made_absolute(env):
    """--rundir run, from the directory above: the call manager (which
    works from /) still removes its socket at the end."""
    env.server()
    cli = env.client("--rundir", "run/", cwd=env.dir)
    cli.wait_up()
    assert manager_socket(env)
    st, out, _ = status(env)
    assert st == 0 and "call " in out, (st, out)
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    r = run_pptp(["127.0.0.1", "--nolaunchpppd", "--rundir", ""])
    assert r.returncode == 2 and "--rundir: an empty name is no " \
        "directory" in r.stderr, r.stderr


CM_CALL_DOWN = 3


@test
def instance_trusts_only_its_own_call_managers(env):
    """What answers on the socket must be root's or ours (SO_PEERCRED):
    another user's listener there is refused.  A trusted manager's
    words are logged escaped, and a status pptp does not know is exit
    status 1, said so."""
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    name = os.path.basename(manager_socket(env))
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    path = os.path.join(env.rundir, name)
    # another user's socket, left in the run directory
    os.chmod(env.dir, 0o755)
    os.chmod(env.rundir, 0o777)
    listener = subprocess.Popen(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         sys.executable, "-c", "import socket, sys, time\n"
         "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
         "s.bind(sys.argv[1]); s.listen(8); print('ready', flush=True)\n"
         "time.sleep(60)\n", path], stdout=subprocess.PIPE, text=True)
    env.procs.append(listener)
    assert listener.stdout.readline() == "ready\n"
    os.chmod(env.rundir, 0o700)
    cli = env.client()
    assert cli.exit_status() == 1, cli.stderr()
    assert f"pptp: the call manager at {path} is of uid 65534 (pid " \
        f"{listener.pid}), not root or ours: not using it" in \
        cli.stderr(), cli.stderr()
    st, out, err = status(env)
    assert st == 1 and f"pptp: status: the call manager at {path} is of " \
        f"uid 65534 (pid {listener.pid}), not root or ours: not asked" in \
        err, (st, out, err)
    listener.kill()
    listener.wait()
    os.unlink(path)
    # root's, saying odd things
    why = b"refused\x1b[31m\nforged line\x7f"
    for status_, code, words in ((77, 1, "the call manager ended the "
                                  "call with status 77, which pptp does "
                                  "not know: exit status 1"),
                                 (5, 5, None)):
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        lsock.bind(path)
        lsock.listen(1)
        cli = env.client()
        conn, _ = lsock.accept()
        conn.settimeout(5)
        assert conn.recv(2000)[:2] == b"\x00\x01"     # CM_CALL_REQ
        body = status_.to_bytes(2, "big") + b"\0\0" + why.ljust(256, b"\0")
        conn.send(CM_CALL_DOWN.to_bytes(2, "big") +
                  (4 + len(body)).to_bytes(2, "big") + body)
        assert cli.exit_status() == code, cli.stderr()
        err = cli.stderr()
        assert "pptp: refused\\x1b[31m\\x0aforged line\\x7f\n" in err, err
        assert words is None or f"pptp: {words}\n" in err, err
        conn.close()
        lsock.close()
        os.unlink(path)
    # root's, with odd words for pptp --status's table
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    lsock.bind(path)
    lsock.listen(1)
    asker = subprocess.Popen(["ip", "netns", "exec", env.cns, PPTP,
                              "--status", "--rundir", env.rundir],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    conn, _ = lsock.accept()
    conn.settimeout(5)
    assert conn.recv(2000) == b"\x00\x06\x00\x04"     # CM_STATUS_REQ
    for line in (b"manager version=1 server=192.0.2.1 host=192.0.2.1 "
                 b"pid=1 netns=1 since=0",
                 b"conn id=1 state=up%1b%5b31m%0a since=0 local=1%0a2",
                 b"end"):
        conn.send(b"\x00\x07\x04\x04" + line.ljust(1024, b"\0"))
    out, err = asker.communicate(timeout=10)
    assert "connection 1: up\\x1b[31m\\x0a " in out and \
        "from 1\\x0a2\n" in out, (out, err)
    conn.close()
    lsock.close()
    os.unlink(path)
    assert not srv.lines("accept connection")[1:], srv.text()


# --- the command: launch mode, routes, test types, options, signals ----------

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
    import json
    if not wait_until(lambda: os.path.exists(path), timeout):
        raise AssertionError("the stand-in pppd reported nothing")
    with open(path) as f:
        return json.load(f)


@test
def launch_mode_runs_pppd_on_a_pty(env):
    out = fake_pppd(env)
    srv = env.server()
    cli = env.client("--debug", "name", "bob", "remotename", "srv",
                     "nodetach", launch=True)
    res = pppd_result(out)
    assert res["isatty"], res
    assert re.fullmatch(r"/dev/pts/\d+", res["argv"][0]), res
    assert res["argv"][1:] == ["38400", "name", "bob", "remotename",
                               "srv", "nodetach"], res
    assert res["frames"] == 20, res
    assert cli.exit_status() == 0, cli.stderr()
    assert "pppd closed its end" in cli.stderr(), cli.stderr()
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def launch_mode_goes_to_background(env):
    out = fake_pppd(env)
    srv = env.server()
    t = time.monotonic()
    cli = env.client("noauth", launch=True)
    assert cli.exit_status() == 0
    assert time.monotonic() - t < 2
    res = pppd_result(out)
    assert res["frames"] == 20 and res["argv"][-1] == "noauth", res
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def launch_mode_sigterm_stops_pppd(env):
    """The sandboxed gateway may not signal pppd (root's): its watchdog
    does, so that pppd ends the link and its status is the command's."""
    out = fake_pppd(env, wait=True)
    srv = env.server()
    cli = env.client("--debug", "nodetach", launch=True)
    pppd_result(out)
    dog = pid_titled("pptp: pppd watchdog for 192.0.2.1")
    st = proc_status(dog)
    assert st["Uid"].startswith("0\t") and st["CapEff"] == NOCAPS and \
        st["CapBnd"] == NOCAPS and st["NoNewPrivs"] == "1", st
    # beyond stdio, its pipe and syslog: never the pty (no hangup then)
    for fd in os.listdir(f"/proc/{dog}/fd"):
        what = os.readlink(f"/proc/{dog}/fd/{fd}")
        assert int(fd) <= 2 or what.startswith(("pipe:", "socket:")), what
    sigterm_ends_pppd_first(env, srv, cli, out)


def sigterm_ends_pppd_first(env, srv, cli, out):
    """SIGTERM to a launching pptp: pppd is asked to end the link, and
    its status for that (5) is the command's, within 2 s."""
    t = time.monotonic()
    cli.proc.send_signal(signal.SIGTERM)
    assert cli.exit_status() == 5, "not pppd's status for SIGTERM"
    assert time.monotonic() - t < 2
    assert os.path.exists(out + ".term"), "pppd was not asked to stop"
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def watchdog_killed_reaped_and_pppd_hung_up(env):
    """SIGKILL to pppd's watchdog: the gateway reaps it (no zombie) and
    says so; the call still ends cleanly, pppd by its hangup (16)."""
    out = fake_pppd(env, wait=True)
    srv = env.server()
    cli = env.client("--debug", "nodetach", launch=True)
    pppd_result(out)
    dog = pid_titled("pptp: pppd watchdog for 192.0.2.1")
    os.kill(dog, signal.SIGKILL)
    cli.wait_log("pppd's watchdog (pid %d) is gone: only a hangup can "
                 "end pppd now" % dog)
    assert wait_until(lambda: not os.path.exists(f"/proc/{dog}"), 2), \
        "the watchdog left a zombie"
    cli.proc.send_signal(signal.SIGTERM)
    assert cli.exit_status() == 16, cli.stderr()
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def gateway_killed_watchdog_ends_pppd(env):
    """SIGKILL to the gateway: pppd's watchdog sends pppd SIGTERM; the
    call manager clears the call; nothing is left."""
    out = fake_pppd(env, wait=True)
    srv = env.server()
    cli = env.client("--debug", "nodetach", launch=True)
    pppd_result(out)
    cli.proc.kill()
    pids = [int(x.split()[0]) for x in open(out + ".pids")]
    assert wait_until(lambda: all_gone(pids), 3), "pppd left"
    assert os.path.exists(out + ".term"), "pppd got no SIGTERM"
    srv.wait("recv CCRQ")
    no_leftovers(env)


@test
def launch_mode_nosandbox_sigterm_stops_pppd(env):
    """--nosandbox: the gateway stays root and asks pppd to end the link
    (SIGTERM) first, as the classic client did."""
    out = fake_pppd(env, wait=True)
    srv = env.server()
    cli = env.client("--debug", "--nosandbox", "nodetach", launch=True)
    pppd_result(out)
    sigterm_ends_pppd_first(env, srv, cli, out)


WRONG_PPPD = """#!/bin/sh
echo "$0" >> "$FAKE_PPPD_OUT.wrong"
exit 1
"""


@test
def pppd_by_its_path_with_a_clean_start(env):
    """Launch mode runs --pppd, or by default the path pptp was built
    with, never what a hostile PATH (an empty element, `.' first, a
    pppd in the current directory and one on PATH) finds; pppd starts
    with every signal at its default and none blocked, whatever the
    user's shell left ignored or blocked (SIGPIPE too), and with no
    descriptor beyond 0-2, even one pptp's parent leaked to it."""
    srv = env.server()
    res = fake_pppd(env)
    shim = env.pppd
    wrongdir = env.path("wrong")
    os.mkdir(wrongdir)
    for d in (env.dir, wrongdir):
        with open(os.path.join(d, "pppd"), "w") as f:
            f.write(WRONG_PPPD)
        os.chmod(os.path.join(d, "pppd"), 0o755)
    env.vars["PATH"] = f":.:{wrongdir}:" + env.vars["PATH"]
    shell = ["env", "--ignore-signal=PIPE,QUIT,USR2,TTOU",
             "--block-signal=USR2,ALRM"]
    default = ["unshare", "-m", "sh", "-c",
               'mount --bind "$0" ' + PPPD_DEFAULT + ' && exec "$@"', shim]
    r = run_pptp(["--help"])
    assert f"(default\n                          {PPPD_DEFAULT};" in \
        r.stdout, r.stdout
    for how, prefix in (("--pppd", shell), ("default", default + shell)):
        leak = os.open("/dev/null", os.O_RDONLY)
        run = Launched(env, ["--debug", "nodetach"], syslog=False,
                       prefix=prefix, pppd_arg=how == "--pppd",
                       cwd=env.dir, pass_fds=(leak,))
        os.close(leak)
        st, _ = run.status(10)
        assert st == 0, (how, st, run.err())
        assert not os.path.exists(res + ".wrong"), (how, open(
            res + ".wrong").read())
        got = pppd_result(res)
        assert got["frames"] == 20, (how, got)
        assert got["fds"] == [0, 1, 2], (how, got)
        masks = pppd_start(res)
        assert masks == {"SigIgn": 0, "SigBlk": 0}, (how, {
            k: hex(v) for k, v in masks.items()})
        srv.wait("recv StopCCRQ")
        no_leftovers(env)
        for f in os.listdir(env.dir):
            if f.startswith("pppd.json"):
                os.unlink(env.path(f))
    # and a relative --pppd is refused
    r = run_pptp(["127.0.0.1", "--pppd", "pppd"])
    assert r.returncode == 2 and "--pppd: 'pppd' is not an absolute " \
        "path" in r.stderr, r.stderr


@test
def pppd_that_cannot_run_said_before_the_server_sees_us(env):
    srv = env.server()
    cli = env.client("--pppd", env.path("no-such-pppd"), launch=True)
    assert cli.exit_status() == 1, cli.stderr()
    assert f"pptp: cannot run pppd {env.path('no-such-pppd')} (--pppd " \
        "names another): No such file or directory" in cli.stderr(), \
        cli.stderr()
    assert not srv.lines("accept connection"), srv.text()


def routed(env):
    """The server at 203.0.113.1, reached through a gateway 192.0.2.1."""
    sh(f"ip -n {env.sns} addr add 203.0.113.1/32 dev lo")
    sh(f"ip -n {env.cns} route add 203.0.113.0/24 via 192.0.2.1")
    return env.server(listen="203.0.113.1")


def host_route(env):
    return subprocess.run(["ip", "-n", env.cns, "route", "show",
                           "203.0.113.1/32"], capture_output=True,
                          text=True).stdout.strip()


@test
def host_route_added_and_removed(env):
    routed(env)
    cli = env.client(host="203.0.113.1")
    cli.wait_up()
    assert re.search(r"callmgr 203.0.113.1: connected to 203.0.113.1 port 1723; added "
                     r"host route via 192.0.2.1 dev vc\w+\n",
                     cli.stderr()), cli.stderr()
    r = host_route(env)
    assert r.startswith("203.0.113.1 via 192.0.2.1 dev vc"), r
    assert "proto 47" in r, r
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    assert host_route(env) == "", host_route(env)


@test
def host_route_removed_after_sigterm_and_server_drop(env):
    routed(env)
    cli = env.client(host="203.0.113.1")
    cli.wait_up()
    assert host_route(env)
    cli.proc.send_signal(signal.SIGTERM)
    assert cli.exit_status() == 0
    no_leftovers(env)
    assert host_route(env) == ""
    for p in env.procs:
        p.kill()
        p.wait()
    env.server("--gre", "drop", listen="203.0.113.1",
               script=["sleep 200", "cdn"])
    cli = env.client(host="203.0.113.1")
    assert cli.exit_status() == 6
    no_leftovers(env)
    assert host_route(env) == ""


@test
def existing_host_route_left_alone(env):
    routed(env)
    sh(f"ip -n {env.cns} route add 203.0.113.1/32 via 192.0.2.1")
    before = host_route(env)
    cli = env.client("--loglevel", "2", host="203.0.113.1")
    cli.wait_up()
    assert "a host route exists: left alone" in cli.stderr() or \
        host_route(env) == before
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    assert host_route(env) == before


@test
def nohostroute(env):
    routed(env)
    cli = env.client("--nohostroute", host="203.0.113.1")
    cli.wait_up()
    assert host_route(env) == ""
    cli.hangup()
    assert cli.exit_status() == 0


@test
def route_through_ppp_warned(env):
    sh(f"ip -n {env.sns} addr add 203.0.113.1/32 dev lo")
    sh(f"ip link add ppp0 netns {env.cns} type veth peer name pz "
       f"netns {env.sns}")
    sh(f"ip -n {env.cns} link set ppp0 up")
    sh(f"ip -n {env.sns} link set pz up")
    sh(f"ip -n {env.cns} route add 203.0.113.0/24 dev ppp0")
    env.server(listen="203.0.113.1")
    cli = env.client("--connect-timeout", "1", host="203.0.113.1")
    cli.wait_log("the route to the server goes through ppp0: the tunnel "
                 "would carry its own packets")
    cli.hangup()
    cli.exit_status()
    no_leftovers(env)


def test_type_expect(kind, rate, n):
    seqs, nxt, out = list(range(1, n + 1)), 0, []
    group = 1 if kind == 1 else 10
    while nxt < n:
        out += seqs[nxt:nxt + rate]
        nxt += rate
        grp = seqs[nxt:nxt + group + 1]
        nxt += group + 1
        if len(grp) < group + 1:
            break
        held, ahead = grp[:-1], grp[-1]
        out += [ahead] + (held[::-1] if kind == 3 else held)
    return out


def run_test_type(env, kind):
    srv = env.server("--gre", "drop")
    cli = env.client("--test-type", str(kind), "--test-rate", "10")
    cli.wait_up()
    for i in range(45):
        cli.send(b"\xff\x03\x00\x21%d" % i)
        time.sleep(0.005)
    time.sleep(0.5)
    got = [int(re.search(r"seq=(\d+)", l).group(1))
           for l in srv.lines("gre rx") if "ack-only" not in l]
    want = test_type_expect(kind, 10, 45)
    assert got[:len(want)] == want, (got, want)
    cli.hangup()


@test
def test_type_1_swaps_two(env):
    run_test_type(env, 1)


@test
def test_type_2_one_ahead_of_ten(env):
    run_test_type(env, 2)


@test
def test_type_3_reverses(env):
    run_test_type(env, 3)


def run_pptp(args, timeout=10):
    return subprocess.run([PPTP] + args, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


@test
def options_rejected_by_name(env):
    bad = [
        (["--timeout", "20"], "--timeout: '20' is not a number of seconds "
         "from 0.01 to 10"),
        (["--timeout", "0.001"], "--timeout: '0.001'"),
        (["--loglevel", "7"], "--loglevel: '7' is not a number from 0 to 2"),
        (["--idle-wait", "abc"], "--idle-wait: 'abc' is not a number"),
        (["--idle-wait", "-5"], "--idle-wait: '-5' is not a number from "
         "0 to 86400"),
        (["--max-echo-wait", "x"], "--max-echo-wait: 'x'"),
        (["--rtmark", "abc"], "--rtmark: 'abc' is not a number"),
        (["--rtmark", "4294967296"], "--rtmark: '4294967296' is not a "
         "32-bit mark"),
        (["--localbind", "1.2.3"], "--localbind: '1.2.3' is not an IPv4"),
        (["--quirks", "FOO"], "--quirks: unknown quirk 'FOO' (known: "
         "BEZEQ_ISRAEL)"),
        (["--test-type", "x"], "--test-type: 'x' is not a number"),
        (["--test-rate", "-1"], "--test-rate: '-1'"),
        (["--missing-window", "0"], "--missing-window: '0'"),
        (["--window", "65536"], "--window: '65536'"),
        (["--timeout", "1e2"], "--timeout: '1e2' is not a number of "
         "seconds from 0.01 to 10"),
        (["--connect-timeout", "0"], "--connect-timeout: '0'"),
        (["--reply-timeout", "601"], "--reply-timeout: '601'"),
        (["--no-such-option"], "unrecognized option"),
        (["--timeout"], "requires an argument"),
    ]
    for args, words in bad:
        p = run_pptp(["127.0.0.1", "--nolaunchpppd"] + args)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert words in p.stderr, (args, p.stderr)
        assert "usage: pptp HOST" in p.stderr, (args, p.stderr)
        assert p.stdout == "", (args, p.stdout)
    p = run_pptp([])
    assert p.returncode == 2 and "no server given" in p.stderr


@test
def options_accepted(env):
    good = [["--phone", "123"], ["--quirks", "BEZEQ_ISRAEL"], ["--debug"],
            ["--sync"], ["--timeout", "0.01"], ["--timeout", "10"],
            ["--nobuffer"], ["--idle-wait", "5"], ["--max-echo-wait", "5"],
            ["--logstring", "work"], ["--localbind", "192.0.2.2"],
            ["--rtmark", "7"], ["--nohostroute"], ["--loglevel", "0"],
            ["--loglevel", "2"], ["--test-type", "3"],
            ["--test-rate", "10"], ["--missing-window", "1000"],
            ["--window", "1"], ["--connect-timeout", "1"],
            ["--reply-timeout", "1"]]
    for args in good:
        p = subprocess.run(["ip", "netns", "exec", env.cns, PPTP,
                            "192.0.2.1", "--nolaunchpppd", "--rundir",
                            env.rundir] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=10)
        # parsed fine: it went on to connect, and was refused
        assert p.returncode == 3, (args, p.returncode, p.stderr)
        assert "connection refused" in p.stderr, (args, p.stderr)
    no_leftovers(env)


@test
def help_and_version(env):
    p = run_pptp(["--version"])
    assert p.returncode == 0 and re.match(r"pptp version \d", p.stdout)
    p = run_pptp(["--help"])
    assert p.returncode == 0 and p.stderr == ""
    for name in ("phone", "nolaunchpppd", "quirks", "debug", "sync",
                 "timeout", "nobuffer", "idle-wait", "max-echo-wait",
                 "logstring", "localbind", "rtmark", "nohostroute",
                 "loglevel", "test-type", "test-rate", "missing-window",
                 "window", "connect-timeout", "reply-timeout", "rundir",
                 "pppd", "version", "help"):
        assert f"--{name}" in p.stdout, name
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "man", "pptp.8")) as f:
        man = f.read().replace("\\-", "-")
    for opt in re.findall(r"--[a-z-]+", p.stdout):
        assert opt in man, f"{opt} is not in pptp.8"


@test
def logstring_starts_each_line(env):
    env.server()
    cli = env.client("--logstring", "office")
    cli.wait_up()
    lines = cli.stderr().splitlines()
    assert lines and all(l.startswith("pptp: office: ") for l in lines), \
        lines
    cli.hangup()


@test
def sighup_and_sigint_end_calls(env):
    srv = env.server()
    for sig in (signal.SIGHUP, signal.SIGINT):
        cli = env.client()
        cli.wait_up()
        t = time.monotonic()
        cli.proc.send_signal(sig)
        assert cli.exit_status() == 0
        no_leftovers(env)
        assert time.monotonic() - t < 2
    assert len(srv.lines("recv StopCCRQ")) == 2


@test
def process_titles(env):
    """Each gateway's title names its server, call ID and --logstring,
    so that SIGUSR1 can go to one tunnel alone."""
    srv = env.server("--max-channels", "8")
    a = env.client("--logstring", "work")
    a.wait_up()
    b = env.client()
    b.wait_up()
    ids = re.findall(r"recv OCRQ call_id=(\d+)", srv.text())
    got = titles()
    assert f"pptp: GRE-to-PPP gateway for 192.0.2.1 call {ids[0]} [work]" \
        in got, got
    assert f"pptp: GRE-to-PPP gateway for 192.0.2.1 call {ids[1]}" in got
    assert "pptp: call manager 192.0.2.1" in got, got
    subprocess.run(["pkill", "-USR1", "-f", f"gateway for 192.0.2.1 call "
                    f"{ids[1]}$"], check=True)
    b.wait_log("round trip")
    time.sleep(0.2)
    assert "round trip" not in a.stderr(), a.stderr()
    end_all(env, [a, b])


def in_order(srv, cli):
    for i in range(30):
        cli.send(b"\xff\x03\x00\x21%d" % i)
    assert len(cli.recv_frames(30)) == 30
    got = [int(re.search(r"seq=(\d+)", l).group(1))
           for l in srv.lines("gre rx") if "ack-only" not in l]
    assert len(got) >= 30 and got == sorted(got), got


@test
def classic_option_values_keep_their_meaning(env):
    """Values from peers files written for the classic client."""
    srv = env.server()
    phone = "".join(f"{i:02d}" for i in range(40))      # 80 characters
    cli = env.client("--idle-wait", "1s", "--rtmark", "0x10", "--phone",
                     phone, "--timeout", "1e0", "--test-type", "4",
                     "--test-rate", "10", "--max-echo-wait", "0")
    cli.wait_up()
    err = cli.stderr()
    for words in ("--idle-wait: '1s' read as 1 (the classic pptp ignored "
                  "'s' too)",
                  "--rtmark: '0x10' is mark 16; the classic pptp read it "
                  "as 0 and set no mark",
                  f"--phone: '{phone}' is longer than 64 characters: "
                  f"sending '{phone[:64]}'",
                  "--test-type: no test 4: packets go in order",
                  "--max-echo-wait 0 means nothing: waiting 60 s"):
        assert words in err, (words, err)
    assert srv.field("recv OCRQ", "phone") == phone[:64]
    ss = subprocess.run(["ip", "netns", "exec", env.cns, "ss", "-tne",
                         "dst", "192.0.2.1"], capture_output=True,
                        text=True).stdout
    assert "fwmark:0x10" in ss, ss
    srv.wait("recv Echo-Request", 3)    # 1 s of silence, not 60
    in_order(srv, cli)
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    srv.proc.kill()
    srv.proc.wait()

    srv = env.server()
    cli = env.client("--idle-wait", "0", "--rtmark", "-1", "--test-type",
                     "1", "--test-rate", "0")
    cli.wait_up()
    assert "--idle-wait 0: no Echo-Requests" in cli.stderr()
    assert "--test-rate 0: no test: packets go in order" in cli.stderr()
    in_order(srv, cli)
    assert "--rtmark: '-1' is mark 0xffffffff, as the classic pptp read " \
        "it" in cli.stderr()
    ss = subprocess.run(["ip", "netns", "exec", env.cns, "ss", "-tne",
                         "dst", "192.0.2.1"], capture_output=True,
                        text=True).stdout
    assert "fwmark:0xffffffff" in ss, ss
    time.sleep(2)
    assert "Echo-Request" not in srv.text(), "--idle-wait 0 still asks"
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


# --- standalone mode as pppd: foreground life, status, stdio, endings --------

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

    def __init__(self, env):
        self.path = env.path("devlog")
        self.realdev = env.path("realdev")
        os.mkdir(self.realdev)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setblocking(False)
        self.got = []

    def wrap(self, cmd):
        return ["unshare", "-m", "sh", "-c", PRIVATE_DEV, "sh",
                self.realdev, self.path] + cmd

    def lines(self):
        """(tag, pid, text) of every line so far."""
        while True:
            try:
                d = self.sock.recv(4096).decode(errors="replace")
            except BlockingIOError:
                break
            m = re.match(r"<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d "
                         r"([^:\[]*(?:\[[^\]]*\])?)\[(\d+)\]: (.*)", d, re.S)
            assert m, f"not a syslog line: {d!r}"
            self.got.append((m.group(1), int(m.group(2)),
                             m.group(3).rstrip("\n")))
        return self.got

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
        cmd = list(prefix) + [pptp or PPTP, "192.0.2.1", "--rundir",
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


@test
def nodetach_stays_with_pppd_and_takes_its_status(env):
    srv = env.server()
    run = Launched(env, ["nodetach"], status=16)
    st, took = run.status(10)
    res = pppd_result(run.res)
    assert res["frames"] == 20, res
    assert st == 16, (st, run.err())
    # pppd's own stdout and stderr are the user's
    assert run.out() == "fake-pppd: started\n", run.out()
    assert "fake-pppd: started\n" in run.err(), run.err()
    assert "MPPE 128-bit stateless compression enabled" in run.err()
    # pptp's messages are still on stderr until the call is up
    assert "pptp: ctrl 192.0.2.1: call" in run.err(), run.err()
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def nodetach_foreground_until_pppd_ends(env):
    srv = env.server()
    run = Launched(env, ["nodetach"], wait=True)
    pppd_result(run.res)
    time.sleep(1)
    assert run.proc.poll() is None, "pptp left the foreground"
    assert "recv CCRQ" not in srv.text()
    # the user's Ctrl-C or kill: pppd ends the link and its status is ours
    t = time.monotonic()
    run.proc.send_signal(signal.SIGINT)
    st, _ = run.status(3)
    assert st == 5, (st, run.err())
    assert time.monotonic() - t < 2
    assert os.path.exists(run.res + ".term"), "pppd was not asked to stop"
    srv.wait("recv StopCCRQ")
    no_leftovers(env)
    run.syslog.wait("callmgr 192.0.2.1: exiting")
    assert "killed by signal" not in str(run.syslog.lines())


@test
def updetach_returns_once_the_link_is_up(env):
    srv = env.server()
    run = Launched(env, ["updetach"], wait=True)
    st, _ = run.status(10)
    assert st == 0, (st, run.err())
    # returned once the "link" was up, not before
    assert os.path.exists(run.res), "pptp returned before the link was up"
    assert "MPPE 128-bit" in run.err(), run.err()
    assert pptp_pids(), "the call did not go on in the background"
    assert "recv CCRQ" not in srv.text()
    assert wait_until(lambda: "background" in run.pppd_pids(), 2)
    os.kill(run.pppd_pids()["background"], signal.SIGTERM)
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def default_detaches_at_once_call_goes_on(env):
    srv = env.server()
    run = Launched(env, [], wait=True)
    st, took = run.status(5)
    assert st == 0, (st, run.err())
    assert run.out() == "fake-pppd: started\n", run.out()
    res = pppd_result(run.res)
    assert res["frames"] == 20, res
    assert pptp_pids(), "the call did not go on in the background"
    assert wait_until(lambda: "background" in run.pppd_pids(), 2)
    os.kill(run.pppd_pids()["background"], signal.SIGTERM)
    run.syslog.wait("pppd closed its end: call ends")
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


def pppd_ends(env, args, end, status, words, bound, pppd_gone=False):
    """pppd ends some way: pptp exits with status, the call is cleared
    within bound seconds of the start, with words in syslog, and nothing
    is left (pppd_gone: the stand-in pppd neither, by itself)."""
    srv = env.server()
    run = Launched(env, args, end=end)
    st, _ = run.status(bound)
    assert st == status, (st, run.err())
    run.syslog.wait(words, bound)
    srv.wait("recv StopCCRQ", bound)
    if not wait_until(lambda: not pptp_pids(), bound):
        raise AssertionError("pptp processes left")
    assert time.monotonic() - run.started < bound, "too slow"
    if pppd_gone:
        pids = [int(x.split()[0]) for x in open(run.res + ".pids")]
        assert wait_until(lambda: all_gone(pids), 3), "pppd left"
    run.kill_pppd()
    no_leftovers(env)
    return run


@test
def pppd_fails_its_status_is_ours(env):
    run = pppd_ends(env, ["nodetach"], "exit:19", 19,
                    "pppd exited with status 19: call ends", 3)
    assert "fake-pppd: exiting 19" in run.err(), run.err()


@test
def pppd_fails_before_detaching(env):
    pppd_ends(env, [], "exit:2", 2, "pppd exited with status 2", 3)


@test
def pppd_killed_status_128_plus_signal(env):
    pppd_ends(env, ["nodetach"], "signal:9", 137,
              "pppd killed by signal 9: call ends", 3)


@test
def pppd_exits_0_without_opening_the_pty(env):
    # `dryrun', or a pppd that says it is done: the pty deadline ends it
    pppd_ends(env, ["nodetach"], "exit:0", 0,
              "pppd wrote nothing on its pty in 10 s: call ends", 13)


@test
def pppd_child_dies_before_opening_the_pty(env):
    pppd_ends(env, [], "child-exit:1", 0,
              "pppd wrote nothing on its pty in 10 s: call ends", 13)


@test
def pppd_child_dies_after_opening_the_pty(env):
    pppd_ends(env, [], "child-killed", 0,
              "pppd closed its end: call ends", 5)


@test
def pppd_never_opens_the_pty(env):
    # alive but silent: stopped at the deadline (by its watchdog: the
    # sandboxed gateway may not signal it), its status ours
    run = pppd_ends(env, ["nodetach"], "silent", 5,
                    "pppd wrote nothing on its pty in 10 s: call ends", 13,
                    pppd_gone=True)
    assert "pppd killed" not in str(run.syslog.lines())


@test
def pppd_never_opens_the_pty_nosandbox(env):
    # alive but silent: stopped at the deadline, its status ours
    run = pppd_ends(env, ["nodetach", "--nosandbox"], "silent", 5,
                    "pppd wrote nothing on its pty in 10 s: call ends", 13)
    assert "pppd killed" not in str(run.syslog.lines())


@test
def syslog_tag_is_pptp_in_every_process(env):
    """Every process's lines carry the tag pptp, the logstring and the
    role and server in the text: run from PATH as `pptp' (as pppd's pty
    option runs it), by a long path, with --debug and --logstring."""
    srv = env.server()
    longdir = env.path("a-rather-long-directory-name-for-the-binary")
    os.mkdir(longdir)
    os.symlink(os.path.realpath(PPTP), os.path.join(longdir, "pptp"))
    env.vars["PATH"] = longdir + ":" + env.vars["PATH"]
    for how, args in (("pptp", []),
                      (os.path.join(longdir, "pptp"), ["--logstring",
                                                       "work"]),
                      ("pptp", ["--debug", "--logstring", "work"])):
        run = Launched(env, args + ["nodetach"], pptp=how, wait=True)
        pppd_result(run.res)
        run.syslog.wait("passing data")
        pids = pptp_pids()
        titles = {}
        for pid in pids:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                titles[pid] = f.read().split(b"\\0")[0].decode()
        run.proc.send_signal(signal.SIGTERM)
        assert run.status(5)[0] == 5, run.err()
        run.syslog.wait("callmgr 192.0.2.1: exiting")
        lines = run.syslog.lines()
        prefix = "work: " if "--logstring" in args else ""
        for tag, pid, text in lines:
            assert tag == "pptp", (how, args, tag, text)
            assert text.startswith(prefix), (how, args, text)
            assert "192.0.2.1" in text, (how, args, text)
        # each process has its lines: the call manager, the gateway
        cm = [p for p, t in titles.items() if "call manager" in t]
        gw = [p for p, t in titles.items() if "GRE-to-PPP" in t]
        assert cm and any(p == cm[0] for _, p, _ in lines), (titles, lines)
        if "--debug" not in args:
            assert gw and any(p == gw[0] and "call up" in t
                              for _, p, t in lines), (titles, lines)
        assert any(p == run.proc.pid or "control connection up" in t
                   for _, p, t in lines), lines
        srv.wait("recv StopCCRQ")
        no_leftovers(env)
        srv.proc.kill()
        srv.proc.wait()
        srv = env.server()
        for k in ("FAKE_PPPD_END", "FAKE_PPPD_STATUS"):
            env.vars.pop(k, None)
        for f in os.listdir(env.dir):
            if f.startswith(("pppd.json", "devlog", "realdev", "bin")):
                subprocess.run(["rm", "-rf", env.path(f)])


def acted_on(proc, sig, status, bound=0.3):
    """sig ends proc with status within bound seconds."""
    t = time.monotonic()
    proc.send_signal(sig)
    try:
        st = proc.wait(2)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"signal {sig} not acted on within 2 s")
    took = time.monotonic() - t
    assert st == status, (sig, st)
    assert took < bound, f"signal {sig} took {took:.3f} s"


def survives_usr1(*procs):
    for p in procs:
        os.kill(p if isinstance(p, int) else p.pid, signal.SIGUSR1)
    time.sleep(0.3)
    for p in procs:
        pid = p if isinstance(p, int) else p.pid
        assert os.path.exists(f"/proc/{pid}") and \
            open(f"/proc/{pid}/stat").read().split()[2] != "Z", \
            f"SIGUSR1 killed {pid}"


@test
def signals_while_the_call_is_placed(env):
    # the instance waits for an OCRP that never comes: SIGUSR1 is
    # harmless to it and to its call manager; SIGTERM, SIGINT, SIGHUP end
    # it at once, and the call manager follows
    srv = env.server("--ocrp", "never")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        cli = env.client("--reply-timeout", "60")
        srv.wait("recv OCRQ")
        cm = [p for p in pptp_pids() if p != cli.proc.pid]
        survives_usr1(cli.proc, *cm)
        acted_on(cli.proc, sig, 0)
        assert "signal %d while placing the call: giving up" % sig in \
            cli.stderr(), cli.stderr()
        no_leftovers(env)
        os.unlink(srv.log)
        srv.proc.kill()
        srv.proc.wait()
        srv = env.server("--ocrp", "never")


@test
def signals_to_the_call_manager_while_connecting(env):
    # 192.0.2.9 never answers: the call manager waits on its connect
    cli = subprocess.Popen(["ip", "netns", "exec", env.cns, PPTP,
                            "192.0.2.9", "--nolaunchpppd", "--rundir",
                            env.rundir, "--connect-timeout", "30"],
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    env.procs.append(cli)
    # the command, the call manager and its keeper
    assert wait_until(lambda: len(pptp_pids()) == 3, 3), pptp_pids()
    cm = [p for p in pptp_pids() if title_of(p).startswith(
        "pptp: call manager")][0]
    survives_usr1(cli, cm)
    os.kill(cm, signal.SIGTERM)
    assert wait_until(lambda: cm not in pptp_pids(), 0.3, 0.01), \
        "the call manager did not stop within 0.3 s"
    acted_on(cli, signal.SIGTERM, 0)
    no_leftovers(env)


@test
def signals_to_the_waiting_command_in_launch_mode(env):
    # the command waits for pppd (nodetach): SIGUSR1 goes on to the
    # gateway (statistics), SIGHUP makes pppd end the link: its status
    srv = env.server()
    run = Launched(env, ["nodetach"], wait=True)
    pppd_result(run.res)
    survives_usr1(run.proc)
    run.syslog.wait("round trip")
    acted_on(run.proc, signal.SIGHUP, 5, 0.5)
    assert os.path.exists(run.res + ".term"), "pppd was not asked to stop"
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def sigusr1_before_the_call_in_launch_mode(env):
    srv = env.server("--ocrp", "never")
    run = Launched(env, ["nodetach"])
    srv.wait("recv OCRQ")
    survives_usr1(run.proc)
    acted_on(run.proc, signal.SIGTERM, 0)
    no_leftovers(env)


@test
def messages_for_common_mistakes(env):
    # a pppd option with one dash: one line that says where it goes
    p = run_pptp(["127.0.0.1", "-detach", "name", "bob"])
    assert p.returncode == 2, p
    lines = [l for l in p.stderr.splitlines() if not l.startswith("usage")]
    assert lines == ["pptp: '-detach' is not a pptp option: pppd options "
                     "that start with '-' go after '--' (pptp HOST [pptp "
                     "options] -- -detach)"], p.stderr
    # ... but an option's value may start with one
    p = run_pptp(["--rtmark", "-1", "--version"])
    assert p.returncode == 0, p.stderr
    # -h is --help
    p = run_pptp(["-h"])
    assert p.returncode == 0 and "usage: pptp HOST" in p.stdout, p
    # pppd options with --nolaunchpppd: said at once, not once a call is up
    cli = env.client("name", "bob")
    assert cli.exit_status() == 3
    assert "pppd options ignored with --nolaunchpppd (first: 'name')" in \
        cli.stderr(), cli.stderr()
    no_leftovers(env)


C_SPEC = r"%[-#0 +]*\d*(?:\.\d+|\.\*)?(?:hh|h|ll|l|z|j|t)?[diouxXsc]"


def warning_formats(root):
    """(file, format) of every log_warn, log_warnx, fatal, fatalx."""
    out = []
    for name in sorted(os.listdir(root)):
        if not name.endswith(".c"):
            continue
        with open(os.path.join(root, name)) as f:
            src = f.read()
        for m in re.finditer(r"\b(?:log_warnx?|fatalx?)\(\s*"
                             r"((?:\"(?:[^\"\\]|\\.)*\"\s*)+)", src):
            lits = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", m.group(1))
            out.append((name, "".join(lits)))
    return out


def diagnostics_text(man):
    """pptp(8) DIAGNOSTICS as plain text, one line."""
    t = man[man.index(".SH DIAGNOSTICS"):man.index(".SH SECURITY")]
    t = re.sub(r"\\f[BIRP]", "", t).replace("\\-", "-")
    t = t.replace("\\(aq", "'")
    words = []
    for line in t.splitlines():
        if re.match(r"\.(B|BR|I|IR|BI) ", line):
            words.append(line.split(" ", 1)[1].replace('"', ""))
        elif not line.startswith("."):
            words.append(line)
    return re.sub(r"\s+", " ", " ".join(words))


@test
def diagnostics_name_every_warning(env):
    """Each warning and error the code can log is in pptp(8) DIAGNOSTICS
    (placeholders for its values; the role and server prefix aside)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    with open(os.path.join(root, "man", "pptp.8")) as f:
        text = diagnostics_text(f.read())
    formats = warning_formats(root)
    assert len(formats) > 50, len(formats)
    missing = []
    for name, fmt in formats:
        if re.fullmatch(C_SPEC, fmt):
            continue        # relays a message logged elsewhere
        fmt = re.sub(r"^(gre|callmgr|ctrl|route) %s: |^callmgr: ", "", fmt)
        rx = r".+?".join(re.escape(part.replace('\\"', '"'))
                         for part in re.split(C_SPEC, fmt))
        if not re.search(rx, text):
            missing.append(f"{name}: {fmt}")
    assert not missing, "not in pptp(8) DIAGNOSTICS:\n" + "\n".join(missing)


STAGES = [
    # stage, which process pauses there, its signal, the command's
    # status: pppd's, once launched (the stand-in ends with 5 on SIGTERM,
    # or dies of it, 128 + 15, if it comes while Python starts)
    ("start", "command", signal.SIGTERM, {0}),
    ("resolved", "command", signal.SIGINT, {0}),
    ("callmgr", "call manager", signal.SIGHUP, None),
    ("attached", "command", signal.SIGHUP, {0}),
    ("call-up", "command", signal.SIGTERM, {0}),
    ("background", "gateway", signal.SIGINT, {5, 143}),
    ("pppd-launched", "gateway", signal.SIGHUP, {5, 143}),
]


@test
def signals_at_each_stage_of_start_up(env):
    """pptp-hooks pauses at a named stage (PPTP_PAUSE); a stop signal
    landing there is acted on within 0.1 s by the process it reached,
    the command ends with the status pptp(8) gives, nothing is left."""
    global PPTP
    assert HOOKS, "no --pptp-hooks binary: make integration builds one"
    plain, PPTP = PPTP, HOOKS      # pptp_pids() looks for this binary
    try:
        for stage, who, sig, status in STAGES:
            srv = env.server()
            env.vars["PPTP_PAUSE"] = stage
            run = Launched(env, ["nodetach"], wait=True)
            run.syslog.wait(f"paused at {stage}")
            pid = [int(re.search(r"\(pid (\d+)\)", t).group(1))
                   for _, _, t in run.syslog.lines()
                   if f"paused at {stage}" in t][0]
            n = len(run.syslog.lines())
            t = time.monotonic()
            os.kill(pid, sig)
            if who == "gateway":
                # it stops the call at once, giving pppd its moment (no
                # wait_until: its reaping would take the command's status)
                words = f"signal {int(sig)}: call ends"
                while time.monotonic() - t < 0.1 and not any(
                        words in x for _, _, x in run.syslog.lines()[n:]):
                    time.sleep(0.005)
                assert any(words in x for _, _, x in
                           run.syslog.lines()[n:]), (stage,
                                                     run.syslog.lines()[n:])
            elif who == "command":
                try:
                    run.proc.wait(0.1)
                except subprocess.TimeoutExpired:
                    raise AssertionError(f"{stage}: command still running")
            else:
                assert wait_until(lambda: pid not in pptp_pids(), 0.1,
                                  0.005), (stage, who, "still running")
            took = time.monotonic() - t
            if who == "call manager":
                run.proc.send_signal(signal.SIGTERM)
            st, _ = run.status(5)
            assert status is None or st in status, (stage, st, run.err(),
                                                    run.syslog.lines())
            if not wait_until(lambda: not pptp_pids(), 3):
                raise AssertionError(f"{stage}: left {pptp_pids()}")
            run.kill_pppd()
            no_leftovers(env)
            print(f"    {stage}: {who} acted on signal {int(sig)} in "
                  f"{took * 1000:.0f} ms, status {st}", flush=True)
            srv.proc.kill()
            srv.proc.wait()
            for f in os.listdir(env.dir):
                if f.startswith(("pppd.json", "devlog", "realdev", "bin")):
                    subprocess.run(["rm", "-rf", env.path(f)])
            subprocess.run(["rm", "-rf", env.rundir])
    finally:
        PPTP = plain


@test
def pppd_ends_before_the_gateway_runs(env):
    """pppd fails while the gateway is not yet in its loop (held there by
    pptp-hooks): it is reaped all the same, not left to the pty deadline."""
    global PPTP
    assert HOOKS, "no --pptp-hooks binary: make integration builds one"
    plain, PPTP = PPTP, HOOKS
    try:
        env.vars["PPTP_PAUSE"] = "pppd-launched"
        pppd_ends(env, ["nodetach"], "exit:19", 19,
                  "pppd exited with status 19: call ends", 5)
    finally:
        PPTP = plain


@test
def server_hangup_is_pppds_modem_hangup(env):
    """The server ends the call: pppd's line hangs up, as it did when the
    classic client's gateway went, and pppd's status for that (16) is the
    command's; no TERM, no KILL needed."""
    srv = env.server(script=["sleep 1000", "cdn"])
    run = Launched(env, ["nodetach"], wait=True)
    st, took = run.status(5)
    assert st == 16, (st, run.err())
    assert "Modem hangup" in run.err(), run.err()
    assert not os.path.exists(run.res + ".term"), "pppd got SIGTERM"
    assert took < 3, took
    srv.wait("recv StopCCRQ")
    no_leftovers(env)
    assert "server disconnected the call" in str(run.syslog.lines())


# --- least privilege (pptp(8) SECURITY) -------------------------------------------

EMPTY = "/var/run/pptp/empty"
def sandbox_user():
    """The user pptp's sandboxed processes become (pptp(8) --user)."""
    try:
        return pwd.getpwnam("pptp")
    except KeyError:
        return pwd.getpwnam("nobody")


NOBODY = sandbox_user()
NOCAPS = "0000000000000000"


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f
                    if ":\t" in line)


def pid_titled(prefix, timeout=3):
    pids = []
    wait_until(lambda: pids.extend(p for p in pptp_pids()
                                   if title_of(p).startswith(prefix))
               or pids, timeout)
    assert pids, (prefix, [title_of(p) for p in pptp_pids()])
    return pids[0]


def sandboxed(pid, who):
    """What SECURITY says the call manager and the gateway keep."""
    st = proc_status(pid)
    ids = f"{NOBODY.pw_uid}\t" * 3 + f"{NOBODY.pw_uid}"
    gids = f"{NOBODY.pw_gid}\t" * 3 + f"{NOBODY.pw_gid}"
    assert st["Uid"] == ids and st["Gid"] == gids, (who, st)
    assert st["Groups"].strip() == "", (who, st["Groups"])
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert st[cap] == NOCAPS, (who, cap, st[cap])
    assert st["NoNewPrivs"] == "1", (who, st)
    assert st["Seccomp"] == "2", (who, st)
    if not SANITIZED:       # the leak checker reads /proc at exit
        assert os.stat(f"/proc/{pid}/root").st_ino == \
            os.stat(EMPTY).st_ino, (who, os.readlink(f"/proc/{pid}/root"))
        assert os.listdir(EMPTY) == []
    # beyond stdio (pppd's, the user's): sockets, pipes, the pty,
    # /dev/null, the statistics page; no file
    for fd in os.listdir(f"/proc/{pid}/fd"):
        if int(fd) <= 2:
            continue
        what = os.readlink(f"/proc/{pid}/fd/{fd}")
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
        assert os.readlink(f"/proc/{p}/fd/2") == "/dev/null", p
    boxed.hangup()
    assert boxed.exit_status() == 0
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


def probed(env, args=()):
    """A client with tests/sysprobe.c preloaded (SIGUSR2: the call)."""
    env.vars["LD_PRELOAD"] = PROBE
    env.vars["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    try:
        return env.client(*args)
    finally:
        del env.vars["LD_PRELOAD"]


@test
def forbidden_calls_kill_with_sigsys(env):
    """The filter bites: a gateway that opens a file, or runs a program,
    or signals, is killed by the kernel (SIGSYS); the call is cleared and
    nothing is left.  The same for the call manager, which its keeper
    reports and cleans up after."""
    srv = env.server()
    # a sanitized build's filter lets the leak checker open and signal
    calls = ("execve",) if SANITIZED else ("open", "execve", "kill",
                                           "setown")
    for call in calls:
        env.vars["PPTP_PROBE"] = call
        cli = probed(env)
        cli.wait_up()
        cli.proc.send_signal(signal.SIGUSR2)
        assert cli.exit_status() == -signal.SIGSYS, (call, cli.stderr())
        srv.wait("recv CCRQ")
        no_leftovers(env)
        srv.proc.kill()
        srv.proc.wait()
        srv = env.server()
    env.vars["PPTP_PROBE"] = calls[0]
    cli = probed(env, ["--debug"])
    cli.wait_up()
    os.kill(pid_titled("pptp: call manager"), signal.SIGUSR2)
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


@test
def manager_makes_tcp_sockets_only(env):
    """The call manager's filter lets it make TCP and unix sockets, not
    other stream protocols (MPTCP, SCTP, which may load a module): those
    fail with EACCES and the manager goes on."""
    env.server()
    env.vars["PPTP_PROBE"] = "mptcp"
    cli = probed(env)
    cli.wait_up()
    mgr = pid_titled("pptp: call manager")
    os.kill(mgr, signal.SIGUSR2)
    time.sleep(0.5)
    assert cli.proc.poll() is None, cli.stderr()
    passes_data(cli, b"still here")
    os.kill(mgr, 0)
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


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


# --- runner ------------------------------------------------------------------------

def print_logs(env):
    """The last lines of each log a failed test leaves."""
    for name in sorted(os.listdir(env.dir)):
        if name.endswith((".err", ".log")):
            with open(env.path(name)) as f:
                tail = f.read().splitlines()[-15:]
            print(f"--- {name}")
            print("\n".join(tail))


def main():
    global PPTP, SERVER, HOOKS, PROBE, SANITIZED
    ap = argparse.ArgumentParser()
    ap.add_argument("--pptp", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--pptp-hooks", help="pptp built with test_pause()")
    ap.add_argument("--probe", help="tests/sysprobe.c, built")
    ap.add_argument("--sanitized", action="store_true",
                    help="SANITIZE=1 build: its sandbox lets the leak "
                    "checker open /proc and trace (sandbox.c)")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    PPTP, SERVER, HOOKS, PROBE = a.pptp, a.server, a.pptp_hooks, a.probe
    SANITIZED = a.sanitized
    known = [t.__name__ for t in TESTS]
    unknown = [n for n in a.names if n not in known]
    if unknown:
        for n in unknown:
            like = difflib.get_close_matches(n, known, 3, 0.5)
            print(f"no such test: {n}" +
                  (f" (did you mean {', '.join(like)}?)" if like else ""))
        print("the tests are the @test functions of tests/integration.py")
        return 2
    if os.geteuid() != 0:
        print("integration tests need root (network namespaces, raw "
              "sockets)")
        print("0 passed, 1 failed")
        return 1
    # orphans (the call manager) become ours, so we can reap them
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    chosen = [t for t in TESTS if not a.names or t.__name__ in a.names]
    passed = failed = 0
    for t in chosen:
        env = Env(t.__name__)
        t0 = time.monotonic()
        try:
            t(env)
            passed += 1
            print(f"PASS {t.__name__} ({time.monotonic() - t0:.1f} s)",
                  flush=True)
        except Exception as e:
            failed += 1
            print(f"FAIL {t.__name__}: {e!r}", flush=True)
            traceback.print_exc(limit=3)
            print_logs(env)
        finally:
            env.close()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

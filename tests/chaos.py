#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make chaos: a seeded, randomized fault campaign (issue 16).

Each round, in namespaces of its own (tests/harness.py's Env), brings
up one tunnel or two sharing a server (tests/fakepptpd.c, driven at any
moment through its --commands FIFO), in --nolaunchpppd mode with this
script as pppd or in launch mode with tests/fake-pppd, traffic flowing,
and at a random moment of the life cycle injects one or two faults: a
signal to any pptp process or to pppd, the server misbehaving, the path
failing.  Then it checks what must hold whatever happened: every pptp
process ends within a bound or the tunnel recovers, pppd is told, nothing
is left (processes, socket files, route locks, host routes, zombies,
descriptors in pppd), no frame reaches pppd corrupted, twice or from
another call, the call is cleared on the wire where the connection still
works, and a new tunnel to the same server comes up at once.

The first breach stops the run with the seed, the round, the faults and
the logs.  SEED=N replays a run (the same seed, the same rounds and
faults; timing on a loaded machine still varies).

  chaos.py --pptp PPTP --server FAKEPPTPD [--rounds N] [--seed N]
"""

import argparse
import collections
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import procinfo  # noqa: E402
from harness import Env, fake_pppd, link_of, pptp_pids, wait_until  # noqa: E402,E501

FRAME = b"\xff\x03\x00\x21"
BOUND = 15          # s after the faults heal: ended, or passing data again
SHORT_ECHO = ["--idle-wait", "2", "--max-echo-wait", "2"]


class Breach(Exception):
    pass


def pick_duration(rng):
    """How long a stop, a silence or an outage lasts: mostly short, up
    to 20 s."""
    return rng.choice([0.2, 0.5, 1, 1, 2, 3, 5, 8, 20])


# --- one tunnel and the traffic through it ---------------------------------

class Tunnel:
    """A pptp command: --nolaunchpppd with us as pppd, or launch mode with
    tests/fake-pppd exchanging frames with the echoing server."""

    def __init__(self, env, idx, launch, args):
        self.idx, self.launch = idx, launch
        self.tag = b"t%d " % idx
        self.res = None
        self.cid = None
        if launch:
            self.res = fake_pppd(env, wait=True) if idx == 0 else None
            if self.res is None:                # a second stand-in's files
                self.res = env.path(f"pppd{idx}.json")
            env.vars["FAKE_PPPD_OUT"] = self.res
            env.vars["FAKE_PPPD_TRAFFIC"] = "1"
            args = args + ["nodetach"]
        self.cli = env.client(*args, launch=launch)
        self.lock = threading.Lock()
        self.sent = 0
        self.last_back = -1     # the counter of the latest frame back
        self.seqs = collections.Counter()
        self.odd = []           # frames not ours nor the server's
        self.eof = False        # pppd's end hung up (we saw EOF)
        self.hung = False       # we hung up (as pppd ending)
        self.paused_until = 0   # pppd stopped: neither reads nor writes

    def pppd_pids(self):
        try:
            with open(self.res + ".pids") as f:
                return [int(l.split()[0]) for l in f.read().splitlines()]
        except (FileNotFoundError, TypeError):
            return []

    def pump(self):
        """Send one frame, take whatever came back (nolaunch mode)."""
        if self.launch or self.hung or self.eof or \
                time.monotonic() < self.paused_until:
            return
        with self.lock:
            if self.hung:
                return
            try:
                self.cli.ours.setblocking(False)
                self.cli.ours.send(harness.hdlc_encode(
                    FRAME + self.tag + b"%d " % self.sent + b"x" * 40))
                self.sent += 1
            except (BlockingIOError, OSError):
                pass
            while select.select([self.cli.ours], [], [], 0)[0]:
                try:
                    data = self.cli.ours.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self.eof = True
                    return
                for f in self.cli.reader.feed(data):
                    self.check(f)

    def check(self, f):
        if f.startswith(FRAME + self.tag):
            self.last_back = max(self.last_back,
                                 int(f[len(FRAME + self.tag):].split()[0]))
        elif f.startswith(FRAME + b"seq="):
            self.seqs[int(re.match(rb"seq=(\d+)", f[4:]).group(1))] += 1
        else:
            self.odd.append(f[:40])

    def hangup(self):
        """pppd ends: the pty closes (launch mode: pppd gets SIGTERM, or
        pptp if there is no pppd yet)."""
        if self.launch:
            # pppd may still be starting (no pids yet); with no call up
            # yet there is none: the user stops pptp itself
            wait_until(lambda: self.pppd_pids() or not self.alive(), 2)
            if not self.pppd_pids():
                kill(self.cli.proc.pid, signal.SIGTERM)
            for pid in self.pppd_pids():
                kill(pid, signal.SIGCONT)
                kill(pid, signal.SIGTERM)
            return
        with self.lock:
            if not self.hung:
                self.hung = True
                self.cli.ours.close()

    def alive(self):
        return self.cli.proc.poll() is None and \
            self.cli.proc.pid not in harness.REAPED

    def call_id(self):
        """Our call ID, once the gateway has it (its title names it)."""
        if self.cid is None and self.alive():
            me = self.cli.proc.pid
            for pid, ppid, title in processes():
                m = re.search(r"gateway for .*? call (\d+)", title)
                if m and me in (pid, ppid):
                    self.cid = m.group(1)
        return self.cid

    def wait_up(self):
        if not wait_until(self.call_id, 5):
            raise AssertionError(f"tunnel {self.idx} never came up")


def kill(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def processes():
    """(pid, parent, title) of each live pptp process."""
    out = []
    for pid in pptp_pids():
        try:
            ppid = procinfo.ppid(pid)
        except (OSError, IndexError, ValueError):
            continue
        out.append((pid, ppid, procinfo.title(pid)))
    return out


def roles():
    """Live pptp processes by role: command, call manager, its keeper,
    gateway, pppd's watchdog, a stderr or log relay (pptp(8)
    SECURITY)."""
    out = collections.defaultdict(list)
    for pid, _, t in processes():
        role = ("callmgr" if t.startswith("pptp: call manager") else
                "keeper" if t.startswith("pptp: keeper") else
                "watchdog" if t.startswith("pptp: pppd watchdog") else
                "relay" if t.startswith(("pptp: stderr relay",
                                         "pptp: log relay")) else
                "gateway" if "gateway" in t else "command")
        out[role].append(pid)
    return out


def zombies():
    """Zombie children of live pptp processes."""
    return procinfo.zombies_of(pptp_pids())


# --- the faults -------------------------------------------------------------

class Round:
    def __init__(self, env, rng, number):
        self.env, self.rng, self.number = env, rng, number
        self.tunnels, self.faults = [], []
        self.fifo = env.path("commands")
        # a sanitizer's report (make chaos SANITIZE=1) is a breach too
        for san in ("ASAN", "UBSAN"):
            env.vars[f"{san}_OPTIONS"] = \
                f"log_path={env.path(san.lower())}:print_stacktrace=1"
        os.mkfifo(self.fifo)
        self.wire_ok = True     # the control connection must still work
        self.killed_cm = False
        self.data_ok = True     # data must pass again once healed
        self.stop = threading.Event()
        self.pumper = threading.Thread(target=self.pump_all, daemon=True)

    def pump_all(self):
        n = 0
        while not self.stop.wait(0.02):
            n += 1
            for t in list(self.tunnels):
                t.pump()
                if n % 10 == 0:
                    t.call_id()

    def command(self, line):
        with open(self.fifo, "w") as f:
            f.write(line + "\n")

    def sh_ns(self, cmd, check=False):
        subprocess.run(["ip", "netns", "exec", self.env.cns] + cmd.split(),
                       check=check, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def sleep(self, d):
        time.sleep(d)
        harness.reap()

    # process faults
    def f_signal(self):
        r = roles()
        who = self.rng.choice(["command", "callmgr", "keeper", "gateway",
                               "watchdog", "relay", "pppd", "all"])
        sig = self.rng.choice(["KILL", "TERM", "STOP"])
        if who == "pppd":
            return self.f_pppd(sig)
        if who == "all":
            return self.f_suspend()
        pids = r.get(who) or r.get("gateway") or r.get("command") or []
        if not pids:
            return f"SIG{sig} to {who}: none alive"
        pid = self.rng.choice(sorted(pids))
        if pid in r.get("callmgr", []) and sig == "KILL":
            self.wire_ok = False    # a call manager killed says nothing
            # (its keeper removes its socket and route)
        if pid in r.get("keeper", []) and sig == "KILL":
            # the manager's socket, route and lock stay when it ends,
            # for the next tunnel with its options to take over
            self.killed_cm = True
        if sig == "STOP":
            d = pick_duration(self.rng)
            kill(pid, signal.SIGSTOP)
            self.sleep(d)
            kill(pid, signal.SIGCONT)
            return f"SIGSTOP {d} s then SIGCONT to {who}"
        kill(pid, getattr(signal, "SIG" + sig))
        return f"SIG{sig} to {who}"

    def f_suspend(self):
        """The laptop suspended: every process stopped, then resumed."""
        d = pick_duration(self.rng)
        pids = pptp_pids() + [p for t in self.tunnels
                              for p in t.pppd_pids()]
        for pid in pids:
            kill(pid, signal.SIGSTOP)
        for t in self.tunnels:
            t.paused_until = time.monotonic() + d
        self.sleep(d)
        for pid in pids:
            kill(pid, signal.SIGCONT)
        return f"suspend {d} s: every process stopped, then resumed"

    def f_pppd(self, sig):
        t = self.rng.choice(self.tunnels)
        if sig == "STOP":
            d = pick_duration(self.rng)
            if t.launch:
                for pid in t.pppd_pids():
                    kill(pid, signal.SIGSTOP)
            t.paused_until = time.monotonic() + d
            self.sleep(d)
            for pid in t.pppd_pids():
                kill(pid, signal.SIGCONT)
            return f"pppd of tunnel {t.idx} stopped {d} s"
        if t.launch:
            for pid in t.pppd_pids():
                kill(pid, getattr(signal, "SIG" + sig))
        else:
            t.hangup()
        return f"pppd of tunnel {t.idx}: SIG{sig}"

    # server faults
    def f_server(self):
        kind = self.rng.choice(["reset", "garbage", "cdn", "stopccrq",
                                "cdnwrong", "wrongcall", "silent",
                                "grestop", "reorder", "dup", "close"])
        if kind in ("reset", "garbage", "close", "stopccrq"):
            self.wire_ok = False
            self.command(kind)
        elif kind == "cdn":
            self.command("cdn")
        elif kind == "cdnwrong":
            self.command("cdnwrong")
        elif kind == "wrongcall":
            ids = {t.call_id() for t in self.tunnels}
            bad = self.rng.choice([i for i in range(1, 65536, 7)
                                   if str(i) not in ids])
            self.command(f"gre 1 callid={bad} hex="
                         + (FRAME + b"WRONG CALL").hex())
            kind += f" {bad}"
        elif kind == "silent":
            d = pick_duration(self.rng)
            if self.short and self.rng.random() < 0.2:
                d = 0
            self.command("silent on")
            if d >= (2 if self.short else 60):
                self.wire_ok = False    # the echo may time out
            if d:
                self.sleep(d)
                self.command("silent off")
                kind += f" {d} s"
            else:
                self.wire_ok = self.data_ok = False
                self.forever.append("silent off")
                kind += " for good"
        elif kind == "grestop":
            self.command("grestop")
            if self.rng.random() < 0.3:
                self.data_ok = False
                self.forever.append("grestart")
                kind += " for good"
            else:
                d = pick_duration(self.rng)
                self.sleep(d)
                self.command("grestart")
                kind += f" {d} s"
        else:
            n = self.rng.randrange(2, 40)
            self.command(f"{kind} {n}")
            kind += f" {n}"
        return f"server {kind}"

    # path faults
    def f_path(self):
        kind = self.rng.choice(["linkdown", "addrdel", "route", "loss"])
        d = pick_duration(self.rng)
        link = link_of(self.env)
        if kind == "linkdown":
            self.sh_ns(f"ip link set {link} down")
            self.sleep(d)
            self.sh_ns(f"ip link set {link} up")
        elif kind == "addrdel":
            self.sh_ns(f"ip addr del 192.0.2.2/24 dev {link}")
            self.sleep(d)
            self.sh_ns(f"ip addr add 192.0.2.2/24 dev {link}")
        elif kind == "route":
            self.sh_ns("ip route add blackhole 192.0.2.1/32")
            self.sleep(d)
            self.sh_ns("ip route del blackhole 192.0.2.1/32")
        else:
            pct = self.rng.choice([10, 50, 100])
            self.sh_ns("nft add table inet chaos")
            self.sh_ns("nft add chain inet chaos out "
                       "{ type filter hook output priority 0 ; }")
            self.sh_ns("nft add rule inet chaos out meta l4proto gre "
                       f"numgen random mod 100 < {pct} drop")
            self.sleep(d)
            self.sh_ns("nft delete table inet chaos")
            kind += f" {pct}%"
        if d >= (2 if self.short else 20) or kind == "addrdel":
            # a long outage may end the connection; an address removed
            # takes the connection with it
            self.wire_ok = False
        return f"path {kind} {d} s"

    def fault(self):
        f = self.rng.choice([self.f_signal, self.f_signal, self.f_server,
                             self.f_server, self.f_path])
        what = f()
        self.faults.append(what)
        return what

    # the round
    def run(self, stats):
        env, rng = self.env, self.rng
        self.short = rng.random() < 0.7
        self.forever = []       # what heals the faults "for good"
        two = rng.random() < 0.3
        launch = rng.random() < 0.4
        phase = rng.choice(["start", "sccrq", "ocrq", "data", "data",
                            "gap", "clearing", "stopping"])
        self.desc = (f"{'two tunnels sharing a server' if two else 'one tunnel'}"
                     f", {'launch' if launch else 'nolaunchpppd'} mode, "
                     f"{'short' if self.short else 'default'} echo, "
                     f"phase {phase}")
        srv_args = ["--commands", self.fifo, "--max-channels", "8"]
        if phase == "stopping":
            srv_args += ["--stopccrp-delay", "1000"]
        self.srv = env.server(*srv_args)
        args = self.args = SHORT_ECHO if self.short else []
        if phase in ("sccrq", "ocrq"):
            self.command("hold sccrp" if phase == "sccrq" else "hold ocrp")
        self.pumper.start()
        for i in range(2 if two else 1):
            self.tunnels.append(Tunnel(env, i, launch, list(args)))
            if phase not in ("start", "sccrq", "ocrq"):
                self.tunnels[-1].wait_up()
        if phase == "start":
            wait_until(pptp_pids, 5)     # past `ip netns exec'
            self.sleep(rng.uniform(0, 0.3))
        elif phase in ("sccrq", "ocrq"):
            self.srv.wait(f"hold {phase.upper()}")
        elif phase == "gap":
            self.sleep(0.3)
            self.command("gap")
        elif phase == "data":
            self.sleep(rng.uniform(0.1, 1))
        elif phase in ("clearing", "stopping"):
            self.sleep(0.2)
            for t in self.tunnels:
                t.hangup()
            self.srv.wait("recv CCRQ" if phase == "clearing"
                          else "recv StopCCRQ")
            self.sleep(rng.uniform(0, 0.05))
        n = 2 if rng.random() < 0.25 else 1
        for _ in range(n):
            stats[fault_kind(self.fault())] += 1
        if phase in ("sccrq", "ocrq"):
            self.command("release")
        return self.check()

    # the invariants
    def check(self):
        env = self.env
        # every tunnel ends, or passes data again
        mark = {t.idx: t.sent for t in self.tunnels}
        z0, z_at = zombies(), time.monotonic()    # still there 2 s on?

        def settled():
            return all(not t.alive() or
                       (not self.data_ok or t.launch or t.hung or
                        t.last_back >= mark[t.idx])
                       for t in self.tunnels)
        if not wait_until(settled, BOUND, 0.1):
            raise Breach(f"within {BOUND} s of the faults healing, a tunnel "
                         "neither ended nor passed data again: " +
                         ", ".join(f"tunnel {t.idx} alive {t.alive()} "
                                   f"sent {t.sent} back {t.last_back}"
                                   for t in self.tunnels))
        time.sleep(max(0, z_at + 2 - time.monotonic()))
        left = z0 & zombies()
        if left:
            raise Breach(f"zombies left unreaped: {sorted(left)}")
        for line in self.forever:
            self.command(line)
        # pppd ends: each command ends within 5 s, pppd told
        ended = time.monotonic()
        for t in self.tunnels:
            t.hangup()
        for t in self.tunnels:
            try:
                st = t.cli.exit_status(BOUND)
            except AssertionError:
                raise Breach(f"tunnel {t.idx} still running {BOUND} s after "
                             "pppd ended")
            if st < 0 and st != -signal.SIGKILL:
                raise Breach(f"tunnel {t.idx} died of signal {-st}")
        took = time.monotonic() - ended
        if not wait_until(lambda: not pptp_pids(), 5):
            raise Breach(f"pptp processes left: {harness.titles()}")
        for t in self.tunnels:
            if t.launch:
                if not wait_until(lambda: not any(
                        procinfo.running(p) for p in t.pppd_pids()), 5):
                    raise Breach(f"pppd of tunnel {t.idx} never told: still "
                                 "running after pptp ended")
                res = t.res
                if os.path.exists(res):
                    fds = harness.pppd_result(res)["fds"]
                    if len(fds) > 4:
                        raise Breach(f"descriptors leaked into pppd: {fds}")
                if os.path.exists(res + ".bad"):
                    with open(res + ".bad") as f:
                        raise Breach(f"pppd {t.idx} got bad frames: "
                                     f"{f.read()[:300]}")
            else:
                if not t.hung:
                    t.pump()
                    if not t.eof:
                        raise Breach(f"tunnel {t.idx} ended but pppd's "
                                     "end never hung up")
                if t.cli.reader.bad:
                    raise Breach(f"tunnel {t.idx}: {t.cli.reader.bad} "
                                 "frames with a bad FCS reached pppd")
                if t.odd:
                    raise Breach(f"tunnel {t.idx}: frames not of its call "
                                 f"reached pppd: {t.odd[:3]}")
                twice = [s for s, n in t.seqs.items() if n > 1]
                if twice:
                    raise Breach(f"tunnel {t.idx}: frames reached pppd "
                                 f"twice: seq {twice[:5]}")
        # cleared on the wire, unless the server cleared it
        if self.wire_ok:
            log = self.srv.text()
            for t in self.tunnels:
                cid = t.call_id()
                if cid and f"recv CCRQ call_id={cid}" not in log and \
                        f"command cdn: call {cid}\n" not in log:
                    raise Breach(f"tunnel {t.idx}'s call {cid} never "
                                 "cleared on the wire")
        if not self.killed_cm:
            leftovers(env)
        # a new tunnel comes up at once and passes data (and takes over
        # what a call manager killed left)
        t0 = time.monotonic()
        cli = env.client(*self.args)     # the same call manager's
        try:
            cli.wait_up()
        except AssertionError:
            raise Breach("a new tunnel to the same server did not come up "
                         "within 5 s")
        up = time.monotonic() - t0
        try:
            harness.passes_data(cli, b"after the storm")
        except AssertionError as e:
            raise Breach(f"the new tunnel passed no data: {e}")
        cli.hangup()
        if cli.exit_status(5) != 0:
            raise Breach("the new tunnel did not end cleanly")
        self.srv.wait(f"recv CCRQ call_id={call_id_of(cli)}")
        leftovers(env)
        for name in os.listdir(env.dir):
            if name.startswith(("asan.", "ubsan.")):
                with open(env.path(name)) as f:
                    raise Breach(f"sanitizer report {name}:\n{f.read()}")
        return took, up


def call_id_of(cli):
    return re.search(r"call up: our call ID (\d+)", cli.stderr()).group(1)


def leftovers(env):
    """The integration tests' check (tests/leftovers.py), processes given
    5 s; what is left is a breach."""
    left = harness.left_behind(env, 5)
    if left:
        raise Breach("; ".join(left) + (f" ({harness.titles()})"
                                        if pptp_pids() else ""))


def fault_kind(what):
    """The kind a fault counts under in the figures."""
    w = what.split()
    if what.endswith("none alive"):
        return "a signal, no pptp process left to take it"
    if w[0] == "server" or w[0] == "path":
        return f"{w[0]} {w[1]}"
    if w[0] == "pppd":
        return "pppd " + ("stop" if "stopped" in what else w[-1])
    if w[0] == "suspend":
        return "suspend (all stopped, then resumed)"
    if w[0] == "SIGSTOP":
        return "SIGSTOP/CONT " + w[-1]
    return what


def logs(env):
    out = []
    for name in sorted(os.listdir(env.dir)):    # (GRE lines left out)
        if name.endswith((".err", ".log", ".bad")):
            with open(env.path(name), errors="replace") as f:
                tail = [l for l in f.read().splitlines()
                        if not l.startswith("gre rx")][-25:]
            out.append(f"--- {name}\n" + "\n".join(tail))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pptp", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--only", type=int, help="replay this round alone")
    ap.add_argument("--first", type=int, default=1,
                    help="go on with the run from this round")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("chaos needs root (network namespaces, raw sockets)")
        return 1
    seed = a.seed if a.seed is not None else random.randrange(1 << 32)
    print(f"chaos: seed {seed}, {a.rounds} rounds (SEED={seed} replays)",
          flush=True)
    # a private copy of pptp: the processes of this run alone are ours
    bindir = tempfile.mkdtemp(prefix="pptp-chaos-bin-")
    pptp = os.path.join(bindir, "pptp")
    shutil.copy(a.pptp, pptp)
    harness.configure(pptp=pptp, server=a.server)
    harness.become_subreaper()
    rng = random.Random(seed)
    stats = collections.Counter()
    t0, ran = time.monotonic(), 0
    try:
        for n in range(1, a.rounds + 1):
            round_seed = rng.randrange(1 << 32)
            if (a.only and n != a.only) or n < a.first:
                continue
            env = Env(f"chaos{n}")
            r = Round(env, random.Random(round_seed), n)
            ran += 1
            try:
                r.run(stats)
                print(f"round {n}: {r.desc}; {'; '.join(r.faults)}: ok",
                      flush=True)
            except (Breach, AssertionError) as e:
                print(f"BREACH: seed {seed}, round {n} ({r.desc}), faults: "
                      f"{'; '.join(r.faults) or 'none yet'}\n  {e}")
                print(logs(env))
                print(f"replay: make chaos SEED={seed} ROUNDS={n}; this round "
                      f"alone: make chaos SEED={seed} ROUNDS={n} ONLY={n}")
                return 1
            finally:
                r.stop.set()
                try:
                    for t in r.tunnels:
                        for pid in t.pppd_pids():
                            kill(pid, signal.SIGKILL)
                            kill(pid, signal.SIGCONT)
                finally:
                    env.close()
    finally:
        shutil.rmtree(bindir)
    took = time.monotonic() - t0
    print(f"chaos: seed {seed}: {ran} rounds, "
          f"{sum(stats.values())} faults, no breach, {took / 60:.1f} min")
    for k, v in sorted(stats.items()):
        if v:
            print(f"  {v:4d}  {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The test harness's own checks, run by make integration before the
integration tests: the /proc reader (tests/procinfo.py) on real
processes whose names hold spaces and ")", the "not a zombie" check the
tests use (harness.survives_usr1) failing on a real zombie, and the
"nothing left behind" check (tests/leftovers.py) naming what is left.
Needs nothing but Linux and python3 (no root, no pptp).

Prints PASS/FAIL per check and a closing "N passed, N failed" line.
"""

import os
import signal
import subprocess
import sys
import time

import harness
import leftovers
import procinfo
import runlib
from runlib import run, test

CALL_MANAGER = "pptp: call mana"    # the call manager's comm: 15 bytes

# A child that names itself (prctl PR_SET_NAME, as pptp's processes do),
# says so on stdout, then sleeps with SIGUSR1 ignored or exits at once.
CHILD = r"""
import ctypes, os, signal, sys, time
ctypes.CDLL(None, use_errno=True).prctl(15, sys.argv[1].encode(), 0, 0, 0)
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
print("named", flush=True)
if sys.argv[2] == "sleep":
    time.sleep(60)
"""


def child(name, then):
    """A python3 child named name; its pid once it is named."""
    p = subprocess.Popen([sys.executable, "-c", CHILD, name, then],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "named\n"
    return p


def zombie(name):
    """A real zombie named name: a child that exited, not yet reaped."""
    p = child(name, "exit")
    pid = p.pid
    deadline = time.monotonic() + 5
    while procinfo.state(pid) != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    return p, pid


def reap(p):
    p.stdout.close()
    p.wait()


@test
def stat_of_a_name_with_spaces():
    p = child(CALL_MANAGER, "sleep")
    try:
        s = procinfo.stat(p.pid)
        assert s.comm == CALL_MANAGER, s
        assert s.state in "RS", s
        assert s.ppid == os.getpid(), s
        assert procinfo.comm(p.pid) == CALL_MANAGER
        # the old reading, split on spaces, took a word of the name
        with open(f"/proc/{p.pid}/stat") as f:
            assert f.read().split()[2] == "call"
    finally:
        p.kill()
        reap(p)
    return f"comm {CALL_MANAGER!r}: state {s.state}, parent {s.ppid}"


@test
def stat_of_a_name_with_parentheses():
    name = "a) Z 1 (b"      # what a split at the first ")" gets wrong
    p = child(name, "sleep")
    try:
        s = procinfo.stat(p.pid)
        assert (s.comm, s.ppid) == (name, os.getpid()), s
        assert s.state in "RS", s
        assert procinfo.running(p.pid)
    finally:
        p.kill()
        reap(p)
    return f"comm {name!r}: state {s.state}"


@test
def zombie_check_fails_on_a_zombie():
    """The call manager's name, a zombie: survives_usr1 says it died."""
    alive = child(CALL_MANAGER, "sleep")
    dead, pid = zombie(CALL_MANAGER)
    try:
        assert procinfo.state(pid) == "Z", procinfo.state(pid)
        assert procinfo.exists(pid) and not procinfo.running(pid)
        assert pid in procinfo.zombies_of([os.getpid()])
        # the old check split the line on spaces: it read "call", not
        # "Z", and passed the zombie
        with open(f"/proc/{pid}/stat") as f:
            assert f.read().split()[2] == "call"
        harness.survives_usr1(alive)        # a live one passes
        try:
            harness.survives_usr1(pid)
        except AssertionError as e:
            said = str(e)
        else:
            raise AssertionError("survives_usr1 passed a zombie")
        assert said == f"SIGUSR1 killed {pid}", said
    finally:
        alive.kill()
        reap(alive)
        reap(dead)
    assert procinfo.state(pid) is None and not procinfo.exists(pid)
    return f"zombie {pid} named {CALL_MANAGER!r}: {said!r}"


@test
def reader_of_titles_descriptors_status():
    me = os.getpid()
    assert procinfo.title(me) == procinfo.cmdline(me)[0]
    r, w = os.pipe()
    try:
        fds = procinfo.fds("self")
        assert fds[r].startswith("pipe:") and fds[w] == fds[r], fds
    finally:
        os.close(r)
        os.close(w)
    st = procinfo.status(me)
    assert st["Pid"] == str(me) and "CapEff" in st, st
    assert me in procinfo.pids_of(sys.executable)
    assert procinfo.title(1 << 30) == ""        # gone: no title
    assert procinfo.state(1 << 30) is None
    s = procinfo.sample(me)
    assert s["rss"] > 0 and s["fds"] >= 3 and s["cpu"] >= 0, s


@test
def nothing_left_behind_names_what_is():
    assert leftovers.complaints({"procs": [], "files": [], "locks": [],
                                 "routes": "", "netns": []}) == []
    said = leftovers.complaints({"procs": [12], "files": ["192.0.2.1"],
                                 "routes": "192.0.2.1 via 10.0.0.1 proto "
                                 "47\n"})
    assert said == ["pptp processes left: [12]",
                    "files left in the run directory: ['192.0.2.1']",
                    "host routes left: 192.0.2.1 via 10.0.0.1 proto 47"], \
        said
    # processes get their time to go; what stays is named once
    p = child("leftover", "sleep")
    t = time.monotonic()
    try:
        said = leftovers.left_behind(
            lambda: {"procs": [p.pid] if procinfo.running(p.pid) else [],
                     "files": []}, timeout=0.3)
        assert said == [f"pptp processes left: [{p.pid}]"], said
        assert time.monotonic() - t >= 0.3
        os.kill(p.pid, signal.SIGKILL)
        said = leftovers.left_behind(
            lambda: {"procs": [p.pid] if procinfo.running(p.pid) else []},
            timeout=5, tick=lambda: p.poll())
        assert said == [], said
    finally:
        p.kill()
        reap(p)


if __name__ == "__main__":
    sys.exit(run(runlib.TESTS, sys.argv[1:]))

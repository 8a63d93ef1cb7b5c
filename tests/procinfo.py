# SPDX-License-Identifier: GPL-2.0-or-later
"""The one reader of /proc/PID for the test scripts: the integration
harness and its tests, chaos, soak, scale, the benchmark, fake-pppd and
the end-to-end scenarios inside User-Mode Linux (tests/e2e/run.py copies
this file into the guest).  Nothing else opens /proc/PID/...

A process is named by its pid (an int) or "self".  Every reader raises
OSError when the process is gone, unless it says otherwise.

/proc/PID/stat begins "PID (COMM) STATE PPID ...", and COMM is whatever
the process called itself, spaces and ")" included (the call manager's
is "pptp: call mana"): so the fields are counted from the last ")",
never by splitting the whole line on spaces.
"""

import collections
import os

TICK = os.sysconf("SC_CLK_TCK")     # CPU time unit of /proc/PID/stat

Stat = collections.namedtuple("Stat", "pid comm state ppid utime stime")


def _path(pid, what):
    return f"/proc/{pid}/{what}"


def parse_stat(text):
    """A /proc/PID/stat line, parsed (comm may hold spaces and ")")."""
    head, _, tail = text.rpartition(")")
    pid, _, comm = head.partition(" (")
    f = tail.split()
    # after the comm: state(3) ppid(4) ... utime(14) stime(15), counted
    # from 1 as proc(5) does
    return Stat(int(pid), comm, f[0], int(f[1]), int(f[11]), int(f[12]))


def stat(pid):
    with open(_path(pid, "stat")) as f:
        return parse_stat(f.read())


def exists(pid):
    """There is a /proc entry: the process runs, or is a zombie not yet
    reaped."""
    return os.path.exists(_path(pid, ""))


def state(pid):
    """The one-letter state (R, S, Z, ...), None if the pid is gone."""
    try:
        return stat(pid).state
    except (OSError, IndexError, ValueError):
        return None


def running(pid):
    """The process exists and is not a zombie."""
    return state(pid) not in (None, "Z")


def ppid(pid):
    return stat(pid).ppid


def cpu_seconds(pid):
    """User and system time so far."""
    s = stat(pid)
    return (s.utime + s.stime) / TICK


def comm(pid):
    with open(_path(pid, "comm")) as f:
        return f.read().rstrip("\n")


def cmdline(pid):
    """argv as the process shows it now (titles rewrite it)."""
    with open(_path(pid, "cmdline"), "rb") as f:
        return [a.decode(errors="replace")
                for a in f.read().split(b"\0")[:-1]] or [""]


def title(pid):
    """A process's title (its argv[0] as ps shows it), "" if gone."""
    try:
        with open(_path(pid, "cmdline"), "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return ""


def status(pid):
    """/proc/PID/status as {field: value}, values as written (tabs)."""
    with open(_path(pid, "status")) as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f
                    if ":\t" in line)


def fds(pid):
    """{descriptor: what it points at} of the open descriptors; one that
    closes while they are read (listdir's own, for "self") is left out."""
    out = {}
    for fd in os.listdir(_path(pid, "fd")):
        try:
            out[int(fd)] = os.readlink(_path(pid, f"fd/{fd}"))
        except OSError:
            pass
    return out


def root(pid):
    """(path, inode) of the process's root directory."""
    return os.readlink(_path(pid, "root")), os.stat(_path(pid, "root")).st_ino


def pids():
    """Every pid on the system (in the caller's pid namespace)."""
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def pids_of(binary):
    """Live processes running this binary (zombies have no exe)."""
    real = os.path.realpath(binary)
    out = []
    for pid in pids():
        try:
            if os.readlink(_path(pid, "exe")) == real:
                out.append(pid)
        except OSError:
            pass
    return out


def pids_named(name):
    """Processes whose comm is name."""
    out = []
    for pid in pids():
        try:
            if comm(pid) == name:
                out.append(pid)
        except OSError:
            pass
    return out


def zombies_of(parents):
    """Zombie children of the given parents."""
    parents, out = set(parents), set()
    for pid in pids():
        try:
            s = stat(pid)
        except (OSError, IndexError, ValueError):
            continue
        if s.state == "Z" and s.ppid in parents:
            out.add(pid)
    return out


def sample(pid):
    """{rss: KiB resident, pss: KiB proportional (shared pages split
    among their users), fds: open descriptors, cpu: seconds of user and
    system time} of a live process."""
    rss = int(status(pid)["VmRSS"].split()[0])
    with open(_path(pid, "smaps_rollup")) as f:
        pss = next(int(l.split()[1]) for l in f if l.startswith("Pss:"))
    return {"rss": rss, "pss": pss, "fds": len(os.listdir(_path(pid, "fd"))),
            "cpu": cpu_seconds(pid)}


def call_managers(pids_):
    """{pid: title} of the call managers among pids_."""
    out = {}
    for pid in pids_:
        t = title(pid)
        if "call manager" in t:
            out[pid] = t
    return out

# SPDX-License-Identifier: GPL-2.0-or-later
"""What a process costs, read from /proc: for tests/soak.py and
tests/scale.py."""

import ctypes
import os

TICK = os.sysconf("SC_CLK_TCK")     # CPU time unit of /proc/PID/stat


def sample(pid):
    """{rss: KiB resident, pss: KiB proportional (shared pages split
    among their users), fds: open descriptors, cpu: seconds of user and
    system time} of a live process."""
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    with open(f"/proc/{pid}/smaps_rollup") as f:
        pss = next(int(l.split()[1]) for l in f if l.startswith("Pss:"))
    with open(f"/proc/{pid}/stat") as f:
        # the fields after the title, which may hold spaces and ")"
        fields = f.read().rsplit(")", 1)[1].split()
    return {"rss": rss, "pss": pss, "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "cpu": (int(fields[11]) + int(fields[12])) / TICK}


def title(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0")[0].decode(errors="replace")


def call_managers(pids):
    """{pid: title} of the call managers among pids."""
    out = {}
    for pid in pids:
        try:
            t = title(pid)
        except OSError:
            continue
        if "call manager" in t:
            out[pid] = t
    return out


def as_root(what):
    """Are we root?  If so orphans (the call managers) become ours, to be
    reaped; if not, say so as a failed test."""
    if os.geteuid() != 0:
        print(f"{what} needs root (network namespaces, raw sockets)")
        print("0 passed, 1 failed")
        return False
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    return True

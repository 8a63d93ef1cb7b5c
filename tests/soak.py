#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Soak: two tunnels through one call manager to tests/fakepptpd, in
network namespaces of their own (tests/harness.py's), traffic both
ways for --minutes, with the server dropping one echoed packet in
--disorder and sending another late (reordered).  Every --every seconds
each gateway's statistics are read (SIGUSR1) and `pptp --status --json`
is run, and each process's memory, descriptors and CPU time sampled.

Fails if, from the end of the warm-up to the end of the run, a process's
resident memory grows by more than --rss-bound KiB or its descriptor
count changes at all; if any frame comes back corrupted, from the other
tunnel or more than once; or if the counters of SIGUSR1, --status and
what the test itself sent and got disagree.  Needs root.

The bound: by the end of the two minutes' warm-up each process has
touched the buffers it allocates up front (the gateway's reorder queue,
1024 slots of 2 KiB, fills page by page as packets wait in its slots,
and its 512 KiB toward pppd as far as pppd ever fell behind: its RSS
rises by some 2.2 MiB in the first two minutes, then stays, to the
page, in every 10-minute run so far); neither process allocates per
packet, and the call manager frees each status answer, so what may
still come is a few pages of those buffers.  256 KiB over the other
eight minutes' two million frames would show a leak of one byte in
eight frames.  Descriptors are opened at setup alone: any new one
leaks.

Prints the figures and a closing "N passed, N failed" line (one test).
"""

import argparse
import random
import re
import struct
import sys
import time

import harness
import procinfo
from runlib import Fail, need, run

HDR = b"\xff\x03\x00\x21"


class Traffic:
    """One tunnel's frames: each carries a number; what comes back must
    be byte for byte a frame sent on that tunnel, once."""

    def __init__(self, cli, idx, pool):
        self.cli, self.idx, self.pool = cli, idx, pool
        self.name = f"tunnel {idx}"
        self.sent = self.got = 0
        self.out = {}           # number -> frame, sent, not yet back

    def batch(self, n, lost_every):
        for _ in range(n):
            self.sent += 1
            f = (HDR + struct.pack(">BQ", self.idx, self.sent) +
                 random.choice(self.pool))
            self.out[self.sent] = f
            self.cli.send(f)
        # one in lost_every lost, one late: do not wait for those
        expect = n - 2 * (n // lost_every) - 1 if lost_every else n
        for f in self.cli.recv_frames(expect, 1.0):
            num = struct.unpack(">Q", f[5:13])[0] if len(f) >= 13 else 0
            need(self.out.pop(num, None) == f,
                 f"{self.name}: frame {num} came back corrupted, twice, "
                 f"or from another tunnel")
            self.got += 1
        # what is long gone is lost (the gateway counts it so)
        for num in [k for k in self.out if k < self.sent - 4 * n]:
            del self.out[num]


def call_of(doc, call_id):
    for m in doc["managers"]:
        for c in m["connections"]:
            for k in c["calls"]:
                if k["call_id"] == call_id:
                    return k
    raise Fail(f"pptp --status shows no call {call_id}")


def soak_test(a):
    def soak():
        env = harness.Env("soak")
        try:
            return soak_run(a, env)
        except Exception:
            harness.print_logs(env)
            raise
        finally:
            env.close()
    return soak


def soak_run(a, env):
    random.seed(a.seed)
    pool = [harness.nasty(random.randrange(0, 1400)) for _ in range(64)]
    env.server("--max-channels", "8", "--disorder", str(a.disorder))
    tun = []
    for i in range(2):
        cli = env.client()
        cli.wait_up()
        tun.append(Traffic(cli, i, pool))
    cms = procinfo.call_managers(harness.pptp_pids())
    need(len(cms) == 1, f"one call manager expected, found {cms}")
    procs = {"call manager": next(iter(cms))}
    for i, t in enumerate(tun):
        procs[f"gateway {i}"] = t.cli.proc.pid
    ids = [int(re.search(r"our call ID (\d+)", t.cli.stderr()).group(1))
           for t in tun]

    t0 = time.monotonic()
    end = t0 + a.minutes * 60
    warm = t0 + a.warmup
    samples = []            # (time, frames so far, {name: sample})
    next_read = t0
    while time.monotonic() < end:
        for t in tun:
            t.batch(a.batch, a.disorder)
        now = time.monotonic()
        if now < next_read:
            continue
        next_read = now + a.every
        frames = sum(t.sent + t.got for t in tun)
        samples.append((now - t0, frames,
                        {n: procinfo.sample(p) for n, p in procs.items()}))
        doc = harness.status_json(env)
        for t, cid in zip(tun, ids):
            st = t.cli.stats()
            k = call_of(doc, cid)
            need(st["tx sent"] <= t.sent and st["rx accepted"] >= t.got,
                 f"{t.name}: SIGUSR1 says {st}, the test sent {t.sent} "
                 f"and got {t.got}")
            # --status came first: none of its counters may be ahead
            need(k["tx_packets"] <= st["tx sent"] and
                 k["rx_lost"] <= st["rx lost"] and
                 k["rx_wrong_call"] <= st["rx wrong call ID"],
                 f"{t.name}: --status says more than SIGUSR1 later: "
                 f"{k} then {st}")
    # the last batches' stragglers, then the final word of each gateway
    time.sleep(1)
    for t in tun:
        for f in t.cli.recv_frames(10 ** 6, 0.5):
            t.got += 1
    finals = [t.cli.stats() for t in tun]
    k = call_of(harness.status_json(env), ids[0])
    last = (time.monotonic() - t0, sum(t.sent + t.got for t in tun),
            {n: procinfo.sample(p) for n, p in procs.items()})
    samples.append(last)
    report = figures(a, samples, tun, finals, k)
    for t in tun:
        t.cli.hangup()
    for t in tun:
        need(t.cli.exit_status() == 0, f"{t.name}: {t.cli.stderr()[-500:]}")
    harness.no_leftovers(env)
    return report


def figures(a, samples, tun, finals, k):
    base = next((s for s in samples if s[0] >= a.warmup), None)
    need(base is not None and base is not samples[-1],
         f"run too short for a warm-up of {a.warmup} s")
    first = samples[0]
    last = samples[-1]
    # CPU per frame: the first and the last minute after the warm-up
    span = min(60, (last[0] - base[0]) / 2)
    early = next(s for s in samples if s[0] >= base[0] + span)
    late = next(s for s in samples if s[0] >= last[0] - span)
    lines = [f"soak: {a.minutes:g} min, 2 tunnels, one call manager; the "
             f"server drops 1 echoed packet in {a.disorder} and reorders "
             f"another; statistics every {a.every:g} s; warm-up "
             f"{a.warmup:g} s"]
    for t, st in zip(tun, finals):
        lines.append(f"  {t.name}: sent {t.sent}, got back {t.got}; "
                     f"gateway: tx sent {st['tx sent']}, rx accepted "
                     f"{st['rx accepted']}, lost {st['rx lost']}, "
                     f"buffered (reordered) {st['rx buffered']}")
        need(st["tx sent"] == t.sent,
             f"{t.name}: gateway sent {st['tx sent']}, test {t.sent}")
        need(st["rx accepted"] == t.got,
             f"{t.name}: gateway passed {st['rx accepted']}, test got "
             f"{t.got}")
        need(st["rx lost"] > 0 and st["rx buffered"] > 0,
             f"{t.name}: no loss or reordering seen: {st}")
    f0 = finals[0]      # what came: passed on, or too late or far
    need(k["rx_packets"] == f0["rx accepted"] + f0["rx under win"] +
         f0["rx over win"] and k["rx_lost"] == f0["rx lost"],
         f"--status and SIGUSR1 differ at rest: {k} {f0}")
    bad = []
    for name in last[2]:
        s0, sb, s1 = first[2][name], base[2][name], last[2][name]

        def per_frame(x, y):
            return (1e6 * (y[2][name]["cpu"] - x[2][name]["cpu"]) /
                    max(1, y[1] - x[1]))
        growth = s1["rss"] - sb["rss"]
        lines.append(
            f"  {name}: RSS {s0['rss']} KiB at start, {sb['rss']} after "
            f"warm-up, {s1['rss']} at end ({growth:+d}), max "
            f"{max(s[2][name]['rss'] for s in samples)}; PSS {s1['pss']} "
            f"KiB; fds {s0['fds']}, {sb['fds']}, {s1['fds']}; CPU "
            f"{per_frame(base, early):.1f} us/frame in the first "
            f"{span:.0f} s after warm-up, {per_frame(late, last):.1f} in "
            f"the last; {s1['cpu']:.2f} s in all")
        marks = [next(s for s in samples if s[0] >= m * 60)
                 for m in range(int(last[0] // 60) + 1)]
        lines.append(f"    RSS by the minute: "
                     f"{' '.join(str(s[2][name]['rss']) for s in marks)}")
        if growth > a.rss_bound:
            bad.append(f"{name}: RSS grew {growth} KiB > {a.rss_bound}")
        if s1["fds"] != sb["fds"]:
            bad.append(f"{name}: fds {sb['fds']} -> {s1['fds']}")
    frames = last[1] - base[1]
    lines.append(f"  bound: RSS +{a.rss_bound} KiB, fds +0 after warm-up, "
                 f"over {frames} frames ({a.rss_bound * 1024 / max(1, frames):.2f}"
                 f" bytes a frame)")
    print("\n".join(lines), flush=True)
    need(not bad, "; ".join(bad))
    return f"{frames} frames after warm-up, no growth beyond the bound"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pptp", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--warmup", type=float,
                    help="seconds before the baseline (default 120; half "
                    "the run if shorter than 4 minutes)")
    ap.add_argument("--every", type=float, default=5,
                    help="seconds between statistics reads")
    ap.add_argument("--rss-bound", type=int, default=256,
                    help="KiB a process may grow after the warm-up")
    ap.add_argument("--disorder", type=int, default=10)
    ap.add_argument("--batch", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.warmup is None:
        a.warmup = min(120, a.minutes * 30)
    harness.configure(pptp=a.pptp, server=a.server)
    if not harness.as_root("the soak test"):
        return 1
    return run([soak_test(a)], quiet=(Fail, AssertionError))


if __name__ == "__main__":
    sys.exit(main())

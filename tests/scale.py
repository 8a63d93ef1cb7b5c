#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scale: --tunnels tunnels at once (default 64) to tests/fakepptpd in
network namespaces of their own (tests/harness.py's), three ways:

  one_connection    one call manager, all calls on one control
                    connection (the server allows that many channels;
                    the others start once the first is up);
  one_call_each     one call manager, a connection a call (the server
                    takes one call a connection, as poptop);
  several_managers  a server address, and so a call manager, for every
                    --per-server tunnels.

Each way: all are started at once and timed until every call is up;
each tunnel passes a frame of its own and gets back just that; the call
managers' and gateways' memory is reported; (the first way alone) the
CPU time every pptp process uses in --idle seconds with no traffic;
one tunnel in the middle ends and every other still passes traffic;
then all end at once, timed, and nothing is left.  Needs root.

Prints PASS/FAIL per way with the figures, and "N passed, N failed".
"""

import argparse
import statistics
import subprocess
import sys
import time

import harness
import procinfo
from runlib import Fail, need, run

A = None


def start(env, n, hosts, first_alone=False):
    """n tunnels started at once, to hosts in turn (first_alone: the
    others once the first is up); (clients, seconds until every call was
    up)."""
    t0 = time.monotonic()
    clis = []
    for i in range(n):
        clis.append(env.client(host=hosts[i * len(hosts) // n]))
        if first_alone and i == 0:
            clis[0].wait_up()
    up = lambda: all("call up" in c.stderr() or c.proc.poll() is not None
                     for c in clis)
    need(harness.wait_until(up, 30 + n / 4, step=0.2), "not all calls came up")
    took = time.monotonic() - t0
    down = [i for i, c in enumerate(clis) if "call up" not in c.stderr()]
    need(not down, f"tunnels {down} failed: {clis[down[0]].stderr()[-400:]}"
         if down else "")
    return clis, took


def all_pass(clis, tag, skip=()):
    for i, cli in enumerate(clis):
        if i not in skip:
            harness.passes_data(cli, b"%s %d" % (tag, i))


def memory(clis):
    """Figures of the call managers and the gateways, and the managers'
    pids."""
    cms = procinfo.call_managers(harness.pptp_pids())
    gw = [procinfo.sample(c.proc.pid) for c in clis]
    cm = [procinfo.sample(p) for p in cms]

    def spread(xs, what):
        v = [x[what] for x in xs]
        return (f"{what.upper()} min {min(v)} median "
                f"{statistics.median(v):g} max {max(v)} KiB")
    text = (f"  {len(cm)} call manager(s): {spread(cm, 'rss')}, "
            f"{spread(cm, 'pss')}, fds max {max(x['fds'] for x in cm)}\n"
            f"  {len(gw)} gateways: {spread(gw, 'rss')}, "
            f"{spread(gw, 'pss')}, fds max {max(x['fds'] for x in gw)}\n"
            f"  PSS of all pptp processes: "
            f"{(sum(x['pss'] for x in cm + gw)) / 1024:.1f} MiB")
    return text, list(cms)


def idle_cpu(seconds):
    pids = harness.pptp_pids()
    before = {p: procinfo.sample(p)["cpu"] for p in pids}
    time.sleep(seconds)
    after = {p: procinfo.sample(p)["cpu"] for p in pids}
    used = sum(after[p] - before[p] for p in pids)
    busiest = max(pids, key=lambda p: after[p] - before[p])
    return used, (f"  idle {seconds:g} s: {len(pids)} pptp processes used "
                  f"{used:.2f} s of CPU in all (tick "
                  f"{1 / procinfo.TICK:g} s); busiest "
                  f"{procinfo.title(busiest)!r} "
                  f"{after[busiest] - before[busiest]:.2f} s")


def crosstalk(clis, frames=5000):
    """Traffic through one tunnel costs the others nothing."""
    pids = harness.pptp_pids()
    before = {p: procinfo.sample(p)["cpu"] for p in pids}
    frame = b"\xff\x03\x00\x21" + bytes(1000)
    for _ in range(frames // 50):
        for _ in range(50):
            clis[0].send(frame)
        need(len(clis[0].recv_frames(50)) == 50, "frames lost")
    cost = {p: procinfo.sample(p)["cpu"] - before[p] for p in pids}
    busy = cost.pop(clis[0].proc.pid)
    others = sum(cost.values())
    need(others <= busy / 4 + 0.02, f"{frames} frames through one tunnel "
         f"cost its gateway {busy:.2f} s of CPU, the other processes "
         f"{others:.2f} s")
    return (f"  {frames} frames each way through tunnel 0: its gateway "
            f"{busy:.2f} s of CPU, the {len(cost)} other processes "
            f"{others:.2f} s")


def exercise(env, n, servers, hosts, idle, managers=1, first_alone=False):
    clis, took_up = start(env, n, hosts, first_alone)
    all_pass(clis, b"tunnel")
    doc = harness.status_json(env)
    need(len(harness.calls_of(doc)) == n, f"pptp --status shows "
         f"{len(harness.calls_of(doc))} calls, not {n}")
    text, cms = memory(clis)
    need(len(cms) == managers, f"{len(cms)} call managers, not {managers}")
    lines = [f"{n} tunnels, {len(servers)} server(s): all up in "
             f"{took_up:.1f} s, each passes its own traffic", text]
    if idle:
        used, line = idle_cpu(idle)
        lines.append(line)
        lines.append(crosstalk(clis))
    # one ends; the others carry on
    mid = n // 2
    clis[mid].hangup()
    need(clis[mid].exit_status() == 0, clis[mid].stderr()[-400:])
    all_pass(clis, b"after one ended", skip=(mid,))
    need(procinfo.call_managers(harness.pptp_pids()).keys() == set(cms),
         "a call manager went with one tunnel")
    lines.append(f"  tunnel {mid} ended: the other {n - 1} pass traffic")
    # all end at once
    t0 = time.monotonic()
    rest = [c for i, c in enumerate(clis) if i != mid]
    for c in rest:
        c.hangup()
    bad = [c.stderr()[-300:] for c in rest if c.exit_status(30) != 0]
    need(not bad, f"{len(bad)} ended badly: {bad[:1]}")
    harness.no_leftovers(env)
    lines.append(f"  all ended in {time.monotonic() - t0:.1f} s, nothing "
                 f"left")
    cleared = sum(len(s.lines("recv CCRQ")) for s in servers)
    need(cleared == n, f"the servers saw {cleared} Call-Clear-Requests, "
         f"not {n}")
    print("\n".join(lines), flush=True)
    if idle:
        need(used <= A.idle_bound, f"idle tunnels used {used:.2f} s of "
             f"CPU > {A.idle_bound} s")
    return f"{n} tunnels"


def server_link(env):
    return "vs" + harness.link_of(env)[2:]


def scale_test(fn):
    """A way of the run, in namespaces of its own."""
    def way():
        env = harness.Env(fn.__name__)
        try:
            return fn(env)
        finally:
            env.close()
    way.__name__ = fn.__name__
    return way


@scale_test
def one_connection(env):
    srv = env.server("--max-channels", str(A.tunnels))
    # the others once the server has said it takes them all: calls that
    # come before get a connection of their own (SEVERAL TUNNELS)
    done = exercise(env, A.tunnels, [srv], ["192.0.2.1"], A.idle,
                    first_alone=True)
    need(harness.connections(srv) == 1, srv.lines("accept"))
    return done + ", one connection"


@scale_test
def one_call_each(env):
    srv = env.server("--max-channels", "1", "--one-call")
    done = exercise(env, A.tunnels, [srv], ["192.0.2.1"], 0)
    need(harness.connections(srv) == A.tunnels, srv.lines("accept"))
    return done + ", a connection each"


@scale_test
def several_managers(env):
    k = (A.tunnels + A.per_server - 1) // A.per_server
    hosts = [f"192.0.2.{10 + i}" for i in range(k)]
    for h in hosts:
        subprocess.run(["ip", "-n", env.sns, "addr", "add", h + "/24",
                        "dev", server_link(env)], check=True)
    servers = [env.server("--max-channels", str(A.per_server), listen=h)
               for h in hosts]
    done = exercise(env, A.tunnels, servers, hosts, 0, managers=k)
    return done + f", {k} call managers"


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--pptp", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--tunnels", type=int, default=64)
    ap.add_argument("--per-server", type=int, default=8,
                    help="tunnels a server address in several_managers")
    ap.add_argument("--idle", type=float, default=60,
                    help="seconds of idle CPU measured (0: none)")
    ap.add_argument("--idle-bound", type=float, default=0.1,
                    help="CPU seconds all idle tunnels may use together")
    ap.add_argument("names", nargs="*")
    A = ap.parse_args()
    ways = [one_connection, one_call_each, several_managers]
    unknown = [n for n in A.names if n not in [w.__name__ for w in ways]]
    if unknown:
        print(f"no such test: {' '.join(unknown)} (the ways are "
              f"{', '.join(w.__name__ for w in ways)})")
        return 2
    harness.configure(pptp=A.pptp, server=A.server)
    if not harness.as_root("the scale test"):
        return 1
    return run(ways, A.names, quiet=(Fail, AssertionError))


if __name__ == "__main__":
    sys.exit(main())

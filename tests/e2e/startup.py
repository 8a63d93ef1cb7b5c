#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end: how a tunnel starts, pppd pty "pptp --nolaunchpppd" and
standalone (pptp starting pppd) side by side.  The time from starting
the client to ppp0 having its address is measured and reported, never
asserted; what is asserted is that nothing the server sends is lost
while pppd starts: our pppd received the server's first LCP
Configure-Request, each time the server sent it.  Run by uml.py in the
guest; demo.py tells the same times.
"""

import os
import re
import signal
import statistics
import time

from guest import (cfg, launch_nodetach, left_behind, need, ping, ppp_addr,
                   pppd, pptp_procs, read, scenario, sh, tunnel_up,
                   wait_until)

MODES = {
    "pty": "pppd pty \"pptp --nolaunchpppd\"",
    "standalone": "standalone (pptp starts pppd)",
}
CLIENT_LOG = {"pty": "/tmp/pppd.log", "standalone": "/tmp/launch.log"}
SERVER_LOG = "/tmp/server-ppp.log"
TRIES = 5


def server_debug():
    """The server's pppd logs the frames it sends ("sent [LCP ConfReq
    id=0x1 ...]"); pptpd starts a pppd per call, which reads this file
    then."""
    with open("/etc/ppp/pptpd-options", "a") as f:
        f.write("debug\n")


def start(mode):
    """The client in this mode, pppd's `debug' on: what to stop."""
    if mode == "pty":
        return pppd(extra="debug")
    return launch_nodetach("debug")


def end(mode, p):
    """Stop it as a user does; wait until nothing of the call is left,
    here or at the server (its pppd gone), and empty the server's log
    for the next call."""
    if mode == "pty":
        os.killpg(p.pid, signal.SIGTERM)
    else:
        p.send_signal(signal.SIGTERM)
    need(wait_until(lambda: not pptp_procs(), 8),
         f"{mode}: pptp processes left: {pptp_procs()}")
    need(wait_until(lambda: not ppp_addr("cli"), 5), f"{mode}: ppp0 stayed")
    p.wait(10)
    left = left_behind()
    need(not left, f"{mode}: " + "; ".join(left))
    need(wait_until(lambda: not sh("ip netns exec srv pgrep -x pppd",
                                   check=False).stdout, 8),
         f"{mode}: the server's pppd did not end")
    open(SERVER_LOG, "w").close()


def address_time(n, t, local):
    """Once ppp0 has its address local: the seconds from t (the client
    started) to our pppd's "local IP address" line after cfg.syslog[n],
    as syslog took it (the server's pppd says its own address; no such
    line: to now, ppp0 polled)."""
    said = [at for at, l in cfg.syslog[n:] if l.startswith("pppd[") and
            re.search(rf"local +IP address {re.escape(local)}$", l)]
    return (said[0] if said else time.monotonic()) - t


def came_up(mode):
    """Start the client, wait for ppp0 with its address and a ping
    answered: the seconds from the start to the address, the process."""
    n = len(cfg.syslog)
    t = time.monotonic()
    p = start(mode)
    local, peer = tunnel_up(timeout=30)
    took = address_time(n, t, local)
    got, _ = ping(peer, 3)
    need(got == 3, f"{mode}: {got} of 3 pings answered")
    return took, p


def frames(log, way):
    """The LCP Configure-Requests pppd's debug log says it sent or
    received (way: "sent" or "rcvd"), each as pppd printed it."""
    return re.findall(rf"{way} (\[LCP ConfReq id=0x[0-9a-f]+[^\]]*\])", log)


def server_first_confreq():
    """The server's first LCP Configure-Request in its log, as its pppd
    printed it, and how many times it was sent; (None, 0) if none."""
    sent = frames(read(SERVER_LOG), "sent")
    return (sent[0], sent.count(sent[0])) if sent else (None, 0)


def first_confreq_lost(mode):
    """None if our pppd received the server's first LCP Configure-
    Request as many times as the server sent it (a resend has the same
    id and options); else what was lost, in words."""
    first, times = server_first_confreq()
    if not first:
        return (f"{mode}: the server's pppd logged no LCP Configure-Request"
                " (no `debug' in its log?)")
    got = frames(read(CLIENT_LOG[mode]), "rcvd").count(first)
    if got >= times:
        return None
    ident = re.search(r"id=(0x[0-9a-f]+)", first).group(1)
    return (f"{mode}: the server's first LCP Configure-Request (id "
            f"{ident}) was lost while pppd started: the server's pppd sent"
            f" it {times} time{'s' if times > 1 else ''}"
            + (" (resent after its restart timer)" if times > 1 else "")
            + f", our pppd received it {got} time{'s' if got != 1 else ''}")


def median_line(took):
    """ "pty 1.8 s (1.7-1.9), standalone ..." from {mode: [seconds]}."""
    out = []
    for mode, ts in took.items():
        if ts:
            out.append(f"{MODES[mode]} {statistics.median(ts):.1f} s"
                       + (f" ({min(ts):.1f}-{max(ts):.1f})" if len(ts) > 1
                          else ""))
    if all(took.values()):
        d = statistics.median(took["standalone"]) - \
            statistics.median(took["pty"])
        out.append(f"standalone {d:+.1f} s")
    return ", ".join(out)


@scenario
def startup():
    """Both ways of starting a tunnel, TRIES times each, alternating:
    the time to ppp0 with its address (reported), and the server's first
    LCP Configure-Request received by our pppd (asserted)."""
    server_debug()
    took = {m: [] for m in MODES}
    lost = {m: [] for m in MODES}       # (try, what was lost)
    for i in range(TRIES):
        for mode in MODES:
            t, p = came_up(mode)
            took[mode].append(t)
            why = first_confreq_lost(mode)
            if why:
                lost[mode].append((i + 1, why))
            end(mode, p)
    times = f"time to ppp0 with its address, median of {TRIES}: " + \
        median_line(took)
    need(not any(lost.values()), "; ".join(
        f"{tries[0][1]} (in {len(tries)} of {TRIES} tries: "
        f"{', '.join(str(i) for i, _ in tries)})"
        for tries in lost.values() if tries) + f"; {times}")
    return f"{times}; the server's first LCP Configure-Request reached " \
        "our pppd in both modes"

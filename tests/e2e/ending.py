#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end scenarios, how tunnels end: pppd stopped twenty times (the
call cleared on the wire each time), the server cut off, the server
dropping the call under pppd's persist, and GRE blocked (the warning).
Run by uml.py in the guest."""

import os
import re
import signal
import time

import procinfo
from guest import (SERVER, cfg, host_route, left_behind, log_lines, need,
                   ping, ppp_addr, pppd, pptp_procs, read, sandboxed,
                   scenario, sh, stop, tunnel_up, wait_until)


TEARDOWN_ROUNDS = 20


@scenario
def teardown():
    """SIGTERM to pppd (and pptp, every other round), 20 times: each
    time the call is cleared on the wire (pptpd logs the Call-Clear-
    Request, and no failed GRE read), and nothing is left."""
    gone_s = []
    for i in range(TEARDOWN_ROUNDS):
        n = len(cfg.syslog)
        p = pppd(extra="linkname cli")
        tunnel_up()
        route = host_route()
        need(route.startswith(SERVER), f"round {i + 1}: no host route "
             f"while up: {route!r}")
        t = time.monotonic()
        if i % 2:
            # as poff does: pppd alone, by its pid file
            os.kill(int(read("/run/ppp-cli.pid").split()[0]),
                    signal.SIGTERM)
        else:
            os.killpg(p.pid, signal.SIGTERM)    # as a terminal's ^C does
        need(wait_until(lambda: not pptp_procs(), 8),
             f"round {i + 1}: pptp processes left after 8 s: "
             f"{pptp_procs()}")
        gone_s.append(time.monotonic() - t)
        p.wait(10)
        srv = lambda: [l for _, l in cfg.syslog[n:]
                       if l.startswith(("pptpd", "pptpctrl"))]
        # pptpd may log the connection's end a moment after ours
        wait_until(lambda: any(re.search(r"control connection finished",
                                         l) for l in srv()), 3)
        srv = srv()
        clr = [l for l in srv if re.search(r"CALL.?CLR|call clear", l,
                                            re.I)]
        gre_err = [l for l in srv if "Protocol not available" in l]
        need(clr, f"round {i + 1}: pptpd logged no call clear"
             + (f", but {gre_err[0]}" if gre_err else ""))
        need(not gre_err, f"round {i + 1}: pptpd logged {gre_err[:1]}")
        stop = [l for l in srv if re.search(r"STOP.?CTRL|control "
                                            r"connection finished", l, re.I)]
        need(stop, f"round {i + 1}: pptpd logged no control connection "
             "stop")
        left = left_behind()
        need(not left, f"round {i + 1}: " + "; ".join(left))
        wait_until(lambda: not sh("ip netns exec srv pgrep -x pppd",
                                  check=False).stdout, 5)
    said = lambda l: l.split(": ", 1)[-1]
    return f"{TEARDOWN_ROUNDS} rounds, each cleared on the wire (pptpd: " \
        f"'{said(clr[0])}'), gone in {min(gone_s):.1f} to " \
        f"{max(gone_s):.1f} s; host route and socket removed"


@scenario
def server_gone():
    p = pppd("--idle-wait 5 --max-echo-wait 5")
    tunnel_up()
    t = time.monotonic()
    sh("ip -n srv link set vs down")
    need(wait_until(lambda: not pptp_procs(), 20),
         f"pptp processes left after 20 s: {pptp_procs()}")
    gone = time.monotonic() - t
    need(gone < 16, f"took {gone:.1f} s")
    left = left_behind()
    need(not left, "; ".join(left))
    p.wait(10)
    return f"server cut off: client ended in {gone:.1f} s, route removed"


@scenario
def persist():
    """pppd's persist: the server drops the call (its pptpctrl killed);
    pppd runs a new, sandboxed pptp, and the tunnel is back."""
    p = pppd(extra="persist holdoff 1 maxfail 0")
    local, peer = tunnel_up()
    got, _ = ping(peer, 5)
    need(got == 5, f"{got} of 5 pings answered")
    first = sorted(pptp_procs())
    for pid in procinfo.pids_named("pptpctrl"):
        os.kill(pid, signal.SIGKILL)
    need(wait_until(lambda: not set(first) & set(pptp_procs()), 15),
         f"the first pptp is still there: {pptp_procs()}")
    need(wait_until(lambda: pptp_procs() and ppp_addr("cli"), 30),
         "pppd's persist brought no tunnel back within 30 s")
    local, peer = tunnel_up()
    got, _ = ping(peer, 5)
    need(got == 5, f"{got} of 5 pings answered after the reconnect")
    sandboxed_now = sandboxed()
    stop(p, "ppp0")
    left = left_behind(10)
    need(not left, "; ".join(left))
    p.wait(10)
    return "server dropped the call: pppd's persist ran pptp again, " \
        f"tunnel back, 5/5 pings; {sandboxed_now}"


@scenario
def gre_blocked():
    for ns, dev in (("srv", "vs"), ("cli", "vc")):
        sh(f"ip netns exec {ns} tc qdisc add dev {dev} ingress")
        sh(f"ip netns exec {ns} tc filter add dev {dev} parent ffff: "
           "protocol ip u32 match ip protocol 47 0xff action drop")
    p = pppd()
    t = time.monotonic()
    words = "no GRE (IP protocol 47) has arrived from the server"
    need(wait_until(lambda: words in read("/tmp/pppd.log")
                    or any(words in l for l in log_lines()), 20),
         "no GRE-not-arriving warning within 20 s")
    took = time.monotonic() - t
    p.terminate()
    return f"warned after {took:.1f} s: GRE from the server not arriving"

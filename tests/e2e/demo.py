#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The narrated demo (make demo): one tunnel to the real pptpd, pings,
5 MB each way, pptp --status, the statistics, teardown, then the
standalone mode.  Run by uml.py in the guest when "demo" is the only
scenario named."""

import os
import re
import signal
import subprocess
import time

from guest import (USER, bulk, cfg, host_route, launch_nodetach, log_lines,
                   need, ping, ppp_addr, pppd, pptp_procs, read, rundir_left,
                   sh, stats, tunnel_up, wait_until)
from startup import (SERVER_LOG, address_time, server_debug,
                     server_first_confreq)


def say(text=""):
    print(text, flush=True)


def sent_first(times):
    """How often the server's pppd sent its first LCP Configure-Request,
    in words."""
    if times == 1:
        return "once"
    if times > 1:
        return f"{times} times (the first not answered: resent after its " \
            "restart timer)"
    return "(not in its log)"


def demo():
    server_debug()
    say("== A PPTP server: poptop (pptpd) at 192.0.2.1, MS-CHAPv2 with "
        "MPPE-128 required")
    say("== The client: pppd pty \"pptp 192.0.2.1 --nolaunchpppd\" "
        f"name {USER} ...")
    n, t = len(cfg.syslog), time.monotonic()
    p = pppd()
    local, peer = tunnel_up()
    up_pty, first_pty = address_time(n, t, local), server_first_confreq()[1]
    say(f"   tunnel up in {up_pty:.1f} s")
    log = read("/tmp/pppd.log")
    for l in log.splitlines():
        if re.search(r"pptp:|CHAP|MPPE|IP address", l):
            say("   " + l)
    need("MPPE 128-bit stateless compression enabled" in log,
         "pppd did not report MPPE 128-bit")
    srv = [l for l in log_lines("pptpd") + log_lines("pppd")
           if re.search(r"connection started|Starting call|"
                        r"authorized", l)][:3]
    for l in srv:
        say("   server: " + l)
    say(f"== ping through the tunnel, {local} -> {peer}")
    got, rtt = ping(peer, 5)
    say(f"   {got}/5 answered, average {rtt} ms")
    need(got == 5, f"{got} of 5 pings answered")
    say("== 5 MB each way over TCP through the tunnel")
    up, down = bulk(5 * 1000 * 1000)
    say(f"   intact both ways (SHA-256 checked): up {up:.1f} MB/s, "
        f"down {down:.1f} MB/s")
    say("== pptp --status: what the tunnel is doing now")
    for l in sh(f"ip netns exec cli {cfg.client} --status",
                check=False).stdout.splitlines():
        say("   " + l)
    say("== pptp's statistics (SIGUSR1)")
    n = len(cfg.syslog)
    stats()
    for _, l in cfg.syslog[n:]:
        if "gre call" in l:
            say("   " + l)
    say("== teardown: SIGTERM to pppd")
    t = time.monotonic()
    os.killpg(p.pid, signal.SIGTERM)
    gone = wait_until(lambda: not pptp_procs(), 5)
    took, route, left = time.monotonic() - t, host_route(), rundir_left()
    say(f"   every pptp process gone in {took:.1f} s; "
        f"host route {'removed' if route == '' else 'LEFT'}; "
        f"sockets left: {left or 'none'}")
    need(gone, f"pptp processes left 5 s after pppd's SIGTERM: "
         f"{pptp_procs()}")
    need(route == "", f"host route left: {route}")
    need(not left, f"files left in /run/pptp: {left}")
    wait_until(lambda: not ppp_addr("cli"), 5)
    wait_until(lambda: not sh("ip netns exec srv pgrep -x pppd",
                              check=False).stdout, 5)
    open(SERVER_LOG, "w").close()       # the next call's alone
    say("== Standalone, as with the classic client: pptp 192.0.2.1 name "
        f"{USER} ... nodetach logfd 2")
    n, t = len(cfg.syslog), time.monotonic()
    p2 = launch_nodetach()
    local, peer = tunnel_up()
    up_sa, first_sa = address_time(n, t, local), server_first_confreq()[1]
    say(f"   tunnel up in {up_sa:.1f} s; pppd's log on pptp's stderr:")
    for l in read("/tmp/launch.log").splitlines():
        if re.search(r"CHAP|MPPE|IP address", l):
            say("   " + l)
    got2, _ = ping(peer, 3)
    fg = p2.poll() is None
    say(f"   {got2}/3 pings answered; pptp still in the foreground: {fg}")
    need(got2 == 3 and fg, f"standalone: {got2}/3 pings, foreground {fg}")
    p2.send_signal(signal.SIGINT)
    try:
        st = p2.wait(8)
    except subprocess.TimeoutExpired:
        st = None
    say(f"   Ctrl-C (SIGINT): pptp exited with pppd's own status, {st} "
        "(pppd's for ending on a signal)")
    need(st == 5, f"standalone: pptp exited {st}, not pppd's 5")
    need(wait_until(lambda: not pptp_procs(), 5),
         f"pptp processes left after Ctrl-C: {pptp_procs()}")
    say("== Time to a working tunnel: from starting the client to ppp0 "
        "with its address")
    say(f"   pppd pty \"pptp --nolaunchpppd\" {up_pty:.1f} s, standalone "
        f"{up_sa:.1f} s ({up_sa - up_pty:+.1f} s)")
    for mode, times in (("pppd pty", first_pty), ("standalone", first_sa)):
        say(f"   {mode}: the server's pppd sent its first LCP "
            f"Configure-Request {sent_first(times)}")
    return f"MS-CHAPv2 and MPPE-128 with the real pptpd, {got}/5 pings, " \
        f"5 MB each way intact, everything gone {took:.1f} s after " \
        "pppd's SIGTERM; standalone pptp in the foreground, ended with " \
        f"pppd's status; up in {up_pty:.1f} s (pppd pty), {up_sa:.1f} s " \
        "(standalone)"

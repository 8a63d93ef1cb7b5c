#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end scenarios, the basics: one tunnel each way pptp is used
(pppd pty, standalone, a peers file, pptpsetup with pon and poff),
traffic through it (bulk, over a lossy and reordering link), and
several tunnels to one pptpd.  Run by uml.py in the guest."""

import json
import os
import signal
import subprocess

from guest import (PPPD_OPTIONS, PPPD_OPTS, SERVER, all_ping, bulk, cfg,
                   control_connections, launch_nodetach, left_behind,
                   log_lines, need, ping, ppp_addr, pppd, pptp_procs, read,
                   sandboxed, scenario, sh, stats, stop, tunnel_up,
                   wait_until)


@scenario
def connect():
    p = pppd(extra="linkname cli")     # /run/ppp-cli.pid names ppp0
    local, peer = tunnel_up()
    log = read("/tmp/pppd.log")
    need("MPPE 128-bit stateless compression enabled" in log,
         "pppd did not report MPPE 128-bit")
    got, rtt = ping(peer, 20)
    need(got == 20, f"{got} of 20 pings answered")
    accm = [l for _, l in cfg.syslog if "pppd receives with ACCM" in l]
    shown = ""
    if any("passing data" in l for _, l in cfg.syslog):
        # this pptp: pptp --status sees the call, with traffic both ways
        r = sh(f"ip netns exec cli {cfg.client} --status --json", check=False)
        need(r.returncode == 0, f"pptp --status: {r.returncode} "
             f"{r.stderr}")
        calls = [k for m in json.loads(r.stdout)["managers"]
                 for c in m["connections"] for k in c["calls"]]
        need(len(calls) == 1 and calls[0]["state"] == "up" and
             calls[0]["rx_packets"] >= 20 and calls[0]["tx_packets"] >= 20
             and calls[0].get("ifname") == "ppp0",
             f"pptp --status --json: {calls}")
        shown = f"; pptp --status: call up on ppp0, " \
            f"{calls[0]['rx_packets']} packets in, " \
            f"{calls[0]['tx_packets']} out; " + sandboxed()
    p.terminate()
    if any("passing data" in l for _, l in cfg.syslog):
        # this pptp: once LCP is open, pppd's ACCM spares the escapes
        need(accm, "pptp never learnt pppd's ACCM from LCP")
    return f"ppp0 {local} -> {peer}, MS-CHAPv2, MPPE-128, 20/20 pings, " \
           f"rtt {rtt} ms" + (f"; {accm[0].split(': ', 1)[-1]}"
                              if accm else "") + shown


@scenario
def launch():
    # nodetach: in the foreground until pppd ends, pppd's log on its
    # stderr, pppd's exit status (5: ended on a signal, which pppd's
    # watchdog gave it for the sandboxed gateway) its own
    p = launch_nodetach()
    local, peer = tunnel_up()
    need(wait_until(lambda: "MPPE 128-bit" in read("/tmp/launch.log"), 5),
         "pppd's \"MPPE 128-bit\" line is not on pptp's stderr")
    got, _ = ping(peer, 10)
    need(got == 10, f"{got} of 10 pings answered")
    need(p.poll() is None, f"pptp left the foreground: status {p.poll()}")
    p.send_signal(signal.SIGTERM)
    try:
        st = p.wait(8)
    except subprocess.TimeoutExpired:
        raise AssertionError("pptp still running 8 s after SIGTERM")
    need(st == 5, f"pptp exited {st}, not pppd's 5")
    need(wait_until(lambda: not pptp_procs(), 8),
         f"pptp processes left: {pptp_procs()}")
    need(wait_until(lambda: not ppp_addr("cli"), 5), "ppp0 still up")
    # the default: back at once with status 0, the tunnel in the background
    cmd = (f"ip netns exec cli {cfg.client} {SERVER} {PPPD_OPTS} "
           "logfile /tmp/launch.log")
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                       timeout=30)
    need(r.returncode == 0, f"pptp exited {r.returncode}: {r.stderr}")
    local, peer = tunnel_up()
    got, _ = ping(peer, 10)
    need(got == 10, f"{got} of 10 pings answered")
    pid = int(read("/run/ppp0.pid").split()[0])
    os.kill(pid, signal.SIGTERM)
    need(wait_until(lambda: not pptp_procs(), 8),
         f"pptp processes left: {pptp_procs()}")
    return f"nodetach: MPPE-128 on pptp's stderr, foreground until " \
           f"SIGTERM, status 5; default: back with 0, ppp0 {local}, " \
           "10/10 pings, all gone after pppd's SIGTERM"


@scenario
def peers():
    os.makedirs("/etc/ppp/peers", exist_ok=True)
    with open("/etc/ppp/peers/e2e", "w") as f:
        f.write("\n".join([f'pty "{cfg.client} {SERVER} --nolaunchpppd"']
                          + PPPD_OPTIONS + ["logfile /tmp/peers.log", ""]))
    r = sh("ip netns exec cli pppd call e2e", check=False)
    need(r.returncode == 0, f"pppd call failed: {r.stderr}")
    local, peer = tunnel_up()
    got, _ = ping(peer, 10)
    need(got == 10, f"{got} of 10 pings answered")
    pid = int(read("/run/ppp0.pid").split()[0])
    os.kill(pid, signal.SIGTERM)		# what poff does
    need(wait_until(lambda: not pptp_procs(), 8),
         f"pptp processes left: {pptp_procs()}")
    need(wait_until(lambda: not ppp_addr("cli"), 5), "ppp0 still up")
    return "pppd call e2e: up, 10/10 pings; SIGTERM to pppd: all gone"


def tree(top):
    """Every file and directory under top: type, mode, owner, bytes."""
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            data = None
            if not os.path.isdir(p):
                with open(p, "rb") as f:
                    data = f.read()
            out[p] = (st.st_mode, st.st_uid, st.st_gid, data)
    return out


@scenario
def pptpsetup():
    """pptpsetup --create, pon, poff, pptpsetup --delete: /etc/ppp as it
    was.  A user name with a space and a password with a space, a quote,
    '#' and a backslash: pppd must read them back for MS-CHAPv2 to pass."""
    setup = os.environ.get("E2E_PPTPSETUP", "/mnt/pptpsetup-under-test")
    need(os.path.exists(setup), f"no {setup}")
    user, pw = "e2e user", 'pa ss"#\\w'
    try:
        # what make install and the ppp package leave in /etc/ppp, and
        # the server's secret for the same user (written by hand)
        with open("/mnt/options.pptp") as f, \
                open("/etc/ppp/options.pptp", "w") as o:
            o.write(f.read())
        os.makedirs("/etc/ppp/peers", exist_ok=True)
        with open("/etc/ppp/chap-secrets", "a") as f:
            f.write('"e2e user" pptpd "pa ss\\"#\\\\w" *\n')
        before = tree("/etc/ppp")
        r = subprocess.run([setup, "--create", "vpn", "--server", SERVER,
                            "--username", user, "--password", pw,
                            "--encrypt", "--pptp", cfg.client],
                           capture_output=True, text=True)
        need(r.returncode == 0, f"pptpsetup --create: {r.stderr}")
        r = sh("ip netns exec cli pon vpn", check=False)
        need(r.returncode == 0, f"pon vpn: {r.stdout}{r.stderr}")
        local, peer = tunnel_up()
        pid = sh("pgrep -f '^/usr/sbin/pppd call vpn'", check=False)
        need(pid.stdout.split(), "no 'pppd call vpn' process")
        said = lambda: log_lines(f"pppd[{pid.stdout.split()[0]}]")
        need(wait_until(lambda: any("MPPE 128-bit stateless compression "
                                    "enabled" in l for l in said()), 5),
             f"the client's pppd reported no MPPE 128-bit: {said()[-5:]}")
        got, _ = ping(peer, 10)
        need(got == 10, f"{got} of 10 pings answered")
        r = sh("poff vpn", check=False)
        need(r.returncode == 0, f"poff vpn: {r.stdout}{r.stderr}")
        need(wait_until(lambda: not ppp_addr("cli"), 8), "ppp0 still up "
             "after poff")
        need(wait_until(lambda: not pptp_procs(), 8),
             f"pptp processes left after poff: {pptp_procs()}")
        r = subprocess.run([setup, "--delete", "vpn"], capture_output=True,
                           text=True)
        need(r.returncode == 0, f"pptpsetup --delete: {r.stderr}")
        after = tree("/etc/ppp")
        diff = sorted(k for k in set(before) | set(after)
                      if before.get(k) != after.get(k))
        need(not diff, f"/etc/ppp differs after --delete: {diff}")
    finally:
        for f in ("/etc/ppp/options.pptp", "/etc/ppp/peers/vpn"):
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass
    return f"pptpsetup --create vpn, pon vpn: ppp0 {local} -> {peer}, " \
           "MPPE-128, 10/10 pings; poff vpn: all gone; pptpsetup " \
           "--delete vpn: /etc/ppp byte for byte as before"


@scenario
def bulk_transfer():
    p = pppd()
    tunnel_up()
    up, down = bulk(20 * 1000 * 1000)
    p.terminate()
    return f"20 MB each way intact: up {up:.1f} MB/s, down {down:.1f} MB/s"


@scenario
def netem():
    p = pppd()
    tunnel_up()
    # server -> client: loss, delay with jitter, and reordering
    sh("ip netns exec srv tc qdisc add dev vs root netem delay 10ms "
       "reorder 25% 50% loss 2%")
    up, down = bulk(8 * 1000 * 1000, timeout=400)
    rates = f"8 MB each way intact, up {up:.2f} MB/s, down {down:.2f} MB/s"
    st = stats()
    need(st.get("rx lost", 0) > 0, f"{rates}; no rx lost in statistics "
         f"{st or '(none logged in our format)'}")
    need(st.get("rx buffered", 0) > 0, f"{rates}; no rx buffered in {st}")
    p.terminate()
    return (f"2% loss, 25% reordering: {rates}; rx lost "
            f"{st['rx lost']}, rx buffered {st['rx buffered']}")


@scenario
def shared():
    """Two, then three tunnels to one pptpd, each from its own pppd; one
    call manager, a control connection per call (poptop carries one)."""
    a = pppd(unit=0, log="/tmp/pppd-a.log")
    tunnel_up("ppp0")
    b = pppd(unit=1, log="/tmp/pppd-b.log")
    tunnel_up("ppp1")
    mgrs = [t for t in pptp_procs().values() if "call manager" in t]
    need(len(mgrs) == 1, f"call managers: {mgrs}")
    need(control_connections() == 2,
         f"server sees {control_connections()} control connections")
    all_ping(["ppp0", "ppp1"])
    stop(a, "ppp0")
    all_ping(["ppp1"])
    a = pppd(unit=0, log="/tmp/pppd-a.log")
    tunnel_up("ppp0")
    all_ping(["ppp0", "ppp1"])
    c = pppd(unit=2, log="/tmp/pppd-c.log")
    tunnel_up("ppp2")
    all_ping(["ppp0", "ppp1", "ppp2"])
    need(control_connections() == 3,
         f"server sees {control_connections()} control connections")
    stop(b, "ppp1")
    all_ping(["ppp0", "ppp2"])
    for p, dev in ((a, "ppp0"), (c, "ppp2")):
        stop(p, dev)
    left = left_behind()
    need(not left, "; ".join(left))
    said = [l for l in log_lines("pptpd") if "already open" in l]
    need(not said, f"pptpd: {said}")
    return "2, then 3 tunnels to one pptpd: one call manager, a control " \
        "connection each, all pinging; any one stopped, the others go on"

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end scenarios across other networks: tunnels from two hosts
through a Linux NAT router with the kernel's PPTP helpers, and tunnels
to two pptpd at once.  Run by uml.py in the guest."""

import os
import re
import signal
import subprocess

from guest import (NF_MODULES, PPPD_OPTS, SERVER, all_ping, cfg, host_route,
                   left_behind, need, netfilter_modules, ppp_addr, pppd,
                   pptp_procs, scenario, sh, stop, tunnel_up, wait_until)


# ... and a NAT router's: MASQUERADE and the PPTP NAT helper
NAT_MODULES = NF_MODULES + ["net/netfilter/nf_nat",
                            "net/ipv4/netfilter/nf_nat_pptp",
                            "net/netfilter/xt_MASQUERADE",
                            "net/ipv4/netfilter/iptable_nat"]

NAT_SERVER = "198.51.100.1"


def nat_world():
    """A NAT router (namespace nat) between the server's second address
    198.51.100.1 and two hosts: cli (10.9.1.2) and cli2 (10.9.2.2).  It
    masquerades them behind 198.51.100.2 with the kernel's PPTP helpers
    (conntrack assigned on TCP 1723 in PREROUTING, as a router does)."""
    netfilter_modules(NAT_MODULES)
    for ns in ("nat", "cli2"):
        sh(f"ip netns add {ns}")
        sh(f"ip -n {ns} link set lo up")
    for a, an, b, bn, net in (("srv", "vs2", "nat", "nw", "198.51.100"),
                              ("nat", "l1", "cli", "c1", "10.9.1"),
                              ("nat", "l2", "cli2", "c2", "10.9.2")):
        sh(f"ip link add {an} netns {a} type veth peer name {bn} netns {b}")
        sh(f"ip -n {a} addr add {net}.1/24 dev {an}")
        sh(f"ip -n {b} addr add {net}.2/24 dev {bn}")
        sh(f"ip -n {a} link set {an} up")
        sh(f"ip -n {b} link set {bn} up")
    sh("ip -n cli route add 198.51.100.0/24 via 10.9.1.1")
    sh("ip -n cli2 route add 198.51.100.0/24 via 10.9.2.1")
    sh("ip netns exec nat sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'")
    ipt = "ip netns exec nat iptables-legacy"
    sh(f"{ipt} -t raw -A PREROUTING -p tcp --dport 1723 -j CT "
       "--helper pptp")
    sh(f"{ipt} -t nat -A POSTROUTING -o nw -j MASQUERADE")


def nat_pppd(ns, unit, log):
    cmd = (f"ip netns exec {ns} pppd pty '{cfg.client} {NAT_SERVER} "
           f"--nolaunchpppd' {PPPD_OPTS} unit {unit} nodetach logfd 2")
    return subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"), start_new_session=True)


def nat_tunnel_up(ns, dev, timeout=20):
    need(wait_until(lambda: ppp_addr(ns, dev), timeout),
         f"{ns} {dev} got no address within {timeout} s")
    return ppp_addr(ns, dev)


def nat_ping_all(links, count=10):
    """Ping through every (ns, dev) at once; each must get all back."""
    procs = []
    for ns, dev in links:
        peer = ppp_addr(ns, dev)
        need(peer, f"{ns} {dev} has no address")
        procs.append(((ns, dev), subprocess.Popen(
            f"ip netns exec {ns} ping -q -c {count} -i 0.2 -W 2 -I {dev} "
            f"{peer[1]}", shell=True, stdout=subprocess.PIPE, text=True)))
    for (ns, dev), p in procs:
        out, _ = p.communicate(timeout=30)
        m = re.search(r"(\d+) received", out)
        got = int(m.group(1)) if m else 0
        need(got == count, f"{ns} {dev}: {got} of {count} pings at once")


@scenario
def nat():
    """Through a Linux NAT router with the kernel's PPTP conntrack and NAT
    helpers: two tunnels from one host and one from another, to one
    pptpd, all passing traffic at once; stopping one leaves the others."""
    nat_world()
    try:
        a = nat_pppd("cli", 0, "/tmp/pppd-a.log")
        nat_tunnel_up("cli", "ppp0")
        b = nat_pppd("cli", 1, "/tmp/pppd-b.log")
        nat_tunnel_up("cli", "ppp1")
        c = nat_pppd("cli2", 0, "/tmp/pppd-c.log")
        nat_tunnel_up("cli2", "ppp0")
        links = [("cli", "ppp0"), ("cli", "ppp1"), ("cli2", "ppp0")]
        nat_ping_all(links)
        seen = sh("ip netns exec srv ss -tn state established "
                  "'( sport = :1723 )'").stdout.count("198.51.100.2")
        need(seen == 3, f"server sees {seen} control connections from "
             "the NAT's address, not 3")
        os.killpg(b.pid, signal.SIGTERM)
        need(wait_until(lambda: not ppp_addr("cli", "ppp1"), 8),
             "cli ppp1 stayed")
        nat_ping_all([("cli", "ppp0"), ("cli2", "ppp0")])
        for p, ns in ((a, "cli"), (c, "cli2")):
            os.killpg(p.pid, signal.SIGTERM)
            need(wait_until(lambda: not ppp_addr(ns, "ppp0"), 8),
                 f"{ns} ppp0 stayed")
        left = left_behind()
        need(not left, "; ".join(left))
    finally:
        sh("ip netns del nat", check=False)
        sh("ip netns del cli2", check=False)
    return "3 tunnels through a NAT with nf_nat_pptp (2 from one host, 1 " \
        "from another), 10/10 pings each at once; one stopped, the other " \
        "2 go on"


@scenario
def two_servers():
    """A second pptpd in a third namespace: a tunnel to each at once."""
    sh("ip netns add srv2")
    sh("ip -n srv2 link set lo up")
    sh("ip link add vs2 netns srv2 type veth peer name vc2 netns cli")
    sh("ip -n srv2 addr add 198.51.100.1/24 dev vs2")
    sh("ip -n srv2 link set vs2 up")
    sh("ip -n cli addr add 198.51.100.2/24 dev vc2")
    sh("ip -n cli link set vc2 up")
    with open("/tmp/pptpd2.conf", "w") as f:
        f.write("debug\noption /etc/ppp/pptpd-options\nlocalip 10.1.0.1\n"
                "remoteip 10.1.0.100-109\n")
    subprocess.Popen("ip netns exec srv2 pptpd -f -c /tmp/pptpd2.conf "
                     "-p /run/pptpd2.pid", shell=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    need(wait_until(lambda: "1723" in sh("ip netns exec srv2 ss -ltn",
                                         check=False).stdout, 5),
         "the second pptpd did not start")
    a = pppd(unit=0, log="/tmp/pppd-a.log")
    tunnel_up("ppp0")
    cmd = (f"ip netns exec cli pppd pty '{cfg.client} 198.51.100.1 "
           f"--nolaunchpppd' {PPPD_OPTS} unit 1 nodetach logfd 2")
    b = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL,
                         stderr=open("/tmp/pppd-b.log", "w"),
                         start_new_session=True)
    tunnel_up("ppp1")
    need(ppp_addr("cli", "ppp1")[1] == "10.1.0.1",
         f"ppp1 is not to the second server: {ppp_addr('cli', 'ppp1')}")
    mgrs = [t for t in pptp_procs().values() if "call manager" in t]
    need(len(mgrs) == 2, f"call managers: {mgrs}")
    all_ping(["ppp0", "ppp1"])
    routes = sh("ip -n cli route show").stdout
    for srv in (SERVER, "198.51.100.1"):
        need(re.search(rf"^{re.escape(srv)} .*proto 47", routes, re.M),
             f"no host route to {srv}: {routes}")
    stop(a, "ppp0")
    all_ping(["ppp1"])
    need(host_route() == "", f"host route to the first left: "
         f"{host_route()!r}")
    stop(b, "ppp1")
    left = left_behind()
    need(not left, "; ".join(left))
    return "tunnels to two pptpd at once, both pinging, a host route " \
        "each; stopping one leaves the other going"

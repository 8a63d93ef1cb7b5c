#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end scenarios of pptp --diagnose against the real pptpd: every
stage passing, GRE dropped, TCP dropped, nothing listening, and this
machine's own stateful firewall without and with the PPTP helper.  Run
by uml.py in the guest."""

import json
import os
import re
import signal
import time

import procinfo
from guest import (SERVER, Fail, cfg, left_behind, log_lines, need,
                   netfilter_modules, pppd, read, scenario, sh, wait_until)


def diag_run(what, *args):
    """pptp --diagnose SERVER --json in cli: status, the document, each
    stage's ok and detail, and where cfg.syslog stood before; nothing of
    ours may be left after it."""
    n = len(cfg.syslog)
    r = sh(f"ip netns exec cli {cfg.client} --diagnose {SERVER} --json "
           + " ".join(args), check=False, timeout=60)
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        raise Fail(f"{what}: no JSON ({r.returncode}): {r.stdout!r} "
                   f"{r.stderr!r}")
    ok = {s["name"]: s["ok"] for s in doc["stages"]}
    detail = {s["name"]: s["detail"] for s in doc["stages"]}
    left = left_behind()
    need(not left, f"{what}: " + "; ".join(left))
    return r.returncode, doc, ok, detail, n


def diag_server_cleared(what, n):
    """pptpd logged, since cfg.syslog[n], the call cleared and the control
    connection stopped; its pppd is gone."""
    srv = lambda: [l for _, l in cfg.syslog[n:]
                   if l.startswith(("pptpd", "pptpctrl"))]
    wait_until(lambda: any("control connection finished" in l
                           for l in srv()), 5)
    lines = srv()
    need([l for l in lines if re.search(r"CALL.?CLR|call clear", l, re.I)],
         f"{what}: pptpd logged no call clear: {lines[-8:]}")
    need([l for l in lines if re.search(r"STOP.?CTRL|control "
                                        r"connection finished", l, re.I)],
         f"{what}: pptpd logged no control connection stop")
    wait_until(lambda: not sh("ip netns exec srv pgrep -x pppd",
                              check=False).stdout, 5)


def diag_passes(what):
    st, doc, ok, detail, n = diag_run(what)
    need(all(ok[s] for s in ("name", "tcp", "control", "call", "gre",
                             "clear")), f"{what}: {doc}")
    need(st == 0 and doc["verdict"] == "ok",
         f"{what}: status {st}, local: {detail['local']}")
    need("Configure-Ack to ours" in detail["gre"], detail["gre"])
    diag_server_cleared(what, n)
    return detail


@scenario
def diagnose():
    """pptp --diagnose against the real pptpd: every stage passes; the
    server's side dropping GRE fails at gre, TCP 1723 dropped silently
    and nothing listening fail at tcp, each with its cause in words;
    after each run that reached the server, pptpd logs the call cleared
    and the control connection stopped, and nothing of ours is left."""
    said = []
    detail = diag_passes("working server")
    said.append("passes: " + detail["control"].split("; ", 1)[1])

    sh("ip netns exec srv tc qdisc add dev vs ingress")
    sh("ip netns exec srv tc filter add dev vs parent ffff: protocol ip "
       "u32 match ip protocol 47 0xff action drop")
    st, doc, ok, detail, n = diag_run("GRE dropped")
    need(st == 15 and not ok["gre"] and ok["call"], f"GRE dropped: {doc}")
    need("ours does not reach it" in doc["cause"], doc["cause"])
    diag_server_cleared("GRE dropped", n)
    said.append("server drops GRE: " + doc["cause"])
    sh("ip netns exec srv tc filter del dev vs parent ffff:")

    sh("ip netns exec srv tc filter add dev vs parent ffff: protocol ip "
       "u32 match ip protocol 6 0xff match ip dport 1723 0xffff "
       "action drop")
    st, doc, ok, detail, n = diag_run("TCP dropped", "--connect-timeout 3")
    need(st == 12 and not ok["tcp"], f"TCP dropped: {doc}")
    need("no answer in 3 s (filtered)" in detail["tcp"], detail["tcp"])
    sh("ip netns exec srv tc qdisc del dev vs ingress")

    for pid in procinfo.pids_named("pptpd"):
        os.kill(pid, signal.SIGTERM)
    need(wait_until(lambda: "1723" not in sh("ip netns exec srv ss -ltn",
                                              check=False).stdout, 5),
         "pptpd did not stop")
    st, doc, ok, detail, n = diag_run("nothing listening")
    need(st == 12 and not ok["tcp"] and "refused" in detail["tcp"],
         f"nothing listening: {doc}")
    said.append("no pptpd: " + detail["tcp"])
    return "; ".join(said)


@scenario
def diagnose_conntrack():
    """This machine's own stateful firewall (input policy drop, only
    established and related accepted) without the PPTP helper drops the
    server's GRE: --diagnose fails at gre and names conntrack and the
    helper; once the helper is assigned to TCP 1723, it passes again."""
    netfilter_modules()
    ipt = "ip netns exec cli iptables-legacy"
    sh(f"{ipt} -A INPUT -i lo -j ACCEPT")
    sh(f"{ipt} -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED "
       "-j ACCEPT")
    sh(f"{ipt} -P INPUT DROP")
    st, doc, ok, detail, n = diag_run("stateful firewall")
    need(st == 15 and not ok["gre"] and ok["call"],
         f"stateful firewall: {doc}")
    need("tracks connections (netfilter conntrack)" in doc["cause"] and
         "no PPTP helper" in doc["cause"], doc["cause"])
    diag_server_cleared("stateful firewall", n)
    cause = doc["cause"]
    # a real tunnel behind it names the same cause within 15 s
    p = pppd()
    t = time.monotonic()
    words = ("this machine tracks connections (netfilter conntrack) and "
             "the control connection has no PPTP helper")
    need(wait_until(lambda: words in read("/tmp/pppd.log")
                    or any(words in l for l in log_lines()), 15),
         "a tunnel behind the stateful firewall did not name conntrack "
         "within 15 s: " + read("/tmp/pppd.log")[-400:])
    took = time.monotonic() - t
    os.killpg(p.pid, signal.SIGTERM)
    p.wait(timeout=10)
    need(not left_behind(), f"left behind: {left_behind()}")
    sh(f"{ipt} -t raw -A OUTPUT -p tcp --dport 1723 -j CT --helper pptp")
    diag_passes("helper assigned")
    return (f"without the helper: {cause}; a tunnel said so in "
            f"{took:.1f} s; with it: every stage passes")

# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of pptp --diagnose HOST (pptp(8) DIAGNOSE) against
fakepptpd, for what a real server cannot be made to do: refuse the
control connection or the call, answer GRE one way or not at all, speak
something else than PPTP on port 1723; and nothing listening, TCP 1723
dropped silently.  Each run must leave the server as found (the call
cleared, the connection stopped) and nothing of ours behind.

This host's kernel has no PPP: the local stage fails here (no /dev/ppp,
no ppp_mppe), which is reported, named in the verdict (exit 11 when the
network passes) and never stops the network stages."""

import fcntl
import json
import os
import pty
import re
import select
import signal
import subprocess
import termios
import time

from harness import (CFG, NOCAPS, no_leftovers, pptp_pids, proc_status,
                     test, title_of, wait_until)

STAGES = ["name", "local", "tcp", "control", "call", "gre", "clear"]


def diagnose(env, *args, host="192.0.2.1", timeout=40):
    """pptp --diagnose HOST in the client's namespace: (status, stdout,
    stderr, seconds)."""
    t = time.monotonic()
    r = subprocess.run(["ip", "netns", "exec", env.cns, CFG.pptp,
                        "--diagnose", host] + list(args),
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr, time.monotonic() - t


def stage_lines(out):
    """{stage: (ok, line)} of the text output, and the verdict line."""
    got, verdict = {}, None
    for line in out.splitlines():
        word = line.split(" ", 1)[0]
        if word in STAGES:
            got[word] = (line.split()[1] == "ok", line)
        elif line.startswith("verdict: "):
            verdict = line
    return got, verdict


def network_ok_until(got, last):
    """Every network stage up to last passed (local may fail here)."""
    for s in STAGES[STAGES.index("tcp"):STAGES.index(last) + 1]:
        assert got[s][0], got[s][1]


def left_as_found(srv, call=True):
    """The server saw the call cleared (if one was made) and the control
    connection stopped."""
    if call:
        srv.wait("recv CCRQ")
        srv.wait("send CDN")
    srv.wait("recv StopCCRQ")
    srv.wait("send StopCCRP")


def status_for_pass(got):
    """0 when this machine could run a tunnel, else 11 (local)."""
    return 0 if got["local"][0] else 11


@test
def diagnose_passes_every_stage(env):
    srv = env.server("--gre", "lcp")
    st, out, err, secs = diagnose(env)
    got, verdict = stage_lines(out)
    assert list(got) == STAGES, out + err
    network_ok_until(got, "clear")
    assert st == status_for_pass(got), (st, out, err)
    assert secs < 5, secs
    assert "using 192.0.2.1" in got["name"][1]
    assert "pppd mtu and mru of at most" in got["local"][1], out
    assert 'server "fakepptpd", vendor "pptp test server"' in \
        got["control"][1], out
    assert "maximum channels 0" in got["control"][1], out
    assert "OCRP: accepted" in got["call"][1], out
    assert "GRE from the server arrives" in got["gre"][1], out
    assert "ours reached it (Configure-Ack to ours)" in got["gre"][1], out
    assert "answered by Call-Disconnect-Notify" in got["clear"][1], out
    assert "answered by Stop-Control-Connection-Reply" in got["clear"][1]
    if st == 0:
        assert verdict.startswith("verdict: ok: every stage passed"), out
    else:
        assert "every network stage passed" in verdict, verdict
    assert "lcp configure-request" in srv.text()
    left_as_found(srv)
    no_leftovers(env)


@test
def diagnose_json_document(env):
    srv = env.server("--gre", "lcp", "--hostname-hex", "22415c0a01")
    st, out, err, _ = diagnose(env, "--json")
    doc = json.loads(out)
    assert set(doc) == {"host", "verdict", "stages", "cause", "fix"}, doc
    assert doc["host"] == "192.0.2.1"
    assert [s["name"] for s in doc["stages"]] == STAGES, doc
    for s in doc["stages"]:
        assert set(s) == {"name", "ok", "detail", "seconds"}, s
        assert isinstance(s["ok"], bool) and s["seconds"] >= 0, s
    ok = {s["name"]: s["ok"] for s in doc["stages"]}
    assert all(ok[s] for s in STAGES[2:]), doc
    assert doc["verdict"] == ("ok" if ok["local"] else "fail"), doc
    assert st == (0 if ok["local"] else 11), st
    # the server's odd host name ("A\, newline, 0x01) arrives escaped
    control = doc["stages"][3]["detail"]
    assert 'server ""A\\x5c\\x0a\\x01"' in control, control
    assert doc["cause"] and doc["fix"]
    left_as_found(srv)
    no_leftovers(env)


@test
def diagnose_control_connection_refused(env):
    srv = env.server("--sccrp", "4")
    st, out, err, _ = diagnose(env)
    got, verdict = stage_lines(out)
    assert st == 13, (st, out, err)
    assert list(got) == STAGES[:4], out
    assert not got["control"][0]
    assert "server refused control connection: not authorized" in \
        got["control"][1], out
    assert "FAIL at control: the server refused the control connection" \
        in verdict, verdict
    no_leftovers(env)
    assert srv.lines("recv OCRQ") == []


@test
def diagnose_call_refused_busy(env):
    srv = env.server("--ocrp", "4")
    st, out, err, _ = diagnose(env)
    got, verdict = stage_lines(out)
    assert st == 14, (st, out, err)
    network_ok_until(got, "control")
    assert not got["call"][0]
    assert "busy" in got["call"][1], out
    assert "FAIL at call: the server refused the call: busy" in verdict, \
        verdict
    assert "clear" in got and got["clear"][0], out
    left_as_found(srv, call=False)
    no_leftovers(env)


@test
def diagnose_call_refused_no_carrier(env):
    srv = env.server("--ocrp", "3")
    st, out, err, _ = diagnose(env, "--json")
    doc = json.loads(out)
    assert st == 14, (st, out, err)
    call = [s for s in doc["stages"] if s["name"] == "call"][0]
    assert not call["ok"] and "no carrier" in call["detail"], doc
    assert doc["verdict"] == "fail" and "no carrier" in doc["cause"], doc
    left_as_found(srv, call=False)
    no_leftovers(env)


@test
def diagnose_no_gre_from_server(env):
    srv = env.server("--gre", "drop")
    st, out, err, secs = diagnose(env)
    got, verdict = stage_lines(out)
    assert st == 15, (st, out, err)
    network_ok_until(got, "call")
    assert not got["gre"][0]
    assert "no GRE from the server" in got["gre"][1], out
    assert "ours reached it: cannot tell" in got["gre"][1], out
    assert "no GRE comes back from 192.0.2.1" in verdict, verdict
    assert "PPTP helper" in verdict, verdict
    assert srv.lines("gre rx"), "our GRE never reached the server"
    left_as_found(srv)
    no_leftovers(env)


@test
def diagnose_own_stateful_firewall(env):
    """This machine's input filter accepts only established traffic and
    no PPTP helper follows the control connection: the server's GRE is
    dropped here, and the verdict says so (conntrack, the helper)."""
    subprocess.run(["ip", "netns", "exec", env.cns, "nft", "-f", "-"],
                   input="table inet fw {\n chain in {\n  type filter "
                   "hook input priority 0; policy drop;\n  ct state "
                   "established,related accept\n  iif lo accept\n }\n}\n",
                   text=True, check=True)
    srv = env.server("--gre", "lcp")
    st, out, err, _ = diagnose(env)
    got, verdict = stage_lines(out)
    assert st == 15, (st, out, err)
    assert "no GRE from the server" in got["gre"][1], out
    assert "this machine tracks connections (netfilter conntrack) and " \
        "the control connection has no PPTP helper" in verdict, verdict
    assert "ct helper set" in verdict and "--helper pptp" in verdict
    assert "lcp configure-request" in srv.text(), "ours did not arrive"
    left_as_found(srv)
    no_leftovers(env)
    # the PPTP helper assigned to the control connection: GRE passes
    subprocess.run(["ip", "netns", "exec", env.cns, "nft", "-f", "-"],
                   input="table inet fw {\n ct helper pptph {\n  type "
                   "\"pptp\" protocol tcp\n }\n chain out {\n  type filter "
                   "hook output priority 0;\n  tcp dport 1723 ct helper set "
                   "\"pptph\"\n }\n}\n", text=True, check=True)
    st, out, err, _ = diagnose(env)
    got, verdict = stage_lines(out)
    network_ok_until(got, "clear")
    assert st == status_for_pass(got), (st, out, err)


@test
def diagnose_gre_only_from_server(env):
    """The server's side sends its LCP Configure-Requests, and ours never
    reach it: GRE one way."""
    req = "ff03c021010100 0a05065a5a5a5a".replace(" ", "")
    script = [f"gre {i} hex={req}\nsleep 300" for i in range(1, 4)]
    srv = env.server("--gre", "script", script=script)
    st, out, err, _ = diagnose(env)
    got, verdict = stage_lines(out)
    assert st == 15, (st, out, err)
    assert "GRE from the server arrives" in got["gre"][1], out
    assert "its LCP Configure-Request among them" in got["gre"][1], out
    assert "ours reached it: no" in got["gre"][1], out
    assert "arrives, but ours does not reach it" in verdict, verdict
    left_as_found(srv)
    no_leftovers(env)


@test
def diagnose_gre_bounced(env):
    """No GRE socket on the server: its kernel answers ours with ICMP
    protocol unreachable, said in words."""
    srv = env.server("--gre", "none")
    st, out, err, _ = diagnose(env)
    got, verdict = stage_lines(out)
    assert st == 15, (st, out, err)
    assert "ours reached it: no, it bounced: ICMP protocol unreachable" \
        in got["gre"][1], out
    assert "GRE to 192.0.2.1 bounced" in verdict, verdict
    left_as_found(srv)
    no_leftovers(env)


@test
def diagnose_not_a_pptp_server(env):
    srv = env.server("--banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2")
    st, out, err, secs = diagnose(env)
    got, verdict = stage_lines(out)
    assert st == 13, (st, out, err)
    assert got["tcp"][0] and not got["control"][0], out
    assert "malformed control message from server" in got["control"][1]
    assert "does not speak PPTP" in verdict, verdict
    assert secs < 10, secs
    assert srv.lines("not pptp")
    no_leftovers(env)


@test
def diagnose_nothing_listening(env):
    st, out, err, _ = diagnose(env)
    got, verdict = stage_lines(out)
    assert st == 12, (st, out, err)
    assert list(got) == STAGES[:3], out
    assert "refused: nothing listens on port 1723" in got["tcp"][1], out
    assert "start the PPTP server" in verdict, verdict
    no_leftovers(env)


@test
def diagnose_tcp_dropped(env):
    """TCP 1723 silently dropped in the server's namespace (nft)."""
    srv = env.server()
    subprocess.run(["ip", "netns", "exec", env.sns, "nft", "-f", "-"],
                   input="table inet diag {\n chain in {\n  type filter "
                   "hook input priority 0;\n  tcp dport 1723 drop\n }\n}\n",
                   text=True, check=True)
    st, out, err, secs = diagnose(env, "--connect-timeout", "2")
    got, verdict = stage_lines(out)
    assert st == 12, (st, out, err)
    assert "no answer in 2 s (filtered)" in got["tcp"][1], out
    assert "drops it silently" in verdict, verdict
    assert 2 <= secs < 5, secs
    assert "accept" not in srv.text()
    no_leftovers(env)


def diagnosing():
    """The diagnosing process: not one of its relays ("pptp: ...")."""
    return [p for p in pptp_pids() if not title_of(p).startswith("pptp: ")]


@test
def diagnose_reads_the_network_sandboxed(env):
    """While it waits for the server, the diagnosing process is the
    unprivileged user, without capabilities, under its filter; a stop
    signal then still stops the connection on the server."""
    srv = env.server("--sccrp", "never")
    p = subprocess.Popen(["ip", "netns", "exec", env.cns, CFG.pptp,
                          "--diagnose", "192.0.2.1"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    env.procs.append(p)
    srv.wait("recv SCCRQ")
    assert wait_until(lambda: diagnosing(), 2)
    st = proc_status(diagnosing()[0])
    assert not st["Uid"].startswith("0\t"), st
    assert st["CapEff"] == NOCAPS and st["CapPrm"] == NOCAPS, st
    assert st["Seccomp"] == "2" and st["NoNewPrivs"] == "1", st
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=10)
    assert p.returncode == 13, (p.returncode, out, err)
    assert "stopped by signal 15" in out, out
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def diagnose_holds_no_terminal(env):
    """Run from a terminal (a pty, its controlling terminal), the
    sandboxed diagnosing process holds no descriptor on it: stdin is
    /dev/null, stdout and stderr the relays' pipes; the terminal is
    theirs alone, and the stage lines still reach it.  Its descriptors
    and file sizes are limited like the other sandboxed processes'."""
    srv = env.server("--sccrp", "never")
    master, slave = pty.openpty()
    tty = os.fstat(slave).st_rdev

    def controlling():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(["ip", "netns", "exec", env.cns, CFG.pptp,
                          "--diagnose", "192.0.2.1"], stdin=slave,
                         stdout=slave, stderr=slave, preexec_fn=controlling)
    env.procs.append(p)
    os.close(slave)
    shown = b""

    def read():
        nonlocal shown
        while select.select([master], [], [], 0)[0]:
            try:
                d = os.read(master, 4096)
            except OSError:
                break
            if not d:
                break
            shown += d
        return shown.decode(errors="replace")

    try:
        srv.wait("recv SCCRQ")
        assert wait_until(lambda: diagnosing(), 2)
        boxed = diagnosing()[0]
        assert proc_status(boxed)["Seccomp"] == "2"
        for fd in os.listdir(f"/proc/{boxed}/fd"):
            try:
                st = os.stat(f"/proc/{boxed}/fd/{fd}")
            except OSError:
                continue
            assert st.st_rdev != tty, (fd, os.readlink(
                f"/proc/{boxed}/fd/{fd}"), "the terminal")
        assert os.readlink(f"/proc/{boxed}/fd/0") == "/dev/null"
        for fd in (1, 2):
            assert os.readlink(f"/proc/{boxed}/fd/{fd}").startswith(
                "pipe:"), fd
        limits = open(f"/proc/{boxed}/limits").read()
        assert re.search(r"Max open files\s+16\s+16", limits), limits
        if not CFG.sanitized:
            assert re.search(r"Max file size\s+0\s+0", limits), limits
        read()
        p.send_signal(signal.SIGTERM)
        assert p.wait(10) == 13
        assert wait_until(lambda: "stopped by signal 15" in read(), 3), \
            shown
        assert "tcp     ok" in read(), shown
    finally:
        os.close(master)
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def diagnose_usage(env):
    r = subprocess.run([CFG.pptp, "--diagnose"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "no server given" in r.stderr, r.stderr
    r = subprocess.run([CFG.pptp, "--help"], capture_output=True, text=True)
    assert "--diagnose HOST" in r.stdout and "--json" in r.stdout

# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of the control connection: its set-up and the server's
refusals, timeouts, echoes, malformed messages, the server's endings,
quirks.

Their harness is tests/harness.py; tests/integration/run.py runs them,
in the order written."""

import os
import re
import signal
import subprocess
import time

from harness import (CFG, link_of, no_leftovers, passes_data, pptp_pids, sh,
                     test, title_of, wait_until)


@test
def connect_and_hangup(env):
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    assert srv.field("recv SCCRQ", "max_channels") == "0"
    assert srv.field("recv SCCRQ", "version") == "0x0100"
    assert srv.field("recv SCCRQ", "framing") == "3"
    assert srv.field("recv SCCRQ", "bearer") == "3"
    call_id = srv.field("recv OCRQ", "call_id")
    assert call_id != "0"
    assert srv.field("recv OCRQ", "window") == "64"
    assert srv.field("recv OCRQ", "framing") == "1"
    cli.hangup()
    assert cli.exit_status() == 0
    srv.wait("recv StopCCRQ reason=3")
    assert srv.field("recv CCRQ", "call_id") == call_id
    no_leftovers(env)


@test
def path_mtu_hint(env):
    sh(f"ip -n {env.cns} link set dev {link_of(env)} mtu 1400")
    env.server()
    cli = env.client()
    cli.wait_up()
    cli.wait_log("path MTU 1400: pppd mtu and mru of at most 1356 keep "
                 "GRE unfragmented")
    cli.hangup()
    assert cli.exit_status() == 0


@test
def phone_and_sync_framing(env):
    srv = env.server()
    cli = env.client("--phone", "5551234", "--sync", "--window", "16",
                     sync=True)
    cli.wait_up()
    assert srv.field("recv OCRQ", "phone") == "5551234"
    assert srv.field("recv OCRQ", "phone_len") == "7"
    assert srv.field("recv OCRQ", "framing") == "2"
    assert srv.field("recv OCRQ", "window") == "16"
    cli.hangup()
    assert cli.exit_status() == 0


def refused(env, result, words):
    env.server("--sccrp", str(result))
    cli = env.client()
    assert cli.exit_status() == 4, cli.stderr()
    assert f"server refused control connection: {words}" in cli.stderr()
    no_leftovers(env)


@test
def sccrp_general_error(env):
    refused(env, 2, "general error: PAC error")


@test
def sccrp_channel_exists(env):
    refused(env, 3, "command channel already exists")


@test
def sccrp_not_authorized(env):
    refused(env, 4, "not authorized")


@test
def sccrp_bad_version(env):
    refused(env, 5, "protocol version not supported")


@test
def sccrp_result_zero_accepted(env):
    env.server("--sccrp", "0")
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    assert cli.exit_status() == 0


@test
def ocrp_refused_each_result(env):
    words = {2: "general error", 3: "no carrier", 4: "busy",
             5: "no dial tone", 6: "time-out", 7: "do not accept"}
    for result, w in words.items():
        srv = env.server("--ocrp", str(result))
        cli = env.client()
        assert cli.exit_status() == 5, cli.stderr()
        assert f"server refused call: {w}" in cli.stderr(), cli.stderr()
        no_leftovers(env)
        srv.proc.kill()
        srv.proc.wait()


@test
def sccrp_never_comes(env):
    env.server("--sccrp", "never")
    t = time.monotonic()
    cli = env.client("--reply-timeout", "1")
    assert cli.exit_status(5) == 7
    assert time.monotonic() - t < 4
    assert "no reply to SCCRQ from server within 1 s" in cli.stderr()
    no_leftovers(env)


@test
def ocrp_never_comes(env):
    srv = env.server("--ocrp", "never")
    cli = env.client("--reply-timeout", "1")
    assert cli.exit_status(5) == 7
    assert "no reply to OCRQ from server within 1 s" in cli.stderr()
    srv.wait("recv CCRQ")
    no_leftovers(env)


@test
def pppd_hangs_up_while_the_call_is_placed(env):
    """pppd gone before the OCRP: pptp ends at once (not at the reply
    timeout) and the call asked for is cleared (found by make chaos)."""
    srv = env.server("--ocrp", "never")
    cli = env.client()
    srv.wait("recv OCRQ")
    call_id = srv.field("recv OCRQ", "call_id")
    t = time.monotonic()
    cli.hangup()
    assert cli.exit_status(5) == 0, cli.stderr()
    assert time.monotonic() - t < 2
    assert "pppd hung up while the call was placed" in cli.stderr()
    srv.wait(f"recv CCRQ call_id={call_id}")
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def connection_refused(env):
    cli = env.client()
    assert cli.exit_status() == 3
    assert ("cannot connect to 192.0.2.1 port 1723: "
            "connection refused") in cli.stderr(), cli.stderr()
    assert "host route" not in cli.stderr(), cli.stderr()
    no_leftovers(env)


@test
def connect_timeout(env):
    # 192.0.2.9 does not answer ARP: nothing ever comes back
    cmd = ["ip", "netns", "exec", env.cns, CFG.pptp, "192.0.2.9",
           "--nolaunchpppd", "--rundir", env.rundir, "--connect-timeout",
           "1"]
    t = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=10)
    assert p.returncode == 3, p.stderr
    assert time.monotonic() - t < 3
    assert b"port 1723: timed out after 1 s" in p.stderr, p.stderr
    no_leftovers(env)


@test
def unknown_host(env):
    cmd = ["ip", "netns", "exec", env.cns, CFG.pptp, "no-such-host.invalid",
           "--nolaunchpppd", "--rundir", env.rundir]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=20)
    assert p.returncode == 3, p.stderr
    assert b"cannot resolve server no-such-host.invalid" in p.stderr


@test
def echo_request_answered(env):
    srv = env.server(script=["sleep 100", "echorq"])
    cli = env.client()
    cli.wait_up()
    srv.wait("recv Echo-Reply id=24301 result=1")
    cli.hangup()
    assert cli.exit_status() == 0


@test
def echo_timeout(env):
    srv = env.server("--no-echo")
    t = time.monotonic()
    cli = env.client("--idle-wait", "1", "--max-echo-wait", "1")
    cli.wait_up()
    assert cli.exit_status(6) == 7
    assert time.monotonic() - t < 5
    assert ("no Echo-Reply from server within 1 s: control connection lost"
            in cli.stderr())
    srv.wait("recv Echo-Request")
    no_leftovers(env)


@test
def echo_keeps_alive(env):
    env.server()
    cli = env.client("--idle-wait", "1", "--max-echo-wait", "1")
    cli.wait_up()
    time.sleep(3.5)
    assert cli.proc.poll() is None, cli.stderr()
    cli.hangup()
    assert cli.exit_status() == 0


@test
def server_disconnects_call(env):
    srv = env.server(script=["sleep 100", "cdn"])
    cli = env.client()
    assert cli.exit_status() == 6
    err = cli.stderr()
    assert ("server disconnected the call: administrative shutdown" in err
            and 'statistics "test statistics"' in err), err
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def server_stops_connection(env):
    srv = env.server(script=["sleep 100", "stopccrq"])
    cli = env.client()
    assert cli.exit_status() == 6
    assert ("server stopped the control connection: local shutdown"
            in cli.stderr())
    srv.wait("recv StopCCRP")
    no_leftovers(env)


@test
def reports_are_not_fatal(env):
    srv = env.server(script=["sleep 100", "wen", "sli", "icrq"])
    cli = env.client()
    cli.wait_up()
    srv.wait("recv ICRP peer_call_id=30583 result=3")
    srv.wait("script done")
    time.sleep(0.2)
    assert cli.proc.poll() is None
    cli.hangup()
    assert cli.exit_status() == 0


@test
def repeated_link_info_passed_on_once(env):
    """A server that repeats its Set-Link-Info: the gateway hears the
    ACCMs (and says them, at debug level) once, and again only when they
    change."""
    srv = env.server(script=["sli"] * 500 + ["sli 7"])
    cli = env.client("--loglevel", "2")
    cli.wait_up()
    srv.wait("script done")
    words = "server's ACCMs: send 0x%08x, receive 0xffffffff"
    cli.wait_log(words % 7)
    assert cli.stderr().count("server's ACCMs") == 2, cli.stderr()
    assert cli.stderr().count(words % 0) == 1, cli.stderr()
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


def commanded(env, script=None):
    """fakepptpd with a commands FIFO: (server, a function that sends it
    a script line now)."""
    fifo = env.path("commands")
    os.mkfifo(fifo)
    srv = env.server("--commands", fifo, script=script)

    def command(line):
        with open(fifo, "w") as f:
            f.write(line + "\n")
    return srv, command


@test
def reports_never_fill_a_tunnels_socket(env):
    """A server sends 5000 Set-Link-Info as the call comes up, each new,
    and 2000 more while the gateway is stopped: the manager passes on
    what the gateway's socket holds and keeps the latest of the rest
    until there is room, so the call lives, the gateway hears the
    latest, and data passes."""
    srv, command = commanded(env, script=["sli 0 5000"])
    cli = env.client("--loglevel", "2")
    cli.wait_up()
    srv.wait("script done", 20)
    cli.proc.send_signal(signal.SIGSTOP)
    try:
        command("sli 5000 2000")
        assert wait_until(lambda: srv.text().count("send Set-Link-Info")
                          == 7000, 20), srv.text().count("send Set-Link")
        time.sleep(0.5)     # the manager has them all
    finally:
        cli.proc.send_signal(signal.SIGCONT)
    cli.wait_log("server's ACCMs: send 0x00001b57, receive 0xffffffff")
    passes_data(cli, b"after the reports")
    assert "the call manager went away" not in cli.stderr(), \
        cli.stderr()[-2000:]
    cli.hangup()
    assert cli.exit_status() == 0, cli.stderr()[-2000:]
    no_leftovers(env)


@test
def a_gateway_that_reads_nothing_loses_its_call(env):
    """The gateway stopped, its socket full of reports, when the server
    ends the call: the call manager, which never waits for a tunnel,
    drops it in one line that names the call and what it could not
    tell it; the gateway, resumed, ends as when its manager goes, with
    the status a server's hangup gives; nothing is left."""
    srv, command = commanded(env)
    cli = env.client("--debug")
    cli.wait_up()
    call_id = int(srv.field("recv OCRQ", "call_id"))
    cli.proc.send_signal(signal.SIGSTOP)
    try:
        command("sli 0 2000")
        command("cdn")
        cli.wait_log("callmgr 192.0.2.1: the tunnel of call %d reads "
                     "nothing of what its call manager sends: dropped "
                     "(it was to hear: server disconnected the call"
                     % call_id, 20)
    finally:
        cli.proc.send_signal(signal.SIGCONT)
    assert cli.exit_status() == 6, cli.stderr()[-2000:]
    assert cli.stderr().count("reads nothing of what") == 1, \
        cli.stderr()[-2000:]
    # 2000 reports, four lines: the manager's stderr is not flooded
    assert cli.stderr().count("set link info for call") == 4, \
        cli.stderr()[-2000:]
    assert "(more for this call: at debug level)" in cli.stderr()
    assert "the call manager went away" in cli.stderr()
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def reserved0_accepted(env):
    env.server("--reserved0", "0x1234")
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    assert cli.exit_status() == 0


@test
def bytewise_replies(env):
    env.server("--bytewise")
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    assert cli.exit_status() == 0


def malformed(env, action, status, words):
    env.server(script=["sleep 100", action])
    cli = env.client()
    assert cli.exit_status() == status, cli.stderr()
    assert words in cli.stderr(), cli.stderr()
    no_leftovers(env)


@test
def garbage_closes(env):
    malformed(env, "garbage", 8,
              "malformed control message from server: bad magic cookie")


@test
def bad_cookie_closes(env):
    malformed(env, "badcookie", 8, "magic 0xdeadbeef")


@test
def impossible_length_closes(env):
    malformed(env, "badlen", 8, "impossible length (length 65535")


@test
def truncated_then_closed(env):
    malformed(env, "truncated", 6,
              "server 192.0.2.1 closed the control connection")


@test
def server_closes(env):
    malformed(env, "close", 6,
              "server 192.0.2.1 closed the control connection")


@test
def server_close_after_clear_reads_as_normal(env):
    """poptop closes the connection once the call is cleared: the call
    manager says the call was cleared at our request and the server then
    closed, not that the server closed it as if by fault."""
    srv = env.server("--close-after-cdn")
    cli = env.client("--debug")
    cli.wait_up()
    cli.hangup()
    assert cli.exit_status() == 0, cli.stderr()
    srv.wait("close after CDN")
    assert wait_until(lambda: "exiting" in cli.stderr(), 3), cli.stderr()
    err = cli.stderr()
    assert "the call was cleared at our request; server 192.0.2.1 then " \
        "closed the control connection" in err, err
    assert "exiting: server 192.0.2.1 closed" not in err, err
    no_leftovers(env)


@test
def server_resets(env):
    malformed(env, "reset", 6, "reset by the server")


@test
def two_calls_share_one_connection(env):
    srv = env.server("--max-channels", "8")
    a = env.client()
    a.wait_up()
    b = env.client()
    b.wait_up()
    assert len(srv.lines("accept connection")) == 1
    ids = [l.split("call_id=")[1].split()[0] for l in srv.lines("recv OCRQ")]
    assert len(ids) == 2 and ids[0] != ids[1], ids
    a.hangup()
    assert a.exit_status() == 0
    srv.wait(f"recv CCRQ call_id={ids[0]}")
    # b still carries data
    b.send(b"\xff\x03\x00\x21still here")
    assert b.recv_frames(1) == [b"\xff\x03\x00\x21still here"]
    assert "StopCCRQ" not in srv.text()
    b.hangup()
    assert b.exit_status() == 0
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def stale_socket_replaced(env):
    srv = env.server()
    a = env.client()
    a.wait_up()
    for pid in pptp_pids():     # the manager and its keeper: not the
        if pid != a.proc.pid and not title_of(pid).startswith(
                "pptp: stderr relay"):      # command's stderr
            os.kill(pid, signal.SIGKILL)
    assert a.exit_status() == 6
    assert "the call manager went away" in a.stderr()
    socks = [f for f in os.listdir(env.rundir)
             if re.fullmatch(r"192\.0\.2\.1-ns\d+-[0-9a-f]{8}", f)]
    assert len(socks) == 1, os.listdir(env.rundir)
    b = env.client("--loglevel", "2")
    b.wait_up()
    assert "removed stale call manager socket" in b.stderr()
    assert len(srv.lines("accept connection")) == 2
    b.hangup()
    assert b.exit_status() == 0
    no_leftovers(env)


@test
def quick_restart_never_blocked(env):
    """pppd's persist: a new pptp while the old call manager stops."""
    srv = env.server()
    for i in range(5):
        cli = env.client()
        cli.wait_up()
        cli.hangup()
        # no waiting for the old one to finish
    assert cli.exit_status() == 0
    no_leftovers(env)
    assert len(srv.lines("recv OCRQ")) == 5, srv.lines("recv OCRQ")


@test
def gateway_killed_clears_call(env):
    srv = env.server()
    a = env.client()
    a.wait_up()
    a.proc.kill()
    srv.wait("recv CCRQ")
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def sigterm_ends_call(env):
    srv = env.server()
    a = env.client()
    a.wait_up()
    t = time.monotonic()
    a.proc.send_signal(signal.SIGTERM)
    assert a.exit_status() == 0
    srv.wait("recv StopCCRQ")
    no_leftovers(env)
    assert time.monotonic() - t < 2


@test
def quirk_bezeq_israel(env):
    srv = env.server()
    cli = env.client("--quirks", "BEZEQ_ISRAEL")
    cli.wait_up()
    srv.wait("recv SLI")
    assert srv.field("recv SCCRQ", "framing") == "1"
    assert srv.field("recv SCCRQ", "bearer") == "1"
    assert srv.field("recv SCCRQ", "firmware") == "0x6021"
    assert srv.field("recv SCCRQ", "hostname") == "RELAY_PPP1"
    assert "vendor=MS Win NT" in srv.lines("recv SCCRQ")[0]
    assert srv.field("recv OCRQ", "bearer") == "2"
    assert srv.field("recv OCRQ", "framing") == "3"
    assert srv.field("recv OCRQ", "phone") == "RELAY_PPP1"
    assert srv.field("recv OCRQ", "phone_len") == "10"
    assert srv.field("recv SLI", "send_accm") == "0xffffffff"
    assert srv.field("recv SLI", "recv_accm") == "0xffffffff"
    cli.hangup()
    assert cli.exit_status() == 0

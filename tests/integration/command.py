# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of the command: launch mode and pppd, host routes,
test types, options, signals, process titles.

Their harness is tests/harness.py; tests/integration/run.py runs them,
in the order written."""

import os
import re
import signal
import subprocess
import time

import procinfo
from harness import (all_gone, CFG, end_all, fake_pppd, host_route, Launched,
                     no_leftovers, NOCAPS, pid_titled, pppd_result, pppd_start,
                     proc_status, routed, run_pptp, sh, test, titles, TOP,
                     wait_until)


@test
def launch_mode_runs_pppd_on_a_pty(env):
    out = fake_pppd(env)
    srv = env.server()
    cli = env.client("--debug", "name", "bob", "remotename", "srv",
                     "nodetach", launch=True)
    res = pppd_result(out)
    assert res["isatty"], res
    assert re.fullmatch(r"/dev/pts/\d+", res["argv"][0]), res
    assert res["argv"][1:] == ["38400", "name", "bob", "remotename",
                               "srv", "nodetach"], res
    assert res["frames"] == 20, res
    assert cli.exit_status() == 0, cli.stderr()
    assert "pppd closed its end" in cli.stderr(), cli.stderr()
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def launch_mode_goes_to_background(env):
    out = fake_pppd(env)
    srv = env.server()
    t = time.monotonic()
    cli = env.client("noauth", launch=True)
    assert cli.exit_status() == 0
    assert time.monotonic() - t < 2
    res = pppd_result(out)
    assert res["frames"] == 20 and res["argv"][-1] == "noauth", res
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def launch_mode_sigterm_stops_pppd(env):
    """The sandboxed gateway may not signal pppd (root's): its watchdog
    does, so that pppd ends the link and its status is the command's."""
    out = fake_pppd(env, wait=True)
    srv = env.server()
    cli = env.client("--debug", "nodetach", launch=True)
    pppd_result(out)
    dog = pid_titled("pptp: pppd watchdog for 192.0.2.1")
    st = proc_status(dog)
    assert st["Uid"].startswith("0\t") and st["CapEff"] == NOCAPS and \
        st["CapBnd"] == NOCAPS and st["NoNewPrivs"] == "1", st
    # beyond stdio, its socket, pppd's pidfd and syslog: never the pty
    # (no hangup then)
    for fd, what in procinfo.fds(dog).items():
        assert int(fd) <= 2 or what.startswith(("socket:",)) or \
            what == "anon_inode:[pidfd]", what
    sigterm_ends_pppd_first(env, srv, cli, out)


def sigterm_ends_pppd_first(env, srv, cli, out):
    """SIGTERM to a launching pptp: pppd is asked to end the link, and
    its status for that (5) is the command's, within 2 s."""
    t = time.monotonic()
    cli.proc.send_signal(signal.SIGTERM)
    assert cli.exit_status() == 5, "not pppd's status for SIGTERM"
    assert time.monotonic() - t < 2
    assert os.path.exists(out + ".term"), "pppd was not asked to stop"
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def watchdog_killed_reaped_and_pppd_hung_up(env):
    """SIGKILL to pppd's watchdog: the gateway reaps it (no zombie) and
    says so; the call still ends cleanly, pppd by its hangup (16)."""
    out = fake_pppd(env, wait=True)
    srv = env.server()
    cli = env.client("--debug", "nodetach", launch=True)
    pppd_result(out)
    dog = pid_titled("pptp: pppd watchdog for 192.0.2.1")
    os.kill(dog, signal.SIGKILL)
    cli.wait_log("pppd's watchdog (pid %d) is gone: only a hangup can "
                 "end pppd now" % dog)
    assert wait_until(lambda: not procinfo.exists(dog), 2), \
        "the watchdog left a zombie"
    cli.proc.send_signal(signal.SIGTERM)
    assert cli.exit_status() == 16, cli.stderr()
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def gateway_killed_watchdog_ends_pppd(env):
    """SIGKILL to the gateway: pppd's watchdog sends pppd SIGTERM; the
    call manager clears the call; nothing is left."""
    out = fake_pppd(env, wait=True)
    srv = env.server()
    cli = env.client("--debug", "nodetach", launch=True)
    pppd_result(out)
    cli.proc.kill()
    pids = [int(x.split()[0]) for x in open(out + ".pids")]
    assert wait_until(lambda: all_gone(pids), 3), "pppd left"
    assert os.path.exists(out + ".term"), "pppd got no SIGTERM"
    srv.wait("recv CCRQ")
    no_leftovers(env)


@test
def launch_mode_nosandbox_sigterm_stops_pppd(env):
    """--nosandbox: the gateway stays root and asks pppd to end the link
    (SIGTERM) first, as the classic client did."""
    out = fake_pppd(env, wait=True)
    srv = env.server()
    cli = env.client("--debug", "--nosandbox", "nodetach", launch=True)
    pppd_result(out)
    sigterm_ends_pppd_first(env, srv, cli, out)


WRONG_PPPD = """#!/bin/sh
echo "$0" >> "$FAKE_PPPD_OUT.wrong"
exit 1
"""


@test
def pppd_by_its_path_with_a_clean_start(env):
    """Launch mode runs --pppd, or by default the path pptp was built
    with, never what a hostile PATH (an empty element, `.' first, a
    pppd in the current directory and one on PATH) finds; pppd starts
    with every signal at its default and none blocked, whatever the
    user's shell left ignored or blocked (SIGPIPE too), and with no
    descriptor beyond 0-2, even one pptp's parent leaked to it."""
    srv = env.server()
    res = fake_pppd(env)
    shim = env.pppd
    wrongdir = env.path("wrong")
    os.mkdir(wrongdir)
    for d in (env.dir, wrongdir):
        with open(os.path.join(d, "pppd"), "w") as f:
            f.write(WRONG_PPPD)
        os.chmod(os.path.join(d, "pppd"), 0o755)
    env.vars["PATH"] = f":.:{wrongdir}:" + env.vars["PATH"]
    shell = ["env", "--ignore-signal=PIPE,QUIT,USR2,TTOU",
             "--block-signal=USR2,ALRM"]
    default = ["unshare", "-m", "sh", "-c",
               'mount --bind "$0" ' + CFG.pppd_default + ' && exec "$@"', shim]
    r = run_pptp(["--help"])
    assert f"(default\n                          {CFG.pppd_default};" in \
        r.stdout, r.stdout
    for how, prefix in (("--pppd", shell), ("default", default + shell)):
        leak = os.open("/dev/null", os.O_RDONLY)
        run = Launched(env, ["--debug", "nodetach"], syslog=False,
                       prefix=prefix, pppd_arg=how == "--pppd",
                       cwd=env.dir, pass_fds=(leak,))
        os.close(leak)
        st, _ = run.status(10)
        assert st == 0, (how, st, run.err())
        assert not os.path.exists(res + ".wrong"), (how, open(
            res + ".wrong").read())
        got = pppd_result(res)
        assert got["frames"] == 20, (how, got)
        assert got["fds"] == [0, 1, 2], (how, got)
        masks = pppd_start(res)
        assert masks == {"SigIgn": 0, "SigBlk": 0}, (how, {
            k: hex(v) for k, v in masks.items()})
        srv.wait("recv StopCCRQ")
        no_leftovers(env)
        for f in os.listdir(env.dir):
            if f.startswith("pppd.json"):
                os.unlink(env.path(f))
    # and a relative --pppd is refused
    r = run_pptp(["127.0.0.1", "--pppd", "pppd"])
    assert r.returncode == 2 and "--pppd: 'pppd' is not an absolute " \
        "path" in r.stderr, r.stderr


@test
def pppd_that_cannot_run_said_before_the_server_sees_us(env):
    srv = env.server()
    cli = env.client("--pppd", env.path("no-such-pppd"), launch=True)
    assert cli.exit_status() == 1, cli.stderr()
    assert f"pptp: cannot run pppd {env.path('no-such-pppd')} (--pppd " \
        "names another): No such file or directory" in cli.stderr(), \
        cli.stderr()
    assert not srv.lines("accept connection"), srv.text()


@test
def host_route_added_and_removed(env):
    routed(env)
    cli = env.client(host="203.0.113.1")
    cli.wait_up()
    assert re.search(r"callmgr 203.0.113.1: connected to 203.0.113.1 port 1723; added "
                     r"host route via 192.0.2.1 dev vc\w+\n",
                     cli.stderr()), cli.stderr()
    r = host_route(env)
    assert r.startswith("203.0.113.1 via 192.0.2.1 dev vc"), r
    assert "proto 47" in r, r
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    assert host_route(env) == "", host_route(env)


@test
def host_route_removed_after_sigterm_and_server_drop(env):
    routed(env)
    cli = env.client(host="203.0.113.1")
    cli.wait_up()
    assert host_route(env)
    cli.proc.send_signal(signal.SIGTERM)
    assert cli.exit_status() == 0
    no_leftovers(env)
    assert host_route(env) == ""
    for p in env.procs:
        p.kill()
        p.wait()
    env.server("--gre", "drop", listen="203.0.113.1",
               script=["sleep 200", "cdn"])
    cli = env.client(host="203.0.113.1")
    assert cli.exit_status() == 6
    no_leftovers(env)
    assert host_route(env) == ""


@test
def existing_host_route_left_alone(env):
    routed(env)
    sh(f"ip -n {env.cns} route add 203.0.113.1/32 via 192.0.2.1")
    before = host_route(env)
    cli = env.client("--loglevel", "2", host="203.0.113.1")
    cli.wait_up()
    assert "a host route exists: left alone" in cli.stderr() or \
        host_route(env) == before
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    assert host_route(env) == before


@test
def nohostroute(env):
    routed(env)
    cli = env.client("--nohostroute", host="203.0.113.1")
    cli.wait_up()
    assert host_route(env) == ""
    cli.hangup()
    assert cli.exit_status() == 0


@test
def route_through_ppp_warned(env):
    sh(f"ip -n {env.sns} addr add 203.0.113.1/32 dev lo")
    sh(f"ip link add ppp0 netns {env.cns} type veth peer name pz "
       f"netns {env.sns}")
    sh(f"ip -n {env.cns} link set ppp0 up")
    sh(f"ip -n {env.sns} link set pz up")
    sh(f"ip -n {env.cns} route add 203.0.113.0/24 dev ppp0")
    env.server(listen="203.0.113.1")
    cli = env.client("--connect-timeout", "1", host="203.0.113.1")
    cli.wait_log("the route to the server goes through ppp0: the tunnel "
                 "would carry its own packets")
    cli.hangup()
    cli.exit_status()
    no_leftovers(env)


def test_type_expect(kind, rate, n):
    seqs, nxt, out = list(range(1, n + 1)), 0, []
    group = 1 if kind == 1 else 10
    while nxt < n:
        out += seqs[nxt:nxt + rate]
        nxt += rate
        grp = seqs[nxt:nxt + group + 1]
        nxt += group + 1
        if len(grp) < group + 1:
            break
        held, ahead = grp[:-1], grp[-1]
        out += [ahead] + (held[::-1] if kind == 3 else held)
    return out


def run_test_type(env, kind):
    srv = env.server("--gre", "drop")
    cli = env.client("--test-type", str(kind), "--test-rate", "10")
    cli.wait_up()
    for i in range(45):
        cli.send(b"\xff\x03\x00\x21%d" % i)
        time.sleep(0.005)
    time.sleep(0.5)
    got = [int(re.search(r"seq=(\d+)", l).group(1))
           for l in srv.lines("gre rx") if "ack-only" not in l]
    want = test_type_expect(kind, 10, 45)
    assert got[:len(want)] == want, (got, want)
    cli.hangup()


@test
def test_type_1_swaps_two(env):
    run_test_type(env, 1)


@test
def test_type_2_one_ahead_of_ten(env):
    run_test_type(env, 2)


@test
def test_type_3_reverses(env):
    run_test_type(env, 3)


@test
def options_rejected_by_name(env):
    bad = [
        (["--timeout", "20"], "--timeout: '20' is not a number of seconds "
         "from 0.01 to 10"),
        (["--timeout", "0.001"], "--timeout: '0.001'"),
        (["--loglevel", "7"], "--loglevel: '7' is not a number from 0 to 2"),
        (["--idle-wait", "abc"], "--idle-wait: 'abc' is not a number"),
        (["--idle-wait", "-5"], "--idle-wait: '-5' is not a number from "
         "0 to 86400"),
        (["--max-echo-wait", "x"], "--max-echo-wait: 'x'"),
        (["--rtmark", "abc"], "--rtmark: 'abc' is not a number"),
        (["--rtmark", "4294967296"], "--rtmark: '4294967296' is not a "
         "32-bit mark"),
        (["--localbind", "1.2.3"], "--localbind: '1.2.3' is not an IPv4"),
        (["--quirks", "FOO"], "--quirks: unknown quirk 'FOO' (known: "
         "BEZEQ_ISRAEL)"),
        (["--test-type", "x"], "--test-type: 'x' is not a number"),
        (["--test-rate", "-1"], "--test-rate: '-1'"),
        (["--missing-window", "0"], "--missing-window: '0'"),
        (["--window", "65536"], "--window: '65536'"),
        (["--timeout", "1e2"], "--timeout: '1e2' is not a number of "
         "seconds from 0.01 to 10"),
        (["--connect-timeout", "0"], "--connect-timeout: '0'"),
        (["--reply-timeout", "601"], "--reply-timeout: '601'"),
        (["--no-such-option"], "unrecognized option"),
        (["--timeout"], "requires an argument"),
    ]
    for args, words in bad:
        p = run_pptp(["127.0.0.1", "--nolaunchpppd"] + args)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert words in p.stderr, (args, p.stderr)
        assert "usage: pptp HOST" in p.stderr, (args, p.stderr)
        assert p.stdout == "", (args, p.stdout)
    p = run_pptp([])
    assert p.returncode == 2 and "no server given" in p.stderr


@test
def options_accepted(env):
    good = [["--phone", "123"], ["--quirks", "BEZEQ_ISRAEL"], ["--debug"],
            ["--sync"], ["--timeout", "0.01"], ["--timeout", "10"],
            ["--nobuffer"], ["--idle-wait", "5"], ["--max-echo-wait", "5"],
            ["--logstring", "work"], ["--localbind", "192.0.2.2"],
            ["--rtmark", "7"], ["--nohostroute"], ["--loglevel", "0"],
            ["--loglevel", "2"], ["--test-type", "3"],
            ["--test-rate", "10"], ["--missing-window", "1000"],
            ["--window", "1"], ["--connect-timeout", "1"],
            ["--reply-timeout", "1"]]
    for args in good:
        p = subprocess.run(["ip", "netns", "exec", env.cns, CFG.pptp,
                            "192.0.2.1", "--nolaunchpppd", "--rundir",
                            env.rundir] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=10)
        # parsed fine: it went on to connect, and was refused
        assert p.returncode == 3, (args, p.returncode, p.stderr)
        assert "connection refused" in p.stderr, (args, p.stderr)
    no_leftovers(env)


@test
def help_and_version(env):
    p = run_pptp(["--version"])
    assert p.returncode == 0 and re.match(r"pptp version \d", p.stdout)
    p = run_pptp(["--help"])
    assert p.returncode == 0 and p.stderr == ""
    for name in ("phone", "nolaunchpppd", "quirks", "debug", "sync",
                 "timeout", "nobuffer", "idle-wait", "max-echo-wait",
                 "logstring", "localbind", "rtmark", "nohostroute",
                 "loglevel", "test-type", "test-rate", "missing-window",
                 "window", "connect-timeout", "reply-timeout", "rundir",
                 "pppd", "version", "help"):
        assert f"--{name}" in p.stdout, name
    with open(os.path.join(TOP, "man", "pptp.8")) as f:
        man = f.read().replace("\\-", "-")
    for opt in re.findall(r"--[a-z-]+", p.stdout):
        assert opt in man, f"{opt} is not in pptp.8"


@test
def logstring_starts_each_line(env):
    env.server()
    cli = env.client("--logstring", "office")
    cli.wait_up()
    lines = cli.stderr().splitlines()
    assert lines and all(l.startswith("pptp: office: ") for l in lines), \
        lines
    cli.hangup()


@test
def sighup_and_sigint_end_calls(env):
    srv = env.server()
    for sig in (signal.SIGHUP, signal.SIGINT):
        cli = env.client()
        cli.wait_up()
        t = time.monotonic()
        cli.proc.send_signal(sig)
        assert cli.exit_status() == 0
        no_leftovers(env)
        assert time.monotonic() - t < 2
    assert len(srv.lines("recv StopCCRQ")) == 2


@test
def process_titles(env):
    """Each gateway's title names its server, call ID and --logstring,
    so that SIGUSR1 can go to one tunnel alone."""
    srv = env.server("--max-channels", "8")
    a = env.client("--logstring", "work")
    a.wait_up()
    b = env.client()
    b.wait_up()
    ids = re.findall(r"recv OCRQ call_id=(\d+)", srv.text())
    got = titles()
    assert f"pptp: GRE-to-PPP gateway for 192.0.2.1 call {ids[0]} [work]" \
        in got, got
    assert f"pptp: GRE-to-PPP gateway for 192.0.2.1 call {ids[1]}" in got
    assert "pptp: call manager 192.0.2.1" in got, got
    subprocess.run(["pkill", "-USR1", "-f", f"gateway for 192.0.2.1 call "
                    f"{ids[1]}$"], check=True)
    b.wait_log("round trip")
    time.sleep(0.2)
    assert "round trip" not in a.stderr(), a.stderr()
    end_all(env, [a, b])


def in_order(srv, cli):
    for i in range(30):
        cli.send(b"\xff\x03\x00\x21%d" % i)
    assert len(cli.recv_frames(30)) == 30
    got = [int(re.search(r"seq=(\d+)", l).group(1))
           for l in srv.lines("gre rx") if "ack-only" not in l]
    assert len(got) >= 30 and got == sorted(got), got


@test
def classic_option_values_keep_their_meaning(env):
    """Values from peers files written for the classic client."""
    srv = env.server()
    phone = "".join(f"{i:02d}" for i in range(40))      # 80 characters
    cli = env.client("--idle-wait", "1s", "--rtmark", "0x10", "--phone",
                     phone, "--timeout", "1e0", "--test-type", "4",
                     "--test-rate", "10", "--max-echo-wait", "0")
    cli.wait_up()
    err = cli.stderr()
    for words in ("--idle-wait: '1s' read as 1 (the classic pptp ignored "
                  "'s' too)",
                  "--rtmark: '0x10' is mark 16; the classic pptp read it "
                  "as 0 and set no mark",
                  f"--phone: '{phone}' is longer than 64 characters: "
                  f"sending '{phone[:64]}'",
                  "--test-type: no test 4: packets go in order",
                  "--max-echo-wait 0 means nothing: waiting 60 s"):
        assert words in err, (words, err)
    assert srv.field("recv OCRQ", "phone") == phone[:64]
    ss = subprocess.run(["ip", "netns", "exec", env.cns, "ss", "-tne",
                         "dst", "192.0.2.1"], capture_output=True,
                        text=True).stdout
    assert "fwmark:0x10" in ss, ss
    srv.wait("recv Echo-Request", 3)    # 1 s of silence, not 60
    in_order(srv, cli)
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    srv.proc.kill()
    srv.proc.wait()

    srv = env.server()
    cli = env.client("--idle-wait", "0", "--rtmark", "-1", "--test-type",
                     "1", "--test-rate", "0")
    cli.wait_up()
    assert "--idle-wait 0: no Echo-Requests" in cli.stderr()
    assert "--test-rate 0: no test: packets go in order" in cli.stderr()
    in_order(srv, cli)
    assert "--rtmark: '-1' is mark 0xffffffff, as the classic pptp read " \
        "it" in cli.stderr()
    ss = subprocess.run(["ip", "netns", "exec", env.cns, "ss", "-tne",
                         "dst", "192.0.2.1"], capture_output=True,
                        text=True).stdout
    assert "fwmark:0xffffffff" in ss, ss
    time.sleep(2)
    assert "Echo-Request" not in srv.text(), "--idle-wait 0 still asks"
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)

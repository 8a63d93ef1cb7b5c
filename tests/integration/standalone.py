# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of standalone mode as pppd: foreground life, exit
statuses, stdio, syslog, signals at each stage of start-up, diagnostics.

Their harness is tests/harness.py; tests/integration/run.py runs them,
in the order written."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import procinfo
from harness import (all_gone, CFG, Launched, no_leftovers, pppd_result,
                     pptp_pids, run_pptp, survives_usr1, test, title_of, TOP,
                     wait_until)


@test
def nodetach_stays_with_pppd_and_takes_its_status(env):
    srv = env.server()
    run = Launched(env, ["nodetach"], status=16)
    st, took = run.status(10)
    res = pppd_result(run.res)
    assert res["frames"] == 20, res
    assert st == 16, (st, run.err())
    # pppd's own stdout and stderr are the user's
    assert run.out() == "fake-pppd: started\n", run.out()
    assert "fake-pppd: started\n" in run.err(), run.err()
    assert "MPPE 128-bit stateless compression enabled" in run.err()
    # pptp's messages are still on stderr until the call is up
    assert "pptp: ctrl 192.0.2.1: call" in run.err(), run.err()
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def nodetach_foreground_until_pppd_ends(env):
    srv = env.server()
    run = Launched(env, ["nodetach"], wait=True)
    pppd_result(run.res)
    time.sleep(1)
    assert run.proc.poll() is None, "pptp left the foreground"
    assert "recv CCRQ" not in srv.text()
    # the user's Ctrl-C or kill: pppd ends the link and its status is ours
    t = time.monotonic()
    run.proc.send_signal(signal.SIGINT)
    st, _ = run.status(3)
    assert st == 5, (st, run.err())
    assert time.monotonic() - t < 2
    assert os.path.exists(run.res + ".term"), "pppd was not asked to stop"
    srv.wait("recv StopCCRQ")
    no_leftovers(env)
    run.syslog.wait("callmgr 192.0.2.1: exiting")
    assert "killed by signal" not in str(run.syslog.lines())


@test
def gateway_killed_before_pppd_said_in_words(env):
    """With nodetach the gateway, which alone learns how pppd ends, is
    killed: the command exits 1 at once and says why pppd's status is
    not its own; pppd ends too, and nothing is left."""
    srv = env.server()
    run = Launched(env, ["nodetach"], wait=True)
    pppd_result(run.res)
    gw = [p for p in pptp_pids() if "GRE-to-PPP gateway" in title_of(p)]
    assert len(gw) == 1, gw
    os.kill(gw[0], signal.SIGKILL)
    st, _ = run.status(3)
    assert st == 1, (st, run.err())
    assert "pptp: the gateway was killed by signal 9 before it could say " \
        "how pppd ended: pppd ends too, its exit status unknown" in \
        run.err(), run.err()
    assert wait_until(lambda: not any(map(procinfo.running,
                                          run.pppd_pids().values())), 5)
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def updetach_returns_once_the_link_is_up(env):
    srv = env.server()
    run = Launched(env, ["updetach"], wait=True)
    st, _ = run.status(10)
    assert st == 0, (st, run.err())
    # returned once the "link" was up, not before
    assert os.path.exists(run.res), "pptp returned before the link was up"
    assert "MPPE 128-bit" in run.err(), run.err()
    assert pptp_pids(), "the call did not go on in the background"
    assert "recv CCRQ" not in srv.text()
    assert wait_until(lambda: "background" in run.pppd_pids(), 2)
    os.kill(run.pppd_pids()["background"], signal.SIGTERM)
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def default_detaches_at_once_call_goes_on(env):
    srv = env.server()
    run = Launched(env, [], wait=True)
    st, took = run.status(5)
    assert st == 0, (st, run.err())
    assert run.out() == "fake-pppd: started\n", run.out()
    res = pppd_result(run.res)
    assert res["frames"] == 20, res
    assert pptp_pids(), "the call did not go on in the background"
    assert wait_until(lambda: "background" in run.pppd_pids(), 2)
    os.kill(run.pppd_pids()["background"], signal.SIGTERM)
    run.syslog.wait("pppd closed its end: call ends")
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


def pppd_ends(env, args, end, status, words, bound, pppd_gone=False):
    """pppd ends some way: pptp exits with status, the call is cleared
    within bound seconds of the start, with words in syslog, and nothing
    is left (pppd_gone: the stand-in pppd neither, by itself)."""
    srv = env.server()
    run = Launched(env, args, end=end)
    st, _ = run.status(bound)
    assert st == status, (st, run.err())
    run.syslog.wait(words, bound)
    srv.wait("recv StopCCRQ", bound)
    if not wait_until(lambda: not pptp_pids(), bound):
        raise AssertionError("pptp processes left")
    assert time.monotonic() - run.started < bound, "too slow"
    if pppd_gone:
        pids = [int(x.split()[0]) for x in open(run.res + ".pids")]
        assert wait_until(lambda: all_gone(pids), 3), "pppd left"
    run.kill_pppd()
    no_leftovers(env)
    return run


@test
def pppd_fails_its_status_is_ours(env):
    run = pppd_ends(env, ["nodetach"], "exit:19", 19,
                    "pppd exited with status 19: call ends", 3)
    assert "fake-pppd: exiting 19" in run.err(), run.err()


@test
def pppd_fails_before_detaching(env):
    pppd_ends(env, [], "exit:2", 2, "pppd exited with status 2", 3)


@test
def pppd_killed_status_128_plus_signal(env):
    pppd_ends(env, ["nodetach"], "signal:9", 137,
              "pppd killed by signal 9: call ends", 3)


@test
def pppd_exits_0_without_opening_the_pty(env):
    # `dryrun', or a pppd that says it is done: the pty deadline ends it
    pppd_ends(env, ["nodetach"], "exit:0", 0,
              "pppd wrote nothing on its pty in 10 s: call ends", 13)


@test
def pppd_child_dies_before_opening_the_pty(env):
    pppd_ends(env, [], "child-exit:1", 0,
              "pppd wrote nothing on its pty in 10 s: call ends", 13)


@test
def pppd_child_dies_after_opening_the_pty(env):
    pppd_ends(env, [], "child-killed", 0,
              "pppd closed its end: call ends", 5)


@test
def pppd_never_opens_the_pty(env):
    # alive but silent: stopped at the deadline (by its watchdog: the
    # sandboxed gateway may not signal it), its status ours
    run = pppd_ends(env, ["nodetach"], "silent", 5,
                    "pppd wrote nothing on its pty in 10 s: call ends", 13,
                    pppd_gone=True)
    assert "pppd killed" not in str(run.syslog.lines())


@test
def pppd_never_opens_the_pty_nosandbox(env):
    # alive but silent: stopped at the deadline, its status ours
    run = pppd_ends(env, ["nodetach", "--nosandbox"], "silent", 5,
                    "pppd wrote nothing on its pty in 10 s: call ends", 13)
    assert "pppd killed" not in str(run.syslog.lines())


@test
def syslog_tag_is_pptp_in_every_process(env):
    """Every process's lines carry the tag pptp, the logstring and the
    role and server in the text: run from PATH as `pptp' (as pppd's pty
    option runs it), by a long path, with --debug and --logstring."""
    srv = env.server()
    longdir = env.path("a-rather-long-directory-name-for-the-binary")
    os.mkdir(longdir)
    os.symlink(os.path.realpath(CFG.pptp), os.path.join(longdir, "pptp"))
    env.vars["PATH"] = longdir + ":" + env.vars["PATH"]
    for how, args in (("pptp", []),
                      (os.path.join(longdir, "pptp"), ["--logstring",
                                                       "work"]),
                      ("pptp", ["--debug", "--logstring", "work"])):
        run = Launched(env, args + ["nodetach"], pptp=how, wait=True)
        pppd_result(run.res)
        run.syslog.wait("passing data")
        pids = pptp_pids()
        titles = {}
        for pid in pids:
            titles[pid] = procinfo.title(pid)
        run.proc.send_signal(signal.SIGTERM)
        assert run.status(5)[0] == 5, run.err()
        run.syslog.wait("callmgr 192.0.2.1: exiting")
        lines = run.syslog.lines()
        prefix = "work: " if "--logstring" in args else ""
        for tag, pid, text in lines:
            assert tag == "pptp", (how, args, tag, text)
            assert text.startswith(prefix), (how, args, text)
            assert "192.0.2.1" in text, (how, args, text)
        # each process has its lines: the call manager, the gateway
        cm = [p for p, t in titles.items() if "call manager" in t]
        gw = [p for p, t in titles.items() if "GRE-to-PPP" in t]
        assert cm and any(p == cm[0] for _, p, _ in lines), (titles, lines)
        if "--debug" not in args:
            assert gw and any(p == gw[0] and "call up" in t
                              for _, p, t in lines), (titles, lines)
        assert any(p == run.proc.pid or "control connection up" in t
                   for _, p, t in lines), lines
        srv.wait("recv StopCCRQ")
        no_leftovers(env)
        srv.proc.kill()
        srv.proc.wait()
        srv = env.server()
        for k in ("FAKE_PPPD_END", "FAKE_PPPD_STATUS"):
            env.vars.pop(k, None)
        for f in os.listdir(env.dir):
            if f.startswith(("pppd.json", "devlog", "realdev", "bin")):
                subprocess.run(["rm", "-rf", env.path(f)])


def acted_on(proc, sig, status, bound=0.3):
    """sig ends proc with status within bound seconds."""
    t = time.monotonic()
    proc.send_signal(sig)
    try:
        st = proc.wait(2)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"signal {sig} not acted on within 2 s")
    took = time.monotonic() - t
    assert st == status, (sig, st)
    assert took < bound, f"signal {sig} took {took:.3f} s"


@test
def signals_while_the_call_is_placed(env):
    # the instance waits for an OCRP that never comes: SIGUSR1 is
    # harmless to it and to its call manager; SIGTERM, SIGINT, SIGHUP end
    # it at once, and the call manager follows
    srv = env.server("--ocrp", "never")
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        cli = env.client("--reply-timeout", "60")
        srv.wait("recv OCRQ")
        cm = [p for p in pptp_pids() if p != cli.proc.pid]
        survives_usr1(cli.proc, *cm)
        acted_on(cli.proc, sig, 0)
        assert "signal %d while placing the call: giving up" % sig in \
            cli.stderr(), cli.stderr()
        no_leftovers(env)
        os.unlink(srv.log)
        srv.proc.kill()
        srv.proc.wait()
        srv = env.server("--ocrp", "never")


@test
def signals_to_the_call_manager_while_connecting(env):
    # 192.0.2.9 never answers: the call manager waits on its connect
    cli = subprocess.Popen(["ip", "netns", "exec", env.cns, CFG.pptp,
                            "192.0.2.9", "--nolaunchpppd", "--rundir",
                            env.rundir, "--connect-timeout", "30"],
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    env.procs.append(cli)
    # the command, its stderr relay, the call manager, its log relay and
    # its keeper
    assert wait_until(lambda: len(pptp_pids()) == 5, 3), pptp_pids()
    cm = [p for p in pptp_pids() if title_of(p).startswith(
        "pptp: call manager")][0]
    survives_usr1(cli, cm)
    os.kill(cm, signal.SIGTERM)
    assert wait_until(lambda: cm not in pptp_pids(), 0.3, 0.01), \
        "the call manager did not stop within 0.3 s"
    acted_on(cli, signal.SIGTERM, 0)
    no_leftovers(env)


@test
def signals_to_the_waiting_command_in_launch_mode(env):
    # the command waits for pppd (nodetach): SIGUSR1 goes on to the
    # gateway (statistics), SIGHUP makes pppd end the link: its status
    srv = env.server()
    run = Launched(env, ["nodetach"], wait=True)
    pppd_result(run.res)
    survives_usr1(run.proc)
    run.syslog.wait("round trip")
    acted_on(run.proc, signal.SIGHUP, 5, 0.5)
    assert os.path.exists(run.res + ".term"), "pppd was not asked to stop"
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def sigusr1_before_the_call_in_launch_mode(env):
    srv = env.server("--ocrp", "never")
    run = Launched(env, ["nodetach"])
    srv.wait("recv OCRQ")
    survives_usr1(run.proc)
    acted_on(run.proc, signal.SIGTERM, 0)
    no_leftovers(env)


@test
def messages_for_common_mistakes(env):
    # a pppd option with one dash: one line that says where it goes
    p = run_pptp(["127.0.0.1", "-detach", "name", "bob"])
    assert p.returncode == 2, p
    lines = [l for l in p.stderr.splitlines() if not l.startswith("usage")]
    assert lines == ["pptp: '-detach' is not a pptp option: pppd options "
                     "that start with '-' go after '--' (pptp HOST [pptp "
                     "options] -- -detach)"], p.stderr
    # ... but an option's value may start with one
    p = run_pptp(["--rtmark", "-1", "--version"])
    assert p.returncode == 0, p.stderr
    # -h is --help
    p = run_pptp(["-h"])
    assert p.returncode == 0 and "usage: pptp HOST" in p.stdout, p
    # pppd options with --nolaunchpppd: said at once, not once a call is up
    cli = env.client("name", "bob")
    assert cli.exit_status() == 3
    assert "pppd options ignored with --nolaunchpppd (first: 'name')" in \
        cli.stderr(), cli.stderr()
    no_leftovers(env)


C_SPEC = r"%[-#0 +]*\d*(?:\.\d+|\.\*)?(?:hh|h|ll|l|z|j|t)?[diouxXsc]"


def warning_formats(root):
    """(file, format) of every log_warn, log_warnx, fatal, fatalx."""
    out = []
    for name in sorted(os.listdir(root)):
        if not name.endswith(".c"):
            continue
        with open(os.path.join(root, name)) as f:
            src = f.read()
        for m in re.finditer(r"\b(?:log_warnx?|fatalx?)\(\s*"
                             r"((?:\"(?:[^\"\\]|\\.)*\"\s*)+)", src):
            lits = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", m.group(1))
            out.append((name, "".join(lits)))
    return out


def diagnostics_text(man):
    """pptp(8) DIAGNOSTICS as plain text, one line."""
    t = man[man.index(".SH DIAGNOSTICS"):man.index(".SH SECURITY")]
    t = re.sub(r"\\f[BIRP]", "", t).replace("\\-", "-")
    t = t.replace("\\(aq", "'")
    words = []
    for line in t.splitlines():
        if re.match(r"\.(B|BR|I|IR|BI) ", line):
            words.append(line.split(" ", 1)[1].replace('"', ""))
        elif not line.startswith("."):
            words.append(line)
    return re.sub(r"\s+", " ", " ".join(words))


@test
def diagnostics_name_every_warning(env):
    """Each warning and error the code can log is in pptp(8) DIAGNOSTICS
    (placeholders for its values; the role and server prefix aside)."""
    root = TOP
    with open(os.path.join(root, "man", "pptp.8")) as f:
        text = diagnostics_text(f.read())
    formats = warning_formats(root)
    assert len(formats) > 50, len(formats)
    missing = []
    for name, fmt in formats:
        if re.fullmatch(C_SPEC, fmt):
            continue        # relays a message logged elsewhere
        fmt = re.sub(r"^(gre|callmgr|ctrl|route) %s: |^callmgr: ", "", fmt)
        rx = r".+?".join(re.escape(part.replace('\\"', '"'))
                         for part in re.split(C_SPEC, fmt))
        if not re.search(rx, text):
            missing.append(f"{name}: {fmt}")
    assert not missing, "not in pptp(8) DIAGNOSTICS:\n" + "\n".join(missing)


STAGES = [
    # stage, which process pauses there, its signal, the command's
    # status: pppd's, once launched (the stand-in ends with 5 on SIGTERM,
    # or dies of it, 128 + 15, if it comes while Python starts)
    ("start", "command", signal.SIGTERM, {0}),
    ("resolved", "command", signal.SIGINT, {0}),
    ("callmgr", "call manager", signal.SIGHUP, None),
    ("attached", "command", signal.SIGHUP, {0}),
    ("call-up", "command", signal.SIGTERM, {0}),
    ("background", "gateway", signal.SIGINT, {5, 143}),
    ("pppd-launched", "gateway", signal.SIGHUP, {5, 143}),
]


@test
def signals_at_each_stage_of_start_up(env):
    """pptp-hooks pauses at a named stage (PPTP_PAUSE); a stop signal
    landing there is acted on within 0.1 s by the process it reached,
    the command ends with the status pptp(8) gives, nothing is left."""
    assert CFG.hooks, "no --pptp-hooks binary: make integration builds one"
    # pptp_pids() looks for this binary
    plain, CFG.pptp = CFG.pptp, CFG.hooks
    try:
        for stage, who, sig, status in STAGES:
            srv = env.server()
            env.vars["PPTP_PAUSE"] = stage
            run = Launched(env, ["nodetach"], wait=True)
            run.syslog.wait(f"paused at {stage}")
            pid = [int(re.search(r"\(pid (\d+)\)", t).group(1))
                   for _, _, t in run.syslog.lines()
                   if f"paused at {stage}" in t][0]
            n = len(run.syslog.lines())
            t = time.monotonic()
            os.kill(pid, sig)
            if who == "gateway":
                # it stops the call at once, giving pppd its moment (no
                # wait_until: its reaping would take the command's status)
                words = f"signal {int(sig)}: call ends"
                while time.monotonic() - t < 0.1 and not any(
                        words in x for _, _, x in run.syslog.lines()[n:]):
                    time.sleep(0.005)
                assert any(words in x for _, _, x in
                           run.syslog.lines()[n:]), (stage,
                                                     run.syslog.lines()[n:])
            elif who == "command":
                try:
                    run.proc.wait(0.1)
                except subprocess.TimeoutExpired:
                    raise AssertionError(f"{stage}: command still running")
            else:
                assert wait_until(lambda: pid not in pptp_pids(), 0.1,
                                  0.005), (stage, who, "still running")
            took = time.monotonic() - t
            if who == "call manager":
                run.proc.send_signal(signal.SIGTERM)
            st, _ = run.status(5)
            assert status is None or st in status, (stage, st, run.err(),
                                                    run.syslog.lines())
            if not wait_until(lambda: not pptp_pids(), 3):
                raise AssertionError(f"{stage}: left {pptp_pids()}")
            run.kill_pppd()
            no_leftovers(env)
            print(f"    {stage}: {who} acted on signal {int(sig)} in "
                  f"{took * 1000:.0f} ms, status {st}", flush=True)
            srv.proc.kill()
            srv.proc.wait()
            for f in os.listdir(env.dir):
                if f.startswith(("pppd.json", "devlog", "realdev", "bin")):
                    subprocess.run(["rm", "-rf", env.path(f)])
            subprocess.run(["rm", "-rf", env.rundir])
    finally:
        CFG.pptp = plain


@test
def pppd_ends_before_the_gateway_runs(env):
    """pppd fails while the gateway is not yet in its loop (held there by
    pptp-hooks): it is reaped all the same, not left to the pty deadline."""
    assert CFG.hooks, "no --pptp-hooks binary: make integration builds one"
    plain, CFG.pptp = CFG.pptp, CFG.hooks
    try:
        env.vars["PPTP_PAUSE"] = "pppd-launched"
        pppd_ends(env, ["nodetach"], "exit:19", 19,
                  "pppd exited with status 19: call ends", 5)
    finally:
        CFG.pptp = plain


@test
def server_hangup_is_pppds_modem_hangup(env):
    """The server ends the call: pppd's line hangs up, as it did when the
    classic client's gateway went, and pppd's status for that (16) is the
    command's; no TERM, no KILL needed."""
    srv = env.server(script=["sleep 1000", "cdn"])
    run = Launched(env, ["nodetach"], wait=True)
    st, took = run.status(5)
    assert st == 16, (st, run.err())
    assert "Modem hangup" in run.err(), run.err()
    assert not os.path.exists(run.res + ".term"), "pppd got SIGTERM"
    assert took < 3, took
    srv.wait("recv StopCCRQ")
    no_leftovers(env)
    assert "server disconnected the call" in str(run.syslog.lines())


# pppd as it starts: its line flushed (tty.setraw: TCSAFLUSH, as pppd's
# own set-up), then, like pppd, a Configure-Request first, or nothing
# (pppd's `passive' and `silent'); it writes the frames it then got.
EARLY_PPPD = """#!{python}
import json, os, select, sys, time, tty
sys.path.insert(0, {tests!r})
from hdlc import HdlcReader, hdlc_encode
time.sleep(1.0)
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
t0 = time.monotonic()
if {speaks}:
    os.write(fd, hdlc_encode(b"\\xff\\x03\\xc0\\x21\\x01\\x01\\x00\\x04"))
reader, got, first = HdlcReader(), [], None
while time.monotonic() < t0 + 4.5 and len(got) < 5:
    if select.select([fd], [], [], 0.05)[0]:
        data = os.read(fd, 65536)
        if not data:
            break
        got += [f.hex() for f in reader.feed(data)]
        first = first or time.monotonic() - t0
# its answer: a pty its pppd never wrote on is not seen to close
os.write(fd, hdlc_encode(b"\\xff\\x03\\xc0\\x21\\x02\\x01\\x00\\x04"))
with open({out!r} + ".tmp", "w") as f:
    json.dump({{"got": got, "after": first}}, f)
os.rename({out!r} + ".tmp", {out!r})
"""


def early_frames(env, speaks):
    """The server's first frames come while pppd starts (real pptpd's
    pppd sends its Configure-Request before ours has its pty): pppd gets
    every one, once its line is set up.  Returns (frames, seconds from
    pppd's set-up to the first)."""
    fifo = env.path("commands")
    os.mkfifo(fifo)
    srv = env.server("--gre", "script", "--commands", fifo)
    out = env.path("early.json")
    stand_in = env.path("early-pppd")
    with open(stand_in, "w") as f:
        f.write(EARLY_PPPD.format(python=sys.executable, out=out,
                                  speaks=speaks,
                                  tests=os.path.join(TOP, "tests")))
    os.chmod(stand_in, 0o755)
    run = Launched(env, ["--pppd", stand_in, "nodetach"], pppd_arg=False)
    # the gateway's GRE socket is open: these wait there, or are lost
    run.syslog.wait("passing data")
    with open(fifo, "w") as f:
        f.write("".join(f"gre {n}\n" for n in range(1, 6)))
    st, _ = run.status(10)
    assert st == 0, (st, run.err())
    assert wait_until(lambda: os.path.exists(out), 2), "no result"
    with open(out) as f:
        res = json.load(f)
    seqs = [bytes.fromhex(h).split(b"seq=")[1].decode()
            for h in res["got"] if b"seq=" in bytes.fromhex(h)]
    assert seqs == ["1", "2", "3", "4", "5"], (res, run.syslog.lines())
    srv.wait("recv StopCCRQ")
    no_leftovers(env)
    return seqs, res["after"]


@test
def server_frames_wait_for_pppd_to_set_up_its_line(env):
    _, after = early_frames(env, True)
    assert after < 0.5, after


@test
def server_frames_reach_a_pppd_that_waits_for_them(env):
    # nothing from pppd first: the frames still go, within a bound
    _, after = early_frames(env, False)
    assert after < 3.5, after


# pppd with `silent': its line set up, it waits for the server to speak
# first.  N_NULL (27) stands in for PPP's line discipline, which this
# machine's kernel lacks: the gateway asks only whether it is N_TTY.
SILENT_PPPD = """#!{python}
import fcntl, os, struct, termios, time, tty
fd = os.open(__import__("sys").argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
fcntl.ioctl(fd, termios.TIOCSETD, struct.pack("i", 27))
time.sleep({quiet})
"""


@test
def a_silent_pppd_is_not_taken_for_a_dead_one(env):
    """A pppd that has set up its line but writes nothing for longer
    than the 10 s pptp gives a pppd to open its pty (`silent', the
    server not speaking) keeps its call; when it closes its line, the
    call ends as pppd's end, with its status."""
    srv = env.server("--gre", "drop")
    stand_in = env.path("silent-pppd")
    with open(stand_in, "w") as f:
        f.write(SILENT_PPPD.format(python=sys.executable, quiet=11))
    os.chmod(stand_in, 0o755)
    run = Launched(env, ["--pppd", stand_in, "nodetach"], pppd_arg=False)
    st, took = run.status(20)
    assert st == 0, (st, run.err())
    assert took > 11, took
    assert "wrote nothing on its pty" not in run.err() + \
        str(run.syslog.lines()), run.err()
    srv.wait("recv StopCCRQ")
    no_leftovers(env)

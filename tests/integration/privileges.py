# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of least privilege (pptp(8) SECURITY): the sandbox,
capabilities, forbidden system calls, the keeper.

Their harness is tests/harness.py; tests/integration/run.py runs them,
in the order written."""

import os
import pwd
import re
import signal
import time

import procinfo
from harness import (CFG, host_route, Launched, no_leftovers, NOCAPS,
                     passes_data, pid_titled, pppd_result, pptp_pids,
                     proc_status, routed, status, test, title_of)


EMPTY = "/var/run/pptp/empty"


def sandbox_user():
    """The user pptp's sandboxed processes become (pptp(8) --user)."""
    try:
        return pwd.getpwnam("pptp")
    except KeyError:
        return pwd.getpwnam("nobody")


NOBODY = sandbox_user()


def sandboxed(pid, who):
    """What SECURITY says the call manager and the gateway keep."""
    st = proc_status(pid)
    ids = f"{NOBODY.pw_uid}\t" * 3 + f"{NOBODY.pw_uid}"
    gids = f"{NOBODY.pw_gid}\t" * 3 + f"{NOBODY.pw_gid}"
    assert st["Uid"] == ids and st["Gid"] == gids, (who, st)
    assert st["Groups"].strip() == "", (who, st["Groups"])
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert st[cap] == NOCAPS, (who, cap, st[cap])
    assert st["NoNewPrivs"] == "1", (who, st)
    assert st["Seccomp"] == "2", (who, st)
    if not CFG.sanitized:       # the leak checker reads /proc at exit
        root, ino = procinfo.root(pid)
        assert ino == os.stat(EMPTY).st_ino, (who, root)
        assert os.listdir(EMPTY) == []
    # beyond stdio (pppd's, the user's): sockets, pipes, the pty,
    # /dev/null, the statistics page; no file
    for fd, what in procinfo.fds(pid).items():
        if int(fd) <= 2:
            continue
        assert re.match(r"(socket|pipe|anon_inode):|/dev/(null|pts/(\d+|ptmx)|"
                        r"ptmx)$|/memfd:pptp-status", what), (who, fd, what)


def keeper_keeps_net_admin_alone(pid):
    st = proc_status(pid)
    assert st["Uid"] == "0\t0\t0\t0", st
    net_admin = f"{1 << 12:016x}"
    for cap in ("CapPrm", "CapEff", "CapBnd"):
        assert st[cap] == net_admin, (cap, st[cap])
    assert st["CapInh"] == NOCAPS and st["CapAmb"] == NOCAPS, st
    assert st["NoNewPrivs"] == "1", st


@test
def sandboxed_processes_keep_only_what_security_names(env):
    """During a call, in both modes: the call manager and the gateway are
    nobody, without groups or capabilities, with no new privileges, a
    seccomp filter and the empty root; the keeper is root with
    CAP_NET_ADMIN alone."""
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    passes_data(cli, b"sandboxed")
    sandboxed(cli.proc.pid, "gateway (--nolaunchpppd)")
    sandboxed(pid_titled("pptp: call manager"), "call manager")
    keeper_keeps_net_admin_alone(pid_titled("pptp: keeper for 192.0.2.1"))
    # standalone: the gateway is pppd's parent, pppd stays root
    run = Launched(env, ["nodetach"], wait=True)
    pppd_result(run.res)
    gws = [p for p in pptp_pids() if p != cli.proc.pid and
           title_of(p).startswith("pptp: GRE-to-PPP gateway")]
    assert len(gws) == 1, gws
    sandboxed(gws[0], "gateway (launch mode)")
    pids = [int(x.split()[0]) for x in open(run.res + ".pids")]
    assert proc_status(pids[0])["Uid"].startswith("0\t"), "pppd not root"
    # statistics and status still work with all that
    os.kill(gws[0], signal.SIGUSR1)
    run.syslog.wait("round trip")
    code, out, _ = status(env)
    assert code == 0 and len(re.findall(r"call \d+", out)) >= 2, out
    # read before the empty root, where /proc is not
    ns = os.stat(f"/run/netns/{env.cns}").st_ino
    assert f"network namespace {ns}" in out, out
    run.proc.send_signal(signal.SIGTERM)
    assert run.status(5)[0] == 5, run.err()
    cli.hangup()
    assert cli.exit_status() == 0
    srv.wait("recv StopCCRQ")
    no_leftovers(env)


@test
def nosandbox_keeps_root(env):
    """--nosandbox: the processes stay as they started, unfiltered; a
    tunnel with the sandbox gets a call manager of its own, not that
    one; with --nohostroute the keeper holds no capability, nor the
    user's stderr."""
    env.server()
    cli = env.client("--nosandbox")
    cli.wait_up()
    for pid in (cli.proc.pid, pid_titled("pptp: call manager")):
        st = proc_status(pid)
        assert st["Uid"].startswith("0\t") and st["Seccomp"] == "0", st
    boxed = env.client("--nohostroute")
    boxed.wait_up()
    mgrs = [p for p in pptp_pids()
            if title_of(p).startswith("pptp: call manager")]
    assert len(mgrs) == 2, mgrs
    assert sorted(proc_status(p)["Seccomp"] for p in mgrs) == ["0", "2"]
    keepers = [p for p in pptp_pids()
               if title_of(p).startswith("pptp: keeper")]
    caps = sorted(proc_status(p)["CapEff"] for p in keepers)
    assert caps[0] == NOCAPS, caps
    for p in keepers:
        assert procinfo.fds(p)[2] == "/dev/null", p
    boxed.hangup()
    assert boxed.exit_status() == 0
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


def probed(env, args=()):
    """A client with tests/sysprobe.c preloaded (SIGUSR2: the call)."""
    env.vars["LD_PRELOAD"] = CFG.probe
    env.vars["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    try:
        return env.client(*args)
    finally:
        del env.vars["LD_PRELOAD"]


@test
def forbidden_calls_kill_with_sigsys(env):
    """The filter bites: a gateway that opens a file, or runs a program,
    or signals, is killed by the kernel (SIGSYS); the call is cleared and
    nothing is left.  The same for the call manager, which its keeper
    reports and cleans up after."""
    srv = env.server()
    # a sanitized build's filter lets the leak checker open and signal
    calls = ("execve",) if CFG.sanitized else ("open", "execve", "kill",
                                           "setown")
    for call in calls:
        env.vars["PPTP_PROBE"] = call
        cli = probed(env)
        cli.wait_up()
        cli.proc.send_signal(signal.SIGUSR2)
        assert cli.exit_status() == -signal.SIGSYS, (call, cli.stderr())
        srv.wait("recv CCRQ")
        no_leftovers(env)
        srv.proc.kill()
        srv.proc.wait()
        srv = env.server()
    env.vars["PPTP_PROBE"] = calls[0]
    cli = probed(env, ["--debug"])
    cli.wait_up()
    os.kill(pid_titled("pptp: call manager"), signal.SIGUSR2)
    cli.wait_log("callmgr 192.0.2.1: killed by signal 31 (a system call "
                 "its filter forbids: see pptp(8) SECURITY)")
    assert cli.exit_status() != 0
    no_leftovers(env)
    # and without the sandbox the probe's open does no harm
    env.vars["PPTP_PROBE"] = "open"
    cli = probed(env, ["--nosandbox"])
    cli.wait_up()
    cli.proc.send_signal(signal.SIGUSR2)
    passes_data(cli, b"unfiltered")
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def manager_makes_tcp_sockets_only(env):
    """The call manager's filter lets it make TCP and unix sockets, not
    other stream protocols (MPTCP, SCTP, which may load a module): those
    fail with EACCES and the manager goes on."""
    env.server()
    env.vars["PPTP_PROBE"] = "mptcp"
    cli = probed(env)
    cli.wait_up()
    mgr = pid_titled("pptp: call manager")
    os.kill(mgr, signal.SIGUSR2)
    time.sleep(0.5)
    assert cli.proc.poll() is None, cli.stderr()
    passes_data(cli, b"still here")
    os.kill(mgr, 0)
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def keeper_cleans_up_after_a_killed_call_manager(env):
    """SIGKILL to the call manager: its keeper removes the socket file
    and the host route, the gateway ends, a new tunnel comes up."""
    routed(env)
    cli = env.client(host="203.0.113.1")
    cli.wait_up()
    assert "proto 47" in host_route(env)
    os.kill(pid_titled("pptp: call manager"), signal.SIGKILL)
    assert cli.exit_status() != 0
    no_leftovers(env)
    assert host_route(env) == "", host_route(env)
    cli = env.client(host="203.0.113.1")
    cli.wait_up()
    passes_data(cli, b"again")
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)

# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of several tunnels: shared call managers and control
connections, namespaces, host routes several own, call IDs, the clear.

Their harness is tests/harness.py; tests/integration/run.py runs them,
in the order written."""

import ctypes
import fcntl
import os
import re
import signal
import socket
import subprocess
import sys
import time

import procinfo
from harness import (calls_of, CFG, connections, end_all, host_route,
                     no_leftovers, passes_data, pptp_pids, routed, run_pptp,
                     sh, status_json, test, title_of, titles, tunnels,
                     wait_until)


@test
def max_channels_0_one_call_per_connection(env):
    """A server that says nothing of its room gets a connection a call."""
    srv = env.server("--max-channels", "0")
    clis = tunnels(env, 2)
    assert connections(srv) == 2, srv.lines("accept")
    end_all(env, clis)


@test
def max_channels_1_one_call_per_connection(env):
    """poptop and accel-ppp say 1: each call gets its own connection."""
    srv = env.server("--max-channels", "1", "--one-call")
    clis = tunnels(env, 3)
    assert connections(srv) == 3, srv.lines("accept")
    assert "second call on one connection" not in srv.text()
    assert managers() == 1, titles()     # one manager, three connections
    # the first goes; the others carry on
    clis[0].hangup()
    assert clis[0].exit_status() == 0
    srv.wait("close after StopCCRP")
    passes_data(clis[1], b"still 1")
    passes_data(clis[2], b"still 2")
    end_all(env, clis[1:])


@test
def max_channels_n_shared_until_full(env):
    srv = env.server("--max-channels", "2")
    clis = tunnels(env, 3)
    assert connections(srv) == 2, srv.lines("accept")
    end_all(env, clis)


@test
def another_tunnels_gre_filtered(env):
    """Every raw GRE socket sees every GRE packet: the traffic of one
    tunnel must not wake the gateways of the others to the same server
    (with 64 tunnels they spent 15 times the CPU of the one passing the
    traffic), so the kernel drops it before they see it."""
    env.server("--max-channels", "8")
    env.server(listen="192.0.2.3")
    busy, idle = tunnels(env, 2)
    other = env.client(host="192.0.2.3")   # another server's
    other.wait_up()
    for i in range(200):
        busy.send(b"\xff\x03\x00\x21frame %d" % i)
    assert len(busy.recv_frames(200)) == 200
    for cli in (idle, other):
        st = cli.stats()
        assert st["rx wrong call ID"] == 0, st
        assert st["rx foreign source"] == 0, st
    assert idle.stats()["rx accepted"] == 1     # tunnels()'s own frame
    end_all(env, [busy, idle, other])


FLOOD = r"""
import socket, struct, sys, time
src, dst, ids = sys.argv[1], sys.argv[2], [int(i) for i in sys.argv[3:]]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
s.bind((src, 0))
junk = [struct.pack(">HH", 0, 0x0800) + b"x" * 100]   # plain GRE, IPv4
junk += [struct.pack(">HHHHI", 0x3001, 0x880B, 100, i, 7) + b"y" * 100
         for i in ids]                                 # PPTP, each call
for n in range(300):
    for p in junk:
        s.sendto(p, (dst, 0))
    time.sleep(0.002)
"""


def gateways():
    """{call ID: pid} of the live GRE-to-PPP gateways."""
    out = {}
    for pid in pptp_pids():
        m = re.search(r"GRE-to-PPP gateway .* call (\d+)",
                      procinfo.title(pid))
        if m:
            out[int(m.group(1))] = pid
    return out


def switches(pid):
    """Times pid was scheduled off the CPU, by choice or not."""
    st = procinfo.status(pid)
    return (int(st["voluntary_ctxt_switches"]) +
            int(st["nonvoluntary_ctxt_switches"]))


def raw_rcvbuf(pid):
    """SO_RCVBUF of process pid's raw GRE socket (a copy of it taken
    with pidfd_getfd)."""
    with open(f"/proc/{pid}/net/raw") as f:
        inodes = {l.split()[9] for l in f.readlines()[1:]}
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        for fd, link in procinfo.fds(pid).items():
            if link.startswith("socket:[") and link[8:-1] in inodes:
                copy = libc.syscall(438, pidfd, fd, 0)  # pidfd_getfd
                assert copy >= 0, os.strerror(ctypes.get_errno())
                with socket.socket(fileno=copy) as s:
                    return s.getsockopt(socket.SOL_SOCKET,
                                        socket.SO_RCVBUF)
    finally:
        os.close(pidfd)
    return 0


@test
def junk_gre_flood_wakes_no_gateway(env):
    """GRE from an address that is not the server's, plain or PPTP with
    each tunnel's own call ID, and non-PPTP GRE: dropped in the kernel
    before any gateway wakes or queues it, however many tunnels; each
    socket's receive buffer is what its window needs, not 32 MB."""
    env.server("--max-channels", "8")
    clis = tunnels(env, 4)
    gws = gateways()
    assert len(gws) == 4, titles()
    before = {pid: switches(pid) for pid in gws.values()}
    subprocess.run(["ip", "netns", "exec", env.sns, sys.executable, "-c",
                    FLOOD, "192.0.2.3", "192.0.2.2"] +
                   [str(i) for i in gws], check=True, timeout=30)
    time.sleep(0.3)
    for cid, pid in gws.items():
        woke = switches(pid) - before[pid]
        assert woke < 30, f"gateway of call {cid} woke {woke} times"
    for cli in clis:
        st = cli.stats()
        assert st["rx foreign source"] == 0 and st["rx invalid"] == 0, st
        assert st["rx wrong call ID"] == 0 and st["rx accepted"] == 1, st
    rbs = [raw_rcvbuf(pid) for pid in gws.values()]
    assert all(0 < rb <= 8 << 20 for rb in rbs), rbs
    end_all(env, clis)


@test
def full_call_manager_answers_status_and_says_why(env):
    """A call manager holds 64 calls: with all 64 up pptp --status still
    answers, and a 65th tunnel is told why it gets none (it was told the
    manager "keeps going away", and --status had no answer)."""
    env.server("--max-channels", "65")
    clis = [env.client() for _ in range(64)]
    for cli in clis:
        cli.wait_up()
    assert len(calls_of(status_json(env))) == 64
    extra = env.client()
    assert extra.exit_status() == 1, extra.stderr()
    assert "already holds 64 calls, its most" in extra.stderr(), \
        extra.stderr()
    for i, cli in enumerate(clis):
        passes_data(cli, b"tunnel %d" % i)
    end_all(env, clis)


@test
def status_answers_with_a_connection_a_call(env):
    """64 tunnels to a server of one call a connection (poptop): the
    answer (130 lines) is more than the reader's socket holds at once;
    it comes whole, every time (it was cut off, and --status failed)."""
    env.server("--max-channels", "1", "--one-call")
    clis = [env.client() for _ in range(64)]
    for cli in clis:
        cli.wait_up()
    for _ in range(5):
        doc = status_json(env)
        assert len(calls_of(doc)) == 64, doc
        assert len(doc["managers"][0]["connections"]) == 64, doc
    # a reader that asks and never reads is dropped within 2 s, its
    # answer cut short, and the others are answered meanwhile
    lazy = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    lazy.connect(os.path.join(env.rundir, os.listdir(env.rundir)[0]))
    lazy.send(b"\x00\x06\x00\x04")       # CM_STATUS_REQ
    assert len(calls_of(status_json(env))) == 64
    time.sleep(2.5)
    lazy.settimeout(1)
    got = list(iter(lambda: lazy.recv(2000), b""))
    assert 0 < len(got) < 130, len(got)
    lazy.close()
    end_all(env, clis)


@test
def share_connection_never(env):
    srv = env.server("--max-channels", "8")
    clis = tunnels(env, 2, "--share-connection", "never")
    assert connections(srv) == 2
    end_all(env, clis)


@test
def share_connection_always(env):
    srv = env.server("--max-channels", "1")
    clis = [env.client("--share-connection", "always") for _ in range(2)]
    for i, cli in enumerate(clis):
        cli.wait_up()
        passes_data(cli, b"forced %d" % i)
    assert connections(srv) == 1, srv.lines("accept")
    end_all(env, clis)


@test
def server_failing_second_call_is_remembered(env):
    """It said 4 but closes on a second call: the one that was placed
    again on a connection of its own, and so is every call after it."""
    srv = env.server("--max-channels", "4", "--one-call")
    a = env.client("--debug")       # the manager logs to a's stderr
    a.wait_up()
    b = env.client()
    b.wait_up()
    srv.wait("close second call on one connection")
    st = a.exit_status()
    assert st == 6, st              # the server took the first one down
    passes_data(b, b"b placed again")
    c = env.client()
    c.wait_up()
    passes_data(c, b"c on its own")
    passes_data(b, b"b still")
    assert connections(srv) == 3, srv.lines("accept")
    note = "the server failed a second call over one control connection"
    assert a.stderr().count(note) == 1, a.stderr()
    assert srv.text().count("close second call") == 1
    end_all(env, [b, c])


@test
def differing_options_get_their_own_connection(env):
    srv = env.server("--max-channels", "8")
    clis = tunnels(env, 2, each=[["--client-hostname", "alpha"],
                                 ["--client-hostname", "beta",
                                  "--idle-wait", "30"]])
    assert connections(srv) == 2
    hosts = re.findall(r"hostname=(\S+)", "\n".join(srv.lines("recv SCCRQ")))
    assert sorted(hosts) == ["alpha", "beta"], hosts
    socks = [f for f in os.listdir(env.rundir) if f.startswith("192.0.2.1-")]
    assert len(socks) == 2, socks
    end_all(env, clis)


@test
def client_hostname_option(env):
    srv = env.server()
    cli = env.client("--client-hostname", "vpn-box 1")
    cli.wait_up()
    assert "hostname=vpn-box 1 vendor=" in srv.text()
    cli.hangup()
    assert cli.exit_status() == 0
    bad = run_pptp(["192.0.2.1", "--client-hostname", "x" * 65])
    assert bad.returncode == 2 and "--client-hostname" in bad.stderr


@test
def namespaces_kept_apart(env):
    """One server address from two namespaces: a manager for each."""
    tag = env.sns[3:11]
    sh(f"ip -n {env.sns} link add br{tag} type bridge")
    sh(f"ip -n {env.sns} link set vs{tag} master br{tag}")
    sh(f"ip -n {env.sns} addr flush dev vs{tag}")
    sh(f"ip -n {env.sns} addr add 192.0.2.1/24 dev br{tag}")
    sh(f"ip -n {env.sns} link set br{tag} up")
    other = f"ppo{tag}"
    sh(f"ip netns add {other}")
    env.extra_ns.append(other)
    sh(f"ip link add vt{tag} netns {env.sns} type veth peer name vo{tag} "
       f"netns {other}")
    sh(f"ip -n {env.sns} link set vt{tag} master br{tag}")
    sh(f"ip -n {env.sns} link set vt{tag} up")
    sh(f"ip -n {other} addr add 192.0.2.4/24 dev vo{tag}")
    sh(f"ip -n {other} link set vo{tag} up")
    sh(f"ip -n {other} link set lo up")
    srv = env.server("--max-channels", "8")
    a = env.client()
    a.wait_up()
    b = env.client(netns=other)
    b.wait_up()
    passes_data(a, b"from the first namespace")
    passes_data(b, b"from the second namespace")
    assert connections(srv) == 2, srv.lines("accept")
    socks = [f for f in os.listdir(env.rundir) if f.startswith("192.0.2.1-")]
    assert len(socks) == 2, socks
    end_all(env, [a, b])


@test
def route_kept_while_old_manager_says_goodbye(env):
    """A new tunnel starts while the old manager waits for StopCCRP."""
    routed(env)
    for p in env.procs:
        p.kill()
        p.wait()
    srv = env.server("--stopccrp-delay", "1500", listen="203.0.113.1")
    a = env.client(host="203.0.113.1")
    a.wait_up()
    a.hangup()
    assert a.exit_status() == 0
    b = env.client(host="203.0.113.1")
    b.wait_up()
    srv.wait("recv StopCCRQ")
    assert managers() == 2
    # the old one gives up waiting for StopCCRP after a second, and goes
    assert wait_until(lambda: managers() == 1, 3)
    assert "proto 47" in host_route(env), host_route(env)
    passes_data(b, b"route still there")
    b.hangup()
    assert b.exit_status() == 0
    no_leftovers(env)
    assert host_route(env) == "", host_route(env)


def managers():
    return len([t for t in titles() if "call manager" in t])


def route_shared(env, a_args, b_args):
    """Two call managers rely on one host route: the first to go leaves
    it to the other, the last removes it."""
    a = env.client(*a_args, host="203.0.113.1")
    a.wait_up()
    b = env.client(*b_args, host="203.0.113.1")
    b.wait_up()
    passes_data(b, b"routed")
    assert managers() == 2
    a.hangup()
    assert a.exit_status() == 0
    assert wait_until(lambda: managers() == 1, 5)
    assert "proto 47" in host_route(env), host_route(env)
    passes_data(b, b"still routed")
    b.hangup()
    assert b.exit_status() == 0
    no_leftovers(env)
    assert host_route(env) == "", host_route(env)


@test
def route_shared_by_two_localbinds(env):
    routed(env)
    sh(f"ip -n {env.cns} addr add 192.0.2.4/24 dev vc{env.sns[3:11]}")
    route_shared(env, ["--localbind", "192.0.2.2"],
                 ["--localbind", "192.0.2.4"])


@test
def route_shared_by_two_marks(env):
    """Other --rtmark values, same routing table: one route for both."""
    routed(env)
    route_shared(env, ["--rtmark", "1"], ["--rtmark", "2"])


@test
def route_shared_across_run_directories(env):
    """The route is one whatever --rundir the tunnels use."""
    routed(env)
    route_shared(env, [], ["--rundir", env.path("run2")])


@test
def route_lock_stuck_costs_two_seconds(env):
    """Another tunnel's keeper stopped while it removes the host route
    (the route's lock held exclusively): a new tunnel waits 2 s for the
    lock, not for ever, says so, and comes up with the route its own."""
    routed(env)
    ino = os.stat(f"/run/netns/{env.cns}").st_ino
    path = f"/var/run/pptp/route-203.0.113.1-ns{ino}-table254"
    os.makedirs("/var/run/pptp", mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        t0 = time.monotonic()
        cli = env.client(host="203.0.113.1")
        cli.wait_log("call up", 8)
        took = time.monotonic() - t0
        assert 1.9 < took < 5, took     # the keeper logs why, in syslog
        assert "proto 47" in host_route(env), host_route(env)
        passes_data(cli, b"routed all the same")
        cli.hangup()
        assert cli.exit_status() == 0
        # the keeper removes the route as it ends, after the command
        assert wait_until(lambda: host_route(env) == "", 3), host_route(env)
    finally:
        os.close(fd)
        os.unlink(path)
    no_leftovers(env)


@test
def signal_while_resolving_acted_on_at_once(env):
    """DNS that never answers: a stop signal still ends pptp at once."""
    conf = f"/etc/netns/{env.cns}"
    os.makedirs(conf, exist_ok=True)
    try:
        with open(f"{conf}/resolv.conf", "w") as f:
            # on the client's link, and silent: no ARP answer, no reply
            f.write("nameserver 192.0.2.9\noptions timeout:30 attempts:1\n")
        p = subprocess.Popen(["ip", "netns", "exec", env.cns, CFG.pptp,
                              "vpn.pptp-test.example", "--nolaunchpppd",
                              "--rundir", env.rundir],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        env.procs.append(p)
        time.sleep(1)
        assert p.poll() is None, p.communicate()
        t = time.monotonic()
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=5)
        took = time.monotonic() - t
        assert took < 0.1, took
        assert p.returncode == 0, (p.returncode, err)
        assert b"signal while resolving the server: giving up" in err, err
    finally:
        subprocess.run(["rm", "-rf", conf])


@test
def signal_while_waiting_for_the_rundir_lock(env):
    """Another instance holds the run directory's lock (here: the test):
    a stop signal meanwhile ends pptp at once, with status 0."""
    import fcntl
    env.server()
    os.makedirs(env.rundir, mode=0o700, exist_ok=True)
    path = os.path.join(env.rundir, "lock")     # rendezvous.h
    lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        cli = env.client()
        time.sleep(0.5)
        assert cli.proc.poll() is None, cli.stderr()
        t = time.monotonic()
        cli.proc.send_signal(signal.SIGTERM)
        st = cli.exit_status()
        took = time.monotonic() - t
        assert took < 0.1, took
        assert st == 0, (st, cli.stderr())
    finally:
        os.unlink(path)
        os.close(lock)
    no_leftovers(env)


@test
def call_ids_unique_across_call_managers(env):
    """Two managers for one server (other options), made to start at the
    same call ID (pptp-hooks): the second takes another, and neither
    tunnel sees the other's frames."""
    assert CFG.hooks, "no --pptp-hooks binary: make integration builds one"
    plain, CFG.pptp = CFG.pptp, CFG.hooks
    try:
        env.vars["PPTP_FIRST_CALL_ID"] = "16962"
        srv = env.server("--max-channels", "8")
        a = env.client("--client-hostname", "alpha")
        a.wait_up()
        b = env.client("--client-hostname", "beta")
        b.wait_up()
        ids = re.findall(r"recv OCRQ call_id=(\d+)", srv.text())
        assert len(ids) == 2 and ids[0] != ids[1], ids
        assert ids[0] == "16962", ids
        passes_data(a, b"for a only")
        passes_data(b, b"for b only")
        assert b.recv_frames(1, timeout=0.3) == []
        end_all(env, [a, b])
    finally:
        CFG.pptp = plain


# Hold names or locks for the IDs argv[2]..argv[3]-1: argv[1] is "bind"
# (abstract unix names) or a file prefix to flock.  A process holds
# 20000 descriptors at most here, so several share the 65535.
HOLD = """
import fcntl, os, socket, sys
held = []
for i in range(int(sys.argv[2]), int(sys.argv[3])):
    if sys.argv[1] == "bind":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind("\\0pptp-call-id/192.0.2.1/%d" % i)
    else:
        s = os.open(sys.argv[1] + str(i), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(s, fcntl.LOCK_EX)
    held.append(s)
print("ready", flush=True)
sys.stdin.read()
"""


def hold_ids(env, what, prefix=()):
    """Every call ID 1..65535 held (HOLD) by processes started with
    prefix; they let go when their stdin closes."""
    procs = []
    for lo in range(1, 65536, 16384):
        p = subprocess.Popen(list(prefix) + [sys.executable, "-c", HOLD,
                                             what, str(lo),
                                             str(min(lo + 16384, 65536))],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        env.procs.append(p)
        procs.append(p)
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    return procs


def let_go(procs):
    for p in procs:
        p.stdin.close()
        p.wait()


@test
def call_ids_no_other_user_can_take(env):
    """An unprivileged user binds every abstract name the call IDs were
    once reserved by (pptp-call-id/ADDRESS/ID, in the client's namespace):
    a tunnel still comes up, at once."""
    env.server()
    squat = hold_ids(env, "bind", ["ip", "netns", "exec", env.cns,
                                   "setpriv", "--reuid=65534",
                                   "--regid=65534", "--clear-groups"])
    cli = env.client()
    cli.wait_up()
    passes_data(cli, b"through")
    cli.hangup()
    assert cli.exit_status() == 0
    let_go(squat)
    no_leftovers(env)


@test
def call_ids_all_taken_said_in_words(env):
    """Every call ID of the server reserved on this host (held here as
    the reservations are: flock'd files in /var/run/pptp): pptp says so
    in one line and exits 1, having sent the server nothing."""
    srv = env.server()
    ino = os.stat(f"/run/netns/{env.cns}").st_ino
    prefix = f"/var/run/pptp/callid-192.0.2.1-ns{ino}-"
    os.makedirs("/var/run/pptp", mode=0o700, exist_ok=True)
    held = hold_ids(env, prefix)
    try:
        t0 = time.monotonic()
        cli = env.client()
        st = cli.exit_status(10)
        err = cli.stderr()
        assert st == 1, (st, err)
        assert "no call ID free for 192.0.2.1: all 65535 are taken on " \
            "this host" in err, err
        assert time.monotonic() - t0 < 5, time.monotonic() - t0
        assert not srv.lines("recv OCRQ"), srv.text()
    finally:
        let_go(held)
        for i in range(1, 65536):    # a keeper that ends sweeps them too
            try:
                os.unlink(prefix + str(i))
            except FileNotFoundError:
                pass
    # given back, the IDs serve again
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def late_call_id_given_back(env):
    """The keeper stopped past the manager's deadline for a call ID: that
    call fails in words; the ID the keeper reserves once resumed, for no
    call, goes back though the manager asks nothing more, so the
    reservations are the calls' alone.  A new tunnel then comes up."""
    env.server()
    ino = os.stat(f"/run/netns/{env.cns}").st_ino
    prefix = f"callid-192.0.2.1-ns{ino}-"

    def reserved():
        return sorted(int(f[len(prefix):]) for f in
                      os.listdir("/var/run/pptp") if f.startswith(prefix))

    def call_id(cli):
        return int(re.search(r"our call ID (\d+)", cli.stderr()).group(1))
    a = env.client()
    a.wait_up()
    keeper = [p for p in pptp_pids()
              if title_of(p).startswith("pptp: keeper")][0]
    os.kill(keeper, signal.SIGSTOP)
    try:
        b = env.client()
        assert b.exit_status(15) == 1
    finally:
        os.kill(keeper, signal.SIGCONT)
    assert "the call manager's keeper does not answer" in b.stderr(), \
        b.stderr()
    time.sleep(1)       # the keeper, resumed, reaches the requests
    assert reserved() == [call_id(a)], (reserved(), call_id(a))
    c = env.client()
    c.wait_up()
    assert reserved() == sorted([call_id(a), call_id(c)]), reserved()
    end_all(env, [a, c])


@test
def call_manager_stopped_takes_no_newcomer(env):
    """SIGTERM to a manager: it stops listening at once; a tunnel started
    then gets a manager of its own, and the old one goes."""
    srv = env.server("--no-cdn")
    a = env.client()
    a.wait_up()
    mgr = [p for p in pptp_pids() if title_of(p).startswith(
        "pptp: call manager")]
    assert len(mgr) == 1, mgr
    os.kill(mgr[0], signal.SIGTERM)
    b = env.client()
    b.wait_up()
    assert wait_until(lambda: not procinfo.running(mgr[0]), 4), \
        "the stopped manager lives on"
    assert connections(srv) == 2, srv.lines("accept")
    passes_data(b, b"new manager")
    b.hangup()
    assert b.exit_status() == 0
    a.exit_status()
    no_leftovers(env)


@test
def first_call_loses_nothing_while_second_placed(env):
    for share in ("8", "1"):
        # "1" as poptop: a wrongly shared call takes the first one down
        srv = env.server("--max-channels", share,
                         *(["--one-call"] if share == "1" else []),
                         listen="192.0.2.1" if share == "8" else "192.0.2.3")
        host = "192.0.2.1" if share == "8" else "192.0.2.3"
        a = env.client(host=host)
        a.wait_up()
        sent, got = [], []
        b = None
        for i in range(300):
            frame = b"\xff\x03\x00\x21" + b"frame %05d " % i + b"x" * 200
            a.send(frame)
            sent.append(frame)
            if i == 20:
                b = env.client(host=host)
            got += a.recv_frames(1, timeout=0.01)
        got += a.recv_frames(len(sent) - len(got), timeout=5)
        b.wait_up()
        assert got == sent, (share, len(got), len(sent))
        end_all(env, [a, b])


def icmp_unreachables(ns):
    """ICMP destination-unreachable messages the namespace has sent."""
    out = subprocess.run(["ip", "netns", "exec", ns, "cat",
                          "/proc/net/snmp"], capture_output=True,
                         text=True).stdout.splitlines()
    icmp = [l.split()[1:] for l in out if l.startswith("Icmp:")]
    return int(dict(zip(icmp[0], icmp[1]))["OutDestUnreachs"])


@test
def call_cleared_before_gre_socket_closes(env):
    """pppd goes; the server's pppd still sends while the call is
    cleared: that GRE is taken in, not answered with ICMP protocol-
    unreachable (on which poptop drops the connection unread)."""
    srv = env.server("--goodbye-gre", "20")
    cli = env.client()
    cli.wait_up()
    passes_data(cli, b"hello")
    before = icmp_unreachables(env.cns)
    cli.hangup()
    assert cli.exit_status() == 0
    srv.wait("sent 20 goodbye GRE packets")
    srv.wait("send CDN")
    srv.wait("recv StopCCRQ")
    no_leftovers(env)
    assert icmp_unreachables(env.cns) == before, "ICMP sent"

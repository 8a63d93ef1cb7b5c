# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of the rendezvous: the run directory, the call
manager's socket, the checks of who is at the other end.

Their harness is tests/harness.py; tests/integration/run.py runs them,
in the order written."""

import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

from harness import (CFG, no_leftovers, passes_data, pid_titled, pptp_pids,
                     run_pptp, status, test, wait_until)


def manager_socket(env):
    names = [f for f in os.listdir(env.rundir) if f.startswith("192.0.2.1")]
    assert len(names) == 1, names
    return os.path.join(env.rundir, names[0])


SOCKET_PROBE = """
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
print(os.getpid(), flush=True)
try:
    s.send(bytes.fromhex("00060004"))   # CM_STATUS_REQ
except OSError:
    pass
s.settimeout(5)
try:
    print(repr(s.recv(2000)))
except ConnectionResetError:        # closed with our request unread
    print(repr(b""))
"""


@test
def another_user_refused_by_the_call_manager(env):
    """Where the socket is reachable (the test opens the run directory
    and the socket), another user's client is refused for its
    credentials, and the call manager says whose; root is still served.
    The socket is srw------- even under umask 0."""
    env.server()
    cli = env.client("--debug", umask=0)
    cli.wait_up()
    path = manager_socket(env)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, oct(mode)
    for p in (env.dir, env.rundir):
        os.chmod(p, 0o755)
    os.chmod(path, 0o666)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", sys.executable, "-c",
                        SOCKET_PROBE, path],
                       capture_output=True, text=True, timeout=10)
    pid, got = r.stdout.split("\n")[:2]
    assert r.returncode == 0 and got == "b''", (r.stdout, r.stderr)
    cli.wait_log(f"callmgr 192.0.2.1: refused a client of uid 65534 (pid "
                 f"{pid}): only root and uid 0 may use this call manager")
    os.chmod(env.rundir, 0o700)
    st, out, _ = status(env)
    assert st == 0 and "call " in out, (st, out)
    passes_data(cli, b"still served")
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def silent_clients_dropped_at_their_deadline(env):
    """Clients that connect and never speak hold no slot, no manager
    and no control connection past 5 s; a tunnel placed meanwhile
    works."""
    srv = env.server()
    cli = env.client("--debug")
    cli.wait_up()
    path = manager_socket(env)
    silent = [socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
              for _ in range(3)]
    t = time.monotonic()
    for s_ in silent:
        s_.connect(path)
    cli2 = env.client()
    cli2.wait_up()
    passes_data(cli2, b"placed while they sat there")
    for s_ in silent:
        s_.settimeout(10)
        assert s_.recv(100) == b""
        s_.close()
    took = time.monotonic() - t
    assert 4.5 < took < 6.5, took
    # the line reaches stderr through the stderr relay: in a moment
    assert wait_until(lambda: cli.stderr().count(
        "said nothing in 5 s: dropping it") == 3, 2), cli.stderr()
    passes_data(cli2, b"and after")
    # alone with a silent client, the manager still ends
    last = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    last.connect(path)
    t = time.monotonic()
    cli.hangup()
    cli2.hangup()
    assert cli.exit_status() == 0 and cli2.exit_status() == 0
    srv.wait("recv StopCCRQ", 10)
    assert wait_until(lambda: not pptp_pids(), 10), pptp_pids()
    assert time.monotonic() - t < 6.5, time.monotonic() - t
    last.close()
    no_leftovers(env)


@test
def unsafe_run_directory_refused(env):
    """A run directory that is a symbolic link (with or without a
    trailing slash), writable by group or others, another user's, or
    no directory: refused in one line before anything reaches the
    server; a safe one then works."""
    srv = env.server()
    real = env.path("real")
    os.mkdir(real, 0o700)
    cases = [
        (lambda: os.symlink(real, env.rundir), "",
         "is a symbolic link: not using it"),
        (lambda: os.symlink(real, env.rundir), "/",
         "is a symbolic link: not using it"),
        (lambda: os.mkdir(env.rundir), "",
         "is writable by group or others (mode 0777): not using it"),
        (lambda: os.mkdir(env.rundir), "",
         "is writable by group or others (mode 0770): not using it"),
        (lambda: os.mkdir(env.rundir), "",
         "belongs to uid 65534, not root (or uid 0): not using it"),
        (lambda: open(env.rundir, "w").close(), "",
         "is not a directory: not using it"),
    ]
    for i, (make, slash, words) in enumerate(cases):
        make()
        if "0777" in words:
            os.chmod(env.rundir, 0o777)
        elif "0770" in words:
            os.chmod(env.rundir, 0o770)
        elif "65534" in words:
            os.chmod(env.rundir, 0o700)
            os.chown(env.rundir, 65534, 65534)
        cli = env.client("--rundir", env.rundir + slash)
        assert cli.exit_status() == 1, (words, cli.stderr())
        assert f"pptp: run directory {env.rundir} {words}" in \
            cli.stderr(), (words, cli.stderr())
        assert len(cli.stderr().splitlines()) == 1, cli.stderr()
        assert os.listdir(real) == [], os.listdir(real)
        subprocess.run(["rm", "-rf", env.rundir])
    assert not srv.lines("accept connection"), srv.text()
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


LOCK_GRABBER = """
import fcntl, os, sys, time
run = sys.argv[1]
d = os.open(run, os.O_RDONLY)
fcntl.flock(d, fcntl.LOCK_EX)
print("ready", flush=True)
held = {}
while True:
    for name in os.listdir(run):
        if name in held:
            continue
        try:
            f = os.open(os.path.join(run, name), os.O_RDONLY | os.O_NONBLOCK)
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue
        held[name] = f
        print("locked", name, flush=True)
    time.sleep(0.002)
"""


@test
def readable_run_directory_locked_by_no_other_user(env):
    """A run directory of root's with mode 0755 (readable by all):
    another user who holds an flock on the directory itself, and locks
    every file in it that it can open, holds up no start and no keeper
    (the socket still goes at the end): the lock is a file in it that
    only root can open."""
    env.server()
    os.chmod(env.dir, 0o755)
    os.mkdir(env.rundir, 0o755)
    grabber = subprocess.Popen(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         sys.executable, "-c", LOCK_GRABBER, env.rundir],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    env.procs.append(grabber)
    assert grabber.stdout.readline() == "ready\n", grabber.stderr.read()
    t0 = time.monotonic()
    cli = env.client()
    cli.wait_up()
    assert time.monotonic() - t0 < 3, (time.monotonic() - t0, cli.stderr())
    passes_data(cli, b"beside a held directory")
    cli2 = env.client()
    cli2.wait_up()
    for c in (cli, cli2):
        c.hangup()
        assert c.exit_status() == 0, c.stderr()
    no_leftovers(env)
    grabber.kill()
    out, err = grabber.communicate(timeout=5)
    assert "locked" not in out, (out, err)


@test
def relative_rundir_made_absolute(env):
    """--rundir run, from the directory above: the call manager (which
    works from /) still removes its socket at the end."""
    env.server()
    cli = env.client("--rundir", "run/", cwd=env.dir)
    cli.wait_up()
    assert manager_socket(env)
    st, out, _ = status(env)
    assert st == 0 and "call " in out, (st, out)
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    r = run_pptp(["127.0.0.1", "--nolaunchpppd", "--rundir", ""])
    assert r.returncode == 2 and "--rundir: an empty name is no " \
        "directory" in r.stderr, r.stderr


CM_CALL_DOWN = 3


@test
def instance_trusts_only_its_own_call_managers(env):
    """What answers on the socket must be root's or ours (SO_PEERCRED):
    another user's listener there is refused.  A trusted manager's
    words are logged escaped, and a status pptp does not know is exit
    status 1, said so."""
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    name = os.path.basename(manager_socket(env))
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    path = os.path.join(env.rundir, name)
    # another user's socket, left in the run directory
    os.chmod(env.dir, 0o755)
    os.chmod(env.rundir, 0o777)
    listener = subprocess.Popen(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         sys.executable, "-c", "import socket, sys, time\n"
         "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
         "s.bind(sys.argv[1]); s.listen(8); print('ready', flush=True)\n"
         "time.sleep(60)\n", path], stdout=subprocess.PIPE, text=True)
    env.procs.append(listener)
    assert listener.stdout.readline() == "ready\n"
    os.chmod(env.rundir, 0o700)
    cli = env.client()
    assert cli.exit_status() == 1, cli.stderr()
    assert f"pptp: the call manager at {path} is of uid 65534 (pid " \
        f"{listener.pid}), not root or ours: not using it" in \
        cli.stderr(), cli.stderr()
    st, out, err = status(env)
    assert st == 1 and f"pptp: status: the call manager at {path} is of " \
        f"uid 65534 (pid {listener.pid}), not root or ours: not asked" in \
        err, (st, out, err)
    listener.kill()
    listener.wait()
    os.unlink(path)
    # root's, saying odd things
    why = b"refused\x1b[31m\nforged line\x7f"
    for status_, code, words in ((77, 1, "the call manager ended the "
                                  "call with status 77, which pptp does "
                                  "not know: exit status 1"),
                                 (5, 5, None)):
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        lsock.bind(path)
        lsock.listen(1)
        cli = env.client()
        conn, _ = lsock.accept()
        conn.settimeout(5)
        assert conn.recv(2000)[:2] == b"\x00\x01"     # CM_CALL_REQ
        body = status_.to_bytes(2, "big") + b"\0\0" + why.ljust(256, b"\0")
        conn.send(CM_CALL_DOWN.to_bytes(2, "big") +
                  (4 + len(body)).to_bytes(2, "big") + body)
        assert cli.exit_status() == code, cli.stderr()
        err = cli.stderr()
        assert "pptp: refused\\x1b[31m\\x0aforged line\\x7f\n" in err, err
        assert words is None or f"pptp: {words}\n" in err, err
        conn.close()
        lsock.close()
        os.unlink(path)
    # root's, with odd words for pptp --status's table
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    lsock.bind(path)
    lsock.listen(1)
    asker = subprocess.Popen(["ip", "netns", "exec", env.cns, CFG.pptp,
                              "--status", "--rundir", env.rundir],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    conn, _ = lsock.accept()
    conn.settimeout(5)
    assert conn.recv(2000) == b"\x00\x06\x00\x04"     # CM_STATUS_REQ
    for line in (b"manager version=1 server=192.0.2.1 host=192.0.2.1 "
                 b"pid=1 netns=1 since=0",
                 b"conn id=1 state=up%1b%5b31m%0a since=0 local=1%0a2",
                 b"end"):
        conn.send(b"\x00\x07\x04\x04" + line.ljust(1024, b"\0"))
    out, err = asker.communicate(timeout=10)
    assert "connection 1: up\\x1b[31m\\x0a " in out and \
        "from 1\\x0a2\n" in out, (out, err)
    conn.close()
    lsock.close()
    os.unlink(path)
    assert not srv.lines("accept connection")[1:], srv.text()


@test
def call_placed_again_within_one_deadline(env):
    """A taken-over call manager (root's listener, as the real one is)
    takes each call request and, short of the deadline for the call's
    answer, hangs up or ends the call with the status that asks pptp to
    place it again: pptp gives up at that one deadline, 2 x (1 + 2 x 1)
    + 5 = 11 s with --connect-timeout 1 --reply-timeout 1, retries
    included, not at three times it."""
    opts = ("--connect-timeout", "1", "--reply-timeout", "1")
    env.server()
    cli = env.client(*opts)
    cli.wait_up()
    path = manager_socket(env)
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    lsock.bind(path)
    lsock.listen(8)
    lsock.settimeout(0.2)
    taken, done = [], threading.Event()

    def manager():
        while not done.is_set():
            try:
                conn, _ = lsock.accept()
            except socket.timeout:
                continue
            conn.recv(2000)
            taken.append(time.monotonic())
            done.wait(6)
            if len(taken) % 2 == 0:    # CM_CALL_DOWN, status 9: again
                body = (9).to_bytes(2, "big") + b"\0\0" + \
                    b"closing".ljust(256, b"\0")
                try:
                    conn.send(CM_CALL_DOWN.to_bytes(2, "big") +
                              (4 + len(body)).to_bytes(2, "big") + body)
                except OSError:
                    pass
            conn.close()

    t = threading.Thread(target=manager)
    t.start()
    try:
        t0 = time.monotonic()
        cli = env.client(*opts)
        st = cli.exit_status(40)
        took = time.monotonic() - t0
    finally:
        done.set()
        t.join()
        lsock.close()
        os.unlink(path)
    assert st == 1, (st, cli.stderr())
    assert 10.5 < took < 12.5, (took, len(taken), cli.stderr())
    assert len(taken) == 2, (taken, cli.stderr())
    assert "no answer from the call manager for 192.0.2.1 in 11 s: " \
        "giving up" in cli.stderr(), cli.stderr()
    no_leftovers(env)


def stop_and_fill(env, mgr, fill):
    """Stop the manager (SIGSTOP) and fill its backlog, as newcomers to a
    stuck manager do."""
    path = manager_socket(env)
    os.kill(mgr, signal.SIGSTOP)
    while len(fill) < 1000:
        s_ = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s_.setblocking(False)
        try:
            s_.connect(path)
        except BlockingIOError:
            s_.close()
            break
        fill.append(s_)
    assert len(fill) < 1000, "the backlog never filled"


def go_on(mgr, fill):
    os.kill(mgr, signal.SIGCONT)
    for s_ in fill:
        s_.close()


@test
def stopped_call_manager_delays_no_other_server(env):
    """The call manager for one server stopped (SIGSTOP) with its backlog
    full, and a tunnel to it starting: a tunnel to another server comes
    up at once all the same (no lock is held across a wait on a manager),
    and pptp --status names the stopped one and answers for the other."""
    env.server()
    env.server(listen="192.0.2.3")
    a = env.client()
    a.wait_up()
    mgr = pid_titled("pptp: call manager 192.0.2.1")
    fill = []
    try:
        stop_and_fill(env, mgr, fill)
        a2 = env.client()
        time.sleep(0.2)
        t0 = time.monotonic()
        b = env.client(host="192.0.2.3")
        b.wait_log("call up", timeout=3)
        assert time.monotonic() - t0 < 3, time.monotonic() - t0
        passes_data(b, b"beside a stopped manager")
        st, out, err = status(env)
        assert "192.0.2.3: call manager" in out, (st, out, err)
        assert "takes no one in" in err, err
        a2.exit_status(12)
    finally:
        go_on(mgr, fill)
    passes_data(a, b"the stopped one goes on")
    for c in (a, b):
        c.hangup()
        assert c.exit_status() == 0
    no_leftovers(env, timeout=8)


@test
def stopped_call_manager_fails_newcomers_in_words(env):
    """The call manager for a server stopped (SIGSTOP): a tunnel to it
    fails in words within the connect timeout, whether the manager's
    backlog has room (its request is never read) or is full (no one is
    taken in)."""
    env.server()
    a = env.client()
    a.wait_up()
    mgr = pid_titled("pptp: call manager 192.0.2.1")
    fill = []
    try:
        os.kill(mgr, signal.SIGSTOP)
        t0 = time.monotonic()
        a2 = env.client()
        assert a2.exit_status(12) == 1, a2.stderr()
        assert time.monotonic() - t0 < 10, time.monotonic() - t0
        assert "the call manager for 192.0.2.1 has not taken the call " \
            "request in 2 s (it is stopped or stuck): giving up" in \
            a2.stderr(), a2.stderr()
        stop_and_fill(env, mgr, fill)
        t0 = time.monotonic()
        a3 = env.client()
        assert a3.exit_status(12) == 1, a3.stderr()
        assert time.monotonic() - t0 < 10, time.monotonic() - t0
        assert "takes no one in (it is stopped or stuck): giving up " \
            "after 2 s" in a3.stderr(), a3.stderr()
    finally:
        go_on(mgr, fill)
    passes_data(a, b"the stopped one goes on")
    a.hangup()
    assert a.exit_status() == 0
    no_leftovers(env, timeout=8)

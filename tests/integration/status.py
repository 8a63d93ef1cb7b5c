# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of pptp --status: the text and JSON pages, states,
status readers that hang or lie, who may ask.

Their harness is tests/harness.py; tests/integration/run.py runs them,
in the order written."""

import ctypes
import fcntl
import json
import mmap
import os
import re
import signal
import socket
import stat
import struct
import subprocess
import threading
import time

from harness import (calls_of, CFG, end_all, no_leftovers, passes_data,
                     pid_titled, run_pptp, scripted, status, status_json,
                     test, wait_until)


@test
def status_shows_every_tunnel(env):
    """Two tunnels to one server, one to another address: the table and
    the JSON document show each, with the figures traffic moved."""
    srv = env.server("--max-channels", "8")
    srv3 = env.server(listen="192.0.2.3")
    a = env.client()
    a.wait_up()
    b = env.client()
    b.wait_up()
    c = env.client(host="192.0.2.3")
    c.wait_up()
    for i in range(10):
        passes_data(a, b"frame %d" % i)
    ids = re.findall(r"recv OCRQ call_id=(\d+)", srv.text())
    st, out, _ = status(env)
    assert st == 0, (st, out)
    assert out.count("192.0.2.1: call manager") == 1, out
    assert out.count("192.0.2.3: call manager") == 1, out
    assert f"call {ids[0]}, server's" in out, out
    assert 'server "fakepptpd", vendor "pptp test server"' in out, out
    assert "rx 10 packets" in out and "tx 10 packets" in out, out
    doc = status_json(env)
    assert doc["version"] == 1, doc
    assert len(doc["managers"]) == 2, doc
    m1 = [m for m in doc["managers"] if m["server"] == "192.0.2.1"][0]
    assert m1["host"] == "192.0.2.1" and m1["share"] == "auto", m1
    conn = m1["connections"][0]
    assert conn["state"] == "up" and conn["local"] == "192.0.2.2", conn
    assert conn["peer_host"] == "fakepptpd", conn
    assert conn["peer_vendor"] == "pptp test server", conn
    assert conn["firmware"] == 0x0102 and conn["max_channels"] == 8, conn
    assert conn["ncalls"] == 2 and len(conn["calls"]) == 2, conn
    calls = {str(k["call_id"]): k for _, _, k in calls_of(doc)}
    ka = calls[ids[0]]
    assert ka["state"] == "up", ka
    assert ka["rx_packets"] == 10 and ka["tx_packets"] == 10, ka
    assert ka["rx_bytes"] == ka["tx_bytes"] > 10 * 8, ka
    assert ka["pppd"] == os.getpid(), (ka, os.getpid())
    assert ka["peer_call_id"] > 0 and ka["since"] > 0, ka
    assert calls[ids[1]]["rx_packets"] == 0, calls[ids[1]]
    assert len(calls) == 3, calls
    # only the tunnels to one server
    doc3 = status_json(env, "192.0.2.3")
    assert [m["server"] for m in doc3["managers"]] == ["192.0.2.3"], doc3
    st, out, _ = status(env, "192.0.2.9")
    assert st == 3 and "no tunnels to 192.0.2.9" in out, (st, out)
    end_all(env, [a, b, c])
    st, out, _ = status(env)
    assert st == 3 and "no tunnels" in out, (st, out)


@test
def status_counts_loss_and_reordering(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 3", "gre 4", "gre 2",
                                  "gre 5", "gre 7"], "--timeout", "0.2",
                            n=6)
    assert seqs == [1, 2, 3, 4, 5, 7], seqs
    (_, _, k), = calls_of(status_json(env))
    assert k["rx_packets"] == 6 and k["rx_lost"] == 1, k
    assert k["rx_reordered"] == 3, k
    assert k["reorder_wait_ms"] == 200, k


@test
def status_states_while_connecting_and_clearing(env):
    env.server("--sccrp", "never")
    cli = env.client()
    cli.wait_log("connected to")
    assert wait_until(lambda: status(env)[0] == 0, 3)
    (m, c, k), = calls_of(status_json(env))
    assert c["state"] == "connecting" and k["state"] == "connecting", c
    assert "peer_host" not in c, c
    cli.proc.send_signal(signal.SIGTERM)
    assert cli.exit_status() == 0
    no_leftovers(env)
    for p in env.procs:
        p.kill()
        p.wait()
    env.server("--no-cdn")
    cli = env.client()
    cli.wait_up()
    cli.hangup()
    # the call waits up to a second for the CDN that never comes
    assert wait_until(lambda: '"state": "clearing"' in json.dumps(
        status_json(env)), 1), status(env)
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def status_json_escapes_whatever_the_server_says(env):
    name = bytes([0x22, 0x5c, 0x41, 0x0a, 0x09, 0x01, 0x7f, 0xc3, 0x28,
                  0xff, 0x20, 0x25, 0x3d]) + b"end"
    env.server("--hostname-hex", name.hex())
    cli = env.client()
    cli.wait_up()
    doc = status_json(env)      # json.loads: valid, whatever the bytes
    got = doc["managers"][0]["connections"][0]["peer_host"]
    assert got == name.decode("latin-1"), (got, name)
    st, out, _ = status(env)
    assert st == 0 and "\\x0a" in out and "\n" not in out.split(
        "server \"")[1].split("\"")[0], out
    cli.hangup()
    cli.exit_status()


@test
def status_readers_that_hang_or_lie_stall_nothing(env):
    """A reader that never speaks, one that asks and never reads, and
    one that sends garbage: traffic goes on, and status still answers."""
    env.server()
    cli = env.client()
    cli.wait_up()
    sock = [f for f in os.listdir(env.rundir) if f.startswith("192.0.2.1")]
    path = os.path.join(env.rundir, sock[0])
    silent, asker, liar = (socket.socket(socket.AF_UNIX,
                                         socket.SOCK_SEQPACKET)
                           for _ in range(3))
    for s_ in (silent, asker, liar):
        s_.connect(path)
    asker.send(b"\x00\x06\x00\x04")        # CM_STATUS_REQ, never read
    liar.send(b"\xde\xad\xbe\xef" * 10)
    for i in range(50):
        passes_data(cli, b"still flowing %d" % i)
    st, out, _ = status(env)
    assert st == 0 and "rx 50 packets" in out, (st, out)
    assert liar.recv(100) == b""        # dropped, and said so
    for s_ in (silent, asker, liar):
        s_.close()
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def status_for_root_alone(env):
    """The run directory is root's (0700): another user's pptp --status
    gets a refusal, not the tunnels."""
    os.chmod(env.dir, 0o755)
    env.server()
    cli = env.client()
    cli.wait_up()
    assert stat.S_IMODE(os.stat(env.rundir).st_mode) == 0o700
    r = subprocess.run(["ip", "netns", "exec", env.cns, "setpriv",
                        "--reuid=65534", "--regid=65534", "--clear-groups",
                        CFG.pptp, "--status", "--rundir", env.rundir],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "cannot read" in r.stderr and "Permission denied" in r.stderr, \
        r.stderr
    assert "192.0.2.1" not in r.stdout, r.stdout
    cli.hangup()
    assert cli.exit_status() == 0


@test
def without_privileges_nothing_reaches_the_server(env):
    """As another user, or with CAP_NET_RAW alone: pptp says what it
    needs and stops before it connects; the server sees nothing."""
    os.chmod(env.dir, 0o755)
    srv = env.server()
    base = ["ip", "netns", "exec", env.cns, "setpriv", "--reuid=65534",
            "--regid=65534", "--clear-groups"]
    raw = ["--inh-caps=+net_raw", "--ambient-caps=+net_raw"]
    for caps, args, words in (
            ([], [], "needs root, or CAP_NET_RAW, to open its raw GRE"),
            (raw, [], "needs root, or CAP_NET_ADMIN, to add the host "
             "route"),
            (raw, ["--nohostroute", "--rtmark", "7"],
             "needs root, or CAP_NET_ADMIN, to mark its packets")):
        r = subprocess.run(base + caps + [CFG.pptp, "192.0.2.1",
                                          "--nolaunchpppd", "--rundir",
                                          env.path("run-nobody")] + args,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=10)
        assert r.returncode == 1 and words in r.stderr, (caps, args, r)
    assert not srv.lines("accept connection"), srv.text()


@test
def status_options_refused_where_meaningless(env):
    r = run_pptp(["--json"])
    assert r.returncode == 2 and "--json goes with --status" in r.stderr
    r = run_pptp(["--status", "a", "b"])
    assert r.returncode == 2 and "at most one server" in r.stderr


@test
def status_refuses_a_page_that_is_no_sealed_memfd(env):
    """A client of the manager's own uid places a call by hand, passes a
    plain file as its statistics page and truncates it: the manager must
    not map it (reading it would die of SIGBUS, with every tunnel)."""
    env.server("--max-channels", "8")
    cli = env.client()
    cli.wait_up()
    sock = [f for f in os.listdir(env.rundir) if f.startswith("192.0.2.1")]
    s_ = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s_.connect(os.path.join(env.rundir, sock[0]))
    # CM_CALL_REQ: window, ppd, sync, 2 zeros, a phone of 64
    req = struct.pack("!HHHH", 64, 0, 0, 0) + bytes(64)
    s_.send(struct.pack("!HH", 1, 4 + len(req)) + req)
    s_.settimeout(5)
    up = s_.recv(100)
    assert up[:2] == b"\x00\x02", up            # CM_CALL_UP
    with open(env.path("page"), "wb+") as page:
        page.write(bytes(65536))
        page.flush()
        s_.sendmsg([b"\x00\x05\x00\x04"],       # CM_STATS_FD
                   [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                     struct.pack("i", page.fileno()))])
        time.sleep(0.3)
        page.truncate(0)
    st, out, _ = status(env)
    assert st == 0 and out.count("call ") >= 2, (st, out)
    passes_data(cli, b"still here")
    s_.close()
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


# A call manager's answer, written by hand: what a taken-over one sends.
CM_STATUS_LINE = 7
PLAIN = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            b"0123456789._:/+-")


def enc(value):
    """A status line's value: every byte outside PLAIN as %XX."""
    if isinstance(value, str):
        value = value.encode("latin-1")
    return "".join(chr(b) if b in PLAIN else "%%%02X" % b for b in value)


def line(kind, **pairs):
    return " ".join([kind] + [f"{k}={enc(str(v))}"
                              for k, v in pairs.items()])


MANAGER = dict(version=1, server="192.0.2.9", host="192.0.2.9", pid=1,
               netns=1, since=1, share="auto", one_call=0)


def fake_manager(env, name, lines):
    """A unix listener in the run directory, named as a manager's, that
    answers each status request with lines (an iterable, or a function
    giving one), framed as cm_msg.h says; its socket's path."""
    os.makedirs(env.rundir, mode=0o700, exist_ok=True)
    path = os.path.join(env.rundir, name)
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    lsock.bind(path)
    lsock.listen(8)

    def serve():
        while True:
            try:
                s_, _ = lsock.accept()
            except OSError:
                return
            try:
                s_.recv(64)     # the request
                for text in (lines() if callable(lines) else lines):
                    payload = text.encode("latin-1")[:1024].ljust(1024,
                                                                  b"\0")
                    s_.send(struct.pack("!HH", CM_STATUS_LINE,
                                        4 + len(payload)) + payload)
            except OSError:
                pass
            s_.close()

    threading.Thread(target=serve, daemon=True).start()
    env.fakes = getattr(env, "fakes", []) + [lsock]
    return path


def status_limited(env, *args):
    """pptp --status in 200 MB of address space (a sanitized build's
    shadow memory needs terabytes of it: there the line limits alone,
    which say so on stderr, are what the tests see)."""
    limit = [] if CFG.sanitized else ["prlimit", "--as=209715200"]
    r = subprocess.run(["ip", "netns", "exec", env.cns] + limit +
                       [CFG.pptp, "--status", "--rundir", env.rundir] +
                       list(args), capture_output=True, timeout=30)
    return (r.returncode, r.stdout.decode("latin-1"),
            r.stderr.decode("latin-1"))


def close_fakes(env):
    for s_ in getattr(env, "fakes", []):
        s_.close()


@test
def status_bounds_what_one_manager_may_send(env):
    """A manager that sends line after line: pptp --status keeps no more
    than a manager can truthfully send, names it, and still answers for
    the honest one, in 200 MB."""
    env.server()
    cli = env.client()
    cli.wait_up()

    def flood():
        yield line("manager", **MANAGER)
        yield line("conn", id=1, state="up", since=1)
        for i in range(100000):
            yield line("call", conn=1, state="up", since=1, call_id=i,
                       peer_call_id=i, last_warning="x" * 150)

    bad = fake_manager(env, "192.0.2.9-ns1-00000000", flood)
    for args in ([], ["--json"]):
        st, out, err = status_limited(env, *args)
        assert st == 1, (st, out, err)
        assert f"the call manager at {bad} sent more than" in err, err
        assert "realloc" not in err, err
        if args:
            doc = json.loads(out)
            assert [m["server"] for m in doc["managers"]] == \
                ["192.0.2.1"], doc
            assert len(calls_of(doc)) == 1, doc
        else:
            assert "192.0.2.1: call manager" in out, out
            assert "192.0.2.9" not in out, out
    close_fakes(env)
    cli.hangup()
    assert cli.exit_status() == 0


@test
def status_shows_the_servers_words_escaped(env):
    """What a manager says goes to the terminal escaped, in every field
    of the table (the server's address too), and as valid JSON."""
    evil = "\x1b]0;owned\x07\n\r\x9b1;31m192.0.2.9"
    fake_manager(env, "192.0.2.9-ns1-00000000", [
        line("manager", **dict(MANAGER, server=evil, host=evil + "x")),
        line("conn", id=1, state=evil, since=1, local=evil,
             peer_host=evil, peer_vendor=evil, firmware=1,
             max_channels=1, ncalls=1),
        line("call", conn=1, state=evil, since=1, call_id=5,
             peer_call_id=6, last_warning=evil, last_warning_at=1),
        line("end")])
    st, out, err = status_limited(env)
    assert st == 0, (st, out, err)
    assert not any(c in out for c in "\x1b\x07\r\x9b"), repr(out)
    assert out.count("\\x1b]0;owned\\x07\\x0a\\x0d\\x9b1;31m192.0.2.9") \
        >= 6, out
    assert len(out.splitlines()) == 3, out      # no newline of theirs
    st, out, err = status_limited(env, "--json")
    doc = json.loads(out)           # strict: no raw control byte
    assert doc["managers"][0]["server"] == evil, doc
    assert out.count("\n") == 1 and not any(c in out for c in
                                           "\x1b\x07\r\x9b"), repr(out)
    close_fakes(env)


@test
def status_keeps_each_managers_answer_apart(env):
    """Answers that pose as another manager's, repeat or invent keys, or
    name a connection they never sent are dropped whole, each named
    with what was wrong; the document stays valid JSON and holds the
    honest manager alone, as it said it."""
    env.server()
    cli = env.client()
    cli.wait_up()
    conn = line("conn", id=1, state="up", since=1)
    call = line("call", conn=1, state="up", since=1, call_id=7,
                peer_call_id=8)
    wrong = {
        "headless": ([conn, call, line("end")], "a conn line before"),
        "dupkey": ([line("manager", **MANAGER), conn + " calls=1",
                    call, line("end")],
                   "an unknown key calls in a conn line"),
        "twice": ([line("manager", **MANAGER), conn + " state=up",
                   line("end")], "state twice in a conn line"),
        "orphan": ([line("manager", **MANAGER), conn,
                    call.replace("conn=1", "conn=2"), line("end")],
                   "a call on connection 2"),
        "unknown": ([line("manager", **MANAGER), conn,
                     call + " connections=1", line("end")],
                    "an unknown key connections in a call line"),
        "notnum": ([line("manager", **MANAGER),
                    conn.replace("since=1", "since=1x"), line("end")],
                   "since is not a number in a conn line"),
        "second": ([line("manager", **MANAGER), line("manager",
                                                     **MANAGER),
                    line("end")], "a second manager line"),
        "kind": ([line("manager", **MANAGER), line("calls", x=1),
                  line("end")], "a line of an unknown kind"),
        "cut_off": ([line("manager", **MANAGER), conn, call], None),
    }
    paths = {k: fake_manager(env, f"192.0.2.9-ns1-{k}", lines)
             for k, (lines, _) in wrong.items()}
    for args in (["--json"], []):
        st, out, err = status_limited(env, *args)
        assert st == 1, (st, out, err)
        for k, (_, words) in wrong.items():
            if words is None:
                assert f"no whole answer from the call manager at " \
                    f"{paths[k]}" in err, (k, err)
                continue
            said = [l for l in err.splitlines()
                    if f"the call manager at {paths[k]} sent a wrong "
                    f"answer (" in l]
            assert len(said) == 1 and words in said[0] and \
                "not shown" in said[0], (k, err)
        if args:
            doc = json.loads(out)
            assert [m["server"] for m in doc["managers"]] == \
                ["192.0.2.1"], doc
            (m, c, k), = calls_of(doc)
            assert set(c) >= {"id", "state", "calls"}, c
            assert "connections" not in k, k
        else:
            assert "192.0.2.9" not in out and "call 7," not in out, out
    close_fakes(env)
    cli.hangup()
    assert cli.exit_status() == 0


@test
def status_checks_the_run_directory(env):
    """pptp --status checks --rundir as every use of it does: a symbolic
    link, or a directory others may write to, is named and not read."""
    real = env.path("real")
    os.makedirs(real, mode=0o700)
    env.rundir = real
    fake_manager(env, "192.0.2.9-ns1-00000000", [
        line("manager", **MANAGER), line("end")])
    link = env.path("link")
    os.symlink(real, link)
    env.rundir = link
    st, out, err = status(env)
    assert st == 1 and "is a symbolic link: not using it" in err, \
        (st, out, err)
    assert "192.0.2.9" not in out, out
    env.rundir = real
    st, out, err = status(env)
    assert st == 3 and "192.0.2.9: call manager" in out, (st, out, err)
    os.chmod(real, 0o770)
    st, out, err = status(env)
    assert st == 1 and "is writable by group or others" in err, \
        (st, out, err)
    assert "192.0.2.9" not in out, out
    os.chmod(real, 0o700)
    env.rundir = env.path("missing")
    st, out, err = status(env)
    assert st == 3 and "no tunnels" in out and err == "", (st, out, err)
    assert not os.path.exists(env.rundir)
    close_fakes(env)


@test
def status_json_valid_whatever_the_numbers(env):
    """Numbers with leading zeros (no JSON number) are no numbers: that
    answer is named and dropped; a manager line with its version alone,
    and calls with no figures, still make valid JSON."""
    fake_manager(env, "192.0.2.9-ns1-zeros", [
        line("manager", **dict(MANAGER, pid="0012", netns="00")),
        line("conn", id=1, state="up", since=0, ncalls=1),
        line("call", conn=1, state="up", since=0, call_id="007",
             peer_call_id=1),
        line("end")])
    fake_manager(env, "192.0.2.8-ns1-bare", [
        line("manager", version=1), line("conn", id=1),
        line("call", conn=1), line("end")])
    st, out, err = status_limited(env, "--json")
    assert st == 1, (st, out, err)
    assert "192.0.2.9-ns1-zeros sent a wrong answer (pid is not a " \
        "number in a manager line): not shown" in err, err
    doc = json.loads(out)
    assert doc["managers"] == [{"connections": [{"id": 1, "calls": [{}]}]}], \
        doc
    close_fakes(env)


def pages_of(pid):
    """The statistics pages (memfd "pptp-status") mapped in process pid:
    their /proc/PID/map_files names."""
    with open(f"/proc/{pid}/maps") as f:
        return [f"/proc/{pid}/map_files/{l.split()[0]}" for l in f
                if "/memfd:pptp-status" in l]


@test
def status_page_not_writable_by_the_manager(env):
    """A taken-over call manager cannot write into its gateways' pages:
    the page it holds cannot be mapped writable, nor its read-only
    mapping made writable (mprotect), nor written to; the gateway's
    figures still come.  And a page sealed against shrinking alone (a
    client of the manager's uid could keep it writable) is not taken."""
    env.server("--max-channels", "8")
    cli = env.client()
    cli.wait_up()
    passes_data(cli, b"figures")
    mgr = pid_titled("pptp: call manager 192.0.2.1")
    pages = pages_of(mgr)
    assert len(pages) == 1, pages
    fd = os.open(pages[0], os.O_RDWR)
    try:
        size = os.fstat(fd).st_size
        try:
            mmap.mmap(fd, size, mmap.MAP_SHARED,
                      mmap.PROT_READ | mmap.PROT_WRITE)
            assert False, "a writable mapping of the page"
        except PermissionError:
            pass
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                              ctypes.c_int, ctypes.c_int, ctypes.c_int,
                              ctypes.c_long]
        libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                                  ctypes.c_int]
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        assert addr not in (None, ctypes.c_void_p(-1).value)
        r = libc.mprotect(addr, size, mmap.PROT_READ | mmap.PROT_WRITE)
        err = ctypes.get_errno()
        libc.munmap(ctypes.c_void_p(addr), ctypes.c_size_t(size))
        assert r == -1 and err == 13, (r, err)      # EACCES
        try:
            os.pwrite(fd, b"\xff" * 8, 16)
            assert False, "the page written to"
        except PermissionError:
            pass
    finally:
        os.close(fd)
    doc = status_json(env)
    (_, _, k), = calls_of(doc)
    assert k["rx_packets"] >= 1 and k["tx_packets"] >= 1, k
    # a client of the manager's uid, with a page sealed the old way
    sock = [f for f in os.listdir(env.rundir) if f.startswith("192.0.2.1")]
    s_ = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s_.connect(os.path.join(env.rundir, sock[0]))
    req = struct.pack("!HHHH", 64, 0, 0, 0) + bytes(64)    # CM_CALL_REQ
    s_.send(struct.pack("!HH", 1, 4 + len(req)) + req)
    s_.settimeout(5)
    assert s_.recv(100)[:2] == b"\x00\x02"                # CM_CALL_UP
    page = os.memfd_create("pptp-status", os.MFD_ALLOW_SEALING)
    os.ftruncate(page, 65536)
    fcntl.fcntl(page, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK |
                fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    s_.sendmsg([b"\x00\x05\x00\x04"],                     # CM_STATS_FD
               [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                 struct.pack("i", page))])
    time.sleep(0.3)
    os.close(page)
    assert len(pages_of(mgr)) == 1, pages_of(mgr)
    s_.close()
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)

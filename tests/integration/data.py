# SPDX-License-Identifier: GPL-2.0-or-later
"""Integration tests of the data path: GRE to and from pppd's HDLC frames,
reordering, loss, acknowledgements, statistics, filters and the warnings
about them.

Their harness is tests/harness.py; tests/integration/run.py runs them,
in the order written."""

import os
import random
import re
import signal
import subprocess
import sys
import time

import procinfo
from harness import (calls_of, CFG, hdlc_encode, nasty, no_leftovers,
                     pid_titled, scripted, sh, status_json, test, wait_until)


@test
def data_both_ways_byte_exact(env):
    env.server()
    cli = env.client()
    cli.wait_up()
    random.seed(7)
    frames = [b"\xff\x03" + nasty(random.randrange(0, 1500))
              for _ in range(3000)]
    got = []
    for i in range(0, len(frames), 100):
        for f in frames[i:i + 100]:
            cli.send(f)
        got += cli.recv_frames(100 - (len(got) - i), 10)
    got += cli.recv_frames(len(frames) - len(got), 10)
    assert len(got) == len(frames), f"{len(got)} of {len(frames)} back"
    assert got == frames, "frames differ"
    st = cli.stats()
    assert st["tx sent"] == 3000 and st["rx accepted"] == 3000, st
    assert st["rx lost"] == 0 and st["rx under win"] == 0, st
    cli.hangup()
    assert cli.exit_status() == 0


@test
def sync_mode_data(env):
    env.server()
    cli = env.client("--sync", sync=True)
    cli.wait_up()
    frames = [b"\xff\x03\x00\x21" + nasty(n) for n in (0, 1, 100, 1400)]
    for f in frames:
        cli.send(f)
    assert cli.recv_frames(4) == frames
    cli.hangup()
    assert cli.exit_status() == 0


@test
def sync_mode_oversized_frame_dropped(env):
    """With --sync each read is one frame: one larger than pptp carries
    (8192 bytes) is dropped, counted and said, not cut and sent."""
    srv = env.server()
    cli = env.client("--sync", sync=True)
    cli.wait_up()
    cli.send(b"\xff\x03\x00\x21" + b"x" * 9000)
    cli.send(b"\xff\x03\x00\x21after")
    assert cli.recv_frames(1) == [b"\xff\x03\x00\x21after"]
    cli.wait_log("pppd wrote a frame of more than 8192 bytes: dropped")
    assert cli.stats()["tx oversize"] == 1, cli.stats()
    cli.hangup()
    assert cli.exit_status() == 0


@test
def reorder_waits_for_gap(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 3", "gre 4", "gre 2",
                                  "gre 5"], n=5)
    assert seqs == [1, 2, 3, 4, 5], seqs
    st = cli.stats()
    assert st["rx buffered"] == 2 and st["rx lost"] == 0, st
    assert st["rx accepted"] == 5, st


@test
def loss_times_out(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 3", "gre 4"],
                            "--timeout", "0.2", n=3)
    assert seqs == [1, 3, 4], seqs
    st = cli.stats()
    assert st["rx lost"] == 1 and st["rx buffered"] == 2, st


@test
def duplicates_and_late_dropped(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 2", "gre 2", "gre 3",
                                  "gre 1", "gre 4"], n=4)
    assert seqs == [1, 2, 3, 4], seqs
    assert cli.stats()["rx under win"] == 2


@test
def far_ahead_dropped_then_resync(env):
    # an outage: the server's numbers go on, ours wait in silence
    _, cli, seqs = scripted(env, ["gre 1", "gre 2", "gre 1000", "gre 3",
                                  "sleep 1300", "gre 5000", "gre 5001",
                                  "gre 5002", "gre 5003"], n=5)
    assert seqs == [1, 2, 3, 5002, 5003], seqs
    st = cli.stats()
    assert st["rx over win"] == 3, st
    assert st["rx resyncs"] == 1, st


@test
def spoofed_far_burst_changes_nothing(env):
    """A blind spoofer's best case (the server's address and our call ID):
    far-off runs of consecutive numbers between real packets, at once or
    three at a time for longer than a resync's silence, pass nothing to
    pppd and count as dropped; the real stream goes on whole."""
    gre = []
    for s in range(1, 81):
        gre += [f"gre {s}", "sleep 20"]
        if s == 10:
            gre.append("greburst 70000 1000 0")         # far ahead
        elif s == 20:
            gre.append("greburst 4294000000 300 0")     # far behind
        elif s > 20:
            gre.append(f"greburst {90000 + 3 * s} 3 0")  # 60 x 3, 1.2 s
    _, cli, seqs = scripted(env, gre, n=80)
    assert seqs == list(range(1, 81)), seqs
    st = cli.stats()
    assert st["rx accepted"] == 80 and st["rx lost"] == 0, st
    assert st["rx over win"] == 1000 + 60 * 3, st
    assert st["rx under win"] == 300, st
    assert st["rx resyncs"] == 0 and st["rx socket overflow"] == 0, st
    (_, _, k), = calls_of(status_json(env))
    assert k["rx_over_window"] == 1180 and k["rx_late"] == 300, k
    assert k["rx_resyncs"] == 0, k


@test
def server_restart_followed_within_a_second(env):
    """The server's numbering restarts (far behind) while packets flow
    every 20 ms: followed after a second without the old numbers."""
    new = 4000000000
    gre = []
    for s in list(range(1, 21)) + [new + i for i in range(80)]:
        gre += [f"gre {s}", "sleep 20"]
    _, cli, seqs = scripted(env, gre)
    assert seqs[:20] == list(range(1, 21)), seqs
    tail = seqs[20:]
    assert tail and tail == list(range(tail[0], new + 80)), seqs
    skipped = tail[0] - new
    assert 2 <= skipped <= 75, seqs     # 1 s at 20 ms (and slack)
    st = cli.stats()
    assert st["rx resyncs"] == 1 and st["rx under win"] == skipped, st


@test
def missing_window_option(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 13", "gre 2"],
                            "--missing-window", "10", n=2)
    assert seqs == [1, 2], seqs
    assert cli.stats()["rx over win"] == 1


@test
def sequence_wrap(env):
    _, cli, seqs = scripted(env, ["gre 4294967294", "gre 0",
                                  "gre 4294967295", "gre 1"], n=4)
    assert seqs == [4294967294, 4294967295, 0, 1], seqs
    assert cli.stats()["rx lost"] == 0


@test
def nobuffer_passes_at_once(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 3", "gre 2"],
                            "--nobuffer", n=2)
    assert seqs == [1, 3], seqs
    st = cli.stats()
    assert st["rx lost"] == 1 and st["rx under win"] == 1, st


@test
def spoofed_and_foreign_never_delivered(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 2 spoof", "gre 3 callid=1",
                                  "gre 2"], n=3, wait=1.0)
    assert seqs == [1, 2], seqs
    st = cli.stats()
    # neither the spoofed packet nor another call's reaches the gateway:
    # its socket filter drops both in the kernel (tunnels.py,
    # junk_gre_flood_wakes_no_gateway)
    assert st["rx foreign source"] == 0 and st["rx wrong call ID"] == 0, st


@test
def malformed_gre_counted(env):
    _, cli, seqs = scripted(env, ["gre 1", "gre 2 trunc", "gre 3 badver",
                                  "gre 4 noseq", "greack 0", "gre 2"], n=2)
    assert seqs == [1, 2], seqs
    st = cli.stats()
    assert st["rx truncated"] == 1, st
    assert st["rx invalid"] == 1, st    # noseq; badver is dropped in the kernel
    assert st["rx acks"] == 1, st


@test
def empty_gre_payload_not_passed_to_pppd(env):
    """A data packet (S bit) with no payload is no PPP frame: counted as
    invalid, and pppd gets no runt frame for it."""
    _, cli, seqs = scripted(env, ["gre 1", "gre 2 hex=", "gre 3"], n=3)
    assert seqs == [1, 3], seqs
    assert cli.stats()["rx invalid"] == 1, cli.stats()


@test
def ack_only_after_delay(env):
    srv, cli, seqs = scripted(env, ["gre 1", "gre 2", "gre 3"], n=3)
    assert seqs == [1, 2, 3]
    srv.wait("ack-only ack=3", 1)
    # never one ack per packet: far fewer acks than packets
    assert len(srv.lines("gre rx")) <= 2, srv.lines("gre rx")
    assert cli.stats()["tx acks"] >= 1


@test
def acks_piggybacked_both_ways(env):
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    for i in range(50):
        cli.send(b"\xff\x03\x00\x21" + bytes([i]) * 50)
        cli.recv_frames(1)
    acked = [l for l in srv.lines("gre rx") if "ack=none" not in l]
    assert len(acked) >= 45, srv.lines("gre rx")[:5]
    assert not [l for l in srv.lines("gre rx") if "ack-only" in l][5:]
    st = cli.stats()
    assert st["tx sent"] == 50 and st["rx acks"] == 0, st
    cli.hangup()


@test
def stats_hold_every_counter(env):
    env.server()
    cli = env.client()
    cli.wait_up()
    st = cli.stats()
    for name in ("rx accepted", "rx lost", "rx under win", "rx over win",
                 "rx buffered", "rx OS errors", "rx truncated",
                 "rx invalid", "rx acks", "tx sent", "tx failed",
                 "tx short", "tx acks", "tx oversize",
                 "rx foreign source", "rx wrong call ID", "tx bad FCS",
                 "rx pppd slow", "rx resyncs", "rx socket overflow"):
        assert name in st, (name, st)
    assert "round trip" in cli.stderr()
    cli.hangup()


@test
def bad_fcs_and_oversize_from_pppd(env):
    env.server()
    cli = env.client()
    cli.wait_up()
    bad = bytearray(hdlc_encode(b"\xff\x03\x00\x21broken"))
    bad[5] ^= 1
    cli.ours.sendall(bytes(bad))
    cli.send(b"\xff\x03" + b"x" * 9000)
    cli.send(b"\xff\x03\x00\x21ok")
    assert cli.recv_frames(1) == [b"\xff\x03\x00\x21ok"]
    st = cli.stats()
    assert st["tx bad FCS"] == 1 and st["tx oversize"] == 1, st
    assert st["tx sent"] == 1, st
    cli.hangup()


@test
def local_filter_drops_gre(env):
    env.server()
    sh(f"ip netns exec {env.cns} nft add table inet t")
    sh(f"ip netns exec {env.cns} nft add chain inet t out "
       "{ type filter hook output priority 0 ; }")
    sh(f"ip netns exec {env.cns} nft add rule inet t out "
       "meta l4proto 47 drop")
    cli = env.client()
    cli.wait_up()
    for _ in range(5):
        cli.send(b"\xff\x03\xc0\x21\x01\x01\x00\x04")
    cli.wait_log("sending GRE: operation not permitted: a local packet "
                 "filter (iptables/nftables) drops IP protocol 47")
    st = cli.stats()
    assert st["tx failed"] == 5 and st["tx sent"] == 0, st
    assert cli.stderr().count("operation not permitted") == 1
    cli.hangup()
    assert cli.exit_status() == 0


@test
def icmp_protocol_unreachable(env):
    env.server("--gre", "none")
    cli = env.client()
    cli.wait_up()
    for _ in range(3):
        cli.send(b"\xff\x03\xc0\x21\x01\x01\x00\x04")
        time.sleep(0.1)
    cli.wait_log("GRE to the server bounced: protocol unreachable: the "
                 "server does not take GRE (ICMP type 3 code 2)")
    st = cli.stats()
    assert st["rx OS errors"] >= 1, st
    assert cli.stderr().count("bounced") == 1
    cli.hangup()


FRAG_NEEDED = r"""
import socket, struct, sys
# ICMP "fragmentation needed" (3/4, next-hop MTU 1400) for a GRE packet
# from the client to the server, as a router on the way would send it
src, dst = sys.argv[1], sys.argv[2]
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 1, 0x4000, 64, 47, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
inner += struct.pack("!HHHH", 0x3001, 0x880b, 1460, 1)
icmp = struct.pack("!BBHHH", 3, 4, 0, 0, 1400) + inner
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for _ in range(3):
    s.sendto(icmp, (src, 0))
"""


@test
def fragmentation_needed_names_the_mtu(env):
    """A router says GRE is too large (ICMP fragmentation needed with
    the path's MTU): the gateway says which mtu and mru to give pppd."""
    env.server()
    cli = env.client()
    cli.wait_up()
    subprocess.run(["ip", "netns", "exec", env.sns, sys.executable, "-c",
                    FRAG_NEEDED, "192.0.2.2", "192.0.2.1"], check=True,
                   timeout=10)
    cli.wait_log("GRE to the server bounced: fragmentation needed (ICMP "
                 "type 3 code 4): the path takes 1400 bytes: give pppd "
                 "mtu 1356 and mru 1356")
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def icmp_error_while_lingering_is_no_spin(env):
    """An ICMP error that comes while the gateway waits for its call to
    be cleared (its manager stopped) is read, not left to wake it up
    again and again: the gateway idles, and ends once the call is."""
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    mgr = pid_titled("pptp: call manager")
    os.kill(mgr, signal.SIGSTOP)
    try:
        cli.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        subprocess.run(["ip", "netns", "exec", env.sns, sys.executable,
                        "-c", FRAG_NEEDED, "192.0.2.2", "192.0.2.1"],
                       check=True, timeout=10)
        cpu = procinfo.cpu_seconds(cli.proc.pid)
        time.sleep(1.5)
        used = procinfo.cpu_seconds(cli.proc.pid) - cpu
    finally:
        os.kill(mgr, signal.SIGCONT)
    assert used < 0.5, f"{used:.2f} s of CPU in 1.5 s of lingering"
    assert cli.exit_status() == 0
    srv.wait("recv CCRQ")
    no_leftovers(env)


STATEFUL_INPUT = ("table inet fw {\n chain in {\n  type filter hook input "
                  "priority 0; policy drop;\n  ct state established,"
                  "related accept\n  iif lo accept\n }\n}\n")


@test
def own_stateful_firewall_named_when_no_gre(env):
    """This machine accepts only established input and no PPTP helper
    follows the control connection: the tunnel's no-GRE warning names
    that cause and its fix, not "a firewall or NAT on the path", within
    15 s."""
    subprocess.run(["ip", "netns", "exec", env.cns, "nft", "-f", "-"],
                   input=STATEFUL_INPUT, text=True, check=True)
    env.server()
    cli = env.client()
    cli.wait_up()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 12 and \
            "no GRE (IP protocol 47)" not in cli.stderr():
        cli.send(b"\xff\x03\xc0\x21\x01\x01\x00\x04")
        time.sleep(0.5)
    cli.wait_log("this machine tracks connections (netfilter conntrack) "
                 "and the control connection has no PPTP helper, so a "
                 "stateful firewall here drops the server's GRE", 3)
    assert time.monotonic() - t0 < 15
    assert "on the path likely blocks GRE" not in cli.stderr()
    cli.hangup()
    assert cli.exit_status() == 0
    no_leftovers(env)


@test
def round_trip_measured(env):
    env.server("--gre", "script",
               script=["waitgre", "sleep 150", "greack 1"])
    cli = env.client()
    cli.wait_up()
    cli.send(b"\xff\x03\x00\x21one")
    time.sleep(0.5)
    text = cli.stats() and cli.stderr()
    rtt = int(re.findall(r"round trip (\d+) ms", text)[-1])
    assert 140 <= rtt < 1000, rtt
    cli.hangup()


@test
def second_address_tried(env):
    hosts = env.path("hosts")
    # the resolver may sort addresses (RFC 6724 rule 9, longest prefix
    # in common with ours, 192.0.2.2): 192.0.2.3 comes first either way,
    # and refuses, for nothing listens there
    with open(hosts, "w") as f:
        f.write("192.0.2.3 multi.test\n192.0.2.1 multi.test\n")
    env.server()
    err = env.path("multi.err")
    cmd = (f"mount --bind {hosts} /etc/hosts && exec {CFG.pptp} multi.test "
           f"--nolaunchpppd --rundir {env.rundir} --connect-timeout 1")
    with open(err, "w") as ef:
        p = subprocess.Popen(["ip", "netns", "exec", env.cns, "unshare",
                              "--mount", "sh", "-c", cmd],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=ef)
    env.procs.append(p)
    assert wait_until(lambda: "call up" in open(err).read(), 6), \
        open(err).read()
    text = open(err).read()
    assert "cannot connect to multi.test (192.0.2.3)" in text, text
    p.stdin.close()
    assert p.wait(5) == 0
    no_leftovers(env)


@test
def gre_blocked_warning(env):
    env.server("--gre", "drop")
    cli = env.client()
    cli.wait_up()
    cli.send(b"\xff\x03\xc0\x21\x01\x01\x00\x04")
    cli.wait_log("no GRE (IP protocol 47) has arrived from the server in "
                 "10 s while pppd is sending: a firewall or NAT on the "
                 "path likely blocks GRE", 13)
    cli.hangup()


@test
def no_gre_warning_when_gre_flows(env):
    env.server()
    cli = env.client()
    cli.wait_up()
    cli.send(b"\xff\x03\xc0\x21\x01\x01\x00\x04")
    assert len(cli.recv_frames(1)) == 1
    time.sleep(11)
    assert "no GRE" not in cli.stderr()
    cli.hangup()


@test
def pppd_debug_on_pty_warning(env):
    env.server()
    cli = env.client()
    cli.wait_up()
    cli.ours.sendall(b"rcvd [LCP ConfReq id=0x1 <asyncmap 0x0> "
                     b"<magic 0x1234>]\nsent [LCP ConfAck id=0x1]\n")
    cli.wait_log("pppd writes bytes that are not async HDLC frames")
    assert cli.stderr().count("not async HDLC") == 1
    cli.hangup()


@test
def accm_follows_lcp(env):
    # pppd asks for ACCM 0; once the server acked it and pppd speaks
    # beyond LCP, control characters go to it unescaped; LCP itself, and
    # everything after a new negotiation, goes escaped
    opts = bytes.fromhex("020600000000" "050612345678")
    confreq = b"\xff\x03\xc0\x21\x01\x01\x00\x10" + opts
    confack = b"\xff\x03\xc0\x21\x02\x01\x00\x10" + opts
    echo = bytes.fromhex("ff03c02109020008" "00000001")
    data = bytes.fromhex("ff030021" "0102111f" "7e7d41")
    ipcp = bytes.fromhex("80210101" "0004")
    srv = env.server("--gre", "script", script=[
        "waitgre", f"gre 1 hex={confack.hex()}", f"gre 2 hex={data.hex()}",
        "waitgre", f"gre 3 hex={data.hex()}", f"gre 4 hex={echo.hex()}",
        "waitgre", f"gre 5 hex={data.hex()}"])
    cli = env.client()
    cli.wait_up()

    def plain(raw):
        return not any(c < 0x20 for c in raw)

    cli.send(confreq)
    assert cli.recv_frames(2) == [confack, data]
    assert all(map(plain, cli.reader.raw)), cli.reader.raw
    cli.send(ipcp)
    assert cli.recv_frames(2) == [data, echo]
    raw = cli.reader.raw
    assert b"\x00\x21\x01\x02\x11\x1f\x7d\x5e\x7d\x5d" in raw[2], raw[2]
    assert plain(raw[3]), raw[3]
    cli.wait_log("LCP is open and pppd receives with ACCM 0x00000000")
    cli.send(confreq)
    assert cli.recv_frames(1) == [data]
    assert plain(cli.reader.raw[4]), cli.reader.raw[4]
    cli.wait_log("LCP negotiates again")
    cli.hangup()
    assert cli.exit_status() == 0
    del srv


@test
def pppd_slow_reader_bounded(env):
    srv = env.server()
    cli = env.client()
    cli.wait_up()
    # send a lot and do not read: pptp must drop, not stall or grow
    for i in range(3000):
        cli.send(b"\xff\x03\x00\x21" + b"z" * 1400)
    time.sleep(1)
    st = cli.stats()
    assert st["rx pppd slow"] > 0, st
    assert st["tx sent"] == 3000, st
    assert cli.proc.poll() is None
    cli.hangup()
    assert cli.exit_status() == 0
    del srv


@test
def kernel_drops_are_counted_and_explained(env):
    # a burst while the gateway is stopped: the kernel drops what its
    # socket cannot hold; packets after the burst carry the count
    srv = env.server("--gre", "script", script=[
        "sleep 1000", "greburst 1 25000 1400", "sleep 1000",
        "greburst 25001 3 1400"])
    cli = env.client()
    cli.wait_up()
    gw = cli.proc.pid
    os.kill(gw, signal.SIGSTOP)
    try:
        srv.wait("greburst sent", 10)
    finally:
        os.kill(gw, signal.SIGCONT)
    srv.wait("script done", 5)
    cli.wait_log("the kernel dropped")
    st = cli.stats()
    assert st["rx socket overflow"] > 1000, st
    assert (st["rx accepted"] + st["rx socket overflow"] +
            st["rx over win"] == 25003), st
    # the jump past what the kernel dropped is that loss, not a far run
    assert st["rx over win"] == 0 and st["rx resyncs"] == 0, st
    assert st["rx lost"] == st["rx socket overflow"], st
    assert cli.stderr().count("the kernel dropped") == 1
    cli.hangup()
    assert cli.exit_status() == 0

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make bench: a PPTP client's data path measured against a minimal server
(pptpbench serve) in two network namespaces of its own, with pppd played
by pptpbench feed on a socketpair or a raw pty.

    bench.py --bench PPTPBENCH --client A [--compare "B [C]"] [--rounds N]

For each case (upstream pppd->GRE and downstream GRE->pppd, 64- and
1400-byte frames, socketpair and pty; downstream also paced, at rates the
pppd side can take, next to the unpaced bursts; and a lossy downstream
case) it reports frames/s, MB/s, frames lost or corrupted (every frame's
content and order is checked), the client's CPU seconds per million
frames (all its processes) and their peak memory, and the pppd side's own
CPU per frame (writing up, reading down) with the frames per read.  With
--compare the clients alternate A B A B ... (A B C ... with two) and the
table shows per-round ratios of A to each, since a shared machine is
noisy: the ratios are the figures that count.  "null" as a client is the
benchmark's null client (pptpbench null, the floor of the scale runs).

Then (tests/bench/growth.py) the scale and latency runs, the client
beside Debian's pptp-linux (--classic) and the benchmark's null client:
--parts chooses among "cases" (the above), "scale" and "latency".

It also measures its own ceilings: how fast the pppd stand-in writes and
reads frames, how fast the server sends, and the floor, the CPU per frame
of a sender that does nothing but hand pre-built GRE packets to a raw
socket: on veth the kernel charges the sender with the receiving
namespace's work too, so no client that sends through the kernel's IP
stack can go below it.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import procinfo  # noqa: E402  (tests/procinfo.py: the /proc reader)
import growth  # noqa: E402  (tests/bench/growth.py: scale and latency)

CASES = [  # (direction, frame size, stdin, frames[, frames/s if paced])
    ("up", 64, "pair", 300000), ("up", 1400, "pair", 100000),
    ("down", 64, "pair", 300000), ("down", 1400, "pair", 100000),
    ("up", 64, "pty", 300000), ("up", 1400, "pty", 100000),
    ("down", 64, "pty", 300000), ("down", 1400, "pty", 100000),
    ("paced", 64, "pair", 100000, 50000),
    ("paced", 1400, "pair", 100000, 50000),
    ("paced", 1400, "pty", 60000, 30000),
    ("lossy", 1400, "pair", 100000),
]
NS_S, NS_C = f"pbs{os.getpid()}", f"pbc{os.getpid()}"


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def net_up():
    for ns in (NS_S, NS_C):
        sh(f"ip netns add {ns}; ip -n {ns} link set lo up")
    sh(f"ip link add pbv0 netns {NS_S} type veth peer name pbv1 "
       f"netns {NS_C}")
    sh(f"ip -n {NS_S} addr add 192.0.2.1/24 dev pbv0; "
       f"ip -n {NS_S} link set pbv0 up")
    sh(f"ip -n {NS_C} addr add 192.0.2.2/24 dev pbv1; "
       f"ip -n {NS_C} link set pbv1 up")


def net_down():
    for ns in (NS_S, NS_C):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def reset(client):
    """No process of the client left, nor its call manager's socket."""
    for _ in range(50):
        pids = procinfo.pids_of(client)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    try:
        os.unlink("/var/run/pptp/192.0.2.1")
    except FileNotFoundError:
        pass


def kv(line):
    return {k: float(v) if v.replace(".", "").isdigit() else v
            for k, v in (w.split("=", 1) for w in line.split())}


def serve(bench, d, mode, size, count, fps=None):
    return subprocess.Popen(["ip", "netns", "exec", NS_S, bench, "serve", d,
                             mode, str(size), str(count)] +
                            ([str(fps)] if fps else []),
                            stdout=subprocess.PIPE, text=True)


NULL = "pptpnull"               # COMPARE=null: the benchmark's null client


def client_argv(client, extra=()):
    """How a client is started on the call to the benchmark's server."""
    if os.path.basename(client) == NULL:
        return [client, "null", "192.0.2.1"]
    # only options that both clients know
    return [client, "192.0.2.1", "--nolaunchpppd", "--nohostroute", *extra]


READER = "?status-reader"
UNBOXED = "?nosandbox"          # B is A with --nosandbox


def status_reader(client, stop):
    """pptp --status 10 times a second, and a reader that asks and never
    reads, for as long as the case runs (make bench STATUS_READER=1)."""
    stuck = []
    while not stop.is_set():
        subprocess.run(["ip", "netns", "exec", NS_C, client, "--status"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for f in os.listdir("/var/run/pptp"):
            if f.startswith("192.0.2.1-") and len(stuck) < 8:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                try:
                    s.connect(os.path.join("/var/run/pptp", f))
                    s.send(b"\x00\x06\x00\x04")  # status, never read
                    stuck.append(s)
                except OSError:
                    s.close()
        stop.wait(0.1)
    for s in stuck:
        s.close()


def run_case(bench, client, case):
    mode, size, stdin, count = case[:4]
    if client.endswith(UNBOXED):
        return run_case_once(bench, client.removesuffix(UNBOXED), case,
                             ["--nosandbox"])
    reader = client.endswith(READER)
    client = client[:-len(READER)] if reader else client
    stop = threading.Event()
    if reader:
        threading.Thread(target=status_reader, args=(client, stop),
                         daemon=True).start()
    try:
        return run_case_once(bench, client, case)
    finally:
        stop.set()


def run_case_once(bench, client, case, extra=()):
    mode, size, stdin, count = case[:4]
    d = tempfile.mkdtemp(prefix="pptpbench-")
    srv = serve(bench, d, mode, size, count, *case[4:])
    while not os.path.exists(os.path.join(d, "listening")):
        time.sleep(0.01)
    try:
        f = subprocess.run(["ip", "netns", "exec", NS_C, bench, "feed", d,
                            mode, str(size), str(count), stdin, client,
                            *client_argv(client, extra)],
                           capture_output=True, text=True, timeout=180)
        s_out, _ = srv.communicate(timeout=60)
        if os.environ.get("PPTPBENCH_CLIENT_LOG"):
            sys.stderr.write(f.stderr)
    finally:
        if srv.poll() is None:
            srv.kill()
        shutil.rmtree(d, ignore_errors=True)
        reset(client)
    fr, sr = kv(f.stdout.strip() or "error=feed"), kv(s_out.strip()
                                                        or "error=serve")
    if "error" in fr or "error" in sr:
        return {"error": fr.get("error") or sr.get("error")}
    got = sr if mode == "up" else fr
    secs = max(got["seconds"], 1e-6)
    received = got["received"]
    if mode == "up":
        lost = count - received
    else:
        lost = sr["sent"] - received
    return {
        "fps": received / secs, "mbs": received * size / secs / 1e6,
        "lost": int(lost), "corrupt": int(got["corrupt"] +
                                          got["out_of_order"]),
        "cpu_per_m": fr["cpu"] / max(received, 1) * 1e6,
        "rss_mb": fr["rss_kb"] / 1024, "count": count,
        # the pppd side's own work: writing (up) or reading (down)
        "feed_cpu_per_m": fr["feed_cpu"] / max(received, 1) * 1e6,
        "frames_per_read": (received / max(fr["feed_reads"], 1)
                            if mode != "up" else None),
        "drive_fps": (sr["sent"] / max(sr["seconds"], 1e-6)
                      if mode != "up" else None),
    }


def feed_ceiling(bench, size, count, stdin="pair"):
    """How fast the pppd stand-in itself writes frames, drained by cat;
    and cat's CPU per million frames: what reading them costs, at least."""
    d = tempfile.mkdtemp(prefix="pptpbench-")
    for f in ("ready", "sunk"):
        open(os.path.join(d, f), "w").close()
    f = subprocess.run([bench, "feed", d, "up", str(size), str(count),
                        stdin, "/bin/cat", "sh", "-c",
                        "exec cat >/dev/null"],
                       capture_output=True, text=True, timeout=120)
    shutil.rmtree(d, ignore_errors=True)
    r = kv(f.stdout.strip() or "error=feed")
    if "error" in r:
        return float("nan"), float("nan")
    return count / max(r["seconds"], 1e-6), r["cpu"] / count * 1e6


def read_ceiling(bench, size, count, stdin):
    """How fast the pppd stand-in reads and checks frames from a writer
    that never drops (pptpbench write) on a socketpair or a pty."""
    d = tempfile.mkdtemp(prefix="pptpbench-")
    open(os.path.join(d, "ready"), "w").close()
    f = subprocess.run([bench, "feed", d, "down", str(size), str(count),
                        stdin, bench, bench, "write", d, "down", str(size),
                        str(count)], capture_output=True, text=True,
                       timeout=120)
    shutil.rmtree(d, ignore_errors=True)
    r = kv(f.stdout.strip() or "error=feed")
    ok = "error" not in r and r.get("received") == count
    return r["received"] / max(r["seconds"], 1e-6) if ok else float("nan")


def floor_cpu(bench, size, count):
    """CPU per million frames of pptpbench floor: pre-built GRE packets,
    32 a sendmmsg() on a raw socket, and nothing else."""
    d = tempfile.mkdtemp(prefix="pptpbench-")
    srv = serve(bench, d, "up", size, count)
    while not os.path.exists(os.path.join(d, "listening")):
        time.sleep(0.01)
    try:
        f = subprocess.run(["ip", "netns", "exec", NS_C, bench, "floor",
                            "192.0.2.1", "up", str(size), str(count)],
                           capture_output=True, text=True, timeout=120)
        open(os.path.join(d, "done"), "w").close()
        s_out, _ = srv.communicate(timeout=60)
    finally:
        if srv.poll() is None:
            srv.kill()
        shutil.rmtree(d, ignore_errors=True)
    fr, sr = kv(f.stdout.strip() or "error=floor"), kv(s_out.strip()
                                                        or "error=serve")
    if "error" in fr or "error" in sr or sr["received"] != count:
        return float("nan")
    return fr["cpu"] / count * 1e6


def idle_cpu(bench, client):
    """CPU the client uses over 5 s with the call up and no traffic."""
    d = tempfile.mkdtemp(prefix="pptpbench-")
    srv = subprocess.Popen(["ip", "netns", "exec", NS_S, bench, "serve", d,
                            "down", "64", "0"], stdout=subprocess.DEVNULL)
    while not os.path.exists(os.path.join(d, "listening")):
        time.sleep(0.01)
    p = subprocess.Popen(["ip", "netns", "exec", NS_C,
                          *client_argv(client)],
                         stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    while not os.path.exists(os.path.join(d, "ready")):
        time.sleep(0.01)
    time.sleep(1)

    def cpu():
        total = 0
        for pid in procinfo.pids_of(client):
            try:
                total += procinfo.cpu_seconds(pid)
            except (OSError, IndexError, ValueError):
                pass
        return total
    c0 = cpu()
    time.sleep(5)
    used = cpu() - c0
    p.kill()
    p.wait()
    open(os.path.join(d, "done"), "w").close()
    srv.kill()
    srv.wait()
    shutil.rmtree(d, ignore_errors=True)
    reset(client)
    return used


def growth_run(a, parts, rounds):
    """The scale and latency runs: A, the classic client if installed,
    and the null client (a copy of pptpbench, so that its processes are
    told from the benchmark's own)."""
    tmp = tempfile.mkdtemp(prefix="pptpnull-")
    null = os.path.join(tmp, "pptpnull")
    shutil.copy(a.bench, null)
    args = ["192.0.2.1", "--nolaunchpppd", "--nohostroute"]
    cls = [{"name": "pptp", "exe": a.client, "argv": [a.client] + args}]
    if os.path.exists(a.classic):
        cls.append({"name": "pptp-linux", "exe": a.classic,
                    "argv": [a.classic] + args})
    else:
        print(f"no {a.classic}: scale and latency without the classic "
              "client (apt-get install pptp-linux)")
    cls.append({"name": "floor", "exe": null,
                "argv": [null, "null", "192.0.2.1"]})
    g = {"bench": a.bench, "ns_s": NS_S, "ns_c": NS_C, "reset": reset}
    try:
        growth.run(g, cls, rounds, [int(n) for n in a.scale_n.split()],
                   a.scale_rate, a.scale_seconds, a.lat_seconds,
                   a.lat_rate, a.late, parts, a.outdir, a.pictures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def name(case):
    mode, size, stdin = case[:3]
    return f"{mode:5} {size:4} B {stdin:4}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--compare", help="one or more clients (space "
                    "separated) to alternate with A; null is the "
                    "benchmark's null client (pptpbench null)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", help="cases whose name has this, as 'up'")
    ap.add_argument("--status-reader", action="store_true",
                    help="B is A with pptp --status polling 10 times a "
                    "second and readers that never read")
    ap.add_argument("--nosandbox", action="store_true",
                    help="B is A with --nosandbox: what the sandbox costs")
    ap.add_argument("--parts", default="cases scale latency",
                    help="of: cases scale latency")
    ap.add_argument("--classic", default="/usr/sbin/pptp",
                    help="the classic client beside A in scale and latency")
    ap.add_argument("--scale-n", default="1 4 16 64")
    ap.add_argument("--scale-rate", type=float, default=20000,
                    help="frames/s in all in (i); (ii) has this / 64 each")
    ap.add_argument("--scale-seconds", type=float, default=2)
    ap.add_argument("--lat-seconds", type=float, default=2)
    ap.add_argument("--lat-rate", type=float, default=20000)
    ap.add_argument("--late", type=int, default=50,
                    help="one frame in this many sent late")
    ap.add_argument("--outdir", default="build/bench")
    ap.add_argument("--pictures", default="build/bench",
                    help="where the SVGs go (doc for the committed ones)")
    ap.add_argument("--redraw", action="store_true",
                    help="only draw the pictures again from --outdir's "
                    "data")
    a = ap.parse_args()
    parts = a.parts.split()
    if a.redraw:
        growth.redraw(a.outdir, a.pictures, parts)
        return 0
    if a.status_reader:
        a.compare = a.client + READER
    if a.nosandbox:
        a.compare = a.client + UNBOXED
    others = a.compare.split() if a.compare and not (
        a.status_reader or a.nosandbox) else [a.compare] if a.compare \
        else []
    nulldir = None
    if "null" in others:
        # a copy of pptpbench, so that its processes are told apart
        nulldir = tempfile.mkdtemp(prefix="pptpnull-")
        others[others.index("null")] = os.path.join(nulldir, NULL)
        shutil.copy(a.bench, os.path.join(nulldir, NULL))
    cases = [c for c in CASES if "cases" in parts and
             (not a.only or a.only in name(c))]
    if os.geteuid() != 0:
        sys.exit("make bench needs root (namespaces, raw sockets)")
    clients = [a.client] + others
    rounds = a.rounds if others else 1
    g_rounds = a.rounds
    results = {c: {n: [] for n in map(name, cases)} for c in clients}
    net_down()
    net_up()
    try:
        print(f"pptp benchmark, {time.strftime('%Y-%m-%d')}, "
              f"{os.cpu_count()} cores, kernel {os.uname().release}")
        for c in clients:
            print(f"  client {chr(65 + clients.index(c))}: {c}")
        for r in range(rounds):
            for case in cases:
                for c in clients:
                    x = run_case(a.bench, c, case)
                    results[c][name(case)].append(x)
                    print(f"    round {r + 1} {name(case)} "
                          f"{chr(65 + clients.index(c))}: " +
                          (f"{x['fps']:.0f} frames/s, lost {x['lost']}, "
                           f"CPU {x['cpu_per_m']:.2f} s/M, pppd side "
                           f"{x['feed_cpu_per_m']:.2f} s/M"
                           if "error" not in x else x["error"]),
                          flush=True)
        if set(parts) & {"scale", "latency"}:
            growth_run(a, parts, g_rounds)
        if not cases:
            return 0
        idle = {c: idle_cpu(a.bench, c.removesuffix(READER).removesuffix(
            UNBOXED))
                for c in clients}
        ceil = {(size, stdin): feed_ceiling(a.bench, size, n, stdin)
                for stdin in ("pair", "pty")
                for size, n in ((64, 300000), (1400, 100000))}
        rceil = {(size, stdin): read_ceiling(a.bench, size, n, stdin)
                 for stdin in ("pair", "pty")
                 for size, n in ((64, 300000), (1400, 100000))}
        floor = {size: statistics.median(floor_cpu(a.bench, size, n)
                                         for _ in range(3))
                 for size, n in ((64, 300000), (1400, 100000))}
    finally:
        net_down()
        if nulldir:
            shutil.rmtree(nulldir, ignore_errors=True)

    def med(rs, key):
        vals = [x[key] for x in rs if "error" not in x and
                x.get(key) is not None]
        return statistics.median(vals) if vals else float("nan")

    print()
    hdr = f"{'case':18} {'frames/s':>9} {'MB/s':>7} {'lost':>6} " \
          f"{'bad':>4} {'CPU s/M':>8} {'RSS MB':>7} {'pppd s/M':>9} " \
          f"{'fr/read':>7}"
    for c in clients:
        print(f"client {chr(65 + clients.index(c))}: {c}")
        print(hdr)
        for case in cases:
            rs = results[c][name(case)]
            errs = [x["error"] for x in rs if "error" in x]
            if errs:
                print(f"{name(case):18} error: {errs[0]}")
                continue
            print(f"{name(case):18} {med(rs, 'fps'):9.0f} "
                  f"{med(rs, 'mbs'):7.1f} {med(rs, 'lost'):6.0f} "
                  f"{med(rs, 'corrupt'):4.0f} {med(rs, 'cpu_per_m'):8.2f} "
                  f"{med(rs, 'rss_mb'):7.1f} "
                  f"{med(rs, 'feed_cpu_per_m'):9.2f} "
                  + (f"{med(rs, 'frames_per_read'):7.1f}"
                     if case[0] != "up" else f"{'-':>7}"))
        print(f"idle tunnel: {idle[c]:.2f} s of CPU in 5 s")
        print()
    drive = [x["drive_fps"] for case in cases if case[0] != "up"
             for x in results[clients[0]][name(case)]
             if "error" not in x and x.get("drive_fps")]
    if drive:
        print(f"the server side drives up to {max(drive):.0f} frames/s "
              "downstream (its own sending rate)")
    print("the pppd side writes up to " + ", ".join(
        f"{v[0]:.0f} frames/s of {k[0]} B" for k, v in ceil.items()
        if k[1] == "pair") +
        " upstream into a socketpair drained by cat (its own rate)")
    print("the pppd side reads up to " + ", ".join(
        f"{v:.0f} frames/s of {k[0]} B from a {k[1]}"
        for k, v in rceil.items()) +
        " downstream from a writer that blocks when it is full")
    print("floor: a sender of pre-built GRE, 32 a sendmmsg() on a raw "
          "socket, spends " + ", ".join(
              f"{v:.2f} s/M at {k} B" for k, v in floor.items()) +
          " (the least any raw-socket client can spend upstream here)")
    print("and cat, draining what the pppd side writes, spends " +
          ", ".join(f"{v[1]:.2f} s/M at {k[0]} B from a {k[1]}"
                    for k, v in ceil.items()) +
          " (the least any client spends reading it)")
    order = " ".join(chr(65 + i) for i in range(len(clients)))
    for b in others:
        print()
        print(f"ratios A/{chr(65 + clients.index(b))}, median of {rounds} "
              f"rounds ({order} ...): CPU per frame (lower is better for "
              "A), frames/s (higher), the pppd side's CPU per frame")
        for case in cases:
            ra, rb = results[a.client][name(case)], results[b][name(case)]
            cpu, fps, feed = [], [], []
            for x, y in zip(ra, rb):
                if "error" in x or "error" in y:
                    continue
                cpu.append(x["cpu_per_m"] / max(y["cpu_per_m"], 1e-9))
                fps.append(x["fps"] / max(y["fps"], 1e-9))
                feed.append(x["feed_cpu_per_m"] /
                            max(y["feed_cpu_per_m"], 1e-9))
            if cpu:
                line = (f"{name(case):18} CPU {statistics.median(cpu):5.2f}"
                        f"   frames/s {statistics.median(fps):6.2f}"
                        f"   pppd side's CPU {statistics.median(feed):5.2f}")
                if case[0] == "up":
                    cpu_b = statistics.median(y["cpu_per_m"] for y in rb
                                              if "error" not in y)
                    line += (f"   floor/{chr(65 + clients.index(b))} "
                             f"{floor[case[1]] / cpu_b:5.2f}")
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

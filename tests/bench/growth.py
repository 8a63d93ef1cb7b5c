# SPDX-License-Identifier: GPL-2.0-or-later
"""make bench's scale and latency runs (bench.py calls them), side by
side: the client under test, Debian's pptp-linux and the benchmark's null
client (pptpbench null, the floor), A B C rotating, several rounds.

Scale: N tunnels at once against pptpbench mserve, all carrying 1400-byte
frames downstream, (i) a fixed total rate split evenly, (ii) a fixed rate
per tunnel (the total / 64).  Per case: CPU per frame of all the client's
processes (/proc/PID/schedstat, ns), wake-ups per frame (voluntary and
nonvoluntary context switches, /proc/PID/status), frames/s, loss, memory
per tunnel (PSS) and the system's CPU per frame (/proc/stat: every
process and the kernel, the sender's share on veth included, less the
machine's own load in the half second before), and the server's (the
sender's: on veth the receiving namespace's work, the copy of each
packet for every raw GRE socket there included, is charged to it).

Latency: one tunnel; the server and the pppd stand-in stamp each frame
when they send it and take the time when they receive it, on the same
clock: one frame at a time (1000/s), under a steady load, and with one
frame in LATE sent after its successor (the reorder queue's wait), down;
one at a time and steady, up.  Median, 99th percentile and maximum.

Writes build/bench/scale.json and latency.json (every round) and .csv
(medians), and draws bench-scale.svg and bench-latency.svg (in
build/bench, or where --pictures says).
"""

import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import procinfo

SIZE = 1400
HZ = os.sysconf("SC_CLK_TCK")


def wait_for(d, name, timeout, proc=None):
    end = time.time() + timeout
    while not os.path.exists(os.path.join(d, name)):
        if time.time() > end or (proc and proc.poll() is not None):
            return False
        time.sleep(0.01)
    return True


def sys_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / HZ   # less idle and iowait


def run_ns(pid):
    """CPU time of pid (all its threads) in ns, 0 if it is gone."""
    try:
        return sum(int(open(f"/proc/{pid}/task/{t}/schedstat").read()
                       .split()[0])
                   for t in os.listdir(f"/proc/{pid}/task"))
    except (OSError, ValueError):
        return 0


def snap(exe):
    """{pid: (cpu ns, context switches, pss KiB)} of exe's processes."""
    out = {}
    for pid in procinfo.pids_of(exe):
        try:
            ns = 0
            for t in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                    ns += int(f.read().split()[0])
            st = procinfo.status(pid)
            cs = int(st["voluntary_ctxt_switches"]) + \
                int(st["nonvoluntary_ctxt_switches"])
            out[pid] = (ns, cs, procinfo.sample(pid)["pss"])
        except (OSError, KeyError, ValueError, StopIteration):
            pass
    return out


def line_of(p, timeout):
    """The one line p prints (it then waits for DIR/done)."""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            return p.stdout.readline()
        if p.poll() is not None:
            return p.stdout.read()
    return ""


def kv(line):
    return dict(w.split("=", 1) for w in line.split() if "=" in w)


def run_one(g, cl, n, down_fps, up_fps, secs, late=0):
    """One case for one client: its figures, or {"error": ...}."""
    d = tempfile.mkdtemp(prefix="pptpgrowth-")
    srv = subprocess.Popen(["ip", "netns", "exec", g["ns_s"], g["bench"],
                            "mserve", d, str(n), str(SIZE), str(down_fps),
                            str(secs)] + ([str(late)] if late else []),
                           stdout=subprocess.PIPE, text=True)
    feed = None
    try:
        if not wait_for(d, "listening", 10, srv):
            return {"error": "server"}
        feed = subprocess.Popen(["ip", "netns", "exec", g["ns_c"],
                                 g["bench"], "mfeed", d, str(n), str(SIZE),
                                 str(up_fps), str(secs)] + cl["argv"],
                                stdout=subprocess.PIPE, text=True)
        if not wait_for(d, "settled", 30 + n, feed):
            return {"error": "calls not up"}
        i0, ti = sys_busy(), time.time()
        time.sleep(0.5)             # the machine's own load, before
        s0, b0, t0 = snap(cl["exe"]), sys_busy(), time.time()
        v0 = run_ns(srv.pid)        # ip netns exec execs: the server
        idle = (b0 - i0) / (t0 - ti)
        open(os.path.join(d, "go"), "w").close()
        if not wait_for(d, "sent", secs + 30, srv):
            return {"error": "server stopped"}
        time.sleep(0.2)             # what is in flight
        s1, b1, t1 = snap(cl["exe"]), sys_busy(), time.time()
        v1 = run_ns(srv.pid)
        f_out = line_of(feed, secs + 30)
        s_out = line_of(srv, 30)
        open(os.path.join(d, "done"), "w").close()
        feed.wait(timeout=30)
        srv.wait(timeout=30)
        fr, sr = kv(f_out), kv(s_out)
        if "received" not in fr or "sent" not in sr:
            return {"error": fr.get("error") or sr.get("error") or "?"}
        per = [int(x) for x in fr["received"].split(",")]
        down = sum(per)
        up = int(sr["received"])
        frames = down + up
        sent = int(sr["sent"]) + int(fr.get("up_sent", 0))
        cpu = sum(s1[p][0] - s0.get(p, (0, 0, 0))[0] for p in s1) / 1e9
        cs = sum(s1[p][1] - s0.get(p, (0, 0, 0))[1] for p in s1)
        lat = []
        for name in ("down_lat", "up_lat"):
            with open(os.path.join(d, name)) as f:
                lat += [int(x) / 1000 for x in f]
        return {
            "frames": frames, "sent": sent,
            "loss": max(sent - frames, 0) / max(sent, 1),
            "fps": frames / max(float(sr["seconds"]), 1e-6),
            "cpu_us": cpu / max(frames, 1) * 1e6,
            "wake": cs / max(frames, 1),
            "sys_us": max(b1 - b0 - idle * (t1 - t0), 0) /
            max(frames, 1) * 1e6,
            "server_us": (v1 - v0) / 1e3 / max(frames, 1),
            "sys_raw_us": (b1 - b0) / max(frames, 1) * 1e6,
            "pss_kb": sum(v[2] for v in s1.values()) / n,
            "procs": len(s1), "min_tunnel": min(per),
            "out_of_order": int(fr.get("out_of_order", 0)),
            "lat": lat,
        }
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    finally:
        for p in (feed, srv):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(d, ignore_errors=True)
        g["reset"](cl["exe"])


def progress(what):
    print(f"  {time.strftime('%H:%M:%S')} {what}", file=sys.stderr,
          flush=True)


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def med(rs, key):
    v = [r[key] for r in rs if "error" not in r]
    return statistics.median(v) if v else float("nan")


def spread(rs, key):
    v = [r[key] for r in rs if "error" not in r]
    return (min(v), max(v)) if v else (float("nan"),) * 2


def run(g, clients, rounds, scale_n, rate, secs, lat_secs, lat_rate, late,
        parts, outdir, picdir):
    """Run the parts asked for; print, save and draw them."""
    per_tunnel = rate / 64
    scale, latency = {}, {}
    names = [c["name"] for c in clients]
    if "scale" in parts:
        for r in range(rounds):
            order = clients[r % len(clients):] + clients[:r % len(clients)]
            for how in ("total", "per"):
                for n in scale_n:
                    tot = rate if how == "total" else per_tunnel * n
                    # at least 2000 frames a case, at most three times
                    s = max(secs, min(3 * secs, 2000 / tot))
                    for cl in order:
                        progress(f"scale {how} {n} {cl['name']}")
                        x = run_one(g, cl, n, tot, 0, s)
                        x.pop("lat", None)
                        scale.setdefault(f"{how} {n}", {}).setdefault(
                            cl["name"], []).append(x)
    lat_cases = [("down, one at a time", 1000, 0, 0),
                 (f"down, steady {lat_rate:g}/s", lat_rate, 0, 0),
                 (f"down, 1 in {late} late", 1000, 0, late),
                 ("up, one at a time", 0, 1000, 0),
                 (f"up, steady {lat_rate:g}/s", 0, lat_rate, 0)]
    if "latency" in parts:
        for r in range(rounds):
            order = clients[r % len(clients):] + clients[:r % len(clients)]
            for case, down, up, lt in lat_cases:
                for cl in order:
                    progress(f"latency {case} {cl['name']}")
                    x = run_one(g, cl, 1, down, up, lat_secs, lt)
                    if "lat" in x:
                        v = x.pop("lat")
                        x.update(p50=pct(v, .5), p99=pct(v, .99),
                                 max=max(v) if v else float("nan"),
                                 samples=len(v))
                    latency.setdefault(case, {}).setdefault(
                        cl["name"], []).append(x)
    os.makedirs(outdir, exist_ok=True)
    info = {"date": time.strftime("%Y-%m-%d %H:%M"),
            "nproc": os.cpu_count(), "cpu": cpu_model(),
            "kernel": os.uname().release, "rounds": rounds,
            "rate": rate, "per_tunnel": per_tunnel, "seconds": secs,
            "lat_seconds": lat_secs, "lat_rate": lat_rate, "late": late,
            "clients": {c["name"]: c["exe"] for c in clients}}
    for part, data in (("scale", scale), ("latency", latency)):
        if data:
            with open(os.path.join(outdir, part + ".json"), "w") as f:
                json.dump({"info": info, part: data}, f, indent=1)
    report(scale, latency, names, info, outdir)
    os.makedirs(picdir, exist_ok=True)
    if scale:
        svg_scale(scale, names, info, os.path.join(picdir,
                                                   "bench-scale.svg"))
    if latency:
        svg_latency(latency, names, info,
                    os.path.join(picdir, "bench-latency.svg"))


def redraw(outdir, picdir, parts):
    """The pictures again from a run's data (bench.py --redraw)."""
    for part, draw, svg in (("scale", svg_scale, "bench-scale.svg"),
                            ("latency", svg_latency, "bench-latency.svg")):
        if part not in parts:
            continue
        try:
            with open(os.path.join(outdir, part + ".json")) as f:
                data = json.load(f)
        except OSError:
            continue
        names = list(data["info"]["clients"])
        os.makedirs(picdir, exist_ok=True)
        report(data.get("scale", {}), data.get("latency", {}), names,
               data["info"], os.path.join(outdir, "redrawn"))
        draw(data[part], names, data["info"], os.path.join(picdir, svg))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def report(scale, latency, names, info, outdir):
    rows = []
    if scale:
        print()
        print(f"scale: 1400-byte frames downstream; (i) total "
              f"{info['rate']:g}/s split evenly, (ii) "
              f"{info['per_tunnel']:g}/s per tunnel; medians of "
              f"{info['rounds']} rounds [min-max]")
        print(f"{'case':10} {'client':11} {'CPU us/fr':>16} {'wake/fr':>7} "
              f"{'frames/s':>8} {'loss':>6} {'KiB/tun':>7} "
              f"{'system us/fr':>17} {'server':>6}")
        for case, by in scale.items():
            for c in names:
                rs = by.get(c, [])
                errs = [x["error"] for x in rs if "error" in x]
                if errs and len(errs) == len(rs):
                    print(f"{case:10} {c:11} error: {errs[0]}")
                    continue
                lo, hi = spread(rs, "cpu_us")
                slo, shi = spread(rs, "sys_us")
                print(f"{case:10} {c:11} {med(rs, 'cpu_us'):6.1f} "
                      f"[{lo:.0f}-{hi:.0f}] {med(rs, 'wake'):7.2f} "
                      f"{med(rs, 'fps'):8.0f} {med(rs, 'loss'):6.1%} "
                      f"{med(rs, 'pss_kb'):7.0f} {med(rs, 'sys_us'):6.1f} "
                      f"[{slo:.0f}-{shi:.0f}] {med(rs, 'server_us'):6.1f}")
                rows.append(["scale", case, c] + [
                    f"{med(rs, k):.4g}" for k in
                    ("cpu_us", "wake", "fps", "loss", "pss_kb", "sys_us",
                     "server_us")])
    if latency:
        print()
        print(f"latency, one tunnel, us from the sender's stamp to the "
              f"receiver's clock; medians of {info['rounds']} rounds of "
              f"the per-round median, 99th percentile and maximum")
        print(f"{'case':22} {'client':11} {'median':>7} {'p99':>7} "
              f"{'max':>8} {'loss':>6} {'late':>5}")
        for case, by in latency.items():
            for c in names:
                rs = by.get(c, [])
                errs = [x["error"] for x in rs if "error" in x]
                if errs and len(errs) == len(rs):
                    print(f"{case:22} {c:11} error: {errs[0]}")
                    continue
                print(f"{case:22} {c:11} {med(rs, 'p50'):7.1f} "
                      f"{med(rs, 'p99'):7.1f} {med(rs, 'max'):8.1f} "
                      f"{med(rs, 'loss'):6.1%} "
                      f"{med(rs, 'out_of_order'):5.0f}")
                rows.append(["latency", case, c] + [
                    f"{med(rs, k):.4g}" for k in
                    ("p50", "p99", "max", "loss", "out_of_order")])
    os.makedirs(outdir, exist_ok=True)
    heads = {"scale": "case,client,cpu_us,wake,fps,loss,pss_kb,sys_us,"
                      "server_us",
             "latency": "case,client,p50_us,p99_us,max_us,loss,late"}
    for part, head in heads.items():
        mine = [r[1:] for r in rows if r[0] == part]
        if mine:
            with open(os.path.join(outdir, part + ".csv"), "w") as f:
                f.write(head + "\n")
                for r in mine:
                    f.write(",".join(r) + "\n")


# --- pictures: SVG written here ------------------------------------------

COLORS = {0: "#1f5fbf", 1: "#c0392b", 2: "#555555"}


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;")


def log_ticks(lo, hi):
    out, d = [], 10 ** int(__import__("math").floor(
        __import__("math").log10(lo)))
    while d <= hi * 1.0001:
        for m in (1, 2, 5):
            if lo <= d * m <= hi * 1.0001:
                out.append(d * m)
        d *= 10
    return out


def svg_scale(scale, names, info, path):
    import math
    ns = sorted({int(k.split()[1]) for k in scale})
    vals = [med(rs, k) for by in scale.values() for rs in by.values()
            for k in ("cpu_us", "server_us")]
    vals = [v for v in vals if v == v and v > 0]
    if not vals or not ns:
        return
    lo, hi = 10 ** math.floor(math.log10(min(vals))), \
        10 ** math.ceil(math.log10(max(vals)))
    W, H, pw, ph, ml, mt = 900, 430, 360, 280, 70, 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" '
           f'height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">'
           f'CPU per frame against the number of busy tunnels (1400-byte '
           f'frames downstream, log scale)</text>',
           f'<text x="{W / 2}" y="38" text-anchor="middle" fill="#444">'
           f'{esc(info["date"])}, {info["nproc"]} cores, '
           f'{esc(info["cpu"])}; solid: the client\'s processes; dashed: '
           f'the server\'s, the sender, charged with the kernel\'s '
           f'work on veth</text>']
    titles = {"total": f"(i) {info['rate']:g} frames/s in all",
              "per": f"(ii) {info['per_tunnel']:g} frames/s per tunnel"}
    for pi, how in enumerate(("total", "per")):
        x0 = ml + pi * (pw + 90)

        def X(n):
            return x0 + (math.log2(n) - math.log2(ns[0])) / max(
                math.log2(ns[-1]) - math.log2(ns[0]), 1) * pw

        def Y(v):
            return mt + ph - (math.log10(v) - math.log10(lo)) / (
                math.log10(hi) - math.log10(lo)) * ph
        out.append(f'<text x="{x0 + pw / 2}" y="{mt - 6}" '
                   f'text-anchor="middle">{esc(titles[how])}</text>')
        out.append(f'<rect x="{x0}" y="{mt}" width="{pw}" height="{ph}" '
                   f'fill="none" stroke="#888"/>')
        for t in log_ticks(lo, hi):
            out.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{Y(t):.1f}" '
                       f'y2="{Y(t):.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{x0 - 4}" y="{Y(t) + 4:.1f}" '
                       f'text-anchor="end">{t:g}</text>')
        for n in ns:
            out.append(f'<text x="{X(n):.1f}" y="{mt + ph + 16}" '
                       f'text-anchor="middle">{n}</text>')
        out.append(f'<text x="{x0 + pw / 2}" y="{mt + ph + 34}" '
                   f'text-anchor="middle">tunnels</text>')
        out.append(f'<text x="{x0 - 46}" y="{mt + ph / 2}" '
                   f'text-anchor="middle" transform="rotate(-90 '
                   f'{x0 - 46} {mt + ph / 2})">µs per frame</text>')
        for ci, c in enumerate(names):
            for key, dash in (("cpu_us", ""), ("server_us", "5,4")):
                pts = [(X(n), Y(v)) for n in ns
                       for v in [med(scale.get(f"{how} {n}", {}).get(c, []),
                                     key)] if v == v and v > 0]
                if not pts:
                    continue
                col = COLORS[ci % 3]
                out.append('<polyline fill="none" stroke-width="2" '
                           f'stroke="{col}" stroke-dasharray="{dash}" '
                           'points="' + " ".join(f"{x:.1f},{y:.1f}"
                                                 for x, y in pts) + '"/>')
                for x, y in pts:
                    out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" '
                               f'fill="{col}"/>')
    for ci, c in enumerate(names):
        x = ml + ci * 200
        out.append(f'<line x1="{x}" x2="{x + 24}" y1="{H - 20}" '
                   f'y2="{H - 20}" stroke="{COLORS[ci % 3]}" '
                   f'stroke-width="3"/><text x="{x + 30}" y="{H - 16}">'
                   f'{esc(c)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def svg_latency(latency, names, info, path):
    import math
    vals = [med(rs, k) for by in latency.values() for rs in by.values()
            for k in ("p50", "max")]
    vals = [v for v in vals if v == v and v > 0]
    if not vals:
        return
    lo, hi = 10 ** math.floor(math.log10(min(vals))), \
        10 ** math.ceil(math.log10(max(vals)))
    rowh, ml, mt, pw = 16, 190, 64, 620
    H = mt + len(latency) * (len(names) * rowh + 24) + 70
    W = ml + pw + 40

    def X(v):
        return ml + (math.log10(v) - math.log10(lo)) / (
            math.log10(hi) - math.log10(lo)) * pw
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" '
           f'height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">'
           f'Latency through the client, one tunnel, µs (log scale)</text>',
           f'<text x="{W / 2}" y="38" text-anchor="middle" fill="#444">'
           f'{esc(info["date"])}, {info["nproc"]} cores, '
           f'{esc(info["cpu"])}; dot: median, bar to the 99th percentile, '
           f'x: maximum</text>']
    bottom = H - 60
    for t in log_ticks(lo, hi):
        out.append(f'<line x1="{X(t):.1f}" x2="{X(t):.1f}" y1="{mt - 8}" '
                   f'y2="{bottom}" stroke="#ddd"/><text x="{X(t):.1f}" '
                   f'y="{bottom + 14}" text-anchor="middle">{t:g}</text>')
    y = mt
    for case, by in latency.items():
        out.append(f'<text x="{ml - 8}" y="{y + rowh - 3}" '
                   f'text-anchor="end" font-weight="bold">'
                   f'{esc(case)}</text>')
        for ci, c in enumerate(names):
            rs = by.get(c, [])
            p50, p99, mx = med(rs, "p50"), med(rs, "p99"), med(rs, "max")
            col = COLORS[ci % 3]
            cy = y + rowh * ci + rowh / 2 + 14
            out.append(f'<text x="{ml - 8}" y="{cy + 4:.1f}" '
                       f'text-anchor="end" fill="{col}">{esc(c)}</text>')
            if p50 == p50 and p50 > 0:
                out.append(f'<line x1="{X(p50):.1f}" x2="{X(p99):.1f}" '
                           f'y1="{cy:.1f}" y2="{cy:.1f}" stroke="{col}" '
                           f'stroke-width="5"/><circle cx="{X(p50):.1f}" '
                           f'cy="{cy:.1f}" r="4" fill="{col}"/>'
                           f'<text x="{X(mx):.1f}" y="{cy + 4:.1f}" '
                           f'text-anchor="middle" fill="{col}">x</text>')
        y += len(names) * rowh + 24
    for ci, c in enumerate(names):
        x = ml + ci * 200
        out.append(f'<line x1="{x}" x2="{x + 24}" y1="{H - 20}" '
                   f'y2="{H - 20}" stroke="{COLORS[ci % 3]}" '
                   f'stroke-width="5"/><text x="{x + 30}" y="{H - 16}">'
                   f'{esc(c)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")

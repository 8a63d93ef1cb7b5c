#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A quiet tunnel's wake-ups: one call carrying RATE 1400-byte frames a
second downstream for SECONDS (pptpbench mserve and mfeed, as in the
scale runs), and, per process of the client, its voluntary context
switches (wake-ups: it slept and was woken) and nonvoluntary ones
(preempted while it ran) per frame; for pptp also the gateway's
statistics (SIGUSR1), whose "tx acks" are the acknowledgements it sent
alone.  The acceptance of issue 23: at most one wake-up per frame plus
one per acknowledgement sent alone.

    quiet.py PPTPBENCH CLIENT [RATE [SECONDS]]     (as root)

CLIENT "null" is the benchmark's null client.  Defaults: 312.5 frames/s
(what each of 64 tunnels gets in make bench's scale runs), 4 s.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import procinfo  # noqa: E402
import bench as benchpy  # noqa: E402  (its reset: no client process left)

NS_S, NS_C = f"pqs{os.getpid()}", f"pqc{os.getpid()}"


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def switches(pid):
    st = procinfo.status(pid)
    return (int(st["voluntary_ctxt_switches"]),
            int(st["nonvoluntary_ctxt_switches"]))


def wait_for(d, name):
    while not os.path.exists(os.path.join(d, name)):
        time.sleep(0.01)


def main():
    if len(sys.argv) < 3 or os.geteuid() != 0:
        sys.exit(__doc__)
    bench, client = sys.argv[1], sys.argv[2]
    rate = sys.argv[3] if len(sys.argv) > 3 else "312.5"
    secs = sys.argv[4] if len(sys.argv) > 4 else "4"
    tmp = tempfile.mkdtemp(prefix="pptpquiet-")
    if client == "null":
        client = os.path.join(tmp, "pptpnull")
        shutil.copy(bench, client)
        argv = [client, "null", "192.0.2.1"]
    else:
        argv = [client, "192.0.2.1", "--nolaunchpppd", "--nohostroute"]
    sh(f"ip netns add {NS_S}; ip netns add {NS_C}; "
       f"ip link add pqv0 netns {NS_S} type veth peer name pqv1 "
       f"netns {NS_C}; "
       f"ip -n {NS_S} addr add 192.0.2.1/24 dev pqv0; "
       f"ip -n {NS_S} link set pqv0 up; "
       f"ip -n {NS_C} addr add 192.0.2.2/24 dev pqv1; "
       f"ip -n {NS_C} link set pqv1 up")
    srv = feed = None
    try:
        d = os.path.join(tmp, "run")
        os.mkdir(d)
        srv = subprocess.Popen(["ip", "netns", "exec", NS_S, bench,
                                "mserve", d, "1", "1400", rate, secs],
                               stdout=subprocess.PIPE, text=True)
        wait_for(d, "listening")
        err = open(os.path.join(tmp, "stderr"), "w")
        feed = subprocess.Popen(["ip", "netns", "exec", NS_C, bench,
                                 "mfeed", d, "1", "1400", "0", secs] + argv,
                                stdout=subprocess.PIPE, stderr=err,
                                text=True, env=dict(os.environ,
                                                    PPTPBENCH_CLIENT_LOG="1"))
        wait_for(d, "settled")
        time.sleep(0.5)
        pids = procinfo.pids_of(client)
        before = {p: switches(p) for p in pids}
        open(os.path.join(d, "go"), "w").close()
        wait_for(d, "sent")
        time.sleep(0.2)
        after = {p: switches(p) for p in pids}
        names = {p: procinfo.stat(p).comm for p in pids}
        if not client.endswith("pptpnull"):
            for p in pids:
                os.kill(p, signal.SIGUSR1)
            time.sleep(0.3)
        out = feed.stdout.readline()
        open(os.path.join(d, "done"), "w").close()
        feed.wait(timeout=30)
        srv.wait(timeout=30)
        err.close()
        frames = int(re.search(r"received=(\d+)", out).group(1))
        print(f"{frames} frames at {rate}/s")
        for p in pids:
            v = after[p][0] - before[p][0]
            n = after[p][1] - before[p][1]
            if v or n:
                print(f"  {names[p]:16} woken {v} ({v / frames:.3f} a "
                      f"frame), preempted {n} ({n / frames:.3f} a frame)")
        with open(os.path.join(tmp, "stderr")) as f:
            for line in f:
                if "tx acks" in line:
                    print("  " + line.strip())
    finally:
        for p in (feed, srv):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        benchpy.reset(client)
        for ns in (NS_S, NS_C):
            subprocess.run(["ip", "netns", "del", ns],
                           stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the end-to-end scenarios share inside the User-Mode Linux guest:
the run's settings (cfg), the world (namespace srv with the real pptpd
at 192.0.2.1, namespace cli at 192.0.2.2), running pppd with the client
under test, waiting, pinging, bulk transfer, the statistics, the
"nothing left behind" check, and the scenario registry.

The scenarios live in files by topic (basics.py, ending.py, diagnose.py,
network.py, startup.py), the narrated demo in demo.py, the loop that runs
them in uml.py.  Every file reads the run's settings from cfg, which
uml.py's main() sets; none keeps a copy.
"""

import hashlib
import os
import random
import re
import signal
import socket
import subprocess
import time

# beside this file in the guest (tests/e2e/run.py copies them), shared
# with the integration tests
import leftovers
import procinfo

SERVER = "192.0.2.1"
USER, SECRET = "e2e", "s3cret-e2e"


class Config:
    """The run's settings and state, one object (cfg) that every file
    reads: where results go, the client under test (main() sets it for
    each client of a comparison), and what syslog has said (the
    listener appends, main() clears it before each scenario)."""

    def __init__(self):
        self.out = "/mnt"
        self.client = os.environ.get("E2E_CLIENT", "/usr/sbin/pptp")
        self.syslog = []        # (monotonic time, "prog[pid]: text")


cfg = Config()


# --- plumbing --------------------------------------------------------------

def syslog_listener():
    """Take what pptp, pptpd and pppd send to syslog."""
    try:
        os.unlink("/dev/log")
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("/dev/log")
    os.chmod("/dev/log", 0o666)
    while True:
        data = s.recv(65536).decode("utf-8", "replace")
        # "<30>Nov 21 08:00:00 pptp[123]: text" -> "pptp[123]: text"
        data = re.sub(r"^<\d+>(\w{3} [ \d]\d \d\d:\d\d:\d\d )?", "", data)
        cfg.syslog.append((time.monotonic(), data.rstrip("\n")))


def sh(cmd, check=True, **kw):
    return subprocess.run(cmd, shell=True, check=check, text=True,
                          capture_output=True, **kw)


def wait_until(cond, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def log_lines(prefix=""):
    return [l for _, l in cfg.syslog if l.startswith(prefix)]


def pptp_procs():
    """pid -> title of every live process of the client under test."""
    out = {}
    for pid in procinfo.pids_of(cfg.client):
        title = procinfo.title(pid)
        if title:
            out[pid] = title
    return out


def ppp_addr(ns, dev="ppp0"):
    r = sh(f"ip -n {ns} -4 addr show {dev}", check=False)
    m = re.search(r"inet (\S+) peer (\S+)/", r.stdout)
    return (m.group(1), m.group(2)) if m else None


def rundir_left():
    """What pptp left in /run/pptp, but the sandbox's root (kept)."""
    left = os.listdir("/run/pptp") if os.path.isdir("/run/pptp") else []
    return [f for f in left if f != "empty"]


def host_route():
    return sh(f"ip -n cli route show {SERVER}/32").stdout.strip()


def left_behind(timeout=8):
    """What the client left, [] if nothing (tests/leftovers.py, the
    integration tests' check): its processes (given timeout to go),
    files in /run/pptp, host routes (protocol 47, pptp's)."""
    return leftovers.left_behind(
        lambda: {"procs": pptp_procs(), "files": rundir_left(),
                 "routes": sh("ip -n cli route show proto 47").stdout},
        timeout, step=0.1)


class Fail(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Fail(what)


# --- the world: namespaces, pptpd -------------------------------------------

PPTPD_OPTIONS = """name pptpd
require-mschap-v2
require-mppe-128
nobsdcomp
nodeflate
noipv6
"""


def world_up(pptpd=True):
    for ns in ("srv", "cli"):
        sh(f"ip netns add {ns}")
        sh(f"ip -n {ns} link set lo up")
    sh("ip link add vs netns srv type veth peer name vc netns cli")
    sh(f"ip -n srv addr add {SERVER}/24 dev vs")
    sh("ip -n srv link set vs up")
    sh("ip -n cli addr add 192.0.2.2/24 dev vc")
    sh("ip -n cli link set vc up")
    with open("/etc/ppp/pptpd-options", "w") as f:
        f.write(PPTPD_OPTIONS + "logfile /tmp/server-ppp.log\n")
    with open("/etc/ppp/chap-secrets", "w") as f:
        f.write(f"{USER} pptpd {SECRET} *\n")
    os.chmod("/etc/ppp/chap-secrets", 0o600)
    open("/etc/ppp/options", "w").close()
    with open("/tmp/pptpd.conf", "w") as f:
        f.write("debug\noption /etc/ppp/pptpd-options\nlocalip 10.0.0.1\n"
                "remoteip 10.0.0.100-109\n")
    if pptpd:
        subprocess.Popen("ip netns exec srv pptpd -f -c /tmp/pptpd.conf",
                         shell=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
        need(wait_until(lambda: "1723" in sh("ip netns exec srv ss -ltn",
                                             check=False).stdout, 5),
             "pptpd did not start")


def world_down():
    for name in ("pppd", "pptpd", "pptpctrl", "pptp", "python3 -c"):
        sh(f"pkill -KILL -f '{name}'", check=False)
    for pid in pptp_procs():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_until(lambda: not pptp_procs(), 3)
    sh("ip netns del srv", check=False)
    sh("ip netns del srv2", check=False)
    sh("ip netns del cli", check=False)
    sh("rm -rf /run/pptp /run/ppp*.pid /tmp/*.log /etc/ppp/peers",
       check=False)
    time.sleep(0.2)


PPPD_OPTIONS = [f"name {USER}", f"password {SECRET}", "remotename pptpd",
                "require-mppe-128", "noauth", "nobsdcomp", "nodeflate",
                "noipv6"]
PPPD_OPTS = " ".join(PPPD_OPTIONS)


def pppd(pptp_args="", unit=0, log="/tmp/pppd.log", extra=""):
    """pppd in the foreground with pptp as its pty program."""
    cmd = (f"ip netns exec cli pppd pty '{cfg.client} {SERVER} --nolaunchpppd "
           f"{pptp_args}' {PPPD_OPTS} unit {unit} nodetach logfd 2 {extra}")
    return subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"), start_new_session=True)


def tunnel_up(dev="ppp0", timeout=20):
    need(wait_until(lambda: ppp_addr("cli", dev), timeout),
         f"{dev} got no address within {timeout} s")
    return ppp_addr("cli", dev)


def ping(peer, count=20, ns="cli", dev=None):
    via = f"-I {dev} " if dev else ""
    r = sh(f"ip netns exec {ns} ping -q -c {count} -i 0.2 -W 2 {via}{peer}",
           check=False)
    m = re.search(r"(\d+) received", r.stdout)
    rtt = re.search(r"= [\d.]+/([\d.]+)/", r.stdout)
    return (int(m.group(1)) if m else 0), (rtt.group(1) if rtt else "?")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def stats():
    """SIGUSR1 to every gateway; the counters they log."""
    n = len(cfg.syslog)
    for pid, title in pptp_procs().items():
        if "GRE-to-PPP" in title:
            os.kill(pid, signal.SIGUSR1)
    wait_until(lambda: any("round trip" in l for _, l in cfg.syslog[n:]), 3)
    st = {}
    for _, l in cfg.syslog[n:]:
        for m in re.finditer(r"(rx|tx) ([A-Za-z ]+?) (\d+)(?=[,]|$)", l):
            st[f"{m.group(1)} {m.group(2)}"] = int(m.group(3))
        m = re.search(r"round trip (\d+) ms", l)
        if m:
            st["round trip"] = int(m.group(1))
    return st


# --- bulk transfer through the tunnel ----------------------------------------
# --- bulk transfer through the tunnel ----------------------------------------

def data(seed, size):
    return random.Random(seed).randbytes(size)


BULK_SERVER = r"""
import hashlib, random, socket, sys
size = int(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.1", 5001))
s.listen(1)
c, _ = s.accept()
h, got = hashlib.sha256(), 0
while got < size:
    b = c.recv(1 << 16)
    if not b:
        break
    h.update(b)
    got += len(b)
open("/tmp/bulk-up.sha", "w").write(h.hexdigest())
c.sendall(random.Random(2).randbytes(size))
c.close()
"""


def bulk(size, timeout=240):
    """size bytes up, then size bytes down; returns the two rates."""
    srv = subprocess.Popen(["ip", "netns", "exec", "srv", "python3", "-c",
                            BULK_SERVER, str(size)])
    try:
        up_data, down_want = data(1, size), hashlib.sha256(data(2, size))
        time.sleep(0.5)
        cmd = ["ip", "netns", "exec", "cli", "python3", "-c",
               "import socket,sys,time,hashlib\n"
               "size=int(sys.argv[1]); d=sys.stdin.buffer.read(size)\n"
               "s=socket.create_connection(('10.0.0.1',5001),timeout=60)\n"
               "t=time.monotonic(); s.sendall(d); t1=time.monotonic()\n"
               "h,got=hashlib.sha256(),0\n"
               "while got<size:\n"
               "    b=s.recv(1<<16)\n"
               "    if not b: break\n"
               "    h.update(b); got+=len(b)\n"
               "t2=time.monotonic()\n"
               "print(h.hexdigest(), got, t1-t, t2-t1)\n", str(size)]
        r = subprocess.run(cmd, input=up_data, capture_output=True,
                           timeout=timeout)
        need(r.returncode == 0, f"bulk client failed: {r.stderr[-300:]}")
        digest, got, t_up, t_down = r.stdout.decode().split()
        srv.wait(30)
        need(read("/tmp/bulk-up.sha") == hashlib.sha256(up_data).hexdigest(),
             "upload arrived corrupted or short")
        need(int(got) == size and digest == down_want.hexdigest(),
             f"download arrived corrupted or short ({got} of {size})")
        return size / float(t_up) / 1e6, size / float(t_down) / 1e6
    finally:
        if srv.poll() is None:
            srv.kill()


# --- what several scenarios check or start -----------------------------------

def sandbox_uid():
    """The user pptp(8) says its sandboxed processes become."""
    import pwd
    for name in ("pptp", "nobody"):
        try:
            return pwd.getpwnam(name).pw_uid
        except KeyError:
            pass
    return None


def sandboxed():
    """This pptp's network-facing processes hold what pptp(8) SECURITY
    says: nobody, no capabilities, no new privileges, a filter."""
    procs = pptp_procs()
    seen = []
    for pid, title in procs.items():
        if not title.startswith(("pptp: call manager",
                                 "pptp: GRE-to-PPP gateway")):
            continue
        st = procinfo.status(pid)
        need(st["Uid"].split()[0] == str(sandbox_uid()) and st["CapEff"] ==
             "0000000000000000" and st["CapBnd"] == "0000000000000000" and
             st["NoNewPrivs"] == "1" and st["Seccomp"] == "2",
             f"{title} is not sandboxed: {st}")
        seen.append(title.split()[1])
    need(sorted(seen) == ["GRE-to-PPP", "call"], f"processes: {procs}")
    return "call manager and gateway run as nobody under seccomp"


def launch_nodetach(extra=""):
    """pptp HOST ... nodetach logfd 2: the command is pppd's life; extra:
    more of pppd's options."""
    return subprocess.Popen(["ip", "netns", "exec", "cli", cfg.client,
                             SERVER]
                            + PPPD_OPTS.split() + ["nodetach", "logfd",
                                                   "2"] + extra.split(),
                            stdout=subprocess.DEVNULL,
                            stderr=open("/tmp/launch.log", "w"),
                            start_new_session=True)


def control_connections(ns="srv"):
    return sh(f"ip netns exec {ns} ss -tn state established "
              "'( sport = :1723 )'").stdout.count("192.0.2.2")


def all_ping(devs, count=5):
    for dev in devs:
        addr = ppp_addr("cli", dev)
        need(addr, f"{dev} has no address")
        got, _ = ping(addr[1], count, dev=dev)
        said = [l for l in log_lines("pptpd") if "already open" in l]
        need(got == count, f"{dev}: {got} of {count} pings"
             + (f"; pptpd: {said[0]}" if said else ""))


def stop(p, dev):
    os.killpg(p.pid, signal.SIGTERM)
    need(wait_until(lambda: not ppp_addr("cli", dev), 8), f"{dev} stayed")


# conntrack, the PPTP helper and iptables-legacy's filter and raw tables
# (the guest's kernel has no nf_tables for IPv4), dependencies first
NF_MODULES = ["net/ipv6/netfilter/nf_defrag_ipv6",
              "net/ipv4/netfilter/nf_defrag_ipv4",
              "net/netfilter/nf_conntrack", "net/netfilter/nf_conntrack_pptp",
              "net/netfilter/x_tables", "net/netfilter/xt_tcpudp",
              "net/netfilter/xt_conntrack", "net/netfilter/xt_CT",
              "net/ipv4/netfilter/ip_tables",
              "net/ipv4/netfilter/iptable_filter",
              "net/ipv4/netfilter/iptable_raw"]


def netfilter_modules(mods=NF_MODULES):
    """insmod those of mods not loaded yet."""
    top = f"/usr/lib/uml/modules/{os.uname().release}/kernel"
    for m in mods:
        if not os.path.exists(f"/sys/module/{os.path.basename(m)}"):
            sh(f"insmod {top}/{m}.ko", check=False)


# --- the scenarios' registry -------------------------------------------------

# name -> function, as the topic files register them (uml.py puts them
# in the order they run)
SCENARIOS = {}

# Scenarios the real server cannot pass, and why; run only when named.
SERVER_CANNOT = {}


def scenario(fn):
    SCENARIOS[fn.__name__.replace("_", "-")] = fn
    return fn

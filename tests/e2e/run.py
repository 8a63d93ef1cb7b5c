#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot User-Mode Linux on the host's root file system and run the end-to-
end scenarios of uml.py (the topics it imports) in it against the real
pppd and pptpd.

    run.py [--client PATH] [--pptpsetup PATH] [--compare PATH]
           [--preload LIB] [--demo] [SCENARIO ...]

Refuses a scenario name it does not know, and checks first that what the
guest runs is installed (tests/need).  Prints one PASS/FAIL line per
scenario, the logs of failed ones, and a closing "N passed, N failed"
line; exits non-zero on any failure.  With --demo: the narration, then
one verdict line.  The guest runs under a host-side time limit and is
always killed afterwards.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
LIMIT_S = 900


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def why_no_guest(console):
    """What the console says about a guest that ran nothing, if known."""
    if "ptrace set fp regs failed" in console:
        return ("User-Mode Linux could not start its first program (\"ptrace"
                " set fp regs failed\"): without --preload of "
                "build/uml_xstate.so, UML 6.1 cannot run on a CPU with "
                "AVX-512")
    if "Kernel panic" in console:
        return "the User-Mode Linux kernel panicked"
    return None


DEMO_WHERE = """\
   All of this ran inside User-Mode Linux, a Linux kernel run here as an
   ordinary program, with its own pptpd server and network namespaces:
   this machine's network and /etc/ppp were not touched."""
DEMO_NEXT = """\
   Next: install pptp (make install, or make deb and apt install ./build/
   pptp_*.deb),
   set up a tunnel with pptpsetup --create NAME --server HOST --username
   USER, and read man pptp (before installing: man ./man/pptp.8)."""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--client", default=os.path.join(HERE, "..", "..",
                                                     "pptp"))
    ap.add_argument("--compare", help="a second client: every scenario "
                    "runs for both, A then B, in the same guest")
    ap.add_argument("--pptpsetup", default=os.path.join(HERE, "..", "..",
                                                        "pptpsetup"))
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--preload", help="a library to preload into "
                    "linux.uml (build/uml_xstate.so)")
    ap.add_argument("scenarios", nargs="*")
    a = ap.parse_args()
    sys.path.insert(0, HERE)
    sys.path.insert(1, os.path.join(HERE, ".."))    # what guest.py shares
    import uml
    unknown = [n for n in a.scenarios if n not in uml.SCENARIOS]
    if unknown:
        for n in unknown:
            print(f"no such scenario: {n}")
        print(f"the scenarios: {' '.join(uml.SCENARIOS)}")
        return 2
    # what the guest runs is the host's: all of it must be installed
    if subprocess.run(["sh", os.path.join(HERE, "..", "need"),
                       "demo" if a.demo else "e2e"]).returncode:
        return 1
    client = os.path.realpath(a.client)
    for path in [client] + ([a.compare] if a.compare else []):
        if not os.path.isfile(path):
            print(f"no client to test at {path}")
            return 1
    out = tempfile.mkdtemp(prefix="pptp-e2e-")
    os.chmod(out, 0o755)
    # The guest sees the host's files, but mounts its own /tmp and more:
    # what it runs comes from this directory, which it mounts as /mnt.
    # init.sh and the guest's Python: uml.py, what it shares (guest.py),
    # the topics and the demo; all of this directory's but run.py
    for f in sorted(os.listdir(HERE)):
        if f == "init.sh" or f.endswith(".py") and f != "run.py":
            shutil.copy(os.path.join(HERE, f), out)
    # the /proc reader and the "nothing left behind" check guest.py shares
    # with the integration tests
    for f in ("procinfo.py", "leftovers.py"):
        shutil.copy(os.path.join(HERE, "..", f), out)
    shutil.copy(client, os.path.join(out, "pptp-under-test"))
    # the pptpsetup scenario's tool and the options.pptp it installs
    if os.path.exists(a.pptpsetup):
        shutil.copy(a.pptpsetup, os.path.join(out, "pptpsetup-under-test"))
    shutil.copy(os.path.join(HERE, "..", "..", "etc", "options.pptp"), out)
    extra = []
    if a.compare:
        shutil.copy(os.path.realpath(a.compare),
                    os.path.join(out, "pptp-compare"))
        extra = ["E2E_COMPARE=/mnt/pptp-compare"]
    names = ["demo"] if a.demo else a.scenarios
    cmd = [shutil.which("linux.uml"), "mem=768M", "rootfstype=hostfs",
           "rootflags=/", "ro", f"init={out}/init.sh", "con0=fd:0,fd:1",
           "con=null", f"E2E_OUT={out}", "E2E_DIR=/mnt",
           "E2E_CLIENT=/mnt/pptp-under-test",
           "E2E_PPTPSETUP=/mnt/pptpsetup-under-test",
           f"E2E_SCENARIOS={','.join(names)}"] + extra
    env = dict(os.environ)
    if a.preload:
        env["LD_PRELOAD"] = os.path.realpath(a.preload)
    if a.demo:
        print("== Booting User-Mode Linux, where pptpd, pppd and pptp run "
              "(what follows comes from inside it)", flush=True)
    # from a directory of its own: UML keeps state in the working directory
    p = subprocess.Popen(cmd, cwd=out, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True, env=env)
    timed_out = False
    try:
        console, _ = p.communicate(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        timed_out = True
        console = b""
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
    console = console.decode("utf-8", "replace")
    lines = read(os.path.join(out, "results.txt")).splitlines()
    if a.demo:
        sys.stdout.write(read(os.path.join(out, "console.log")))
    passed = sum(l.startswith("PASS") for l in lines)
    failed = sum(l.startswith("FAIL") for l in lines)
    for l in lines:
        if not a.demo:
            print(l)
        if l.startswith("FAIL"):
            log = read(os.path.join(out, f"{l.split()[1]}.log"))
            if log:
                print(log)
    want = len(names) * (2 if a.compare else 1) if names else None
    why = None
    if timed_out or not lines or (want and passed + failed < want):
        why = why_no_guest(console) or ("the guest did not finish" +
                                        (" in time" if timed_out else ""))
        print(f"{why}; its console said:")
        print(console[-3000:])
        print(read(os.path.join(out, "console.log"))[-3000:])
        failed += 1
    if a.demo:
        said = lines[0].split(" ", 2)[2:] if lines else []
        if passed and not failed:
            print(f"== Verdict: the tunnel worked: {''.join(said)}")
            print(DEMO_WHERE + "\n" + DEMO_NEXT)
        else:
            print(f"== Verdict: FAILED: {why or ''.join(said)}")
            print(DEMO_WHERE)
    else:
        print(f"{passed} passed, {failed} failed")
    shutil.rmtree(out, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot User-Mode Linux on the host's root file system and run the end-to-
end scenarios of uml.py in it against the real pppd and pptpd.

    run.py [--client PATH] [--pptpsetup PATH] [--demo] [SCENARIO ...]

Prints one PASS/FAIL line per scenario, the logs of failed ones, and a
closing "N passed, N failed" line; exits non-zero on any failure.  The
guest runs under a host-side time limit and is always killed afterwards.
"""

import argparse
import ctypes
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
LIMIT_S = 900

# The guest's glibc stays off AVX: its upper register halves are not
# kept across the guest's context switches (see no_xstate()).
GUEST_TUNABLES = ("GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,"
                  "-AVX512BW,-AVX512VL,-AVX512DQ,-AVX512CD,"
                  "-AVX_Fast_Unaligned_Load")


def no_xstate():
    """Before exec'ing linux.uml: make its PTRACE_GETREGSET of
    NT_X86_XSTATE fail (EIO), so that it saves and restores its
    processes' FP registers with PTRACE_GETFPREGS/SETFPREGS.  UML 6.1
    (Debian 12) asks for the xstate in a fixed 832-byte buffer; on a
    host with AVX-512 the kernel wants the whole xstate in
    PTRACE_SETREGSET and refuses (EFAULT), and UML panics at its first
    process ("ptrace set fp regs failed, errno = 14").  A seccomp
    filter, from libc and the kernel's ABI alone."""
    def ins(code, jt, jf, k):
        return struct.pack("HBBI", code, jt, jf, k)
    LD, JEQ, RET = 0x20, 0x15, 0x06         # BPF_LD|W|ABS, JMP|JEQ|K, RET
    prog = b"".join([
        ins(LD, 0, 0, 4), ins(JEQ, 0, 7, 0xC000003E),   # arch x86_64
        ins(LD, 0, 0, 0), ins(JEQ, 0, 5, 101),          # ptrace
        ins(LD, 0, 0, 16), ins(JEQ, 0, 3, 0x4204),      # PTRACE_GETREGSET
        ins(LD, 0, 0, 32), ins(JEQ, 0, 1, 0x202),       # NT_X86_XSTATE
        ins(RET, 0, 0, 0x00050000 | 5),                 # ERRNO(EIO)
        ins(RET, 0, 0, 0x7FFF0000),                     # ALLOW
    ])
    buf = ctypes.create_string_buffer(prog)

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
       libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                  ctypes.byref(SockFprog(len(prog) // 8,
                                         ctypes.addressof(buf))), 0, 0):
        os.write(2, b"run.py: cannot install the seccomp filter\n")
        os._exit(127)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--client", default=os.path.join(HERE, "..", "..",
                                                     "pptp"))
    ap.add_argument("--compare", help="a second client: every scenario "
                    "runs for both, A then B, in the same guest")
    ap.add_argument("--pptpsetup", default=os.path.join(HERE, "..", "..",
                                                        "pptpsetup"))
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("scenarios", nargs="*")
    a = ap.parse_args()
    client = os.path.realpath(a.client)
    uml = shutil.which("linux.uml")
    missing = [p for p in ("linux.uml", "pppd", "pptpd", "tc", "ip")
               if shutil.which(p, path="/usr/bin:/usr/sbin:/bin:/sbin")
               is None]
    if missing or not os.path.exists(client):
        print(f"cannot run: missing {missing or client} (Debian: "
              "user-mode-linux ppp pptpd iproute2)")
        print("0 passed, 1 failed")
        return 1
    out = tempfile.mkdtemp(prefix="pptp-e2e-")
    os.chmod(out, 0o755)
    # The guest sees the host's files, but mounts its own /tmp and more:
    # what it runs comes from this directory, which it mounts as /mnt.
    for f in ("init.sh", "uml.py"):
        shutil.copy(os.path.join(HERE, f), out)
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
    cmd = [uml, "mem=768M", "rootfstype=hostfs", "rootflags=/", "ro",
           f"init={out}/init.sh", "con0=fd:0,fd:1", "con=null",
           f"E2E_OUT={out}", "E2E_DIR=/mnt",
           "E2E_CLIENT=/mnt/pptp-under-test",
           "E2E_PPTPSETUP=/mnt/pptpsetup-under-test",
           f"E2E_SCENARIOS={','.join(names)}", GUEST_TUNABLES] + extra
    # from a directory of its own: UML keeps state in the working directory
    p = subprocess.Popen(cmd, cwd=out, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True, preexec_fn=no_xstate)
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
    try:
        with open(os.path.join(out, "results.txt")) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        lines = []
    if a.demo:
        with open(os.path.join(out, "console.log")) as f:
            sys.stdout.write(f.read())
    passed = sum(l.startswith("PASS") for l in lines)
    failed = sum(l.startswith("FAIL") for l in lines)
    for l in lines:
        if not a.demo:
            print(l)
        if l.startswith("FAIL"):
            name = l.split()[1]
            log = os.path.join(out, f"{name}.log")
            if os.path.exists(log):
                with open(log) as f:
                    print(f.read())
    want = len(names) * (2 if a.compare else 1) if names else None
    if timed_out or not lines or (want and passed + failed < want):
        print(f"the guest did not finish{' in time' if timed_out else ''};"
              " its console said:")
        print(console.decode("utf-8", "replace")[-3000:])
        try:
            with open(os.path.join(out, "console.log")) as f:
                print(f.read()[-3000:])
        except FileNotFoundError:
            pass
        failed += 1
    if not a.demo:
        print(f"{passed} passed, {failed} failed")
    shutil.rmtree(out, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

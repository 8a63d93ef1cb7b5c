#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The integration tests' runner: the pptp client against fakepptpd,
each test in two network namespaces of its own (tests/harness.py), with
the test playing pppd on the client's stdin/stdout.  Needs root.

The tests live in this directory by topic (TOPICS, run in that order,
each file's tests in the order written).  Prints PASS/FAIL per test and
a closing "N passed, N failed" line; exits non-zero if anything failed.
Run some tests alone: run.py ... NAME...
"""

import argparse
import difflib
import importlib
import os
import sys
import time
import traceback

sys.dont_write_bytecode = True     # no __pycache__ left in the tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))      # tests/: the harness

import harness  # noqa: E402

# where a test belongs: the file of its topic
TOPICS = [
    "control",      # the control connection
    "data",         # the data path: GRE and pppd's HDLC frames
    "tunnels",      # several tunnels, shared call managers, routes
    "status",       # pptp --status
    "rendezvous",   # run directory, the call manager's socket, peers
    "command",      # launch mode, host routes, options, signals, titles
    "standalone",   # as pppd's own command: life, statuses, syslog
    "privileges",   # the sandbox (pptp(8) SECURITY)
    "diagnose",     # pptp --diagnose HOST
]


def load():
    """Every test, in order: {name: topic} and the functions."""
    where = {}
    for topic in TOPICS:
        before = len(harness.TESTS)
        importlib.import_module(topic)
        for t in harness.TESTS[before:]:
            assert t.__name__ not in where, f"two tests {t.__name__}"
            where[t.__name__] = topic
    return where, list(harness.TESTS)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pptp", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--pptp-hooks", help="pptp built with test_pause()")
    ap.add_argument("--probe", help="tests/sysprobe.c, built")
    ap.add_argument("--sanitized", action="store_true",
                    help="SANITIZE=1 build: its sandbox lets the leak "
                    "checker open /proc and trace (sandbox.c)")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    harness.configure(pptp=a.pptp, server=a.server, hooks=a.pptp_hooks,
                      probe=a.probe, sanitized=a.sanitized)
    where, tests = load()
    unknown = [n for n in a.names if n not in where]
    if unknown:
        for n in unknown:
            like = difflib.get_close_matches(n, list(where), 3, 0.5)
            print(f"no such test: {n}" +
                  (f" (did you mean {', '.join(like)}?)" if like else ""))
        print("the tests are the @test functions of tests/integration/"
              "*.py")
        return 2
    if os.geteuid() != 0:
        print("integration tests need root (network namespaces, raw "
              "sockets)")
        print("0 passed, 1 failed")
        return 1
    harness.become_subreaper()
    chosen = [t for t in tests if not a.names or t.__name__ in a.names]
    passed = failed = 0
    for t in chosen:
        env = harness.Env(t.__name__)
        t0 = time.monotonic()
        try:
            t(env)
            passed += 1
            print(f"PASS {t.__name__} ({time.monotonic() - t0:.1f} s)",
                  flush=True)
        except Exception as e:
            failed += 1
            print(f"FAIL {t.__name__} ({where[t.__name__]}): {e!r}",
                  flush=True)
            traceback.print_exc(limit=3)
            harness.print_logs(env)
        finally:
            env.close()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

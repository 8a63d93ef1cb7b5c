# SPDX-License-Identifier: GPL-2.0-or-later
"""The loop the test scripts share: run each test (or those named), one
PASS/FAIL line each, then the closing "N passed, N failed" line."""

import sys
import time
import traceback

TESTS = []


def test(fn):
    """@test: a test of the script, run in the order written."""
    TESTS.append(fn)
    return fn


class Fail(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Fail(what)


def run(tests, names=(), quiet=(AssertionError,)):
    """Run tests; a test may return a detail for its PASS line.  An
    exception of a quiet class is reported by its words alone, any other
    with its traceback.  Returns the exit status: 1 if any failed."""
    passed = failed = 0
    for t in tests:
        if names and t.__name__ not in names:
            continue
        t0 = time.monotonic()
        try:
            detail = t()
            passed += 1
            print(f"PASS {t.__name__}" + (f": {detail}" if detail else "")
                  + f" ({time.monotonic() - t0:.1f} s)", flush=True)
        except Exception as e:
            failed += 1
            print(f"FAIL {t.__name__}: {e}", flush=True)
            if not isinstance(e, quiet):
                traceback.print_exc(limit=3, file=sys.stdout)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0

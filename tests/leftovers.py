# SPDX-License-Identifier: GPL-2.0-or-later
"""The one "nothing left behind" check: once pptp has ended, none of its
processes, run-directory files, host-route lock files or host routes
may remain.  Shared by the integration tests (tests/harness.py's
no_leftovers), tests/chaos.py and the end-to-end scenarios inside
User-Mode Linux (tests/e2e/guest.py; tests/e2e/run.py copies this file
into the guest).

Each side says how to look (it alone knows where its run directory and
routes are, and how to list its pptp processes); this module waits for
the processes to go, then looks once more and names what is left.
Pure Python, nothing run: the guest has the same python3 as the host.
"""

import time

# what each listing is called in a complaint
WHAT = {
    "procs": "pptp processes left",
    "files": "files left in the run directory",
    "locks": "route locks left",
    "routes": "host routes left",
    "netns": "network namespaces left",
}


def complaints(listing):
    """listing: {kind: what is there} for kinds of WHAT (a list, or a
    string such as `ip route` prints); one phrase per kind not empty."""
    out = []
    for kind, what in listing.items():
        if kind not in WHAT:
            raise ValueError(f"no such kind of leftover: {kind}")
        if isinstance(what, str):
            what = what.strip()
        if what:
            out.append(f"{WHAT[kind]}: {what}")
    return out


def left_behind(look, timeout=3, step=0.05, tick=None):
    """What is left, [] if nothing: look() returns a listing (see
    complaints()); its processes have until timeout to go (tick(), if
    given, runs between looks: the host reaps its orphans there)."""
    end = time.monotonic() + timeout
    while True:
        if tick:
            tick()
        listing = look()
        if not listing.get("procs") or time.monotonic() >= end:
            return complaints(listing)
        time.sleep(step)

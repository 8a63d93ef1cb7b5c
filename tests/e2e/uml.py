#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end scenarios, run inside the User-Mode Linux guest (init.sh):
the real poptop server (pptpd, with its own pppd) in namespace srv at
192.0.2.1, the real pppd with the client under test in namespace cli at
192.0.2.2, MS-CHAPv2 and MPPE-128 negotiated through the tunnel.

This file runs them: the scenarios named in E2E_SCENARIOS (none: all
but those the real server cannot pass), each for the client under test
and, with E2E_COMPARE, for a second one.  It writes one "PASS name
detail" / "FAIL name detail" line per scenario to /mnt/results.txt, and
each failed scenario's logs to /mnt/NAME.log.  With "demo" as the only
scenario it narrates one tunnel for a person (demo.py).

What the scenarios share is in guest.py; the scenarios are in files by
topic, imported here in the order they run.
"""

import os
import threading
import time

import basics
import diagnose
import ending
import network
import startup
from demo import demo, say
import guest
from guest import (SERVER_CANNOT, cfg, read, syslog_listener, world_down,
                   world_up)

# The topics, in the order their scenarios run; in each, the order it
# defines them (importing a topic registers its scenarios in guest).
TOPICS = (basics, ending, diagnose, network, startup)
SCENARIOS = {name: fn for topic in TOPICS
             for name, fn in guest.SCENARIOS.items()
             if fn.__module__ == topic.__name__}
if len(SCENARIOS) != len(guest.SCENARIOS):
    raise ImportError("scenarios of a topic not in TOPICS: "
                      f"{sorted(set(guest.SCENARIOS) - set(SCENARIOS))}")


def main():
    threading.Thread(target=syslog_listener, daemon=True).start()
    time.sleep(0.2)
    names = [n for n in os.environ.get("E2E_SCENARIOS", "").split(",") if n]
    if names == ["demo"]:
        try:
            world_up()
            line = f"PASS demo {demo()}"
        except Exception as e:
            say(f"   failed: {e}")
            for path in ("/tmp/pppd.log", "/tmp/server-ppp.log"):
                tail = read(path).splitlines()[-12:]
                if tail:
                    say(f"   the end of {path}:")
                    say("\n".join("     " + l for l in tail))
            line = f"FAIL demo {e}"
        with open(f"{cfg.out}/results.txt", "w") as f:
            f.write(line + "\n")
        return
    # scenarios named are run; none named: all but those the real server
    # cannot pass, which are reported as not run
    not_run = {} if names else SERVER_CANNOT
    if not names:
        names = [n for n in SCENARIOS if n not in SERVER_CANNOT]
        for n, why in not_run.items():
            print(f"NOT RUN {n}: {why}", flush=True)
    clients = [("", cfg.client)]
    if os.environ.get("E2E_COMPARE"):
        clients = [("[A] ", cfg.client),
                   ("[B] ", os.environ["E2E_COMPARE"])]
    with open(f"{cfg.out}/results.txt", "w") as res:
        for n, why in not_run.items():
            res.write(f"NOT RUN {n}: {why}\n")
        for name, (label, client) in ((n, c) for n in names
                                      for c in clients):
            cfg.client = client
            fn = SCENARIOS.get(name)
            if fn is None:
                res.write(f"FAIL {name} no such scenario\n")
                continue
            cfg.syslog.clear()
            t = time.monotonic()
            try:
                world_up()
                detail = fn()
                line = (f"PASS {name} {label}{detail} "
                        f"({time.monotonic() - t:.0f} s)")
            except Exception as e:
                line = f"FAIL {name} {label}{e}"
                with open(f"{cfg.out}/{name}.log", "a") as f:
                    f.write(f"=== {label or name}\n")
                    for path in ("/tmp/pppd.log", "/tmp/pppd-a.log",
                                 "/tmp/pppd-b.log", "/tmp/pppd-c.log",
                                 "/tmp/launch.log",
                                 "/tmp/peers.log", "/tmp/server-ppp.log"):
                        text = read(path)
                        if text:
                            f.write(f"--- {path} (tail)\n")
                            f.write("\n".join(text.splitlines()[-25:]))
                            f.write("\n")
                    f.write("--- syslog: pptp, pptpd (tail)\n")
                    f.write("\n".join(l for _, l in cfg.syslog[-60:]) + "\n")
            finally:
                world_down()
            print(line, flush=True)
            res.write(line + "\n")
            res.flush()


if __name__ == "__main__":
    main()

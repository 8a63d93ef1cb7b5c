#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Installing pptp: make install / make uninstall into a DESTDIR (the
exact list of files before and after), and make deb: its control fields,
its files, lintian, and dpkg installing it into a scratch root (never
this machine's), in place of a stand-in pptp-linux, where the installed
binaries run.  Uses make, dpkg-dev, dpkg and lintian.

Prints PASS/FAIL per test and a closing "N passed, N failed" line; exits
non-zero if anything failed.  Run some: package.py NAME...
"""

import gzip
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

import runlib
from runlib import TESTS, Fail, need, test

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
# make's own variables would leak into ours (SANITIZE=1 from make check)
ENV = {k: v for k, v in os.environ.items()
       if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}


def run(cmd, ok=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV,
                       timeout=600, **kw)
    if ok:
        need(r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}: "
             f"{(r.stdout + r.stderr).strip()[-800:]}")
    return r


def make(*args):
    return run(["make", "--no-print-directory", "-C", TOP,
                "B=build/pkgtest"] + list(args))


def version():
    with open(os.path.join(TOP, "Makefile")) as f:
        return re.search(r"^VERSION\s*:=\s*(\S+)", f.read(), re.M).group(1)


def files(root):
    """Every file (not directory) under root: path -> (mode, bytes)."""
    out = {}
    for top, _, names in os.walk(root):
        for n in names:
            p = os.path.join(top, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, root)] = (
                    stat.S_IMODE(os.lstat(p).st_mode), f.read())
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


# --- make install / uninstall ---------------------------------------------

def installed(prefix):
    p = prefix.lstrip("/")
    return {f"{p}/sbin/pptp": 0o755, f"{p}/sbin/pptpsetup": 0o755,
            f"{p}/share/man/man8/pptp.8": 0o644,
            f"{p}/share/man/man8/pptpsetup.8": 0o644,
            "etc/ppp/options.pptp": 0o644}


@test
def install_then_uninstall_leaves_nothing():
    for prefix in (None, "/usr", "/opt/pptp"):
        d = tempfile.mkdtemp(prefix="pptp-destdir-")
        try:
            args = [f"DESTDIR={d}"] + ([f"PREFIX={prefix}"] if prefix
                                       else [])
            make("install", *args)
            got = files(d)
            want = installed(prefix or "/usr/local")
            need({k: v[0] for k, v in got.items()} == want,
                 f"PREFIX={prefix}: installed {sorted(got)} with modes "
                 f"{[oct(v[0]) for v in got.values()]}, want {want}")
            need(got["etc/ppp/options.pptp"][1] == read(
                os.path.join(TOP, "etc/options.pptp")), "options.pptp")
            sbin = os.path.join(d, (prefix or "/usr/local").lstrip("/"),
                                "sbin")
            r = run([os.path.join(sbin, "pptp"), "--version"])
            need(r.stdout.strip() == f"pptp version {version()}", r.stdout)
            # pptpsetup names the pptp installed beside it
            r = run([os.path.join(sbin, "pptpsetup"), "--help"])
            need(f"(default {prefix or '/usr/local'}/sbin/pptp)"
                 in r.stdout, f"PREFIX={prefix}: {r.stdout}")
            make("uninstall", *args)
            need(files(d) == {}, f"left by uninstall: {sorted(files(d))}")
        finally:
            shutil.rmtree(d)


@test
def install_keeps_what_was_there():
    d = tempfile.mkdtemp(prefix="pptp-destdir-")
    try:
        theirs = {"etc/ppp/options.pptp": b"# the admin's own\nlock\n",
                  "etc/ppp/options": b"lock\n",
                  "usr/local/sbin/other": b"#!/bin/sh\n"}
        for p, data in theirs.items():
            os.makedirs(os.path.dirname(os.path.join(d, p)), exist_ok=True)
            with open(os.path.join(d, p), "wb") as f:
                f.write(data)
        before = files(d)
        r = make("install", f"DESTDIR={d}")
        need("kept the existing" in r.stdout, f"said: {r.stdout}")
        after = files(d)
        need(after["etc/ppp/options.pptp"][1] == theirs[
            "etc/ppp/options.pptp"], "an existing options.pptp replaced")
        need(set(after) == set(before) | set(installed("/usr/local")),
             f"installed: {sorted(after)}")
        r = make("uninstall", f"DESTDIR={d}")
        need("kept" in r.stdout, f"said: {r.stdout}")
        need(files(d) == before, f"after uninstall: {sorted(files(d))}, "
             f"before install: {sorted(before)}")
        # installed by us, then changed: uninstall keeps it too
        os.unlink(os.path.join(d, "etc/ppp/options.pptp"))
        make("install", f"DESTDIR={d}")
        with open(os.path.join(d, "etc/ppp/options.pptp"), "a") as f:
            f.write("debug\n")
        make("uninstall", f"DESTDIR={d}")
        left = set(files(d)) - set(before)
        need(left == set() and os.path.exists(
            os.path.join(d, "etc/ppp/options.pptp")),
             f"a changed options.pptp: left {left}")
    finally:
        shutil.rmtree(d)


# --- make deb ----------------------------------------------------------------

DEB = None


def deb():
    """make deb, once; the path of the package."""
    global DEB
    if DEB is None:
        r = run(["make", "--no-print-directory", "-C", TOP, "deb"])
        DEB = os.path.join(TOP, r.stdout.strip().splitlines()[-1])
        need(os.path.exists(DEB), f"make deb said {r.stdout!r}")
    return DEB


DEB_FILES = {
    "etc/ppp/options.pptp": 0o644,
    "usr/sbin/pptp": 0o755,
    "usr/sbin/pptpsetup": 0o755,
    "usr/share/doc/pptp/NEWS.gz": 0o644,
    "usr/share/doc/pptp/README.gz": 0o644,
    "usr/share/doc/pptp/changelog.gz": 0o644,
    "usr/share/doc/pptp/copyright": 0o644,
    "usr/share/man/man8/pptp.8.gz": 0o644,
    "usr/share/man/man8/pptpsetup.8.gz": 0o644,
}


@test
def deb_control_fields():
    p = deb()
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    need(os.path.basename(p) == f"pptp_{version()}_{arch}.deb", p)
    f = {}
    for line in run(["dpkg-deb", "-f", p]).stdout.splitlines():
        if not line.startswith(" "):
            k, _, v = line.partition(": ")
            f[k] = v
    want = {"Package": "pptp", "Version": version(), "Architecture": arch,
            "Provides": "pptp-linux", "Conflicts": "pptp-linux",
            "Replaces": "pptp-linux", "Section": "net",
            "Priority": "optional"}
    for k, v in want.items():
        need(f.get(k) == v, f"{k}: {f.get(k)!r}, want {v!r}")
    deps = [d.strip() for d in f.get("Depends", "").split(",")]
    need("ppp" in deps, f"Depends {deps} lacks ppp")
    libc = [d for d in deps if re.fullmatch(r"libc6 \(>= [\d.]+\)", d)]
    need(len(libc) == 1, f"Depends {deps}: no versioned libc6")
    need(f.get("Maintainer") and f.get("Description")
         and int(f.get("Installed-Size", "0")) > 0, f"fields {f}")
    conffiles = run(["sh", "-c", f"dpkg-deb -I '{p}' conffiles"]).stdout
    need(conffiles == "/etc/ppp/options.pptp\n", f"conffiles {conffiles!r}")


@test
def deb_files():
    p = deb()
    with tempfile.TemporaryDirectory() as d:
        run(["dpkg-deb", "-x", p, d])
        got = files(d)
        need({k: v[0] for k, v in got.items()} == DEB_FILES,
             f"files {sorted((k, oct(v[0])) for k, v in got.items())}")
        listing = run(["dpkg-deb", "-c", p]).stdout
        need(all(" root/root " in l for l in listing.splitlines()),
             "not all files owned by root/root")
        need(got["etc/ppp/options.pptp"][1] == read(
            os.path.join(TOP, "etc/options.pptp")), "options.pptp")
        for m in ("pptp", "pptpsetup"):
            need(gzip.decompress(got[f"usr/share/man/man8/{m}.8.gz"][1])
                 == read(os.path.join(TOP, f"man/{m}.8")), f"{m}.8")
        # the user's README and NEWS, not the developers' documents
        for doc in ("README", "NEWS"):
            need(gzip.decompress(got[f"usr/share/doc/pptp/{doc}.gz"][1])
                 == read(os.path.join(TOP, doc)), f"{doc}.gz")
        cl = gzip.decompress(got["usr/share/doc/pptp/changelog.gz"][1])
        need(cl.startswith(f"pptp ({version()}) ".encode()), cl[:60])
        cr = got["usr/share/doc/pptp/copyright"][1].decode()
        need("GPL-2.0-or-later" in cr and
             "/usr/share/common-licenses/GPL-2" in cr, "copyright")
        r = run(["file", "-b", os.path.join(d, "usr/sbin/pptp")])
        need("ELF" in r.stdout and "stripped" in r.stdout
             and "not stripped" not in r.stdout, r.stdout)
        sums = run(["sh", "-c", f"dpkg-deb -I '{p}' md5sums"]).stdout
        for line in sums.splitlines():
            h, path = line.split(None, 1)
            need(hashlib.md5(got[path][1]).hexdigest() == h,
                 f"md5sums: {path}")
        need(len(sums.splitlines()) == len(DEB_FILES), "md5sums count")


@test
def deb_lintian_clean():
    p = deb()
    r = run(["lintian", "--allow-root", "-I", "-E", "--pedantic",
             "--fail-on", "error,warning,info,pedantic", p], ok=False)
    tags = [l for l in r.stdout.splitlines() if not l.startswith("C: ")]
    need(r.returncode == 0 and not tags,
         f"lintian (exit {r.returncode}): {tags or r.stderr}")


def fake_deb(d, name, **fields):
    """A stand-in package, built with dpkg-deb: fields, and files."""
    root = os.path.join(d, name)
    shipped = fields.pop("files", {})
    os.makedirs(os.path.join(root, "DEBIAN"))
    for path, data in shipped.items():
        os.makedirs(os.path.dirname(os.path.join(root, path)),
                    exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(data)
        os.chmod(os.path.join(root, path), 0o755 if "/sbin/" in path
                 else 0o644)
    with open(os.path.join(root, "DEBIAN", "control"), "w") as f:
        f.write(f"Package: {name}\nVersion: 1.0\nArchitecture: all\n"
                "Maintainer: test <test@example.org>\n"
                f"Description: stand-in for {name}\n")
        for k, v in fields.items():
            f.write(f"{k}: {v}\n")
    if "etc/ppp/options.pptp" in shipped:
        with open(os.path.join(root, "DEBIAN", "conffiles"), "w") as f:
            f.write("/etc/ppp/options.pptp\n")
    out = os.path.join(d, f"{name}.deb")
    run(["dpkg-deb", "--root-owner-group", "--build", root, out])
    return out


class Root:
    """A scratch root that dpkg installs into: --root, its own database,
    no maintainer scripts of ours run on this machine."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="pptp-root-")
        for p in ("var/lib/dpkg/info", "var/lib/dpkg/updates",
                  "var/lib/dpkg/triggers"):
            os.makedirs(os.path.join(self.path, p))
        open(os.path.join(self.path, "var/lib/dpkg/status"), "w").close()

    def dpkg(self, *args, ok=True):
        # ppp and libc6 are not in the scratch database
        return run(["dpkg", f"--root={self.path}", "--log=/dev/null",
                    "--force-depends", "--force-not-root",
                    "--path-exclude=/nothing"] + list(args), ok=ok)

    def status(self, pkg):
        r = self.dpkg("-s", pkg, ok=False)
        m = re.search(r"^Status: (.*)$", r.stdout, re.M)
        return m.group(1) if m else "not installed"

    def p(self, path):
        return os.path.join(self.path, path.lstrip("/"))

    def close(self):
        shutil.rmtree(self.path)


@test
def deb_installs_into_a_scratch_root():
    p = deb()
    root = Root()
    try:
        root.dpkg("-i", p)
        need(root.status("pptp") == "install ok installed",
             root.status("pptp"))
        listed = {l.lstrip("/") for l in
                  root.dpkg("-L", "pptp").stdout.splitlines()
                  if os.path.isfile(root.p(l))}
        need(listed == set(DEB_FILES), f"dpkg -L: {sorted(listed)}")
        r = run([root.p("/usr/sbin/pptp"), "--version"])
        need(r.stdout.strip() == f"pptp version {version()}", r.stdout)
        r = run([root.p("/usr/sbin/pptpsetup"), "--version"])
        need(r.stdout.strip() == f"pptpsetup version {version()}",
             r.stdout)
        r = run([root.p("/usr/sbin/pptpsetup"), "--help"])
        need("(default /usr/sbin/pptp)" in r.stdout, r.stdout)
        s = root.dpkg("-s", "pptp").stdout
        need(re.search(r"^Conffiles:\n /etc/ppp/options.pptp [0-9a-f]{32}",
                       s, re.M), f"conffile not registered: {s}")
        # a changed conffile survives reinstalling and removing
        with open(root.p("/etc/ppp/options.pptp"), "a") as f:
            f.write("debug\n")
        root.dpkg("--force-confold", "-i", p)
        need(read(root.p("/etc/ppp/options.pptp")).endswith(b"debug\n"),
             "reinstalling replaced a changed options.pptp")
        root.dpkg("-r", "pptp")
        need(not os.path.exists(root.p("/usr/sbin/pptp"))
             and os.path.exists(root.p("/etc/ppp/options.pptp")),
             "remove: binary left or conffile gone")
        root.dpkg("--purge", "pptp")
        left = [k for k in files(root.path) if not k.startswith("var/")]
        need(not left, f"left after purge: {left}")
    finally:
        root.close()


@test
def deb_takes_the_place_of_pptp_linux():
    p = deb()
    root = Root()
    d = tempfile.mkdtemp(prefix="pptp-fake-")
    try:
        classic = fake_deb(d, "pptp-linux", files={
            "usr/sbin/pptp": "#!/bin/sh\necho classic\n",
            "etc/ppp/options.pptp": "lock\n"})
        nm = fake_deb(d, "network-manager-pptp", Depends="pptp-linux")
        root.dpkg("-i", classic)
        with open(root.p("/etc/ppp/options.pptp"), "a") as f:
            f.write("# changed by the admin\n")
        root.dpkg("--force-confold", "-i", p)
        need(root.status("pptp-linux") in ("not installed",
                                           "deinstall ok config-files",
                                           "install ok config-files"),
             f"pptp-linux: {root.status('pptp-linux')}")
        need(root.status("pptp") == "install ok installed",
             root.status("pptp"))
        r = run([root.p("/usr/sbin/pptp"), "--version"])
        need(r.stdout.startswith("pptp version"), f"/usr/sbin/pptp: {r!r}")
        need(read(root.p("/etc/ppp/options.pptp")) ==
             b"lock\n# changed by the admin\n",
             "the admin's options.pptp was not kept")
        # what depends on pptp-linux installs over pptp: dpkg's own
        # dependency check, without --force-depends
        r = run(["dpkg", f"--root={root.path}", "--log=/dev/null",
                 "--force-not-root", "-i", nm], ok=False)
        need(r.returncode == 0, f"network-manager-pptp stand-in: "
             f"{r.stdout}{r.stderr}")
        # going back, as INSTALL says: remove pptp (and
        # network-manager-pptp's need is met again by pptp-linux)
        root.dpkg("-r", "network-manager-pptp", "pptp")
        root.dpkg("--force-confold", "-i", classic)
        need(root.status("pptp-linux") == "install ok installed",
             root.status("pptp-linux"))
        r = run([root.p("/usr/sbin/pptp")])
        need(r.stdout == "classic\n", "the classic /usr/sbin/pptp is "
             "not back")
        need(read(root.p("/etc/ppp/options.pptp")) ==
             b"lock\n# changed by the admin\n",
             "going back lost the admin's options.pptp")
        # pptp-linux's options.pptp unchanged: ours replaces it, no
        # question asked (stdin is not a terminal here: a prompt fails)
        root.close()
        root = Root()
        root.dpkg("-i", classic)
        root.dpkg("-i", p)
        need(read(root.p("/etc/ppp/options.pptp")) == read(
            os.path.join(TOP, "etc/options.pptp")),
             "an unchanged pptp-linux options.pptp was not replaced")
    finally:
        root.close()
        shutil.rmtree(d)


def main():
    names = sys.argv[1:]
    unknown = [n for n in names if n not in [t.__name__ for t in TESTS]]
    if unknown:
        print(f"no such test: {' '.join(unknown)}")
        print("0 passed, 1 failed")
        return 1
    missing = [p for p in ("make", "dpkg", "dpkg-deb", "dpkg-shlibdeps",
                           "lintian", "file")
               if shutil.which(p) is None]
    if missing:
        print(f"cannot run: missing {' '.join(missing)} (Debian: make "
              "dpkg dpkg-dev lintian file)")
        print("0 passed, 1 failed")
        return 1
    return runlib.run(TESTS, names, (Fail, AssertionError))


if __name__ == "__main__":
    sys.exit(main())

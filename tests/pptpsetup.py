#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pptpsetup's tests: what it writes, read back by the real pppd; hostile
and odd input; atomic replacement, modes, locking; create and delete
round trips byte for byte.  Every run uses a directory of its own
(--dir); pppd reads it in a private mount namespace where it is bound
over /etc/ppp, with a stand-in /dev/ppp so that `pppd ... dryrun` gets
as far as printing the options it parsed (this kernel has no PPP).
Needs root (unshare -m), pppd (Debian ppp) and unshare (util-linux).

Prints PASS/FAIL per test and a closing "N passed, N failed" line; exits
non-zero if anything failed.  Run some: pptpsetup.py ... NAME...
"""

import argparse
import os
import pty
import random
import shutil
import stat
import subprocess
import sys
import tempfile
import termios
import time

import runlib
from runlib import TESTS, Fail, need, test

SETUP = OPTIONS = None


# --- a world of our own -------------------------------------------------------

class Dir:
    """A stand-in /etc/ppp: empty options, the example options.pptp,
    chap-secrets with other people's entries, and a peers directory."""

    OTHERS = ('# Secrets for authentication using CHAP\n'
              '# client\tserver\tsecret\tIP addresses\n'
              'alice\tserver1\t"alice pw"\t*\n'
              '"bob x"  office  b0b  10.0.0.7\n')

    def __init__(self, secrets=OTHERS, options_pptp=True):
        self.path = tempfile.mkdtemp(prefix="pptpsetup-test-")
        os.chmod(self.path, 0o755)
        open(self.p("options"), "w").close()
        os.mkdir(self.p("peers"))
        if options_pptp:
            shutil.copy(OPTIONS, self.p("options.pptp"))
        if secrets is not None:
            with open(self.p("chap-secrets"), "w") as f:
                f.write(secrets)
            os.chmod(self.p("chap-secrets"), 0o600)

    def p(self, *names):
        return os.path.join(self.path, *names)

    def read(self, *names):
        with open(self.p(*names), "rb") as f:
            return f.read()

    def snapshot(self):
        """Every file and directory: type, mode, owner and bytes."""
        out = {}
        for top, dirs, files in os.walk(self.path):
            for n in dirs + files:
                path = os.path.join(top, n)
                st = os.lstat(path)
                rel = os.path.relpath(path, self.path)
                data = (self.read(rel) if stat.S_ISREG(st.st_mode) else
                        os.readlink(path) if stat.S_ISLNK(st.st_mode)
                        else None)
                out[rel] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(
                    st.st_mode), st.st_uid, st.st_gid, data)
        return out

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)


def setup(d, *args, env=None, **kw):
    e = {k: v for k, v in os.environ.items() if k != "PPTPSETUP_DIR"}
    e.update(env or {})
    return subprocess.run([SETUP] + (["--dir", d.path] if d else [])
                          + list(args), capture_output=True, text=True,
                          env=e, timeout=20, **kw)


def create(d, tunnel="work", server="vpn.example.com", user="joe",
           password="secret", *extra):
    r = setup(d, "--create", tunnel, "--server", server, "--username",
              user, "--password", password, "--pptp", "/usr/sbin/pptp",
              *extra)
    need(r.returncode == 0, f"--create {tunnel!r} exited {r.returncode}: "
         f"{r.stderr.strip()}")
    return r


def refused(d, args, words):
    """pptpsetup refuses args with exit 2, one line naming the problem,
    and leaves the directory as it was."""
    before = d.snapshot()
    r = setup(d, *args)
    need(r.returncode == 2, f"{args!r}: exit {r.returncode}, want 2 "
         f"({r.stderr.strip()!r})")
    lines = r.stderr.strip().splitlines()
    need(len(lines) == 1 and lines[0].startswith("pptpsetup: ")
         and words in lines[0], f"{args!r}: said {r.stderr!r}, want one "
         f"line with {words!r}")
    need(d.snapshot() == before, f"{args!r}: the directory changed")


# --- the real pppd reads what was written ----------------------------------

NS_PREAMBLE = """set -e
mount -t tmpfs none /dev
mknod /dev/null c 1 3
mknod /dev/ppp c 1 3
mknod /dev/zero c 1 5
mount --bind "$D" /etc/ppp
export HOME="$D"
"""


def in_ns(d, script, args=(), text=True):
    """script under sh in a private mount namespace, d over /etc/ppp;
    args are its $1 ..."""
    return subprocess.run(["unshare", "-m", "--propagation=private",
                           "sh", "-c", NS_PREAMBLE + script, "sh"]
                          + list(args), capture_output=True, text=text,
                          env=dict(os.environ, D=d.path), timeout=30)


def unescape(v):
    """A value as pppd prints it (\\, \\" and \\xHH escapes) to its
    bytes, as text."""
    out, i = bytearray(), 0
    while i < len(v):
        if v[i:i + 2] == b"\\x" and len(v) >= i + 4:
            out.append(int(v[i + 2:i + 4], 16))
            i += 4
            continue
        if v[i:i + 1] == b"\\" and i + 1 < len(v):
            i += 1
        out.append(v[i])
        i += 1
    return out.decode()


def pppd_options(d, args):
    """The options pppd says it parsed: {name: (value, from)}."""
    r = in_ns(d, 'exec pppd "$@" dryrun', args=args, text=False)
    need(r.returncode == 0 and b"pppd options in effect:" in r.stdout,
         f"pppd {' '.join(args)} dryrun: exit {r.returncode}: "
         f"{(r.stdout + r.stderr).strip()[-500:]!r}")
    opts = {}
    for line in r.stdout.splitlines()[1:]:
        left, _, src = line.partition(b"\t\t# (from ")
        name, _, value = left.partition(b" ")
        opts[name.decode()] = (unescape(value), src.decode().rstrip(")"))
    return opts


def pppd_has_secret(d, client, server):
    """Whether pppd, authenticating client as server, finds a secret
    (a whole line: the address field after the secret must parse)."""
    r = in_ns(d, 'exec pppd auth require-mschap-v2 name "$1" remotename '
              '"$2" pty true dryrun', args=(server, client))
    if r.returncode == 0:
        return True
    need("couldn't find any suitable secret" in r.stderr,
         f"pppd: {r.stderr.strip()[-300:]}")
    return False


def raw_words(line):
    """The raw words of a line as pptpsetup writes it (bare, or in double
    quotes with backslash escapes): where each begins and ends."""
    words, i = [], 0
    while i < len(line):
        if line[i] in " \t":
            i += 1
            continue
        j = i
        if line[i] == '"':
            j += 1
            while j < len(line) and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            j += 1
        else:
            while j < len(line) and line[j] not in " \t":
                j += 1
        words.append(line[i:j])
        i = j
    return words


def secret_as_pppd_reads_it(d, tunnel):
    """The client, server and secret words of tunnel's chap-secrets line,
    each given to pppd as an option value and read back by it."""
    lines = [l for l in d.read("chap-secrets").decode().splitlines()
             if len(raw_words(l)) > 1 and raw_words(l)[1] == tunnel]
    need(len(lines) == 1, f"lines for {tunnel}: {lines!r}")
    w = raw_words(lines[0])
    need(len(w) == 4 and w[3] == "*", f"line {lines[0]!r}: words {w!r}")
    with open(d.p("probe"), "w") as f:
        f.write(f"name {w[0]}\nremotename {w[1]}\nipparam {w[2]}\n")
    try:
        o = pppd_options(d, ["file", "/etc/ppp/probe", "pty", "true"])
    finally:
        os.unlink(d.p("probe"))
    return o["name"][0], o["remotename"][0], o["ipparam"][0]


# --- tests ----------------------------------------------------------------------

@test
def create_writes_what_pppd_reads():
    d = Dir()
    try:
        before = d.read("chap-secrets")
        r = create(d, "work", "vpn.example.com", "joe", "secret",
                   "--encrypt")
        need("peers/work" in r.stdout, f"stdout: {r.stdout!r}")
        o = pppd_options(d, ["call", "work"])
        peer = "/etc/ppp/peers/work"
        want = {"pty": ("/usr/sbin/pptp vpn.example.com --nolaunchpppd",
                        peer),
                "name": ("joe", peer), "remotename": ("work", peer),
                "ipparam": ("work", peer),
                "require-mppe-128": ("", peer)}
        for k, v in want.items():
            need(o.get(k) == v, f"pppd read {k} {o.get(k)!r}, want {v!r}")
        # the example options.pptp is read, and says what it should
        for k in ("noauth", "refuse-pap", "refuse-eap", "refuse-chap",
                  "refuse-mschap", "nobsdcomp", "nodeflate"):
            need(o.get(k, ("", ""))[1] == "/etc/ppp/options.pptp",
                 f"{k} not read from options.pptp: {o.get(k)}")
        need(pppd_has_secret(d, "joe", "work"), "pppd finds no secret for "
             "joe at work")
        need(secret_as_pppd_reads_it(d, "work") == ("joe", "work",
                                                    "secret"),
             "the secret line reads back wrong")
        need(pppd_has_secret(d, "alice", "server1")
             and pppd_has_secret(d, "bob x", "office"),
             "the other entries are gone for pppd")
        need(d.read("chap-secrets").startswith(before),
             "the other entries changed")
        r = setup(d, "--create", "plain", "--server", "10.1.2.3",
                  "--username", "u", "--password", "p")
        need(r.returncode == 0, r.stderr)
        o = pppd_options(d, ["call", "plain"])
        need("require-mppe-128" not in o, "require-mppe-128 without "
             "--encrypt")
        need(o["pty"][0].endswith("/pptp 10.1.2.3 --nolaunchpppd"),
             f"pty {o['pty']}")
    finally:
        d.close()


HOSTILE = [
    # (user, domain, password)
    ("joe smith", None, "pass word"),
    ('jo"e', None, 'pa"ss'),
    ("jo'e", None, "pa'ss"),
    ("j\\oe", None, "a\\b\\"),
    ("joe", "CORP", "#not a comment"),
    ("x#y", "MY DOMAIN", "p#w"),
    ("joe", None, "\\n\\t\\x41\\101\\s"),
    ("CORP\\joe", None, "$(reboot) `id` ; | & > <"),
    (" lead", None, " trail "),
    ("ünïcødé", "dömäin", "pässwörd €"),
    ("-joe", None, "-- --nolaunchpppd"),
    ('\\"', '"', '\\"\\'),
    ("joe*", None, "*"),
]


@test
def hostile_values_read_back_exactly():
    d = Dir()
    try:
        for i, (user, dom, pw) in enumerate(HOSTILE):
            t = f"t{i}"
            args = ["--domain", dom] if dom is not None else []
            create(d, t, "vpn.example.com", user, pw, *args)
            login = f"{dom}\\{user}" if dom is not None else user
            o = pppd_options(d, ["call", t])
            need(o["name"][0] == login, f"{user!r}/{dom!r}: pppd read name "
                 f"{o['name'][0]!r}, want {login!r}")
            need(o["remotename"][0] == t and o["ipparam"][0] == t,
                 f"{user!r}: remotename/ipparam {o['remotename']}, "
                 f"{o['ipparam']}")
            got = secret_as_pppd_reads_it(d, t)
            need(got == (login, t, pw), f"{user!r} {pw!r}: the secret "
                 f"line reads back as {got!r}")
            need(pppd_has_secret(d, login, t), f"{login!r}: pppd finds "
                 "no secret")
        for i, (user, dom, _) in enumerate(HOSTILE):
            login = f"{dom}\\{user}" if dom is not None else user
            need(pppd_has_secret(d, login, f"t{i}"), f"{login!r} lost")
        need(pppd_has_secret(d, "alice", "server1"), "alice lost")
        # a name that is not ours does not match anyone's secret by luck
        need(not pppd_has_secret(d, "joe", "t3"), "joe has t3's secret")
    finally:
        d.close()


@test
def control_characters_refused():
    d = Dir()
    try:
        for bad in ("a\nb", "a\rb", "a\tb", "a\x01b", "a\x7fb", "\n"):
            base = {"--username": "joe", "--password": "pw",
                    "--domain": "CORP"}
            for opt in base:
                args = dict(base, **{opt: bad})
                refused(d, ["--create", "work", "--server", "vpn"]
                        + [x for kv in args.items() for x in kv],
                        "control character")
        refused(d, ["--create", "work", "--server", "vpn", "--username",
                    "joe", "--password", "x\ny * \nmallory work y"],
                "a newline")
    finally:
        d.close()


@test
def tunnel_names_refused():
    d = Dir()
    try:
        for name, words in (("a/b", "'/'"), ("../x", "'/'"),
                            ("/etc/passwd", "'/'"), ("..", "'..'"),
                            ("a..b", "'..'"), (".hidden", "refused"),
                            ("-x", "refused"), ("", "empty"),
                            ("a b", "refused"), ("a*", "refused"),
                            ("a\nb", "refused"), ("x" * 65, "refused"),
                            ('"q"', "refused"), ("a#b", "refused")):
            refused(d, ["--create", name, "--server", "vpn", "--username",
                        "joe", "--password", "pw"], words)
            refused(d, ["--delete", name], words)
        create(d, "x" * 64)
        create(d, "Office-2_b.vpn")
    finally:
        d.close()


@test
def server_and_pptp_path_refused():
    d = Dir()
    try:
        for host in ("vpn;reboot", "$(id)", "`id`", "a b", "-h", "",
                     "vpn|x", "vpn'", 'vpn"', "vpn\\", "vpn\n",
                     "h" * 254, "::1"):
            refused(d, ["--create", "w", "--server", host, "--username",
                        "joe", "--password", "pw"], "server")
        for path in ("pptp", "bin/pptp", "/usr/sbin/pp tp", "/x;y",
                     "/x$(id)", "/a/../pptp", "/x'", ""):
            refused(d, ["--create", "w", "--server", "vpn", "--username",
                        "joe", "--password", "pw", "--pptp", path],
                    "--pptp")
    finally:
        d.close()


@test
def empty_and_special_values_refused():
    d = Dir()
    try:
        base = ["--create", "w", "--server", "vpn"]
        refused(d, base + ["--username", "", "--password", "pw"],
                "user name is empty")
        refused(d, base + ["--username", "joe", "--password", ""],
                "password is empty")
        refused(d, base + ["--username", "joe", "--password", "pw",
                           "--domain", ""], "domain is empty")
        refused(d, base + ["--username", "*", "--password", "pw"],
                "wildcard")
        refused(d, base + ["--username", "joe", "--password",
                           "@/etc/shadow"], "'@'")
        refused(d, base + ["--username", "joe", "--password", "p" * 256],
                "255")
        refused(d, base + ["--username", "u" * 256, "--password", "pw"],
                "255")
        refused(d, base + ["--username", "u" * 200, "--domain", "d" * 60,
                           "--password", "pw"], "255")
        # (pppd prints values cut short, so here only its lookup counts)
        create(d, "w", "vpn", "u" * 255, "p" * 255)
        need(pppd_has_secret(d, "u" * 255, "w"), "255-byte name not found")
        create(d, "w", "vpn", "joe", "a@b")
    finally:
        d.close()


@test
def command_line():
    d = Dir()
    try:
        r = setup(None, "--help")
        need(r.returncode == 0 and r.stderr == "", f"--help: {r!r}")
        for opt in ("--create", "--delete", "--server", "--domain",
                    "--username", "--password", "--encrypt", "--start",
                    "--dir", "--pptp", "PPTPSETUP_DIR", "pon TUNNEL"):
            need(opt in r.stdout, f"--help does not mention {opt}")
        r = setup(None, "-h")
        need(r.returncode == 0 and "--create" in r.stdout, f"-h: {r!r}")
        r = setup(None, "--version")
        need(r.returncode == 0 and r.stdout.startswith("pptpsetup "
                                                       "version "), r)
        for args, words in (
                ([], "--create TUNNEL or --delete"),
                (["--create", "a", "--delete", "a"], "one of"),
                (["--bogus"], "'--bogus'"),
                (["-x"], "'-x'"),
                (["--encrypt=1"], "--encrypt takes no value"),
                (["--create"], "--create needs a value"),
                (["--create", "w", "--username", "u", "--password", "p"],
                 "--server"),
                (["--create", "w", "--server", "s", "--password", "p"],
                 "--username"),
                (["--delete", "w", "--server", "s"], "only a tunnel"),
                (["--create", "w", "--server", "s", "--username", "u",
                  "--password", "p", "--start"], "--start"),
                (["--create", "w", "extra"], "'extra'")):
            refused(d, args, words)
        r = setup(None, "--create", "w", "--server", "s", "--username",
                  "u", "--password", "p", "--dir", d.p("nonexistent"))
        need(r.returncode == 1 and "not a directory" in r.stderr, r)
        # abbreviations and the environment variable
        r = setup(None, "--cre", "envtun", "--serv", "vpn", "--user", "u",
                  "--pass", "p", "--enc",
                  env={"PPTPSETUP_DIR": d.path})
        need(r.returncode == 0 and os.path.exists(d.p("peers", "envtun")),
             f"PPTPSETUP_DIR, abbreviations: {r!r}")
        need(b"require-mppe-128" in d.read("peers", "envtun"), "--enc")
        need(setup(d, "--delete", "envtun").returncode == 0, "delete")
    finally:
        d.close()


@test
def recreate_replaces_the_entry():
    d = Dir()
    try:
        create(d, "work", "old.example.com", "olduser", "oldpw")
        create(d, "work2", "other.example.com", "u2", "pw2")
        r = create(d, "work", "new.example.com", "newuser", "newpw",
                   "--domain", "D")
        need("replaced" in r.stdout, f"stdout {r.stdout!r}")
        text = d.read("chap-secrets").decode()
        need(text.count(" work ") == 1, f"chap-secrets:\n{text}")
        need("olduser" not in text and "oldpw" not in text,
             f"old entry left:\n{text}")
        need(secret_as_pppd_reads_it(d, "work") == ("D\\newuser", "work",
                                                    "newpw"), "new entry")
        need(secret_as_pppd_reads_it(d, "work2") == ("u2", "work2", "pw2"),
             "work2's entry changed")
        need(text.startswith(Dir.OTHERS), "other entries changed")
        o = pppd_options(d, ["call", "work"])
        need(o["pty"][0] == "/usr/sbin/pptp new.example.com "
             "--nolaunchpppd" and "require-mppe-128" not in o,
             f"peers file not replaced: {o}")
    finally:
        d.close()


# Lines another hand wrote: which of them are tunnel work's (second word
# "work" as pppd reads it), which are not.
FOREIGN = (
    'joe work "pw1" *\n',             # ours: the classic tool's form
    '"joe" "work" pw2\n',              # ours
    "x 'work' y *\n",                  # ours
    "x w\\ork y *\n",                  # ours: \o is o
    "x w\"or\"k y *\n",                # ours: quotes in mid-word
    "  x\twork\ty\t*\r\n",             # ours
    "work joe pw *\n",                 # not: work is the client
    "joe work2 pw *\n",                # not
    "joe wor pw *\n",                  # not
    "joe #work pw *\n",                # not: a comment
    "# joe work pw *\n",               # not
    "joe \\\n",                        # not: goes on ...
    "x work y *\n",                    # ... so this is joe x work
    "joe work\\\n",                    # not: "work" + the next line
    "x * *\n",                         # not
    "joe x#work y\n",                  # not
)
OURS = 6


@test
def delete_removes_exactly_the_tunnels_lines():
    d = Dir(secrets=Dir.OTHERS + "".join(FOREIGN) + "last line\n")
    try:
        create(d, "other", "vpn", "o", "o")
        os.chmod(d.p("chap-secrets"), 0o600)
        before = d.read("chap-secrets").decode()
        open(d.p("peers", "work"), "w").close()
        r = setup(d, "--delete", "work")
        need(r.returncode == 0, r.stderr)
        after = d.read("chap-secrets").decode()
        want = before
        for l in FOREIGN[:OURS]:
            want = want.replace(l, "", 1)
        need(after == want, f"chap-secrets after --delete:\n{after}\n"
             f"want:\n{want}")
        need(pppd_has_secret(d, "joe", "x")
             and not pppd_has_secret(d, "x", "work"),
             "pppd reads the continued line otherwise than assumed")
        need(not os.path.exists(d.p("peers", "work")), "peers file left")
        need(os.path.exists(d.p("peers", "other")), "other peers file gone")
        r = setup(d, "--delete", "work")
        need(r.returncode == 1 and "no tunnel work" in r.stderr, r)
    finally:
        d.close()


def spell(word, rnd):
    """word in one of the many ways pppd's parser reads as word."""
    how = rnd.randrange(7)
    if how == 0:
        return word
    if how == 1:
        return f'"{word}"'
    if how == 2:
        return f"'{word}'"
    if how == 3:                # quotes in mid-word
        i = rnd.randrange(len(word) + 1)
        return f'{word[:i]}"{word[i:]}"'
    out = ""
    for c in word:              # some characters escaped
        if rnd.random() < 0.4:
            out += rnd.choice([f"\\{c}" if c not in "abfnrstx0123456789"
                               else c, f"\\{ord(c):03o}",
                               f"\\x{ord(c):02x}"])
        else:
            out += c
    return f'"{out}"' if how == 5 else out


@test
def delete_agrees_with_pppd_on_random_spellings():
    """chap-secrets lines whose server is spelled every way pppd allows:
    after --delete work, pppd finds no secret of work's and every
    other one still."""
    rnd = random.Random(11)
    lines, want = [], []
    for i in range(30):
        server = rnd.choice(["work", "work", "worx", "work2", "wor"])
        client = f"c{i}"
        gap = rnd.choice([" ", "\t", "  "])
        lines.append(f"{spell(client, rnd)}{gap}{spell(server, rnd)} "
                     f"{spell('pw', rnd)} *\n")
        want.append((client, server))
    d = Dir(secrets="".join(lines))
    try:
        for client, server in want:
            need(pppd_has_secret(d, client, server), f"the test's line for "
                 f"{client} {server} is not read by pppd as meant:\n"
                 f"{d.read('chap-secrets').decode()}")
        # a tunnel of that name exists (its lines are its own)
        os.makedirs(d.p("peers"), exist_ok=True)
        open(d.p("peers", "work"), "w").close()
        need(setup(d, "--delete", "work").returncode == 0, "delete")
        for (client, server), line in zip(want, lines):
            need(pppd_has_secret(d, client, server) == (server != "work"),
                 f"after --delete work, line {line!r} "
                 f"{'is left' if server == 'work' else 'is gone'}")
    finally:
        d.close()


# What pptp-linux's pptpsetup writes: a blank line, a comment, the line;
# one more each time the same tunnel is created again.
CLASSIC = ('alice server1 pw *\n'
           '\n# added by pptpsetup for work\njoe work "pw" *\n'
           '\n# added by pptpsetup for work2\njoe work2 "pw" *\n'
           '\n# added by pptpsetup for work\nann work "pw2" *\n')


@test
def takes_over_the_classic_tools_entries():
    d = Dir(secrets=CLASSIC)
    try:
        create(d, "work", "vpn", "joe", "new")
        need(d.read("chap-secrets").decode() ==
             'alice server1 pw *\n\n'
             '\n# added by pptpsetup for work2\njoe work2 "pw" *\n'
             '\n"joe" work "new" *\n',
             f"--create over the classic's entries:\n"
             f"{d.read('chap-secrets').decode()}")
        d.close()
        d = Dir(secrets=CLASSIC)
        need(setup(d, "--delete", "work").returncode == 0, "delete")
        need(d.read("chap-secrets").decode() ==
             'alice server1 pw *\n\n'
             '\n# added by pptpsetup for work2\njoe work2 "pw" *\n\n',
             f"--delete: {d.read('chap-secrets').decode()}")
    finally:
        d.close()


@test
def another_servers_secrets_left_alone():
    """A PPTP server on the same host keeps its clients in chap-secrets
    with its own name as the server: no tunnel of that name exists, so
    --create and --delete of that name touch nothing."""
    server = "alice pptpd s1 *\nbob pptpd s2 *\n"
    d = Dir(secrets=server)
    try:
        before = d.snapshot()
        for args in (["--create", "pptpd", "--server", "vpn", "--username",
                      "u", "--password", "p"], ["--delete", "pptpd"]):
            r = setup(d, *args)
            need(r.returncode == 2 and "not a tunnel's, left alone" in
                 r.stderr, f"{args[0]} pptpd: {r!r}")
            need(d.snapshot() == before, f"{args[0]} pptpd changed files")
    finally:
        d.close()


@test
def create_then_delete_leaves_every_byte():
    for secrets in (Dir.OTHERS, "", "alice server1 pw *\n"):
        d = Dir(secrets=secrets)
        try:
            create(d, "keep", "vpn", "k", "k")
            before = d.snapshot()
            create(d, "work", "vpn.example.com", "CORP user", 'p "w#',
                   "--encrypt", "--domain", "X")
            create(d, "work", "vpn2", "again", "again")
            need(setup(d, "--delete", "work").returncode == 0, "delete")
            after = d.snapshot()
            diff = {k for k in set(before) | set(after)
                    if before.get(k) != after.get(k)}
            need(not diff, f"changed by create + delete: {sorted(diff)}: "
                 f"{[(before.get(k), after.get(k)) for k in diff]}")
        finally:
            d.close()


@test
def modes_owner_and_links():
    d = Dir(secrets=None)
    try:
        create(d)
        m = lambda *p: stat.S_IMODE(os.stat(d.p(*p)).st_mode)
        need(m("chap-secrets") == 0o600, f"new chap-secrets "
             f"{m('chap-secrets'):o}")
        need(m("peers", "work") == 0o644, f"peers {m('peers', 'work'):o}")
        os.chmod(d.p("chap-secrets"), 0o644)
        create(d)
        need(m("chap-secrets") == 0o640, f"0644 became "
             f"{m('chap-secrets'):o}, want 0640 (no bits for others)")
        os.chmod(d.p("chap-secrets"), 0o600)
        os.chown(d.p("chap-secrets"), 1234, 5678)
        os.chmod(d.p("peers", "work"), 0o600)
        create(d, "work", "vpn", "u", "p")
        st = os.stat(d.p("chap-secrets"))
        need((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
             == (1234, 5678, 0o600), f"owner/mode not kept: {st}")
        need(m("peers", "work") == 0o600, "peers mode not kept")
        # a link is followed, and stays a link
        os.rename(d.p("chap-secrets"), d.p("real-secrets"))
        os.symlink("real-secrets", d.p("chap-secrets"))
        create(d, "linked", "vpn", "l", "l")
        need(os.path.islink(d.p("chap-secrets")), "the link was replaced")
        need(b" linked " in d.read("real-secrets"), "target not written")
        need(setup(d, "--delete", "linked").returncode == 0, "delete")
        need(b"linked" not in d.read("real-secrets"), "delete via link")
        left = [n for n in os.listdir(d.path) + os.listdir(d.p("peers"))
                if "pptpsetup-" in n]
        need(not left, f"temporary files left: {left}")
    finally:
        d.close()


@test
def full_disk_leaves_the_old_files():
    """The file system fills while pptpsetup writes: the old file stays
    whole, nothing temporary is left, and it says why it failed."""
    d = Dir()
    try:
        create(d, "work", "old.example.com", "old", "old")
        old_peer = d.read("peers", "work")
        # chap-secrets on a full file system: nothing changes at all
        r = in_ns(d, f"""
F="$D/full"
mkdir -p $F
mount -t tmpfs -o size=8k none $F
cp -a "$D/chap-secrets" "$D/peers" $F/
dd if=/dev/zero of=$F/filler bs=4096 count=2 2>/dev/null || true
set +e
{SETUP} --dir $F --create work --server vpn --username u \
    --password p
echo "rc=$?"
find $F | sort
cmp $F/chap-secrets "$D/chap-secrets" && echo same-secrets
cmp $F/peers/work "$D/peers/work" && echo same-peer
""")
        need("rc=1" in r.stdout, f"exit status: {r.stdout} {r.stderr}")
        need("/full/chap-secrets: No space left" in r.stderr,
             f"no clear message: {r.stderr!r}")
        need("same-secrets" in r.stdout and "same-peer" in r.stdout,
             f"changed: {r.stdout}")
        files = [l.replace(d.p("full"), "F") for l in r.stdout.splitlines()
                 if l.startswith("/") and not l.endswith("/filler")]
        need(files == ["F", "F/chap-secrets", "F/peers", "F/peers/work"],
             f"files: {files}")
        # the peers directory full: the old peers file stays whole
        r = in_ns(d, f"""
F="$D/full"
mkdir -p $F
mount -t tmpfs -o size=8k none $F
cp -a "$D/peers/work" $F/
dd if=/dev/zero of=$F/filler bs=4096 count=2 2>/dev/null || true
mount --bind $F "$D/peers"
set +e
{SETUP} --dir "$D" --create work --server vpn --username u --password p
echo "rc=$?"
ls "$D/peers"
""")
        need("rc=1" in r.stdout and "cannot write" in r.stderr
             and "No space left" in r.stderr, f"{r.stdout} {r.stderr}")
        need(r.stdout.split("rc=1")[1].split() == ["filler", "work"],
             f"peers dir: {r.stdout}")
        need(d.read("peers", "work") == old_peer, "old peers file changed")
    finally:
        d.close()


@test
def concurrent_creates_all_land():
    d = Dir()
    try:
        procs = [subprocess.Popen([SETUP, "--dir", d.path, "--create",
                                   f"t{i}", "--server", "vpn",
                                   "--username", f"u{i}", "--password",
                                   f"p{i}"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
                 for i in range(16)]
        errs = [p.communicate(timeout=30)[1] for p in procs]
        need(all(p.returncode == 0 for p in procs), f"{errs}")
        text = d.read("chap-secrets").decode()
        for i in range(16):
            need(f'"u{i}" t{i} "p{i}" *\n' in text, f"t{i} lost:\n{text}")
        need(text.startswith(Dir.OTHERS), "others lost")
    finally:
        d.close()


def at_prompt(d):
    """pptpsetup --create on a pty, run until it asks for joe's
    password: (pid, the pty's master, what it printed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(SETUP, [SETUP, "--dir", d.path, "--create", "work",
                         "--server", "vpn", "--username", "joe"])
    out = b""
    end = time.monotonic() + 10
    while b"Password for joe: " not in out and time.monotonic() < end:
        out += os.read(fd, 1024)
    need(b"Password for joe: " in out, f"no prompt: {out!r}")
    return pid, fd, out


def to_the_end(pid, fd):
    """The rest of what it prints, and its exit status."""
    rest = b""
    while True:
        try:
            b = os.read(fd, 1024)
        except OSError:
            break
        if not b:
            break
        rest += b
    _, status = os.waitpid(pid, 0)
    return rest, os.waitstatus_to_exitcode(status)


@test
def password_asked_without_echo():
    d = Dir()
    try:
        pid, fd, out = at_prompt(d)
        lflag = termios.tcgetattr(fd)[3]
        need(not lflag & termios.ECHO, "echo is on at the prompt")
        typed = 'ty ped"#\\pw'
        os.write(fd, typed.encode() + b"\n")
        rest, code = to_the_end(pid, fd)
        need(code == 0, f"exit {code}: {rest!r}")
        need(typed.encode() not in out + rest, f"echoed: {out + rest!r}")
        need(secret_as_pppd_reads_it(d, "work") == ("joe", "work", typed),
             "typed password not stored as typed")
        # no terminal at all: a clear refusal, not a hang
        r = subprocess.run(["setsid", SETUP, "--dir", d.path, "--create",
                            "w2", "--server", "vpn", "--username", "joe"],
                           capture_output=True, text=True, timeout=10,
                           stdin=subprocess.DEVNULL)
        need(r.returncode == 2 and "no terminal" in r.stderr, r)
    finally:
        d.close()


@test
def password_eof_takes_nothing():
    """Control-D after a few characters: no partial password is
    stored; one line says why, and nothing is written."""
    d = Dir()
    try:
        before = d.snapshot()
        pid, fd, _ = at_prompt(d)
        eof = termios.tcgetattr(fd)[6][termios.VEOF]
        os.write(fd, b"partial" + eof)
        time.sleep(0.2)
        os.write(fd, eof)
        rest, code = to_the_end(pid, fd)
        need(code == 2, f"exit {code}: {rest!r}")
        need(b"no password" in rest, f"said {rest!r}")
        need(d.snapshot() == before, "files written after end of input")
    finally:
        d.close()


@test
def start_runs_pppd_call():
    d = Dir()
    try:
        os.mkdir(d.p("bin"))
        with open(d.p("bin", "pppd"), "w") as f:
            f.write('#!/bin/sh\necho "$@" > /etc/ppp/pppd-args\nexit 7\n')
        os.chmod(d.p("bin", "pppd"), 0o755)
        # pppd by its absolute path: the one on PATH is a decoy
        os.mkdir(d.p("decoy"))
        with open(d.p("decoy", "pppd"), "w") as f:
            f.write('#!/bin/sh\nexit 8\n')
        os.chmod(d.p("decoy", "pppd"), 0o755)
        r = in_ns(d, 'mount --bind "$D/bin/pppd" /usr/sbin/pppd; set +e; '
                  f'PATH="$D/decoy:$PATH" {SETUP} --create work '
                  "--server vpn --username u --password p --start; "
                  "echo rc=$?")
        need("rc=7" in r.stdout, f"pppd's status not passed on: {r!r}")
        need(d.read("pppd-args") == b"call work\n", d.read("pppd-args"))
        need(d.read("peers", "work"), "no peers file before pppd ran")
    finally:
        d.close()


@test
def warns_without_options_pptp():
    d = Dir(options_pptp=False)
    try:
        r = create(d)
        need("options.pptp does not exist" in r.stderr, r.stderr)
        d2 = Dir()
        try:
            r = create(d2)
            need(r.stderr == "", f"warned with options.pptp: {r.stderr!r}")
        finally:
            d2.close()
    finally:
        d.close()


def main():
    global SETUP, OPTIONS
    ap = argparse.ArgumentParser()
    ap.add_argument("--pptpsetup", required=True)
    ap.add_argument("--options", required=True, help="etc/options.pptp")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    SETUP, OPTIONS = os.path.realpath(a.pptpsetup), a.options
    unknown = [n for n in a.names if n not in [t.__name__ for t in TESTS]]
    if unknown:
        print(f"no such test: {' '.join(unknown)}")
        print("0 passed, 1 failed")
        return 1
    missing = [p for p in ("pppd", "unshare") if shutil.which(
        p, path="/usr/sbin:/usr/bin:/sbin:/bin") is None]
    if missing or os.geteuid() != 0:
        print(f"cannot run: {'root needed' if not missing else ''}"
              f"{' missing ' + ' '.join(missing) if missing else ''} "
              "(Debian: ppp util-linux)")
        print("0 passed, 1 failed")
        return 1
    return runlib.run(TESTS, a.names, (Fail, AssertionError))


if __name__ == "__main__":
    sys.exit(main())

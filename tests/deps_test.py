#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""make deps-test: the list of what pptp's build, tests and demo run
(tests/deps.txt) is complete and true, and each make target stops first,
naming what is missing.

- every program that the Makefile, .ci/ and the scripts under tests/ run,
  found by reading them (Python through its syntax tree, shell and make
  recipes word by word), is in the table under a group that the target
  running it checks; so .ci/deps, which installs the table, installs it;
- each make target that checks (a "= TARGET" line) checks before
  anything else (need-TARGET is its first prerequisite), and every other
  target runs only what the build checks;
- each program, file and pkg-config module of the table belongs to the
  package named for it (or to a package that one depends on), by dpkg;
- with any one program, file or module hidden (a PATH, file root or
  pkg-config directory without it), tests/need says exactly one line,
  naming it and its package, for every target that uses it; and the make
  targets themselves stop there, before building or running anything;
- the test runners refuse names they do not know.

This reads the scripts, so it needs nothing installed that it checks;
only the dpkg and hiding tests look at this machine.
"""

import ast
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import runlib

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(TOP, "tests", "deps.txt")
NEED = os.path.join(TOP, "tests", "need")
GUEST_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
VAR = "\0"          # a word chosen at run time (a path given to the script)
ANY = "any"         # run by every target: any group will do

# Which group each script's programs must be checked under (a name ending
# in "/": every script in that directory).  Others under tests/: any
# group (the table must name the program).
FILE_GROUPS = {
    "tests/integration/": ["integration"],
    "tests/harness.py": ["integration"],
    "tests/harness_selftest.py": ["integration"],
    "tests/fake-pppd": ["integration"],
    "tests/e2e/run.py": ["e2e"],
    "tests/e2e/": ["guest"],
    "tests/e2e/init.sh": ["guest"],
    "tests/bench/bench.py": ["bench"],
    "tests/deps_test.py": ["deps"],
    ".ci/run": ["ci"],
    ".ci/deps": ["ci"],
}


def groups_of(rel):
    """The groups FILE_GROUPS gives a script, [ANY] if none."""
    if rel in FILE_GROUPS:
        return FILE_GROUPS[rel]
    return FILE_GROUPS.get(os.path.dirname(rel) + "/", [ANY])


# --- the table -------------------------------------------------------------

def read_table(path=TABLE):
    rows, targets = [], {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if w[0] == "=":
                targets[w[1]] = w[2:]
            else:
                rows.append({"thing": w[0], "pkg": w[1],
                             "groups": w[2].split(","),
                             "desc": " ".join(w[3:])})
    return rows, targets


# --- shell, word by word ----------------------------------------------------

SKIP = {"[", "test", "echo", "printf", "exit", "return", "export", "set",
        "unset", "cd", "shift", "read", "local", ":", "true", "false",
        "eval", "wait", "trap", "break", "continue", "umask", ".", "fi",
        "done", "esac", "}", "then", "else", "elif", "do", "if", "while",
        "until", "!", "{"}
STARTS = {"then", "else", "elif", "do", "if", "while", "until", "!", "{"}
BOUNDARY = {";", "&&", "||", "|", "&", "(", ")", ";;", "()", "\n"}


def subst_commands(text):
    """$(...) and `...` taken out: their texts, and the rest (${...}
    too, as one word)."""
    inner, out, i = [], [], 0
    while i < len(text):
        if text.startswith("$(", i) and not text.startswith("$((", i):
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            inner.append(text[i + 2:j - 1])
            out.append(VAR)
            i = j
        elif text.startswith("${", i):     # ${x%% *}: one word
            j = text.find("}", i)
            j = len(text) if j < 0 else j
            out.append(VAR)
            i = j + 1
        elif text[i] == "`":
            j = text.find("`", i + 1)
            j = len(text) if j < 0 else j
            inner.append(text[i + 1:j])
            out.append(VAR)
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out), inner


def shell_programs(text, funcs=None):
    """The programs a shell text runs, in order."""
    text = text.replace("\\\n", " ")
    text = re.sub(r"(^|\s)#.*", "", text)    # comments
    if funcs is None:           # the script's own functions run nothing
        funcs = set(re.findall(r"^\s*([\w-]+)\s*\(\)", text, re.M))
    text, inner = subst_commands(text)
    found = []
    for t in inner:
        found += shell_programs(t, funcs)
    words = []
    for line in text.split("\n"):
        lx = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
        lx.whitespace_split = True
        lx.commenters = "#"
        try:
            words += list(lx) + ["\n"]
        except ValueError:          # an unclosed quote: read it whole
            words += line.split() + ["\n"]
    return found + words_programs(words, funcs)


def words_programs(words, funcs=()):
    """Programs run by a list of shell words (one line or one argv)."""
    found, start, state = [], True, None
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w in BOUNDARY or (set(w) <= set(";&|()") and w):
            if ";;" in w:
                state = "case"          # the next pattern
            elif ")" in w and state == "case":
                state = None            # the pattern's end: a command
            start = True
            continue
        if state == "skip":             # for NAME in WORDS
            if w == "do":
                state, start = None, True
            continue
        if state == "case":             # case WORD in / patterns
            if w == "esac":
                state = None
            continue
        if not start:
            continue
        if w in ("for",):
            state = "skip"
            continue
        if w == "case":
            state = "case"
            continue
        if w in STARTS:
            continue
        if re.match(r"^\w+=", w) or w.isdigit():
            continue                    # VAR=x cmd, 2>/dev/null cmd
        if set(w) <= set("<>&"):
            i += 1                      # a redirection and its file
            continue
        start = False
        if w in SKIP or w in funcs:
            continue
        if i < len(words) and words[i] == "(":
            continue                    # name() { ... }
        if w == "command":
            if i < len(words) and words[i].startswith("-"):
                continue                # command -v: a look, not a run
            start = True
            continue
        if w == "exec":
            start = True
            continue
        rest = words[i:]
        found += argv_programs([w] + rest)
        # argv_programs read the rest of this command: skip it
        while i < len(words) and words[i] not in BOUNDARY:
            i += 1
    return found


def argv_programs(argv):
    """Programs run by one command line: the program, and what it runs."""
    argv = [a for a in argv if a is not None]
    if not argv:
        return []
    prog = argv[0]
    if VAR in prog or not prog:
        return []                       # chosen at run time: ours
    if "/" in prog:
        if not prog.startswith("/"):
            return []                   # build/..., tests/...: ours
        prog = os.path.basename(prog)
    found = [prog]
    args = argv[1:]
    if prog == "ip" and args[:2] == ["netns", "exec"] and len(args) > 3:
        found += argv_programs(args[3:])
    elif prog in ("unshare", "env", "timeout", "nice", "setsid"):
        while args and (args[0].startswith("-") or "=" in args[0] or
                        (prog == "timeout" and args[0][:1].isdigit())):
            args = args[1:]
        found += argv_programs(args)
    elif prog in ("sh", "bash", "dash") and "-c" in args:
        j = args.index("-c") + 1
        if j < len(args):
            found += shell_programs(args[j])
    elif prog == "pppd" and "pty" in args:
        j = args.index("pty") + 1
        if j < len(args):
            found += shell_programs(args[j])
    return found


# --- Python, through its syntax tree ----------------------------------------

RUNNERS = {"run", "Popen", "call", "check_call", "check_output"}


class PyScan:
    """The programs a Python script runs through subprocess, os.system,
    os.exec* and its own wrappers of them (sh(cmd) and the like)."""

    def __init__(self, src):
        self.tree = ast.parse(src)
        self.assigns = self.assigns_in(self.tree)  # name -> [value]
        self.scope = self.assigns
        self.wrappers = {}      # function name -> "shell" | "split" | "argv"
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef) and node.args.args:
                p = node.args.args[0].arg
                for call in ast.walk(node):
                    kind = self.runner(call)
                    if kind and call.args:
                        a = call.args[0]
                        if isinstance(a, ast.Name) and a.id == p:
                            self.wrappers[node.name] = kind
                        elif (isinstance(a, ast.Call) and
                              isinstance(a.func, ast.Attribute) and
                              a.func.attr == "split" and
                              isinstance(a.func.value, ast.Name) and
                              a.func.value.id == p):
                            self.wrappers[node.name] = "split"

    @staticmethod
    def assigns_in(tree):
        out = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        out.setdefault(t.id, []).append(node.value)
        return out

    def runner(self, call):
        if not isinstance(call, ast.Call):
            return None
        f = call.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            if f.value.id == "subprocess" and f.attr in RUNNERS:
                shell = any(k.arg == "shell" and
                            isinstance(k.value, ast.Constant) and k.value.value
                            for k in call.keywords)
                return "shell" if shell else "argv"
            if f.value.id == "os" and f.attr in ("system", "popen"):
                return "shell"
            if f.value.id == "os" and f.attr.startswith(("exec", "spawn")):
                return "exec"
        if isinstance(f, ast.Name) and f.id in getattr(self, "wrappers", {}):
            return self.wrappers[f.id]
        return None

    def value(self, node, depth=0):
        """A str (VAR where chosen at run time), a list of them, or None."""
        if depth > 5:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else VAR
                           for v in node.values)
        if isinstance(node, (ast.List, ast.Tuple)):
            out = []
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    break
                v = self.value(e, depth + 1)
                out.append(v if isinstance(v, str) else VAR)
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            a, b = (self.value(node.left, depth + 1),
                    self.value(node.right, depth + 1))
            if isinstance(a, str) and isinstance(b, str):
                return a + b
            if isinstance(a, list):
                return a + (b if isinstance(b, list) else [])
            return a
        if isinstance(node, ast.Name):
            # assigned once in the function (or, if not there, the module)
            vals = self.scope.get(node.id) or self.assigns.get(node.id, [])
            if len(vals) == 1:
                return self.value(vals[0], depth + 1)
            return None
        if (isinstance(node, ast.Call) and isinstance(node.func,
                                                      ast.Attribute)):
            f = node.func
            if (isinstance(f.value, ast.Name) and f.value.id == "shutil"
                    and f.attr == "which" and node.args):
                return self.value(node.args[0], depth + 1)
            if f.attr == "split" and not node.args:
                v = self.value(f.value, depth + 1)
                return v.split() if isinstance(v, str) else None
            if f.attr == "join" and isinstance(f.value, ast.Constant):
                return VAR
        return None

    def programs(self):
        found = []
        for fn in ast.walk(self.tree):
            if isinstance(fn, (ast.Module, ast.FunctionDef)):
                self.scope = self.assigns_in(fn) if isinstance(
                    fn, ast.FunctionDef) else self.assigns
                found += self.calls(fn)
        return found

    def calls(self, tree):
        found = []
        for node in ast.walk(tree):
            kind = self.runner(node)
            if not kind or not node.args:
                continue
            arg = node.args[1] if kind == "exec" and len(node.args) > 1 \
                else node.args[0]
            if kind == "exec":
                v = self.value(node.args[0])
                found += argv_programs([v if isinstance(v, str) else VAR])
                continue
            v = self.value(arg)
            if kind == "split" and isinstance(v, str):
                v = v.split()
            if isinstance(v, str):
                found += shell_programs(v) if kind == "shell" else \
                    argv_programs([v])
            elif isinstance(v, list):
                found += argv_programs(v)
        return found


# --- the Makefile ------------------------------------------------------------

def make_rules(text):
    """[(targets, prerequisites, [recipe lines])] and the variables."""
    text = text.replace("\\\n", " ")
    rules, vars_ = [], {}
    for line in text.split("\n"):
        if line.startswith("\t"):
            if rules:
                rules[-1][2].append(line[1:])
            continue
        s = line.split("#", 1)[0]
        m = re.match(r"^\s*([A-Za-z_][\w]*)\s*(\?=|:=|\+=|=)\s*(.*)$", s)
        if m:
            name, op, val = m.groups()
            vars_[name] = (vars_.get(name, "") + " " + val).strip() \
                if op == "+=" else vars_.get(name, val) if op == "?=" \
                else val
            continue
        m = re.match(r"^([^\s:#=][^:=]*?)\s*:(?!=)\s*(.*)$", s)
        if m and not s.startswith(("ifeq", "ifneq", "else", "endif",
                                   "-include", "include")):
            rules.append((m.group(1).split(), m.group(2).split(), []))
    return rules, vars_


def make_expand(text, vars_, depth=0):
    """Make variables expanded where they name programs; the rest VAR."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("$(", i):
            d, j = 1, i + 2
            while j < len(text) and d:
                d += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            ref = text[i + 2:j - 1]
            if ref in vars_ and depth < 5:
                out.append(make_expand(vars_[ref], vars_, depth + 1))
            elif ref == "CURDIR":
                out.append("/top")
            else:
                out.append(VAR)
            i = j
        elif text[i] == "$" and i + 1 < len(text):
            out.append(VAR)
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def make_shell_calls(text):
    return [m.group(1) for m in re.finditer(r"\$\(shell ([^()]*(?:\([^()]*"
                                            r"\)[^()]*)*)\)", text)]


# --- collecting what runs where ----------------------------------------------

def scripts():
    """Every script the scan reads: its path from the top."""
    out = ["Makefile", ".ci/run", ".ci/deps", "debian/mkdeb"]
    for root, dirs, files in os.walk(os.path.join(TOP, "tests")):
        for f in files:
            path = os.path.join(root, f)
            rel = os.path.relpath(path, TOP)
            with open(path, "rb") as fh:
                head = fh.read(64)
            if f.endswith((".py", ".sh")) or head.startswith(b"#!"):
                out.append(rel)
    return sorted(set(out))


def script_programs(rel, text, targets):
    """[(program, groups, where)] for one script."""
    found = []
    if text.startswith("#!"):
        first = text.split("\n", 1)[0][2:].split()
        mode = os.stat(os.path.join(TOP, rel)).st_mode if \
            os.path.exists(os.path.join(TOP, rel)) else 0o755
        if first and mode & 0o111:
            for p in argv_programs(first):
                found.append((p, groups_of(rel),
                              f"{rel}:1 (#!)"))
    if rel == "Makefile":
        rules, vars_ = make_rules(text)
        for call in make_shell_calls(text):
            for p in shell_programs(make_expand(call, vars_)):
                found.append((p, [ANY], "Makefile $(shell)"))
        for tgts, _, recipe in rules:
            groups = []
            for t in tgts:
                groups += targets.get(t, [ANY] if t.startswith("need-")
                                      else ["build"])
            for line in recipe:
                line = line.lstrip("@-+ ")
                for p in shell_programs(make_expand(line, vars_)):
                    found.append((p, groups, f"Makefile: {tgts[0]}"))
        return found
    groups = groups_of(rel)
    if rel.endswith(".py") or text.startswith(("#!/usr/bin/env python",
                                                "#!/usr/bin/python")):
        progs = PyScan(text).programs()
    else:
        progs = shell_programs(text.split("\n", 1)[1] if
                               text.startswith("#!") else text)
    found += [(p, groups, rel) for p in progs]
    return found


def problems_of(found, rows):
    bad = []
    for prog, groups, where in found:
        have = [r for r in rows if r["thing"] == prog]
        if not have:
            bad.append(f"{where}: runs {prog}, which tests/deps.txt does "
                       "not name")
        elif ANY not in groups and not any(
                g in r["groups"] for r in have for g in groups):
            bad.append(f"{where}: runs {prog}, but its line in "
                       f"tests/deps.txt has none of the groups {groups}")
    return bad


# --- the tests ---------------------------------------------------------------

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def every_program_run_is_in_the_table():
    rows, targets = read_table()
    found = []
    for rel in scripts():
        with open(os.path.join(TOP, rel)) as f:
            found += script_programs(rel, f.read(), targets)
    bad = problems_of(found, rows)
    assert not bad, "\n  ".join([""] + sorted(set(bad)))
    names = sorted({p for p, _, _ in found})
    assert len(names) > 20, f"the scan found too little: {names}"
    return f"{len(names)} programs in {len(scripts())} scripts"


@test
def the_scan_sees_each_way_of_running_a_program():
    """Planted: each form a script may use, with a program the table does
    not have; the scan must name it (so it can fail)."""
    rows, targets = read_table()
    py = ("import os, subprocess, shutil\n"
          "def sh(cmd):\n    subprocess.run(cmd.split(), check=True)\n"
          "def shell(cmd, **kw):\n"
          "    return subprocess.run(cmd, shell=True, **kw)\n"
          "NS = 'x'\n"
          "subprocess.run(['p1', '-x'])\n"
          "sh(f'ip netns exec {NS} p2 add table')\n"
          "shell('p3 -q; p4 | p5 && echo $(p6 -r)')\n"
          "cmd = ['ip', 'netns', 'exec', NS, 'unshare', '--mount', 'sh',"
          " '-c', 'mount x y && exec p7 z']\n"
          "subprocess.Popen(cmd + ['more'])\n"
          "uml = shutil.which('p8')\n"
          "subprocess.Popen([uml, 'mem=1M'])\n"
          "os.system('p9 a')\n"
          "shell(f\"ip netns exec cli pppd pty '{NS} x' p10\")\n"
          "subprocess.run(['pppd', 'pty', 'p11 a b'])\n")
    sh = ("#!/bin/sh\nf() { p20; }\nfor m in a b; do\n  p21 \"$m\" ||"
          " echo x\ndone\n[ -e x ] || p22 c 1\ncase $0 in */*) p23 ;; "
          "*) p24 ;; esac\nx=$(p25 -r)\nPATH=/x p26 --exists\n"
          "command -v p99 >/dev/null\nexec p27 -c x\n")
    mk = ("CC ?= p40\nX := $(shell p41 --cflags x 2>/dev/null)\n"
          "all: y\n\t@mkdir -p $(dir $@)\n\t$(CC) -o $@ $^\n"
          "unit: need-unit\n\tp42 --fast \\\n\t    $(B)/x && p43\n"
          "\tbuild/fuzz/x -max_total_time=1\n")
    want = {"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p11",
            "p20", "p21", "p22", "p23", "p24", "p25", "p26", "p27", "p40",
            "p41", "p42", "p43"}
    got = set()
    for rel, text in (("tests/x.py", py), ("tests/x.sh", sh),
                      ("Makefile", mk)):
        for line in problems_of(script_programs(rel, text, targets), rows):
            got.add(re.search(r"runs (\S+),", line).group(1))
    assert got == want, f"missed {sorted(want - got)}, " \
        f"wrongly found {sorted(got - want)}"
    return f"{len(want)} planted programs found, nothing else"


@test
def each_checking_target_checks_first():
    rows, targets = read_table()
    with open(os.path.join(TOP, "Makefile")) as f:
        rules, _ = make_rules(f.read())
    bad = []
    for tgts, prereqs, recipe in rules:
        for t in tgts:
            if t not in targets or not recipe and not prereqs:
                continue
            if t == "build":
                continue
            if not prereqs or not prereqs[0].startswith("need-"):
                bad.append(f"make {t}: its first prerequisite is "
                           f"{prereqs[:1]}, not need-{t}")
    for t in targets:
        if t != "build" and t != "check-sanitized" and \
                not any(t in tg for tg, _, _ in rules):
            bad.append(f"tests/deps.txt has '= {t}', the Makefile no {t}")
    # (a target-specific variable, "x.o: CFLAGS += ...", is no rule)
    objs = [r for r in rules if r[0][0].endswith(".o") and
            not (len(r[1]) > 1 and r[1][1] in ("=", ":=", "+=", "?="))]
    if not all("need-build" in p for _, p, _ in objs):
        bad.append("an object rule does not check the build first")
    assert not bad, "\n  ".join([""] + bad)


def dpkg_owner(path, follow=True):
    cands = [os.path.realpath(path) if follow else path]
    for p in list(cands):
        if p.startswith("/usr/"):
            cands.append(p[4:])
        else:
            cands.append("/usr" + p)
    for p in cands:
        r = subprocess.run(["dpkg-query", "-S", p], capture_output=True,
                           text=True)
        for line in r.stdout.splitlines() if r.returncode == 0 else []:
            if not line.startswith("diversion"):
                return line.split(":", 1)[0].split(",")[0].strip()
    return None


def depends(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f",
                        "${Depends}, ${Pre-Depends}", pkg],
                       capture_output=True, text=True)
    return {re.split(r"[\s:(]", d.strip())[0]
            for d in re.split(r"[,|]", r.stdout) if d.strip()}


def locate(row):
    """Where this machine has the thing of a row, or None."""
    t = row["thing"]
    if t.startswith("pc:"):
        r = subprocess.run(["pkg-config", "--variable=pcfiledir", t[3:]],
                           capture_output=True, text=True)
        p = os.path.join(r.stdout.strip(), t[3:] + ".pc")
        return p if r.returncode == 0 and os.path.exists(p) else None
    if t.startswith("/"):
        m = sorted(glob.glob(t))
        return m[0] if m else None
    # Debian's own first (not, say, a python3 of pyenv's)
    return shutil.which(t, path=GUEST_PATH + ":" +
                        os.environ.get("PATH", ""))


@test
def each_package_has_its_program():
    """dpkg's word: the package named ships the thing, or depends on the
    one that does (python3 on python3-minimal; for an alternative that
    no package ships, as cc, the one that ships what it points to); but
    never a transitional package (pkg-config: removing it removes no
    program)."""
    rows, targets = read_table()
    bad, absent = [], []
    for row in rows:
        where = locate(row)
        if where is None:
            absent.append(row["thing"])
            continue
        owner = dpkg_owner(where, follow=False) or dpkg_owner(where)
        if owner == row["pkg"]:
            continue
        if owner not in depends(row["pkg"]):
            bad.append(f"{row['thing']} ({where}) is in the package "
                       f"{owner}, which {row['pkg']} does not depend on")
        elif "transitional" in subprocess.run(
                ["dpkg-query", "-W", "-f", "${Description}", row["pkg"]],
                capture_output=True, text=True).stdout:
            bad.append(f"{row['thing']} ({where}) is in the package "
                       f"{owner}; {row['pkg']} is only a transitional "
                       "package")
    assert not bad, "\n  ".join([""] + bad)
    return f"{len(rows) - len(absent)} checked" + \
        (f"; not installed here, so not checked: {' '.join(absent)}"
         if absent else "")


def hidden_world(rows, hide, tmp):
    """A PATH, a file root and a pkg-config directory with everything of
    the table but the row hide."""
    bindir, root, pcdir = (os.path.join(tmp, d) for d in ("bin", "root",
                                                           "pc"))
    for d in (bindir, root, pcdir):
        os.makedirs(d)
    hidden = locate(hide) if hide else None
    # every module pkg-config knows (what a module requires, too)
    r = subprocess.run(["pkg-config", "--variable=pc_path", "pkg-config"],
                       capture_output=True, text=True)
    for d in r.stdout.strip().split(":"):
        for pc in glob.glob(os.path.join(d, "*.pc")):
            name = os.path.join(pcdir, os.path.basename(pc))
            if pc != hidden and not os.path.lexists(name):
                os.symlink(pc, name)
    for row in rows:
        if row is hide:
            continue
        where = locate(row)
        t = row["thing"]
        if where is None or t.startswith("pc:"):
            continue
        if t.startswith("/"):
            os.makedirs(os.path.dirname(root + where), exist_ok=True)
            os.symlink(where, root + where)
        else:
            os.symlink(where, os.path.join(bindir, t))
    return {"NEED_PATH": bindir, "NEED_ROOT": root,
            "PKG_CONFIG_LIBDIR": pcdir, "PKG_CONFIG_PATH": ""}


def need(targets, extra_env):
    env = dict(os.environ, **extra_env)
    env.pop("CC", None)
    r = subprocess.run(["sh", NEED] + targets, env=env,
                       capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).splitlines()


@test
def need_names_each_missing_thing_alone():
    rows, targets = read_table()
    runs = 0
    bad = []
    for t, groups in targets.items():
        with tempfile.TemporaryDirectory() as tmp:
            rc, out = need([t], hidden_world(rows, None, tmp))
            if rc != 0 or out:
                bad.append(f"make {t}, nothing hidden: {rc} {out}")
        for row in rows:
            if not set(row["groups"]) & set(groups) or locate(row) is None:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                rc, out = need([t], hidden_world(rows, row, tmp))
            runs += 1
            name = row["thing"][3:] if row["thing"].startswith("pc:") \
                else row["thing"]
            if row["thing"] == "pkg-config":
                name = "pkg-config"
            if (rc != 1 or len(out) != 1 or not out[0].startswith(
                    f"make {'' if t == 'build' else t + ''}".rstrip()
                    + ": missing ") or name not in out[0] or
                    f"Debian package {row['pkg']} " not in out[0]):
                bad.append(f"make {t} without {row['thing']}: exit {rc}, "
                           f"said {out}")
    assert not bad, "\n  ".join([""] + bad)
    absent = [r["thing"] for r in rows if locate(r) is None]
    return f"{runs} things hidden one at a time, each named alone" + \
        (f"; not installed here, so not hidden: {' '.join(absent)}"
         if absent else "")


@test
def make_targets_stop_first():
    """The targets themselves, with one thing hidden: they stop at once,
    with its line, no traceback, nothing built or run."""
    rows, _ = read_table()
    by = {r["thing"]: r for r in rows}
    cases = [("all", "cc"), ("unit", "pc:check"), ("integration", "nft"),
             ("e2e", "insmod"), ("demo", "pptpd"), ("bench", "ip"),
             ("fuzz", "/usr/lib/llvm-*/lib/clang/*/lib/linux/"
              "libclang_rt.fuzzer-*.a"), ("check", "linux.uml"),
             ("deps-test", "dpkg-query")]
    bad, absent = [], []
    for target, thing in cases:
        row = by[thing]
        if locate(row) is None:
            absent.append(thing)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, **hidden_world(rows, row, tmp))
            # the outer make's variables (make check SANITIZE=1 puts
            # SANITIZE in the environment) would change what the inner
            # make builds and runs
            for v in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES",
                      "SANITIZE", "WERROR", "TESTS", "SCENARIOS", "CLIENT",
                      "COMPARE", "ROUNDS", "SEED", "ONLY", "B"):
                env.pop(v, None)
            build = os.path.join(tmp, "build")
            r = subprocess.run(["make", "-C", TOP, "--no-print-directory",
                                target, f"B={build}", "CC=cc"],
                               env=env, capture_output=True, text=True,
                               timeout=120)
        out = (r.stdout + r.stderr).splitlines()
        said = [l for l in out if re.match(r"make( [\w-]+)?: missing ", l)]
        if (r.returncode == 0 or len(said) != 1 or
                f"Debian package {row['pkg']} " not in said[0] or
                any("Traceback" in l for l in out) or
                any(l.startswith(("cc ", "clang ", "python3 ")) for l in out)):
            bad.append(f"make {target} without {thing}: exit "
                       f"{r.returncode}, said {out}")
    assert not bad, "\n  ".join([""] + bad)
    return f"{len(cases) - len(absent)} targets stopped at their first " \
        "line" + (f"; not installed here, so not tried: {' '.join(absent)}"
                  if absent else "")


@test
def runners_refuse_unknown_names():
    r = subprocess.run([sys.executable, os.path.join(TOP, "tests",
                                                     "integration", "run.py"),
                        "--pptp", "/nonexistent", "--server",
                        "/nonexistent", "connect_and_hangup", "no_such"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "no such test: no_such" in r.stdout \
        and "passed" not in r.stdout, (r.returncode, r.stdout)
    r = subprocess.run([sys.executable, os.path.join(TOP, "tests", "e2e",
                                                     "run.py"),
                        "--client", "/nonexistent", "connect", "no-such"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "no such scenario: no-such" in r.stdout, \
        (r.returncode, r.stdout)


def main():
    return runlib.run(TESTS)

if __name__ == "__main__":
    sys.exit(main())

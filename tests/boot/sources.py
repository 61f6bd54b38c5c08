"""sources.py - the lists tests enumerate, read from where they are
defined, so that adding a server, a system call or a board breaks no test:

    initcalls()  initrd/initcalls: the servers init starts, in file order
    syscalls()   include/keel/syscalls.h, through tools/syscalls.py
    boards()     the boards ./configure accepts
"""

import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# initrd/initcalls' levels, in the order init runs them (initrd/init.c).
LEVELS = ["early", "core", "postcore", "arch", "subsys", "fs", "device", "late"]


def initcalls(path=os.path.join(ROOT, "initrd", "initcalls")):
    """[{level, name, restart, grants, binary, args}] in the file's order."""
    out = []
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            level, name, restart, grants, binary = words[:5]
            out.append({"level": level, "name": name, "restart": restart, "grants": grants,
                        "binary": binary, "args": words[5:]})
    return out


def initcalls_by_level():
    """The initcalls' names, level by level: [[names of a level], ...]."""
    calls = initcalls()
    return [[c["name"] for c in calls if c["level"] == lv] for lv in LEVELS
            if any(c["level"] == lv for c in calls)]


def syscalls():
    """[(number, name)] of every system call."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "syscalls.py"), "--list"],
                         capture_output=True, text=True, check=True).stdout
    return [(int(l.split()[0]), l.split()[1]) for l in out.splitlines() if l.strip()]


def boards(path=os.path.join(ROOT, "configure")):
    """The boards ./configure accepts, in its order (its `case $board in` list)."""
    text = open(path).read()
    m = re.search(r"case \$board in\n([\w|-]+)\) ;;", text)
    assert m, "configure: no board list"
    return m.group(1).split("|")

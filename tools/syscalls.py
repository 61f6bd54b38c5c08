#!/usr/bin/env python3
"""syscalls.py - the system call table of include/keel/syscalls.h, for docs and tests.

  tools/syscalls.py --list            one line per call: number, name, kind, arguments, returns
  tools/syscalls.py --check FILE.md   exit 1 if FILE.md's call table disagrees with the header
  tools/syscalls.py --write FILE.md   rewrite the number, name, arguments and returns columns
                                      of FILE.md's call table from the header (errors and notes
                                      are kept; a new call gets an empty row to fill in)
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ROOT / "include" / "keel" / "syscalls.h"
ENTRY = re.compile(r'X\((\d+),\s*(\w+),\s*([RM]),\s*(\d+),\s*\(([^)]*)\),\s*"([^"]*)"\)')
ROW = re.compile(r"^\| (\d+) \| `(\w+)` \|")


def table():
    """[(nr, name, kind, [args], returns)] in the header's order."""
    calls = []
    for m in ENTRY.finditer(HEADER.read_text()):
        args = [a.strip() for a in m.group(5).split(",") if a.strip()]
        if len(args) != int(m.group(4)):
            sys.exit(f"syscalls.h: {m.group(2)}: {m.group(4)} arguments, but {args} named")
        calls.append((int(m.group(1)), m.group(2), m.group(3), args, m.group(6)))
    nrs = [c[0] for c in calls]
    if nrs != list(range(len(nrs))):
        sys.exit("syscalls.h: numbers must run 0, 1, 2, ... without gaps")
    return calls


def cells(call):
    nr, name, kind, args, ret = call
    argcell = f"`{', '.join(args)}`" if args else ""
    if kind == "M":
        argcell = ", ".join(x for x in (argcell, "message in a1-a6") if x)
    return [str(nr), f"`{name}`", argcell, ret]


def split_row(line):
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]


def doc_rows(text):
    """{nr: (line index, cells)} for the rows of the call table (under "## Calls")."""
    rows = {}
    section = None
    for i, line in enumerate(text.split("\n")):
        if line.startswith("## "):
            section = line[3:].strip()
        if section == "Calls" and ROW.match(line):
            rows[int(ROW.match(line).group(1))] = (i, split_row(line))
    return rows


def check(path):
    text = Path(path).read_text()
    rows = doc_rows(text)
    bad = []
    for call in table():
        want = cells(call)
        if call[0] not in rows:
            bad.append(f"{path}: no row for {call[0]} {call[1]}")
            continue
        got = rows[call[0]][1][:4]
        if got != want:
            bad.append(f"{path}: row {call[0]}: {' | '.join(got)}\n   the table says: {' | '.join(want)}")
    extra = set(rows) - {c[0] for c in table()}
    bad += [f"{path}: row {nr} names no call in syscalls.h" for nr in sorted(extra)]
    for b in bad:
        print(b)
    return 1 if bad else 0


def write(path):
    lines = Path(path).read_text().split("\n")
    rows = doc_rows("\n".join(lines))
    first = min(i for i, _ in rows.values())
    last = max(i for i, _ in rows.values())
    new = []
    for call in table():
        rest = rows[call[0]][1][4:] if call[0] in rows else ["", ""]
        new.append("| " + " | ".join(cells(call) + rest) + " |")
    lines[first:last + 1] = new
    Path(path).write_text("\n".join(lines))
    return 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        for nr, name, kind, args, ret in table():
            print(f"{nr:3} {name:18} {kind} ({', '.join(args)}) -> {ret}")
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        return check(sys.argv[2])
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        return write(sys.argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

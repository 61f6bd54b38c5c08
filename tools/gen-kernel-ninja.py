#!/usr/bin/env python3
"""Rewrite build.ninja's kernel object list from the files under boot/, sbi/ and core/.

Run after adding or removing a core file; `ninja` fails on a missing object otherwise.
core/test/ is built into the test Image only (build/keel-test.elf).
"""
import glob
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The hot paths, built for speed on top of the release build's -Os ($hotflags,
# written by ./configure): the IPC and notification fast paths (the rest of
# IPC, ipc.c, is built for size), the scheduler, the system call entry, and
# memcpy/memset (spawn). Each costs .text; see docs/testing.md.
HOT = {"core/object/ipc_fast.c", "core/kernel/sched.c", "core/syscall/dispatch.c", "core/lib/string.c"}
TWICE = ["core/main.c", "core/platform/cmdline.c"]
BEGIN = "# --- kernel objects (tools/gen-kernel-ninja.py) ---\n"
END = "# --- end of kernel objects ---\n"


def main():
    text = (ROOT / "build.ninja").read_text()
    import os
    os.chdir(ROOT)
    srcs = ["boot/entry.S"] + sorted(glob.glob("core/**/*.S", recursive=True)) + ["sbi/sbi.c"] + \
        sorted(glob.glob("core/**/*.c", recursive=True))
    lines, ship, test = [], [], []
    for s in srcs:
        o = "$builddir/k/" + re.sub(r"\.[cS]$", ".o", s)
        lines.append(f"build {o}: {'kas' if s.endswith('.S') else 'kcc'} {s}")
        if s.startswith("core/test/"):
            lines.append("  kcflags = $kcflags -DKEEL_SELFTESTS=1")
        elif s in HOT:
            lines.append("  kcflags = $kcflags $hotflags")
        (test if s.startswith("core/test/") else ship).append(o)
    # Built twice: without and with the self-tests (KEEL_SELFTESTS): main.c
    # runs them, cmdline.c takes their parameters.
    main_test = list(ship)
    for s in TWICE:
        o = "$builddir/k/" + s[:-2]
        lines.append(f"build {o}-test.o: kcc {s}\n  kcflags = $kcflags -DKEEL_SELFTESTS=1")
        main_test = [t.replace(f"{o}.o", f"{o}-test.o") for t in main_test]
    body = BEGIN + "\n".join(lines) + "\n\nbuild $builddir/keel.elf: kld"
    body += "".join(f" $\n    {o}" for o in ship) + " | boot/kernel.ld tools/check-init\n"
    body += "build $builddir/keel-test.elf: kld" + "".join(f" $\n    {o}" for o in main_test + test)
    body += " | boot/kernel.ld tools/check-init\n" + END
    a, b = text.index(BEGIN), text.index(END) + len(END)
    (ROOT / "build.ninja").write_text(text[:a] + body + text[b:])


if __name__ == "__main__":
    main()

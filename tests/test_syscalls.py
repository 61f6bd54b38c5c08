"""The one syscall table (include/keel/syscalls.h) against what is made from it.

SYSCALLS_0001  docs/syscalls.md's call table agrees with the header, row for row
SYSCALLS_0002  the Image has a handler entry for every call in the table
SYSCALLS_0003  the user runtime has a stub for every plain call, and none for message calls
SYSCALLS_0004  a handler the table does not list, or a listed one missing, fails the build
"""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import syscalls  # noqa: E402


def test_docs_agree_with_table():
    """SYSCALLS_0001"""
    r = subprocess.run([sys.executable, ROOT / "tools" / "syscalls.py", "--check",
                        ROOT / "docs" / "syscalls.md"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_checker_catches_a_wrong_row(tmp_path):
    """SYSCALLS_0001: the check is not a rubber stamp."""
    doc = (ROOT / "docs" / "syscalls.md").read_text().replace("| 3 | `getpid` |", "| 3 | `getpidx` |")
    (tmp_path / "s.md").write_text(doc)
    r = subprocess.run([sys.executable, ROOT / "tools" / "syscalls.py", "--check", tmp_path / "s.md"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "row 3" in r.stdout


def symbols(path):
    out = subprocess.run(["riscv64-unknown-elf-nm", path], capture_output=True, text=True, check=True)
    return {line.split()[-1] for line in out.stdout.splitlines()}


@pytest.mark.parametrize("image", ["keel.elf"])
def test_every_call_has_a_handler(image):
    """SYSCALLS_0002"""
    syms = symbols(ROOT / "build" / image)
    missing = [name for _, name, _, _, _ in syscalls.table() if f"sys_entry_{name}" not in syms]
    assert not missing
    extra = {s for s in syms if s.startswith("sys_entry_")} - {
        f"sys_entry_{c[1]}" for c in syscalls.table()}
    assert not extra


def test_user_stubs(tmp_path):
    """SYSCALLS_0003"""
    src = tmp_path / "stubs.c"
    lines = ['#include "keel.h"']
    lines += [f"void *p_{c[1]} = (void *)keel_sys_{c[1]};" for c in syscalls.table() if c[2] == "R"]
    src.write_text("\n".join(lines) + "\n")
    cc = ["riscv64-unknown-elf-gcc", "--specs=picolibc.specs", "-march=rv64imac", "-mabi=lp64",
          "-Wall", "-Werror", f"-I{ROOT / 'include'}", f"-I{ROOT / 'servers' / 'lib'}", "-c",
          "-o", tmp_path / "stubs.o", src]
    r = subprocess.run(cc, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    msg = [c[1] for c in syscalls.table() if c[2] == "M"]
    src.write_text('#include "keel.h"\nvoid *p = (void *)keel_sys_%s;\n' % msg[0])
    r = subprocess.run(cc, capture_output=True, text=True)
    assert r.returncode != 0


def test_unlisted_handler_fails_to_link(tmp_path):
    """SYSCALLS_0004: a table entry without a handler is a link error, not a hole."""
    src = tmp_path / "t.c"
    src.write_text('#include "syscall/sys_common.h"\n'
                   '#define E(nr, name, kind, n, args, ret) (void *)sys_entry_##name,\n'
                   'void *all[] = { KEEL_SYSCALLS(E) sys_entry_not_a_call };\n')
    r = subprocess.run(["riscv64-unknown-elf-gcc", "-ffreestanding", "-Wall", "-Werror",
                        "-march=rv64imac_zicsr_zifencei", "-mabi=lp64", f"-I{ROOT}",
                        f"-I{ROOT / 'core'}", f"-I{ROOT / 'include'}", "-c", "-o",
                        tmp_path / "t.o", src], capture_output=True, text=True)
    assert r.returncode != 0 and "sys_entry_not_a_call" in r.stderr

"""tools/check-init: nothing resident may reach the core's boot-only sections.

INIT_0001  a resident function that calls an __init one fails the check, and
           so does a resident table that points at one; both are named
INIT_0002  the same program with the call moved into a __ref function and
           the table made __initconst passes
INIT_0003  build/keel.elf and build/keel-test.elf pass (the link runs the
           check too; here it is run again on what ninja built)

The core's __init code is unmapped and its pages reused once the harts are
up (include/keel/init.h, core/main.c free_initmem()). A resident caller left
behind would jump into freed memory the first time it ran after boot, long
after any boot test had passed; the link has to catch it.
"""
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"

BROKEN = r"""
#include "keel/init.h"
__init __attribute__((noinline)) int boot_only(int x) { return x * 3 + 1; }
int (*const boot_table[])(int) = { boot_only };
__attribute__((noinline)) int resident(int x) { return boot_only(x) + 2; }
__attribute__((section(".head.text"))) int head(int x) { return resident(x); }
"""

FIXED = r"""
#include "keel/init.h"
__init __attribute__((noinline)) int boot_only(int x) { return x * 3 + 1; }
int (*const boot_table[])(int) __initconst = { boot_only };
__ref int resident(int x) { return boot_only(x) + 2; }
__attribute__((section(".head.text"))) int head(int x) { return resident(x) + x; }
"""


def config():
    conf = {}
    for line in (BUILD / "config.ninja").read_text().splitlines():
        if " = " in line and not line.startswith("#"):
            k, v = line.split(" = ", 1)
            conf[k.strip()] = v.strip()
    return conf


def link(tmp_path, name, src):
    """@src linked by boot/kernel.ld as the core is; the ELF's path."""
    cross = config()["cross"]
    c, elf = tmp_path / (name + ".c"), tmp_path / (name + ".elf")
    c.write_text(src)
    subprocess.run([cross + "gcc", "-march=rv64imac_zicsr_zifencei", "-mabi=lp64",
                    "-mcmodel=medany", "-O1", "-DKEEL_CORE", "-I" + str(ROOT / "include"),
                    "-ffreestanding", "-nostdlib", "-static", "-fno-pic", "-fno-pie",
                    "-ffunction-sections", "-fdata-sections",
                    "-Wl,-T," + str(ROOT / "boot" / "kernel.ld"), "-o", str(elf), str(c)],
                   check=True, capture_output=True, text=True)
    return elf


def check(elf):
    cross = config()["cross"]
    return subprocess.run(["python3", str(ROOT / "tools" / "check-init"), cross + "objdump",
                           str(elf)], capture_output=True, text=True)


def test_init_0001_resident_call_and_table_into_init_fail(tmp_path):
    r = check(link(tmp_path, "broken", BROKEN))
    assert r.returncode == 1, r.stdout + r.stderr
    assert any(l.startswith("check-init: resident ") and "boot-only boot_only" in l
               for l in r.stdout.splitlines()), r.stdout
    assert any(l.startswith("check-init: .rodata at ") and "boot-only boot_only" in l
               for l in r.stdout.splitlines()), r.stdout
    assert "2 reference(s)" in r.stdout, r.stdout


def test_init_0002_ref_caller_and_initconst_table_pass(tmp_path):
    r = check(link(tmp_path, "fixed", FIXED))
    assert r.returncode == 0 and not r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("elf", ["keel.elf", "keel-test.elf"])
def test_init_0003_the_core_passes(elf):
    path = BUILD / elf
    if not path.exists():
        pytest.skip("%s not built" % elf)
    r = check(path)
    assert r.returncode == 0, r.stdout + r.stderr

"""Nothing in the core's .bss or .data is sized for the most harts a machine may have.

STATIC_0001  every .bss/.data object of 4 KiB or more is one listed below, with why
             it does not grow with the hart count
STATIC_0002  the per-hart tables are allocated at boot for the harts the tree has:
             what stays static of them is a pointer, one boot cpu or a bitmap

cpus[], the device tree's hart table, the pen and the PLIC's contexts
were static arrays for 256 to 1024 harts (88 KiB of .bss at any hart count). They
are now allocated once the page allocator runs, sized by the cpu nodes of the tree
(smp_cpus_init(), plic_find_contexts()), or read from the tree when needed
(dt_next_hart()). A new big static object fails STATIC_0001 until it is either
allocated at boot or listed here with its reason.
"""
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ELF = ROOT / "build" / "keel.elf"
BIG = 4096

# name -> why its size does not depend on the number of harts
FIXED = {
    "log_ring": "the kernel log, a fixed size (lib/log.c)",
    "as_asids": "a bit per ASID the hardware may have (mm/as.c)",
    "cmdline_buf": "COMMAND_LINE_SIZE (platform/cmdline.c)",
    "cmdline_orig": "COMMAND_LINE_SIZE (platform/cmdline.c)",
    "initcall_blacklist_env": "COMMAND_LINE_SIZE + 32 (main.c)",
    "boot_emerg_stack": "the boot hart's own overflow stack, one page (kernel/smp.c)",
}


def base_name(name):
    """A static's name without what the compiler adds: a.0, x.lto_priv.0 -> a, x."""
    return re.sub(r"(\.lto_priv)?(\.\d+)*$", "", name)

# The per-hart tables that were static: at most this many bytes stay static of each.
PER_HART = ["cpus", "smp_pen", "smp_parked", "plic_ctx", "smp_boot_cpu"]
PER_HART_MAX = 256


def static_objects():
    if not ELF.exists():
        pytest.fail(f"{ELF} is missing: run `ninja` first", pytrace=False)
    out = subprocess.run(["riscv64-unknown-elf-nm", "-S", "--defined-only", ELF],
                         capture_output=True, text=True, check=True).stdout
    objs = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "bBdD":
            objs[base_name(f[3])] = max(objs.get(base_name(f[3]), 0), int(f[1], 16))
    return objs


def test_no_big_static_object_but_the_listed():
    """STATIC_0001"""
    big = {n: s for n, s in static_objects().items() if s >= BIG and n not in FIXED}
    assert not big, ("static objects of 4 KiB or more that are not known to stay that size "
                     "whatever the hart count (allocate them at boot, or list them with why): "
                     + ", ".join(f"{n} {s} bytes" for n, s in sorted(big.items())))


def test_per_hart_tables_are_not_static():
    """STATIC_0002"""
    objs = static_objects()
    big = {n: objs[n] for n in PER_HART if objs.get(n, 0) > PER_HART_MAX}
    assert not big, "per-hart tables still static: %s" % big
    dt = objs.get("machine_dt", 0)
    assert dt < BIG, "machine_dt is %d bytes: does it hold a table per hart again?" % dt

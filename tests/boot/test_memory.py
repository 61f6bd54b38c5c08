"""Memory comes back (docs/memory.md): tests/user/memtest.c, run from the
shell, exhausts memory and gets the largest block again, maps and unmaps
in a loop without growing, and holds more kernel objects than the old
static pools had room for. Each case prints MEM_nnnn ok/FAIL lines and
its figures ("memtest: ..."), which the test echoes for the record."""

import re

import pytest

import keel as K
from test_servers import boot, output, power_off


def run_case(keel, case, smp=2, timeout=4 * K.BOOT_TIMEOUT):
    k = boot(keel, smp=smp)
    k.send("/bin/memtest %s\r" % case)
    m = k.expect_line(r"^memtest: %s: (\d+) failed$" % case, timeout)
    fails = [l for l in k.lines if re.match(r"^MEM_\d+ FAIL", l)]
    for line in k.lines:
        if line.startswith("memtest: ") or re.match(r"^MEM_\d+ ", line):
            print(line)
    assert m.group(1) == "0" and not fails, k.why("failed: %s" % fails)
    return k


def test_memory_exhausted_and_freed_gives_the_largest_block_again(keel):
    k = run_case(keel, "exhaust")
    assert len([l for l in k.lines if re.match(r"^MEM_000\d ok", l)]) == 8
    free = output(k, "free")
    assert re.match(r"^largest free block \d+ KiB, \d+ KiB in hart caches, \d+ KiB of kernel "
                    r"objects$", free[2]), k.why("free: %s" % free)
    assert re.match(r"^free blocks by size \(KiB\):( \d+:\d+)+$", free[3]), \
        k.why("free: %s" % free)
    # The shell's `run` and `ls /mnt` need mem_create: still fine.
    shell_ok = output(k, "ls /")
    assert any("bin" in l for l in shell_ok), k.why("ls / after: %s" % shell_ok)
    power_off(k)


@pytest.mark.parametrize("smp", [1, 4])
def test_mmap_munmap_loops_hold_what_they_held(keel, smp):
    k = run_case(keel, "loop", smp=smp)
    assert len([l for l in k.lines if re.match(r"^MEM_001\d ok", l)]) == 6
    power_off(k)


def test_more_objects_than_the_old_pools_and_they_come_back(keel):
    # One hart: a round is 0.3 s here, and 20 s at -smp 4 on a loaded host
    # (each spawn and wake-up crosses harts; TCG makes those slow).
    k = run_case(keel, "objects", smp=1)
    assert len([l for l in k.lines if re.match(r"^MEM_002\d ok", l)]) == 4
    power_off(k)

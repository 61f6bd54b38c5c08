"""Memory comes back (docs/memory.md): tests/user/memtest.c, run from the
shell, exhausts memory and gets the largest block again, maps and unmaps
in a loop without growing, and holds more kernel objects than the old
static pools had room for. Each case prints MEM_nnnn ok/FAIL lines and
its figures ("memtest: ..."), which the test echoes for the record."""

import re
import subprocess

import pytest

import keel as K
from test_servers import boot, output, power_off


def run_case(keel, case, smp=2, timeout=4 * K.BOOT_TIMEOUT, **kw):
    k = boot(keel, smp=smp, **kw)
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


def test_memory_a_reserved_region_that_swallows_a_whole_range(keel, conf, tmp_path):
    """QEMU's tree with a reserved region over all the memory below the
    kernel (as OpenSBI's own grows to with 128 harts): that range ends up
    empty, and no page of it, nor page 0, may ever be handed out."""
    base, src, dtb = (str(tmp_path / n) for n in ("virt.dtb", "resv.dts", "resv.dtb"))
    subprocess.run([conf["qemu"], "-M", "virt,dumpdtb=" + base, "-smp", "2", "-m", "256M",
                    "-nographic"], check=True, capture_output=True)
    dts = subprocess.run([conf["dtc"], "-q", "-I", "dtb", "-O", "dts", base], check=True,
                         capture_output=True, text=True).stdout
    assert "reserved-memory" not in dts, "QEMU's tree has a reserved-memory node now"
    node = ("\treserved-memory {\n\t\t#address-cells = <0x02>;\n\t\t#size-cells = <0x02>;\n"
            "\t\tranges;\n\n\t\tbelow-kernel@80000000 {\n"
            "\t\t\treg = <0x00 0x80000000 0x00 0x200000>;\n\t\t\tno-map;\n\t\t};\n\t};\n\n")
    with open(src, "w") as f:
        f.write(dts.replace("\tchosen {\n", node + "\tchosen {\n", 1))
    subprocess.run([conf["dtc"], "-q", "-I", "dts", "-O", "dtb", "-o", dtb, src], check=True)
    k = run_case(keel, "exhaust", dtb=dtb)
    assert k.find(r"\] mem: reserved 0x0000000080000000-0x00000000801fffff .*below-kernel"), \
        k.why("the reserved region is not in the log")
    power_off(k)

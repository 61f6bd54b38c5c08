"""The core's boot-only sections (include/keel/init.h) are freed once the
harts are up: kernel_init() unmaps [__init_begin, __init_end) and gives its
pages to the page allocator. Checked from outside the guest: QEMU's monitor
translates addresses through the harts' own page tables, and the shell's
`free` counts the pages."""

import re

import keel as K
from test_servers import INITRAMFS, boot, hart_of_cpu, output, power_off, shell

PAGE = 4096
LOAD_PA = 0x80200000  # where QEMU virt's OpenSBI (fw_dynamic) loads the Image


def gva2gpa(k, va):
    """Ask QEMU's monitor (Ctrl-A c on -nographic) where hart 0's current
    page table maps @va; the physical address, or None if unmapped."""
    k.send("\x01c")
    k.expect_text(r"\(qemu\) ")
    k.send("gva2gpa 0x%x\r" % va)
    m = k.expect_text(r"(gpa: 0x([0-9a-f]+)|Unmapped)")
    k.expect_text(r"\(qemu\) ")
    k.send("\x01c")
    return int(m.group(2), 16) if m.group(2) else None


def test_boot_only_sections_are_unmapped_and_their_pages_free(keel, conf):
    syms = K.symbols(conf)
    begin, end = syms["__init_begin"], syms["__init_end"]
    assert end - begin >= 3 * PAGE, "the boot-only sections shrank to %d bytes" % (end - begin)
    assert begin < syms["core_main"] < end, "core_main() is not boot-only any more"
    k = boot(keel, smp=2)
    pmem = int(k.find(r"\] pmem: (\d+) pages free").group(1))
    freed = int(k.find(r"\] core: freed (\d+) KiB of boot-only code$").group(1))
    assert freed * 1024 == end - begin, k.why("freed %d KiB, the sections are %d bytes"
                                              % (freed, end - begin))
    # The order of the log: the harts and the initramfs first, then the free.
    lines = k.keel_lines()
    at = lambda r: next(i for i, l in enumerate(lines) if re.search(r, l))
    assert at(r"smp: brought up") < at(r"core: freed") < at(r"Run /init as init process")

    # Every page of the range is gone from the kernel map; the text before it stays.
    for va in range(begin, end, PAGE):
        assert gva2gpa(k, va) is None, k.why("0x%x (boot-only) is still mapped" % va)
    resident = syms["secondary_main"]
    assert gva2gpa(k, resident) == LOAD_PA + resident - syms["_start"], \
        k.why("resident secondary_main at 0x%x is not mapped where it was loaded" % resident)

    # ... and its pages are the allocator's: total = what pmem found + the freed pages.
    free = output(k, "free")
    mem = next((l for l in free if l.startswith("Mem:")), None)
    assert mem, k.why("free printed no Mem: line: %r" % free)
    total_kib = int(mem.split()[1])
    assert total_kib == pmem * 4 + freed, \
        k.why("total %d KiB, expected pmem's %d pages + %d KiB freed" % (total_kib, pmem, freed))

    # Code that runs after boot still works: a hart (not the boot hart) leaves and comes back.
    other = hart_of_cpu(k)[1]
    shell(k, "hart offline %d" % other, r"^hart %d: offline$" % other)
    shell(k, "hart online %d" % other, r"^hart %d: online$" % other)
    power_off(k)


def test_the_free_does_not_stall_many_harts(keel):
    """The shootdown of the freed range waits like every other
    wait of the core, asleep, not spinning. Under thread=single one host
    thread runs every hart round-robin, and a hart that spins keeps it
    until QEMU's 100 ms kick: a flush that spun in the firmware (OpenSBI
    1.1's remote sfence.vma waits so for each hart's answer) once held
    32 harts 3 s between `smp: brought up` and `core: freed`, 128 harts
    12.5 s. Asleep, it is a few milliseconds; 1 s leaves room for any host."""
    k = keel(smp=32, initrd=INITRAMFS,
             extra=["-accel", "tcg,thread=single"])
    up = k.expect_line(r"^\[\s*(\d+)\.(\d+)\] smp: brought up 32 of 32 harts", K.BIG_BOOT_TIMEOUT)
    freed = k.expect_line(r"^\[\s*(\d+)\.(\d+)\] core: freed \d+ KiB of boot-only code$",
                          K.BIG_BOOT_TIMEOUT)
    k.expect_line(r"^init: ready$", K.BOOT_TIMEOUT)
    stamp = lambda m: int(m.group(1)) + int(m.group(2)) / 1e6
    gap = stamp(freed) - stamp(up)
    assert gap < 1.0, k.why("%.3f s from `smp: brought up` to `core: freed` at 32 harts" % gap)
    power_off(k)

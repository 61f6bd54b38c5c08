"""QEMU virt: Keel boots at 1 to 8 harts, under fw_dynamic and fw_jump,
with little and much memory, logs what it found and powers off (exit 0)."""

import re

import pytest

import keel as K

MiB = 1 << 20
PAGE = 4096


def check_boot_log(k, smp, mem_mib):
    """What every plain virt boot must have said; @k has exited."""
    # Firmware handshake: the version, and the extensions SMP and poweroff need.
    assert k.find(r"\] sbi: SBI specification v\d+\.\d+, OpenSBI v\d+\.\d+$"), \
        k.why("no `sbi: SBI specification` line")
    ext = k.find(r"\] sbi: extensions: (.*)$")
    assert ext, k.why("no `sbi: extensions:` line")
    for name in ("TIME", "IPI", "HSM", "SRST"):
        assert re.search(r"\b%s\b" % name, ext.group(1).split(";")[0]), \
            k.why("sbi: extensions lack %s: %r" % (name, ext.group(0)))
    assert k.find(r"\] sbi: console through "), k.why("no `sbi: console` line")
    assert k.find(r"\] dt: machine model: riscv-virtio,qemu \("), \
        k.why("no `dt: machine model: riscv-virtio,qemu`")

    # The hart table: harts 0..smp-1, each once, all usable.
    table = k.hart_table()
    assert sorted(table) == list(range(smp)), \
        k.why("cpu: lines list harts %s, expected 0-%d" % (sorted(table), smp - 1))
    unusable = {h: e[0] for h, e in table.items() if e[0] != "usable"}
    assert not unusable, k.why("harts not usable: %s" % unusable)
    assert k.find(r"\] cpu: %d harts in the device tree, %d usable, timebase \d+ Hz$"
                  % (smp, smp)), k.why("no `cpu: %d harts ..., %d usable` line" % (smp, smp))

    # The boot hart: OpenSBI's lottery, Keel's table and smp: agree.
    check_boot_hart(k, smp)

    # Memory: one region of the size QEMU was given, and pages to match.
    assert k.find(r"\] mem: memory  0x0*80000000-0x[0-9a-f]{16} +%d MiB \(memory@80000000\)$"
                  % mem_mib), k.why("no `mem: memory ... %d MiB` line" % mem_mib)
    assert k.find(r"\] mem: %d MiB of memory in 1 region$" % mem_mib), \
        k.why("no `mem: %d MiB of memory in 1 region`" % mem_mib)
    check_pmem(k, mem_mib)

    assert k.find(r"\] Kernel command line: "), k.why("no `Kernel command line:` line")
    assert k.find(r"\] core: bring-up done in \d+ us on hart \d+; \d+ pages free$"), \
        k.why("no `core: bring-up done` line")
    assert k.find(r"\] core: no initramfs; powering off$"), k.why("no `core: no initramfs`")
    k.check_stamps()


def check_boot_hart(k, smp):
    """Keel's boot hart is OpenSBI's `Boot HART ID`, everywhere it is named."""
    sbi = k.opensbi_boot_hart()
    assert sbi is not None and 0 <= sbi < smp, \
        k.why("OpenSBI's Boot HART ID is %r at -smp %d" % (sbi, smp))
    marked = [h for h, e in k.hart_table().items() if e[3]]
    assert marked == [sbi], \
        k.why("the cpu: table marks %s as boot hart; OpenSBI booted %d" % (marked, sbi))
    m = k.find(r"\] smp: boot hart (\d+) is cpu 0; (\d+) usable harts$")
    assert m, k.why("no `smp: boot hart H is cpu 0` line")
    assert int(m.group(1)) == sbi, \
        k.why("smp: says boot hart %s; OpenSBI booted %d" % (m.group(1), sbi))
    assert int(m.group(2)) == smp, k.why("smp: counts %s usable harts, not %d"
                                         % (m.group(2), smp))
    up = k.find(r"\] smp: brought up (\d+) of (\d+) harts")
    assert up and up.group(1) == up.group(2) == str(smp), \
        k.why("smp: brought up %s, expected %d of %d harts"
              % (up and up.group(0), smp, smp))
    done = k.find(r"\] core: bring-up done in \d+ us on hart (\d+);")
    assert done and int(done.group(1)) == sbi, \
        k.why("core: bring-up done names hart %s, not %d" % (done and done.group(1), sbi))
    return sbi


def check_pmem(k, mem_mib):
    """Free pages: fewer than all of memory, more than all but a few MiB."""
    total = mem_mib * MiB // PAGE
    slack = 4 * MiB // PAGE  # OpenSBI 512 KiB, the kernel < 1 MiB, the DT
    m = k.find(r"\] pmem: (\d+) pages free \((\d+) MiB\)")
    assert m, k.why("no `pmem: N pages free` line")
    free = int(m.group(1))
    assert total - slack < free < total, \
        k.why("pmem: %d pages free of %d (%d MiB); expected %d..%d"
              % (free, total, mem_mib, total - slack + 1, total - 1))
    assert int(m.group(2)) == free * PAGE // MiB, k.why("pmem: MiB disagree with pages")
    done = k.find(r"\] core: bring-up done .*; (\d+) pages free$")
    assert done and total - slack < int(done.group(1)) <= free, \
        k.why("core: bring-up done counts %s pages free; pmem said %d"
              % (done and done.group(1), free))


@pytest.mark.parametrize("smp", [1, 2, 4, 8, 32], ids=lambda n: "smp%d" % n)
def test_virt_boots_lists_every_hart_and_powers_off(keel, smp):
    k = keel(smp=smp)
    status = k.boot_to_poweroff(K.BIG_BOOT_TIMEOUT if smp >= 32 else K.BOOT_TIMEOUT)
    assert status == 0, k.why("QEMU exit status %s, expected 0 (poweroff)" % status)
    check_boot_log(k, smp, 256)


def test_virt_boots_under_fw_jump(keel, conf):
    k = keel(smp=2, bios=conf["fw_jump"])
    status = k.boot_to_poweroff()
    assert status == 0, k.why("QEMU exit status %s, expected 0 (poweroff)" % status)
    check_boot_log(k, 2, 256)


@pytest.mark.parametrize("mem,mib", [("128M", 128), ("2G", 2048)], ids=["128M", "2G"])
def test_virt_memory_size_is_found_and_counted(keel, mem, mib):
    k = keel(smp=2, mem=mem)
    status = k.boot_to_poweroff()
    assert status == 0, k.why("QEMU exit status %s, expected 0 (poweroff)" % status)
    check_boot_log(k, 2, mib)


def test_virt_boot_hart_is_opensbis_lottery_winner(keel):
    """Under multi-threaded TCG any hart may win OpenSBI's lottery; Keel
    must name the one it really runs on, each time."""
    seen = []
    for _ in range(4):
        k = keel(smp=8)
        status = k.boot_to_poweroff()
        assert status == 0, k.why("QEMU exit status %s, expected 0 (poweroff)" % status)
        seen.append(check_boot_hart(k, 8))
    K.NOTES.append("boot harts at -smp 8 over %d boots: %s (set %s)"
                   % (len(seen), seen, sorted(set(seen))))


def test_virt_debug_lines_from_every_hart_keep_stamp_order(keel):
    """With `debug`, each secondary logs its own `online` line while others
    do too: the log stays in stamp order, and every hart checks in once."""
    k = keel(smp=8, append="debug")
    status = k.boot_to_poweroff()
    assert status == 0, k.why("QEMU exit status %s, expected 0 (poweroff)" % status)
    k.check_stamps()
    sbi = k.opensbi_boot_hart()
    online = sorted(int(m.group(1)) for m in k.find_all(r"\] smp: hart (\d+) online as cpu \d+$"))
    assert online == sorted(set(range(8)) - {sbi}), \
        k.why("`online` lines from harts %s; expected every hart but %d" % (online, sbi))

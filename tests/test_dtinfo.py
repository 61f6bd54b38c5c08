"""
test_dtinfo.py - build/host/dtinfo, the core's device-tree reader on the
host, on every board tree.

DTINFO_0001 the VisionFive 2 (JH7110) tree: every line, in order - S7 hart
            0 skipped, U74 harts 1-4 usable with Sv39, 4 MHz timebase, RAM at
            0x40000000, OpenSBI's reservations, /chosen, the DesignWare UART
            found through the serial0 alias (reg-shift 2, reg-io-width 4),
            136 PLIC sources, which node gets which server
DTINFO_0002 the VisionFive (JH7100) tree: every line - two U74 harts, 6.25
            MHz, RAM at 0x80000000, a dynamic CMA pool left out, uart3 by
            alias, 133 PLIC sources
DTINFO_0003 a JH7110 tree whose S7 node is not disabled: skipped for no MMU
DTINFO_0004 QEMU's own virt tree: ns16550a console by path, virtio servers
DTINFO_0005 QEMU's own sifive_u tree: E51 hart 0 skipped, SiFive UART
DTINFO_0006 a tree the core refuses: exit status 1 and the reason

`ninja board-tests` builds dtinfo and the board trees, `ninja host-tests`
QEMU's dumps; a missing one is a failure, not a skip.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("KEEL_BUILDDIR", ROOT / "build"))
DTINFO = BUILD / "host" / "dtinfo"


def dtinfo(dtb, status=0):
    for path in (DTINFO, dtb):
        if not path.exists():
            pytest.fail(f"{path} is missing: run `ninja board-tests host-tests`",
                        pytrace=False)
    proc = subprocess.run([str(DTINFO), str(dtb)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == status, \
        f"dtinfo {dtb}: exit status {proc.returncode}\n{proc.stdout}{proc.stderr}"
    assert not proc.stderr, proc.stderr
    return proc.stdout.splitlines()


def same_lines(got, want):
    want = [line for line in want.strip("\n").splitlines()]
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"line {i + 1}: got\n  {g!r}\nwant\n  {w!r}"
    assert len(got) == len(want), \
        f"{len(got)} lines, want {len(want)}; extra: {(got[len(want):] or want[len(got):])!r}"


VISIONFIVE2 = """
model: StarFive VisionFive 2 v1.3B
compatible: starfive,visionfive-2-v1.3b starfive,jh7110
timebase: 4000000 Hz
harts: 5 in the tree, 4 usable
hart 0: skipped (disabled); isa rv64imac_zba_zbb; mmu none
hart 1: usable; isa rv64imafdc_zba_zbb; mmu riscv,sv39
hart 2: usable; isa rv64imafdc_zba_zbb; mmu riscv,sv39
hart 3: usable; isa rv64imafdc_zba_zbb; mmu riscv,sv39
hart 4: usable; isa rv64imafdc_zba_zbb; mmu riscv,sv39
timer: SBI TIME (no usable hart lists Sstc)
memory: 0x0000000040000000-0x000000013fffffff 4096 MiB (memory@40000000)
reserved: 0x0000000040000000-0x000000004003ffff 256 KiB (mmode_resv0@40000000)
reserved: 0x0000000040040000-0x000000004007ffff 256 KiB (mmode_resv1@40040000)
chosen: bootargs "board=visionfive2"
chosen: initrd 0x46100000-0x46156a00
chosen: stdout-path "serial0" options 115200n8
console: /soc/serial@10000000 (alias serial0)
console: compatible snps,dw-apb-uart
console: status okay
console: reg 0x10000000 size 0x10000
console: reg-shift 2
console: reg-io-width 4
console: clock-frequency 24000000
console: current-speed none (see stdout-path options)
console: the SBI console (OpenSBI drives this UART) until the console server takes it over through uart-8250
plic: /soc/interrupt-controller@c000000 (sifive,plic-1.0.0)
plic: reg 0xc000000 size 0x4000000
plic: 136 interrupt sources
dma: coherent
device: /soc/timer@2000000: sifive,clint0 -> firmware (M-mode timer and IPIs: SBI TIME and IPI)
server: /soc/serial@10000000: snps,dw-apb-uart -> uart-8250; DesignWare: 32-bit accesses only
device: /soc/mmc@16020000: starfive,jh7110-mmc -> no entry
servers: 1 of 3 devices have a server entry
"""

VISIONFIVE = """
model: StarFive VisionFive V1
compatible: starfive,visionfive-v1 starfive,jh7100
timebase: 6250000 Hz
harts: 2 in the tree, 2 usable
hart 0: usable; isa rv64imafdc; mmu riscv,sv39
hart 1: usable; isa rv64imafdc; mmu riscv,sv39
timer: SBI TIME (no usable hart lists Sstc)
memory: 0x0000000080000000-0x000000027fffffff 8192 MiB (memory@80000000)
reserved: 0x0000000080000000-0x000000008007ffff 512 KiB (mmode_resv0@80000000)
chosen: no bootargs
chosen: no initrd
chosen: stdout-path "serial0" options 115200n8
console: /soc/serial@12440000 (alias serial0)
console: compatible starfive,jh7100-uart snps,dw-apb-uart
console: status okay
console: reg 0x12440000 size 0x10000
console: reg-shift 2
console: reg-io-width 4
console: clock-frequency none (clocks by phandle)
console: current-speed none (see stdout-path options)
console: the SBI console (OpenSBI drives this UART) until the console server takes it over through uart-8250
plic: /soc/interrupt-controller@c000000 (sifive,plic-1.0.0)
plic: reg 0xc000000 size 0x4000000
plic: 133 interrupt sources
dma: not cache-coherent (dma-noncoherent on /soc): a driver that hands memory to a device must write back and invalidate the caches itself
device: /soc/timer@2000000: sifive,clint0 -> firmware (M-mode timer and IPIs: SBI TIME and IPI)
device: /soc/clock-controller@11800000: starfive,jh7100-clkgen -> no entry
server: /soc/serial@12440000: snps,dw-apb-uart -> uart-8250; DesignWare: 32-bit accesses only
servers: 1 of 3 devices have a server entry
"""


def test_dtinfo_visionfive2():
    """DTINFO_0001"""
    same_lines(dtinfo(BUILD / "boards" / "jh7110-visionfive2.dtb"), VISIONFIVE2)


def test_dtinfo_visionfive():
    """DTINFO_0002"""
    same_lines(dtinfo(BUILD / "boards" / "jh7100-visionfive.dtb"), VISIONFIVE)


def test_dtinfo_jh7110_s7_enabled():
    """DTINFO_0003: tests/dt/vf2-jh7110.dts leaves the S7 node okay."""
    out = dtinfo(BUILD / "dt" / "vf2-jh7110.dtb")
    assert "hart 0: skipped (no MMU); isa rv64imac_zba_zbb; mmu none" in out, out
    assert "harts: 5 in the tree, 4 usable" in out, out
    assert "console: /soc/serial@10000000 (alias serial0)" in out, out


def harts(out):
    return [line for line in out if line.startswith("hart ")]


def test_dtinfo_qemu_virt():
    """DTINFO_0004"""
    out = dtinfo(BUILD / "dt" / "qemu-virt-4.dtb")
    assert out[0] == "model: riscv-virtio,qemu", out
    assert "harts: 4 in the tree, 4 usable" in out, out
    for i, line in enumerate(harts(out)):
        assert re.fullmatch(r"hart %d: usable; isa rv64\w+; mmu riscv,sv48" % i, line), line
    assert "timebase: 10000000 Hz" in out, out
    assert "memory: 0x0000000080000000-0x000000008fffffff 256 MiB (memory@80000000)" in out
    for want in ['chosen: stdout-path "/soc/serial@10000000"',
                 "console: /soc/serial@10000000",
                 "console: compatible ns16550a",
                 "console: reg 0x10000000 size 0x100",
                 "console: reg-shift none (0)",
                 "console: reg-io-width none (1)",
                 "console: clock-frequency 3686400",
                 "plic: reg 0xc000000 size 0x600000",
                 "server: /soc/serial@10000000: ns16550a -> uart-8250",
                 "device: /soc/test@100000: sifive,test1 -> core (QEMU's test finisher: power.c)"]:
        assert want in out, f"no {want!r} in\n" + "\n".join(out)
    virtio = [line for line in out if re.fullmatch(
        r"server: /soc/virtio_mmio@1000[1-8]000: virtio,mmio -> virtio-blk; "
        r"disks only: devmgr probes the slot",
        line)]
    assert len(virtio) == 8, out
    assert re.search(r"^plic: \d+ interrupt sources$", "\n".join(out), re.M), out
    assert out[-1] == "servers: 9 of %d devices have a server entry" % (
        len([line for line in out if line.startswith(("server: ", "device: "))])), out


def test_dtinfo_qemu_sifive_u():
    """DTINFO_0005"""
    out = dtinfo(BUILD / "dt" / "qemu-sifive_u-5.dtb")
    assert "harts: 5 in the tree, 4 usable" in out, out
    hs = harts(out)
    assert re.fullmatch(r"hart 0: skipped \(no MMU\); isa rv64imac\w*; mmu none", hs[0]), hs
    for i, line in enumerate(hs[1:], 1):
        assert re.fullmatch(r"hart %d: usable; isa rv64imafdc\w*; mmu riscv,sv\d\d" % i, line), line
    for want in ["console: /soc/serial@10010000",
                 "console: reg 0x10010000 size 0x1000",
                 "console: clock-frequency none (clocks by phandle)",
                 "server: /soc/serial@10010000: sifive,uart0 -> uart-sifive",
                 "timer: SBI TIME (no usable hart lists Sstc)"]:
        assert want in out, f"no {want!r} in\n" + "\n".join(out)


def test_dtinfo_refused_tree():
    """DTINFO_0006"""
    dtb = BUILD / "dt" / "bad-no-memory.dtb"
    out = dtinfo(dtb, status=1)
    assert out == [f"dtinfo: {dtb}: Keel refuses it: no memory node (offset 0x38, node /)"], out

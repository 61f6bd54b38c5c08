"""
test_devtree.py - what devmgr makes of a device tree: build/host/devtree_test
runs servers/devmgr/devtree.c (with the core's reader) on the host and prints
the driver argv devmgr would start each device with.

DEVTREE_0001 the VisionFive 2 tree: the DesignWare console UART through the
             serial0 alias, irq 32, reg-shift 2, reg-io-width 4, 24 MHz
DEVTREE_0002 the VisionFive tree: the console is uart3, irq 73, no
             clock-frequency (its clock is by phandle)
DEVTREE_0003 QEMU virt: the ns16550a console with irq 10, and the eight
             virtio-mmio slots (devmgr probes them on the machine)
DEVTREE_0004 QEMU sifive_u: both SiFive UARTs, irq 4 (the console) and 5
DEVTREE_0005 buses.dts: ranges through two buses, a bus without ranges, a
             later compatible string, status "ok" and "disabled", /cpus,
             interrupts-extended to the PLIC or elsewhere, an inherited,
             foreign or linux,phandle interrupt-parent, irq 0, short reg
DEVTREE_0006 a tree the core refuses: exit status 1 and the reason
"""

import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
TOOL = BUILD / "host" / "devtree_test"


def devtree(dtb, status=0):
    assert TOOL.exists(), f"{TOOL} missing: run ninja devmgr-tests"
    assert dtb.exists(), f"{dtb} missing: run ninja devmgr-tests board-tests host-tests"
    r = subprocess.run([str(TOOL), str(dtb)], capture_output=True, text=True, timeout=30)
    assert r.returncode == status, (r.returncode, r.stdout, r.stderr)
    assert not r.stderr, r.stderr
    return r.stdout.splitlines()


def started(out):
    return [line[len("start: "):] for line in out if line.startswith("start: ")]


def test_devtree_visionfive2():
    """DEVTREE_0001"""
    out = devtree(BUILD / "boards" / "jh7110-visionfive2.dtb")
    assert started(out) == [
        "/sbin/uart-8250 /soc/serial@10000000 reg=0x10000000,0x10000 irq=32 reg-shift=2 "
        "reg-io-width=4 clock-frequency=24000000 console"], out
    assert "none: /soc/mmc@16020000: starfive,jh7110-mmc" in out, out


def test_devtree_visionfive():
    """DEVTREE_0002"""
    out = devtree(BUILD / "boards" / "jh7100-visionfive.dtb")
    assert started(out) == [
        "/sbin/uart-8250 /soc/serial@12440000 reg=0x12440000,0x10000 irq=73 reg-shift=2 "
        "reg-io-width=4 console"], out


def test_devtree_qemu_virt():
    """DEVTREE_0003"""
    out = devtree(BUILD / "dt" / "qemu-virt-4.dtb")
    want = ["/sbin/uart-8250 /soc/serial@10000000 reg=0x10000000,0x100 irq=10 "
            "clock-frequency=3686400 console"]
    want += ["/sbin/virtio-blk /soc/virtio_mmio@1000%d000 reg=0x1000%d000,0x1000 irq=%d"
             % (i, i, i) for i in range(8, 0, -1)]
    assert started(out) == want, out
    assert not [line for line in out if line.startswith("skip: ")], out


def test_devtree_qemu_sifive_u():
    """DEVTREE_0004"""
    out = devtree(BUILD / "dt" / "qemu-sifive_u-5.dtb")
    assert started(out) == [
        "/sbin/uart-sifive /soc/serial@10010000 reg=0x10010000,0x1000 irq=4 console",
        "/sbin/uart-sifive /soc/serial@10011000 reg=0x10011000,0x1000 irq=5"], out


BUSES = """
console: yes
none: /gpio@e000000: keel,gpio
start: /sbin/uart-8250 /bus@40000000/serial@1000 reg=0x40001000,0x100 irq=7 reg-shift=2 reg-io-width=4 current-speed=115200 console
skip: /bus@40000000/serial@200000: ns16550: reg is a bus address with no ranges to the CPU
start: /sbin/uart-8250 /bus@40000000/sub@80000/serial@100 reg=0x40080100,0x20 irq=9
none: /i2c@50000000: keel,i2c
skip: /i2c@50000000/serial@48: ns16550a: reg is a bus address with no ranges to the CPU
start: /sbin/uart-sifive /soc/serial@10000000 reg=0x10000000,0x1000 irq=3
start: /sbin/uart-sifive /soc/serial@10001000 reg=0x10001000,0x1000 irq=-1
start: /sbin/uart-sifive /soc/serial@10002000 reg=0x10002000,0x1000 irq=-1
start: /sbin/uart-8250 /soc/serial@10003000 reg=0x10003000,0x100 irq=12
start: /sbin/virtio-blk /soc/virtio_mmio@10008000 reg=0x10008000,0x1000 irq=-1
skip: /soc/serial@10004000: ns16550a: reg has size 0
skip: /soc/serial@10005000: ns16550a: reg is shorter than one window
"""


def test_devtree_buses():
    """DEVTREE_0005: every line, in tree order."""
    out = devtree(BUILD / "devmgr" / "buses.dtb")
    want = BUSES.strip().splitlines()
    assert out == want, "\n".join(
        ["got:"] + out + ["want:"] + want)


def test_devtree_refused_tree():
    """DEVTREE_0006"""
    out = devtree(BUILD / "dt" / "bad-no-memory.dtb", status=1)
    assert out == ["devtree: no memory node (offset 0x38, node /)"], out

"""The U-Boot path (board qemu-virt-uboot), the VisionFive boot chain on
QEMU virt: OpenSBI fw_dynamic -> Debian's S-mode U-Boot -> Keel, booting
build/qemu-virt-uboot/disk.img ('ninja package', tools/mkboot).

UBOOT_0001 distro boot finds extlinux.conf on partition 1 and booti's the
           Image: loaded at U-Boot's kernel_addr_r, run where booti moves
           it, with U-Boot's device tree, the append line and the initrd at
           ramdisk_addr_r; the shell powers off with exit status 0
UBOOT_0002 by hand at the prompt: load the Image at another 2 MiB-aligned
           address and booti it; Keel reports where it runs
UBOOT_0003 by hand, bootm of a legacy uImage whose load address is
           another 2 MiB-aligned address: Keel runs there
UBOOT_0004 the VisionFive 2 disk layout (GPT, partitions 1-2 reserved, the
           FAT boot partition 3 legacy-BIOS-bootable; tools/mkboot
           --layout=starfive, as build/visionfive2/sdcard.img): distro boot
           scans virtio 0:3 only and boots Keel to the shell
UBOOT_0005 the same disk by hand: load virtio 0:3 the Image and the
           initramfs, booti, to the shell
UBOOT_0006 the same disk through its vf2_uEnv.txt, as StarFive's U-Boot
           runs it: env import, run boot2; Keel reads the tree boot2 put
           at fdt_addr_r

This U-Boot (2023.01, arch/riscv/lib/image.c) moves a booti Image that
lies in RAM to RAM start + the header's text_offset, wherever it was
loaded: booti alone cannot place Keel elsewhere, so UBOOT_0002 checks
that Keel says where booti put it, and UBOOT_0003 uses bootm, which
copies to the uImage's load address and jumps there.
"""

import os
import re
import struct
import subprocess

import pytest

import keel as K

PACKAGE = os.path.join(K.BUILD, "qemu-virt-uboot")
DISK = os.path.join(PACKAGE, "disk.img")
# The VisionFive layout with the QEMU board's files (tools/mkboot
# --layout=starfive), the same code path as build/visionfive2/sdcard.img.
SF_PACKAGE = os.path.join(K.BUILD, "qemu-virt-uboot-starfive")
SF_DISK = os.path.join(SF_PACKAGE, "sdcard.img")
IMAGE = os.path.join(K.BUILD, "Image")
INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")
HARTS = 2
PROMPT = r"=> $"
# Another 2 MiB-aligned address in RAM for the by-hand boots: not
# kernel_addr_r, not where booti moves the Image, below U-Boot's
# ramdisk_addr_r, fdt_addr_r and its relocated self.
OTHER_ADDR = 0x82000000
# Where the uImage waits in RAM (QEMU's loader puts it there) for bootm.
UIMAGE_ADDR = 0x88000000


@pytest.fixture(scope="module")
def package(conf):
    """The package's facts: U-Boot's path and default environment, the
    extlinux append line, the Image's text_offset."""
    for path in (DISK, SF_DISK, IMAGE, INITRAMFS, conf["uboot"]):
        if not os.path.exists(path):
            pytest.fail("%s missing: run `ninja board-tests`" % path, pytrace=False)
    for pkg, disk in ((PACKAGE, DISK), (SF_PACKAGE, SF_DISK)):
        with open(IMAGE, "rb") as a, open(os.path.join(pkg, "Image"), "rb") as b:
            if a.read() != b.read():
                pytest.fail("%s is older than build/Image: run `ninja board-tests`" % disk,
                            pytrace=False)
    with open(conf["uboot"], "rb") as f:
        blob = f.read()
    # U-Boot's built-in environment: NUL-separated name=value strings.
    env = dict(m.groups() for m in re.finditer(rb"\0([a-z_]+)=([^\0]*)", blob))
    with open(os.path.join(PACKAGE, "extlinux", "extlinux.conf")) as f:
        append = re.search(r"^\s*append\s+(.*?)\s*$", f.read(), re.M).group(1)
    with open(IMAGE, "rb") as f:
        text_offset = struct.unpack("<Q", f.read(16)[8:16])[0]
    return {"uboot": conf["uboot"], "append": append, "text_offset": text_offset,
            "kernel_addr_r": int(env[b"kernel_addr_r"], 16),
            "ramdisk_addr_r": int(env[b"ramdisk_addr_r"], 16),
            "fdt_addr_r": int(env[b"fdt_addr_r"], 16)}


def boot_uboot(keel, package, extra=(), disk=DISK):
    return keel(machine="virt", smp=HARTS, kernel=package["uboot"],
                extra=["-drive", "file=%s,format=raw,if=none,id=boot,readonly=on" % disk,
                       "-device", "virtio-blk-device,drive=boot"] + list(extra))


def stop_autoboot(k):
    """Interrupt U-Boot's countdown; U-Boot's prompt is next."""
    k.expect_text(r"Hit any key to stop autoboot")
    k.send(" ")
    k.expect_text(PROMPT, 10)


def command(k, line, wait=True):
    """Type @line at U-Boot's prompt; with @wait, what it printed until the
    next prompt."""
    k.send(line + "\r")
    if not wait:
        return None
    k.expect_text(PROMPT, 10)
    return k.proc.before


def kernel_range(k):
    """Where Keel says it runs: pmem's `kernel 0xSTART-0xEND`, as ints."""
    m = k.find(r"\] pmem: .*; kernel (0x[0-9a-f]+)-(0x[0-9a-f]+),")
    assert m, k.why("no `pmem: ... kernel 0x...-0x...` line")
    return int(m.group(1), 16), int(m.group(2), 16)


def ram_base(k):
    m = k.find(r"\] mem: memory  (0x[0-9a-f]+)-")
    assert m, k.why("no `mem: memory` line")
    return int(m.group(1), 16)


def fdt_handed(k):
    """U-Boot's `Booting using the fdt blob at 0x...` and Keel's `device tree at 0x...`."""
    u = k.find(r"Booting using the fdt blob at (0x[0-9a-f]+)")
    d = k.find(r"\] dt: machine model: .* \(device tree at (0x[0-9a-f]+), ")
    assert u and d, k.why("no `Booting using the fdt blob` or no `dt: machine model` line")
    return int(u.group(1), 16), int(d.group(1), 16)


def to_shell_and_poweroff(k):
    k.expect_line(r"\] smp: brought up \d+ of \d+ harts")
    k.expect_line(r"^init: ready$")
    k.expect_line(r"^Keel shell\.")
    k.send("poweroff\r")
    status = k.wait_exit()
    assert status == 0, k.why("QEMU exit status %s after poweroff, expected 0" % status)
    problems = k.bringup_problems(HARTS)
    assert not problems, k.why("; ".join(problems))


def test_uboot_distro_boot(keel, package):
    """UBOOT_0001: autoboot finds extlinux.conf and booti's Keel to the shell."""
    k = boot_uboot(keel, package)
    k.expect_line(r"^Scanning virtio 0:1\.\.\.")
    k.expect_line(r"^Found /extlinux/extlinux\.conf")
    moved = k.expect_line(r"^Moving Image from (0x[0-9a-f]+) to (0x[0-9a-f]+)")
    to_shell_and_poweroff(k)

    loaded, runs = int(moved.group(1), 16), int(moved.group(2), 16)
    assert loaded == package["kernel_addr_r"], k.why(
        "U-Boot loaded the Image at 0x%x, its kernel_addr_r is 0x%x"
        % (loaded, package["kernel_addr_r"]))
    start, end = kernel_range(k)
    assert start == runs, k.why("Keel runs at 0x%x, booti moved it to 0x%x" % (start, runs))
    assert runs == ram_base(k) + package["text_offset"], k.why(
        "booti put the Image at 0x%x, not RAM start + text_offset 0x%x"
        % (runs, package["text_offset"]))
    assert end - start + 1 >= os.path.getsize(IMAGE), k.why("kernel range smaller than the Image")

    # U-Boot's disk is legacy virtio-mmio: the driver says why it cannot drive
    # it, once, and exits; starting it again would change nothing.
    legacy = k.find_all(r"^virtio-blk: .*: legacy virtio-mmio \(Version 1\) is not supported")
    assert len(legacy) == 1, k.why("virtio-blk refused the legacy disk %d times" % len(legacy))
    assert not k.find(r"^init: restarting virtio-blk"), k.why("init restarted virtio-blk")

    uboot_fdt, keel_fdt = fdt_handed(k)
    assert keel_fdt == uboot_fdt, k.why(
        "Keel read the tree at 0x%x, U-Boot handed 0x%x" % (keel_fdt, uboot_fdt))
    assert k.find(r"\] Kernel command line: %s$" % re.escape(package["append"])), k.why(
        "Kernel command line is not extlinux.conf's append line %r" % package["append"])
    initrd = k.find(r"\] dt: initrd (0x[0-9a-f]+)-(0x[0-9a-f]+) ")
    assert initrd, k.why("no `dt: initrd` line")
    lo, hi = int(initrd.group(1), 16), int(initrd.group(2), 16)
    assert (lo, hi - lo) == (package["ramdisk_addr_r"], os.path.getsize(INITRAMFS)), k.why(
        "initrd 0x%x-0x%x, expected the initramfs at ramdisk_addr_r 0x%x"
        % (lo, hi, package["ramdisk_addr_r"]))


def test_uboot_booti_by_hand(keel, package):
    """UBOOT_0002: stop autoboot, load the Image at another address, booti it."""
    k = boot_uboot(keel, package)
    stop_autoboot(k)
    env = command(k, "printenv fdtcontroladdr")
    fdt = int(re.search(r"fdtcontroladdr=([0-9a-f]+)", env).group(1), 16)
    assert OTHER_ADDR != package["kernel_addr_r"] and OTHER_ADDR % (2 << 20) == 0
    out = command(k, "load virtio 0:1 0x%x /Image" % OTHER_ADDR)
    assert re.search(r"\b%d bytes read" % os.path.getsize(IMAGE), out), k.why(
        "`load ... /Image` said %r" % out)
    command(k, "load virtio 0:1 ${ramdisk_addr_r} /initramfs.cpio")
    command(k, "setenv bootargs uboot-by-hand")
    command(k, "booti 0x%x ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}" % OTHER_ADDR,
            wait=False)
    moved = k.expect_line(r"^Moving Image from (0x[0-9a-f]+) to (0x[0-9a-f]+)")
    to_shell_and_poweroff(k)

    assert int(moved.group(1), 16) == OTHER_ADDR, k.why("booti did not start from 0x%x"
                                                        % OTHER_ADDR)
    start, _ = kernel_range(k)
    assert start == int(moved.group(2), 16), k.why(
        "Keel runs at 0x%x, booti moved the Image to %s" % (start, moved.group(2)))
    assert fdt_handed(k) == (fdt, fdt), k.why("the tree is not $fdtcontroladdr 0x%x" % fdt)
    assert k.find(r"\] Kernel command line: uboot-by-hand$"), k.why("bootargs not passed")


def test_uboot_bootm_other_address(keel, package, tmp_path):
    """UBOOT_0003: bootm a uImage whose load address is another 2 MiB-aligned one."""
    uimage = tmp_path / "keel.uimg"
    subprocess.run(["mkimage", "-A", "riscv", "-O", "linux", "-T", "kernel", "-C", "none",
                    "-a", "0x%x" % OTHER_ADDR, "-e", "0x%x" % OTHER_ADDR, "-n", "keel",
                    "-d", IMAGE, str(uimage)], check=True, capture_output=True)
    k = boot_uboot(keel, package, extra=[
        "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (uimage, UIMAGE_ADDR)])
    stop_autoboot(k)
    command(k, "load virtio 0:1 ${ramdisk_addr_r} /initramfs.cpio")
    command(k, "setenv bootargs uboot-bootm")
    command(k, "bootm 0x%x ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}" % UIMAGE_ADDR,
            wait=False)
    k.expect_line(r"^\s*Load Address: %08x$" % OTHER_ADDR)
    to_shell_and_poweroff(k)

    start, _ = kernel_range(k)
    assert start == OTHER_ADDR, k.why("Keel runs at 0x%x, the uImage loads at 0x%x"
                                      % (start, OTHER_ADDR))
    assert k.find(r"\] Kernel command line: uboot-bootm$"), k.why("bootargs not passed")


def check_initrd(k, package):
    """Keel's `dt: initrd` line: the initramfs, whole, at ramdisk_addr_r."""
    initrd = k.find(r"\] dt: initrd (0x[0-9a-f]+)-(0x[0-9a-f]+) ")
    assert initrd, k.why("no `dt: initrd` line")
    lo, hi = int(initrd.group(1), 16), int(initrd.group(2), 16)
    assert (lo, hi - lo) == (package["ramdisk_addr_r"], os.path.getsize(INITRAMFS)), k.why(
        "initrd 0x%x-0x%x, expected the initramfs at ramdisk_addr_r 0x%x"
        % (lo, hi, package["ramdisk_addr_r"]))


def test_uboot_starfive_layout_distro_boot(keel, package):
    """UBOOT_0004: distro boot finds extlinux.conf on partition 3 of the VisionFive layout."""
    k = boot_uboot(keel, package, disk=SF_DISK)
    # Only the partition marked bootable is scanned: 3, never 1 or 2.
    scanned = k.expect_line(r"^Scanning virtio 0:(\d+)\.\.\.")
    assert scanned.group(1) == "3", k.why("distro boot scanned virtio 0:%s first, not 0:3"
                                          % scanned.group(1))
    k.expect_line(r"^Found /extlinux/extlinux\.conf")
    to_shell_and_poweroff(k)
    assert not k.find(r"^Scanning virtio 0:[12]\.\.\."), k.why("partition 1 or 2 scanned")
    check_initrd(k, package)


def test_uboot_starfive_layout_by_hand(keel, package):
    """UBOOT_0005: load virtio 0:3 the Image and initramfs, booti."""
    k = boot_uboot(keel, package, disk=SF_DISK)
    stop_autoboot(k)
    parts = command(k, "part list virtio 0")
    for n in (1, 2, 3):
        assert re.search(r"^\s*%d\s+0x" % n, parts, re.M), k.why(
            "`part list virtio 0` shows no partition %d: %r" % (n, parts))
    out = command(k, "load virtio 0:3 ${kernel_addr_r} /Image")
    assert re.search(r"\b%d bytes read" % os.path.getsize(IMAGE), out), k.why(
        "`load virtio 0:3 ... /Image` said %r" % out)
    out = command(k, "load virtio 0:3 ${ramdisk_addr_r} /initramfs.cpio")
    assert re.search(r"\b%d bytes read" % os.path.getsize(INITRAMFS), out), k.why(
        "`load virtio 0:3 ... /initramfs.cpio` said %r" % out)
    command(k, "setenv bootargs uboot-starfive-by-hand")
    command(k, "booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}",
            wait=False)
    to_shell_and_poweroff(k)
    assert k.find(r"\] Kernel command line: uboot-starfive-by-hand$"), k.why(
        "bootargs not passed")
    check_initrd(k, package)


def test_uboot_starfive_layout_vf2_uenv(keel, package):
    """UBOOT_0006: vf2_uEnv.txt's boot2, run as StarFive's U-Boot runs it."""
    k = boot_uboot(keel, package, disk=SF_DISK)
    stop_autoboot(k)
    out = command(k, "load virtio 0:3 ${kernel_addr_r} /vf2_uEnv.txt")
    assert re.search(r"\bbytes read", out), k.why("no /vf2_uEnv.txt on 0:3: %r" % out)
    command(k, "env import -t ${kernel_addr_r} ${filesize}")
    # StarFive's U-Boot has these set when it runs boot2; Debian's has not.
    command(k, "setenv bootdev virtio")
    command(k, "setenv devnum 0")
    command(k, "run boot2", wait=False)
    k.expect_line(r"^Retrieving file: /extlinux/extlinux\.conf|^\d+ bytes read", 30)
    to_shell_and_poweroff(k)
    _, keel_fdt = fdt_handed(k)
    assert keel_fdt == package["fdt_addr_r"], k.why(
        "Keel read the tree at 0x%x, boot2 moved it to fdt_addr_r 0x%x"
        % (keel_fdt, package["fdt_addr_r"]))
    assert k.find(r"\] Kernel command line: %s$" % re.escape(package["append"])), k.why(
        "Kernel command line is not extlinux.conf's append line %r" % package["append"])
    check_initrd(k, package)

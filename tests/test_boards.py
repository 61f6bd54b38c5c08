"""The StarFive boards' SD-card images ('ninja package', tools/mkboot),
checked against the layout and addresses docs/boards.md writes down with
their sources. Host only: sfdisk reads the tables, mtools the FAT.

BOARDS_0001 sdcard.img (visionfive2, visionfive, and the QEMU copy the
            U-Boot tests boot) is GPT with StarFive's partitions: 1 the
            SPL type at 2 MiB, 2 the U-Boot type at 4 MiB, 3 the boot
            partition at 8 MiB, legacy-BIOS-bootable; all three tables alike
BOARDS_0002 partition 3 holds extlinux/extlinux.conf, Image, the initramfs
            and vf2_uEnv.txt, the Image and initramfs byte for byte
BOARDS_0003 with the VisionFive 2 environment's addresses, the Image's
            footprint, the device tree boot2 places and the initramfs
            do not overlap, with room for the Image to grow
"""

import json
import os
import re
import struct
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
IMAGE = os.path.join(BUILD, "Image")
INITRAMFS = os.path.join(BUILD, "initramfs.cpio")
DISKS = {
    "visionfive2": os.path.join(BUILD, "visionfive2", "sdcard.img"),
    "visionfive": os.path.join(BUILD, "visionfive", "sdcard.img"),
    "qemu-virt-uboot-starfive": os.path.join(BUILD, "qemu-virt-uboot-starfive", "sdcard.img"),
}
SECTOR = 512
MIB = 1 << 20

# docs/boards.md, "Layout": StarFive's VisionFive2 SDK, conf/genimage-vf2.cfg.
SPL_TYPE = "2E54B353-1271-4842-806F-E436D6AF6985"
UBOOT_TYPE = "5B193300-FC78-40CD-8002-E86C45580B47"
BOOT_TYPE = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
LAYOUT = [  # (number, type, start, size), bytes
    (1, SPL_TYPE, 2 * MIB, 2 * MIB),
    (2, UBOOT_TYPE, 4 * MIB, 4 * MIB),
    (3, BOOT_TYPE, 8 * MIB, None),  # as long as the boot partition is
]

# docs/boards.md, "Addresses": U-Boot's starfive_visionfive2 environment
# (upstream include/configs/starfive-visionfive2.h; StarFive's 2021.10
# fork has the same five).
KERNEL_ADDR_R = 0x40200000
SCRIPTADDR = 0x43900000
PXEFILE_ADDR_R = 0x45900000
FDT_ADDR_R = 0x46000000
RAMDISK_ADDR_R = 0x46100000
# The next address above ramdisk_addr_r that some version's environment
# uses: fdtoverlay_addr_r in StarFive's later fork (kernel_comp_addr_r
# 0x5a000000 serves compressed kernels only; Keel's Image is not).
ABOVE_RAMDISK = 0x4F000000
# U-Boot grows a tree it boots by CONFIG_SYS_FDT_PAD (default 0x3000) in
# place when fdt_high is all ones, as in every environment above.
FDT_PAD = 0x3000
# Room to grow: the Image's footprint may use at most this share of the
# space below the next address the environment uses.
GROWTH = 4


def need(path):
    if not os.path.exists(path):
        pytest.fail("%s missing: run `ninja board-tests`" % path, pytrace=False)
    return path


def table(disk):
    out = subprocess.run(["sfdisk", "--json", need(disk)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["partitiontable"]


def parts(t):
    """[(number, type, start, size, attrs)] in bytes, numbered from the node name."""
    return [(int(re.search(r"(\d+)$", p["node"]).group(1)), p["type"].upper(),
             p["start"] * SECTOR, p["size"] * SECTOR, p.get("attrs", ""))
            for p in t["partitions"]]


@pytest.mark.parametrize("board", sorted(DISKS))
def test_sdcard_layout(board):
    """BOARDS_0001: GPT, StarFive's partitions, 3 bootable."""
    t = table(DISKS[board])
    assert t["label"] == "gpt", "%s: a %s disk, not GPT" % (board, t["label"])
    got = parts(t)
    assert [p[0] for p in got] == [1, 2, 3], "%s: partitions %s" % (board, got)
    for (n, typ, start, size), (gn, gtyp, gstart, gsize, attrs) in zip(LAYOUT, got):
        assert gtyp == typ, "%s: partition %d type %s, expected %s" % (board, n, gtyp, typ)
        assert gstart == start, "%s: partition %d at %d, expected %d" % (board, n, gstart, start)
        if size is not None:
            assert gsize == size, "%s: partition %d is %d bytes, expected %d" % (
                board, n, gsize, size)
        bootable = "LegacyBIOSBootable" in attrs
        assert bootable == (n == 3), "%s: partition %d attrs %r" % (board, n, attrs)


def test_sdcard_layouts_alike():
    """BOARDS_0001: the disk the QEMU tests boot has the boards' table."""
    tables = {b: [p[1:] for p in parts(table(d))] for b, d in DISKS.items()}
    assert tables["visionfive2"] == tables["visionfive"] == tables["qemu-virt-uboot-starfive"], \
        tables


def fat_read(disk, path):
    """A file from partition 3's FAT, through mtools' image@@offset."""
    start = parts(table(disk))[2][2]
    return subprocess.run(["mtype", "-i", "%s@@%d" % (disk, start), "::" + path],
                          check=True, capture_output=True,
                          env=dict(os.environ, MTOOLS_SKIP_CHECK="1")).stdout


@pytest.mark.parametrize("board", ["visionfive2", "visionfive"])
def test_boot_partition_files(board):
    """BOARDS_0002: what U-Boot reads from partition 3 is there."""
    disk = need(DISKS[board])
    with open(need(IMAGE), "rb") as f:
        assert fat_read(disk, "/Image") == f.read(), "%s: /Image is not build/Image" % board
    with open(need(INITRAMFS), "rb") as f:
        assert fat_read(disk, "/initramfs.cpio") == f.read(), \
            "%s: /initramfs.cpio is not build/initramfs.cpio" % board
    conf = fat_read(disk, "/extlinux/extlinux.conf").decode()
    assert re.search(r"^\s*kernel /Image$", conf, re.M), conf
    assert re.search(r"^\s*initrd /initramfs.cpio$", conf, re.M), conf
    uenv = fat_read(disk, "/vf2_uEnv.txt").decode()
    assert re.search(r"^boot2=.*sysboot .*:3 fat .*/extlinux/extlinux\.conf$", uenv, re.M), uenv


def test_load_addresses():
    """BOARDS_0003: Image, device tree and initramfs apart, with room to grow."""
    with open(need(IMAGE), "rb") as f:
        header = f.read(64)
    text_offset, image_size = struct.unpack("<QQ", header[8:24])
    uenv = fat_read(need(DISKS["visionfive2"]), "/vf2_uEnv.txt").decode()
    fdt_len = int(re.search(r"^keel_fdt_len=(0x[0-9a-fA-F]+)$", uenv, re.M).group(1), 16)
    initramfs = os.path.getsize(need(INITRAMFS))

    # booti runs the Image at RAM start + text_offset: kernel_addr_r itself
    # on the VisionFive 2 (RAM from 0x40000000), so it is not moved.
    assert 0x40000000 + text_offset == KERNEL_ADDR_R
    # The footprint (image_size: text, data and bss) against the next
    # address the environment uses above kernel_addr_r.
    room = SCRIPTADDR - KERNEL_ADDR_R
    assert image_size * GROWTH <= room, (
        "Image footprint 0x%x at 0x%x: less than 1/%d of the 0x%x bytes below scriptaddr"
        % (image_size, KERNEL_ADDR_R, GROWTH, room))
    assert KERNEL_ADDR_R + image_size <= min(SCRIPTADDR, PXEFILE_ADDR_R, FDT_ADDR_R)
    # The tree boot2 copies to fdt_addr_r, grown by U-Boot's pad, ends
    # below the initramfs.
    assert FDT_ADDR_R + fdt_len + FDT_PAD <= RAMDISK_ADDR_R, (
        "tree 0x%x + 0x%x + pad 0x%x runs into ramdisk_addr_r 0x%x"
        % (FDT_ADDR_R, fdt_len, FDT_PAD, RAMDISK_ADDR_R))
    # The initramfs ends below the next address in use.
    assert RAMDISK_ADDR_R + initramfs * GROWTH <= ABOVE_RAMDISK, (
        "initramfs 0x%x at 0x%x: less than 1/%d of the room below 0x%x"
        % (initramfs, RAMDISK_ADDR_R, GROWTH, ABOVE_RAMDISK))


# ---- the board list: ./configure's, and everything that must follow it ----

sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
import sources  # noqa: E402


@pytest.mark.parametrize("board", sources.boards())
def test_every_configured_board_has_its_parts(board):
    """BOARDS_0004: each board ./configure takes has a folder with a README,
    a package target, a row in README.md's and docs/boards.md's tables, and
    a QEMU line from tools/qemu-args (or, for hardware, a refusal that
    says to package it)."""
    assert os.path.exists(os.path.join(ROOT, "boards", board, "README.md")) or \
        os.path.exists(os.path.join(ROOT, "boards", board, "README")), \
        "boards/%s/ has no README" % board
    targets = subprocess.run(["ninja", "-t", "targets", "all"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    assert re.search(r"^package-%s:" % re.escape(board), targets, re.M), \
        "no ninja target package-%s" % board
    for page in ("README.md", os.path.join("docs", "boards.md")):
        with open(os.path.join(ROOT, page)) as f:
            assert re.search(r"^\|[^|]*`%s`" % re.escape(board), f.read(), re.M), \
                "%s has no row for %s" % (page, board)
    args = subprocess.run([os.path.join(ROOT, "tools", "qemu-args"), board, "2", "256M",
                           "fw.bin", os.path.join(BUILD, "Image")], capture_output=True,
                          text=True, env=dict(os.environ, TCG="multi"))
    if args.returncode == 0:
        assert args.stdout.split("\n")[:2] == ["-M", args.stdout.split("\n")[1]] and \
            "-bios" in args.stdout.split("\n"), args.stdout
    else:
        assert "ninja package" in args.stderr, args.stderr

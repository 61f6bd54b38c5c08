"""The virtio-blk driver code (servers/virtio/) on QEMU virt's real virtio-mmio
disk, through a bare-metal harness (tests/virtio/qemu_harness.c: M-mode, no
MMU, polling, semihosting for output and exit status). This stands in for the
end-to-end run until the kernel maps devices for user space; it proves the
init sequence, the queue and the requests against QEMU's device model."""

import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HARNESS = os.path.join(ROOT, os.environ.get("KEEL_BUILDDIR", "build"), "virtio",
                       "qemu_harness.elf")
QEMU = shutil.which("qemu-system-riscv64")
SECTORS = 2048          # a 1 MiB disk
WRITE_AT, WRITE_SECTORS = 100, 128      # what qemu_harness.c writes

pytestmark = pytest.mark.skipif(QEMU is None, reason="qemu-system-riscv64 not installed")


def make_disk(path, mode):
    """Sector 0 names the mode; sector s holds "sector <s>\\n", then (s + i) & 0xff from byte 32."""
    with open(path, "wb") as f:
        head = bytearray(512)
        tag = ("KEEL-VIRTIO-TEST %s\n" % mode).encode()
        head[:len(tag)] = tag
        f.write(head)
        for s in range(1, SECTORS):
            b = bytearray((s + i) & 0xFF for i in range(512))
            tag = ("sector %d\n" % s).encode()
            b[:32] = bytes(32)
            b[:len(tag)] = tag
            f.write(b)


def run_harness(disk, modern=True, readonly=False):
    if not os.path.exists(HARNESS):
        pytest.fail("%s missing: run ninja virtio-tests" % HARNESS)
    drive = "file=%s,if=none,format=raw,id=hd0" % disk + (",readonly=on" if readonly else "")
    cmd = [QEMU, "-M", "virt", "-smp", "1", "-m", "128M", "-bios", "none",
           "-kernel", HARNESS, "-display", "none", "-serial", "null", "-monitor", "none",
           "-semihosting-config", "enable=on,target=native",
           "-drive", drive, "-device", "virtio-blk-device,drive=hd0"]
    if modern:
        cmd[1:1] = ["-global", "virtio-mmio.force-legacy=false"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def passes(out):
    return re.findall(r"^harness: (PASS|FAIL) (.*) \(-?\d+\)$", out, re.M)


def test_read_write_flush(tmp_path):
    """VIRTIO_Q001: on QEMU's modern device: reads, 300 requests, a 64 KiB write reaches the image."""
    disk = tmp_path / "disk.img"
    make_disk(disk, "rw")
    rc, out = run_harness(disk)
    assert "harness: disk at 0x10008000: 2048 sectors, queue 64, features VERSION_1 FLUSH" in out, out
    assert out.count("virtio-blk: /soc/virtio_mmio@1000") == 7, out   # the 7 empty slots
    assert all(r == "PASS" for r, _ in passes(out)) and len(passes(out)) == 7, out
    assert "harness: 1 disk(s), 0 failure(s)" in out and rc == 0, out
    data = disk.read_bytes()[WRITE_AT * 512:(WRITE_AT + WRITE_SECTORS) * 512]
    want = bytearray((i * 29 + i // 512) & 0xFF for i in range(WRITE_SECTORS * 512))
    want[:23] = b"written by the harness\n"
    assert data == bytes(want), "the write did not reach the image"


def test_read_only(tmp_path):
    """VIRTIO_Q002: a readonly=on drive offers VIRTIO_BLK_F_RO; writes are refused, reads work."""
    disk = tmp_path / "disk.img"
    make_disk(disk, "ro")
    before = disk.read_bytes()
    rc, out = run_harness(disk, readonly=True)
    assert "features VERSION_1 FLUSH RO" in out, out
    assert ("PASS", "write to a read-only disk is EDENIED") in passes(out), out
    assert rc == 0 and "0 failure(s)" in out, out
    assert disk.read_bytes() == before


def test_legacy_refused(tmp_path):
    """VIRTIO_Q003: without force-legacy=false the disk's slot names the option; empty slots stay quiet."""
    disk = tmp_path / "disk.img"
    make_disk(disk, "rw")
    rc, out = run_harness(disk, modern=False)
    lines = [l for l in out.splitlines() if "legacy" in l]
    assert lines == ["virtio-blk: /soc/virtio_mmio@10008000: legacy virtio-mmio (Version 1) "
                     "is not supported; give QEMU -global virtio-mmio.force-legacy=false"], out
    assert out.count(": no device") == 7 and rc == 1, out

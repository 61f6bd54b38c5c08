"""An ordinary program attacks the system, one class at a time
(tests/user/adversary.c, run from the shell like any program, holding no
special handle); every class must end as the hardened core promises, and
afterwards the system must still answer: the shell, the disk, a new
program, and the servers init started.

ADV_0001..0008: the classes, each with its claim (see adversary.c)
"""
import os
import re
import shutil

import pytest

import keel as K

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")
DISK = os.path.join(K.BUILD, "disk.img")
# The classes whose fixes have landed; each must pass.
CLASSES = os.environ.get("ADV_CLASSES", "fetch flood read memory mmap cycle").split()


def disk_args(path):
    return ["-global", "virtio-mmio.force-legacy=false",
            "-drive", "file=%s,format=raw,if=none,id=disk" % path,
            "-device", "virtio-blk-device,drive=disk"]


def shell(k, command, expect, timeout=K.BOOT_TIMEOUT):
    k.send(command + "\r")
    return k.expect_line(expect, timeout)


@pytest.mark.parametrize("smp", [4])
def test_adversary_hurts_nobody_else(keel, tmp_path, smp):
    disk = str(tmp_path / "disk.img")
    shutil.copy(DISK, disk)
    k = keel(smp=smp, initrd=INITRAMFS, extra=disk_args(disk))
    k.expect_line(r"^init: ready$")
    k.expect_line(r"^Keel shell\.")
    m = shell(k, "/bin/adversary " + " ".join(CLASSES),
              r"^adversary: (\d+) passed, (\d+) failed$", timeout=300)
    failed = [l for l in k.lines if re.match(r"^ADV_\d+ FAIL", l)]
    assert m.group(2) == "0" and not failed, k.why("failed: %s" % failed)
    assert int(m.group(1)) == len(CLASSES), k.why(m.group(0))
    assert not k.find(r"Kernel panic"), k.why("a panic")
    # Everybody else is still served.
    shell(k, "echo still here", r"^still here$")
    shell(k, "ls /mnt", r"^-\s+\d+ README$")
    shell(k, "/sbin/hello after", r"^/sbin/hello: pid \d+, parent \d+, 1 argument: after$")
    shell(k, "poweroff", r"asked to power off")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)

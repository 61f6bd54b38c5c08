"""An ordinary program attacks the system, one class at a time
(tests/user/adversary.c, run from the shell like any program, holding no
special handle); every class must end as the hardened core promises, and
afterwards the system must still answer: the shell, the disk, a new
program, and the servers init started.

ADV_0001..0010: the classes, each with its claim (see adversary.c)
QUOTA_0001: a program from the shell holding every task, object and page
its limits allow leaves init enough to restart a killed fs, which mounts
/mnt again; once it is killed, programs start again.
"""
import os
import re
import shutil

import pytest

import keel as K

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")
DISK = os.path.join(K.BUILD, "disk.img")
# The classes whose fixes have landed; each must pass.
CLASSES = os.environ.get("ADV_CLASSES", "fetch flood read memory mmap objects tasks cycle limits pingpong spawnhog").split()


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


@pytest.mark.parametrize("smp", [2])
def test_a_program_holding_its_limits_leaves_fs_a_restart(keel, tmp_path, smp):
    disk = str(tmp_path / "disk.img")
    shutil.copy(DISK, disk)
    k = keel(smp=smp, initrd=INITRAMFS, extra=disk_args(disk))
    k.expect_line(r"^init: the shell may take \d+ pages, \d+ objects, \d+ tasks")
    k.expect_line(r"^Keel shell\.")
    k.send("ps\r")
    fs = k.expect_line(r"^\s*(\d+)\s+1\s+.*\sfs$").group(1)
    # It prints after the shell's prompt is back.
    m = shell(k, "/bin/adversary hold",
              r"adversary: holding (\d+) tasks, (\d+) objects, (\d+) MiB; pid (\d+); "
              r"refused: (.*), (.*), (.*)$", timeout=300)
    assert int(m.group(1)) > 0 and int(m.group(2)) > 0, k.why(m.group(0))
    errors = ("limit reached, try again later", "too many handles", "out of memory")
    assert all(e in errors for e in m.group(5, 6, 7)), k.why(m.group(0))
    holder = m.group(4)
    # While it holds all it may: fs, killed, comes back and mounts the disk.
    k.send("kill %s\r" % fs)
    k.expect_line(r"init: restarting fs (?:in \d+ ms )?\(restart 1\)$")
    k.expect_line(r"fs: ext2 on vda ", timeout=60)
    # Once the holder is gone (its children follow), programs start again.
    k.send("kill %s\r" % holder)
    k.expect_line(r"\] kill: pid %s, asked by sh" % holder)
    for _ in range(20):
        k.send("/sbin/hello after\r")
        m = k.expect_line(r"^/sbin/hello: (pid \d+, parent \d+, 1 argument: after|.+)$")
        if m.group(1).startswith("pid"):
            break
        shell(k, "uptime", r"^up \d+")
    assert m.group(1).startswith("pid"), k.why("no program starts: %s" % m.group(0))
    shell(k, "cat /mnt/docs/mounted.txt", r"^Keel mounts this disk at /mnt\.$")
    assert not k.find(r"Kernel panic"), k.why("a panic")
    shell(k, "poweroff", r"asked to power off")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)

"""No log flooding: tests/user/flood makes the core refuse 3,000
programs in a row. The refusals are rate limited per task (a burst of
10, then one a second), a `flood[pid]: N messages suppressed` line says
how many were dropped, and the boot lines are still in the ring for
dmesg afterwards (before, ~2,100 `exec: ... not a Keel executable` lines
pushed them out)."""

import os
import re

import keel as K

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")


def shell(k, command, expect, timeout=K.BOOT_TIMEOUT):
    k.send(command + "\r")
    return k.expect_line(expect, timeout)


def test_refusals_are_rate_limited_and_boot_lines_survive(keel):
    k = keel(smp=2, initrd=INITRAMFS)
    k.expect_line(r"^Keel shell\.")
    shell(k, "/bin/flood 3000", r"^flood: 3001 of 3001 refused$", timeout=120)
    refusals = k.find_all(r"exec: junk: not a Keel executable")
    assert 10 <= len(refusals) <= 20, k.why("%d refusals logged" % len(refusals))
    m = k.find(r"\] flood\[\d+\]: (\d+) messages suppressed$")
    assert m and int(m.group(1)) >= 2900, k.why("no suppressed-count line")
    k.send("dmesg\r")
    k.expect_line(r"\] Keel version ")
    k.expect_line(r"\] smp: brought up 2 of 2 harts")
    shell(k, "echo still here", r"^still here$")
    shell(k, "poweroff", r"asked to power off")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)

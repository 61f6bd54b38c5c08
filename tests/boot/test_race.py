"""One fetch: tests/user/race runs from the shell at -smp 4 with a second
task flipping bytes of the ELF it spawns from a memory object, of the
paths, argument vectors and handle arrays it passes, and of the buffers
the core writes. The core copies what it reads once: every call refuses
or succeeds, nothing panics (it did: `Load page fault ... in elf_le`)."""

import os

import keel as K

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")
CHECKS = 8  # the RACE_* lines race prints


def shell(k, command, expect, timeout=K.BOOT_TIMEOUT):
    k.send(command + "\r")
    return k.expect_line(expect, timeout)


def test_race_against_every_call_that_reads_user_memory(keel):
    k = keel(smp=4, initrd=INITRAMFS)
    k.expect_line(r"^Keel shell\.")
    m = shell(k, "/bin/race 500", r"race: (\d+) passed, (\d+) failed$", timeout=240)
    assert not k.find(r"Kernel panic"), k.why("the core panicked")
    bad = [line for line in k.lines if "RACE_" in line and " FAIL " in line]
    assert m.group(2) == "0" and not bad, k.why("failed checks: %s" % bad)
    assert int(m.group(1)) == CHECKS, k.why("%s checks passed, expected %d" % (m.group(1), CHECKS))
    started = k.find(r"race: spawn_mem: (\d+) started, (\d+) refused$")
    assert started and int(started.group(2)) > 0, k.why("the flips never hit spawn_mem")
    shell(k, "echo still here", r"^still here$")
    shell(k, "poweroff", r"asked to power off")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)

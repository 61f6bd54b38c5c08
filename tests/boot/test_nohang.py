"""selftest=nohang: the core runs /bin/nohang_test (tests/user/nohang_test.c)
as pid 1, with init's control handle. It checks that kill ends a task
wherever it waits (a queued call, a call a server has taken, a child wait,
a receive, a notification wait, a sleep), that replying to a killed
caller is EPEER for the server, that kill and reap do not race, and that
a call closing a cycle of tasks waiting on each other is EDEADLK while a
chain that can still end is not. Each check prints an ID line; the last
line counts them; then it powers off.
"""

import os
import re

import pytest

import keel as K

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")
CHECKS = 16  # the KILL_* and DEADLK_* lines nohang_test prints
OOPS_RES = [
    r"Kernel panic - not syncing",
    r"\] trap: .* \(scause 0x[0-9a-f]+\) on hart",
    r"BUG at ",
    r"spinlock: cpu \d+ waited",
    r"ran after its exit",
]


@pytest.mark.parametrize("smp", [1, 4])
def test_nohang(keel, smp):
    if not os.path.exists(INITRAMFS):
        pytest.fail("%s missing: run ninja" % INITRAMFS)
    k = keel(smp=smp, initrd=INITRAMFS, append="selftest=nohang")
    k.expect_line(r"\] Run /bin/nohang_test as init process$")
    m = k.expect_line(r"^nohang_test: (\d+) passed, (\d+) failed$", K.BOOT_TIMEOUT + 60)
    status = k.wait_exit()
    bad = [line for line in k.lines if line.startswith("nohang_test: ") and " FAILED " in line]
    oops = [line for line in k.lines if any(re.search(r, line) for r in OOPS_RES)]
    assert not oops, k.why("the core went wrong: %s" % oops[:5])
    assert m.group(2) == "0" and not bad, k.why("failed checks: %s" % bad)
    assert int(m.group(1)) == CHECKS, k.why("%s checks passed, expected %d" % (m.group(1), CHECKS))
    assert status == 0, k.why("QEMU exit status %s" % status)

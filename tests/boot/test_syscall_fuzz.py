"""selftest=syscall-fuzz: the core runs /bin/syscall_fuzz (tests/user/
syscall_fuzz.c) as pid 1 instead of /init, and leaves the in-kernel
self-tests out. Two tasks per hart make random system calls with random
arguments for syscall-fuzz.ms milliseconds; the program prints a KTAP
report and powers off. It passes when the core does not panic or oops,
every task ends (a hang is "not ok"), and QEMU exits 0.

FUZZ_0001  -smp 1: no panic, no hang, QEMU exits 0
FUZZ_0002  -smp 4: the same, with tasks on every hart

Run it longer, or reproduce a run, from the kernel command line:
    APPEND="selftest=syscall-fuzz syscall-fuzz.ms=60000 syscall_fuzz_seed=0x..." ninja run
(syscall_fuzz_all=1 also makes the calls that hit known core bugs;
syscall_fuzz_hold=S leaves S seconds for a debugger before hung tasks
are killed: see the program's header.)
"""

import os
import re

import pytest

import keel as K

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")
FUZZ_MS = 5000
# After the deadline: 2 s for a task to stop, 10 more for the core to free
# one that did (the program's HANG_GRACE_MS and EXIT_GRACE_MS), boot and slack.
REPORT_TIMEOUT = FUZZ_MS / 1000 + 20

SUMMARY_RE = (r"^# syscall-fuzz: (\d+) calls by (\d+) tasks on (\d+) harts in (\d+) ms; "
              r"(\d+) tasks faulted, (\d+) hung$")
# What the core prints when it, not a task, went wrong.
OOPS_RES = [
    r"Kernel panic - not syncing",
    r"\] trap: .* \(scause 0x[0-9a-f]+\) on hart",  # trap_dump(): a fault in the kernel
    r"BUG at ",
    r"spinlock: cpu \d+ waited",
    r"ran after its exit",
]


@pytest.fixture(scope="module")
def initramfs():
    if not os.path.exists(INITRAMFS):
        pytest.fail("%s missing: run ninja" % INITRAMFS)
    return INITRAMFS


@pytest.mark.parametrize("smp", [1, 4], ids=["FUZZ_0001-smp1", "FUZZ_0002-smp4"])
def test_syscall_fuzz(keel, initramfs, smp):
    k = keel(smp=smp, initrd=initramfs,
             append="selftest=syscall-fuzz syscall-fuzz.ms=%d" % FUZZ_MS)
    k.expect_line(r"\] Run /bin/syscall_fuzz as init process$")
    k.expect_line(r"^# syscall-fuzz: %d tasks on %d harts for %d ms, seed 0x[0-9a-f]+$"
                  % (2 * smp, smp, FUZZ_MS))
    result = k.expect_line(r"^(ok|not ok) 1 syscall-fuzz", REPORT_TIMEOUT)
    status = k.wait_exit()

    oops = [line for line in k.lines if any(re.search(r, line) for r in OOPS_RES)]
    assert not oops, k.why("the core went wrong: %s" % oops[:5])
    hung = k.find_all(r"^# syscall-fuzz: (pid \d+ still there .*)$")
    assert result.group(1) == "ok", k.why("`%s`; %s" % (result.string, [m.group(1) for m in hung]))
    assert status == 0, k.why("QEMU exit status %s" % status)

    m = k.find(SUMMARY_RE)
    assert m, k.why("no summary line")
    calls, tasks, harts, ms, faulted, nhung = map(int, m.groups())
    assert harts == smp and ms == FUZZ_MS and nhung == 0, k.why(m.string)
    assert tasks >= 2 * smp and calls >= 1000, k.why("too little fuzzing: %s" % m.string)
    # Only the program runs: no init, no in-kernel self-test report.
    assert not k.find(r"\] Run /init as init process"), k.why("/init ran")
    assert not k.find(r"\] KTAP version 1$"), k.why("the in-kernel self-tests ran")
    K.NOTES.append("syscall-fuzz -smp %d: %d calls/s (%d calls by %d tasks in %d ms), %d faulted"
                   % (smp, calls * 1000 // ms, calls, tasks, ms, faulted))

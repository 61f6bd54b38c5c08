"""selftest=: the core's KTAP self-tests pass, and each crash case ends in
a trap dump and a panic that names the fault, with QEMU exiting 1."""

import os
import re
import subprocess

import pytest

import keel as K

SELFTEST_TIMEOUT = 90  # s: PMEM_0001 walks every page; ~3 s here at -Og


def test_selftest_core_all_ok(keel):
    k = keel(smp=2, append="selftest=core")
    k.expect_line(r"\] KTAP version 1$")
    plan = int(k.expect_line(r"\] 1\.\.(\d+)$").group(1))
    assert plan > 0, k.why("an empty KTAP plan")
    closing = k.expect_line(r"\] (\d+) passed, (\d+) failed$", timeout=SELFTEST_TIMEOUT)
    status = k.wait_exit()

    results = k.find_all(r"\] (ok|not ok) (\d+) (\S+)")
    failed = [m.group(0)[2:] for m in results if m.group(1) != "ok"]
    assert not failed, k.why("self-tests failed: %s" % failed)
    assert [int(m.group(2)) for m in results] == list(range(1, plan + 1)), \
        k.why("KTAP results %s do not count 1..%d" % ([m.group(2) for m in results], plan))
    assert closing.group(1, 2) == (str(plan), "0"), \
        k.why("closing line %r, expected `%d passed, 0 failed`" % (closing.group(0), plan))
    assert not k.find(r"Kernel panic"), k.why("a panic during the self-tests")
    assert status == 0, k.why("QEMU exit status %s, expected 0 (poweroff)" % status)


def test_stuck_spinlock_is_reported_with_its_holder(keel, conf):
    """Debug builds: a hart waiting over a second for a spinlock names the
    holder's cpu and the address that took the lock."""
    if "DDEBUG=1" not in conf.get("optflags", ""):
        pytest.skip("release build: no stuck-lock reports")
    k = keel(smp=2, append="selftest=locks")
    m = k.expect_line(r"^spinlock: cpu (\d+) waited (\d+) ticks for lock 0x[0-9a-f]+ "
                      r"held by cpu (\d+), taken at (0x[0-9a-f]+)$", timeout=SELFTEST_TIMEOUT)
    assert m.group(1) != m.group(3), k.why("the waiter and the holder are the same cpu")
    syms = nm(conf)
    holder_pc = int(m.group(4), 16)
    assert in_core_text(syms, holder_pc), k.why("holder pc outside the kernel text")
    k.expect_line(r"\] ok 1 SPIN_0001$", timeout=SELFTEST_TIMEOUT)
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)


def in_core_text(syms, pc):
    """Is @pc in the core's text: resident, or boot-only (the self-tests are
    __init: they run before kernel_init() frees that)?"""
    return (syms["_start"] <= pc < syms["_etext"]
            or syms["__init_begin"] < pc < syms["__init_text_end"])


def nm(conf):
    """{symbol: address} of build/keel-test.elf (the test Image selftest= boots)."""
    return K.symbols(conf, "keel-test.elf")


# case: (trap cause or None for a direct panic, panic reason regex)
CRASHES = {
    "crash-stack": ("Store/AMO page fault",
                    r"kernel stack overflow on hart \d+ \(stval (0x[0-9a-f]+) in the guard page\)"),
    "crash-rodata": ("Store/AMO page fault",
                     r"Fatal exception in kernel: Store/AMO page fault at 0x[0-9a-f]+, "
                     r"stval (0x[0-9a-f]+)"),
    "crash-null": ("Load page fault",
                   r"Fatal exception in kernel: Load page fault at 0x[0-9a-f]+, stval (0x[0-9a-f]+)"),
    "crash-panic": (None, r"selftest: requested panic()"),
}


@pytest.mark.parametrize("case", sorted(CRASHES))
def test_crash_is_reported_and_exits_nonzero(keel, conf, case):
    cause, reason = CRASHES[case]
    k = keel(smp=2, append="selftest=" + case)
    k.expect_line(r"\] 1\.\.1$")
    if cause:
        dump = k.expect_line(r"\] trap: (.+) \(scause (0x[0-9a-f]+)\) on hart (\d+) \(cpu (\d+)\)$")
        regs = k.expect_line(r"\] trap: sepc (0x[0-9a-f]{16}) stval (0x[0-9a-f]{16}) ")
    panic = k.expect_line(r"\] Kernel panic - not syncing: (.*)$")
    k.expect_line(r"\] ---\[ end Kernel panic - not syncing: ")
    status = k.wait_exit()

    assert re.fullmatch(reason, panic.group(1)), \
        k.why("panic reason %r does not match %r" % (panic.group(1), reason))
    assert not k.find(r"\] (ok|not ok) 1 "), k.why("the crash case returned")
    assert status == 1, k.why("QEMU exit status %s, expected 1 (failure)" % status)
    if not cause:
        assert not k.find(r"\] trap: "), k.why("a trap dump for a plain panic()")
        return

    assert dump.group(1) == cause, k.why("trap: %r, expected %r" % (dump.group(1), cause))
    # Self-tests may run in a thread on any hart: one from the table.
    assert k.hart_table().get(int(dump.group(3)), ("",))[0] == "usable", \
        k.why("the fault is reported on a hart not in the table: %r" % dump.group(0))
    sepc, stval = int(regs.group(1), 16), int(regs.group(2), 16)
    assert int(re.fullmatch(reason, panic.group(1)).group(1), 16) == stval, \
        k.why("the panic's stval differs from the trap dump's")
    syms = nm(conf)
    assert in_core_text(syms, sepc), k.why("sepc 0x%x is outside the kernel text" % sepc)
    if case == "crash-rodata":
        assert stval == syms["crash_rodata_target"], \
            k.why("stval 0x%x, expected crash_rodata_target 0x%x"
                  % (stval, syms["crash_rodata_target"]))
        assert syms["__rodata_start"] <= stval < syms["__rodata_end"]
    elif case == "crash-null":
        assert stval == 16, k.why("stval 0x%x, expected 0x10 (NULL + 16)" % stval)


def test_shipping_image_has_no_selftests(keel, conf):
    """SELFTEST_IMAGE_0001: build/Image carries no self-test code; selftest= on it
    says so once and the system boots as without it."""
    out = subprocess.run([conf["cross"] + "nm", os.path.join(K.BUILD, "keel.elf")],
                         check=True, capture_output=True, text=True).stdout
    test_code = ("selftest_smp_counters", "selftest_hotplug", "selftest_user_program")
    assert not [s for s in test_code if s in out], "self-test code in build/keel.elf"
    assert all(s in nm(conf) for s in test_code)
    k = keel(smp=1, append="selftest=core", kernel=os.path.join(K.BUILD, "Image"),
             initrd=os.path.join(K.BUILD, "initramfs.cpio"))
    k.expect_line(r"selftest: this Image has no self-tests \(selftest=core ignored\); "
                  r"boot build/Image-test$")
    k.expect_line(r"init: ready$", timeout=30)
    assert not k.find(r"KTAP version"), k.why("the shipping Image ran self-tests")

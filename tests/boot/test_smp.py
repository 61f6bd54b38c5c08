"""SMP bring-up and selftest=smp: the short part of the stress matrix
(tests/stress/stress.py runs the whole of it with `ninja stress`).

Each boot must bring up every usable hart (`smp: brought up N of N`), with
Keel's cpu 0 on OpenSBI's boot hart (any hart under the default TCG),
pass every KTAP case and power off (exit 0). nosmp and maxcpus= bring up
fewer harts and never start the rest; sifive_u never starts its E51."""

import pytest

import keel as K

SINGLE = ["-accel", "tcg,thread=single"]  # 32 harts: ~10 s; mttcg is far slower here
SELFTEST_TIMEOUT = 120  # s: selftest=smp at 32 harts takes ~10 s

ONLINE_RE = r"\] smp: hart (\d+) online as cpu (\d+)$"  # `debug` only


def run_selftest_smp(k):
    """Read @k to its end; fail on any bring-up or KTAP problem or exit != 0."""
    k.expect_line(r"\] smp: brought up \d+ of \d+ harts", K.BIG_BOOT_TIMEOUT)
    status = k.wait_exit(SELFTEST_TIMEOUT)
    assert status == 0, k.why("QEMU exit status %s, expected 0 (poweroff)" % status)
    return status


def check_all_ok(k, usable):
    """Bring-up reached @usable harts and every KTAP case passed."""
    problems = k.bringup_problems(usable) + k.ktap_problems()
    assert not problems, k.why("; ".join(problems))
    online = k.find(r"\]     # (\d+) of (\d+) harts online$")
    assert online and online.group(1, 2) == (str(usable), str(usable)), \
        k.why("SMP_0001 says %r, expected %d of %d harts online"
              % (online and online.group(0), usable, usable))


def online_harts(k):
    """{hartid: cpu} from the `debug` lines of secondaries checking in."""
    out = {}
    for m in k.find_all(ONLINE_RE):
        h = int(m.group(1))
        assert h not in out, k.why("hart %d checked in twice" % h)
        out[h] = int(m.group(2))
    return out


@pytest.mark.parametrize("smp,extra", [(1, []), (2, []), (4, []), (8, []), (32, SINGLE)],
                         ids=["smp1", "smp2", "smp4", "smp8", "smp32-single"])
def test_selftest_smp_brings_up_every_hart_and_passes(keel, smp, extra):
    k = keel(smp=smp, append="selftest=smp", extra=extra)
    run_selftest_smp(k)
    check_all_ok(k, smp)
    sbi = k.opensbi_boot_hart()
    assert 0 <= sbi < smp, k.why("OpenSBI's Boot HART ID %d at -smp %d" % (sbi, smp))
    if smp > 1:
        K.NOTES.append("selftest=smp -smp %d%s: boot hart %d"
                       % (smp, " (thread=single)" if extra else "", sbi))


def test_nosmp_brings_up_only_the_boot_hart(keel):
    k = keel(smp=4, append="nosmp debug selftest=smp")
    run_selftest_smp(k)
    assert k.find(r"\] smp: nosmp: uniprocessor$"), k.why("no `smp: nosmp: uniprocessor`")
    check_all_ok(k, 1)
    assert not online_harts(k), \
        k.why("harts %s checked in under nosmp" % sorted(online_harts(k)))
    assert k.find(r"\] smp: boot hart \d+ is cpu 0; 4 usable harts$"), \
        k.why("nosmp changed the usable count: only bring-up is limited")


def test_maxcpus_brings_up_that_many(keel):
    k = keel(smp=4, append="maxcpus=2 debug selftest=smp")
    run_selftest_smp(k)
    assert k.find(r"\] smp: maxcpus=2: bringing up 2 of 4 usable harts$"), \
        k.why("no `smp: maxcpus=2: bringing up 2 of 4 usable harts`")
    check_all_ok(k, 2)
    online = online_harts(k)
    sbi = k.opensbi_boot_hart()
    assert len(online) == 1 and sbi not in online and list(online.values()) == [1], \
        k.why("secondaries checked in as %s; expected one, as cpu 1" % online)


def test_sifive_u_brings_up_the_u54s_and_passes(keel):
    """The E51 (hart 0, no MMU) is never started; the four U54s are. No
    poweroff device there: the run ends in a reset, exit 0 under -no-reboot."""
    k = keel(machine="sifive_u", smp=5, append="debug selftest=smp")
    run_selftest_smp(k)
    check_all_ok(k, 4)
    sbi = k.opensbi_boot_hart()
    assert sbi in (1, 2, 3, 4), k.why("OpenSBI's Boot HART ID is %r" % sbi)
    online = online_harts(k)
    assert sorted(online) == sorted({1, 2, 3, 4} - {sbi}), \
        k.why("harts %s checked in; expected the U54s but boot hart %d" % (sorted(online), sbi))
    assert sorted(online.values()) == [1, 2, 3], k.why("secondaries' cpus: %s" % online)
    assert k.find(r"\] power: no poweroff device in the device tree; resetting instead$"), \
        k.why("no `power: no poweroff device ...` line")


# Under QEMU's default multi-threaded TCG (one host thread per hart) and
# no smp.timeout_ms=: the bring-up timeout grows with the hart count
# (SMP_TIMEOUT_PER_HART_MS, core/kernel/smp.c), so every hart comes up.
# 64 harts take about 25 s on a busy 2-core host; 128 up to 75 s, so that
# one runs in `ninja stress` (the `stress` mark), not in `ninja test`.
MANY_HARTS_TIMEOUT = 240  # s: the whole boot, firmware included


@pytest.mark.parametrize("smp", [
    64, pytest.param(128, marks=pytest.mark.stress)], ids=["smp64", "smp128"])
def test_many_harts_default_timeout(keel, smp):
    k = keel(smp=smp)
    k.expect_line(r"\] smp: brought up \d+ of \d+ harts", MANY_HARTS_TIMEOUT)
    k.expect_line(r"\] core: no initramfs; powering off$", MANY_HARTS_TIMEOUT)
    problems = k.bringup_problems(smp)
    assert not problems, k.why("; ".join(problems))
    up = k.find(r"\] smp: brought up \d+ of \d+ harts in (\d+) us")
    K.NOTES.append("-smp %d, default TCG, no smp.timeout_ms: all up in %.2f s"
                   % (smp, int(up.group(1)) / 1e6))

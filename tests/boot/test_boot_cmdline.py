"""The kernel command line (QEMU -append): what is too long is cut, what
is malformed is reported and ignored, never fatal."""

import pytest


def boots_to_poweroff(k):
    status = k.boot_to_poweroff()
    assert status == 0, k.why("QEMU exit status %s, expected 0 (poweroff)" % status)
    assert not k.find(r"Kernel panic"), k.why("a panic")


def test_cmdline_longer_than_4095_bytes_is_truncated(keel):
    words = ["word%04d" % i for i in range(600)]  # 5399 bytes
    append = "timer.hz=250 " + " ".join(words)
    assert len(append) > 4096
    k = keel(smp=2, append=append)
    boots_to_poweroff(k)
    assert k.find(r"\] cmdline: longer than 4095 bytes; truncated$"), \
        k.why("no `cmdline: longer than 4095 bytes; truncated` line")
    # The words before the cut still count.
    assert k.find(r"\] timer: 250 Hz tick"), k.why("timer.hz=250 before the cut was lost")


@pytest.mark.parametrize("arg,why", [
    ("loglevel=abc", "not a level from 0 to 8"),
    ("timer.hz=0", "not a rate from 1 to 10000 Hz"),
    ("maxcpus=x", "not a number"),
    ("irqaffinity=2x", "not a hart id"),
])
def test_cmdline_malformed_value_is_reported_and_ignored(keel, arg, why):
    k = keel(smp=2, append=arg)
    boots_to_poweroff(k)
    name, val = arg.split("=")
    assert k.find(r"\] cmdline: %s=%s: %s; ignored$" % (name.replace(".", r"\."), val, why)), \
        k.why("no `cmdline: %s: %s; ignored` warning" % (arg, why))
    # The default stands: 100 Hz, every hart, the usual console level.
    assert k.find(r"\] timer: 100 Hz tick"), k.why("timer.hz is not the default 100")
    assert k.find(r"\] smp: brought up 2 of 2 harts"), k.why("not every hart came up")
    assert not k.find(r"Unknown kernel command line"), k.why("%s taken as unknown" % arg)


def test_cmdline_quiet_hides_info_but_powers_off(keel):
    k = keel(smp=2, append="quiet")
    status = k.wait_exit()
    assert status == 0, k.why("QEMU exit status %s, expected 0 (poweroff)" % status)
    assert k.find(r"^Boot HART ID"), k.why("OpenSBI did not boot")
    for info in (r"\] Keel version", r"\] cpu: ", r"\] dt: machine model", r"\] mem: ",
                 r"\] pmem: ", r"\] smp: ", r"\] core: bring-up done", r"\] core: no initramfs"):
        assert not k.find(info), k.why("quiet still printed %r" % k.find(info).string)


def test_cmdline_quiet_still_shows_a_panic(keel):
    k = keel(smp=2, append="quiet selftest=crash-panic")
    k.expect_line(r"\] Kernel panic - not syncing: selftest: requested panic$")
    status = k.wait_exit()
    assert status == 1, k.why("QEMU exit status %s, expected 1 (failure)" % status)
    assert not k.find(r"\] cpu: "), k.why("quiet still printed cpu: lines")


def test_cmdline_unknown_words_go_to_user_space(keel):
    k = keel(smp=2, append="foo timer.hz=250 bar=baz -- qux loglevel=abc")
    boots_to_poweroff(k)
    m = k.find(r'\] Unknown kernel command line parameters "(.*)", '
               r'will be passed to user space\.$')
    assert m, k.why("no `Unknown kernel command line parameters` line")
    assert m.group(1) == "foo bar=baz", \
        k.why("unknown parameters %r, expected 'foo bar=baz' (nothing after --)" % m.group(1))
    # After `--` nothing is Keel's: loglevel=abc there is not even parsed.
    assert not k.find(r"\] cmdline: loglevel="), k.why("a word after -- was parsed")
    assert k.find(r"\] Kernel command line: foo timer\.hz=250 bar=baz -- qux loglevel=abc$"), \
        k.why("the command line is not logged as given")


def test_cmdline_timer_hz_sets_the_tick(keel):
    k = keel(smp=2, append="timer.hz=250")
    boots_to_poweroff(k)
    assert k.find(r"\] timer: 250 Hz tick through "), k.why("no `timer: 250 Hz` line")


def test_cmdline_word_longer_than_a_user_string_is_refused(keel):
    """A word init could not hand on (spawn takes strings of at most
    KEEL_ARG_MAX - 1 = 1023 bytes) is refused where it enters, once, with
    a message; init gets the rest and starts every server."""
    import os
    import keel as K
    initramfs = os.path.join(K.BUILD, "initramfs.cpio")
    long_word = "huge=" + "x" * 1097  # 1,102 bytes
    k = keel(smp=2, initrd=initramfs, append="initcall_debug " + long_word + " small=1")
    k.expect_line(r"\] cmdline: word of 1102 bytes \(huge=x+\.\.\.\) is longer than 1023 "
                  r"bytes; ignored$")
    env = k.expect_line(r"^init: environment: (.*)$").group(1).split()
    assert "small=1" in env, k.why("init's environment is %s" % env)
    assert not [w for w in env if w.startswith("huge=")], k.why("the long word reached init")
    k.expect_line(r"^init: ready$", timeout=K.BOOT_TIMEOUT)
    for name in ("hello_core", "devmgr", "console", "fs", "hello_device", "hello_late"):
        assert k.find(r"^initcall %s returned 0 after \d+ usecs$" % name), \
            k.why("server %s did not start" % name)
    assert not k.find(r"Kernel panic"), k.why("a panic")


def test_cmdline_selftest_knobs_are_the_test_images_alone(keel):
    """selftest.hotplug_ms= and syscall-fuzz.ms= tune self-tests the shipping
    Image does not have: it leaves them to user space like any word it does
    not know, and the test Image takes them."""
    knobs = "selftest.hotplug_ms=5 syscall-fuzz.ms=7"
    k = keel(smp=2, append=knobs)
    boots_to_poweroff(k)
    m = k.find(r'\] Unknown kernel command line parameters "(.*)", ')
    assert m and m.group(1) == knobs, k.why("the shipping Image took the test knobs")
    k = keel(smp=2, append="selftest=core " + knobs)
    k.expect_line(r"\] Kernel command line: selftest=core ")
    k.expect_line(r"\] core: bring-up done")
    assert not k.find(r"Unknown kernel command line"), k.why("the test Image did not take them")

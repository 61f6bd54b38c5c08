"""read(0) must not steal keystrokes: while a console server holds the
console, read(0) from any other task does not touch the firmware console
and fails with EBUSY (tests/user/isolation console-read); the shell,
reading through the console server, still gets what is typed."""

import os

import keel as K

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")


def shell(k, command, expect, timeout=K.BOOT_TIMEOUT):
    k.send(command + "\r")
    return k.expect_line(expect, timeout)


def test_read0_is_refused_while_the_console_server_holds_the_console(keel):
    k = keel(smp=2, initrd=INITRAMFS)
    k.expect_line(r"\] console: console\[\d+\] takes the console over")
    k.expect_line(r"^Keel shell\.")
    m = shell(k, "/bin/isolation console-read", r"^ISO_0050 (ok|FAIL) .*\(got (-?\d+)\)$",
              timeout=10)
    assert m.group(1) == "ok", k.why("read(0) returned %s, expected EBUSY" % m.group(2))
    k.expect_line(r"^isolation: console-read: 0 failed$")
    shell(k, "echo typed after", r"^typed after$")
    shell(k, "poweroff", r"asked to power off")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)

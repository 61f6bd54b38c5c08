"""IPC and handles: tests/user/ipc_test runs from the shell and
checks calls and replies, handle transfer both ways, rights (EDENIED),
wrong handle types and calls only the caller could answer (kernel-side
bounds), and that a server which dies or closes its endpoint makes a call
fail rather than hang. Each check prints an ID line; the last line counts
them."""

import os

import pytest

import keel as K

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")
CHECKS = 24  # the IPC_* lines ipc_test prints


def shell(k, command, expect, timeout=K.BOOT_TIMEOUT):
    k.send(command + "\r")
    return k.expect_line(expect, timeout)


@pytest.mark.parametrize("smp", [1, 4])
def test_ipc_test_passes(keel, smp):
    if not os.path.exists(INITRAMFS):
        pytest.fail("%s missing: run ninja" % INITRAMFS)
    k = keel(smp=smp, initrd=INITRAMFS)
    k.expect_line(r"^Keel shell\.")
    m = shell(k, "/bin/ipc_test", r"^ipc_test: (\d+) passed, (\d+) failed$")
    bad = [line for line in k.lines if line.startswith("ipc_test: ") and " FAILED " in line]
    assert m.group(2) == "0" and not bad, k.why("failed checks: %s" % bad)
    assert int(m.group(1)) == CHECKS, k.why("%s checks passed, expected %d" % (m.group(1), CHECKS))
    assert not k.find(r"\] ipc_test\[\d+\]: .* killed$"), k.why("an ipc_test task faulted")
    shell(k, "echo still here", r"^still here$")
    shell(k, "poweroff", r"asked to power off")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)

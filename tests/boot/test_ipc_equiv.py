"""The IPC fast path is an optimisation, not a second semantics:
tests/user/ipc_equiv runs as pid 1, once with the fast path (ipc.fastpath=1,
the default) and once without (ipc.fastpath=0), and does one thing to a
task waiting in IPC per scenario: a notification bound and signalled, the
last send handle closed, the waiting server killed, a caller killed while
the server holds its message, the server killed or exiting owing a reply,
a receive timeout, the pair's hart taken offline; and to a task waiting
on a notification: two signals before it runs, a kill, a signal that hands
the hart straight to it (it has answered before the signal returns), and
one from another hart that does not (it runs on its own). Each scenario prints
what every task got; both runs must print the same lines, and those the
slow path is meant to give.
"""

import os
import re

import pytest

import keel as K

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")
EPEER, EDEADLK, ETIMEDOUT, KILLED = 112, -13, 108, 521  # exit codes: 100 + errno
EXPECTED = {
    "EQUIV_01": "bind 0 signal 0 server 15",  # the receive got the bits (0x5)
    "EQUIV_02": "close 0 server %d" % EPEER,
    "EQUIV_03": "kill 0 server %d call %d" % (KILLED, EDEADLK),  # only we could receive now
    "EQUIV_04": "kill 0 client %d server %d" % (KILLED, EPEER),
    "EQUIV_05": "kill 0 server %d client %d" % (KILLED, EPEER),
    "EQUIV_06": "server 3 client %d" % EPEER,
    "EQUIV_07": "client 7 server %d" % ETIMEDOUT,
    "EQUIV_08": "offline 0 client 7 server %d online 0" % EPEER,
    "EQUIV_09": "got 0x3 waiter 15",
    "EQUIV_10": "kill 0 waiter %d signal 0" % KILLED,
    "EQUIV_11": "waiter ran, got 0x20 waiter 15",
    "EQUIV_12": "ran on its own, got 0x20 waiter 15",
}
OOPS_RES = [r"Kernel panic - not syncing", r"\] trap: .* \(scause 0x", r"BUG at "]


def run(keel, smp, fastpath):
    k = keel(smp=smp, initrd=INITRAMFS, append="rdinit=/bin/ipc_equiv ipc.fastpath=%d" % fastpath)
    k.expect_line(r"^ipc_equiv: done$", K.BOOT_TIMEOUT + 60)
    k.wait_exit()
    oops = [line for line in k.lines if any(re.search(r, line) for r in OOPS_RES)]
    assert not oops, k.why("the core went wrong: %s" % oops[:5])
    got = {}
    for line in k.lines:
        m = re.match(r"^ipc_equiv: (EQUIV_\d+) [^:]*: (.*)$", line)
        if m:
            got[m.group(1)] = m.group(2)
    return k, got


@pytest.mark.parametrize("smp", [1, 2])
def test_fast_and_slow_paths_agree(keel, smp):
    if not os.path.exists(INITRAMFS):
        pytest.fail("%s missing: run ninja" % INITRAMFS)
    fast_k, fast = run(keel, smp, 1)
    slow_k, slow = run(keel, smp, 0)
    assert fast == slow, fast_k.why("fast path %s, slow path %s" % (fast, slow))
    for id, want in EXPECTED.items():
        if id in ("EQUIV_08", "EQUIV_12") and smp == 1:
            want = "one hart, skipped"
        assert slow.get(id) == want, slow_k.why("%s: %s, expected %s" % (id, slow.get(id), want))

"""The virtio-blk driver's transport and block logic (servers/virtio/) against
a host model of a virtio-mmio device (tests/virtio/virtio_model.c), built with
ASan and UBSan by `ninja virtio-tests`. One pytest test per TAP case, so a
failure names its claim; the QEMU end-to-end run is a boot test."""

import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROGRAM = os.path.join(ROOT, os.environ.get("KEEL_BUILDDIR", "build"), "host",
                       "virtio_model_test")


def run(*args):
    if not os.path.exists(PROGRAM):
        pytest.fail("%s missing: run ninja virtio-tests" % PROGRAM)
    p = subprocess.run([PROGRAM, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def case_names():
    """The case names, from the program's own run (it is quick)."""
    if not os.path.exists(PROGRAM):
        return ["(not built)"]
    _, out = run()
    return re.findall(r"^(?:ok|not ok) \d+ - (.*)$", out, re.M) or ["(no cases)"]


def test_tap_plan():
    rc, out = run()
    cases = re.findall(r"^(ok|not ok) (\d+) - (.*)$", out, re.M)
    plan = re.search(r"^1\.\.(\d+)$", out, re.M)
    assert plan and int(plan.group(1)) == len(cases) >= 20, "bad TAP plan:\n" + out
    assert rc == 0, out


@pytest.mark.parametrize("name", case_names())
def test_case(name):
    rc, out = run(name)
    assert re.search(r"^ok 1 - " + re.escape(name) + "$", out, re.M) and rc == 0, out

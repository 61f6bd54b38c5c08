"""Host unit tests of pure core code (tests/unit/*_test.c, TAP output):
the run queue, cpu masks and core/lib/string.c. One pytest test per program; a failure names
its failing TAP cases."""

import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
HOST = os.path.join(ROOT, os.environ.get("KEEL_BUILDDIR", "build"), "host")
PROGRAMS = ["runq_test", "cpumask_test", "string_test"]


def run(program):
    path = os.path.join(HOST, program)
    if not os.path.exists(path):
        pytest.fail("%s missing: run ninja host-tests" % path)
    p = subprocess.run([path], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


@pytest.mark.parametrize("program", PROGRAMS)
def test_unit_program(program):
    rc, out = run(program)
    cases = re.findall(r"^(ok|not ok) (\d+) - (.*)$", out, re.M)
    plan = re.search(r"^1\.\.(\d+)$", out, re.M)
    assert plan and int(plan.group(1)) == len(cases) > 0, "bad TAP plan:\n" + out
    bad = [name for verdict, _, name in cases if verdict != "ok"]
    assert not bad and rc == 0, "failed: %s\n%s" % (bad, out)

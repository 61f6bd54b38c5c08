"""The UART register access (servers/uart/uart_hw.c) against host models
of the 16550 (ns16550a: reg-shift 0, 8-bit; snps,dw-apb-uart: reg-shift 2,
32-bit, busy detect) and of the SiFive UART (tests/uart/uart_model.c).

One pytest test per TAP case of build/host/uart_model (ninja uart-tests
builds it); the cases are read from the CASE() table of the C file, so a
case that never ran fails as well as one that failed."""

import functools
import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("KEEL_BUILDDIR", "build"))
PROGRAM = os.path.join(BUILD, "host", "uart_model")
SOURCE = os.path.join(ROOT, "tests", "uart", "uart_model.c")


def case_names():
    with open(SOURCE) as f:
        return re.findall(r"^\tCASE\((\w+)\),$", f.read(), re.M)


@functools.lru_cache(maxsize=None)
def run_all():
    """Run every case once: ({name: (verdict, diagnostics)}, plan, rc, output)."""
    if not os.path.exists(PROGRAM):
        pytest.fail("%s missing: run ninja uart-tests" % PROGRAM)
    p = subprocess.run([PROGRAM], capture_output=True, text=True, timeout=120)
    out = p.stdout + p.stderr
    results, diags = {}, []
    for line in p.stdout.splitlines():
        if line.startswith("# "):
            diags.append(line)
            continue
        m = re.match(r"^(ok|not ok) \d+ - (\w+)$", line)
        if m:
            results[m.group(2)] = (m.group(1), "\n".join(diags))
            diags = []
    plan = re.search(r"^1\.\.(\d+)$", p.stdout, re.M)
    return results, int(plan.group(1)) if plan else None, p.returncode, out


def test_every_case_ran():
    results, plan, rc, out = run_all()
    names = case_names()
    assert len(names) >= 20, "the CASE() table was not found in %s" % SOURCE
    assert plan == len(names) == len(results), "bad TAP plan:\n" + out
    assert "ERROR: AddressSanitizer" not in out and "runtime error" not in out, out


@pytest.mark.parametrize("name", case_names())
def test_case(name):
    results, _, _, out = run_all()
    assert name in results, "case %s did not run:\n%s" % (name, out)
    verdict, diags = results[name]
    assert verdict == "ok", "%s failed:\n%s" % (name, diags)


def test_single_case_runs_alone():
    """`uart_model NAME` runs just that case (handy when one fails)."""
    run_all()
    p = subprocess.run([PROGRAM, "dw_busy_detect_init"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines() == ["ok 1 - dw_busy_detect_init", "1..1"]

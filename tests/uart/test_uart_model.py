"""Host tests of the UART drivers (servers/uart), ASan + UBSan:

- uart_hw_test: the register access (uart_hw.c) against models of the
  16550 (ns16550a: reg-shift 0, 8-bit; snps,dw-apb-uart: reg-shift 2,
  32-bit, busy detect) and of the SiFive UART (tests/uart/uart_model.c);
- uart_args_test: the drivers' argv as devmgr passes it (uart_args.c);
- uart_server_test: the server (uart_server.c) over a fake kernel
  (tests/uart/fake/keel.h) and the models: start line, mapping, IRQ bind,
  PROTO_READY, CON_CONNECT/WRITE/READ, input notification, polling.

One pytest test per TAP case (ninja uart-tests builds the programs); the
cases come from the CASE() table of each C file, so a case that never ran
fails as well as one that failed."""

import functools
import os
import re
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, os.environ.get("KEEL_BUILDDIR", "build"))
PROGRAMS = {
    "uart_hw_test": "uart_hw_test.c",
    "uart_args_test": "uart_args_test.c",
    "uart_server_test": "uart_server_test.c",
}


def program_path(program):
    return os.path.join(BUILD, "host", program)


def case_names(program):
    with open(os.path.join(ROOT, "tests", "uart", PROGRAMS[program])) as f:
        table = f.read().split("cases[] = {", 1)[-1]
        return re.findall(r"\bCASE\((\w+)\)", table.split("};", 1)[0])


ALL_CASES = [(p, c) for p in PROGRAMS for c in case_names(p)]


@functools.lru_cache(maxsize=None)
def run_all(program):
    """Run every case of @program once: ({name: (verdict, diagnostics)}, plan, output)."""
    path = program_path(program)
    if not os.path.exists(path):
        pytest.fail("%s missing: run ninja uart-tests" % path)
    p = subprocess.run([path], capture_output=True, text=True, timeout=120)
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
    return results, int(plan.group(1)) if plan else None, p.stdout + p.stderr


@pytest.mark.parametrize("program", list(PROGRAMS))
def test_every_case_ran(program):
    results, plan, out = run_all(program)
    names = case_names(program)
    assert names, "no CASE() table in %s" % PROGRAMS[program]
    assert plan == len(names) == len(results), "bad TAP plan:\n" + out
    assert "ERROR: AddressSanitizer" not in out and "runtime error" not in out, out


@pytest.mark.parametrize("program,name", ALL_CASES, ids=["%s:%s" % pc for pc in ALL_CASES])
def test_case(program, name):
    results, _, out = run_all(program)
    assert name in results, "case %s did not run:\n%s" % (name, out)
    verdict, diags = results[name]
    assert verdict == "ok", "%s failed:\n%s" % (name, diags)


def test_single_case_runs_alone():
    """`uart_hw_test NAME` runs just that case (handy when one fails)."""
    run_all("uart_hw_test")
    p = subprocess.run([program_path("uart_hw_test"), "dw_busy_detect_init"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines() == ["ok 1 - dw_busy_detect_init", "1..1"]

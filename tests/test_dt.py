"""
test_dt.py - run the device-tree reader's host tests (dt_test) on every tree.

One pytest test per tree or case, so a failure names it:
  good trees   QEMU's own dumps and tests/dt/*.dts: dt_parse() agrees with
               libfdt on every fact and on the whole structure walk
  bad trees    tests/dt/bad-*.dts: refused with the error named on the
               file's "expect: DT_ERR_x" line
  mutations    byte-level damage to good trees, each with its exact error
  synthetic    trees built with libfdt (512/513 harts, nesting limits ...)
  regressions  fuzzer finds and seeds: no crash, promises hold

`ninja host-tests` builds dt_test and the trees under build/ (or under
$KEEL_BUILDDIR). A missing one is a failure, not a skip.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("KEEL_BUILDDIR", ROOT / "build"))
DT_TEST = BUILD / "host" / "dt_test"
DTB_DIR = BUILD / "dt"
DTS_DIR = ROOT / "tests" / "dt"
REGRESSIONS = ROOT / "tests" / "fuzz" / "regressions" / "dt"
SEEDS = ROOT / "tests" / "fuzz" / "corpus" / "dt"

# The dumps tests/host.ninja asks QEMU for.
QEMU_TREES = ["qemu-virt-1", "qemu-virt-4", "qemu-virt-8", "qemu-virt-128",
              "qemu-virt-4-2G", "qemu-sifive_u-5"]
DTS_GOOD = sorted(p.stem for p in DTS_DIR.glob("*.dts") if not p.stem.startswith("bad-"))
DTS_BAD = sorted(p.stem for p in DTS_DIR.glob("bad-*.dts"))
# Good trees the byte-level damage is applied to.
MUTATION_BASES = ["qemu-virt-4", "chosen32", "vf2-jh7110"]

MISSING = "(dt_test not built)"


def need(path):
    if not path.exists():
        pytest.fail(f"{path} is missing: run `ninja host-tests` first", pytrace=False)
    return path


def run(*args):
    need(DT_TEST)
    proc = subprocess.run([str(DT_TEST), *map(str, args)], capture_output=True,
                          text=True, timeout=300)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"dt_test {' '.join(map(str, args))}:\n{report}"
    assert re.search(r"^1\.\.\d+$", proc.stdout, re.M), f"no TAP plan:\n{report}"
    assert "not ok" not in proc.stdout, report
    return proc.stdout


def expected_error(dts):
    m = re.search(r"expect:\s*(DT_ERR_\w+)", dts.read_text())
    assert m, f"{dts} has no 'expect: DT_ERR_x' line"
    return m.group(1)


def list_cases(kind):
    """Case names from dt_test itself; a placeholder that fails if unbuilt."""
    if not DT_TEST.exists():
        return [MISSING]
    out = subprocess.run([str(DT_TEST), "--list-mutations"], capture_output=True,
                         text=True, check=True).stdout
    return [line.split(" ", 1)[1] for line in out.splitlines()
            if line.startswith(kind + " ")]


def robustness_inputs():
    files = [p for p in REGRESSIONS.iterdir() if p.is_file() and p.name != "README"]
    return sorted(files) + sorted(SEEDS.glob("*.seed"))


@pytest.mark.parametrize("tree", QEMU_TREES + DTS_GOOD)
def test_good_tree(tree):
    run(need(DTB_DIR / f"{tree}.dtb"))


@pytest.mark.parametrize("tree", DTS_BAD)
def test_bad_tree(tree):
    run("--expect", expected_error(DTS_DIR / f"{tree}.dts"), need(DTB_DIR / f"{tree}.dtb"))


@pytest.mark.parametrize("case", list_cases("mutation"))
@pytest.mark.parametrize("base", MUTATION_BASES)
def test_mutation(base, case):
    if case == MISSING:
        need(DT_TEST)
    run("--mutations", need(DTB_DIR / f"{base}.dtb"), case)


@pytest.mark.parametrize("case", list_cases("synthetic"))
def test_synthetic(case):
    if case == MISSING:
        need(DT_TEST)
    run("--synthetic", case)


@pytest.mark.parametrize("path", robustness_inputs(), ids=lambda p: p.name)
def test_fuzz_input(path):
    run("--any", path)


def test_dt_c_is_freestanding():
    """core/platform/dt.c includes only what a freestanding kernel has."""
    src = (ROOT / "core" / "platform" / "dt.c").read_text() + (ROOT / "core" / "platform" / "dt.h").read_text()
    src += (ROOT / "include" / "keel" / "strtab.h").read_text()  # its error names
    src += (ROOT / "include" / "keel" / "init.h").read_text()  # __init, in the core only
    includes = set(re.findall(r'^#include\s+([<"][^>"]+[>"])', src, re.M))
    assert includes <= {"<stdint.h>", "<stddef.h>", "<stdbool.h>", '"dt.h"',
                        '"keel/strtab.h"', '"keel/init.h"'}, includes


@pytest.mark.parametrize("obj", ["dt_gcc.o", "dt_clang.o"])
def test_dt_o_calls_nothing(obj):
    """The -ffreestanding -O2 objects need no symbol from outside (no memset)."""
    out = subprocess.run(["nm", "-u", str(need(BUILD / "host" / obj))], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "", f"{obj} needs: {out}"

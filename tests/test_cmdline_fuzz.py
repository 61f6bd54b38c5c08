"""
test_cmdline_fuzz.py - the command-line parser's fuzz inputs, replayed.

build/host/cmdline_replay is tests/fuzz/cmdline_fuzz.c built as a plain
program with ASan and UBSan (tests/host-cmdline.ninja): it runs a file
through the fuzz harness, whose promises (value ranges, what reaches init,
the logged text) break as a trap. One test per seed and per regression,
so a failure names the input.

`ninja cmdline-tests` builds it under build/ (or $KEEL_BUILDDIR); a
missing binary is a failure, not a skip. New regressions come from
`ninja fuzz` (build/fuzz/crash-*): copy one into
tests/fuzz/regressions/cmdline/ under a name saying what it broke.
"""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("KEEL_BUILDDIR", ROOT / "build"))
REPLAY = BUILD / "host" / "cmdline_replay"
FUZZ = ROOT / "tests" / "fuzz"


def inputs():
    regs = [p for p in (FUZZ / "regressions" / "cmdline").iterdir()
            if p.is_file() and p.name != "README"]
    return sorted(regs) + sorted((FUZZ / "corpus" / "cmdline").glob("*.seed"))


def replay(path):
    if not REPLAY.exists():
        pytest.fail(f"{REPLAY} is missing: run `ninja cmdline-tests` first", pytrace=False)
    proc = subprocess.run([str(REPLAY), str(path)], capture_output=True, text=True, timeout=60)
    return proc, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", inputs(), ids=lambda p: p.name)
def test_cmdline_fuzz_input(path):
    proc, report = replay(path)
    assert proc.returncode == 0, f"cmdline_replay {path}:\n{report}"
    assert proc.stdout.splitlines() == ["1..1", f"ok 1 {path}"], report


def test_regressions_are_kept():
    """The fuzzer's finds stay: at least the loglevel one (a digit above the maximum)."""
    names = [p.name for p in inputs()]
    assert "loglevel-digit-above-max" in names, names


def test_nul_ends_the_line(tmp_path):
    """Bytes after a NUL are not the command line (the bad loglevel there
    is never parsed), and a line past COMMAND_LINE_SIZE is cut, not fatal."""
    path = tmp_path / "nul"
    path.write_bytes(b"loglevel=8 " + b"w " * 3000 + b"\0loglevel=9")
    proc, report = replay(path)
    assert proc.returncode == 0, report

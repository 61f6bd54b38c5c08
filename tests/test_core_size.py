"""The release core stays inside its size budget, whatever build `ninja test` uses.

SIZE_0001  a release core built from this tree has .text <= 48 KiB and .rodata
           <= 12 KiB (tests/bench/bench.py SIZE_TARGETS, the figures 'ninja bench'
           prints); the boot-only sections it frees are not counted
SIZE_0002  the boot-only sections hold what they should: .init.text and
           .init.rodata are not empty, and the read-only tables of the boot-only
           device-tree reader (its error strings) are among them, not in .rodata

`ninja test` runs on the configured build, usually debug, whose sizes say
nothing of the release Image. So this builds the release core itself: a
tree of links to the sources in a temporary folder, `./configure --release`
there and `ninja build/keel.elf build/Image` (a few seconds: the core only).
A change that pushes the release core over the budget fails here, with the
section, its size and the budget, rather than in a bench run nobody reads.
"""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "bench"))
import bench  # noqa: E402  (SIZE_TARGETS, size_cell)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The release core's size row, as 'ninja bench' would print it."""
    tree = tmp_path_factory.mktemp("release")
    for entry in ROOT.iterdir():
        if entry.name not in ("build", ".git"):
            (tree / entry.name).symlink_to(entry)
    # The options this build was configured with (its first line), made release.
    first = (ROOT / "build" / "config.ninja").read_text().splitlines()[0]
    given = first.split("./configure", 1)[1].split(";")[0].split() if "./configure" in first else []
    given = [a for a in given if a not in ("--debug", "--release", "--no-install")]
    for argv in (["./configure", *given, "--release", "--no-install"],
                 ["ninja", "build/keel.elf", "build/Image"]):
        r = subprocess.run(argv, cwd=tree, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"{' '.join(argv)}:\n{r.stdout[-3000:]}{r.stderr[-3000:]}"
    conf = bench.read_config(tree / "build" / "config.ninja")
    assert conf["mode"] == "release"
    elf = tree / "build" / "keel.elf"
    return bench.size_cell(conf["cross"], elf, tree / "build" / "Image", "release"), elf, conf


def test_size_0001_release_core_within_budget(release):
    row, _, _ = release
    over = [f"{name} {row['sections'].get(name)} bytes > {limit} (budget)"
            for name, limit in bench.SIZE_TARGETS.items()
            if row["sections"].get(name) is None or row["sections"][name] > limit]
    assert not over, ("release core over its size budget: " + "; ".join(over) +
                      ". Mark boot-only code __init and its tables __initconst "
                      "(docs/hacking.md), or find what grew with 'nm --size-sort'")
    assert row["image_bytes"] > row["sections"][".text"]


def test_size_0002_boot_only_tables_are_boot_only(release):
    row, elf, conf = release
    assert row["sections"].get(".init.text", 0) > 0
    assert row["sections"].get(".init.rodata", 0) > 0
    out = subprocess.run([conf["cross"] + "nm", "--defined-only", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    addr = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3:
            addr.setdefault(f[2], int(f[0], 16))
    begin, end = addr["__init_begin"], addr["__init_end"]
    tables = [n for n in addr if n.split(".")[0] in ("dt_err_str", "machine_sbi_exts",
                                                      "cmdline_params", "plic_compatibles")]
    assert len(tables) == 4, tables
    resident = [n for n in tables if not begin <= addr[n] < end]
    assert not resident, f"boot-only tables outside [__init_begin, __init_end): {resident}"

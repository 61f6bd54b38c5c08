"""
test_cpio_elf.py - run the initramfs reader's and the ELF checks' host tests.

One pytest test per archive, program or case, so a failure names it:
  cpio compare     archives GNU cpio wrote (newc, crc, "./" names) from the
                   trees tests/user-samples/mkcpio.sh staged: every entry
                   matches lstat/read/readlink of the tree, cpio_find finds it
  cpio mutations   byte-level damage to small-{newc,crc}.cpio, exact errors
  cpio synthetic   archives written by cpio_test (names, hard links,
                   concatenation, edge cases)
  elf readelf      cross-built programs: elf_parse() agrees field by field
                   with riscv64-unknown-elf-readelf -lhW
  elf refused      real programs Keel must refuse (lp64d, ld -N)
  elf mutations    byte-level damage to good programs, exact errors
  elf synthetic    programs written by elf_test (16/17 PT_LOADs, shared pages)
  from cpio        programs found in the initramfs parse in place
  regressions      fuzzer finds and seeds: no crash, promises hold

`ninja host-user-tests` builds everything under build/ (or $KEEL_BUILDDIR).
A missing binary or input is a failure, not a skip.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("KEEL_BUILDDIR", ROOT / "build"))
CPIO_TEST = BUILD / "host" / "cpio_test"
ELF_TEST = BUILD / "host" / "elf_test"
USER = BUILD / "user-samples"
FUZZ = ROOT / "tests" / "fuzz"
READELF = "riscv64-unknown-elf-readelf"

# (archive, the tree it was made from)
ARCHIVES = [("stage-newc", "stage"), ("stage-crc", "stage"), ("small-newc", "small"),
            ("small-crc", "small"), ("small-dotslash", "small")]
MUTATION_ARCHIVES = ["small-newc", "small-crc", "small-dotslash"]
GOOD_ELVES = ["hello", "hello-picolibc", "tiny"]
# (program, error, text its detail string must hold)
BAD_ELVES = [("float-lp64d", "ELF_ERR_ABI", "lp64 soft-float"),
             ("tiny-omagic", "ELF_ERR_WX", "writable and executable")]
IN_INITRAMFS = [("stage-newc", "/init"), ("stage-newc", "bin/tiny"),
                ("stage-crc", "./bin/hello-picolibc"), ("stage-crc", "//init")]

MISSING = "(not built)"


def need(path):
    if not path.exists():
        pytest.fail(f"{path} is missing: run `ninja host-user-tests` first", pytrace=False)
    return path


def run(binary, *args):
    need(binary)
    proc = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True,
                          timeout=300)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{binary.name} {' '.join(map(str, args))}:\n{report}"
    assert re.search(r"^1\.\.\d+$", proc.stdout, re.M), f"no TAP plan:\n{report}"
    assert "not ok" not in proc.stdout, report
    return proc.stdout


def list_cases(binary, kind):
    """Case names from the test binary itself; a placeholder that fails if unbuilt."""
    if not binary.exists():
        return [MISSING]
    out = subprocess.run([str(binary), "--list-cases"], capture_output=True, text=True,
                         check=True).stdout
    return [line.split(" ", 1)[1] for line in out.splitlines() if line.startswith(kind + " ")]


def inputs(kind):
    regs = [p for p in (FUZZ / "regressions" / kind).iterdir()
            if p.is_file() and p.name != "README"]
    return sorted(regs) + sorted((FUZZ / "corpus" / kind).glob("*.seed"))


# ---- cpio ----

@pytest.mark.parametrize("archive,tree", ARCHIVES, ids=[a for a, _ in ARCHIVES])
def test_cpio_matches_tree(archive, tree):
    run(CPIO_TEST, "--compare", need(USER / f"{archive}.cpio"), need(USER / tree))


@pytest.mark.parametrize("case", list_cases(CPIO_TEST, "mutation"))
@pytest.mark.parametrize("archive", MUTATION_ARCHIVES)
def test_cpio_mutation(archive, case):
    if case == MISSING:
        need(CPIO_TEST)
    run(CPIO_TEST, "--mutations", need(USER / f"{archive}.cpio"), case)


@pytest.mark.parametrize("case", list_cases(CPIO_TEST, "synthetic"))
def test_cpio_synthetic(case):
    if case == MISSING:
        need(CPIO_TEST)
    run(CPIO_TEST, "--synthetic", case)


@pytest.mark.parametrize("path", inputs("cpio"), ids=lambda p: p.name)
def test_cpio_fuzz_input(path):
    run(CPIO_TEST, "--any", path)


# ---- elf ----

def readelf(path):
    """Entry, flags and PT_LOADs as riscv64 readelf -lhW prints them."""
    out = subprocess.run([READELF, "-lhW", str(path)], capture_output=True, text=True,
                         check=True).stdout
    entry = int(re.search(r"Entry point address:\s+(0x[0-9a-f]+)", out).group(1), 16)
    loads = []
    for m in re.finditer(r"^\s+LOAD\s+(0x\S+)\s+(0x\S+)\s+0x\S+\s+(0x\S+)\s+(0x\S+)\s+"
                         r"([RWE ]{3})\s+0x\S+$", out, re.M):
        off, vaddr, filesz, memsz = (int(g, 16) for g in m.groups()[:4])
        if memsz:
            loads.append((off, vaddr, filesz, memsz, m.group(5)))
    return entry, loads, out


def page_down(a):
    return a & ~0xfff


def page_up(a):
    return page_down(a + 0xfff)


@pytest.mark.parametrize("prog", GOOD_ELVES)
def test_elf_matches_readelf(prog):
    path = need(USER / f"{prog}.elf")
    out = run(ELF_TEST, "--print", path)
    got = dict(line.split("=", 1) for line in out.splitlines()
               if "=" in line and not line.startswith(("ok", "#", "seg=")))
    segs = [line[4:].split(None, 4) for line in out.splitlines() if line.startswith("seg=")]
    entry, loads, text = readelf(path)
    assert int(got["entry"], 16) == entry, text
    assert int(got["nsegs"]) == len(loads), text
    for (off, vaddr, filesz, memsz, flg), seg in zip(loads, segs):
        assert [int(x, 16) for x in seg[:4]] == [off, vaddr, filesz, memsz], (seg, text)
        assert seg[4].ljust(3) == flg, (seg, flg)
    assert int(got["lo"], 16) == page_down(min(v for _, v, _, _, _ in loads))
    assert int(got["hi"], 16) == page_up(max(v + m for _, v, _, m, _ in loads))
    assert "soft-float ABI" in text


@pytest.mark.parametrize("prog,err,detail", BAD_ELVES, ids=[p for p, _, _ in BAD_ELVES])
def test_elf_refused(prog, err, detail):
    run(ELF_TEST, "--expect", err, need(USER / f"{prog}.elf"), detail)


@pytest.mark.parametrize("case", list_cases(ELF_TEST, "mutation"))
@pytest.mark.parametrize("prog", GOOD_ELVES)
def test_elf_mutation(prog, case):
    if case == MISSING:
        need(ELF_TEST)
    run(ELF_TEST, "--mutations", need(USER / f"{prog}.elf"), case)


@pytest.mark.parametrize("case", list_cases(ELF_TEST, "synthetic"))
def test_elf_synthetic(case):
    if case == MISSING:
        need(ELF_TEST)
    run(ELF_TEST, "--synthetic", case)


@pytest.mark.parametrize("archive,path", IN_INITRAMFS, ids=[f"{a}:{p}" for a, p in IN_INITRAMFS])
def test_elf_from_initramfs(archive, path):
    run(ELF_TEST, "--from-cpio", need(USER / f"{archive}.cpio"), path)


@pytest.mark.parametrize("path", inputs("elf"), ids=lambda p: p.name)
def test_elf_fuzz_input(path):
    run(ELF_TEST, "--any", path)


# ---- both: what core/ code may use ----

@pytest.mark.parametrize("unit", ["cpio", "elf"])
def test_freestanding_includes(unit):
    """core/exec/<unit>.c includes only what a freestanding kernel has."""
    src = (ROOT / "core" / "exec" / f"{unit}.c").read_text() + (ROOT / "core" / "exec" / f"{unit}.h").read_text()
    src += (ROOT / "include" / "keel" / "strtab.h").read_text()  # its error names
    includes = set(re.findall(r'^#include\s+([<"][^>"]+[>"])', src, re.M))
    assert includes <= {"<stdint.h>", "<stddef.h>", "<stdbool.h>", f'"{unit}.h"',
                        '"keel/strtab.h"'}, includes


@pytest.mark.parametrize("obj", [f"{u}_{cc}.o" for u in ("cpio", "elf")
                                 for cc in ("gcc", "clang", "rv")])
def test_object_calls_nothing(obj):
    """The -ffreestanding -O2 objects need no symbol from outside (no memcpy)."""
    out = subprocess.run(["nm", "-u", str(need(BUILD / "host" / obj))], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "", f"{obj} needs: {out}"

"""Device trees that QEMU and OpenSBI accept but Keel must refuse, given
with -dtb: each ends in `dt: bad device tree ...: <reason>` and a non-zero
exit. The trees are QEMU's own virt tree with one edit each, built into
build/test-dtb/ (corrupt structure is a host test: QEMU refuses it)."""

import os
import re
import subprocess

import pytest

import keel as K

SMP = 2
DTB_DIR = os.path.join(K.BUILD, "test-dtb")


def drop_memory(dts):
    """No memory node at all."""
    return re.sub(r"\n\tmemory@[0-9a-f]+ \{.*?\n\t\};\n", "\n", dts, flags=re.S)


def no_usable_hart(dts):
    """Every hart without an MMU Keel can use (OpenSBI does not care)."""
    return dts.replace('mmu-type = "riscv,sv48";', 'mmu-type = "riscv,none";')


def initrd_backwards(dts):
    """An initrd that ends before it starts."""
    return dts.replace("\tchosen {\n", "\tchosen {\n"
                       "\t\tlinux,initrd-start = <0x00 0x88000000>;\n"
                       "\t\tlinux,initrd-end = <0x00 0x87000000>;\n", 1)


def bootargs_without_nul(dts):
    """bootargs = "abc" minus its NUL (run without -append, which would
    make QEMU overwrite it)."""
    return dts.replace("\tchosen {\n", "\tchosen {\n\t\tbootargs = [61 62 63];\n", 1)


# name: (edit, proof the edit took, dt_strerror() text)
CASES = {
    "no-memory": (drop_memory, lambda t: 'device_type = "memory"' not in t,
                  "no memory node"),
    "no-usable-hart": (no_usable_hart,
                       lambda t: t.count('"riscv,none"') == SMP and "riscv,sv" not in t,
                       "no usable hart"),
    "initrd-backwards": (initrd_backwards, lambda t: "linux,initrd-end" in t,
                         "bad initrd range"),
    "bootargs-no-nul": (bootargs_without_nul, lambda t: t.count("bootargs") == 1 and
                        "bootargs = [61 62 63];" in t, "bootargs not NUL-terminated"),
}


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, "%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr)
    return p


@pytest.fixture(scope="session")
def bad_dtbs(conf):
    """{case: path of its .dtb}, from `qemu -M virt,dumpdtb=` through dtc."""
    os.makedirs(DTB_DIR, exist_ok=True)
    base = os.path.join(DTB_DIR, "virt.dtb")
    run([conf["qemu"], "-M", "virt,dumpdtb=" + base, "-smp", str(SMP), "-m", "256M",
         "-nographic"])
    dts = run([conf["dtc"], "-q", "-I", "dtb", "-O", "dts", base]).stdout
    out = {}
    for name, (edit, took, _) in CASES.items():
        text = edit(dts)
        assert took(text), "the %s edit did not apply to QEMU's tree %s" % (name, base)
        src = os.path.join(DTB_DIR, name + ".dts")
        with open(src, "w") as f:
            f.write(text)
        out[name] = os.path.join(DTB_DIR, name + ".dtb")
        run([conf["dtc"], "-q", "-I", "dts", "-O", "dtb", "-o", out[name], src])
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_bad_device_tree_is_refused_with_its_reason(keel, bad_dtbs, case):
    reason = CASES[case][2]
    k = keel(smp=SMP, dtb=bad_dtbs[case])
    panic = k.expect_line(r"\] Kernel panic - not syncing: (.*)$")
    status = k.wait_exit()

    # OpenSBI took the tree and handed over: the refusal is Keel's.
    assert k.opensbi_boot_hart() is not None, k.why("OpenSBI did not boot this tree")
    assert k.find(r"\] Keel version "), k.why("Keel never started")
    m = re.match(r"dt: bad device tree at 0x[0-9a-f]+: (.+?) \(offset 0x[0-9a-f]+(, node .*)?\)$",
                 panic.group(1))
    assert m, k.why("panic %r is not `dt: bad device tree ...`" % panic.group(1))
    assert m.group(1) == reason, k.why("refused for %r, expected %r" % (m.group(1), reason))
    assert not k.find(r"\] (cpu|mem|smp|pmem|core): "), k.why("boot went on past the DT")
    assert status not in (0, None), k.why("QEMU exit status %s, expected non-zero" % status)
    assert status == 1, k.why("QEMU exit status %s, expected 1 (test finisher)" % status)

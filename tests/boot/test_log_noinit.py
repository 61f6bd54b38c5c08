"""The log ring lives in .noinit: boot/entry.S does not clear it (512 KiB of
stores were 40% of a 1-hart bring-up's instructions). Its readers must only
ever look at what the core wrote. Here the firmware's memory is not zero:
QEMU's loader fills the whole ring with junk before the harts start, and
neither the console nor dmesg may show a byte of it."""

import os
import re
import subprocess

import keel as K
from test_servers import output, power_off, INITRAMFS

JUNK = 0xA5  # 'Â¥' as latin-1; U+FFFD once decoded as UTF-8
LINE = re.compile(r"^\[\s*\d+\.\d{6}\] [\x20-\x7e]+$")


def noinit_pa(conf):
    """(physical address, size) of keel.elf's .noinit where QEMU loads the Image."""
    out = subprocess.run([conf["cross"] + "objdump", "-h", os.path.join(K.BUILD, "keel.elf")],
                         capture_output=True, text=True, check=True).stdout
    start = noinit = None
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 4 and f[1] == ".text":
            start = int(f[3], 16)
        if len(f) >= 4 and f[1] == ".noinit":
            noinit = (int(f[3], 16), int(f[2], 16))
    assert start is not None and noinit, "keel.elf has no .text or .noinit:\n" + out
    return 0x80200000 + noinit[0] - start, noinit[1]


def test_log_ring_full_of_junk_before_boot_never_shows(keel, tmp_path):
    conf = K.config()
    pa, size = noinit_pa(conf)
    assert size >= 256 * 1024, "the log ring is no longer in .noinit (%d bytes)" % size
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes([JUNK]) * size)
    k = keel(smp=2, initrd=INITRAMFS,
             extra=["-device", "loader,file=%s,addr=0x%x,force-raw=on" % (junk, pa)])
    k.expect_line(r"^init: ready$", K.BOOT_TIMEOUT)
    k.expect_line(r"^Keel shell\.")
    log = output(k, "dmesg")
    assert any(re.search(r"\] Keel version ", l) for l in log), k.why("dmesg lacks the banner")
    bad = [l for l in log if not LINE.match(l)]
    assert not bad, k.why("dmesg lines that are not the core's: %r" % bad[:3])
    printed = [l for l in k.lines if l.startswith("[")]
    assert printed and all(LINE.match(l) for l in printed), \
        k.why("console lines with junk: %r" % [l for l in printed if not LINE.match(l)][:3])
    power_off(k)

"""The debugging workflow and the Image format.

- `ninja debug`'s recipe works: QEMU halted with a GDB stub, gdb-multiarch
  with build/keel.elf stops at core_main (a hardware breakpoint: the MMU is
  still off when the breakpoint is set) and shows Keel's symbols.
- build/Image carries a valid 64-byte RISC-V Linux Image header (what
  QEMU -kernel, OpenSBI fw_jump and U-Boot booti read)."""

import os
import struct
import subprocess

import keel as K

IMAGE = os.path.join(K.BUILD, "Image")
ELF = os.path.join(K.BUILD, "keel.elf")


def test_gdb_stops_at_core_main_with_symbols(conf):
    # gdb starts QEMU itself, its stub on a pipe: no port to wait for.
    qemu = " ".join([conf["qemu"], "-M virt -smp 2 -m 256M -nographic -no-reboot",
                     "-bios", conf["firmware"], "-kernel", IMAGE, "-S -gdb stdio",
                     "-monitor none -serial null -display none"])
    gdb = subprocess.run(
        ["gdb-multiarch", "-q", "-nx", "-batch", ELF,
         "-ex", "set architecture riscv:rv64",
         "-ex", "target remote | exec " + qemu,
         "-ex", "hbreak core_main",
         "-ex", "continue",
         "-ex", "info symbol $pc",
         "-ex", "print/x $a1",
         "-ex", "kill"],
        capture_output=True, text=True, timeout=60)
    out = gdb.stdout + gdb.stderr
    assert "Breakpoint 1, core_main" in out, "gdb did not stop at core_main:\n" + out
    # core_main() runs once: it is boot-only code (include/keel/init.h).
    assert "core_main in section .init.text" in out, "no symbol for $pc:\n" + out
    assert "$1 = 0x" in out, "no FDT address in a1:\n" + out


def test_image_header_is_a_riscv_linux_image():
    data = open(IMAGE, "rb").read()
    assert len(data) >= 64, "build/Image is shorter than its header"
    (code0, code1, text_offset, image_size, flags, version, res1, res2, magic, magic2,
     res3) = struct.unpack("<IIQQQIIQ8s4sI", data[:64])
    assert code0 & 0x7f == 0x6f, "code0 0x%08x is not a jal (j) instruction" % code0
    assert text_offset == 0x200000, "text_offset 0x%x, expected 2 MiB" % text_offset
    assert flags == 0, "flags 0x%x: not little-endian" % flags
    assert version == 2, "header version 0x%x, expected 0.2" % version
    assert magic == b"RISCV\0\0\0" and magic2 == b"RSC\x05", "bad magics %r %r" % (magic, magic2)
    nm = subprocess.run(["riscv64-unknown-elf-nm", ELF], capture_output=True, text=True,
                        check=True).stdout
    syms = {name: int(addr, 16) for addr, _, name in
            (line.split() for line in nm.splitlines() if len(line.split()) == 3)}
    assert image_size == syms["_end"] - syms["_start"], \
        "image_size 0x%x, but the kernel spans 0x%x" % (image_size, syms["_end"] - syms["_start"])
    assert len(data) <= image_size, "the file is larger than image_size says"
    # code0 jumps inside the image.
    imm = ((code0 >> 31) << 20) | (((code0 >> 12) & 0xff) << 12) | \
          (((code0 >> 20) & 1) << 11) | (((code0 >> 21) & 0x3ff) << 1)
    if imm & (1 << 20):
        imm -= 1 << 21
    assert 64 <= imm < len(data), "code0 jumps to offset %d" % imm

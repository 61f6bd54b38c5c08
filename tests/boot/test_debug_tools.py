"""The debugging tools: GDB helpers that know Keel's tasks
(tools/gdb/keel.py, which `ninja debug` loads) and tools/decode-trace,
which names the addresses of a panic's call trace.

The GDB test runs gdb-multiarch in batch mode against QEMU halted at
reset (its stub on a pipe, as in test_debug_image.py), stops in the
kernel on a system call of the shell only (keel-break), and checks what
keel-current, keel-ps, keel-harts, keel-dmesg and keel-symbols print."""

import os
import re
import subprocess

import keel as K

ELF = os.path.join(K.BUILD, "keel.elf")
GDB_HELPERS = os.path.join(K.ROOT, "tools", "gdb", "keel.py")
DECODE = os.path.join(K.ROOT, "tools", "decode-trace")
GDB_TIMEOUT = 120  # s: a boot to the shell under gdb, on a busy host


def test_gdb_helpers_show_tasks_harts_log_and_user_symbols(conf):
    qemu = " ".join([conf["qemu"], "-M virt -smp 2 -m 256M -nographic -no-reboot",
                     "-bios", conf["firmware"], "-kernel", os.path.join(K.BUILD, "Image"),
                     "-initrd", os.path.join(K.BUILD, "initramfs.cpio"),
                     "-S -gdb stdio -monitor none -serial null -display none"])
    gdb = subprocess.run(
        ["gdb-multiarch", "-q", "-nx", "-batch", ELF,
         "-ex", "set architecture riscv:rv64",
         "-ex", "source " + GDB_HELPERS,
         "-ex", "target remote | exec " + qemu,
         "-ex", "keel-break sh syscall_entry",
         "-ex", "continue",
         "-ex", "keel-current",
         "-ex", "keel-ps",
         "-ex", "keel-harts",
         "-ex", "keel-dmesg 40",
         "-ex", "keel-symbols",
         "-ex", "info symbol tf->sepc",
         "-ex", "kill"],
        capture_output=True, text=True, timeout=GDB_TIMEOUT)
    out = gdb.stdout + gdb.stderr
    assert "keel-break: breakpoint 1 at syscall_entry, only in task sh" in out, out
    cur = re.search(r"^hart (\d+) \(cpu \d+\):\s+(\d+)\s+\d+\s+\d+ R 0x[0-9a-f]+ (\S+)$", out, re.M)
    assert cur and cur.group(3) == "sh", "the breakpoint fired outside the shell:\n" + out
    sh_pid = cur.group(2)
    ps = re.findall(r"^\s*(\d+)\s+(\d+)\s+(\d+) ([RQSZ]) 0x[0-9a-f]{16} (\S+)$", out, re.M)
    names = {p[4] for p in ps}
    assert {"init", "kthreadd", "sh", "console", "swapper/0", "swapper/1"} <= names, \
        "keel-ps misses tasks:\n" + out
    assert (sh_pid, "sh") in {(p[0], p[4]) for p in ps}, "keel-ps disagrees on sh's pid:\n" + out
    harts = re.findall(r"^[* ]\s*(\d+)\s+(\d+) (online|offline|starting)\s+(-?\d+) (\S+)$",
                       out, re.M)
    assert len(harts) == 2 and all(h[2] == "online" for h in harts), "keel-harts:\n" + out
    assert re.search(r"^\*\s*\d+\s+%s online\s+%s sh$" % (cur.group(1), sh_pid), out, re.M), \
        "keel-harts does not mark the shell's hart:\n" + out
    assert re.search(r"^\[\s*\d+\.\d{6}\] Run /init as init process$", out, re.M), \
        "keel-dmesg:\n" + out
    assert "keel-symbols: %s (pid %s, sh)" % (os.path.join(K.BUILD, "user", "sh"), sh_pid) \
        in out, out
    assert re.search(r"in section \.text of .*/build/user/sh$", out, re.M), \
        "the shell's user pc did not resolve in its own symbols:\n" + out


def test_decode_trace_names_a_panics_call_trace(keel):
    k = keel(smp=1, append="selftest=crash-null")
    k.expect_line(r"Kernel panic - not syncing:")
    k.wait_exit()
    lines = [l for l in k.log.splitlines()]
    trace = [l for l in lines if re.search(r"trap:\s+#\d+ 0x", l)]
    assert len(trace) >= 3, k.why("no call trace in the panic report")
    out = subprocess.run([DECODE], input="\n".join(lines) + "\n", capture_output=True,
                         text=True, check=True).stdout
    assert re.search(r"trap:\s+#0 0x[0-9a-f]+\s+\[crash_null at core/test/selftest\.c:\d+\]",
                     out), out
    # The release core inlines kernel_init's callee: "[f at x.c:1 <- (inlined by) kernel_init at ...]".
    assert re.search(r"trap:\s+#\d+ 0x[0-9a-f]+\s+\[(.* \(inlined by\) )?kernel_init at core/main\.c:\d+\]",
                     out), out
    assert re.search(r"Kernel panic - not syncing: .*\[crash_null at core/test/selftest\.c:\d+\]",
                     out), out


def test_decode_trace_names_a_user_fault(keel):
    """A program's fault line is decoded against build/user/<name>."""
    from test_servers import boot, shell
    k = boot(keel, smp=1)
    line = shell(k, "/bin/fault", r"\] fault\[\d+\]: .* epc 0x[0-9a-f]+ on hart \d+; killed$")
    out = subprocess.run([DECODE], input=line.string + "\n", capture_output=True, text=True,
                         check=True).stdout
    assert re.search(r"killed\s+\[main at tests/user/fault\.c:\d+\]$", out.strip()), out

"""keel.py - GDB commands that know Keel's data structures.

`ninja debug` loads this file (tools/qemu-debug: `-x tools/gdb/keel.py`);
by hand: `source tools/gdb/keel.py` after loading build/keel.elf.

    keel-ps                  the tasks (task_first's list): pid, parent, cpu, state,
                             address space, name
    keel-harts               each cpu: hart id, state, the task it runs
    keel-dmesg [N]           the kernel log ring (log_ring), the last N lines
    keel-current             the hart gdb stopped on and the task it runs
    keel-symbols             load the symbols of that task's program
                             (build/user/<name>), so user addresses resolve
    keel-break TASK LOCATION a breakpoint that stops only while TASK (a pid
                             or a name) runs: a kernel function called by many
                             tasks, or an address every program uses (all are
                             linked at 0x10000, each in its own address space)

The hart gdb stopped on: QEMU's gdbstub makes each hart a thread, numbered
by its CPU index from 1; on QEMU virt the CPU index is the hart id.
"""

import os
import subprocess

import gdb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER_DIR = os.path.join(ROOT, "build", "user")

TASK_STATES = ["R", "Q", "S", "Z"]  # enum task_state (core/kernel/task.h)
CPU_STATES = ["offline", "starting", "online"]  # enum cpu_state (core/arch/cpu.h)
LOG_RAW = 0xFF  # core/lib/log.h: a task's console output, printed as is


_elf_symbols = {}


def elf_symbol(name):
    """The address of global or static @name in the kernel's ELF symbol table
    (a release build's -flto may rename it name.lto_priv.N), or None."""
    if not _elf_symbols:
        elf = gdb.objfiles()[0].filename
        for nm in ("riscv64-unknown-elf-nm", "nm"):
            try:
                out = subprocess.run([nm, elf], capture_output=True, text=True,
                                     check=True).stdout
                break
            except (OSError, subprocess.CalledProcessError):
                out = ""
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "bBdDrR":
                _elf_symbols.setdefault(f[2].split(".lto_priv")[0], int(f[0], 16))
    return _elf_symbols.get(name)


def value(name):
    """Kernel variable @name. A release build's -flto can leave a file's
    static without a location in the debug info ("optimized out"): it is
    then read at its address in the ELF symbol table, as its type says."""
    v = gdb.parse_and_eval(name)
    if v.is_optimized_out:
        addr = elf_symbol(name)
        if addr is None:
            raise gdb.GdbError("%s: optimized out, and not in the symbol table" % name)
        v = gdb.Value(addr).cast(v.type.pointer()).dereference()
    return v


def array_len(v):
    lo, hi = v.type.range()
    return hi - lo + 1


def cstring(chars, length=None):
    """A char array (or its first @length bytes) as text, up to its NUL."""
    n = array_len(chars) if length is None else int(length)
    out = bytearray()
    for i in range(n):
        b = int(chars[i]) & 0xFF
        if b == 0 and length is None:
            break
        out.append(b)
    return out.decode("utf-8", "replace")


def tasks():
    """Every task not yet freed to its cache, oldest first: gdb.Values of struct task
    (core/kernel/task.c's list, task_first .. all_next)."""
    out, t = [], value("task_first")
    while int(t):
        out.append(t.dereference())
        t = t["all_next"]
    return out


def cpus():
    """struct cpu values for cpus 0 .. smp_ncpus - 1."""
    arr = value("cpus")
    return [arr[i] for i in range(int(value("smp_ncpus")))]


def current_hartid():
    """The hart id of the hart gdb stopped on (see the file's header)."""
    thread = gdb.selected_thread()
    if thread is None:
        raise gdb.GdbError("no hart selected: is gdb attached to QEMU?")
    tid = thread.ptid[1] or thread.num
    return tid - 1


def current_cpu():
    """(struct cpu, struct task or None) of the hart gdb stopped on."""
    hartid = current_hartid()
    for c in cpus():
        if int(c["hartid"]) == hartid:
            cur = c["current"]
            return c, (cur.dereference() if int(cur) else None)
    raise gdb.GdbError("hart %d is not one of Keel's cpus" % hartid)


def task_line(t):
    state = int(t["state"])
    return "%5d %5d %4d %s 0x%016x %s" % (
        int(t["pid"]), int(t["ppid"]), int(t["cpu"]),
        TASK_STATES[state] if 0 <= state < len(TASK_STATES) else "?",
        int(t["as"]), cstring(t["name"]))


class KeelPs(gdb.Command):
    """The tasks: pid, parent, cpu, state (R running, Q ready, S blocked, Z dead),
address space (0 for kernel threads), name."""

    def __init__(self):
        super().__init__("keel-ps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        print("  PID  PPID  CPU S AS                 NAME")
        for t in tasks():
            print(task_line(t))


class KeelHarts(gdb.Command):
    """Each cpu: its index, hart id, state, and the task it runs; * marks the
hart gdb stopped on."""

    def __init__(self):
        super().__init__("keel-harts", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        try:
            here = current_hartid()
        except gdb.GdbError:
            here = -1
        print("  CPU  HART STATE     PID NAME")
        for c in cpus():
            state = int(c["state"])
            cur = c["current"]
            pid, name = (int(cur["pid"]), cstring(cur["name"])) if int(cur) else (-1, "-")
            print("%s%4d %5d %-8s %4d %s" % (
                "*" if int(c["hartid"]) == here else " ", int(c["id"]), int(c["hartid"]),
                CPU_STATES[state] if 0 <= state < len(CPU_STATES) else "?", pid, name))


class KeelDmesg(gdb.Command):
    """The kernel log ring, as dmesg prints it: keel-dmesg [N] for the last N lines."""

    def __init__(self):
        super().__init__("keel-dmesg", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        ring = value("log_ring")
        slots = array_len(ring)
        head = int(value("log_head"))
        timebase = int(value("log_timebase"))
        first = max(0, head - slots)
        if arg.strip():
            first = max(first, head - int(arg.strip()))
        for seq in range(first, head):
            r = ring[seq % slots]
            text = cstring(r["text"], r["len"])
            if int(r["level"]) == LOG_RAW:
                gdb.write(text if text.endswith("\n") else text + "\n")
                continue
            us = int(r["ticks"]) * 1000000 // timebase if timebase else 0
            gdb.write("[%5d.%06d] %s\n" % (us // 1000000, us % 1000000, text))


class KeelCurrent(gdb.Command):
    """The hart gdb stopped on, its cpu, and the task it runs."""

    def __init__(self):
        super().__init__("keel-current", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        c, t = current_cpu()
        print("hart %d (cpu %d): %s" % (int(c["hartid"]), int(c["id"]),
                                        task_line(t) if t is not None else "no task"))


def program_of(t):
    """The ELF of task @t's program in build/user/, or None (a kernel thread)."""
    if not int(t["as"]):
        return None
    name = cstring(t["name"])
    path = os.path.join(USER_DIR, name)
    return path if os.path.exists(path) else None


class KeelSymbols(gdb.Command):
    """Load the symbols of the program the current hart's task runs
(build/user/<name>); user addresses then resolve to its functions."""

    def __init__(self):
        super().__init__("keel-symbols", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        c, t = current_cpu()
        if t is None or not int(t["as"]):
            raise gdb.GdbError("hart %d runs a kernel thread: no user symbols"
                               % int(c["hartid"]))
        path = program_of(t)
        if path is None:
            raise gdb.GdbError("no build/user/%s for task %d" % (cstring(t["name"]),
                                                                 int(t["pid"])))
        # The programs are linked where they run (servers/lib/user.ld): no offset.
        gdb.execute("add-symbol-file %s" % path, to_string=True)
        print("keel-symbols: %s (pid %d, %s)" % (path, int(t["pid"]), cstring(t["name"])))


class TaskBreakpoint(gdb.Breakpoint):
    """Stops only while the task (pid or name) runs on the hart that hit it."""

    def __init__(self, spec, task):
        kind = getattr(gdb, "BP_HARDWARE_BREAKPOINT", gdb.BP_BREAKPOINT)
        super().__init__(spec, kind)
        self.keel_task = task

    def stop(self):
        try:
            _, t = current_cpu()
        except gdb.GdbError:
            return False
        if t is None:
            return False
        return str(int(t["pid"])) == self.keel_task or cstring(t["name"]) == self.keel_task


class KeelBreak(gdb.Command):
    """keel-break TASK LOCATION: break at LOCATION only while TASK (a pid or a
task name) runs there. A hardware breakpoint: it needs no write to the
program's memory, so it holds in every address space."""

    def __init__(self):
        super().__init__("keel-break", gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        words = arg.split(None, 1)
        if len(words) != 2:
            raise gdb.GdbError("usage: keel-break TASK LOCATION")
        bp = TaskBreakpoint(words[1], words[0])
        print("keel-break: breakpoint %d at %s, only in task %s" % (bp.number, words[1],
                                                                    words[0]))


for cmd in (KeelPs, KeelHarts, KeelDmesg, KeelCurrent, KeelSymbols, KeelBreak):
    cmd()

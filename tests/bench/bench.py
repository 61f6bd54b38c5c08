#!/usr/bin/python3
"""bench.py - 'ninja bench': how long Keel takes to boot, against the floor,
and what its basic operations cost.

The boot and smp tables, each for both TCG modes and several hart counts:

- boot: QEMU launch -> Keel's last core line ("core: bring-up
  done"), next to the floor payload (tests/bench/floor.S: OpenSBI, then
  one line). Keel's own figure ("in N us") and that line's "[s.us]" stamp
  (time CSR since reset) are recorded as well.
- smp: QEMU launch -> Keel's "smp: brought up N of N harts",
  next to the SMP floor (tests/bench/floor_smp.S: every hart started
  through HSM and checked in, then "floor: all N harts up"). Both must
  say every hart is up, or the boot counts as failed. Per-hart figures
  (time / harts) show whether a boot gets slower per hart as counts grow;
  the stamps of Keel's banner, first dt line, smp_init start and
  "brought up" line show where its time goes.

The ipc, spawn, ready, irq and size tables, in the modes each names:

- ipc: what tests/user/ipc_bench measures, run as init: a null
  system call, an IPC call + reply round trip, a notification signal +
  wait round trip. On one hart under -icount shift=0, where 1 ns of
  virtual time is one instruction, so the program's SYS_time_ns deltas
  count instructions (-icount shift=0 hangs SMP bring-up here); and under default TCG on 1 and 4 harts (--ipc-harts), and
  thread=single on those above 1, in time CSR ticks (the timebase Keel
  logs: 10 MHz on virt, 100 ns a tick). On 4
  harts the core places the tasks (Keel has no affinity call):
  ipc_bench prints the hart of each task of a pair before and after its
  loop, and the table lists what it saw.
- spawn: the same boots' keel_spawn of /bin/nop (which exits at
  once) until keel_wait returns, per spawn, in instructions and ticks.
- ready: QEMU launch -> init's "init: ready" with the normal
  initramfs and build/disk.img (as 'ninja run' boots, the disk under
  snapshot=on), at 1, 8 and 128 harts (--ready-harts): default TCG below
  32 harts; from 32, thread=single (default TCG is slow and noisy there,
  see below), at most 3 runs, and a 600 s timeout. Each run also boots,
  with the same QEMU arguments and disk, the floor payload
  (tests/bench/floor.S: QEMU and OpenSBI) and QEMU alone (-bios none,
  tests/bench/floor_bare.S: no firmware; the line is printed straight to
  the UART), so the table shows what of 'init: ready' is Keel's.

- irq: tests/user/irq_bench as init on one hart under
  -icount shift=0 -rtc clock=vm: instructions from QEMU virt's goldfish
  RTC raising its alarm interrupt to the user-level driver's
  notification wait returning (it reads the RTC at once).
- size: .text, .rodata, .data, .bss and .noinit (the log ring, never
  cleared) of build/keel.elf, its .init.text and .init.rodata (boot-only,
  freed once the harts are up: include/keel/init.h) and the size of
  build/Image, for the build configure made (release or debug).

ipc also pins the pair to two harts on 2+ harts (the _xhart ops) and
counts the IPIs per round trip. build/bench.svg (matplotlib) draws the
smp table against the floor and the ipc and irq figures next to seL4's.

Times are read on a monotonic clock as QEMU's output arrives. Floor and
Keel boots are interleaved (ABBA order) so that host noise hits both.

Read the default-TCG rows with care: there, harts that OpenSBI holds STOPPED
still take host CPU, so the boot hart slows with the hart count (a fixed loop
after the floor's line: 0.11 s at 1 hart, 1.7 s at 32, 14 s at 128; flat under
thread=single). The boot floor, which does no work after its line, hides that.

Prints the tables and writes a JSON file with every sample (layout: see the
comment above 'doc' in bench()). Exits 1 only when a boot fails: line
missing, timeout, QEMU exiting non-zero, or not every hart up; that boot's
output is saved under --logs.

    tests/bench/bench.py [--harts 1,8,32,128] [--smp-harts 1,8,32,64,128]
                         [--ipc-harts 1,4] [--ready-harts 1,8,128]
                         [--runs 5] [--quick] [--tables boot,smp,ipc,spawn,ready,size,irq]
                         [--modes default,single] [--out build/bench.json]

--modes applies to the boot and smp tables; ipc, spawn and ready pick
their modes as said above.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import keel as K  # noqa: E402  (its config reader)

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"

# mode name -> extra QEMU arguments. "default" is what QEMU picks for this
# guest on this host: multi-threaded TCG, one host thread per hart.
MODES = {
    "default": [],
    "single": ["-accel", "tcg,thread=single"],
}

FLOOR_LINE = b"floor: payload reached"
BARE_LINE = b"bare: QEMU reached the payload"
KEEL_LINE = b"core: bring-up done"
KEEL_RE = re.compile(
    rb"\[\s*(\d+)\.(\d+)\]\s*core: bring-up done in (\d+) us on hart (\d+)")
FLOOR_SMP_LINE = b"floor: all "
FLOOR_SMP_RE = re.compile(rb"floor: all (\d+) harts up")
KEEL_SMP_LINE = b"smp: brought up "
KEEL_SMP_RE = re.compile(
    rb"\[\s*(\d+)\.(\d+)\]\s*smp: brought up (\d+) of (\d+) harts in (\d+) us")
KEEL_BANNER_STAMP_RE = re.compile(rb"\[\s*(\d+)\.(\d+)\]\s*Keel version")
KEEL_DT_STAMP_RE = re.compile(rb"\[\s*(\d+)\.(\d+)\]\s*dt: ")
OPENSBI_BOOT_HART_RE = re.compile(rb"Boot HART ID\s*:\s*(\d+)")
OPENSBI_VERSION_RE = re.compile(rb"OpenSBI (v[0-9][0-9A-Za-z.\-]*)")
SBI_SPEC_RE = re.compile(rb"Runtime SBI Version\s*:\s*([0-9.]+)")
KEEL_BANNER_RE = re.compile(rb"Keel version [^\r\n]*")
IPC_LINE = b"ipc_bench: done"
IPC_RE = re.compile(rb"^ipc_bench: (\w+) (\d+) over (\d+)\r?$", re.M)
IPC_HARTS_RE = re.compile(
    rb"^ipc_bench: harts (\w+) client (-?\d+)->(-?\d+) (\w+) (-?\d+)->(-?\d+)\r?$", re.M)
TIMEBASE_RE = re.compile(rb"timebase (\d+) Hz")
# Keel's command line for ipc_bench's boots is --append plus this.
IPC_APPEND = "rdinit=/bin/ipc_bench"
IPC_ICOUNT = ["-icount", "shift=0"]
# ipc_bench's figures, by the table that shows them.
IPC_OPS = ("null_syscall", "ipc_call_reply", "notif_signal_wait",
           "ipc_call_reply_xhart", "notif_signal_wait_xhart")
# ipc_bench prints the _xhart ops (the pair pinned to two harts) only on 2+ harts.
IPC_OPTIONAL = ("ipc_call_reply_xhart", "notif_signal_wait_xhart")
IPIS_RE = re.compile(rb"^ipc_bench: ipis (\w+) (\d+) over (\d+)\r?$", re.M)
SPAWN_OPS = ("spawn_wait",)
READY_LINE = b"init: ready"
KEEL_RUN_INIT_RE = re.compile(rb"\[\s*(\d+)\.(\d+)\]\s*Run /\S* as init process")
# From this many harts the ready table boots under thread=single only, at
# most READY_BIG_RUNS times, with at least READY_BIG_TIMEOUT seconds.
READY_BIG = 32
READY_BIG_RUNS = 3
READY_BIG_TIMEOUT = 600.0
TAIL_LINES = 8


def read_config(path):
    """build/config.ninja, read as the QEMU tests read it (tests/boot/keel.py)."""
    try:
        return K.config(str(path))
    except OSError as e:
        sys.exit(f"bench: cannot read {path} ({e.strerror}); run ./configure first")


def parse_list(text, what):
    try:
        items = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        sys.exit(f"bench: --{what} {text!r}: expected numbers separated by commas")
    if not items or any(n < 1 for n in items):
        sys.exit(f"bench: --{what} {text!r}: expected positive numbers")
    return items


class BootFailure(Exception):
    def __init__(self, reason, output):
        super().__init__(reason)
        self.reason = reason
        self.output = output


def tail(output, n=TAIL_LINES):
    text = output.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
    return "\n".join(text.split("\n")[-n:]) if text.strip() else "(nothing)"


def boot(argv, marker, timeout, stop_at_line=False):
    """Runs QEMU once. Returns (seconds to the marker's line, seconds to
    exit, whole output); with @stop_at_line QEMU is killed as soon as the
    line is in, and the exit time is None. Raises BootFailure on a missing
    line, a timeout or a non-zero exit status."""
    out = bytearray()
    t_line = None
    scan = 0			# start of the first line not yet complete
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    fd = proc.stdout.fileno()
    deadline = t0 + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                where = ("after its line" if t_line is not None
                         else f"waiting for '{marker.decode()}'")
                raise BootFailure(f"timeout after {timeout:g} s {where}", bytes(out))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            now = time.monotonic()
            if not chunk:
                break			# EOF: QEMU has exited (or closed stdout)
            out += chunk
            if t_line is None:
                end = out.rfind(b"\n")
                if end >= scan:
                    if out.find(marker, scan, end) >= 0:
                        t_line = now - t0
                    scan = end + 1
            if t_line is not None and stop_at_line:
                return t_line, None, bytes(out)	# 'finally' kills QEMU
        left = max(deadline - time.monotonic(), 0.1)
        try:
            status = proc.wait(left)
        except subprocess.TimeoutExpired:
            raise BootFailure(f"timeout after {timeout:g} s: QEMU closed its output "
                              "but did not exit", bytes(out)) from None
        t_exit = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    if status != 0:
        why = f"signal {-status}" if status < 0 else f"status {status}"
        raise BootFailure(f"QEMU exited with {why}", bytes(out))
    if t_line is None:
        if out.find(marker) >= 0:	# the line without its newline at exit
            t_line = t_exit
        else:
            raise BootFailure(f"QEMU exited without printing '{marker.decode()}'",
                              bytes(out))
    return t_line, t_exit, bytes(out)


def summary(samples):
    return {"min": min(samples), "median": statistics.median(samples),
            "max": max(samples)} if samples else None


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def git_describe():
    try:
        r = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                           capture_output=True, text=True, timeout=10)
        return r.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def qemu_version(qemu):
    try:
        r = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=30)
        return r.stdout.splitlines()[0].strip() if r.stdout else None
    except (OSError, subprocess.SubprocessError):
        return None


def fmt_s(x):
    return "-" if x is None else f"{x:.3f}"


def fmt_ms(x):
    return "-" if x is None else f"{x:.1f}"


def stamp(m):
    """Seconds from the '[s.us]' stamp a match holds in groups 1 and 2."""
    secs, frac = m.group(1), m.group(2).decode()
    return int(secs) + int(frac) / 10 ** len(frac)


# Parsers: (whole output, hart count) -> extra samples for this boot, or
# BootFailure. Each value becomes a list under that kind's "samples".

def parse_floor(out, n):
    return {}


def parse_keel_done(out, n):
    m = KEEL_RE.search(out)
    if not m:
        raise BootFailure("cannot parse the 'core: bring-up done in N us on hart H' line", out)
    return {"in_kernel_us": int(m.group(3)), "stamp_s": stamp(m)}


def parse_floor_smp(out, n):
    m = FLOOR_SMP_RE.search(out)
    if not m:
        raise BootFailure("cannot parse the 'floor: all N harts up' line", out)
    up = int(m.group(1))
    if up != n:
        raise BootFailure(f"the floor brought up {up} of {n} harts", out)
    return {"harts_up": up}


def parse_keel_smp(out, n):
    m = KEEL_SMP_RE.search(out)
    if not m:
        raise BootFailure("cannot parse the 'smp: brought up N of M harts in U us' line", out)
    up, of, us = int(m.group(3)), int(m.group(4)), int(m.group(5))
    if up != n or of != n:
        raise BootFailure(f"Keel brought up {up} of {of} harts; expected {n} of {n}", out)
    b, d = KEEL_BANNER_STAMP_RE.search(out), KEEL_DT_STAMP_RE.search(out)
    if not b or not d:
        raise BootFailure("cannot find the stamps of Keel's banner and first 'dt:' line", out)
    t_up = stamp(m)
    return {"harts_up": up, "smp_us": us, "stamp_s": t_up,
            "stamp_banner_s": stamp(b), "stamp_dt_s": stamp(d),
            "stamp_smp_init_s": round(t_up - us / 1e6, 6)}


# table -> {kind: (payload key, marker line, parser, the parser's samples)};
# "floor" runs first.
TABLES = {
    "boot": {"floor": ("floor", FLOOR_LINE, parse_floor, ()),
             "keel": ("keel", KEEL_LINE, parse_keel_done, ("in_kernel_us", "stamp_s"))},
    "smp": {"floor": ("floor_smp", FLOOR_SMP_LINE, parse_floor_smp, ("harts_up",)),
            "keel": ("keel", KEEL_SMP_LINE, parse_keel_smp,
                     ("harts_up", "smp_us", "stamp_s", "stamp_banner_s", "stamp_dt_s",
                      "stamp_smp_init_s"))},
}
# Tables run by Run.ipc_bench_cells(), Run.ready_cell() and size_cell(), not by Run.cell().
OTHER_TABLES = ("ipc", "spawn", "ready", "size", "irq")
# The irq table: tests/user/irq_bench as init, QEMU virt's goldfish RTC
# (its alarm, in virtual time) as the device.
IRQ_LINE = b"irq_bench: done"
IRQ_RE = re.compile(rb"^irq_bench: (irq_to_user\w*) (\d+) over (\d+)\r?$", re.M)
IRQ_APPEND = "rdinit=/bin/irq_bench -- reg=0x101000,0x1000 irq=11"
IRQ_QEMU = ["-icount", "shift=0,sleep=off", "-rtc", "clock=vm"]
# seL4's interrupt latency on the HiFive Unleashed, cycles.
SEL4_IRQ = 798
# The core's sections the size table reports, and the size targets (release build).
SIZE_SECTIONS = (".text", ".rodata", ".data", ".bss", ".noinit", ".init.text", ".init.rodata")
SIZE_TARGETS = {".text": 48 * 1024, ".rodata": 12 * 1024}
# seL4's IPC round trip (call + reply_recv fastpath) on QEMU virt, in
# instructions, for the picture (docs/testing.md).
SEL4_IPC = 708
# Tables filled by the same boots of ipc_bench (Run.ipc_bench_cells()).
IPC_BENCH_TABLES = ("ipc", "spawn")
# Sample lists that are labels, not figures: no min/median/max for them.
NOT_SUMMED = ("boot_hart", "harts_up")
# Keel's boot in the smp table, stamp to stamp (names of the JSON "phases_s").
PHASES = (("firmware", None, "stamp_banner_s"),
          ("banner_to_dt", "stamp_banner_s", "stamp_dt_s"),
          ("dt_to_smp_init", "stamp_dt_s", "stamp_smp_init_s"),
          ("smp_init", "stamp_smp_init_s", "stamp_s"))


def print_table(results):
    head = (f"{'mode':<8}{'harts':>6}  {'floor min':>9} {'median':>8}  "
            f"{'keel min':>9} {'median':>8}  {'ratio':>6} {'k-f':>7}  "
            f"{'in-kernel us':>12} {'stamp s':>8}")
    print(head)
    print("-" * len(head))
    for r in results:
        f, k = r["floor"]["wall_s"], r["keel"]["wall_s"]
        ratio = f"{r['ratio_min']:.2f}" if r["ratio_min"] is not None else "-"
        delta = fmt_s(r["delta_min_s"])
        ik = r["keel"]["in_kernel_us"]
        st = r["keel"]["stamp_s"]
        print(f"{r['mode']:<8}{r['harts']:>6}  {fmt_s(f and f['min']):>9} "
              f"{fmt_s(f and f['median']):>8}  {fmt_s(k and k['min']):>9} "
              f"{fmt_s(k and k['median']):>8}  {ratio:>6} {delta:>7}  "
              f"{(str(int(ik['median'])) if ik else '-'):>12} {fmt_s(st and st['median']):>8}")
    print("(seconds from QEMU launch to the line; ratio and k-f use the minima; "
          "in-kernel and stamp are medians)")


def print_smp_table(results):
    head = (f"{'mode':<8}{'harts':>6}  {'floor min':>9} {'median':>8}  "
            f"{'keel min':>9} {'median':>8}  {'ratio':>6} {'k-f':>7}  "
            f"{'floor/h ms':>10} {'keel/h ms':>9} {'k-f/h ms':>8}  {'smp us':>8}")
    print(head)
    print("-" * len(head))
    for r in results:
        f, k = r["floor"]["wall_s"], r["keel"]["wall_s"]
        ph = r["per_hart_ms"]
        ratio = f"{r['ratio_min']:.2f}" if r["ratio_min"] is not None else "-"
        su = r["keel"]["smp_us"]
        print(f"{r['mode']:<8}{r['harts']:>6}  {fmt_s(f and f['min']):>9} "
              f"{fmt_s(f and f['median']):>8}  {fmt_s(k and k['min']):>9} "
              f"{fmt_s(k and k['median']):>8}  {ratio:>6} {fmt_s(r['delta_min_s']):>7}  "
              f"{fmt_ms(ph['floor']):>10} {fmt_ms(ph['keel']):>9} {fmt_ms(ph['excess']):>8}  "
              f"{(str(int(su['median'])) if su else '-'):>8}")
    print("(seconds from QEMU launch to 'floor: all N harts up' / 'smp: brought up N of N';\n"
          " ratio, k-f and the per-hart figures (min / harts) use the minima; smp us is\n"
          " Keel's own 'in N us' for smp_init, median)")
    print()
    head = (f"{'mode':<8}{'harts':>6}  {'firmware':>9} {'banner>dt':>9} "
            f"{'dt>smp_init':>11} {'smp_init':>9}  {'up stamp':>8}")
    print(head)
    print("-" * len(head))
    for r in results:
        p = r["phases_s"]
        st = r["keel"]["stamp_s"]
        print(f"{r['mode']:<8}{r['harts']:>6}  {fmt_s(p['firmware']):>9} "
              f"{fmt_s(p['banner_to_dt']):>9} {fmt_s(p['dt_to_smp_init']):>11} "
              f"{fmt_s(p['smp_init']):>9}  {fmt_s(st and st['median']):>8}")
    print("(Keel's boots, seconds between the [s.us] stamps, medians: reset -> banner,\n"
          " banner -> first 'dt:' line, that -> smp_init start (the 'brought up' stamp\n"
          " less its 'in N us'), smp_init -> 'brought up')")


def parse_ipc(out):
    """ipc_bench's lines: ({op: (ns per op, ops)}, {op: (partner name,
    [client before, after], [partner before, after])}, the timebase in Hz
    Keel logged or None). Every op of IPC_OPS and SPAWN_OPS must be there."""
    found = {m.group(1).decode(): (int(m.group(2)), int(m.group(3)))
             for m in IPC_RE.finditer(out)}
    missing = [op for op in (*IPC_OPS, *SPAWN_OPS) if op not in found and op not in IPC_OPTIONAL]
    if missing:
        raise BootFailure("no 'ipc_bench: <name> <ns per op> over <ops>' line for "
                          + ", ".join(missing), out)
    where = {m.group(1).decode(): (m.group(4).decode(),
                                   [int(m.group(2)), int(m.group(3))],
                                   [int(m.group(5)), int(m.group(6))])
             for m in IPC_HARTS_RE.finditer(out)}
    tb = TIMEBASE_RE.search(out)
    ipis = {m.group(1).decode(): int(m.group(2)) / max(int(m.group(3)), 1)
            for m in IPIS_RE.finditer(out)}
    return found, where, tb and int(tb.group(1)), ipis


def parse_ready(out, n):
    """The stamps of a boot to 'init: ready'; BootFailure unless every hart came up."""
    m = KEEL_SMP_RE.search(out)
    if not m:
        raise BootFailure("cannot parse the 'smp: brought up N of M harts in U us' line", out)
    up, of = int(m.group(3)), int(m.group(4))
    if up != n or of != n:
        raise BootFailure(f"Keel brought up {up} of {of} harts; expected {n} of {n}", out)
    done, run_init = KEEL_RE.search(out), KEEL_RUN_INIT_RE.search(out)
    if not done or not run_init:
        raise BootFailure("cannot find the stamps of 'core: bring-up done' and "
                          "'Run /init as init process'", out)
    return {"harts_up": up, "stamp_s": stamp(done), "stamp_run_init_s": stamp(run_init)}


def fmt_op(x, unit):
    if x is None:
        return "-"
    return str(int(x)) if unit == "instructions" else f"{x:.2f}"


UNIT_SHORT = {"instructions": "instr", "ticks": "ticks"}


def print_placement(results, ops):
    """Where ipc_bench's pairs ran, on more than one hart: each distinct
    placement (client and partner, hartid before->after the loop) and in
    how many runs it was seen."""
    lines = []
    for r in results:
        if r["harts"] < 2:
            continue
        for op in ops:
            seen = {}
            for p in r["placement"].get(op, []):
                text = (f"client {p['client'][0]}->{p['client'][1]} "
                        f"{p['partner']} {p['partner_harts'][0]}->{p['partner_harts'][1]}")
                seen[text] = seen.get(text, 0) + 1
            label = f"{r['mode']:<8}{r['harts']:>3}h  {op:<18}"
            for text, count in seen.items():
                lines.append(f"{label} {text}  {count} run{'s' if count > 1 else ''}")
                label = " " * len(label)
    if lines:
        print("where the pairs ran (hartids before->after the loop; the core places tasks):")
        for line in lines:
            print("  " + line)


def print_ipc_table(results):
    groups = "".join(f"  {r['mode'] + ' ' + str(r['harts']) + 'h ' + UNIT_SHORT[r['unit']]:>19}"
                     for r in results)
    head = f"{'operation':<24}" + "".join(f"  {'min':>9} {'median':>9}" for _ in results)
    print(f"{'':<24}" + groups)
    print(head)
    print("-" * len(head))
    for op in IPC_OPS:
        row = f"{op:<24}"
        for r in results:
            v = r.get(op)
            row += (f"  {fmt_op(v and v['min'], r['unit']):>9} "
                    f"{fmt_op(v and v['median'], r['unit']):>9}")
        print(row)
    print("(per operation: instructions under -icount shift=0 (1 ns of virtual time is one\n"
          " instruction), else time CSR ticks (10 MHz on virt: a tick is 100 ns) under\n"
          " default TCG or thread=single; null_syscall is getpid, ipc_call_reply a call\n"
          " and the server's reply_recv, notif_signal_wait a signal and the wait for the partner's answer;\n"
          " _xhart: the same with the pair pinned to two harts (SYS_hart_pin), 2+ harts only)")
    print()
    print(f"{'IPIs per op':<24}" + "".join(
        f"  {r['mode'] + ' ' + str(r['harts']) + 'h':>14}" for r in results))
    for op in IPC_OPS[1:]:
        row = f"{op:<24}"
        for r in results:
            v = r.get("ipis_per_op", {}).get(op)
            row += f"  {('-' if not v else format(v['median'], '.2f')):>14}"
        print(row)
    print("(IPIs the core sent per round trip, median: meminfo's ipis_sent counter)")
    print_placement(results, IPC_OPS)


def print_spawn_table(results):
    head = (f"{'mode':<8}{'harts':>6}  {'unit':<6} {'min':>11} {'median':>11} {'max':>11}  "
            f"{'median us':>9} {'spawns':>6}")
    print(head)
    print("-" * len(head))
    for r in results:
        v, unit = r.get("spawn_wait"), r["unit"]
        us = (f"{v['median'] / r['timebase_hz'] * 1e6:.0f}"
              if v and unit == "ticks" and r["timebase_hz"] else "-")
        ops = r["ops"].get("spawn_wait")
        print(f"{r['mode']:<8}{r['harts']:>6}  {UNIT_SHORT[unit]:<6} "
              f"{fmt_op(v and v['min'], unit):>11} {fmt_op(v and v['median'], unit):>11} "
              f"{fmt_op(v and v['max'], unit):>11}  {us:>9} "
              f"{(str(min(ops)) if ops else '-'):>6}")
    print("(per keel_spawn of /bin/nop, its exit and keel_wait returning; instructions under\n"
          " -icount shift=0, else time CSR ticks under default TCG; spawns: the fewest a\n"
          " boot's loop did)")


def print_ready_table(results):
    head = (f"{'mode':<8}{'harts':>6}  {'ready min':>9} {'median':>8} {'max':>8} {'runs':>5}  "
            f"{'floor':>7} {'QEMU':>7} {'k-f':>7}  {'core s':>8} {'/init s':>8}")
    print(head)
    print("-" * len(head))
    for r in results:
        k = r["keel"]
        w, st, ri = k["wall_s"], k["stamp_s"], k["stamp_run_init_s"]
        f, b = (r.get(kind, {}).get("wall_s") for kind in ("floor", "bare"))
        print(f"{r['mode']:<8}{r['harts']:>6}  {fmt_s(w and w['min']):>9} "
              f"{fmt_s(w and w['median']):>8} {fmt_s(w and w['max']):>8} "
              f"{len(k['samples']['wall_s']):>5}  {fmt_s(f and f['min']):>7} "
              f"{fmt_s(b and b['min']):>7} {fmt_s(r.get('keel_less_floor_s')):>7}  "
              f"{fmt_s(st and st['median']):>8} {fmt_s(ri and ri['median']):>8}")
    print("(seconds from QEMU launch to 'init: ready', normal initramfs and disk; floor:\n"
          " to tests/bench/floor.S's line (QEMU + OpenSBI), QEMU: to floor_bare.S's line\n"
          " under -bios none (QEMU alone), both with the same devices, minima; k-f: ready\n"
          " less floor, Keel's part; core s and /init s are the [s.us] stamps of 'core:\n"
          " bring-up done' and 'Run /init as init process', medians; runs: boots that\n"
          " got there)")


def size_cell(cross, elf, image, mode):
    """The size table's one row: the sections of @elf (the build's
    keel.elf) and the size of @image, for build @mode."""
    try:
        r = subprocess.run([f"{cross}size", "-A", str(elf)], capture_output=True, text=True,
                           timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as e:
        sys.exit(f"bench: {cross}size -A {elf}: {e}")
    sections = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] in SIZE_SECTIONS:
            sections[f[0]] = int(f[1])
    return {"mode": mode, "elf": str(elf), "image": str(image),
            "sections": sections, "image_bytes": image.stat().st_size,
            "targets": SIZE_TARGETS}


def print_irq_table(results):
    head = f"{'mode':<8}{'harts':>6}  {'median':>8} {'min':>8} {'max':>8} {'runs':>5}"
    print(head)
    print("-" * len(head))
    for r in results:
        s = r["samples"]
        med = statistics.median(s["irq_to_user"]) if s["irq_to_user"] else None
        lo = min(s["irq_to_user_min"]) if s["irq_to_user_min"] else None
        hi = max(s["irq_to_user_max"]) if s["irq_to_user_max"] else None
        print(f"{r['mode']:<8}{r['harts']:>6}  {fmt_op(med, 'instructions'):>8} "
              f"{fmt_op(lo, 'instructions'):>8} {fmt_op(hi, 'instructions'):>8} "
              f"{len(s['irq_to_user']):>5}")
    print(f"(instructions from the goldfish RTC's alarm raising its line to its user-level\n"
          f" driver reading the RTC after its notification wait returned: tests/user/irq_bench,\n"
          f" -icount shift=0,sleep=off -rtc clock=vm, 1 hart; each run's median of its rounds, then the\n"
          f" median of the runs; seL4: {SEL4_IRQ} cycles on the HiFive Unleashed)")


def print_size_table(results):
    head = (f"{'build':<8}" + "".join(f"{s:>{13 if s.startswith('.init') else 10}}"
                                      for s in SIZE_SECTIONS) + f"{'Image':>10}")
    print(head)
    print("-" * len(head))
    for r in results:
        print(f"{r['mode']:<8}"
              + "".join(f"{r['sections'].get(s, 0):>{13 if s.startswith('.init') else 10}}"
                        for s in SIZE_SECTIONS) + f"{r['image_bytes']:>10}")
    targets = ", ".join(f"{s} <= {v // 1024} KiB" for s, v in SIZE_TARGETS.items())
    print(f"(bytes; sections of build/keel.elf, .noinit the log ring boot does not clear,\n"
          f" .init.* boot-only and freed after bring-up, Image = build/Image; the targets\n"
          f" for the release build: {targets})")


def draw_svg(doc, path):
    """build/bench.svg: all-harts-up time against hart count (Keel and the
    SMP floor, both TCG modes) and the IPC figures next to seL4's. Skipped,
    with a line, without python3-matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: no matplotlib (Debian: python3-matplotlib); no picture drawn")
        return
    fig, (up, ipc) = plt.subplots(1, 2, figsize=(12, 4.5))
    for mode, style in (("default", "-"), ("single", "--")):
        rows = [r for r in doc["smp_results"] if r["mode"] == mode]
        for kind, marker in (("keel", "o"), ("floor", "s")):
            pts = [(r["harts"], r[kind]["wall_s"]["min"]) for r in rows
                   if r[kind]["wall_s"]]
            if pts:
                up.plot(*zip(*pts), style, marker=marker,
                        label=f"{'Keel' if kind == 'keel' else 'firmware floor'}, {mode} TCG")
    up.set_xscale("log", base=2)
    up.set_yscale("log")
    up.set_xlabel("harts")
    up.set_ylabel("QEMU launch -> all harts up, s (min)")
    up.set_title("all harts up")
    up.legend(fontsize=8)
    cells = [r for r in doc["ipc_results"] if r["unit"] == "instructions"]
    names, values = [], []
    if cells:
        for op in ("null_syscall", "ipc_call_reply", "notif_signal_wait"):
            v = cells[0].get(op)
            if v:
                names.append(op.replace("_", " "))
                values.append(v["median"])
    names.append("seL4 IPC\nround trip")
    values.append(SEL4_IPC)
    colors = ["C0"] * (len(values) - 1) + ["C3"]
    irq = [r["irq_to_user"] for r in doc.get("irq_results", []) if r.get("irq_to_user")]
    if irq:
        names += ["irq to user", "seL4 irq\n(cycles, HiFive)"]
        values += [irq[0]["median"], SEL4_IRQ]
        colors += ["C0", "C3"]
    bars = ipc.bar(names, values, color=colors)
    for b, v in zip(bars, values):
        ipc.annotate(f"{int(v)}", (b.get_x() + b.get_width() / 2, v), ha="center",
                     va="bottom", fontsize=8)
    ipc.set_ylabel("instructions (-icount shift=0, 1 hart)")
    ipc.set_title("Keel " + doc.get("build_mode", "") + " per operation, seL4 for scale")
    ipc.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"bench: drew {path}")


def on_sigterm(signum, frame):
    """SIGTERM (ninja interrupted) unwinds like ^C, so boot() kills its QEMU."""
    raise KeyboardInterrupt


def main():
    # The payloads are copied first: the tree may be rebuilt while this runs.
    with tempfile.TemporaryDirectory(prefix="keel-bench-") as tmp:
        return bench(Path(tmp))


class Run:
    """What every boot of one bench run shares, and what it finds out."""

    def __init__(self, base, payloads, originals, append, timeout, logdir):
        self.base, self.payloads, self.originals = base, payloads, originals
        self.append, self.timeout, self.logdir = append, timeout, logdir
        self.failures = []
        self.opensbi_version = self.sbi_spec = self.keel_banner = None

    def argv(self, n, mode, key, path):
        extra = ["-append", self.append] if key == "keel" and self.append else []
        return self.base + ["-smp", str(n)] + MODES[mode] + ["-kernel", str(path)] + extra

    def cell(self, table, mode, n, runs):
        """Boots each kind of @table @runs times at @n harts; returns the cell."""
        kinds = TABLES[table]
        cell = {"mode": mode, "harts": n,
                "qemu_args": self.argv(n, mode, "floor", "<payload>")[1:]}
        raw = {k: {name: [] for name in ("wall_s", "exit_s", "boot_hart") + fields}
               for k, (_, _, _, fields) in kinds.items()}
        for run in range(runs):
            order = list(kinds) if run % 2 == 0 else list(kinds)[::-1]
            for kind in order:
                key, marker, parse, _ = kinds[kind]
                argv = self.argv(n, mode, key, self.payloads[key])
                shown = [str(self.originals[key]) if a == str(self.payloads[key]) else a
                         for a in argv]		# for the log
                label = (f"{mode}-{n}h-{kind}-run{run + 1}" if table == "boot"
                         else f"{table}-{mode}-{n}h-{kind}-run{run + 1}")
                try:
                    t_line, t_exit, out = boot(argv, marker, self.timeout)
                    extra = parse(out, n)
                except BootFailure as e:
                    log = self.logdir / f"{label}.log"
                    log.write_bytes(b"$ " + " ".join(shown).encode() + b"\n" + e.output)
                    self.failures.append({"table": table, "mode": mode, "harts": n,
                                          "kind": kind, "run": run + 1, "reason": e.reason,
                                          "log": str(log), "last_output": tail(e.output)})
                    print(f"bench: {label}: {e.reason}; log in {log}; last printed:",
                          file=sys.stderr)
                    for line in tail(e.output).split("\n"):
                        print(f"    | {line}", file=sys.stderr)
                    continue
                r = raw[kind]
                r["wall_s"].append(round(t_line, 6))
                r["exit_s"].append(round(t_exit, 6))
                bh = OPENSBI_BOOT_HART_RE.search(out)
                r["boot_hart"].append(int(bh.group(1)) if bh else None)
                for name, value in extra.items():
                    r[name].append(value)
                self.note_versions(key, out)
        for kind in kinds:
            r = raw[kind]
            cell[kind] = {"samples": r, **{name: summary(v) for name, v in r.items()
                                           if name not in NOT_SUMMED}}
        f, k = cell["floor"]["wall_s"], cell["keel"]["wall_s"]
        cell["ratio_min"] = round(k["min"] / f["min"], 4) if f and k else None
        cell["delta_min_s"] = round(k["min"] - f["min"], 6) if f and k else None
        if table == "smp":
            cell["ratio_median"] = round(k["median"] / f["median"], 4) if f and k else None
            cell["per_hart_ms"] = {
                "floor": f and round(f["min"] / n * 1000, 3),
                "keel": k and round(k["min"] / n * 1000, 3),
                "excess": round((k["min"] - f["min"]) / n * 1000, 3) if f and k else None}
            s, phases = raw["keel"], {}
            for name, a, z in PHASES:
                diffs = [t - (s[a][i] if a else 0) for i, t in enumerate(s[z])]
                phases[name] = round(statistics.median(diffs), 6) if diffs else None
            cell["phases_s"] = phases
        print(f"bench: {table:<4} {mode:<7} {n:>4} harts: floor min {fmt_s(f and f['min'])} s, "
              f"keel min {fmt_s(k and k['min'])} s", flush=True)
        return cell

    def shown(self, argv):
        """@argv with the originals' paths for the copies' (for a log)."""
        out = []
        for a in argv:
            for key, path in self.payloads.items():
                a = a.replace(str(path), str(self.originals[key]))
            out.append(a)
        return out

    def failed(self, table, mode, n, run, label, argv, e, kind="keel"):
        """Records and reports boot @run (of payload @kind) of a cell that
        raised BootFailure @e."""
        log = self.logdir / f"{label}.log"
        log.write_bytes(b"$ " + " ".join(self.shown(argv)).encode() + b"\n" + e.output)
        self.failures.append({"table": table, "mode": mode, "harts": n, "kind": kind,
                              "run": run + 1, "reason": e.reason, "log": str(log),
                              "last_output": tail(e.output)})
        print(f"bench: {label}: {e.reason}; log in {log}; last printed:", file=sys.stderr)
        for line in tail(e.output).split("\n"):
            print(f"    | {line}", file=sys.stderr)

    def ipc_bench_cells(self, table, mode, n, runs):
        """Boots Keel @runs times at @n harts with ipc_bench as init, under
        -icount shift=0 (@mode "icount") or TCG mode @mode; returns its
        (ipc cell, spawn cell). @table names the failures."""
        append = f"{self.append} {IPC_APPEND}".strip()
        extra = IPC_ICOUNT if mode == "icount" else MODES[mode]
        argv = (self.base + ["-smp", str(n)] + extra +
                ["-kernel", str(self.payloads["keel"]),
                 "-initrd", str(self.payloads["initramfs"]), "-append", append])
        unit = "instructions" if mode == "icount" else "ticks"
        ns = {op: [] for op in (*IPC_OPS, *SPAWN_OPS)}
        ops = {op: [] for op in ns}
        placement, timebase, ipis = {}, None, {op: [] for op in IPC_OPS}
        for run in range(runs):
            label = f"{table}-{mode}-{n}h-run{run + 1}"
            try:
                _, _, out = boot(argv, IPC_LINE, self.timeout)
                found, where, hz, ipi = parse_ipc(out)
                if unit == "ticks" and not hz:
                    raise BootFailure("no 'timebase N Hz' in Keel's log", out)
            except BootFailure as e:
                self.failed(table, mode, n, run, label, argv, e)
                continue
            timebase = timebase or hz
            for op, per_op in ipi.items():
                if op in ipis:
                    ipis[op].append(round(per_op, 3))
            for op, (per_op, count) in found.items():
                if op in ns:
                    ns[op].append(per_op)
                    ops[op].append(count)
            for op, (partner, client, other) in where.items():
                placement.setdefault(op, []).append(
                    {"client": client, "partner": partner, "partner_harts": other})
            self.note_versions("keel", out)
        cells = []
        for names in (IPC_OPS, SPAWN_OPS):
            cell = {"mode": mode, "harts": n, "unit": unit, "timebase_hz": timebase,
                    "qemu_args": self.shown(argv)[1:], "samples": {},
                    "ns_per_op": {op: ns[op] for op in names},
                    "ops": {op: ops[op] for op in names},
                    "placement": {op: placement[op] for op in names if op in placement}}
            for op in names:
                if unit == "ticks":	# ns -> ticks, exact to 1 ns
                    values = [round(v * timebase / 1e9, 2) for v in ns[op]]
                else:
                    values = list(ns[op])
                cell["samples"][op] = values
                cell[op] = summary(values)
            cells.append(cell)
        cells[0]["ipis_per_op"] = {op: summary(v) for op, v in ipis.items()}
        print(f"bench: {table:<4} {mode:<7} {n:>4} harts: " + ", ".join(
            f"{op} {fmt_op(c[op] and c[op]['median'], unit)}"
            for c, names in zip(cells, (IPC_OPS, SPAWN_OPS)) for op in names), flush=True)
        return cells[0], cells[1]

    def ready_cell(self, n, runs):
        """Boots the normal initramfs and disk @runs times at @n harts (fewer,
        under thread=single, from READY_BIG harts), and each time the floor
        payload and QEMU alone with the same devices; returns the ready cell."""
        big = n >= READY_BIG
        mode = "single" if big else "default"
        runs = min(runs, READY_BIG_RUNS) if big else runs
        timeout = max(self.timeout, READY_BIG_TIMEOUT) if big else self.timeout
        # The disk as tools/qemu-args attaches it; snapshot=on: no boot sees another's writes.
        disk = ["-global", "virtio-mmio.force-legacy=false",
                "-drive", f"file={self.payloads['disk']},format=raw,if=none,id=disk,snapshot=on",
                "-device", "virtio-blk-device,drive=disk"]
        head = self.base + ["-smp", str(n)] + MODES[mode]
        bare = list(head)		# QEMU alone: the same machine, no firmware
        bare[bare.index("-bios") + 1] = "none"
        argv = {"keel": (head + ["-kernel", str(self.payloads["keel"]),
                                 "-initrd", str(self.payloads["initramfs"])] + disk +
                         (["-append", self.append] if self.append else [])),
                "floor": head + ["-kernel", str(self.payloads["floor"])] + disk,
                "bare": bare + ["-kernel", str(self.payloads["floor_bare"])] + disk}
        marker = {"keel": READY_LINE, "floor": FLOOR_LINE, "bare": BARE_LINE}
        fields = {"keel": ("wall_s", "boot_hart", "harts_up", "stamp_s", "stamp_run_init_s"),
                  "floor": ("wall_s",), "bare": ("wall_s",)}
        raw = {kind: {name: [] for name in names} for kind, names in fields.items()}
        for run in range(runs):
            for kind in (("keel", "floor", "bare") if run % 2 == 0 else ("bare", "floor", "keel")):
                label = (f"ready-{mode}-{n}h-run{run + 1}" if kind == "keel"
                         else f"ready-{mode}-{n}h-{kind}-run{run + 1}")
                try:
                    t_line, _, out = boot(argv[kind], marker[kind], timeout, stop_at_line=True)
                    extra = parse_ready(out, n) if kind == "keel" else {}
                except BootFailure as e:
                    self.failed("ready", mode, n, run, label, argv[kind], e, kind)
                    continue
                r = raw[kind]
                r["wall_s"].append(round(t_line, 6))
                if kind != "keel":
                    continue
                bh = OPENSBI_BOOT_HART_RE.search(out)
                r["boot_hart"].append(int(bh.group(1)) if bh else None)
                for name, value in extra.items():
                    r[name].append(value)
                self.note_versions("keel", out)
        cell = {"mode": mode, "harts": n, "runs": runs, "timeout_s": timeout,
                "qemu_args": self.shown(argv["keel"])[1:],
                "floor_qemu_args": self.shown(argv["floor"])[1:],
                "bare_qemu_args": self.shown(argv["bare"])[1:]}
        for kind, r in raw.items():
            cell[kind] = {"samples": r, **{name: summary(v) for name, v in r.items()
                                           if name not in NOT_SUMMED}}
        w, f, b = (cell[k]["wall_s"] for k in ("keel", "floor", "bare"))
        cell["keel_less_floor_s"] = round(w["min"] - f["min"], 6) if w and f else None
        print(f"bench: ready {mode:<7} {n:>4} harts: min {fmt_s(w and w['min'])} s, "
              f"median {fmt_s(w and w['median'])} s; floor {fmt_s(f and f['min'])} s, "
              f"QEMU alone {fmt_s(b and b['min'])} s", flush=True)
        return cell

    def irq_cell(self, runs):
        """Boots Keel @runs times on one hart with irq_bench as init; the irq table's row."""
        append = f"{self.append} {IRQ_APPEND}".strip()
        argv = (self.base + ["-smp", "1"] + IRQ_QEMU +
                ["-kernel", str(self.payloads["keel"]),
                 "-initrd", str(self.payloads["initramfs"]), "-append", append])
        raw = {"irq_to_user": [], "irq_to_user_min": [], "irq_to_user_max": []}
        for run in range(runs):
            label = f"irq-icount-1h-run{run + 1}"
            try:
                _, _, out = boot(argv, IRQ_LINE, self.timeout)
                found = {m.group(1).decode(): int(m.group(2)) for m in IRQ_RE.finditer(out)}
                if set(found) != set(raw):
                    raise BootFailure("no 'irq_bench: irq_to_user N over R' lines", out)
            except BootFailure as e:
                self.failed("irq", "icount", 1, run, label, argv, e)
                continue
            for name, v in found.items():
                raw[name].append(v)
        print(f"bench: irq  icount     1 harts: irq_to_user "
              f"{fmt_op(raw['irq_to_user'] and statistics.median(raw['irq_to_user']), 'instructions')}",
              flush=True)
        return {"mode": "icount", "harts": 1, "unit": "instructions",
                "qemu_args": self.shown(argv)[1:], "samples": raw,
                "irq_to_user": summary(raw["irq_to_user"]), "sel4_cycles": SEL4_IRQ}

    def note_versions(self, key, out):
        if key == "keel" and self.keel_banner is None:
            b = KEEL_BANNER_RE.search(out)
            self.keel_banner = b and b.group(0).decode("utf-8", "replace")
        if self.opensbi_version is None:
            v = OPENSBI_VERSION_RE.search(out)
            s = SBI_SPEC_RE.search(out)
            self.opensbi_version = v and v.group(1).decode()
            self.sbi_spec = s and s.group(1).decode()


def bench(tmp):
    ap = argparse.ArgumentParser(description="Keel boot time against the firmware floor, "
                                 "and what its basic operations cost")
    ap.add_argument("--harts", help="hart counts for the boot and smp tables "
                    "(default: 1,8,32,128 for boot, 1,8,32,64,128 for smp)")
    ap.add_argument("--smp-harts", help="hart counts for the smp table (default: --harts, "
                    "else 1,8,32,64,128)")
    ap.add_argument("--ipc-harts", default="1,4",
                    help="hart counts of the ipc and spawn tables' tick rows (default 1,4; "
                    "the instruction row is always 1 hart)")
    ap.add_argument("--ready-harts", default="1,8,128",
                    help="hart counts for the ready table (default 1,8,128)")
    ap.add_argument("--tables", default="boot,smp",
                    help="boot (the core's last line), smp (every "
                    "hart up), ipc (instructions and ticks per IPC operation), "
                    "spawn (per spawn + exit + wait), ready (QEMU "
                    "launch -> 'init: ready'); default boot,smp ('ninja bench' runs all)")
    ap.add_argument("--runs", type=int, default=5, help="boots of each kind per cell (default 5)")
    ap.add_argument("--modes", default="default,single",
                    help="TCG modes: default (multi-threaded), single (default: both)")
    ap.add_argument("--quick", action="store_true",
                    help="harts 1,8 (ipc: 1), 2 runs (a smoke test)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per boot (default 120)")
    ap.add_argument("--out", default=str(BUILD / "bench.json"), help="JSON output file")
    ap.add_argument("--logs", default=str(BUILD / "bench-logs"),
                    help="where a failed boot's output goes (default build/bench-logs)")
    ap.add_argument("--image", default=str(BUILD / "Image"), help="Keel image")
    ap.add_argument("--elf", default=str(BUILD / "keel.elf"),
                    help="the core's ELF, for the size table")
    ap.add_argument("--svg", default="",
                    help="draw the pictures there (needs matplotlib; 'ninja bench': "
                    "build/bench.svg); default none")
    ap.add_argument("--initramfs", default=str(BUILD / "initramfs.cpio"),
                    help="initramfs with /bin/ipc_bench and /bin/nop (ipc, spawn, ready)")
    ap.add_argument("--disk", default=str(BUILD / "disk.img"),
                    help="the ext2 disk the ready table's boots attach")
    ap.add_argument("--floor", default=str(BUILD / "bench" / "floor.bin"), help="floor payload")
    ap.add_argument("--floor-bare", default=str(BUILD / "bench" / "floor_bare.bin"),
                    help="payload for QEMU alone, -bios none (the ready table)")
    ap.add_argument("--floor-smp", default=str(BUILD / "bench" / "floor_smp.bin"),
                    help="SMP floor payload")
    # Under the default multi-threaded TCG at 64-128 harts the firmware
    # itself takes seconds to let each hart go: give bring-up room so the
    # figure is the time to all-up, not Keel's 1 s default giving up.
    ap.add_argument("--append", default="smp.timeout_ms=60000",
                    help="Keel's command line (QEMU -append)")
    ap.add_argument("--mem", default="256M", help="guest memory (default 256M)")
    args = ap.parse_args()

    if args.quick:
        args.harts, args.smp_harts, args.runs = "1,8", "1,8", 2
        args.ipc_harts, args.ready_harts = "1", "1,8"
    harts = parse_list(args.harts or "1,8,32,128", "harts")
    smp_harts = parse_list(args.smp_harts or args.harts or "1,8,32,64,128", "smp-harts")
    ipc_harts = parse_list(args.ipc_harts, "ipc-harts")
    ready_harts = parse_list(args.ready_harts, "ready-harts")
    if args.runs < 1:
        sys.exit("bench: --runs must be at least 1")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for m in modes:
        if m not in MODES:
            sys.exit(f"bench: unknown mode {m!r}: {', '.join(MODES)}")
    tables = [t.strip() for t in args.tables.split(",") if t.strip()]
    for t in tables:
        if t not in TABLES and t not in OTHER_TABLES:
            sys.exit(f"bench: unknown table {t!r}: {', '.join((*TABLES, *OTHER_TABLES))}")
    if not tables:
        sys.exit("bench: --tables: name at least one table")

    conf = read_config(BUILD / "config.ninja")
    qemu = conf.get("qemu", "qemu-system-riscv64")
    firmware = conf.get("firmware")
    if not firmware or not Path(firmware).is_file():
        sys.exit(f"bench: firmware {firmware!r} not found; run ./configure")
    wanted = {spec[0] for t in tables if t in TABLES for spec in TABLES[t].values()}
    if any(t in IPC_BENCH_TABLES for t in tables):
        wanted |= {"keel", "initramfs"}
    if "ready" in tables:
        wanted |= {"keel", "initramfs", "disk", "floor", "floor_bare"}
    if "size" in tables:
        wanted |= {"keel"}
    if "irq" in tables:
        wanted |= {"keel", "initramfs"}
    originals = {key: Path(path) for key, path in
                 (("floor", args.floor), ("floor_smp", args.floor_smp),
                  ("floor_bare", args.floor_bare), ("keel", args.image),
                  ("initramfs", args.initramfs), ("disk", args.disk))
                 if key in wanted}
    for path in originals.values():
        if not path.is_file():
            sys.exit(f"bench: {path} not found; run 'ninja {path.relative_to(ROOT)}'"
                     if path.is_relative_to(ROOT) else f"bench: {path} not found")
    payloads = {}
    for key, path in originals.items():
        payloads[key] = tmp / f"{key}.bin"
        shutil.copyfile(path, payloads[key])
    digests = {key: sha256(path) for key, path in payloads.items()}

    logdir = Path(args.logs)
    logdir.mkdir(parents=True, exist_ok=True)
    for old in logdir.glob("*.log"):	# logs of an earlier run would mislead
        old.unlink()

    signal.signal(signal.SIGTERM, on_sigterm)

    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    base = [qemu, "-M", "virt", "-m", args.mem, "-nographic", "-no-reboot", "-bios", firmware]
    run = Run(base, payloads, originals, args.append, args.timeout, logdir)
    counts = {"boot": harts, "smp": smp_harts}
    done = {t: [] for t in (*TABLES, *OTHER_TABLES)}
    t_start = time.monotonic()

    for table in tables:
        if table in IPC_BENCH_TABLES:
            if done["ipc"] or done["spawn"]:
                continue		# one set of ipc_bench boots fills both tables
            # Across harts also under thread=single, where waking a hart
            # that sleeps in wfi needs no host thread to be scheduled.
            for mode, n in ([("icount", 1)] + [("default", h) for h in ipc_harts] +
                            [("single", h) for h in ipc_harts if h > 1]):
                ipc, spawn = run.ipc_bench_cells(table, mode, n, args.runs)
                if "ipc" in tables:
                    done["ipc"].append(ipc)
                if "spawn" in tables:
                    done["spawn"].append(spawn)
            continue
        if table == "irq":
            done["irq"].append(run.irq_cell(min(args.runs, 3)))
            continue
        if table == "size":
            done["size"].append(size_cell(conf.get("cross", ""), Path(args.elf),
                                          originals["keel"], conf.get("mode", "?")))
            continue
        if table == "ready":
            for n in ready_harts:
                done["ready"].append(run.ready_cell(n, args.runs))
            continue
        for mode in modes:
            for n in counts[table]:
                done[table].append(run.cell(table, mode, n, args.runs))

    if "boot" in tables:
        print("\nboot: QEMU launch -> 'core: bring-up done', against the floor")
        print_table(done["boot"])
    if "smp" in tables:
        print("\nsmp: QEMU launch -> every hart up, against the SMP floor")
        print_smp_table(done["smp"])
    if "ipc" in tables:
        print("\nipc: instructions and ticks per operation (tests/user/ipc_bench)")
        print_ipc_table(done["ipc"])
    if "spawn" in tables:
        print("\nspawn: keel_spawn of /bin/nop until keel_wait returns (tests/user/ipc_bench)")
        print_spawn_table(done["spawn"])
    if "ready" in tables:
        print("\nready: QEMU launch -> 'init: ready'")
        print_ready_table(done["ready"])
    if "irq" in tables:
        print("\nirq: a device interrupt to its user-level driver (tests/user/irq_bench)")
        print_irq_table(done["irq"])
    if "size" in tables:
        print("\nsize: the core and the Image")
        print_size_table(done["size"])

    # The JSON: run metadata (date, host, QEMU, OpenSBI, payloads, params),
    # then "results" (the boot table) and "smp_results" (the smp table), one
    # entry per (mode, harts) in run order; a table not run is an empty list.
    # "results" entries:
    #   {"mode", "harts", "qemu_args",
    #    "floor": {"samples": {"wall_s": [...], "exit_s": [...], "boot_hart": [...]},
    #              "wall_s": {"min", "median", "max"}, "exit_s": {...}},
    #    "keel":  {"samples": {... as floor ..., "in_kernel_us": [...], "stamp_s": [...]},
    #              "wall_s", "exit_s", "in_kernel_us", "stamp_s": {"min", "median", "max"}},
    #    "ratio_min": keel wall min / floor wall min, "delta_min_s": their difference}
    # wall_s: QEMU launch -> the line; exit_s: QEMU launch -> QEMU exited;
    # boot_hart: OpenSBI's "Boot HART ID"; in_kernel_us: Keel's "bring-up done
    # in N us"; stamp_s: that line's [s.us] stamp.
    # "smp_results" entries: the same, with floor = floor_smp.bin (its samples
    # add "harts_up") and Keel timed to "smp: brought up"; keel's samples add
    # "harts_up", "smp_us" (the line's "in N us") and the [s.us] stamps
    # "stamp_s" (that line), "stamp_banner_s", "stamp_dt_s" (the first "dt:"
    # line) and "stamp_smp_init_s" (stamp_s less smp_us); the entry adds
    # "ratio_median", "per_hart_ms": {"floor", "keel", "excess"} (wall min /
    # harts, and (keel - floor) / harts, in ms) and "phases_s": {"firmware",
    # "banner_to_dt", "dt_to_smp_init", "smp_init"} (medians of the stamp
    # differences of Keel's boots, reset -> banner first).
    # "ipc_results": one entry per ipc_bench cell, in run order: mode "icount"
    # at 1 hart, then "default" at each --ipc-harts count:
    #   (then "single" at each --ipc-harts count above 1)
    #   {"mode", "harts", "unit": "instructions" (icount) or "ticks",
    #    "timebase_hz" (from Keel's log), "qemu_args",
    #    "samples": {op: [per op, one a boot]}, op: {"min", "median", "max"},
    #    "ns_per_op": {op: [...]} (what ipc_bench printed), "ops": {op: [...]}
    #    (how many ops each boot's loop did), "placement": {op: [{"client":
    #    [hartid before, after], "partner": "server" or "waiter",
    #    "partner_harts": [before, after]}, one a boot]}}
    # for op in "null_syscall", "ipc_call_reply", "notif_signal_wait" and, on
    # 2+ harts, "ipc_call_reply_xhart", "notif_signal_wait_xhart" (the pair
    # pinned to two harts); "ipis_per_op": {op: {"min", "median", "max"}}:
    # IPIs the core sent per round trip (meminfo's ipis_sent).
    # "spawn_results": the same cells (same boots) for op "spawn_wait".
    # "size_results": [{"mode" (the build's: release or debug), "elf", "image",
    #   "sections": {".text", ".rodata", ".data", ".bss": bytes}, "image_bytes",
    #   "targets": {".text", ".rodata": bytes}}]; "build_mode": config.ninja's mode.
    # "irq_results": [{"mode": "icount", "harts": 1, "unit": "instructions",
    #   "qemu_args", "samples": {"irq_to_user", "irq_to_user_min",
    #   "irq_to_user_max": [one a boot: the median, min and max of its rounds]},
    #   "irq_to_user": {"min", "median", "max"} of the boots' medians, "sel4_cycles"}]
    # "ready_results": one entry per --ready-harts count:
    #   {"mode", "harts", "runs", "timeout_s", "qemu_args", "floor_qemu_args",
    #    "bare_qemu_args",
    #    "keel": {"samples": {"wall_s", "boot_hart", "harts_up", "stamp_s",
    #             "stamp_run_init_s"}, "wall_s", "stamp_s", "stamp_run_init_s":
    #             {"min", "median", "max"}},
    #    "floor", "bare": {"samples": {"wall_s"}, "wall_s": {"min", "median", "max"}},
    #    "keel_less_floor_s": keel wall min - floor wall min}
    # wall_s: QEMU launch -> "init: ready" (keel), the floor's line (floor:
    # QEMU + OpenSBI) or floor_bare.S's (bare: QEMU alone, -bios none);
    # stamp_s, stamp_run_init_s: the [s.us] stamps of "core: bring-up done"
    # and "Run /init as init process".
    # A summary is null when every boot of that kind failed; "failures" lists
    # each failed boot ("table", "mode", "harts", "kind", "run", "reason",
    # "log", "last_output"). A boot whose floor or Keel line does not say
    # every hart is up is a failure.
    doc = {
        "schema": 3,
        "date": started.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - t_start, 3),
        "ok": not run.failures,
        "host": {"nproc": os.cpu_count(), "platform": platform.platform(),
                 "python": platform.python_version(),
                 "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "qemu": {"binary": qemu, "version": qemu_version(qemu)},
        "opensbi": {"firmware": firmware, "version": run.opensbi_version,
                    "sbi_spec": run.sbi_spec, "sha256": sha256(firmware)},
        "keel": {"image": str(originals["keel"]), "sha256": digests["keel"],
                 "banner": run.keel_banner, "git": git_describe(), "line": KEEL_LINE.decode(),
                 "smp_line": "smp: brought up N of N harts", "append": args.append},
        "floor": ({"payload": str(originals["floor"]), "sha256": digests["floor"],
                   "line": FLOOR_LINE.decode()} if "floor" in originals else None),
        "floor_bare": ({"payload": str(originals["floor_bare"]),
                        "sha256": digests["floor_bare"], "line": BARE_LINE.decode()}
                       if "floor_bare" in originals else None),
        "floor_smp": ({"payload": str(originals["floor_smp"]),
                       "sha256": digests["floor_smp"],
                       "line": "floor: all N harts up"}
                      if "floor_smp" in originals else None),
        "initramfs": ({"path": str(originals["initramfs"]), "sha256": digests["initramfs"]}
                      if "initramfs" in originals else None),
        "disk": ({"path": str(originals["disk"]), "sha256": digests["disk"]}
                 if "disk" in originals else None),
        "params": {"tables": tables, "harts": harts, "smp_harts": smp_harts,
                   "ipc_harts": ipc_harts, "ready_harts": ready_harts,
                   "modes": {m: MODES[m] for m in modes}, "runs": args.runs,
                   "timeout_s": args.timeout, "mem": args.mem, "order": "ABBA"},
        "results": done["boot"],
        "smp_results": done["smp"],
        "ipc_results": done["ipc"],
        "spawn_results": done["spawn"],
        "ready_results": done["ready"],
        "size_results": done["size"],
        "irq_results": done["irq"],
        "build_mode": conf.get("mode"),
        "failures": run.failures,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    tmp.replace(out)
    if args.svg:
        draw_svg(doc, Path(args.svg))
    print(f"bench: wrote {out} after {doc['duration_s']:.0f} s"
          + (f"; {len(run.failures)} boot(s) failed, logs in {logdir}" if run.failures else ""))
    return 1 if run.failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)

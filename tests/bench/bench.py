#!/usr/bin/python3
"""bench.py - 'ninja bench': how long Keel takes to boot, against the floor.

Two tables, each for both TCG modes and several hart counts:

- boot (issue 3): QEMU launch -> Keel's last core line ("core: bring-up
  done"), next to the floor payload (tests/bench/floor.S: OpenSBI, then
  one line). Keel's own figure ("in N us") and that line's "[s.us]" stamp
  (time CSR since reset) are recorded as well.
- smp (issue 4): QEMU launch -> Keel's "smp: brought up N of N harts",
  next to the SMP floor (tests/bench/floor_smp.S: every hart started
  through HSM and checked in, then "floor: all N harts up"). Both must
  say every hart is up, or the boot counts as failed. Per-hart figures
  (time / harts) show whether a boot gets slower per hart as counts grow;
  the stamps of Keel's banner, first dt line, smp_init start and
  "brought up" line show where its time goes.

- ipc (issue 5): instructions per operation of tests/user/ipc_bench (a
  null system call, an IPC call + reply round trip with the server on the
  same hart, a notification signal + wait round trip), run as init on one
  hart under -icount shift=0, where 1 ns of virtual time is one
  instruction, so the program's SYS_time_ns deltas count instructions.
  One hart only: -icount shift=0 hangs SMP bring-up here (DESIGN.md 8).

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
                         [--runs 5] [--quick] [--tables boot,smp,ipc]
                         [--modes default,single] [--out build/bench.json]
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
IPC_RE = re.compile(rb"^ipc_bench: (\w+) (\d+)\r?$", re.M)
# Keel's command line for the ipc table is --append plus this.
IPC_APPEND = "rdinit=/bin/ipc_bench"
IPC_QEMU = ["-smp", "1", "-icount", "shift=0"]
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


def boot(argv, marker, timeout):
    """Runs QEMU once. Returns (seconds to the marker's line, seconds to
    exit, whole output). Raises BootFailure on a missing line, a timeout
    or a non-zero exit status."""
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
# Tables run by Run.ipc_cell(), not by Run.cell().
OTHER_TABLES = ("ipc",)
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
    """{op name: instructions per op} from ipc_bench's lines."""
    found = {m.group(1).decode(): int(m.group(2)) for m in IPC_RE.finditer(out)}
    if not found:
        raise BootFailure("no 'ipc_bench: <name> <instructions>' lines", out)
    return found


def print_ipc_table(results):
    head = f"{'operation':<20} {'min':>8} {'median':>8} {'max':>8}"
    print(head)
    print("-" * len(head))
    for r in results:
        for name in r["samples"]:
            v = r[name]
            print(f"{name:<20} {v['min']:>8} {v['median']:>8} {v['max']:>8}")
    print("(instructions per operation, 1 hart, -icount shift=0: 1 ns of virtual time is one\n"
          " instruction; null_syscall is getpid, ipc_call_reply a call and the server's\n"
          " reply_recv, notif_signal_wait a signal and the wait for the partner's answer)")


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

    def ipc_cell(self, runs):
        """Boots Keel @runs times with ipc_bench as init; returns the ipc cell."""
        append = f"{self.append} {IPC_APPEND}".strip()
        argv = (self.base + IPC_QEMU + ["-kernel", str(self.payloads["keel"]),
                                        "-initrd", str(self.payloads["initramfs"]),
                                        "-append", append])
        cell = {"harts": 1, "qemu_args": argv[1:], "samples": {}}
        for run in range(runs):
            label = f"ipc-run{run + 1}"
            try:
                t_line, t_exit, out = boot(argv, IPC_LINE, self.timeout)
                found = parse_ipc(out)
            except BootFailure as e:
                log = self.logdir / f"{label}.log"
                log.write_bytes(b"$ " + " ".join(argv).encode() + b"\n" + e.output)
                self.failures.append({"table": "ipc", "mode": "icount", "harts": 1,
                                      "kind": "keel", "run": run + 1, "reason": e.reason,
                                      "log": str(log), "last_output": tail(e.output)})
                print(f"bench: {label}: {e.reason}; log in {log}", file=sys.stderr)
                continue
            for name, value in found.items():
                cell["samples"].setdefault(name, []).append(value)
            self.note_versions("keel", out)
        for name, values in cell["samples"].items():
            cell[name] = summary(values)
        print(f"bench: ipc  icount     1 harts: " + ", ".join(
            f"{n} {cell[n]['median']}" for n in cell["samples"]), flush=True)
        return cell

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
    ap = argparse.ArgumentParser(description="Keel boot time against the firmware floor")
    ap.add_argument("--harts", help="hart counts for both tables "
                    "(default: 1,8,32,128 for boot, 1,8,32,64,128 for smp)")
    ap.add_argument("--smp-harts", help="hart counts for the smp table (default: --harts, "
                    "else 1,8,32,64,128)")
    ap.add_argument("--tables", default="boot,smp",
                    help="boot (issue 3: the core's last line), smp (issue 4: every "
                    "hart up), ipc (issue 5: instructions per IPC operation); default "
                    "boot,smp ('ninja bench' runs all three)")
    ap.add_argument("--runs", type=int, default=5, help="boots of each kind per cell (default 5)")
    ap.add_argument("--modes", default="default,single",
                    help="TCG modes: default (multi-threaded), single (default: both)")
    ap.add_argument("--quick", action="store_true",
                    help="harts 1,8 and 2 runs, both tables (a smoke test)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per boot (default 120)")
    ap.add_argument("--out", default=str(BUILD / "bench.json"), help="JSON output file")
    ap.add_argument("--logs", default=str(BUILD / "bench-logs"),
                    help="where a failed boot's output goes (default build/bench-logs)")
    ap.add_argument("--image", default=str(BUILD / "Image"), help="Keel image")
    ap.add_argument("--initramfs", default=str(BUILD / "initramfs.cpio"),
                    help="initramfs with /bin/ipc_bench (the ipc table)")
    ap.add_argument("--floor", default=str(BUILD / "bench" / "floor.bin"), help="floor payload")
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
    harts = parse_list(args.harts or "1,8,32,128", "harts")
    smp_harts = parse_list(args.smp_harts or args.harts or "1,8,32,64,128", "smp-harts")
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
    if "ipc" in tables:
        wanted |= {"keel", "initramfs"}
    originals = {key: Path(path) for key, path in
                 (("floor", args.floor), ("floor_smp", args.floor_smp), ("keel", args.image),
                  ("initramfs", args.initramfs))
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
        if table == "ipc":
            done["ipc"].append(run.ipc_cell(args.runs))
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
        print("\nipc: instructions per operation (tests/user/ipc_bench)")
        print_ipc_table(done["ipc"])

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
    # "ipc_results": one entry, {"harts": 1, "qemu_args", "samples": {op: [...]},
    # op: {"min", "median", "max"}} for each op ipc_bench prints
    # ("null_syscall", "ipc_call_reply", "notif_signal_wait"): instructions
    # per operation, one sample per boot.
    # A summary is null when every boot of that kind failed; "failures" lists
    # each failed boot ("table", "mode", "harts", "kind", "run", "reason",
    # "log", "last_output"). A boot whose floor or Keel line does not say
    # every hart is up is a failure.
    doc = {
        "schema": 2,
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
        "floor_smp": ({"payload": str(originals["floor_smp"]),
                       "sha256": digests["floor_smp"],
                       "line": "floor: all N harts up"}
                      if "floor_smp" in originals else None),
        "params": {"tables": tables, "harts": harts, "smp_harts": smp_harts,
                   "modes": {m: MODES[m] for m in modes}, "runs": args.runs,
                   "timeout_s": args.timeout, "mem": args.mem, "order": "ABBA"},
        "results": done["boot"],
        "smp_results": done["smp"],
        "ipc_results": done["ipc"],
        "failures": run.failures,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    tmp.replace(out)
    print(f"bench: wrote {out}" + (f"; {len(run.failures)} boot(s) failed, logs in {logdir}"
                                   if run.failures else ""))
    return 1 if run.failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)

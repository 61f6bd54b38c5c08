#!/usr/bin/python3
"""bench.py - 'ninja bench': how long Keel takes to boot, against the floor.

For each TCG mode and hart count, boots QEMU virt with (a) the floor payload
(tests/bench/floor.S: OpenSBI, then one line) and (b) build/Image, and times
QEMU launch -> the payload's line on a monotonic clock, reading QEMU's output
as it arrives. Floor and Keel boots are interleaved (ABBA order) so that host
noise hits both. Keel's own figure ("core: bring-up done in N us", and the
"[s.us]" stamp of that line: time CSR since reset) is recorded as well.

Read the default-TCG rows with care: there, harts that OpenSBI holds STOPPED
still take host CPU, so the boot hart slows with the hart count (a fixed loop
after the floor's line: 0.11 s at 1 hart, 1.7 s at 32, 14 s at 128; flat under
thread=single). The floor, which does no work after its line, hides that.

Prints a table and writes a JSON file with every sample (layout: see the
comment above 'doc' in main()). Exits 1 only when a boot fails: line missing, timeout, or QEMU
exiting non-zero; that boot's output is saved under --logs.

    tests/bench/bench.py [--harts 1,8,32,128] [--runs 5] [--quick]
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
OPENSBI_BOOT_HART_RE = re.compile(rb"Boot HART ID\s*:\s*(\d+)")
OPENSBI_VERSION_RE = re.compile(rb"OpenSBI (v[0-9][0-9A-Za-z.\-]*)")
SBI_SPEC_RE = re.compile(rb"Runtime SBI Version\s*:\s*([0-9.]+)")
KEEL_BANNER_RE = re.compile(rb"Keel version [^\r\n]*")
TAIL_LINES = 8


def read_config(path):
    """build/config.ninja: 'key = value' lines written by ./configure."""
    conf = {}
    try:
        text = path.read_text()
    except OSError as e:
        sys.exit(f"bench: cannot read {path} ({e.strerror}); run ./configure first")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or " = " not in line:
            continue
        key, _, value = line.partition(" = ")
        conf[key.strip()] = value.strip()
    return conf


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


def on_sigterm(signum, frame):
    """SIGTERM (ninja interrupted) unwinds like ^C, so boot() kills its QEMU."""
    raise KeyboardInterrupt


def main():
    # The payloads are copied first: the tree may be rebuilt while this runs.
    with tempfile.TemporaryDirectory(prefix="keel-bench-") as tmp:
        return bench(Path(tmp))


def bench(tmp):
    ap = argparse.ArgumentParser(description="Keel boot time against the firmware floor")
    ap.add_argument("--harts", default="1,8,32,128", help="hart counts (default 1,8,32,128)")
    ap.add_argument("--runs", type=int, default=5, help="boots of each kind per cell (default 5)")
    ap.add_argument("--modes", default="default,single",
                    help="TCG modes: default (multi-threaded), single (default: both)")
    ap.add_argument("--quick", action="store_true", help="harts 1,8 and 2 runs (a smoke test)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per boot (default 120)")
    ap.add_argument("--out", default=str(BUILD / "bench.json"), help="JSON output file")
    ap.add_argument("--logs", default=str(BUILD / "bench-logs"),
                    help="where a failed boot's output goes (default build/bench-logs)")
    ap.add_argument("--image", default=str(BUILD / "Image"), help="Keel image")
    ap.add_argument("--floor", default=str(BUILD / "bench" / "floor.bin"), help="floor payload")
    ap.add_argument("--mem", default="256M", help="guest memory (default 256M)")
    args = ap.parse_args()

    if args.quick:
        args.harts, args.runs = "1,8", 2
    harts = parse_list(args.harts, "harts")
    if args.runs < 1:
        sys.exit("bench: --runs must be at least 1")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    for m in modes:
        if m not in MODES:
            sys.exit(f"bench: unknown mode {m!r}: {', '.join(MODES)}")

    conf = read_config(BUILD / "config.ninja")
    qemu = conf.get("qemu", "qemu-system-riscv64")
    firmware = conf.get("firmware")
    if not firmware or not Path(firmware).is_file():
        sys.exit(f"bench: firmware {firmware!r} not found; run ./configure")
    payloads = {"floor": (Path(args.floor), FLOOR_LINE), "keel": (Path(args.image), KEEL_LINE)}
    for kind, (path, _) in payloads.items():
        if not path.is_file():
            sys.exit(f"bench: {path} not found; run 'ninja {path.relative_to(ROOT)}'"
                     if path.is_relative_to(ROOT) else f"bench: {path} not found")

    originals = {kind: path for kind, (path, _) in payloads.items()}
    for kind, (path, marker) in list(payloads.items()):
        copy = tmp / f"{kind}.bin"
        shutil.copyfile(path, copy)
        payloads[kind] = (copy, marker)
    digests = {kind: sha256(path) for kind, (path, _) in payloads.items()}

    logdir = Path(args.logs)
    logdir.mkdir(parents=True, exist_ok=True)
    for old in logdir.glob("*.log"):	# logs of an earlier run would mislead
        old.unlink()

    signal.signal(signal.SIGTERM, on_sigterm)

    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    base = [qemu, "-M", "virt", "-m", args.mem, "-nographic", "-no-reboot", "-bios", firmware]
    opensbi_version = sbi_spec = keel_banner = None
    results, failures = [], []
    t_start = time.monotonic()

    for mode in modes:
        for n in harts:
            cell = {"mode": mode, "harts": n,
                    "qemu_args": base[1:] + ["-smp", str(n)] + MODES[mode] + ["-kernel", "<payload>"]}
            raw = {k: {"wall_s": [], "exit_s": [], "boot_hart": []} for k in payloads}
            raw["keel"].update(in_kernel_us=[], stamp_s=[])
            for run in range(args.runs):
                order = ("floor", "keel") if run % 2 == 0 else ("keel", "floor")
                for kind in order:
                    path, marker = payloads[kind]
                    argv = base + ["-smp", str(n)] + MODES[mode] + ["-kernel", str(path)]
                    shown = argv[:-1] + [str(originals[kind])]	# for the log
                    label = f"{mode}-{n}h-{kind}-run{run + 1}"
                    try:
                        t_line, t_exit, out = boot(argv, marker, args.timeout)
                        if kind == "keel":
                            m = KEEL_RE.search(out)
                            if not m:
                                raise BootFailure("cannot parse the 'core: bring-up done "
                                                  "in N us on hart H' line", out)
                    except BootFailure as e:
                        log = logdir / f"{label}.log"
                        log.write_bytes(b"$ " + " ".join(shown).encode() + b"\n" + e.output)
                        failures.append({"mode": mode, "harts": n, "kind": kind,
                                         "run": run + 1, "reason": e.reason, "log": str(log),
                                         "last_output": tail(e.output)})
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
                    if kind == "keel":
                        secs, frac = m.group(1), m.group(2).decode()
                        r["stamp_s"].append(int(secs) + int(frac) / 10 ** len(frac))
                        r["in_kernel_us"].append(int(m.group(3)))
                        if keel_banner is None:
                            b = KEEL_BANNER_RE.search(out)
                            keel_banner = b and b.group(0).decode("utf-8", "replace")
                    if opensbi_version is None:
                        v = OPENSBI_VERSION_RE.search(out)
                        s = SBI_SPEC_RE.search(out)
                        opensbi_version = v and v.group(1).decode()
                        sbi_spec = s and s.group(1).decode()
            for kind in payloads:
                r = raw[kind]
                r_sum = {"wall_s": summary(r["wall_s"]), "exit_s": summary(r["exit_s"])}
                if kind == "keel":
                    r_sum["in_kernel_us"] = summary(r["in_kernel_us"])
                    r_sum["stamp_s"] = summary(r["stamp_s"])
                cell[kind] = {"samples": r, **r_sum}
            f, k = cell["floor"]["wall_s"], cell["keel"]["wall_s"]
            cell["ratio_min"] = round(k["min"] / f["min"], 4) if f and k else None
            cell["delta_min_s"] = round(k["min"] - f["min"], 6) if f and k else None
            results.append(cell)
            fm = fmt_s(f and f["min"])
            km = fmt_s(k and k["min"])
            print(f"bench: {mode:<7} {n:>4} harts: floor min {fm} s, keel min {km} s",
                  flush=True)

    print()
    print_table(results)

    # The JSON: run metadata (date, host, QEMU, OpenSBI, Keel image, params),
    # then "results", one entry per (mode, harts) in run order:
    #   {"mode", "harts", "qemu_args",
    #    "floor": {"samples": {"wall_s": [...], "exit_s": [...], "boot_hart": [...]},
    #              "wall_s": {"min", "median", "max"}, "exit_s": {...}},
    #    "keel":  {"samples": {... as floor ..., "in_kernel_us": [...], "stamp_s": [...]},
    #              "wall_s", "exit_s", "in_kernel_us", "stamp_s": {"min", "median", "max"}},
    #    "ratio_min": keel wall min / floor wall min, "delta_min_s": their difference}
    # wall_s: QEMU launch -> the line; exit_s: QEMU launch -> QEMU exited;
    # boot_hart: OpenSBI's "Boot HART ID"; in_kernel_us: Keel's "bring-up done
    # in N us"; stamp_s: that line's [s.us] stamp. A summary is null when every
    # boot of that kind failed; "failures" lists each failed boot and its log.
    doc = {
        "schema": 1,
        "date": started.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - t_start, 3),
        "ok": not failures,
        "host": {"nproc": os.cpu_count(), "platform": platform.platform(),
                 "python": platform.python_version(),
                 "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "qemu": {"binary": qemu, "version": qemu_version(qemu)},
        "opensbi": {"firmware": firmware, "version": opensbi_version,
                    "sbi_spec": sbi_spec, "sha256": sha256(firmware)},
        "keel": {"image": str(originals["keel"]), "sha256": digests["keel"],
                 "banner": keel_banner, "git": git_describe(), "line": KEEL_LINE.decode()},
        "floor": {"payload": str(originals["floor"]), "sha256": digests["floor"],
                  "line": FLOOR_LINE.decode()},
        "params": {"harts": harts, "modes": {m: MODES[m] for m in modes}, "runs": args.runs,
                   "timeout_s": args.timeout, "mem": args.mem, "order": "ABBA"},
        "results": results,
        "failures": failures,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    tmp.replace(out)
    print(f"bench: wrote {out}" + (f"; {len(failures)} boot(s) failed, logs in {logdir}"
                                   if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)

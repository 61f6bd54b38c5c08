#!/usr/bin/env python3
"""stress.py - the hart-count stress matrix behind `ninja stress`.

Boots build/Image-test on QEMU with `selftest=smp` over a matrix of hart
counts, a multi-socket virt and sifive_u, each configuration --runs
times (STRESS_RUNS, default 3), plus `selftest=hotplug` rows. A boot
passes when it brings up every usable hart (`smp: brought up N of N`),
cpu 0 is OpenSBI's boot hart, every KTAP case is `ok`, the closing line
is `P passed, 0 failed` and QEMU exits 0.

Prints one table row per configuration, keeps the whole console log of
each failed boot in build/stress-logs/ (emptied at the start), writes
build/stress.json and exits 1 if any boot failed.

Accel modes (--accel): `mttcg` is QEMU's default multi-threaded TCG,
`single` is `-accel tcg,thread=single`, `auto` takes mttcg up to
MTTCG_MAX_HARTS harts and single above. Under mttcg many emulated harts
on a 2-core host are slow and erratic (128 harts: 15-20 s to boot, the
self-tests far longer) but the boot hart is OpenSBI's lottery; under
thread=single 128 harts boot in about a second and the boot hart is
always hart 0.

    ./configure && ninja && ninja stress
    STRESS_RUNS=1 ninja stress
    /usr/bin/python3 tests/stress/stress.py --harts 4,32 --runs 5 --accel single
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
import keel as K  # noqa: E402

DEFAULT_HARTS = [1, 2, 3, 4, 7, 8, 16, 31, 32, 64, 127, 128]
HOTPLUG_HARTS = [8, 32]
MTTCG_MAX_HARTS = 8  # auto: above this, -accel tcg,thread=single
LOG_DIR = os.path.join(K.BUILD, "stress-logs")
TAIL_LINES = 15  # of a timed-out boot, printed

# Per-boot timeout: generous, as 128 harts on 2 host cores are slow.
TIMEOUT_BASE_S = 60
TIMEOUT_PER_HART_S = 2

ACCEL_ARGS = {"mttcg": [], "single": ["-accel", "tcg,thread=single"]}

UP_RE = r"\] smp: brought up (\d+) of (\d+) harts in (\d+) us$"
NO_SUITE_RE = r"\] selftest: no suite matches "


class Config:
    """One row of the matrix: a QEMU machine, its -smp, a self-test suite."""

    def __init__(self, machine, smp, harts, usable, suite, accel):
        self.machine = machine
        self.smp = str(smp)  # QEMU's -smp argument
        self.harts = harts  # harts QEMU emulates
        self.usable = usable  # harts Keel must bring up
        self.suite = suite
        self.accel = accel
        self.label = "%s -smp %s%s" % (machine, self.smp,
                                       "" if suite == "smp" else " " + suite)
        self.slug = re.sub(r"[^\w]+", "-", "%s-%s-%s-%s" % (machine, self.smp, suite, accel))

    def timeout(self, scale):
        return scale * (TIMEOUT_BASE_S + TIMEOUT_PER_HART_S * self.harts)


def pick_accel(mode, harts):
    if mode != "auto":
        return mode
    return "mttcg" if harts <= MTTCG_MAX_HARTS else "single"


def matrix(args):
    """The configurations to boot, in order."""
    rows = []
    if not args.only_topologies:
        rows += [Config("virt", n, n, n, "smp", pick_accel(args.accel, n)) for n in args.harts]
    if not args.no_topologies:
        rows.append(Config("virt", "16,sockets=4", 16, 16, "smp", pick_accel(args.accel, 16)))
        # sifive_u: hart 0 is the E51 monitor core without an MMU, never started.
        rows.append(Config("sifive_u", 5, 5, 4, "smp", pick_accel(args.accel, 5)))
    if not args.only_topologies:
        rows += [Config("virt", n, n, n, "hotplug", pick_accel(args.accel, n))
                 for n in args.hotplug_harts]
    return rows


# ---- one boot ----

def boot(cfg, run, args, conf):
    """Boot @cfg once; a dict of what happened (ok, skipped, times, problems)."""
    res = {"run": run, "ok": False, "skipped": None, "status": None, "boot_hart": None,
           "all_up_s": None, "keel_up_us": None, "total_s": None, "problems": [], "log": None}
    timeout = cfg.timeout(args.timeout_scale)
    t0 = time.monotonic()
    k = K.Keel("%s-run%d" % (cfg.slug, run), machine=cfg.machine, smp=cfg.smp,
               append=" ".join(["selftest=" + cfg.suite] + args.append), kernel=args.image,
               extra=ACCEL_ARGS[cfg.accel], conf=conf, log_dir=args.log_dir)
    try:
        try:
            up = k.expect_line(UP_RE, timeout)
            res["all_up_s"] = round(time.monotonic() - t0, 3)
            res["keel_up_us"] = int(up.group(3))
            k.wait_exit(max(0.0, t0 + timeout - time.monotonic()))
        except AssertionError:
            pass  # an early exit or a timeout: judged from the log below
        res["total_s"] = round(time.monotonic() - t0, 3)
        res["status"] = k.status
        res["boot_hart"] = k.opensbi_boot_hart()
        judge(k, cfg, res, timeout)
        if not res["ok"] and not res["skipped"]:
            res["log"] = shown(k.save_log())
    finally:
        k.kill()
    return res


def judge(k, cfg, res, timeout):
    """Fill res["ok"], res["skipped"] and res["problems"] from @k's log."""
    timed_out = k.status is None
    if not timed_out and cfg.suite != "smp" and (k.find(r"\] 1\.\.0$") or k.find(NO_SUITE_RE)):
        res["skipped"] = "the kernel has no selftest=%s suite yet" % cfg.suite
        return
    problems = ["timed out after %g s" % timeout] if timed_out else []
    problems += k.bringup_problems(cfg.usable) + k.ktap_problems()
    if not timed_out and k.status != 0:
        problems.append("QEMU exit status %s, expected 0" % k.status)
    res["problems"] = problems
    res["ok"] = not problems
    res["cases"] = case_times(k)
    if timed_out:
        res["tail"] = k.log.splitlines()[-TAIL_LINES:]


def case_times(k):
    """{case ID: seconds} by Keel's stamps, from its `# ID:` line to its
    `ok`/`not ok` line (or to the last line, for a case that never ended)."""
    out, start = {}, None
    for line in k.keel_lines():
        m = K.STAMP_RE.match(line)
        if not m:
            continue
        t = int(m.group(1)) + int(m.group(2)) / 1e6
        case = re.search(r"\]     # ([A-Z]+_\d{4}): ", line)
        if case:
            start = (case.group(1), t)
        elif start and re.search(r"\] (ok|not ok) \d+ %s$" % start[0], line):
            out[start[0]] = round(t - start[1], 3)
            start = None
        last = t
    if start:
        out[start[0]] = round(last - start[1], 3)
    return out


# ---- the table ----

def ranges(nums):
    """[0, 1, 2, 5, 9, 10] -> "0-2,5,9-10"."""
    out, nums = [], sorted(set(nums))
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else "%d-%d" % (nums[i], nums[j]))
        i = j + 1
    return ",".join(out)


def summarize(cfg, runs):
    done = [r for r in runs if not r["skipped"]]
    ups = [r["all_up_s"] for r in done if r["all_up_s"] is not None]
    totals = [r["total_s"] for r in done if r["total_s"] is not None]
    return {
        "runs": len(done),
        "failures": sum(not r["ok"] for r in done),
        "boot_harts": sorted({r["boot_hart"] for r in done if r["boot_hart"] is not None}),
        # A boot that never reached all-up has no time: it counts as a failure.
        "all_up_max_s": max(ups) if ups else None,
        "total_max_s": max(totals) if totals else None,
        "skipped": next((r["skipped"] for r in runs if r["skipped"]), None),
    }


COLUMNS = [("config", "<"), ("accel", "<"), ("harts", ">"), ("runs", ">"),
           ("boot harts seen", "<"), ("all-up max", ">"), ("total max", ">"),
           ("failures", ">")]


def secs(v):
    return "-" if v is None else "%.2f s" % v


def table(rows):
    """rows: [(cfg, summary)] -> the table as text, then a note per skipped row."""
    cells, notes = [[c[0] for c in COLUMNS]], []
    for cfg, s in rows:
        if s["skipped"]:
            cells.append([cfg.label, cfg.accel, str(cfg.usable), "-", "-", "-", "-", "skipped"])
            notes.append("%s: skipped: %s" % (cfg.label, s["skipped"]))
            continue
        cells.append([cfg.label, cfg.accel, str(cfg.usable), str(s["runs"]),
                      ranges(s["boot_harts"]) or "-", secs(s["all_up_max_s"]),
                      secs(s["total_max_s"]), str(s["failures"])])
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(w) if align == "<" else cell.rjust(w)
                       for cell, w, (_, align) in zip(r, widths, COLUMNS)).rstrip()
             for r in cells]
    return "\n".join(lines + notes)


LEGEND = """\
harts: harts that must come up (sifive_u: its 4 U54s; hart 0, the E51, is never started).
all-up: QEMU launch -> `smp: brought up`, wall time; total: launch -> QEMU exit.
accel: mttcg = QEMU's default multi-threaded TCG; single = -accel tcg,thread=single.
  --accel auto (the default) takes single above %d harts: many harts on few host
  cores are slow and erratic under mttcg. Under single the boot hart is always 0.""" \
    % MTTCG_MAX_HARTS


# ---- the run ----

def qemu_version(conf):
    try:
        out = subprocess.run([conf["qemu"], "--version"], capture_output=True, text=True,
                             check=True).stdout
        return out.splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return None


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def git_head():
    try:
        return subprocess.run(["git", "-C", K.ROOT, "describe", "--always", "--dirty"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def shown(path):
    """@path relative to the tree when inside it, else absolute."""
    rel = os.path.relpath(path, K.ROOT)
    return path if rel.startswith("..") else rel


def hart_list(text):
    try:
        nums = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("not a comma-separated list of numbers: %r" % text)
    if any(n < 1 for n in nums):
        raise argparse.ArgumentTypeError("hart counts start at 1: %r" % text)
    return nums


def positive(text):
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError("not a positive number: %r" % text)
    return n


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Boot Keel with selftest=smp over a matrix of hart counts and topologies.")
    p.add_argument("--harts", type=hart_list, default=DEFAULT_HARTS,
                   help="virt hart counts, comma-separated (default %s)"
                   % ",".join(map(str, DEFAULT_HARTS)))
    p.add_argument("--runs", type=positive, default=os.environ.get("STRESS_RUNS", "3"),
                   help="boots per configuration (default $STRESS_RUNS, else 3)")
    p.add_argument("--accel", choices=["auto", "mttcg", "single"], default="auto",
                   help="TCG mode: auto = mttcg up to %d harts, thread=single above"
                   % MTTCG_MAX_HARTS)
    topo = p.add_mutually_exclusive_group()
    topo.add_argument("--only-topologies", action="store_true",
                      help="only the multi-socket virt and sifive_u rows")
    topo.add_argument("--no-topologies", action="store_true",
                      help="leave out the multi-socket virt and sifive_u rows")
    p.add_argument("--hotplug-harts", type=hart_list, default=HOTPLUG_HARTS,
                   help="virt hart counts for selftest=hotplug (default %s; '' for none)"
                   % ",".join(map(str, HOTPLUG_HARTS)))
    p.add_argument("--timeout-scale", type=float, default=1.0,
                   help="multiply each boot's timeout (%d s + %d s per hart)"
                   % (TIMEOUT_BASE_S, TIMEOUT_PER_HART_S))
    p.add_argument("--append", action="append", default=[], metavar="ARGS",
                   help="more kernel command line after selftest=... (repeatable)")
    p.add_argument("--image", default=os.path.join(K.BUILD, "Image-test"),
                   help="the kernel to boot (default build/Image-test, which has the self-tests)")
    p.add_argument("--log-dir", default=LOG_DIR,
                   help="where failed boots' logs go; emptied of *.log first "
                   "(default build/stress-logs)")
    p.add_argument("--out", default=os.path.join(K.BUILD, "stress.json"),
                   help="the JSON report (default build/stress.json)")
    args = p.parse_args(argv)
    if isinstance(args.runs, str):  # from the environment, unchecked by argparse
        try:
            args.runs = positive(args.runs)
        except argparse.ArgumentTypeError as e:
            p.error("STRESS_RUNS: %s" % e)
    return args


def clear_logs(log_dir):
    os.makedirs(log_dir, exist_ok=True)
    for name in os.listdir(log_dir):
        if name.endswith(".log"):
            os.unlink(os.path.join(log_dir, name))


def report_boot(i, total, cfg, res, runs):
    what = ("%s: %s" % ("ok" if res["ok"] else "FAILED", "; ".join(res["problems"]))
            if res["problems"] else "ok")
    if res.get("cases"):
        case = max(res["cases"], key=res["cases"].get)
        what += "; slowest case %s %.2f s" % (case, res["cases"][case])
    if res["skipped"]:
        what = "skipped: " + res["skipped"]
    print("[%*d/%d] %s (%s) run %d/%d: %s; boot hart %s, all up %s, total %s"
          % (len(str(total)), i, total, cfg.label, cfg.accel, res["run"], runs, what,
             "-" if res["boot_hart"] is None else res["boot_hart"], secs(res["all_up_s"]),
             secs(res["total_s"])), flush=True)
    if "tail" in res:
        print("    last lines:%s" % ("" if res["tail"] else " (no output)"), flush=True)
        for line in res["tail"]:
            print("    | " + line, flush=True)
    if res["log"]:
        print("    log: " + res["log"], flush=True)


def main(argv=None):
    args = parse_args(argv)
    conf_path = os.path.join(K.BUILD, "config.ninja")
    if not os.path.exists(conf_path):
        sys.exit("stress: %s missing: run ./configure" % conf_path)
    if not os.path.exists(args.image):
        sys.exit("stress: %s missing: run ninja" % args.image)
    conf = K.config(conf_path)
    args.image = os.path.abspath(args.image)
    clear_logs(args.log_dir)
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    git, image_sha = git_head(), sha256(args.image)
    rows = matrix(args)
    total = len(rows) * args.runs
    print("stress: %d configurations x %d runs, accel %s, %s%s"
          % (len(rows), args.runs, args.accel, shown(args.image),
             "".join(" " + a for a in args.append)), flush=True)

    t0 = time.monotonic()
    done, results = 0, []
    for cfg in rows:
        runs = []
        for run in range(1, args.runs + 1):
            res = boot(cfg, run, args, conf)
            runs.append(res)
            done += 1
            report_boot(done, total, cfg, res, args.runs)
            if res["skipped"]:
                done += args.runs - run  # the other runs would say the same
                break
        results.append((cfg, runs, summarize(cfg, runs)))
    wall = time.monotonic() - t0

    failures = sum(s["failures"] for _, _, s in results)
    print()
    print(table([(cfg, s) for cfg, _, s in results]))
    print()
    print(LEGEND)
    logs = [r["log"] for _, runs, _ in results for r in runs if r["log"]]
    print()
    print("stress: %d boots in %.0f s, %d failed%s"
          % (sum(s["runs"] for _, _, s in results), wall, failures,
             "; logs:\n  " + "\n  ".join(logs) if logs else ""))

    report = {
        "date": started,
        "git": git,  # of the tree when the run started; the Image may differ
        "image": args.image,
        "image_sha256": image_sha,
        "append": " ".join(args.append),
        "qemu": qemu_version(conf),
        "firmware": conf.get("firmware"),
        "accel": args.accel,
        "runs": args.runs,
        "wall_s": round(wall, 1),
        "failures": failures,
        "configs": [dict(label=cfg.label, machine=cfg.machine, smp=cfg.smp, harts=cfg.harts,
                         usable=cfg.usable, suite=cfg.suite, accel=cfg.accel,
                         timeout_s=cfg.timeout(args.timeout_scale), summary=s, boots=runs)
                    for cfg, runs, s in results],
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print("stress: wrote %s" % args.out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

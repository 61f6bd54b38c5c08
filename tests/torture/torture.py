#!/usr/bin/env python3
"""torture.py - `ninja torture`: kill servers at random while files are written.

Three parts, each with its own figures, all written to build/torture.json:

kills   Boots QEMU virt (-smp 4) with build/initramfs.cpio plus one more
        initcall, /bin/torture (tests/user/torture.c): it writes files to
        /mnt, syncs and reads them back for ever, and prints a `durable`
        line for each file that read back after a sync. Meanwhile this
        script kills a server picked at random (fs, virtio-blk, console,
        uart-8250, devmgr) at a random moment, through the shell, and
        checks the system comes back: init restarts the server, the shell
        answers, the client goes on. After --kills-per-boot kills it powers
        off, runs the host's `e2fsck -fn` on the image (it must be clean)
        and reads every durable file back with debugfs (each must be there,
        byte for byte, unless the client unlinked it). The same disk goes
        on to the next boot, until --kills kills in all.
fuzz    selftest=syscall-fuzz on build/Image-test, -smp 4, for --fuzz-minutes.
host    the libFuzzer harnesses (device tree, cpio, ELF, command line), each
        for --fuzz-runs executions (build them with `ninja fuzz-bins`).

    ninja torture                                  # the whole thing (about an hour)
    /usr/bin/python3 tests/torture/torture.py --kills 20 --kills-per-boot 10 \\
        --fuzz-minutes 0 --fuzz-runs 0             # a quick look

Exit status 1 when any check failed: a server that did not come back, a
shell that stopped answering, a synced file lost or changed, e2fsck not
clean, a panic, a fuzzer crash.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "boot"))
import keel as K  # noqa: E402

SERVERS = ["fs", "virtio-blk", "console", "uart-8250", "devmgr"]
PS_RE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(-?\d+)\s+([RQSZ])\s+(?:.*\s)?(\S+)\s*$")
DURABLE_RE = re.compile(r"torture: durable /mnt(/torture/\S+) (\d+) ([0-9a-f]{8})")
# "unlinking" comes before the unlink, "gone" after its sync: either may be gone on the disk.
GONE_RE = re.compile(r"torture: (?:gone|unlinking) /mnt(/torture/\S+)")
SEQ_RE = re.compile(r"^/torture/(b\d+_)f(\d+)$")
ROUND_RE = r"torture: round (\d+) ok"
PANIC_RES = [r"Kernel panic - not syncing", r"\] trap: .* \(scause 0x[0-9a-f]+\) on hart"]
COMEBACK_S = 60      # a killed server is back and the client goes on within this
RETYPE_S = 5         # a command not answered in this long is typed again
HOST_FUZZERS = ["dt", "cpio", "elf", "cmdline"]


def disk_args(path):
    return ["-global", "virtio-mmio.force-legacy=false",
            "-drive", "file=%s,format=raw,if=none,id=disk" % path,
            "-device", "virtio-blk-device,drive=disk"]


def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h


def torture_initramfs(tmp, boot):
    """build/initramfs.cpio with /bin/torture as a late initcall naming its files b<boot>_."""
    stage = os.path.join(tmp, "stage")
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(os.path.join(K.BUILD, "initramfs.d"), stage, symlinks=True)
    with open(os.path.join(stage, "etc", "initcalls"), "a") as f:
        f.write("late        torture       no          -             /bin/torture    b%d_\n" % boot)
    out = os.path.join(tmp, "initramfs-torture.cpio")
    names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=stage, check=True,
                           capture_output=True, text=True).stdout
    with open(out, "wb") as f:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=stage, check=True,
                       input=names.encode(), stdout=f)
    return out


def answered(k, command, marker, timeout):
    """Types @command until the line @marker comes back. Keys typed while the UART driver is
    dead or starting are lost (its FIFO is reset), as on a real machine: type them again."""
    deadline = time.monotonic() + timeout
    while True:
        k.send(command)
        try:
            k.expect_line("^" + re.escape(marker) + "$", min(RETYPE_S, deadline - time.monotonic()))
            return
        except AssertionError:
            if time.monotonic() >= deadline:
                raise


def ps(k):
    """{name: pid} of the live tasks, from the shell's ps."""
    marker = "--ps-%d--" % len(k.lines)
    start = len(k.lines)
    answered(k, "ps\recho %s\r" % marker, marker, 30)
    table = {}
    for line in k.lines[start:]:
        m = PS_RE.match(line.replace("# ", ""))
        if m and m.group(4) != "Z":
            table[m.group(5)] = int(m.group(1))
    return table


def rounds_since(k, start):
    return [int(m.group(1)) for line in k.lines[start:] for m in [re.search(ROUND_RE, line)] if m]


def wait_all(k, start, patterns, timeout=COMEBACK_S):
    """Each of @patterns matched a line after line @start, in any order."""
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in patterns if not any(re.search(p, l) for l in k.lines[start:])]
        if not left:
            return
        k.expect_line("|".join("(?:%s)" % p for p in left), max(0.1, deadline - time.monotonic()))


def wait_progress(k, start, why, timeout=COMEBACK_S):
    """The client finished a round after line @start, and the shell answers."""
    deadline = time.monotonic() + timeout
    while not rounds_since(k, start):
        k.expect_line(ROUND_RE, max(0.1, deadline - time.monotonic()))
    marker = "alive-%d" % len(k.lines)
    answered(k, "echo %s\r" % marker, marker, max(5.0, deadline - time.monotonic()))


def kill_one(k, rng, stats):
    """Kill a random server at a random moment; wait until the system goes on."""
    # The moment: after a random number of the client's lines, so the kill
    # lands while it writes, syncs or reads back (lines, not a sleep).
    for _ in range(rng.randrange(0, 4)):
        k.expect_line(r"torture: ", COMEBACK_S)
    name = rng.choice(SERVERS)
    pids = ps(k)
    # Killed again soon after a restart, init backs off (up to 3.2 s) before the next one.
    deadline = time.monotonic() + COMEBACK_S
    while name not in pids and time.monotonic() < deadline:
        # Until the client's next round: the system has moved on; look again.
        k.expect_line(ROUND_RE, max(0.1, deadline - time.monotonic()))
        pids = ps(k)
    if name not in pids:
        raise AssertionError("no %s in ps before the kill: %s" % (name, sorted(pids)))
    start = len(k.lines)
    k.send("kill %d\r" % pids[name])
    # The core's line and init's come in either order.
    wait_all(k, start, [r"\] kill: pid %d, asked by sh" % pids[name],
                        r"init: restarting %s\b" % re.escape(name)])
    wait_progress(k, start, "after killing %s" % name)
    stats["kills"] += 1
    stats["by_server"][name] = stats["by_server"].get(name, 0) + 1


def check_image(disk, durable, gone):
    """e2fsck -fn, then every durable file not gone, byte for byte. Problems, or []."""
    problems = []
    r = subprocess.run(["e2fsck", "-fn", disk], capture_output=True, text=True)
    if r.returncode != 0:
        problems.append("e2fsck -fn: exit %d: %s" % (r.returncode, r.stdout.strip()[-400:]))
    # The client unlinks its oldest file first: one unlinked says every older one of its boot
    # was too, even if a line about it was lost with a killed console or UART driver.
    newest_gone = {}
    for path in gone:
        m = SEQ_RE.match(path)
        if m:
            newest_gone[m.group(1)] = max(newest_gone.get(m.group(1), -1), int(m.group(2)))
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["debugfs", "-R", "rdump /torture %s" % out, disk],
                       capture_output=True, text=True)
        verified = 0
        for path, (size, digest) in sorted(durable.items()):
            m = SEQ_RE.match(path)
            if path in gone or (m and int(m.group(2)) <= newest_gone.get(m.group(1), -1)):
                continue
            local = os.path.join(out, path.lstrip("/"))
            if not os.path.exists(local):
                problems.append("%s: synced, now missing" % path)
                continue
            data = open(local, "rb").read()
            if len(data) != size or fnv1a(data) != digest:
                problems.append("%s: %d bytes, fnv 0x%08x; synced as %d, 0x%08x"
                                % (path, len(data), fnv1a(data), size, digest))
                continue
            verified += 1
    return problems, verified


def run_kills(args, rng, tmp):
    disk = os.path.join(tmp, "disk.img")
    shutil.copy(os.path.join(K.BUILD, "disk.img"), disk)
    stats = {"kills": 0, "by_server": {}, "boots": 0, "files_verified": 0,
             "durable_files": 0, "e2fsck": "not run", "problems": [], "panics": 0}
    durable, gone = {}, set()
    boot = 0
    while stats["kills"] < args.kills:
        boot += 1
        k = K.Keel("torture-%d" % boot, smp=args.smp, initrd=torture_initramfs(tmp, boot),
                   extra=disk_args(disk), log_dir=tmp)
        try:
            k.expect_line(r"^init: ready$", 60)
            wait_progress(k, 0, "at boot")
            for _ in range(min(args.kills_per_boot, args.kills - stats["kills"])):
                kill_one(k, rng, stats)
            start = len(k.lines)
            wait_progress(k, start, "before power off")
            k.send("poweroff\r")
            status = k.wait_exit(60)
            if status != 0:
                stats["problems"].append("boot %d: QEMU exit status %s" % (boot, status))
        except Exception as e:  # a timeout or a missing server: keep the log, stop
            stats["problems"].append("boot %d: %s: %s" % (boot, type(e).__name__, e))
            k.kill()
        finally:
            keep = os.path.join(K.BUILD, "torture-logs")
            os.makedirs(keep, exist_ok=True)
            with open(os.path.join(keep, "torture-%d.log" % boot), "w") as f:
                f.write("\n".join(k.lines + [k.partial]) + "\n")
        stats["boots"] = boot
        stats["panics"] += sum(1 for l in k.lines if any(re.search(p, l) for p in PANIC_RES))
        for line in k.lines:
            m = DURABLE_RE.search(line)
            if m:
                durable[m.group(1)] = (int(m.group(2)), int(m.group(3), 16))
            m = GONE_RE.search(line)
            if m:
                gone.add(m.group(1))
        if any(re.search(r"torture: MISMATCH", l) for l in k.lines):
            stats["problems"].append("boot %d: the client read a synced file back wrong" % boot)
        problems, verified = check_image(disk, durable, gone)
        stats["problems"] += ["boot %d: %s" % (boot, p) for p in problems]
        stats["e2fsck"] = "clean" if not any("e2fsck" in p for p in problems) else "NOT clean"
        stats["files_verified"] = verified
        stats["durable_files"] = len(durable)
        print("torture: boot %d: %d kills so far, %d durable files, %d verified, e2fsck %s%s"
              % (boot, stats["kills"], len(durable), verified, stats["e2fsck"],
                 "; " + "; ".join(problems[:3]) if problems else ""), flush=True)
        if stats["problems"]:
            break
    return stats


def run_fuzz(args):
    ms = int(args.fuzz_minutes * 60000)
    res = {"minutes": args.fuzz_minutes, "calls": 0, "panics": 0, "result": "not run"}
    if ms <= 0:
        return res
    k = K.Keel("torture-fuzz", smp=4, initrd=os.path.join(K.BUILD, "initramfs.cpio"),
               append="selftest=syscall-fuzz syscall-fuzz.ms=%d" % ms, log_dir=K.BUILD)
    try:
        m = k.expect_line(r"^(ok|not ok) 1 syscall-fuzz", ms / 1000 + 60)
        res["result"] = m.group(1)
        k.wait_exit(60)
    except Exception as e:
        res["result"] = "%s: %s" % (type(e).__name__, e)
        k.kill()
    s = k.find(r"^# syscall-fuzz: (\d+) calls by (\d+) tasks")
    res["calls"] = int(s.group(1)) if s else 0
    res["panics"] = sum(1 for l in k.lines if any(re.search(p, l) for p in PANIC_RES))
    res["status"] = k.status
    return res


def run_host(args):
    res = {}
    for name in HOST_FUZZERS:
        binary = os.path.join(K.BUILD, "host", name + "_fuzz")
        if args.fuzz_runs <= 0 or not os.path.exists(binary):
            res[name] = {"executions": 0, "crashes": 0,
                         "result": "not run" if args.fuzz_runs <= 0 else "no " + binary}
            continue
        corpus = os.path.join(K.BUILD, "fuzz", "torture-corpus", name)
        os.makedirs(corpus, exist_ok=True)
        for seed in os.listdir(os.path.join("tests", "fuzz", "corpus", name)):
            shutil.copy(os.path.join("tests", "fuzz", "corpus", name, seed), corpus)
        cmd = [binary, "-runs=%d" % args.fuzz_runs, "-print_final_stats=1",
               "-dict=tests/fuzz/%s.dict" % name,
               "-artifact_prefix=%s/fuzz/torture-%s-" % (K.BUILD, name), corpus]
        r = subprocess.run(cmd, capture_output=True, text=True)
        execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", r.stderr)
        cov = re.findall(r"cov: (\d+)", r.stderr)
        res[name] = {"executions": int(execs.group(1)) if execs else 0,
                     "coverage": int(cov[-1]) if cov else 0,
                     "crashes": 0 if r.returncode == 0 else 1,
                     "result": "ok" if r.returncode == 0 else "exit %d" % r.returncode}
        print("torture: fuzz %s: %s executions, cov %s, %s" % (
            name, res[name]["executions"], res[name]["coverage"], res[name]["result"]), flush=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=int(os.environ.get("TORTURE_KILLS", 1000)))
    ap.add_argument("--kills-per-boot", type=int, default=100)
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--fuzz-minutes", type=float,
                    default=float(os.environ.get("TORTURE_FUZZ_MINUTES", 10)))
    ap.add_argument("--fuzz-runs", type=int, default=int(os.environ.get("TORTURE_FUZZ_RUNS",
                                                                      10 ** 7)))
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--out", default=os.path.join(K.BUILD, "torture.json"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print("torture: seed %d, %d kills (%d per boot), syscall fuzz %.1f min, host fuzzers %d runs"
          % (args.seed, args.kills, args.kills_per_boot, args.fuzz_minutes, args.fuzz_runs),
          flush=True)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        kills = run_kills(args, rng, tmp) if args.kills > 0 else {"kills": 0, "problems": []}
    fuzz = run_fuzz(args)
    host = run_host(args)
    report = {"seed": args.seed, "seconds": round(time.monotonic() - t0), "kills": kills,
              "syscall_fuzz": fuzz, "host_fuzzers": host}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    failed = bool(kills["problems"]) or kills.get("panics", 0) or fuzz["panics"] or \
        fuzz["result"] not in ("ok", "not run") or any(h["crashes"] for h in host.values())
    print("torture: %d kills survived over %d boots (%s); %d synced files verified; e2fsck %s"
          % (kills["kills"], kills.get("boots", 0),
             ", ".join("%s %d" % kv for kv in sorted(kills.get("by_server", {}).items())),
             kills.get("files_verified", 0), kills.get("e2fsck", "not run")))
    print("torture: syscall fuzz %.1f min on -smp 4: %d calls, %s; host fuzzers: %s"
          % (fuzz["minutes"], fuzz["calls"], fuzz["result"],
             ", ".join("%s %d" % (n, h["executions"]) for n, h in host.items())))
    for p in kills["problems"][:10]:
        print("torture: PROBLEM " + p)
    print("torture: panics %d; %s; figures in %s" % (
        kills.get("panics", 0) + fuzz["panics"], "FAILED" if failed else "passed", args.out))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The developer tools that sum up a run: tools/bench-compare (the change
of every figure between two bench.json files, which `ninja bench` prints)
and tools/fuzz-run (one summary line per fuzzer for `ninja fuzz`), run on
the host against small inputs made here."""

import json
import os
import re
import stat
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_COMPARE = os.path.join(ROOT, "tools", "bench-compare")
FUZZ_RUN = os.path.join(ROOT, "tools", "fuzz-run")


def bench_doc(keel_s, ipc_instr):
    """The shape tests/bench/bench.py writes: cells in lists, summaries with min/median."""
    return {
        "results": [{"mode": "single", "harts": 8,
                     "keel": {"samples": {"wall_s": [keel_s]},
                              "wall_s": {"min": keel_s, "median": keel_s, "max": keel_s}}}],
        "ipc_results": [{"mode": "icount", "harts": 1, "unit": "instructions",
                         "ops": {"ipc_call_reply": {"min": ipc_instr, "median": ipc_instr}}}],
        "params": {"runs": 1},
    }


def test_bench_compare_prints_the_change_of_each_figure(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(bench_doc(0.5, 1000)))
    new.write_text(json.dumps(bench_doc(0.55, 900)))
    out = subprocess.run([BENCH_COMPARE, str(old), str(new)], capture_output=True, text=True,
                         check=True).stdout
    assert re.search(r"^results single 8h keel wall_s\s+0\.5\s+0\.55\s+\+10\.0%$", out, re.M), out
    assert re.search(r"^ipc_results icount 1h instructions ops ipc_call_reply\s+1000\s+900"
                     r"\s+-10\.0%$", out, re.M), out
    assert "2 figures compared" in out, out


def test_bench_compare_without_a_baseline(tmp_path):
    new = tmp_path / "new.json"
    new.write_text(json.dumps(bench_doc(0.5, 1000)))
    out = subprocess.run([BENCH_COMPARE, str(tmp_path / "none.json"), str(new)],
                         capture_output=True, text=True, check=True).stdout
    assert "no baseline" in out, out


def fake_fuzzer(tmp_path, crash):
    """A script that prints what libFuzzer prints (and writes a crash input)."""
    path = tmp_path / ("crashing" if crash else "fine")
    lines = ["INFO: Seed: 1", "#2\tINITED cov: 10 ft: 12 corp: 3/30b exec/s: 0 rss: 30Mb",
             "#4096\tpulse  cov: 40 ft: 77 corp: 9/90b lim: 4 exec/s: 2048 rss: 31Mb",
             "#8000\tDONE   cov: 41 ft: 80 corp: 11/99b lim: 4 exec/s: 4000 rss: 31Mb",
             "stat::number_of_executed_units: 8000"]
    body = "".join("echo '%s'\n" % l for l in lines)
    if crash:
        body += ('for a in "$@"; do case $a in -artifact_prefix=*) '
                 'echo x > "${a#-artifact_prefix=}crash-abc";; esac; done\nexit 77\n')
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_fuzz_run_sums_a_run_up_in_one_line(tmp_path):
    run = subprocess.run([FUZZ_RUN, "dt", fake_fuzzer(tmp_path, False), "1",
                          str(tmp_path / "corpus"), str(tmp_path) + "/", "/dev/null"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 1, run.stdout
    assert re.match(r"fuzz: dt: 8000 executions in 1 s, coverage 41 \(features 80\), corpus 11, "
                    r"0 crashes; log build/fuzz/dt\.log$", lines[0]), run.stdout
    assert os.listdir(tmp_path / "corpus"), "the dt seeds were not copied"


def test_fuzz_run_fails_on_a_crash_and_names_the_input(tmp_path):
    run = subprocess.run([FUZZ_RUN, "dt", fake_fuzzer(tmp_path, True), "1",
                          str(tmp_path / "corpus"), str(tmp_path) + "/", "/dev/null"],
                         capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert ", 1 crash; log" in run.stdout, run.stdout
    assert "input kept in %s/crash-abc" % tmp_path in run.stdout, run.stdout

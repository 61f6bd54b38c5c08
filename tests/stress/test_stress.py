"""stress.py itself, on a one-row matrix: a clean run exits 0 and writes
its JSON; a boot that misses a hart, or times out, fails the run, is
named with its problems and keeps its log."""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
IMAGE = os.path.join(ROOT, "build", "Image")


def stress(tmp_path, *args):
    """Run stress.py on -smp 2 alone; (exit status, stdout, the JSON report)."""
    if not os.path.exists(IMAGE):
        pytest.fail("%s missing: run ninja" % IMAGE)
    out = tmp_path / "stress.json"
    p = subprocess.run([sys.executable, os.path.join(HERE, "stress.py"), "--harts", "2",
                        "--no-topologies", "--hotplug-harts", "", "--out", str(out),
                        "--log-dir", str(tmp_path / "logs")] + list(args),
                       capture_output=True, text=True, timeout=120)
    report = json.loads(out.read_text()) if out.exists() else None
    return p.returncode, p.stdout + p.stderr, report


def test_clean_run_exits_0_and_reports(tmp_path):
    rc, out, report = stress(tmp_path, "--runs", "2")
    assert rc == 0, out
    assert report and report["failures"] == 0 and report["runs"] == 2, out
    (cfg,) = report["configs"]
    assert (cfg["smp"], cfg["usable"], cfg["accel"]) == ("2", 2, "mttcg")
    assert [b["ok"] for b in cfg["boots"]] == [True, True], out
    for b in cfg["boots"]:
        assert b["boot_hart"] in (0, 1) and 0 < b["all_up_s"] < b["total_s"], b
    assert cfg["summary"]["all_up_max_s"] == max(b["all_up_s"] for b in cfg["boots"])
    row = [line for line in out.splitlines() if line.startswith("virt -smp 2 ")]
    assert len(row) == 1 and row[0].split()[-1] == "0", out
    assert not os.listdir(tmp_path / "logs"), "a log kept for a clean run"


def test_a_missing_hart_fails_the_run_and_keeps_the_log(tmp_path):
    rc, out, report = stress(tmp_path, "--runs", "1", "--append", "maxcpus=1")
    assert rc == 1, out
    (boot,) = report["configs"][0]["boots"]
    assert not boot["ok"] and "expected 2 of 2" in " ".join(boot["problems"]), boot
    log = os.path.join(ROOT, boot["log"]) if not os.path.isabs(boot["log"]) else boot["log"]
    assert os.path.dirname(log) == str(tmp_path / "logs"), boot["log"]
    with open(log) as f:
        text = f.read()
    assert "maxcpus=1" in text.splitlines()[0] and "smp: brought up 1 of 1 harts" in text


def test_a_timeout_fails_the_run_with_the_last_lines(tmp_path):
    rc, out, report = stress(tmp_path, "--runs", "1", "--timeout-scale", "0.002")
    assert rc == 1, out
    (boot,) = report["configs"][0]["boots"]
    assert not boot["ok"] and boot["problems"][0].startswith("timed out after "), boot
    assert boot["status"] is None and "last lines:" in out, out
    assert os.listdir(tmp_path / "logs"), "no log kept for a timed-out boot"

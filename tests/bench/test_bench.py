"""test_bench.py - a smoke test of the benchmark machinery (tests/bench/bench.py),
not a timing assertion: --quick runs, fills every cell of both tables (boot and
smp) with positive numbers, the ipc table reports instruction counts, and a
boot that fails (no line, a timeout, not every
hart up) is reported, logged and makes the exit status non-zero."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "tests" / "bench" / "bench.py"
IMAGE = ROOT / "build" / "Image"
FLOOR = ROOT / "build" / "bench" / "floor.bin"
FLOOR_SMP = ROOT / "build" / "bench" / "floor_smp.bin"

pytestmark = pytest.mark.skipif(
    not (IMAGE.is_file() and FLOOR.is_file() and FLOOR_SMP.is_file()
         and (ROOT / "build" / "config.ninja").is_file()),
    reason="needs ./configure and "
    "'ninja build/Image build/bench/floor.bin build/bench/floor_smp.bin'")


def run_bench(*args, timeout=60):
    return subprocess.run([sys.executable, str(BENCH), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_quick_fills_every_cell(tmp_path):
    out = tmp_path / "bench.json"
    r = run_bench("--quick", "--out", str(out), "--logs", str(tmp_path / "logs"))
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(out.read_text())
    assert doc["ok"] and doc["failures"] == []
    assert doc["params"]["runs"] == 2
    assert doc["host"]["nproc"] >= 1
    assert doc["qemu"]["version"] and doc["opensbi"]["version"]
    cells = {(c["mode"], c["harts"]): c for c in doc["results"]}
    assert set(cells) == {(m, n) for m in ("default", "single") for n in (1, 8)}
    for key, c in cells.items():
        for kind in ("floor", "keel"):
            samples = c[kind]["samples"]["wall_s"]
            assert len(samples) == 2 and all(s > 0 for s in samples), (key, kind)
            s = c[kind]["wall_s"]
            assert 0 < s["min"] <= s["median"] <= s["max"], (key, kind)
            exits = c[kind]["samples"]["exit_s"]
            assert all(e >= w for e, w in zip(exits, samples)), (key, kind)
        keel = c["keel"]
        assert all(us > 0 for us in keel["samples"]["in_kernel_us"]), key
        assert all(st > 0 for st in keel["samples"]["stamp_s"]), key
        assert c["ratio_min"] > 0, key
    for mode in ("default", "single"):
        assert f"{mode:<8}" in r.stdout		# the table has a row per mode

    assert doc["params"]["smp_harts"] == [1, 8]
    assert doc["floor_smp"]["sha256"]
    smp = {(c["mode"], c["harts"]): c for c in doc["smp_results"]}
    assert set(smp) == {(m, n) for m in ("default", "single") for n in (1, 8)}
    for (mode, n), c in smp.items():
        key = (mode, n)
        for kind in ("floor", "keel"):
            samples = c[kind]["samples"]
            assert len(samples["wall_s"]) == 2 and all(s > 0 for s in samples["wall_s"]), key
            assert samples["harts_up"] == [n, n], (key, kind)
            assert 0 < c[kind]["wall_s"]["min"] <= c[kind]["wall_s"]["median"], (key, kind)
        keel = c["keel"]["samples"]
        assert all(us >= 0 for us in keel["smp_us"]), key
        for i in range(2):
            assert 0 < keel["stamp_banner_s"][i] <= keel["stamp_dt_s"][i] \
                <= keel["stamp_smp_init_s"][i] <= keel["stamp_s"][i], key
        assert c["ratio_min"] > 0 and c["ratio_median"] > 0, key
        ph = c["per_hart_ms"]
        assert ph["keel"] == pytest.approx(c["keel"]["wall_s"]["min"] / n * 1000, abs=1e-3)
        assert ph["floor"] == pytest.approx(c["floor"]["wall_s"]["min"] / n * 1000, abs=1e-3)
        assert set(c["phases_s"]) == {"firmware", "banner_to_dt", "dt_to_smp_init",
                                      "smp_init"}
        assert all(v is not None and v >= 0 for v in c["phases_s"].values()), key
    assert "smp: QEMU launch -> every hart up" in r.stdout


def test_missing_line_fails_with_log(tmp_path):
    # The floor payload never prints Keel's line: every "keel" boot fails.
    out, logs = tmp_path / "bench.json", tmp_path / "logs"
    r = run_bench("--tables", "boot", "--harts", "1", "--runs", "1", "--modes", "single",
                  "--image", str(FLOOR), "--out", str(out), "--logs", str(logs))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "without printing 'core: bring-up done'" in r.stderr
    assert "floor: payload reached" in r.stderr		# what was last printed
    doc = json.loads(out.read_text())
    assert not doc["ok"]
    [fail] = doc["failures"]
    assert fail["kind"] == "keel" and fail["harts"] == 1
    log = Path(fail["log"])
    assert log.parent == logs and "floor: payload reached" in log.read_text()
    assert doc["results"][0]["keel"]["wall_s"] is None
    assert doc["results"][0]["floor"]["wall_s"]["min"] > 0


def test_not_every_hart_up_fails(tmp_path):
    # maxcpus=1: Keel says "brought up 1 of 1 harts" on a 2-hart machine.
    out, logs = tmp_path / "bench.json", tmp_path / "logs"
    r = run_bench("--tables", "smp", "--harts", "2", "--runs", "1", "--modes", "single",
                  "--append", "maxcpus=1", "--out", str(out), "--logs", str(logs))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Keel brought up 1 of 1 harts; expected 2 of 2" in r.stderr
    doc = json.loads(out.read_text())
    assert not doc["ok"] and doc["results"] == []
    [fail] = doc["failures"]
    assert (fail["table"], fail["kind"], fail["harts"]) == ("smp", "keel", 2)
    assert "maxcpus=1" in Path(fail["log"]).read_text()
    [cell] = doc["smp_results"]
    assert cell["keel"]["wall_s"] is None and cell["ratio_min"] is None
    assert cell["floor"]["samples"]["harts_up"] == [2]


def test_timeout_reports_last_output(tmp_path):
    r = run_bench("--harts", "1", "--runs", "1", "--modes", "single", "--timeout", "0.005",
                  "--out", str(tmp_path / "bench.json"), "--logs", str(tmp_path / "logs"))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "timeout after 0.005 s" in r.stderr
    assert "last printed:" in r.stderr
    doc = json.loads((tmp_path / "bench.json").read_text())
    assert len(doc["failures"]) == 4			# floor and Keel, in both tables
    assert {f["table"] for f in doc["failures"]} == {"boot", "smp"}
    assert all(Path(f["log"]).is_file() for f in doc["failures"])


def test_ipc_table_counts_instructions(tmp_path):
    if not (ROOT / "build" / "initramfs.cpio").is_file():
        pytest.skip("needs 'ninja build/initramfs.cpio'")
    out = tmp_path / "bench.json"
    r = run_bench("--tables", "ipc", "--runs", "1", "--out", str(out),
                  "--logs", str(tmp_path / "logs"))
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(out.read_text())
    assert doc["ok"] and doc["results"] == [] and doc["smp_results"] == []
    [cell] = doc["ipc_results"]
    assert "shift=0" in cell["qemu_args"] and cell["harts"] == 1
    assert set(cell["samples"]) == {"null_syscall", "ipc_call_reply", "notif_signal_wait"}
    # A round trip is two system calls and two switches: more than one null call.
    assert 0 < cell["null_syscall"]["min"] < cell["ipc_call_reply"]["min"]
    assert "ipc: instructions per operation" in r.stdout

"""test_bench.py - a smoke test of the benchmark machinery (tests/bench/bench.py),
not a timing assertion: --quick runs, fills every cell of both tables (boot and
smp) with positive numbers, the ipc and spawn tables report instruction counts
and ticks and where ipc_bench's pairs ran, the ready table times 'init: ready'
next to the floor payload and QEMU alone,
and a boot that fails (no line, a timeout, not every hart up) is reported,
logged and makes the exit status non-zero."""
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


def test_ipc_and_spawn_tables_count_instructions_and_ticks(tmp_path):
    if not (ROOT / "build" / "initramfs.cpio").is_file():
        pytest.skip("needs 'ninja build/initramfs.cpio'")
    out = tmp_path / "bench.json"
    r = run_bench("--tables", "ipc,spawn", "--runs", "1", "--ipc-harts", "1,2",
                  "--out", str(out), "--logs", str(tmp_path / "logs"), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(out.read_text())
    assert doc["ok"] and doc["results"] == [] and doc["smp_results"] == []
    ipc = {(c["mode"], c["harts"]): c for c in doc["ipc_results"]}
    spawn = {(c["mode"], c["harts"]): c for c in doc["spawn_results"]}
    cells = [("icount", 1), ("default", 1), ("default", 2), ("single", 2)]
    assert list(ipc) == cells and list(spawn) == cells
    ic = ipc["icount", 1]
    assert "shift=0" in ic["qemu_args"] and ic["unit"] == "instructions"
    xhart = {"ipc_call_reply_xhart", "notif_signal_wait_xhart"}
    assert set(ic["samples"]) == {"null_syscall", "ipc_call_reply", "notif_signal_wait"} | xhart
    assert all(ic["samples"][op] == [] for op in xhart)	# one hart: no pair across harts
    # A round trip is two system calls and two switches: more than one null call.
    assert 0 < ic["null_syscall"]["min"] < ic["ipc_call_reply"]["min"]
    # Starting a program costs more than a round trip.
    assert spawn["icount", 1]["spawn_wait"]["min"] > ic["ipc_call_reply"]["min"]
    for key in cells[1:]:
        for c in (ipc[key], spawn[key]):
            assert "-icount" not in c["qemu_args"] and c["unit"] == "ticks", key
            assert c["timebase_hz"] == 10000000, key	# QEMU virt's timebase
            for op, values in c["samples"].items():
                if op in xhart and key[1] < 2:
                    assert values == [], (key, op)
                    continue
                assert len(values) == 1 and values[0] > 0, (key, op)
                assert 0 < c["ops"][op][0] <= 10000, (key, op)
    # Across two harts a round trip takes IPIs; on one hart an IPC round trip takes none.
    for op in xhart:
        assert ipc["default", 2]["ipis_per_op"][op]["median"] > 0, op
        assert ipc["single", 2]["ipis_per_op"][op]["median"] > 0, op
    assert ipc["icount", 1]["ipis_per_op"]["ipc_call_reply"]["median"] == 0
    for op, partner in (("ipc_call_reply", "server"), ("notif_signal_wait", "waiter")):
        [p] = ipc["default", 2]["placement"][op]
        assert p["partner"] == partner
        assert set(p["client"]) | set(p["partner_harts"]) <= {0, 1}, p
    assert "ipc: instructions and ticks per operation" in r.stdout
    assert "where the pairs ran" in r.stdout
    assert "spawn: keel_spawn of /bin/nop" in r.stdout


def test_size_and_irq_tables(tmp_path):
    if not all((ROOT / "build" / f).is_file() for f in ("initramfs.cpio", "keel.elf")):
        pytest.skip("needs 'ninja build/initramfs.cpio build/keel.elf'")
    out = tmp_path / "bench.json"
    r = run_bench("--tables", "size,irq", "--runs", "1", "--svg", str(tmp_path / "b.svg"),
                  "--out", str(out), "--logs", str(tmp_path / "logs"), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(out.read_text())
    [size] = doc["size_results"]
    assert size["mode"] in ("release", "debug") and size["mode"] == doc["build_mode"]
    assert all(size["sections"][s] > 0 for s in (".text", ".rodata", ".bss"))
    assert size["image_bytes"] == (ROOT / "build" / "Image").stat().st_size
    [irq] = doc["irq_results"]
    assert irq["unit"] == "instructions" and "clock=vm" in irq["qemu_args"]
    # More than a null system call, less than a spawn: a claim, a wake and a switch.
    assert 100 < irq["irq_to_user"]["median"] < 100000
    assert "size: the core and the Image" in r.stdout
    assert "irq: a device interrupt to its user-level driver" in r.stdout


def test_ready_table_times_init_ready(tmp_path):
    if not all((ROOT / "build" / f).is_file() for f in ("initramfs.cpio", "disk.img")):
        pytest.skip("needs 'ninja build/initramfs.cpio build/disk.img'")
    out = tmp_path / "bench.json"
    r = run_bench("--tables", "ready", "--runs", "1", "--ready-harts", "1,32",
                  "--out", str(out), "--logs", str(tmp_path / "logs"), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(out.read_text())
    assert doc["ok"] and doc["disk"]["sha256"]
    cells = {c["harts"]: c for c in doc["ready_results"]}
    assert cells[1]["mode"] == "default" and cells[32]["mode"] == "single"
    assert "thread=single" not in " ".join(cells[1]["qemu_args"])
    assert "tcg,thread=single" in cells[32]["qemu_args"] and cells[32]["timeout_s"] >= 600
    for n, c in cells.items():
        assert any("snapshot=on" in a for a in c["qemu_args"]), n
        s = c["keel"]["samples"]
        assert s["harts_up"] == [n] and s["wall_s"][0] > 0, n
        assert 0 < s["stamp_s"][0] <= s["stamp_run_init_s"][0], n
        # The floor (QEMU + OpenSBI) and QEMU alone, booted with the same devices.
        for kind, args in (("floor", c["floor_qemu_args"]), ("bare", c["bare_qemu_args"])):
            assert c[kind]["samples"]["wall_s"][0] > 0, (n, kind)
            assert any("snapshot=on" in a for a in args), (n, kind)
            assert ["-smp", str(n)] == args[args.index("-smp"):args.index("-smp") + 2]
        assert c["bare_qemu_args"][c["bare_qemu_args"].index("-bios") + 1] == "none"
        assert c["floor_qemu_args"][c["floor_qemu_args"].index("-bios") + 1] != "none"
        # A whole system after OpenSBI cannot be quicker than QEMU with no firmware.
        assert c["keel"]["wall_s"]["min"] > c["bare"]["wall_s"]["min"], n
        assert c["keel_less_floor_s"] == round(c["keel"]["wall_s"]["min"] -
                                               c["floor"]["wall_s"]["min"], 6)
    assert doc["floor_bare"]["line"] == "bare: QEMU reached the payload"
    assert "ready: QEMU launch -> 'init: ready'" in r.stdout
    assert "QEMU alone" in r.stdout

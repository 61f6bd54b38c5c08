"""A short run of `ninja torture` (tests/torture/torture.py) in `ninja test`.

TORTURE_0001  ten servers killed at random moments while a client writes,
              syncs and reads back files: each comes back, the shell
              answers, every synced file reads back from the image, and
              the host's e2fsck -fn finds it clean
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "..", "..", "build")


def test_kills_while_writing_lose_nothing(tmp_path):
    out = tmp_path / "torture.json"
    r = subprocess.run([sys.executable, os.path.join(HERE, "torture.py"), "--kills", "10",
                        "--kills-per-boot", "5", "--fuzz-minutes", "0", "--fuzz-runs", "0",
                        "--seed", "1", "--out", str(out)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    report = json.loads(out.read_text())
    kills = report["kills"]
    assert kills["kills"] == 10 and kills["boots"] == 2, kills
    assert kills["e2fsck"] == "clean" and not kills["problems"], kills
    assert kills["durable_files"] > 0 and kills["files_verified"] > 0, kills

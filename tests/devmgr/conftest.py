"""Fixtures for devmgr's QEMU tests: `conf` and the `keel` runner factory
of tests/boot (its conftest.py and keel.py), and the initramfs archives
these tests boot with."""

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

BOOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot")
sys.path.insert(0, BOOT)
import keel as keel_mod  # noqa: E402  (tests/boot/keel.py)


def _boot_conftest():
    """tests/boot/conftest.py under a name of its own: pytest drops the
    module called "conftest" before it loads the next one."""
    spec = importlib.util.spec_from_file_location("boot_conftest",
                                                  os.path.join(BOOT, "conftest.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_boot = _boot_conftest()
conf = _boot.conf
keel = _boot.keel
pytest_runtest_makereport = _boot.pytest_runtest_makereport  # keel() saves a failed test's log


def build_path(*parts):
    path = os.path.join(keel_mod.BUILD, *parts)
    if not os.path.exists(path):
        pytest.fail("%s missing: run ninja devmgr-tests" % path)
    return path


def cpio(dest, files):
    """A newc archive at @dest of {name in the archive: host path or bytes}."""
    stage = dest + ".d"
    shutil.rmtree(stage, ignore_errors=True)
    for name, src in files.items():
        path = os.path.join(stage, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(src, bytes):
            with open(path, "wb") as f:
                f.write(src)
        else:
            shutil.copyfile(src, path)
    names = sorted(os.path.relpath(os.path.join(d, n), stage)
                   for d, dirs, files_ in os.walk(stage) for n in dirs + files_)
    with open(dest, "wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=stage, check=True,
                       input="\n".join(names).encode() + b"\n", stdout=out)
    return dest


@pytest.fixture(scope="session")
def devmgr_archive(tmp_path_factory):
    """archive(initcalls, shell="sh") -> an initramfs with init, devmgr,
    the drivers and the probe; /bin/sh is the real shell or the probe."""
    tmp = tmp_path_factory.mktemp("devmgr")
    made = {}

    def make(initcalls, shell="sh"):
        key = (initcalls, shell)
        if key not in made:
            files = {
                "init": build_path("user", "init"),
                "bin/sh": build_path("user", "sh" if shell == "sh" else "devmgr_probe"),
                "sbin/devmgr": build_path("user", "devmgr"),
                "sbin/uart-8250": build_path("user", "uart-8250"),
                "sbin/uart-sifive": build_path("user", "uart-sifive"),
                "sbin/virtio-blk": build_path("user", "virtio-blk"),
                "sbin/hello": build_path("user", "hello"),
                "sbin/devmgr_probe": build_path("user", "devmgr_probe"),
                "etc/initcalls": initcalls.encode(),
            }
            made[key] = cpio(str(tmp / ("initramfs-%d.cpio" % len(made))), files)
        return made[key]

    return make

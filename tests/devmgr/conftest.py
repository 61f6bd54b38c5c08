"""Fixtures for devmgr's QEMU tests: the `keel` runner factory of
tests/boot (tests/boot/keel.py), and the initramfs archives these tests
boot with."""

import os
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "boot"))
import keel as keel_mod  # noqa: E402  (tests/boot/keel.py)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "devmgr_rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def conf():
    """build/config.ninja, once the Image is there to boot."""
    path = os.path.join(keel_mod.BUILD, "config.ninja")
    if not os.path.exists(path):
        pytest.fail("%s missing: run ./configure" % path)
    if not os.path.exists(os.path.join(keel_mod.BUILD, "Image")):
        pytest.fail("build/Image missing: run ninja")
    return keel_mod.config(path)


@pytest.fixture
def keel(request, conf):
    """keel(**qemu_options) -> a running keel.Keel named after the test;
    killed at teardown, its console log kept in build/test-logs/ if the
    test failed."""
    base = "devmgr-" + re.sub(r"[^\w.=+-]+", "-", request.node.name).strip("-")
    runners = []

    def start(**kw):
        k = keel_mod.Keel("%s-%d" % (base, len(runners) + 1) if runners else base,
                          conf=conf, **kw)
        runners.append(k)
        return k

    yield start
    failed = any(getattr(getattr(request.node, "devmgr_rep_" + w, None), "failed", False)
                 for w in ("setup", "call"))
    for k in runners:
        if failed:
            k.save_log()
        k.kill()


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

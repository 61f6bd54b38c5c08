"""Fixtures for the QEMU system tests: the `keel` runner factory.

Each runner is named after its test; on teardown every QEMU is killed,
and the console log of a failed test is saved to build/test-logs/.
"""

import os
import re

import pytest

import keel as keel_mod


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "keel_rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def conf():
    """build/config.ninja, after checking the Image is there to boot."""
    path = os.path.join(keel_mod.BUILD, "config.ninja")
    if not os.path.exists(path):
        pytest.fail("%s missing: run ./configure" % path)
    image = os.path.join(keel_mod.BUILD, "Image")
    if not os.path.exists(image):
        pytest.fail("%s missing: run ninja build/Image" % image)
    return keel_mod.config(path)


@pytest.fixture
def keel(request, conf):
    """keel(**qemu_options) -> a running keel.Keel named after the test."""
    base = re.sub(r"[^\w.=+-]+", "-", request.node.name).strip("-")
    runners = []

    def start(**kw):
        name = base if not runners else "%s-%d" % (base, len(runners) + 1)
        k = keel_mod.Keel(name, conf=conf, **kw)
        if os.path.exists(k.log_path):
            os.unlink(k.log_path)  # a log there is from an older failure
        runners.append(k)
        return k

    yield start
    failed = any(getattr(request.node, "keel_rep_" + w, None) is not None and
                 getattr(request.node, "keel_rep_" + w).failed for w in ("setup", "call"))
    for k in runners:
        if failed:
            k.save_log()
        k.kill()


def pytest_terminal_summary(terminalreporter):
    """What the tests observed but do not assert (keel.NOTES)."""
    if keel_mod.NOTES:
        terminalreporter.section("keel boot notes")
        for note in keel_mod.NOTES:
            terminalreporter.write_line(note)

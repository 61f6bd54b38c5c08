"""User space: the core execs init from the initramfs (Linux's order and
messages), init runs the initcalls level by level and starts the shell,
and a faulting program dies alone. Each test boots QEMU virt with
build/initramfs.cpio (or an archive it makes with GNU cpio) and talks to
the shell over the console."""

import os
import re
import shutil
import subprocess

import pytest

import keel as K
import sources

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")
USER = os.path.join(K.BUILD, "user")


@pytest.fixture(scope="module")
def initramfs():
    if not os.path.exists(INITRAMFS):
        pytest.fail("%s missing: run ninja" % INITRAMFS)
    return INITRAMFS


def make_cpio(tmp_path, files):
    """A newc archive of {dest: source path or bytes}, made by GNU cpio."""
    stage = tmp_path / "stage"
    stage.mkdir()
    for dest, src in files.items():
        path = stage / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(src, bytes):
            path.write_bytes(src)
        else:
            shutil.copy(src, path)
    names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=stage, check=True,
                           capture_output=True, text=True).stdout
    out = tmp_path / "initramfs.cpio"
    with open(out, "wb") as f:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=stage, check=True,
                       input=names.encode(), stdout=f)
    return str(out)


def shell(k, command, expect, timeout=K.BOOT_TIMEOUT):
    """Type @command at the shell; the match of the first line @expect matches."""
    k.send(command + "\r")
    return k.expect_line(expect, timeout)


def power_off(k):
    """Type poweroff at the shell; the run must end with QEMU exiting 0."""
    shell(k, "poweroff", r"asked to power off")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)


def test_init_runs_initcalls_by_level_then_the_shell(keel, initramfs):
    k = keel(smp=4, initrd=initramfs, append="initcall_debug foo=bar baz -- -x y=z")
    k.expect_line(r"\] smp: brought up 4 of 4 harts")
    k.expect_line(r"\] initrd: \d+ KiB cpio archive at 0x[0-9a-f]+, \d+ entries")
    k.expect_line(r"\] Run /init as init process$")
    k.expect_line(r"^init: Keel init, pid 1, 3 arguments: baz -x y=z$")
    env = k.expect_line(r"^init: environment: (.*)$").group(1).split()
    assert env[:2] == ["HOME=/", "TERM=linux"], k.why("init's environment starts %s" % env)
    assert "foo=bar" in env and "initcall_debug=1" in env, k.why("environment %s" % env)
    k.expect_line(r"^init: ready$")
    order = [m.group(1) for m in k.find_all(r"^initcall (\w+) returned 0 after \d+ usecs$")]
    # initrd/initcalls, level by level; a level's servers start together and
    # may report ready in any order, but all before the next level starts.
    levels = sources.initcalls_by_level()
    expected = [sorted(names) for names in levels]
    seen, i = [], 0
    for names in levels:
        seen.append(sorted(order[i:i + len(names)]))
        i += len(names)
    assert seen == expected and i == len(order), \
        k.why("initcalls returned in the order %s; levels %s" % (order, levels))
    for name in order:
        assert k.find(r"^calling  %s @ \d+$" % name), k.why("no `calling  %s @ pid`" % name)
    k.expect_line(r"^Keel shell\.")
    shell(k, "ps", r"^\s+PID\s+PPID\s+HART\s+S\s+PAGES/LIMIT\s+OBJS/LIMIT\s+KIDS/LIMIT\s+NAME$")
    k.send("echo end-of-ps\r")
    k.expect_line(r"^end-of-ps$")
    rows = {}
    for line in k.lines[k.lines.index(k.find(r"^\s+PID\s+PPID").string):]:
        m = re.match(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+([RQSZ])\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$",
                     line)
        if m:
            rows[m.group(8)] = (int(m.group(1)), int(m.group(2)), m.group(5, 6, 7))
    assert rows.get("init", ())[:2] == (1, 0), k.why("ps: init is %s" % (rows.get("init"),))
    assert rows.get("kthreadd", ())[:2] == (2, 0), \
        k.why("ps: kthreadd is %s" % (rows.get("kthreadd"),))
    # Use of limits: a user task has used/limit of each kind, a kernel task dashes.
    assert all(re.match(r"^\d+/\d+$", f) for f in rows["init"][2]), k.why("ps: init's limits")
    assert all(re.match(r"^\d+/\d+$", f) for f in rows["sh"][2]), k.why("ps: the shell's limits")
    assert rows["kthreadd"][2] == ("-", "-", "-"), k.why("ps: kthreadd has limits")
    for cpu in range(4):
        assert rows.get("swapper/%d" % cpu, (None,))[0] == 0, k.why("ps: no swapper/%d" % cpu)
    assert rows.get("sh", (0, 0))[1] == 1, k.why("ps: the shell is not init's child")
    shell(k, "poweroff", r"\] reboot: sh \(pid \d+\) asked to power off$")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)


def test_initcall_blacklist_skips_a_server(keel, initramfs):
    k = keel(smp=2, initrd=initramfs, append="initcall_debug initcall_blacklist=hello_device")
    k.expect_line(r"^initcall hello_device blacklisted$")
    k.expect_line(r"^init: ready$")
    assert not k.find(r"^calling  hello_device"), k.why("a blacklisted server was started")
    assert k.find(r"^initcall hello_late returned 0"), k.why("the next level did not run")
    k.expect_line(r"^Keel shell\.")
    power_off(k)


@pytest.mark.parametrize("how, cause, stval", [
    ("null", "Load page fault", "0x10"),
    ("kernel", "Load page fault", "0xffffffff80000000"),
    ("exec", "Instruction page fault", None),
])
def test_faulting_program_dies_alone(keel, initramfs, how, cause, stval):
    k = keel(smp=2, initrd=initramfs)
    k.expect_line(r"^Keel shell\.")
    m = shell(k, "/bin/fault " + how,
              r"\] fault\[\d+\]: (.+) at (0x[0-9a-f]+) epc 0x[0-9a-f]+ on hart \d+; killed$")
    assert m.group(1) == cause, k.why("fault reported as %r, expected %r" % (m.group(1), cause))
    if stval:
        assert m.group(2) == stval, k.why("stval %s, expected %s" % (m.group(2), stval))
    k.expect_line(r"^/bin/fault: exit status \d+ \(killed by a fault\)$")
    shell(k, "echo still here", r"^still here$")
    power_off(k)


def test_missing_rdinit_falls_back_to_bin_sh(keel, initramfs):
    k = keel(smp=2, initrd=initramfs, append="rdinit=/nope")
    k.expect_line(r"\] Failed to execute /nope \(error 5\)$")
    for path in ("/sbin/init", "/etc/init", "/bin/init"):
        k.expect_line(r"\] Failed to execute %s \(error 5\)$" % path)
    k.expect_line(r"\] Run /bin/sh as init process$")
    k.expect_line(r"^Keel shell\.")
    power_off(k)


def test_missing_requested_init_panics(keel, initramfs):
    k = keel(smp=2, initrd=initramfs, append="rdinit=/nope init=/also/nope")
    k.expect_line(r"\] Failed to execute /nope \(error 5\)$")
    k.expect_line(r"\] Kernel panic - not syncing: Requested init /also/nope failed \(error 5\)\.$")
    assert k.wait_exit() == 1, k.why("QEMU exit status %s, expected 1" % k.status)


def test_no_working_init_panics(keel, tmp_path):
    cpio = make_cpio(tmp_path, {"etc/motd": b"nothing to run here\n"})
    k = keel(smp=1, initrd=cpio)
    k.expect_line(r"\] Failed to execute /bin/sh \(error 5\)$")
    k.expect_line(r"\] Kernel panic - not syncing: No working init found\.  "
                  r"Try passing init= option to kernel\.$")
    assert k.wait_exit() == 1, k.why("QEMU exit status %s, expected 1" % k.status)


def test_init_that_is_not_an_elf_is_refused(keel, tmp_path):
    cpio = make_cpio(tmp_path, {"init": b"#!/bin/sh\necho not an ELF\n",
                                "bin/sh": os.path.join(USER, "sh")})
    k = keel(smp=1, initrd=cpio)
    k.expect_line(r"\] exec: /init: not a Keel executable: ")
    k.expect_line(r"\] Failed to execute /init \(error 1\)$")
    k.expect_line(r"\] Run /bin/sh as init process$")
    k.expect_line(r"^Keel shell\.")
    power_off(k)


@pytest.mark.parametrize("damage", ["bad-magic", "truncated"])
def test_broken_initramfs_is_refused(keel, initramfs, tmp_path, damage):
    data = bytearray(open(initramfs, "rb").read())
    if damage == "bad-magic":
        data[0:6] = b"070799"
    else:
        data = data[:len(data) // 2]
    path = tmp_path / "broken.cpio"
    path.write_bytes(bytes(data))
    k = keel(smp=1, initrd=str(path))
    k.expect_line(r"\] initrd: bad initramfs at 0x[0-9a-f]+: .+; ignored$")
    k.expect_line(r"\] core: no initramfs; powering off$")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)


def test_a_word_too_long_for_spawn_on_the_command_line_starts_everything(keel, initramfs):
    """A 1,102-byte name=value word on the command line: spawn takes
    strings of 1023 bytes at most, so the core refuses the word where it
    enters, once, and init and every server and the shell start (init
    also hands servers only the environment they need, and the shell
    init's environment less what spawn would refuse)."""
    word = "longword=" + "x" * 1093
    assert len(word) == 1102
    k = keel(smp=2, initrd=initramfs, append="initcall_debug " + word)
    k.expect_line(r"^init: ready$")
    assert not k.find(r"^init: cannot start"), k.why("a server did not start")
    for name in ("devmgr", "console", "fs", "hello_core"):
        assert k.find(r"^initcall %s returned 0 after \d+ usecs$" % name), \
            k.why("initcall %s did not report ready" % name)
    assert len(k.find_all(r"\] cmdline: word of 1102 bytes .* longer than 1023 bytes; "
                          r"ignored$")) == 1, k.why("the long word was not refused once")
    user = [l for l in k.lines[1:] if "longword=x" in l and not l.startswith("[")]
    assert not user, k.why("the word reached user space: %s" % user[0][:80])
    assert not k.find(r"Unknown kernel command line parameters .*longword"), \
        k.why("the refused word is said to go to user space")
    k.expect_line(r"^Keel shell\.")
    shell(k, "echo the shell runs", r"^the shell runs$")
    shell(k, "uptime", r"^up \d+\.\d{6} s$")
    power_off(k)

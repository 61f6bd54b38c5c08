"""User space with its servers, on QEMU virt (and sifive_u): devmgr starts
the drivers the device tree asks for, the console server takes the
console over, the fs server serves the initramfs at / and the build's
ext2 disk at /mnt, and the shell shows all of it. Data written and synced
survives a power off (the host's e2fsck and debugfs check the image); a
crashed server is reported and restarted and its clients reconnect; a
task reaches nothing it was not given.

Every test boots build/Image with build/initramfs.cpio (or a copy with
one more server) and a copy of build/disk.img, and drives the shell."""

import os
import re
import shutil
import subprocess
import time

import pytest

import keel as K
import sources

INITRAMFS = os.path.join(K.BUILD, "initramfs.cpio")
STAGE = os.path.join(K.BUILD, "initramfs.d")
DISK = os.path.join(K.BUILD, "disk.img")


def disk_args(path):
    return ["-global", "virtio-mmio.force-legacy=false",
            "-drive", "file=%s,format=raw,if=none,id=disk" % path,
            "-device", "virtio-blk-device,drive=disk"]


@pytest.fixture
def disk(tmp_path):
    """A fresh copy of build/disk.img (the tests write to it)."""
    if not os.path.exists(DISK):
        pytest.fail("%s missing: run ninja" % DISK)
    path = str(tmp_path / "disk.img")
    shutil.copy(DISK, path)
    return path


def boot(keel, disk=None, smp=4, append=None, initrd=INITRAMFS, **kw):
    """Boot to the shell prompt; the runner."""
    k = keel(smp=smp, initrd=initrd, append=append,
             extra=disk_args(disk) if disk else (), **kw)
    k.expect_line(r"^init: ready$", K.BOOT_TIMEOUT)
    k.expect_line(r"^Keel shell\.")
    return k


def shell(k, command, expect, timeout=K.BOOT_TIMEOUT):
    """Type @command; the match of the first line @expect matches after it."""
    k.send(command + "\r")
    return k.expect_line(expect, timeout)


def output(k, command, timeout=K.BOOT_TIMEOUT):
    """Type @command and an echo marker; the lines it printed in between."""
    marker = "--end-of-%d--" % len(k.lines)
    k.send(command + "\r")
    k.expect_line(r"^# " + re.escape(command) + "$|^" + re.escape(command) + "$", timeout)
    start = len(k.lines)
    k.send("echo " + marker + "\r")
    k.expect_line("^" + re.escape(marker) + "$", timeout)
    return [l for l in k.lines[start:-1] if not l.endswith("echo " + marker)]


def expect_all(k, patterns, timeout=K.BOOT_TIMEOUT):
    """Wait until each of @patterns has matched a line, in any order (lines
    from different tasks come in either order); their matches."""
    deadline = time.monotonic() + timeout
    found = {}
    while len(found) < len(patterns):
        left = [p for p in patterns if p not in found]
        k.expect_line("|".join("(?:%s)" % p for p in left),
                      max(0.1, deadline - time.monotonic()))
        for p in left:
            m = re.search(p, k.lines[-1])
            if m:
                found[p] = m
    return [found[p] for p in patterns]


def power_off(k):
    shell(k, "poweroff", r"asked to power off")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)


def test_no_disk_is_said_at_once(keel):
    """Without a disk, fs says so and is ready without waiting for one: init
    ran devmgr's level, drivers included, to ready first, so there is nothing
    to wait for (fs once polled 2 s for the name, on every diskless boot)."""
    k = boot(keel, smp=2, append="initcall_debug")
    assert k.find(r"^fs: no disk vda \(no such file or object\); /mnt stays absent$"), \
        k.why("no `fs: no disk vda` line")
    m = k.find(r"^initcall fs returned 0 after (\d+) usecs$")
    assert m, k.why("fs did not report ready")
    assert int(m.group(1)) < 2000000, k.why("fs took %s us to say ready" % m.group(1))
    assert not any("mnt" in l for l in output(k, "ls /")), k.why("/mnt listed without a disk")
    power_off(k)


def test_boot_to_shell_starts_drivers_console_and_fs(keel, disk):
    k = boot(keel, disk, append="initcall_debug")
    # devmgr: one line per device it drives, then ready before the next level.
    k.find(r"^devmgr: /soc/serial@10000000: ns16550a -> uart-8250 \(pid \d+\)$") or \
        pytest.fail(k.why("no devmgr line for the UART"))
    assert k.find(r"^devmgr: /soc/virtio_mmio@10008000: virtio,mmio -> virtio-blk"), \
        k.why("no devmgr line for the disk")
    assert k.find(r"^uart-8250: /soc/serial@10000000: ns16550a at 0x10000000, irq 10"), \
        k.why("the UART driver did not start on irq 10")
    assert k.find(r"^virtio-blk: /soc/virtio_mmio@10008000: 16384 sectors \(8 MiB\), irq 8"), \
        k.why("the disk driver did not start")
    for name in (c["name"] for c in sources.initcalls()):
        assert k.find(r"^initcall %s returned 0 after \d+ usecs$" % name), \
            k.why("initcall %s did not report ready" % name)
    assert k.find(r"\] console: console\[\d+\] takes the console over"), \
        k.why("no takeover line from the console server")
    assert k.find(r"^fs: ext2 on vda \(8192 KiB, 1024-byte blocks\) at /mnt$"), \
        k.why("the disk was not mounted at /mnt")
    # After the takeover the kernel log still reaches the console (now printed
    # by the console server): a kernel line the shell causes shows up.
    boot_hart = int(k.find(r"\] smp: boot hart (\d+) is cpu 0").group(1))
    other = 3 if boot_hart != 3 else 2
    shell(k, "hart offline %d" % other, r"\] smp: hart %d \(cpu \d+\) offline$" % other)
    power_off(k)


def hart_of_cpu(k):
    """{cpu: hartid} from the shell's harts command."""
    table = {}
    for line in output(k, "harts")[1:]:
        f = line.split()
        if len(f) >= 2 and f[0].isdigit() and f[1].isdigit():	# not a kernel line
            table[int(f[1])] = int(f[0])
    return table


def test_ps_shows_idle_tasks_init_kthreadd_servers_and_the_shell(keel, disk):
    k = boot(keel, disk, smp=4)
    harts = hart_of_cpu(k)
    rows = {}
    for line in output(k, "ps"):
        # pid ppid hart state, then pages, objects, children (of their limits), name
        m = re.match(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+([RQSZ])\s+(?:\S+\s+){3}(\S+)$", line)
        if m:
            rows.setdefault(m.group(5), []).append(tuple(int(x) for x in m.group(1, 2, 3)))
    for n in range(4):
        # swapper/N is cpu N's idle task, on that cpu's hart (the boot hart is cpu 0).
        assert rows.get("swapper/%d" % n) == [(0, 0, harts[n])], \
            k.why("no idle task of cpu %d on hart %d: %s" % (n, harts[n], rows))
    assert rows.get("init", [(0,)])[0][:2] == (1, 0), k.why("init is not pid 1")
    assert rows.get("kthreadd", [(0,)])[0][:2] == (2, 0), k.why("kthreadd is not pid 2")
    for name, parent in (("devmgr", 1), ("console", 1), ("fs", 1), ("sh", 1),
                         ("uart-8250", 1), ("virtio-blk", 1)):
        assert name in rows and rows[name][0][1] == parent, \
            k.why("ps: %s missing or not a child of %d: %s" % (name, parent, rows.get(name)))
    power_off(k)


def test_shell_commands_show_the_system(keel, disk):
    k = boot(keel, disk, smp=4)
    harts = output(k, "harts")
    assert harts[0].split() == ["HART", "CPU", "STATE", "PID", "NAME"], k.why("harts header")
    assert len([l for l in harts[1:] if " online " in l]) == 4, k.why("harts: not 4 online")
    table = hart_of_cpu(k)
    boot_hart, other = table[0], table[2]
    shell(k, "hart offline %d" % other, r"^hart %d: offline$" % other)
    assert re.search(r"^\s+%d\s+2 offline\s+0 -$" % other, "\n".join(output(k, "harts")),
                     re.M), k.why("hart %d not shown offline" % other)
    shell(k, "hart online %d" % other, r"^hart %d: online$" % other)
    # The boot hart (cpu 0) stays.
    shell(k, "hart offline %d" % boot_hart, r"^hart offline %d: the boot hart; it stays online$" % boot_hart)
    free = output(k, "free")
    m = re.match(r"^Mem:\s+(\d+)\s+(\d+)\s+(\d+)$", free[1])
    assert m and int(m.group(1)) == int(m.group(2)) + int(m.group(3)) and \
        240 * 1024 < int(m.group(1)) < 256 * 1024, k.why("free: %s" % free)
    shell(k, "uptime", r"^up \d+\.\d{6} s$")
    log = output(k, "dmesg")
    assert any(re.search(r"\] Keel version ", l) for l in log), k.why("dmesg lacks the banner")
    assert any("takes the console over" in l for l in log), k.why("dmesg lacks the takeover")
    power_off(k)


def test_ext2_write_sync_poweroff_survives_on_the_host(keel, disk):
    k = boot(keel, disk, smp=2)
    listing = output(k, "ls /mnt")
    assert any(l.endswith(" README") for l in listing) and \
        any(l.startswith("d ") and l.endswith(" docs") for l in listing), \
        k.why("ls /mnt: %s" % listing)
    shell(k, "cat /mnt/docs/mounted.txt", r"^Keel mounts this disk at /mnt\.$")
    shell(k, "echo written by keel > /mnt/hello.txt", r"^# ")
    shell(k, "echo a second line >> /mnt/hello.txt", r"^# ")
    shell(k, "mkdir /mnt/newdir", r"^# ")
    shell(k, "echo deep > /mnt/newdir/f", r"^# ")
    shell(k, "rm /mnt/docs/mounted.txt", r"^# ")
    shell(k, "rm /mnt/newdir", r"^rm: /mnt/newdir: directory not empty$")
    shell(k, "mkdir /mnt/newdir", r"^mkdir: /mnt/newdir: file exists$")
    shell(k, "cat /mnt/bin", r"^cat: /mnt/bin: is a directory$")
    shell(k, "ls /init", r"^ls: /init: not a directory$")
    shell(k, "ls /mnt/docs/README", r"^ls: /mnt/docs/README: no such file")
    shell(k, "ls /mnt/hello.txt", r"^ls: /mnt/hello.txt: not a directory$")
    shell(k, "echo x > /init", r"^echo: /init: read-only file system$")
    shell(k, "cat /mnt/hello.txt", r"^written by keel$")
    k.expect_line(r"^a second line$")
    shell(k, "sync", r"^# ")
    power_off(k)
    fsck = subprocess.run(["e2fsck", "-fn", disk], capture_output=True, text=True)
    assert fsck.returncode == 0, "e2fsck -fn: %s%s" % (fsck.stdout, fsck.stderr)

    def debugfs(cmd):
        return subprocess.run(["debugfs", "-R", cmd, disk], capture_output=True,
                              text=True).stdout

    assert debugfs("cat /hello.txt") == "written by keel\na second line\n"
    assert debugfs("cat /newdir/f") == "deep\n"
    assert "mounted.txt" not in debugfs("ls /docs")


def test_a_program_on_the_disk_runs_from_memory(keel, disk):
    """The shell reads /mnt/bin/hello through the fs server into a memory
    object and spawns it from there (spawn_mem); a file that is not an ELF
    is refused with the core's reason."""
    k = boot(keel, disk, smp=2)
    shell(k, "/mnt/bin/hello from-disk", r"^/mnt/bin/hello: pid \d+, parent \d+, 1 argument: "
          r"from-disk$")
    shell(k, "run /mnt/README", r"\] exec: /mnt/README: not a Keel executable: not an ELF file")
    k.expect_line(r"^/mnt/README: invalid argument$")
    power_off(k)


def restart_initramfs(tmp_path, line="late        crashy        always      -             "
                      "/bin/crashy\n"):
    """build/initramfs.cpio plus a server: by default one that crashes on
    request (tests/user/crashy)."""
    stage = tmp_path / "stage"
    shutil.copytree(STAGE, stage, symlinks=True)
    with open(stage / "etc" / "initcalls", "a") as f:
        f.write(line)
    out = tmp_path / "initramfs.cpio"
    names = subprocess.run(["find", ".", "-mindepth", "1"], cwd=stage, check=True,
                           capture_output=True, text=True).stdout
    with open(out, "wb") as f:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=stage, check=True,
                       input=names.encode(), stdout=f)
    return str(out)


def test_crashed_server_is_reported_restarted_and_clients_reconnect(keel, tmp_path):
    k = boot(keel, smp=2, initrd=restart_initramfs(tmp_path))
    # The server may print its line before or after the shell's banner.
    up = k.find(r"^crashy: server up, pid (\d+)$") or \
        k.expect_line(r"crashy: server up, pid (\d+)$")
    first = int(up.group(1))
    shell(k, "/bin/crashy poke", r"^crashy: server is pid %d; asking it to crash$" % first)
    # The server's crash, init's report, the client's error and the new
    # server come in any order (four tasks; lines of others may follow the
    # shell's prompt).
    m = expect_all(k, [r"\] crashy\[%d\]: Store/AMO page fault at 0x0 epc 0x[0-9a-f]+ "
                       r"on hart \d+; killed$" % first,
                       r"crashy: the call failed: peer gone$",
                       r"init: crashy\[%d\] crashed \(cause 15\)$" % first,
                       r"init: restarting crashy (?:in \d+ ms )?\(restart 1\)$",
                       r"crashy: server up, pid (?!%d\b)(\d+)$" % first])
    second = int(m[4].group(1))
    k.expect_line(r"crashy: reconnected to the restarted server, pid %d$" % second)
    # A killed server restarts the same way (its policy is "always").
    k.send("kill %d\r" % second)
    expect_all(k, [r"\] kill: pid %d, asked by sh" % second,
                   r"init: crashy\[%d\] killed$" % second,
                   r"crashy: server up, pid (?!%d\b)\d+$" % second])
    power_off(k)


def test_fs_server_killed_comes_back_and_the_shell_reconnects(keel, disk):
    k = boot(keel, disk, smp=2)
    pid = [l.split()[0] for l in output(k, "ps") if l.endswith(" fs")][0]
    k.send("kill %s\r" % pid)
    expect_all(k, [r"init: restarting fs (?:in \d+ ms )?\(restart 1\)$", r"fs: ext2 on vda "])
    shell(k, "cat /mnt/docs/mounted.txt", r"^Keel mounts this disk at /mnt\.$")
    power_off(k)


def test_virtio_blk_killed_resets_its_device_before_init_restarts_it(keel, disk):
    """MEM_DMA_0001: a dying driver's virtio device is reset (Status = 0) by
    the core while the driver's DMA buffers are still held, so the device
    cannot write into them once they are freed and reused; devmgr's
    read-only probe never resets anything. The restarted driver and the
    file system go on, and the disk is clean."""
    k = boot(keel, disk, smp=2)
    assert not k.find(r"\] mem: virtio-mmio "), k.why("a reset before any driver died")
    shell(k, "echo before the kill > /mnt/dma1.txt", r"^# ")
    pid = [l.split()[0] for l in output(k, "ps") if l.endswith(" virtio-blk")][0]
    k.send("kill %s\r" % pid)
    expect_all(k, [r"\] mem: virtio-mmio 0x10008000 reset: its driver virtio-blk \(pid %s\) "
                   r"ended$" % pid,
                   r"init: virtio-blk\[%s\] killed$" % pid,
                   r"^virtio-blk: /soc/virtio_mmio@10008000: 16384 sectors"])
    shell(k, "echo after the kill > /mnt/dma2.txt", r"^# ", timeout=K.BOOT_TIMEOUT)
    shell(k, "sync", r"^# ")
    shell(k, "cat /mnt/dma1.txt", r"^before the kill$")
    shell(k, "cat /mnt/dma2.txt", r"^after the kill$")
    shell(k, "cat /mnt/docs/mounted.txt", r"^Keel mounts this disk at /mnt\.$")
    power_off(k)
    fsck = subprocess.run(["e2fsck", "-fn", disk], capture_output=True, text=True)
    assert fsck.returncode == 0, "e2fsck -fn: %s%s" % (fsck.stdout, fsck.stderr)


@pytest.mark.parametrize("case, cause, addr", [
    ("kernel-read", "Load page fault", "0xffffffff80000000"),
    ("kernel-write", "Store/AMO page fault", "0xffffffc080000000"),
    ("device", "Load page fault", "0x10000000"),
])
def test_a_task_cannot_touch_the_core_or_devices(keel, case, cause, addr):
    k = boot(keel, smp=2)
    m = shell(k, "/bin/isolation " + case,
              r"\] isolation\[\d+\]: (.+) at (0x[0-9a-f]+) epc 0x[0-9a-f]+ on hart \d+; killed$")
    assert m.group(1, 2) == (cause, addr), k.why("reported %s" % (m.group(1, 2),))
    k.expect_line(r"^/bin/isolation: exit status \d+ \(killed by a fault\)$")
    shell(k, "echo still here", r"^still here$")
    power_off(k)


@pytest.mark.parametrize("case", ["other-task", "handles", "pointers"])
def test_a_task_reaches_only_what_it_holds(keel, case):
    k = boot(keel, smp=2)
    k.send("/bin/isolation %s\r" % case)
    m = k.expect_line(r"^isolation: %s: (\d+) failed$" % case)
    fails = [l for l in k.lines if re.match(r"^ISO_\d+ FAIL", l)]
    assert m.group(1) == "0" and not fails, k.why("failed: %s" % fails)
    assert len([l for l in k.lines if re.match(r"^ISO_\d+ ok", l)]) >= 4
    power_off(k)


def test_designware_uart_driver_runs_on_qemus_16550(keel, tmp_path, conf):
    """QEMU virt's own tree with its UART named "snps,dw-apb-uart" (as the
    VisionFive boards name theirs): devmgr matches it to uart-8250, which
    drives QEMU's 16550 as the console. (QEMU's 16550 takes byte accesses
    at reg-shift 0, so the tree says reg-io-width 1; the 32-bit, shift-2
    layout of the boards is checked against the register model in
    tests/uart.)"""
    dtb = tmp_path / "virt.dtb"
    subprocess.run([conf["qemu"], "-M", "virt,dumpdtb=%s" % dtb, "-smp", "2", "-m", "256M",
                    "-nographic"], check=True, capture_output=True)
    dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", str(dtb)], check=True,
                         capture_output=True, text=True).stdout
    dts, n = re.subn(r'(serial@10000000 \{[^}]*?compatible = )"ns16550a";',
                     r'\1"snps,dw-apb-uart";' '\n\t\t\treg-shift = <0x00>;'
                     '\n\t\t\treg-io-width = <0x01>;', dts, flags=re.S)
    assert n == 1, "no ns16550a node in QEMU's tree"
    dw = tmp_path / "virt-dw.dtb"
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(dw), "-"], input=dts,
                   check=True, capture_output=True, text=True)
    k = boot(keel, smp=2, dtb=str(dw))
    assert k.find(r"^devmgr: /soc/serial@10000000: snps,dw-apb-uart -> uart-8250 \(pid \d+\)$"), \
        k.why("devmgr did not match the DesignWare UART")
    assert k.find(r"^uart-8250: /soc/serial@10000000: .* at 0x10000000, irq 10, reg-shift 0, "
                  r"io-width 1, console$"), k.why("the driver did not start as the console")
    assert k.find(r"\] console: console\[\d+\] takes the console over")
    shell(k, "echo typed through the DesignWare path", r"^typed through the DesignWare path$")
    power_off(k)


def test_console_survives_its_uart_driver_being_killed(keel):
    """init restarts a killed UART driver; the console server finds the
    new one, binds its input notification, and the shell goes on."""
    k = boot(keel, smp=2)
    pid = [l.split()[0] for l in output(k, "ps") if l.endswith(" uart-8250")][0]
    k.send("kill %s\r" % pid)
    expect_all(k, [r"init: uart-8250\[%s\] killed$" % pid,
                   r"console: reconnected to the console UART$"])
    shell(k, "echo typed to the new driver", r"^typed to the new driver$")
    log = output(k, "dmesg")
    assert any("kill: pid %s" % pid in l for l in log), k.why("the kill is not in dmesg")
    power_off(k)


def test_shell_keeps_reading_while_the_console_has_no_uart(keel):
    """A UART driver killed again and again comes back after init's longest
    backoff (3.2 s), longer than the console server waits for it: the
    console gives the console back to the core meanwhile. The shell reads
    the core's console then, not EOF (which would end it and power off),
    and the console server's again once it reconnects."""
    k = boot(keel, smp=2)
    for n in range(1, 7):
        pid = [l.split()[0] for l in output(k, "ps") if l.endswith(" uart-8250")][0]
        k.send("kill %s\r" % pid)
        restart, console = expect_all(
            k, [r"init: restarting uart-8250 in (\d+) ms \(restart %d\)$" % n,
                r"console: (reconnected to the console UART|no console UART driver; back to "
                r"the early console)$"])
        wait = int(restart.group(1))
        if "early console" in console.group(1):
            break
    assert wait > 2000, k.why("init's backoff never outlasted the console's wait")
    shell(k, "echo typed to the core", r"^typed to the core$")
    k.expect_line(r"console: reconnected to the console UART$")
    shell(k, "echo typed to the new driver", r"^typed to the new driver$")
    assert not k.find(r"init: the shell exited"), k.why("the shell took the lost UART for EOF")
    power_off(k)


def test_console_server_killed_then_every_typed_line_runs_whole(keel):
    """After the console server is killed and restarted, each line typed
    at the shell runs once and whole: no line lost, none split (input must
    not be read behind the UART driver's back while the console is gone)."""
    k = boot(keel, smp=2)
    pid = [l.split()[0] for l in output(k, "ps") if l.endswith(" console")][0]
    k.send("kill %s\r" % pid)
    expect_all(k, [r"init: console\[%s\] killed$" % pid,
                   r"\] console: console\[(?!%s\])\d+\] takes the console over" % pid])
    shell(k, "uptime", r"^up \d+\.\d{6} s$")
    assert "unknown command" not in "\n".join(k.lines), k.why("a line came out split")
    shell(k, "echo first after the restart", r"^first after the restart$")
    assert [l for l in output(k, "ps") if l.endswith(" sh")], k.why("ps: no shell")
    shell(k, "echo second", r"^second$")
    assert not [l for l in k.lines if "unknown command" in l], k.why("a line came out split")
    power_off(k)


def test_echo_server_answers_its_client_and_again_after_a_kill(keel, tmp_path):
    """The smallest server (servers/echo, the runtime's whole pattern):
    its client (keel_echo) connects, gets its words back with the
    server's pid, and after a kill reaches the restarted server."""
    k = boot(keel, smp=2, append="initcall_debug", initrd=restart_initramfs(
        tmp_path, "device      echo          on-failure  -             /sbin/echo\n"))
    first = shell(k, "/bin/echo-client hello keel", r"^echo\[(\d+)\]: hello keel$").group(1)
    k.send("kill %s\r" % first)
    # A new client of a server not (yet) registered gets ENOENT at once: wait for it.
    expect_all(k, [r"init: echo\[%s\] killed$" % first,
                   r"init: restarting echo (?:in \d+ ms )?\(restart 1\)$",
                   r"calling  echo @ (?!%s$)\d+$" % first])
    k.expect_line(r"initcall echo returned 0 after \d+ usecs$")
    m = shell(k, "/bin/echo-client once more", r"^echo\[(\d+)\]: once more$|^echo-client: ")
    assert m.group(1) and m.group(1) != first, k.why("no answer from a new echo server")
    power_off(k)


def test_fs_killed_again_and_again_comes_back_every_time(keel, disk):
    """A server that reported ready is restarted every time it dies (with a
    backoff when it dies soon after starting): the sixth and seventh kill
    of fs still bring /mnt back."""
    k = boot(keel, disk, smp=2)
    for n in range(1, 8):
        pid = [l.split()[0] for l in output(k, "ps") if l.endswith(" fs")][0]
        k.send("kill %s\r" % pid)
        expect_all(k, [r"init: fs\[%s\] killed$" % pid,
                       r"init: restarting fs (?:in \d+ ms )?\(restart %d\)$" % n,
                       r"fs: ext2 on vda "])
        shell(k, "cat /mnt/docs/mounted.txt", r"^Keel mounts this disk at /mnt\.$")
    assert not k.find(r"giving up"), k.why("init gave up on fs")
    power_off(k)


def ps_rows(k):
    """{name: [(pid, ppid, hart), ...]} from the shell's ps."""
    rows = {}
    for line in output(k, "ps"):
        m = re.match(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+([RQSZ])\s+(\S+)$", line)
        if m:
            rows.setdefault(m.group(5), []).append(tuple(int(x) for x in m.group(1, 2, 3)))
    return rows


SOURCE_HART = re.compile(r"\] plic: source 10 (?:on hart|follows its driver from hart \d+ "
                         r"to hart|moves from hart \d+ to hart) (\d+)$")


def uart_source_hart(lines):
    """The hart whose PLIC context has the UART's source after @lines
    (the kernel log at debug level: where it was attached, each move)."""
    hart = None
    for line in lines:
        m = SOURCE_HART.search(line)
        if m:
            hart = int(m.group(1))
    return hart


def test_irq_follows_its_driver_and_moves_when_its_hart_goes_offline(keel, disk):
    """IRQ_0001: the UART's interrupt is enabled on the hart its driver
    acked it from (the hart the driver runs on); when that hart goes
    offline it moves to the boot hart, and console input still works.
    The debug lines that say where the source is are read with dmesg
    (printed on the console, they would cut into the shell's lines)."""
    k = boot(keel, disk, smp=4)
    table = hart_of_cpu(k)
    boot_hart = table[0]
    shell(k, "echo warm", r"^warm$")	# input interrupts: the driver has acked some
    where = uart_source_hart(output(k, "dmesg"))
    assert where in table.values(), k.why("no plic line for source 10 in dmesg")
    gone = where if where != boot_hart else [h for h in table.values() if h != boot_hart][0]
    shell(k, "hart offline %d" % gone, r"^hart %d: offline$" % gone)
    shell(k, "echo still here", r"^still here$")	# typed in: the interrupt still comes
    log = output(k, "dmesg")
    # Where the source was when the shell asked (typing may have moved it since).
    asked = next(i for i, l in enumerate(log) if "takes hart %d offline" % gone in l)
    before = uart_source_hart(log[:asked])
    moved = any(re.search(r"\] plic: source 10 moves from hart %d to hart %d$"
                          % (gone, boot_hart), l) for l in log[asked:])
    assert moved == (before == gone), \
        k.why("source 10 was on hart %s when hart %d went offline; moved: %s"
              % (before, gone, moved))
    assert uart_source_hart(log) != gone, k.why("source 10 left on an offline hart")
    power_off(k)


def test_irqaffinity_sends_device_interrupts_to_one_hart(keel, disk):
    """IRQ_0002: irqaffinity=<hartid> puts every device interrupt on that
    hart; they move to the boot hart when it goes offline."""
    k = boot(keel, disk, smp=4, append="irqaffinity=2")
    assert k.find(r"\] plic: .* device interrupts go to hart 2 \(irqaffinity=\)$"), \
        k.why("no plic line naming hart 2")
    assert not k.find(r"Unknown kernel command line"), k.why("irqaffinity= reached init")
    boot_hart = hart_of_cpu(k)[0]
    shell(k, "echo before", r"^before$")
    if boot_hart != 2:
        shell(k, "hart offline 2", r"^hart 2: offline$")
    shell(k, "echo after", r"^after$")
    if boot_hart != 2:
        assert k.find(r"\] plic: source 10 moves from hart 2 to hart %d$" % boot_hart), \
            k.why("the UART's interrupt did not leave hart 2")
    power_off(k)

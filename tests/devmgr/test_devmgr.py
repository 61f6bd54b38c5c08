"""
test_devmgr.py - devmgr on QEMU: init starts it at the arch level
(initcall_debug), it starts the drivers the device tree asks for, and their
names reach init. The archives hold init, devmgr, the drivers and
tests/devmgr/probe.c (conftest.py).

DEVMGR_0001 virt: uart-8250 for /soc/serial@10000000 (irq 10, console),
            the eight empty virtio slots skipped, devmgr ready to init; a
            later client finds console-uart and writes through the driver,
            and gets devmgr's own answers (LOOKUP -ENOENT, an unknown label
            -ENOSYS, READY from a stranger -EDENIED)
DEVMGR_0002 virt with a virtio-blk disk: virtio-blk for the slot at
            0x10008000 (irq 8), registered as vda, seven empty slots
DEVMGR_0003 virt: a killed uart-8250 is reported and restarted by init
            (the one supervisor) with fresh handles (its irq again); the
            new one registers, and console-uart reaches it
DEVMGR_0004 sifive_u: uart-sifive for both SiFive UARTs (irq 4, the
            console, and irq 5), console-uart registered
DEVMGR_0005 virt: killed five times, uart-8250 comes back every time:
            init restarts a driver that had come up, with no limit
DEVMGR_0006 virt: a line typed on the serial console reaches a client of
            console-uart: the receive interrupt devmgr handed the driver
            (irq 10, its notification) works
"""

INITCALLS = "arch  devmgr  on-failure  devices,fdt  /sbin/devmgr\n"
PROBE = "late  probe  no  -  /sbin/devmgr_probe console-uart devmgr\n"
TIMEOUT = 20  # s: a boot to init: ready, on a loaded 2-core machine
STARTED = r"^devmgr: %s: %s -> %s \(pid (\d+)\)$"
FAILURES = r"^devmgr: .*(cannot|not ready|before ready|giving up|registering)|^init: .*giving up"


def expect_in_order(k, regexes, timeout=TIMEOUT):
    """Each line in turn, each within @timeout; the matches."""
    return [k.expect_line(r, timeout) for r in regexes]


def test_devmgr_virt_uart(keel, devmgr_archive):
    """DEVMGR_0001"""
    k = keel(smp=2, initrd=devmgr_archive(INITCALLS + PROBE), append="initcall_debug")
    pid = k.expect_line(STARTED % ("/soc/serial@10000000", "ns16550a", "uart-8250"),
                        TIMEOUT).group(1)
    expect_in_order(k, [
        r"^devmgr: 1 driver started for 1 device; 8 empty virtio slots$",
        r"^initcall devmgr returned 0 after \d+ usecs$",
        r"^probe: lookup console-uart: ok$",
        r"^probe: lookup devmgr: ok$",
        r"^probe: devmgr answers LOOKUP -5, 0x999 -10, READY -7$",
        r"^probe: written through console-uart\r?$",
        r"^initcall probe returned 0 after \d+ usecs$",
        r"^init: ready$"])
    assert k.find(r"^calling  devmgr @ \d+$"), k.why("init did not start devmgr")
    assert k.find(r"^calling  uart-8250 @ %s$" % pid), k.why("init did not start the driver")
    assert k.find(r"^initcall uart-8250 returned 0 after \d+ usecs$"), \
        k.why("the driver did not report ready to init")
    assert k.find(r"^uart-8250: /soc/serial@10000000: ns16550a at 0x10000000, irq 10, "
                  r"reg-shift 0, io-width 1, console$"), k.why("the driver's own line")
    assert not k.find(FAILURES), k.why("devmgr reported a failure")


def test_devmgr_virt_disk(keel, devmgr_archive, tmp_path):
    """DEVMGR_0002"""
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(1 << 20))
    k = keel(smp=2, initrd=devmgr_archive(INITCALLS), append="initcall_debug",
             extra=["-global", "virtio-mmio.force-legacy=false",
                    "-drive", "file=%s,if=none,format=raw,id=hd0" % disk,
                    "-device", "virtio-blk-device,drive=hd0"])
    started = {}
    for _ in range(2):
        m = k.expect_line(r"^devmgr: (/soc/\S+): (\S+) -> (\S+) \(pid (\d+)\)$", TIMEOUT)
        started[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    assert sorted(started) == ["/soc/serial@10000000", "/soc/virtio_mmio@10008000"], \
        k.why("started %s" % started)
    assert started["/soc/virtio_mmio@10008000"][:2] == ("virtio,mmio", "virtio-blk"), \
        k.why("started %s" % started)
    blk = started["/soc/virtio_mmio@10008000"][2]
    k.expect_line(r"^devmgr: 2 drivers started for 2 devices; 7 empty virtio slots$", TIMEOUT)
    k.expect_line(r"^init: ready$", TIMEOUT)
    assert k.find(r"^calling  virtio-blk @ %s$" % blk), k.why("init did not start virtio-blk")
    assert k.find(r"^initcall virtio-blk returned 0 after \d+ usecs$"), \
        k.why("virtio-blk did not report ready (as vda) to init")
    assert k.find(r"^initcall devmgr returned 0 after \d+ usecs$"), k.why("devmgr not ready")
    assert k.find(r"^virtio-blk: /soc/virtio_mmio@10008000: 2048 sectors \(1 MiB\), irq 8,"), \
        k.why("no virtio-blk line for the disk with irq 8")
    assert not k.find(FAILURES), k.why("devmgr reported a failure")


def test_devmgr_restarts_a_killed_driver(keel, devmgr_archive):
    """DEVMGR_0003"""
    k = keel(smp=2, initrd=devmgr_archive(INITCALLS, shell="probe"),
             append="initcall_debug probe_kill=1")
    first = k.expect_line(STARTED % ("/soc/serial@10000000", "ns16550a", "uart-8250"),
                          TIMEOUT).group(1)
    expect_in_order(k, [r"^init: ready$",
                        r"^probe: pid \d+, as the shell$",
                        r"^probe: written through console-uart\r?$",
                        r"^probe: done$"])
    assert k.wait_exit(TIMEOUT) == 0, k.why("QEMU exit status %s" % k.status)
    # The probe, devmgr and the drivers run at once: what each says, not the order.
    assert k.find(r"^probe: kill uart-8250\[%s\]: success$" % first), k.why("no kill")
    assert k.find(r"^init: uart-8250\[%s\] killed$" % first), k.why("no kill line")
    assert k.find(r"^init: restarting uart-8250 (?:in \d+ ms )?\(restart 1\)$"), \
        k.why("no restart line")
    pids = [m.group(1) for m in k.find_all(r"^calling  uart-8250 @ (\d+)$")]
    assert len(pids) == 2 and pids[1] != first, k.why("no restarted uart-8250 with a new pid")
    assert len(k.find_all(r"^initcall uart-8250 returned 0 after")) == 2, \
        k.why("the restarted driver did not report ready")
    assert len(k.find_all(r"^uart-8250: /soc/serial@10000000: ns16550a at 0x10000000, "
                          r"irq 10,")) == 2, k.why("the restarted driver has no irq 10")
    assert k.find(r"^probe: written through console-uart after the restart\r?$"), \
        k.why("console-uart does not reach the restarted driver")
    assert not k.find(FAILURES), k.why("devmgr reported a failure")


def test_devmgr_driver_killed_five_times_comes_back_every_time(keel, devmgr_archive):
    """DEVMGR_0005"""
    k = keel(smp=2, initrd=devmgr_archive(INITCALLS, shell="probe"),
             append="initcall_debug probe_kill=5")
    k.expect_line(r"^probe: done$", TIMEOUT)
    assert k.wait_exit(TIMEOUT) == 0, k.why("QEMU exit status %s" % k.status)
    restarts = [m.group(1) for m in k.find_all(
        r"^init: restarting uart-8250 (?:in \d+ ms )?\(restart (\d)\)$")]
    assert restarts == ["1", "2", "3", "4", "5"], k.why("restarts %s" % restarts)
    assert len(k.find_all(r"^probe: written through console-uart after the restart")) == 5, \
        k.why("console-uart did not reach each restarted driver")
    assert not k.find(r"giving up"), k.why("init gave up on the driver")


def test_devmgr_uart_interrupt_brings_input(keel, devmgr_archive):
    """DEVMGR_0006"""
    k = keel(smp=2, initrd=devmgr_archive(INITCALLS, shell="probe"),
             append="initcall_debug probe_read=1")
    k.expect_line(r"^probe: type a line$", TIMEOUT)
    k.send("hello keel\r")
    k.expect_line(r"^probe: read \"hello keel\" through console-uart: success$", TIMEOUT)
    k.expect_line(r"^probe: done$", TIMEOUT)
    assert k.wait_exit(TIMEOUT) == 0, k.why("QEMU exit status %s" % k.status)


def test_devmgr_sifive_u(keel, devmgr_archive):
    """DEVMGR_0004"""
    k = keel(machine="sifive_u", smp=5, initrd=devmgr_archive(INITCALLS + PROBE),
             append="initcall_debug")
    console = k.expect_line(STARTED % ("/soc/serial@10010000", r"sifive,uart0", "uart-sifive"),
                            TIMEOUT).group(1)
    k.expect_line(STARTED % ("/soc/serial@10011000", r"sifive,uart0", "uart-sifive"), TIMEOUT)
    k.expect_line(r"^devmgr: 2 drivers started for 2 devices; 0 empty virtio slots$", TIMEOUT)
    k.expect_line(r"^initcall devmgr returned 0 after \d+ usecs$", TIMEOUT)
    expect_in_order(k, [r"^probe: lookup console-uart: ok$",
                        r"^probe: written through console-uart\r?$",
                        r"^init: ready$"])
    started = [m.group(1) for m in k.find_all(r"^calling  uart-sifive @ (\d+)$")]
    assert console in started and len(started) == 2, k.why("init started %s" % started)
    assert len(k.find_all(r"^initcall uart-sifive returned 0 after")) == 2, \
        k.why("the two UART drivers did not report ready to init")
    for irq, addr in ((4, "10010000"), (5, "10011000")):
        assert k.find(r"^uart-sifive: /soc/serial@%s: sifive,uart0 at 0x%s, irq %d,"
                      % (addr, addr, irq)), k.why("no uart-sifive line with irq %d" % irq)
    assert not k.find(FAILURES), k.why("devmgr reported a failure")

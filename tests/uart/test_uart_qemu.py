"""The UART driver servers on QEMU, with the real core: uart-launch
(tests/uart/uart_launch.c) stands in for devmgr, starts the driver with
its MMIO window and IRQ, takes its PROTO_READY, writes a line through it
and reads a typed line back through the input notification.

  UART_0001  uart-8250 on virt's ns16550a, IRQ 10
  UART_0002  uart-8250 on virt's ns16550a without an IRQ (10 ms polling)
  UART_0003  uart-sifive on sifive_u's UART0, IRQ 4

Each machine boots its own initramfs (build/uart/initramfs-*.cpio, from
servers/uart/uart.ninja: init, uart-launch, the driver; no shell). The
runner is tests/boot/keel.py."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "boot"))
import keel as K  # noqa: E402

INITRD = os.path.join(K.BUILD, "uart")

CASES = {
    "UART_0001": dict(machine="virt", smp=2, initrd="initramfs-virt.cpio",
                      start=r"^uart-8250: /soc/serial@10000000: ns16550a at 0x10000000, "
                            r"irq 10, reg-shift 0, io-width 1, console$",
                      driver="/sbin/uart-8250", poweroff=True),
    "UART_0002": dict(machine="virt", smp=2, initrd="initramfs-virt-poll.cpio",
                      start=r"^uart-8250: /soc/serial@10000000: ns16550a at 0x10000000, "
                            r"no irq, reg-shift 0, io-width 1, console$",
                      driver="/sbin/uart-8250", poweroff=True),
    "UART_0003": dict(machine="sifive_u", smp=5, initrd="initramfs-sifive.cpio",
                      start=r"^uart-sifive: /soc/serial@10010000: sifive,uart0 at 0x10010000, "
                            r"irq 4, reg-shift 2, io-width 4, console$",
                      driver="/sbin/uart-sifive", poweroff=False),
}


@pytest.fixture
def run(request):
    runners = []

    def start(case_id, case):
        initrd = os.path.join(INITRD, case["initrd"])
        if not os.path.exists(initrd):
            pytest.fail("%s missing: run ninja uart-tests" % initrd)
        if not os.path.exists(os.path.join(K.BUILD, "Image")):
            pytest.fail("build/Image missing: run ninja")
        k = K.Keel("uart-" + case_id, machine=case["machine"], smp=case["smp"],
                   initrd=initrd, append="initcall_timeout=60000")
        runners.append(k)
        return k

    yield start
    for k in runners:
        k.kill()
        if request.session.testsfailed:
            k.save_log()


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_uart_driver_on_qemu(run, case_id):
    case = CASES[case_id]
    k = run(case_id, case)
    k.expect_line(case["start"])
    k.expect_line(r'^uart-launch: %s \(pid \d+\) ready as "console-uart"$' % case["driver"])
    # Written by the driver itself, straight to the UART ("\n" went out as "\r\n").
    k.expect_line(r"^uart-launch: hello through the driver$")
    k.expect_line(r"^uart-launch: CON_WRITE took 38 of 38 bytes$")
    k.expect_line(r"^uart-launch: type a line$")
    k.send("ping\r")
    k.expect_line(r'^uart-launch: read "ping" after [1-9]\d* input notifications?$')
    k.expect_line(r"^init: ready$")
    if case["poweroff"]:
        assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)

"""QEMU sifive_u: the same Image skips the E51 monitor hart, boots on the
U54s, and, with no poweroff device, ends in a reset (-no-reboot: exit 0)."""


def test_sifive_u_skips_monitor_hart_and_resets(keel):
    k = keel(machine="sifive_u", smp=5)
    status = k.boot_to_poweroff()
    reset = k.find(r"\] power: no poweroff device in the device tree; resetting instead$")
    assert reset, k.why("no `power: no poweroff device ...` line")
    assert status == 0, k.why("QEMU exit status %s, expected 0 (reset under -no-reboot)"
                              % status)

    assert k.find(r"\] dt: machine model: SiFive HiFive Unleashed A00 \("), \
        k.why("no `dt: machine model: SiFive HiFive Unleashed A00`")
    table = k.hart_table()
    assert sorted(table) == [0, 1, 2, 3, 4], k.why("cpu: lines list harts %s" % sorted(table))
    state, _, mmu, boot = table[0]
    assert state != "usable" and mmu == "no MMU" and not boot, \
        k.why("hart 0 (E51) is listed as %r, expected skipped with no MMU" % (table[0],))
    unusable = [h for h in (1, 2, 3, 4) if table[h][0] != "usable"]
    assert not unusable, k.why("U54 harts %s not usable" % unusable)
    assert k.find(r"\] cpu: 5 harts in the device tree, 4 usable, "), \
        k.why("no `cpu: 5 harts in the device tree, 4 usable` line")

    sbi = k.opensbi_boot_hart()
    assert sbi in (1, 2, 3, 4), k.why("OpenSBI's Boot HART ID is %r" % sbi)
    marked = [h for h, e in table.items() if e[3]]
    assert marked == [sbi], k.why("the table marks %s as boot hart, OpenSBI %d" % (marked, sbi))
    assert k.find(r"\] smp: boot hart %d is cpu 0; 4 usable harts$" % sbi), \
        k.why("no `smp: boot hart %d is cpu 0; 4 usable harts`" % sbi)
    assert k.find(r"\] smp: brought up 4 of 4 harts"), k.why("not all 4 U54s came up")
    k.check_stamps()

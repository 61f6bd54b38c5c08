"""keel.py - drive Keel on QEMU through its serial console.

A small runner in the manner of U-Boot's test/py: spawn QEMU under
pexpect, wait for console lines by regex with a timeout (never a fixed
sleep), keep the whole log, wait for QEMU to exit and hand back its exit
status. The paths (QEMU, firmware) come from build/config.ninja, so the
tests follow ./configure. The QEMU options mirror tools/qemu-args.

    k = Keel("virt-smp4", smp=4, append="selftest=core")
    k.expect_line(r"core: bring-up done")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s" % k.status)

tests/boot/conftest.py hands runners out through the `keel` fixture,
which kills QEMU on teardown and saves the console log of a failed test
to build/test-logs/<test>.log; every message from here names that path.
"""

import os
import re
import subprocess
import time

import pexpect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
LOG_DIR = os.path.join(BUILD, "test-logs")

BOOT_TIMEOUT = 30  # s: one boot of a few harts on a 2-core CI machine
BIG_BOOT_TIMEOUT = 120  # s: 32 harts and more

# "[    0.038389] Keel version ..." (the log format: docs/boot.md)
STAMP_RE = re.compile(r"^\[\s*(\d+)\.(\d{6})\] ")

# The lines of a boot without an initramfs (it ends in "no initramfs"), in order.
MILESTONES = [
    r"\] Keel version ",
    r"\] sbi: SBI specification v\d+\.\d+",
    r"\] dt: machine model: ",
    r"\] cpu: \d+ harts in the device tree, \d+ usable",
    r"\] mem: \d+ MiB of memory in \d+ regions?$",
    r"\] Kernel command line: ",
    r"\] smp: boot hart \d+ is cpu 0",
    r"\] pmem: \d+ pages free",
    r"\] smp: brought up \d+ of \d+ harts",
    r"\] core: bring-up done ",
    r"\] core: no initramfs; powering off$",
]

# Facts the tests saw but do not assert; conftest.py prints them at the end.
NOTES = []


CSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def screen_line(raw):
    """What a terminal shows of a console line that carries the shell's
    editing (ESC [ sequences): the part after its last carriage return,
    without the escape sequences. The shell redraws its whole line after
    a CR, and the console server clears it (CR, ESC [ K) before someone
    else's output (servers/console/console.c)."""
    if "\x1b" not in raw:
        return raw
    return CSI_RE.sub("", raw.rsplit("\r", 1)[-1])


def config(path=os.path.join(BUILD, "config.ninja")):
    """The `key = value` lines ./configure wrote, as a dict."""
    conf = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, _, val = line.partition("=")
            conf[key.strip()] = val.strip()
    return conf


def symbols(conf, elf="keel.elf"):
    """{symbol: address} of build/@elf (keel.elf for build/Image,
    keel-test.elf for the test Image), from nm."""
    out = subprocess.run([conf["cross"] + "nm", os.path.join(BUILD, elf)],
                         check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3:
            syms[f[2]] = int(f[0], 16)
    return syms


def default_image(append=None):
    """build/Image, or build/Image-test (the one with the self-tests) for selftest=."""
    wants_tests = append is not None and any(w.startswith("selftest=") for w in append.split())
    return os.path.join(BUILD, "Image-test" if wants_tests else "Image")


class Keel:
    """One QEMU run of build/Image (build/Image-test for selftest=), read line by line."""

    def __init__(self, name, machine="virt", smp=1, mem="256M", append=None,
                 bios=None, dtb=None, kernel=None, initrd=None, extra=(), conf=None,
                 log_dir=LOG_DIR):
        conf = conf or config()
        self.name = name
        self.log_path = os.path.join(log_dir, name + ".log")
        self.lines = []  # complete console lines, without line ends
        self.partial = ""  # what came after the last line end, at EOF
        self.status = None  # QEMU's exit status once it has exited
        args = ["-M", machine, "-smp", str(smp), "-m", mem,
                "-nographic", "-no-reboot", "-bios", bios or conf["firmware"],
                "-kernel", kernel or default_image(append)]
        if append is not None:
            args += ["-append", append]
        if dtb:
            args += ["-dtb", dtb]
        if initrd:
            args += ["-initrd", initrd]
        args += list(extra)
        self.command = " ".join(_quote(a) for a in [conf["qemu"]] + args)
        self.proc = pexpect.spawn(conf["qemu"], args, encoding="utf-8",
                                  codec_errors="replace", timeout=BOOT_TIMEOUT,
                                  maxread=65536, echo=False)

    def why(self, what):
        """An assertion message: @what, and where the whole log is."""
        return "%s (console log: %s)" % (what, self.log_path)

    # ---- reading the console ----

    def _read_line(self, deadline):
        """The next complete line; None at EOF; pexpect.TIMEOUT at @deadline."""
        left = max(0.0, deadline - time.monotonic())
        i = self.proc.expect(["\r?\n", pexpect.EOF, pexpect.TIMEOUT], timeout=left)
        if i == 2:
            # What arrived stays in proc.buffer for the next call.
            raise pexpect.TIMEOUT("no complete console line")
        if i == 1:
            self.partial += self.proc.before or ""
            self._reap()
            return None
        line = screen_line(self.proc.before.rstrip("\r"))
        self.lines.append(line)
        return line

    def expect_line(self, regex, timeout=BOOT_TIMEOUT):
        """Wait for a console line that @regex matches (re.search); the match."""
        pat = re.compile(regex)
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._read_line(deadline)
            except pexpect.TIMEOUT:
                raise AssertionError(self.why(
                    "no line matching %r within %g s" % (regex, timeout))) from None
            if line is None:
                raise AssertionError(self.why(
                    "QEMU exited (status %s) before a line matching %r"
                    % (self.status, regex)))
            m = pat.search(line)
            if m:
                return m

    def send(self, text):
        """Type @text on the console (the shell reads it through the firmware)."""
        self.proc.send(text)

    def expect_text(self, regex, timeout=BOOT_TIMEOUT):
        """Wait for @regex anywhere in the output, also mid-line (a boot
        loader's prompt or countdown); the match. What came before it is
        kept in the log as lines; the rest of the line is read on."""
        try:
            self.proc.expect(regex, timeout=timeout)
        except pexpect.TIMEOUT:
            raise AssertionError(self.why(
                "no text matching %r within %g s" % (regex, timeout))) from None
        except pexpect.EOF:
            self.partial += self.proc.before or ""
            self._reap()
            raise AssertionError(self.why(
                "QEMU exited (status %s) before text matching %r" % (self.status, regex)))
        seen = (self.proc.before or "") + (self.proc.after or "")
        self.lines += [line.rstrip("\r") for line in seen.split("\n")]
        return self.proc.match

    def wait_exit(self, timeout=BOOT_TIMEOUT):
        """Read the console to its end; QEMU's exit status (-N: killed by signal N)."""
        if self.proc.closed:
            return self.status
        deadline = time.monotonic() + timeout
        try:
            while self._read_line(deadline) is not None:
                pass
        except pexpect.TIMEOUT:
            raise AssertionError(self.why(
                "QEMU still running after %g s" % timeout)) from None
        return self.status

    def _reap(self):
        """At EOF: wait for QEMU and keep its exit status."""
        self.proc.close()
        if self.proc.signalstatus is not None:
            self.status = -self.proc.signalstatus
        else:
            self.status = self.proc.exitstatus

    def boot_to_poweroff(self, timeout=BOOT_TIMEOUT):
        """Wait for each boot milestone in order, then QEMU's exit; its status."""
        deadline = time.monotonic() + timeout
        for regex in MILESTONES:
            self.expect_line(regex, max(0.0, deadline - time.monotonic()))
        return self.wait_exit(max(0.0, deadline - time.monotonic()))

    # ---- what the log says ----

    @property
    def log(self):
        """Everything QEMU printed that was read so far, lines and the rest."""
        rest = self.partial
        if not self.proc.closed:
            rest += self.proc.buffer
        return "\n".join(self.lines + ([rest] if rest else []))

    def find(self, regex):
        """The match on the first line @regex matches, or None."""
        pat = re.compile(regex)
        for line in self.lines:
            m = pat.search(line)
            if m:
                return m
        return None

    def find_all(self, regex):
        """The matches on every line @regex matches."""
        pat = re.compile(regex)
        return [m for m in map(pat.search, self.lines) if m]

    def keel_lines(self):
        """The lines from Keel's banner on (OpenSBI's come first)."""
        for i, line in enumerate(self.lines):
            if "Keel version" in line:
                return self.lines[i:]
        return []

    def opensbi_boot_hart(self):
        """OpenSBI's `Boot HART ID`, or None."""
        m = self.find(r"^Boot HART ID\s*:\s*(\d+)\s*$")
        return int(m.group(1)) if m else None

    def hart_table(self):
        """Keel's `cpu: hart N:` and `cpu: harts A-B:` lines as
        {hartid: (state, isa, mmu, boot)}; a hart listed twice fails."""
        one = re.compile(r"\] cpu: hart (\d+): ([^,]+), ([^,]+), (.+?)( \(boot hart\))?$")
        run = re.compile(r"\] cpu: harts (\d+)-(\d+): ([^,]+), ([^,]+), (.+)$")
        table = {}
        for line in self.lines:
            m = one.search(line)
            if m:
                ids = [int(m.group(1))]
                entry = (m.group(2), m.group(3), m.group(4), bool(m.group(5)))
            else:
                m = run.search(line)
                if not m:
                    continue
                lo, hi = int(m.group(1)), int(m.group(2))
                assert lo < hi, self.why("hart run goes backwards: %r" % line)
                ids = range(lo, hi + 1)
                entry = (m.group(3), m.group(4), m.group(5), False)
            for h in ids:
                assert h not in table, self.why("hart %d is listed twice" % h)
                table[h] = entry
        return table

    def stamps(self):
        """The [seconds.micros] stamp of each Keel line, in microseconds,
        in order; a Keel line without one fails."""
        out = []
        for line in self.keel_lines():
            if not line.strip():
                continue
            m = STAMP_RE.match(line)
            assert m, self.why("a Keel line without a [seconds.micros] stamp: %r" % line)
            out.append(int(m.group(1)) * 1000000 + int(m.group(2)))
        return out

    def check_stamps(self):
        """Every Keel line is stamped, and the stamps never go backwards."""
        stamps = self.stamps()
        assert len(stamps) >= len(MILESTONES), self.why("only %d stamped lines" % len(stamps))
        lines = [line for line in self.keel_lines() if line.strip()]
        for i in range(1, len(stamps)):
            assert stamps[i] >= stamps[i - 1], self.why(
                "a stamp goes backwards: %r then %r" % (lines[i - 1], lines[i]))

    def bringup_problems(self, usable):
        """What is wrong with SMP bring-up, as messages; [] when it says
        `brought up N of N` with N = @usable, names no missing hart, and
        Keel's cpu 0 is OpenSBI's boot hart."""
        out = []
        up = self.find(r"\] smp: brought up (\d+) of (\d+) harts")
        if not up:
            out.append("no `smp: brought up` line")
        elif (int(up.group(1)), int(up.group(2))) != (usable, usable):
            out.append("`%s`, expected %d of %d" % (up.group(0)[2:], usable, usable))
        # "smp: hart H: no check-in ...", "...: hart_start: ...", "...: no stack: ..."
        out += ["`%s`" % m.group(1) for m in self.find_all(r"\] (smp: hart \d+: .*)$")]
        sbi = self.opensbi_boot_hart()
        cpu0 = self.find(r"\] smp: boot hart (\d+) is cpu 0;")
        done = self.find(r"\] core: bring-up done in \d+ us on hart (\d+);")
        if sbi is None:
            out.append("no `Boot HART ID` from OpenSBI")
        elif not cpu0 or int(cpu0.group(1)) != sbi:
            out.append("cpu 0 is hart %s, OpenSBI booted hart %d"
                       % (cpu0 and cpu0.group(1), sbi))
        elif done and int(done.group(1)) != sbi:
            out.append("`core: bring-up done` on hart %s, OpenSBI booted hart %d"
                       % (done.group(1), sbi))
        return out

    def ktap_problems(self):
        """What is wrong with a self-test run's KTAP report, as messages;
        [] when the plan is 1..P with P > 0, the results are `ok 1`..`ok P`
        in order, the closing line is `P passed, 0 failed`, no panic."""
        plan = self.find(r"\] 1\.\.(\d+)$")
        if not plan:
            return ["no KTAP plan (`1..N`)"]
        want = int(plan.group(1))
        out = [] if want else ["an empty KTAP plan (1..0)"]
        results = self.find_all(r"\] (ok|not ok) (\d+) (\S+)$")
        out += ["`%s`" % m.group(0)[2:] for m in results if m.group(1) != "ok"]
        got = [int(m.group(2)) for m in results]
        if got != list(range(1, len(got) + 1)) or len(got) > want:
            out.append("results numbered %s under plan 1..%d" % (got, want))
        closing = self.find(r"\] (\d+) passed, (\d+) failed$")
        if not closing:
            started = self.find_all(r"\]     # ([A-Z]+_\d{4}): ")
            out.append("no closing `N passed, N failed` line%s"
                       % ("; the last case started: " + started[-1].group(1) if started else ""))
        elif closing.group(1, 2) != (str(want), "0"):
            out.append("`%s`, expected `%d passed, 0 failed`" % (closing.group(0)[2:], want))
        panic = self.find(r"\] (Kernel panic - not syncing: .*)$")
        if panic:
            out.append("`%s`" % panic.group(1))
        return out

    # ---- teardown ----

    def save_log(self):
        """Write the command, the exit status and the whole console log
        to self.log_path; the path."""
        if not self.proc.closed:
            # Take in what QEMU printed that nobody read yet.
            try:
                if self.proc.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=0.5) == 0:
                    self.partial += self.proc.before or ""
            except (pexpect.ExceptionPexpect, OSError):
                pass
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        with open(self.log_path, "w") as f:
            f.write("# %s\n" % self.command)
            f.write("# exit status: %s\n" % ("still running" if self.status is None
                                             else self.status))
            f.write(self.log + "\n")
        return self.log_path

    def kill(self):
        """Make sure QEMU is gone; safe to call more than once."""
        if not self.proc.closed:
            self.proc.close(force=True)


def _quote(arg):
    if re.fullmatch(r"[\w@%+=:,./-]+", arg):
        return arg
    return "'%s'" % arg.replace("'", "'\\''")

"""The shell as people use it (servers/sh/sh.c), typed through pexpect:
line editing (arrows, Home, End, backspace, Ctrl-U, Ctrl-W), history on
the arrow keys, Ctrl-C that kills the program `run` waits for, Ctrl-D at
an empty line, numbers parsed strictly with the reason for each refusal,
and output from elsewhere that redraws the prompt and the line being
typed (servers/console/console.c).

Keys are sent as a VT100 terminal sends them: ESC [ A..D for the arrows,
ESC [ H / ESC [ F for Home and End, 0x7f for backspace."""

import re

import pytest

import keel as K
from test_servers import INITRAMFS, boot, output, shell

UP, DOWN, RIGHT, LEFT = "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D"
HOME, END, BACKSPACE = "\x1b[H", "\x1b[F", "\x7f"
CTRL_C, CTRL_D, CTRL_U, CTRL_W = "\x03", "\x04", "\x15", "\x17"
SINGLE = ["-accel", "tcg,thread=single"]  # hart 0 is then always the boot hart


def typed(k, keys, expect):
    """Type @keys and Enter; the match of the first line @expect matches."""
    return shell(k, keys, expect)


def test_line_editing_keys(keel):
    k = boot(keel)
    typed(k, "cho hello" + HOME + "e" + END + " world", r"^hello world$")
    typed(k, "echo ac" + LEFT + "b" + RIGHT + "!", r"^abc!$")
    typed(k, "echo abcx" + BACKSPACE, r"^abc$")
    typed(k, "echo axc" + LEFT + BACKSPACE + "b", r"^abc$")
    typed(k, "garbage typed" + CTRL_U + "echo after-ctrl-u", r"^after-ctrl-u$")
    typed(k, "echo keep drop" + CTRL_W, r"^keep$")
    typed(k, "echo one two  " + CTRL_W + "three", r"^one three$")
    assert not k.find(r"unknown command"), k.why("an edit reached the shell as a command")


def test_history_arrow_keys(keel):
    k = boot(keel)
    typed(k, "echo first", r"^first$")
    typed(k, "echo second", r"^second$")
    typed(k, UP + UP, r"^first$")
    # history: first, second, first. Up x3 is the oldest, Down goes back one.
    typed(k, UP + UP + UP + DOWN, r"^second$")
    # Down past the newest: the line typed before the history was browsed.
    typed(k, "echo new" + UP + DOWN, r"^new$")


def test_ctrl_c_kills_the_foreground_program(keel):
    k = boot(keel)
    k.send("run /bin/sleep\r")
    pid = k.expect_line(r"^sleep: pid (\d+) sleeping forever$").group(1)
    k.send(CTRL_C)
    k.expect_line(r"^/bin/sleep: killed by Ctrl-C$")
    ps = output(k, "ps")
    assert not [l for l in ps if re.match(r"\s*%s\s" % pid, l)], \
        k.why("pid %s still in ps after Ctrl-C: %s" % (pid, ps))
    # At the prompt, Ctrl-C drops the line.
    k.send("echo never" + CTRL_C)
    k.expect_line(r"\^C$")
    typed(k, "echo next", r"^next$")
    assert not k.find(r"^never$"), k.why("a line dropped by Ctrl-C ran")


def test_ctrl_d_at_an_empty_line_exits(keel):
    k = boot(keel)
    k.send("echo x" + CTRL_D)  # not empty: deletes under the cursor, nothing else
    typed(k, "", r"^x$")
    k.send(CTRL_D)
    k.expect_line(r"exit$")
    assert k.wait_exit() == 0, k.why("QEMU exit status %s after the shell exited" % k.status)


def test_numbers_are_parsed_strictly(keel):
    k = keel(smp=4, initrd=INITRAMFS, extra=SINGLE)
    k.expect_line(r"^init: ready$", K.BOOT_TIMEOUT)
    k.expect_line(r"^Keel shell\.")
    assert k.opensbi_boot_hart() == 0, k.why("thread=single boots on hart 0")
    typed(k, "hart offline abc", r"^hart offline abc: not a number$")
    typed(k, "hart offline 1x", r"^hart offline 1x: not a number$")
    typed(k, "hart offline 0", r"^hart offline 0: the boot hart; it stays online$")
    typed(k, "hart offline 99", r"^hart offline 99: no such hart")
    typed(k, "kill abc", r"^kill: abc: not a number$")
    typed(k, "kill -3", r"^kill: -3: out of range$")
    typed(k, "kill 4000", r"^kill: 4000: no such process$")
    typed(k, "exit abc", r"^exit: abc: not a number")
    typed(k, "exit 300", r"^exit: 300: out of range")
    harts = output(k, "harts")
    assert len([l for l in harts if " online " in l]) == 4, \
        k.why("a refused command took a hart offline: %s" % harts)
    typed(k, "hart offline 3", r"^hart 3: offline$")
    typed(k, "hart online 3", r"^hart 3: online$")


def test_echo_redirect_needs_a_file_name(keel):
    k = boot(keel)
    typed(k, "echo x >", r"^echo: >: missing file name$")
    typed(k, "echo x >>", r"^echo: >>: missing file name$")


def test_output_from_elsewhere_redraws_the_line(keel):
    k = boot(keel)
    k.send("/bin/sleep 1 &\r")
    pid = k.expect_line(r"^\[(\d+)\] /bin/sleep$").group(1)
    k.send("echo typed-before")
    # The line is cleared (CR, ESC [ K), the program's line printed, the
    # prompt and the typed text drawn again after it.
    k.expect_text(r"\r\x1b\[Ksleep: pid %s woke after 1 s\r*\n# echo typed-before" % pid, 10)
    typed(k, " and-after", r"^typed-before and-after$")
    k.expect_line(r"^\[%s\] done, exit status 0$" % pid)

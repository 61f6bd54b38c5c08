"""The docs say only what exists: every file a page (README.md,
docs/*.md) names in backticks or links to, every section a link points
at (a markdown anchor), and every `ninja TARGET` it shows. And `ninja
help` lists every target the build has.

A name is taken for a file when it starts with a folder of the tree
(core/, tools/, tests/, ...) or is a top-level file; names with
placeholders (<name>, {a,b}, *) and generated files under build/ are
left out. `ninja compdb` covers every C and assembly file of the tree."""

import glob
import json
import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
TOP_DIRS = ("boot", "boards", "core", "docs", "include", "initrd", "sbi", "servers", "tests",
            "tools")
TOP_FILES = ("README.md", "configure", "build.ninja", "pytest.ini", ".clang-format")
# Other projects' files that docs/boards.md names (U-Boot's source), and the
# worked example of docs/servers.md ("Adding a server"), left out of the tree.
NOT_OURS = ("boot/pxe_utils.c", "include/configs/starfive-jh7100.h",
            "include/configs/starfive-visionfive2.h")
EXAMPLES = ("servers/ping/",)

LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_RE = re.compile(r"`([^`\n]+)`")
NINJA_RE = re.compile(r"\bninja ([a-z][\w-]*)")
HEADING_RE = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def page_ids():
    return [os.path.relpath(p, ROOT) for p in PAGES]


def text_outside_fences(path):
    """The page's lines that are not inside ``` blocks."""
    out, fenced = [], False
    with open(path) as f:
        for line in f:
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if not fenced:
                out.append(line)
    return out


def anchors(path):
    """GitHub's anchors for the headings of @path: lower case, punctuation
    dropped, spaces as hyphens, repeats numbered."""
    seen, out = {}, set()
    for line in text_outside_fences(path):
        m = HEADING_RE.match(line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else "%s-%d" % (slug, n))
    return out


def looks_like_file(name):
    if any(c in name for c in "<>{}[]*$ ") or name.startswith("build/"):
        return False
    if name in NOT_OURS or name.startswith(EXAMPLES):
        return False
    if name in TOP_FILES:
        return True
    first = name.split("/", 1)[0]
    return "/" in name and first in TOP_DIRS


def ninja_targets():
    out = subprocess.run(["ninja", "-t", "targets", "all"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return {line.split(":")[0] for line in out.splitlines()}


@pytest.mark.parametrize("page", PAGES, ids=page_ids())
def test_named_files_exist(page):
    missing = []
    for n, line in enumerate(text_outside_fences(page), 1):
        for m in CODE_RE.finditer(line):
            name = m.group(1).split("::")[0].rstrip(".,:")
            if looks_like_file(name) and not os.path.exists(os.path.join(ROOT, name)):
                missing.append("line %d: %s" % (n, name))
    assert not missing, "%s names files that do not exist: %s" % (
        os.path.relpath(page, ROOT), "; ".join(missing))


@pytest.mark.parametrize("page", PAGES, ids=page_ids())
def test_links_reach_files_and_sections(page):
    bad = []
    here = os.path.dirname(page)
    for n, line in enumerate(text_outside_fences(page), 1):
        for m in LINK_RE.finditer(line):
            target = m.group(1)
            if re.match(r"[a-z]+://", target):
                continue
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(here, path)) if path else page
            if not os.path.exists(dest):
                bad.append("line %d: %s (no such file)" % (n, target))
            elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                bad.append("line %d: %s (no such section)" % (n, target))
    assert not bad, "%s: %s" % (os.path.relpath(page, ROOT), "; ".join(bad))


@pytest.mark.parametrize("page", PAGES, ids=page_ids())
def test_ninja_targets_exist(page):
    targets = ninja_targets()
    bad = []
    for n, line in enumerate(text_outside_fences(page), 1):
        for code in CODE_RE.finditer(line):  # commands are shown as code
            for m in NINJA_RE.finditer(code.group(1)):
                if m.group(1) not in targets:
                    bad.append("line %d: ninja %s" % (n, m.group(1)))
    assert not bad, "%s shows targets the build lacks: %s" % (os.path.relpath(page, ROOT),
                                                              "; ".join(bad))


def test_ninja_help_lists_every_target():
    out = subprocess.run(["ninja", "help"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    named = set(re.findall(r"^\s*ninja ([\w-]+)", out, re.M))
    wanted = {t for t in ninja_targets() if "/" not in t and not t.startswith("package-")}
    assert wanted - named == set(), "ninja help misses %s" % sorted(wanted - named)
    assert named - ninja_targets() - {"help"} == set(), \
        "ninja help names targets the build lacks: %s" % sorted(named - ninja_targets())
    for var in ("T=", "J=", "APPEND=", "QEMU_EXTRA=", "BASELINE=", "TCG="):
        assert var in out, "ninja help does not say what %s does" % var


def test_compdb_covers_every_c_file():
    out = subprocess.run([os.path.join(ROOT, "tools", "compdb")], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    covered = {e["file"] for e in json.loads(out)}
    tracked = subprocess.run(["git", "ls-files", "*.c", "*.S"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    missing = [f for f in tracked if f not in covered]
    assert not missing, "compile_commands.json would miss %s" % missing


DANGLING_RE = re.compile(r"DESIGN\.md|\bissue \d+|\(issue \d+")


def test_no_references_outside_the_repository():
    """The pages, the test drivers and the build's scripts cite nothing the
    repository does not hold: no design document, no issue numbers."""
    files = PAGES + [os.path.join(ROOT, p) for p in (
        "configure", "build.ninja", "tests/stress/stress.py", "tests/bench/bench.py")]
    files += sorted(glob.glob(os.path.join(ROOT, "tests", "**", "*.py"), recursive=True))
    bad = []
    for path in files:
        if path == os.path.abspath(__file__):
            continue
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if DANGLING_RE.search(line):
                    bad.append("%s:%d" % (os.path.relpath(path, ROOT), n))
    assert not bad, "references to what is not in the repository: %s" % bad

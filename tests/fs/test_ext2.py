"""
test_ext2.py - servers/fs/ext2.c against e2fsprogs, through build/host/ext2_host.

Images come from `mke2fs -t ext2 -d <staged tree>`; every mutation is
followed by a sync, then `e2fsck -fn` (must exit 0) and debugfs reading
the result back, so the library is judged by the reference tools, not by
itself. The harness is built with ASan+UBSan; corrupt images must give
an error, never a sanitizer report, a crash or a hang. Crafted ones (one
per kind of corruption) must give the exact error and "corrupt:" line,
and change no block the refused operation had no right to: images are
compared byte for byte, and e2fsck -fn must say the same before and after.

IDs: EXT2_R* read, EXT2_W* write, EXT2_D* directories, EXT2_S* space,
EXT2_M* mount checks, EXT2_C* corrupt images.

`ninja fs-tests` builds the harnesses (or under $KEEL_BUILDDIR). A missing
harness or e2fsprogs tool is a failure, not a skip.
"""
import os
import random
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
BUILD = Path(os.environ.get("KEEL_BUILDDIR", ROOT / "build"))
HOST = BUILD / "host" / "ext2_host"
HOST_SMALL = BUILD / "host" / "ext2_host_small"	# two-block cache: every call evicts
SBIN = ["/sbin", "/usr/sbin"]

KEEL_EINVAL, KEEL_ENOMEM, KEEL_ENOTSUP, KEEL_EBUSY, KEEL_ENOENT = 1, 2, 3, 4, 5
KEEL_ERANGE, KEEL_EDENIED, KEEL_EIO = 6, 7, 9
FS_O_CREATE, FS_O_TRUNC, FS_O_APPEND = 1, 2, 4

SB = 1024				# superblock offset
MANY = 300				# entries in /many
LONG_NAME = "n" * 255


def tool(name):
    path = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", "")] + SBIN))
    if not path:
        pytest.fail(f"{name} not found: install e2fsprogs (./configure does)", pytrace=False)
    return path


def harness(small=False):
    path = HOST_SMALL if small else HOST
    if not path.exists():
        pytest.fail(f"{path} is missing: run `ninja fs-tests` first", pytrace=False)
    return str(path)


# --- the reference pattern, as ext2_host.c computes it -----------

_BASE = bytes((i * 31) & 0xff for i in range(2048))
_ADD = [bytes((j + k) & 0xff for j in range(256)) for k in range(256)]


def pattern(off, n):
    """Bytes off..off+n of (P * 31 + (P >> 11)) & 0xff."""
    start = off - off % 2048
    out = bytearray()
    for run in range(start // 2048, (off + n + 2047) // 2048):
        out += _BASE.translate(_ADD[run & 0xff])
    return bytes(out[off - start:off - start + n])


# --- running the tools -------------------------------------------------------

def run(img, script, small=False, env=None, timeout=60):
    """Runs a harness script (one command a line); returns (rc, stdout)."""
    if isinstance(script, (list, tuple)):
        script = "\n".join(script) + "\n"
    proc = subprocess.run([harness(small), str(img)], input=script.encode(),
                          capture_output=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))
    err = proc.stderr.decode(errors="replace")
    assert "Sanitizer" not in err and "runtime error" not in err, err
    assert proc.returncode in (0, 2, 3), f"rc {proc.returncode}:\n{err}"
    return proc.returncode, proc.stdout.decode(errors="replace")


def ok(img, script, **kw):
    rc, out = run(img, script, **kw)
    assert rc == 0, out
    return out


def cat(img, path, chunk=None):
    cmd = [harness(), str(img), "cat", path] + ([str(chunk)] if chunk else [])
    proc = subprocess.run(cmd, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stdout[-500:] + proc.stderr
    return proc.stdout


def errors(out):
    """The error names a run printed, in order."""
    return re.findall(r"^error: [^:]+: (\w+)", out, re.M)


def fsck(img):
    proc = subprocess.run([tool("e2fsck"), "-fn", str(img)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, f"e2fsck -fn exit {proc.returncode}:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def debugfs(img, request, write=False):
    cmd = [tool("debugfs")] + (["-w"] if write else []) + ["-R", request, str(img)]
    proc = subprocess.run(cmd, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def dbg_cat(img, path):
    return debugfs(img, f"cat {path}")


def dbg_ls(img, path):
    """Names in a directory, as debugfs lists them (it shows gaps as inode 0)."""
    out = debugfs(img, f"ls -p {path}").decode()
    rows = [f.split("/") for f in out.splitlines() if f.startswith("/")]
    return [r[5] for r in rows if r[1] != "0"]


def dbg_stat(img, path):
    return debugfs(img, f"stat {path}").decode()


def links(img, path):
    return int(re.search(r"Links: (\d+)", dbg_stat(img, path)).group(1))


def info(img):
    out = ok(img, "info")
    return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", out.splitlines()[-2])}


def mkfs(img, root=None, bs=1024, size="8M", opts=()):
    cmd = [tool("mke2fs"), "-q", "-F", "-t", "ext2", "-b", str(bs), *opts]
    if root:
        cmd += ["-d", str(root)]
    subprocess.run(cmd + [str(img), size], check=True, capture_output=True, timeout=60)
    return img


# --- the staged tree ---------------------------------------------------------

def stage(root):
    """Nested dirs, indirect and double-indirect files, an empty file,
    symlinks, hard links, a fifo, a 255-byte name and a big directory."""
    rnd = random.Random(2)
    (root / "a" / "b" / "c").mkdir(parents=True)
    (root / "many").mkdir()
    (root / "emptydir").mkdir()
    (root / "hello.txt").write_bytes(b"hello, world\n")
    (root / "empty").write_bytes(b"")
    (root / "a" / "b" / "c" / "deep.txt").write_bytes(b"deep\n" * 3)
    # 20000 bytes: past the 12 direct blocks at 1 KiB.
    (root / "a" / "mid.bin").write_bytes(rnd.randbytes(20000))
    # 400000 bytes: past 12 + 256 blocks at 1 KiB, so double indirect.
    (root / "a" / "b" / "dbl.bin").write_bytes(rnd.randbytes(400000))
    (root / "with space.txt").write_bytes(b"spaced\n")
    (root / LONG_NAME).write_bytes(b"long name\n")
    for i in range(MANY):
        (root / "many" / f"entry_{i:04d}_{'x' * (i % 40)}").write_bytes(b"%d\n" % i)
    os.symlink("hello.txt", root / "fastlink")
    os.symlink("a/" + "s" * 120, root / "slowlink")
    os.link(root / "hello.txt", root / "hardlink")
    os.mkfifo(root / "fifo")
    return root


def expected_tree(root):
    """What `ext2_host IMG tree /` prints for a staged tree (lost+found added)."""
    lines = {"d /lost+found"}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = "/" + str(p.relative_to(root))
            if p.is_symlink():
                lines.add(f"l {rel} {os.readlink(p)}")
            elif p.is_dir():
                lines.add(f"d {rel}")
            elif p.is_file():
                data = p.read_bytes()
                lines.add(f"f {rel} {len(data)} {zlib.crc32(data):08x}")
            else:
                lines.add(f"o {rel} {0o10000 | (p.lstat().st_mode & 0o7777):06o}")
    return lines


@pytest.fixture(scope="session")
def staged(tmp_path_factory):
    root = stage(tmp_path_factory.mktemp("staged") / "root")
    return root, expected_tree(root)


_images = {}


@pytest.fixture
def image(staged, tmp_path_factory, tmp_path):
    """image(bs=1024, opts=()) -> a fresh copy of the staged tree's image."""
    def make(bs=1024, opts=(), size="8M"):
        key = (bs, tuple(opts), size)
        if key not in _images:
            base = tmp_path_factory.mktemp("base") / "base.img"
            _images[key] = mkfs(base, staged[0], bs, size, opts)
        img = tmp_path / f"img{len(list(tmp_path.iterdir()))}.img"
        shutil.copyfile(_images[key], img)
        return img
    return make


GEOMETRIES = [(1024, ("-I", "128")), (1024, ("-I", "256")), (2048, ()), (4096, ())]
GEOMETRY_IDS = ["1k-i128", "1k-i256", "2k", "4k"]


# --- reading -----------------------------------------------------------------

def test_tools_present():
    """EXT2_R0001: the e2fsprogs tools and both harnesses are there."""
    for name in ("mke2fs", "e2fsck", "debugfs"):
        tool(name)
    harness()
    harness(small=True)


@pytest.mark.parametrize("bs,opts", GEOMETRIES, ids=GEOMETRY_IDS)
def test_read_whole_tree(image, staged, bs, opts):
    """EXT2_R0002: every file, dir and link of the staged tree reads back the same."""
    img = image(bs, opts)
    out = ok(img, "tree /")
    assert set(out.splitlines()) == staged[1]
    assert len(out.splitlines()) == len(staged[1])


@pytest.mark.parametrize("chunk", [1, 333, 1024, 4096, 65536])
def test_read_chunks(image, staged, chunk):
    """EXT2_R0003: reads of any size, across block and indirect boundaries."""
    img = image(1024)
    name = "a/mid.bin" if chunk < 1024 else "a/b/dbl.bin"
    assert cat(img, "/" + name, chunk) == (staged[0] / name).read_bytes()


def test_read_small_cache(image, staged):
    """EXT2_R0004: with a two-block cache the tree still reads back the same."""
    img = image(4096)
    assert set(ok(img, "tree /", small=True).splitlines()) == staged[1]


def test_read_offsets(image, staged):
    """EXT2_R0005: reads at an offset; at and past the end give 0 bytes."""
    img = image(1024)
    data = (staged[0] / "a/b/dbl.bin").read_bytes()
    out = ok(img, ["readat /a/b/dbl.bin 274430 10", "readat /a/b/dbl.bin 399995 100",
                   "readat /a/b/dbl.bin 400000 5", "readat /a/b/dbl.bin 9999999999 5"])
    lines = out.splitlines()
    assert lines[0] == data[274430:274440].hex()
    assert lines[1] == data[399995:].hex()
    assert lines[2] == lines[3] == ""


def test_readdir_skips_dots(image):
    """EXT2_R0006: readdir lists every entry once, never "." or ".."."""
    img = image(1024)
    out = ok(img, "ls /many")
    names = [line.split(" ", 2)[2] for line in out.splitlines()]
    assert len(names) == len(set(names)) == MANY
    assert "." not in names and ".." not in names
    assert ok(img, "ls /emptydir") == ""
    root = ok(img, "ls /")
    assert f"100644 10 {LONG_NAME}" in root.splitlines()
    assert "100644 7 with space.txt" in root.splitlines()


def test_readdir_any_order(image):
    """EXT2_R0010: entries by index in any order, across dirs and changes, agree with a full list."""
    img = image(1024)
    names = [line.split(" ", 2)[2] for line in ok(img, "ls /many").splitlines()]
    order = [0, 1, 2, 150, 151, 3, 299, 300, 5, 6, 0]
    out = ok(img, [f"entry /many {i}" for i in order[:5]] + ["entry /a 0", "entry /a 1"] +
             [f"entry /many {i}" for i in order[5:]])
    got = out.splitlines()
    want = [names[i] if i < MANY else "end" for i in order]
    assert got[:5] + got[7:] == want
    assert sorted(got[5:7]) == ["b", "mid.bin"]
    # A change in between: the remembered place is dropped.
    out = ok(img, ["entry /many 10", f"rm /many/{names[11]}", "entry /many 11",
                   "write /many/zz x", "entry /many 10"])
    assert out.splitlines() == [names[10], names[12], names[10]]


def test_stat_and_lookup(image):
    """EXT2_R0007: stat gives i_mode and size; lookup the inode debugfs sees."""
    img = image(1024)
    out = ok(img, ["stat /", "stat /hello.txt", "stat /a/", "stat //a//b/../b/dbl.bin",
                   "stat /fastlink", "stat /fifo", "lookup /", "lookup /a/b/c/deep.txt"])
    assert out.splitlines()[:6] == ["mode 040755 size 1024", "mode 0100644 size 13",
                                    "mode 040755 size 1024", "mode 0100644 size 400000",
                                    "mode 0120777 size 9", "mode 010644 size 0"]
    assert out.splitlines()[6] == "ino 2"
    ino = re.search(r"Inode: (\d+)", dbg_stat(img, "/a/b/c/deep.txt")).group(1)
    assert out.splitlines()[7] == f"ino {ino}"


def test_lookup_errors(image):
    """EXT2_R0008: missing names, files used as dirs, long names and paths."""
    img = image(1024)
    rc, out = run(img, ["stat /nope", "stat /hello.txt/x", "stat /a/nope/x",
                        f"stat /{'n' * 256}", f"stat /{LONG_NAME}", "stat /" + "a/" * 2100,
                        "ls /hello.txt", "cat /a", "cat /fifo"])
    assert rc == 2
    assert errors(out) == ["ENOENT", "ENOTDIR", "ENOENT", "ERANGE", "ERANGE", "ENOTDIR",
                           "EISDIR", "EINVAL"]


def test_symlinks(image):
    """EXT2_R0009: fast (in-inode) and slow (block) symlinks read as their targets."""
    img = image(4096)
    assert cat(img, "/fastlink") == b"hello.txt"
    assert cat(img, "/slowlink") == b"a/" + b"s" * 120
    assert "Size: 122" in dbg_stat(img, "/slowlink")


# --- writing -----------------------------------------------------------------

@pytest.mark.parametrize("small", [False, True], ids=["cache16", "cache2"])
@pytest.mark.parametrize("bs,opts", GEOMETRIES, ids=GEOMETRY_IDS)
def test_write_new_files(image, bs, opts, small):
    """EXT2_W0001: create, append, overwrite, truncate; debugfs reads the same."""
    img = image(bs, opts)
    ok(img, ["write /new.txt hello\\n", "append /new.txt more\\n", "append /fresh.txt x",
             "pwrite /new.txt 2 LL", "write /trunc.txt 0123456789", "write /trunc.txt ab",
             "writef /flags.txt 1 0 one", "writef /flags.txt 0 8 eight",
             "writef /flags.txt 4 0 +", "writebig /zero.txt 0", "sync"], small=small)
    fsck(img)
    assert dbg_cat(img, "/new.txt") == b"heLLo\nmore\n"
    assert dbg_cat(img, "/fresh.txt") == b"x"
    assert dbg_cat(img, "/trunc.txt") == b"ab"
    assert dbg_cat(img, "/flags.txt") == b"one" + b"\0" * 5 + b"eight+"
    assert dbg_cat(img, "/zero.txt") == b""
    assert cat(img, "/flags.txt") == b"one" + b"\0" * 5 + b"eight+"


@pytest.mark.parametrize("small", [False, True], ids=["cache16", "cache2"])
@pytest.mark.parametrize("bs", [1024, 4096])
def test_write_big(image, bs, small):
    """EXT2_W0002: a 3 MB file in odd chunks: indirect, and double indirect at 1 KiB."""
    img = image(bs)
    size = 3_000_000
    out = ok(img, [f"writebig /big {size} 7001", "sync"], small=small)
    assert f"wrote {size}" in out
    fsck(img)
    assert dbg_cat(img, "/big") == pattern(0, size)
    assert "ok" in ok(img, f"checkbig /big 0 {size}")
    if bs == 1024:
        assert "(DIND)" in dbg_stat(img, "/big")


def test_write_overwrite_middle(image, staged):
    """EXT2_W0003: a write inside an existing indirect file changes just those bytes."""
    img = image(1024)
    data = bytearray((staged[0] / "a/b/dbl.bin").read_bytes())
    ok(img, ["pwrite /a/b/dbl.bin 12000 XYZ", "pwrite /a/b/dbl.bin 280575 ABCD",
             "pwrite /a/b/dbl.bin 399998 tail!", "sync"])
    data[12000:12003] = b"XYZ"
    data[280575:280579] = b"ABCD"
    data[399998:] = b"tail!"
    fsck(img)
    assert dbg_cat(img, "/a/b/dbl.bin") == bytes(data)


def test_write_sparse_triple_indirect(image):
    """EXT2_W0004: a write at 70 MB of a 1 KiB file system goes through the triple indirect block."""
    img = image(1024)
    off = 70_000_000
    ok(img, [f"pwritebig /sparse {off} 5000", "writebig /hole 0", f"pwritebig /hole 100000 10",
             "sync"])
    fsck(img)
    st = dbg_stat(img, "/sparse")
    assert "(TIND)" in st and f"Size: {off + 5000}" in st
    data = dbg_cat(img, "/sparse")
    assert len(data) == off + 5000 and data[off:] == pattern(off, 5000)
    assert data[:off].count(0) == off
    assert dbg_cat(img, "/hole") == bytes(100000) + pattern(100000, 10)


def test_write_large_file(image):
    """EXT2_W0005: past 4 GiB (i_size_high) on a 4 KiB file system, sparse."""
    img = image(4096)
    off = 5 << 30
    out = ok(img, [f"pwritebig /huge {off} 9000", f"checkbig /huge {off} 9000", "stat /huge",
                   "sync"])
    assert f"size {off + 9000}" in out
    fsck(img)
    assert f"Size: {off + 9000}" in dbg_stat(img, "/huge")


def test_write_truncate_frees(image):
    """EXT2_W0006: truncating and removing give every block back."""
    img = image(1024)
    before = info(img)["free_blocks"]
    ok(img, ["writebig /t 500000", "write /t short", "sync"])
    assert info(img)["free_blocks"] == before - 1
    ok(img, ["rm /t", "rm /a/b/dbl.bin", "sync"])
    fsck(img)
    assert info(img)["free_blocks"] == before + 391 + 3	# data, IND, DIND and one IND


def test_write_refusals(image):
    """EXT2_W0007: writes to dirs, missing files without create, bad flags."""
    img = image(1024)
    rc, out = run(img, ["write /a x", "writef /missing 0 0 x", "writef /x 8 0 x",
                        "write / x", "write /fifo x", "write /fastlink x", "write /nodir/f x",
                        "write /a/b/.. x", "sync"])
    assert errors(out) == ["EISDIR", "ENOENT", "EINVAL", "EISDIR", "EINVAL", "EINVAL",
                           "ENOENT", "EISDIR"]
    fsck(img)


def test_write_times(image):
    """EXT2_W0008: new inodes and changed dirs take the clock callback's time."""
    img = image(1024)
    ok(img, ["write /timed x", "mkdir /tdir", "sync"], env={"EXT2_HOST_TIME": "1234567890"})
    assert "mtime: 0x499602d2" in dbg_stat(img, "/timed")
    assert "ctime: 0x499602d2" in dbg_stat(img, "/tdir")
    assert "mtime: 0x499602d2" in dbg_stat(img, "/")


def test_write_xattr_block_released(image):
    """EXT2_W0009: removing a file with an xattr block frees the block."""
    img = image(1024, ("-I", "128"))
    debugfs(img, "ea_set /hello.txt user.note some-value", write=True)
    debugfs(img, "ea_set /a/mid.bin user.note other-value", write=True)
    assert "File ACL: 0" not in dbg_stat(img, "/hello.txt")
    before = info(img)["free_blocks"]
    ok(img, ["rm /hello.txt", "rm /hardlink", "write /a/mid.bin x", "sync"])
    fsck(img)
    assert info(img)["free_blocks"] == before + 2 + 20	# data + xattr, 21 - 1
    assert "user.note" in debugfs(img, "ea_list /a/mid.bin").decode()


def test_hard_links(image):
    """EXT2_W0010: removing one of two links keeps the file, with one link."""
    img = image(1024)
    assert links(img, "/hardlink") == 2
    ok(img, ["rm /hello.txt", "sync"])
    fsck(img)
    assert links(img, "/hardlink") == 1
    assert dbg_cat(img, "/hardlink") == b"hello, world\n"


# --- directories -------------------------------------------------------------

@pytest.mark.parametrize("small", [False, True], ids=["cache16", "cache2"])
@pytest.mark.parametrize("bs", [1024, 4096])
def test_mkdir_rmdir(image, bs, small):
    """EXT2_D0001: mkdir links "." and "..", counts the parent; rmdir undoes it."""
    img = image(bs)
    ok(img, ["mkdir /d1", "mkdir /d1/d2", "mkdir /d1/d2/d3", "write /d1/d2/d3/f x",
             "mkdir /d1/e", "sync"], small=small)
    fsck(img)
    assert links(img, "/d1") == 4 and links(img, "/d1/d2") == 3 and links(img, "/d1/d2/d3") == 2
    assert sorted(dbg_ls(img, "/d1")) == [".", "..", "d2", "e"]
    assert dbg_cat(img, "/d1/d2/d3/f") == b"x"
    rc, out = run(img, ["rm /d1/d2", "rm /d1/d2/d3", "rm /d1/d2/d3/f", "rm /d1/d2/d3",
                        "rm /d1/e", "sync"], small=small)
    assert errors(out) == ["ENOTEMPTY", "ENOTEMPTY"]
    fsck(img)
    assert links(img, "/d1") == 3 and links(img, "/d1/d2") == 2
    ok(img, ["rm /d1/d2", "rm /d1", "rm /emptydir", "sync"], small=small)
    fsck(img)
    assert "d1" not in dbg_ls(img, "/")


def test_mkdir_refusals(image):
    """EXT2_D0002: existing names, missing parents, files as parents, the root, dots."""
    img = image(1024)
    rc, out = run(img, ["mkdir /a", "mkdir /hello.txt", "mkdir /nodir/x", "mkdir /hello.txt/x",
                        "mkdir /", "mkdir /a/.", "mkdir /a/..", f"mkdir /{'n' * 256}",
                        "rm /", "rm /a/..", "rm /a/.", "rm /nope", "rm /a", "sync"])
    assert errors(out) == ["EEXIST", "EEXIST", "ENOENT", "ENOTDIR", "EEXIST", "EEXIST", "EEXIST",
                           "ERANGE", "EBUSY", "EINVAL", "EINVAL", "ENOENT", "ENOTEMPTY"]
    fsck(img)


def test_create_existing(image):
    """EXT2_D0003: creating a name that exists opens it (a file) or is refused (a dir)."""
    img = image(1024)
    rc, out = run(img, ["writef /hello.txt 1 0 J", "writef /many 1 0 x", "sync"])
    assert errors(out) == ["EISDIR"]
    assert dbg_cat(img, "/hello.txt") == b"Jello, world\n"
    fsck(img)


def test_dir_grows_and_shrinks(image):
    """EXT2_D0004: a directory grows by blocks as entries come; removal merges them."""
    img = image(1024)
    names = [f"/grow/{'g' * 60}{i:03d}" for i in range(120)]
    ok(img, ["mkdir /grow"] + [f"write {n} {i}" for i, n in enumerate(names)] + ["sync"])
    fsck(img)
    assert "Size: " in dbg_stat(img, "/grow")
    size = int(re.search(r"Size: (\d+)", dbg_stat(img, "/grow")).group(1))
    assert size >= 8 * 1024
    assert len(dbg_ls(img, "/grow")) == 122
    # Every other one, then the rest: gaps at block starts and merges both.
    ok(img, [f"rm {n}" for n in names[::2]] + ["sync"])
    fsck(img)
    assert sorted(dbg_ls(img, "/grow")[2:]) == sorted(n.split("/")[2] for n in names[1::2])
    ok(img, [f"write /grow/{'h' * 200}{i} again" for i in range(10)] + ["sync"])
    fsck(img)
    ok(img, [f"rm {n}" for n in names[1::2]] +
       [f"rm /grow/{'h' * 200}{i}" for i in range(10)] + ["rm /grow", "sync"])
    fsck(img)


def test_remove_kinds(image):
    """EXT2_D0005: symlinks (fast and slow), fifos, names in a big directory."""
    img = image(1024)
    before = info(img)
    victims = sorted(dbg_ls(img, "/many"))[2:][::7]
    ok(img, ["rm /fastlink", "rm /slowlink", "rm /fifo"] + [f"rm /many/{n}" for n in victims] +
       ["sync"])
    fsck(img)
    after = info(img)
    assert after["free_inodes"] == before["free_inodes"] + 3 + len(victims)
    assert after["free_blocks"] == before["free_blocks"] + 1 + len(victims)
    assert len(dbg_ls(img, "/many")) == MANY + 2 - len(victims)
    ok(img, [f"write /many/{n} back" for n in victims] + ["sync"])
    fsck(img)
    assert dbg_cat(img, f"/many/{victims[-1]}") == b"back"


def test_htree_directory(image, tmp_path):
    """EXT2_D0006: an indexed (dir_index) directory reads linearly; a change clears its index."""
    img = image(1024)
    subprocess.run([tool("e2fsck"), "-fyD", str(img)], capture_output=True, timeout=60)
    fsck(img)
    assert "Flags: 0x1000" in dbg_stat(img, "/many")
    names = [line.split(" ", 2)[2] for line in ok(img, "ls /many").splitlines()]
    assert len(names) == MANY
    ok(img, ["write /many/added x", f"rm /many/{names[5]}", "sync"])
    fsck(img)
    assert "Flags: 0x0" in dbg_stat(img, "/many")
    assert dbg_cat(img, "/many/added") == b"x"
    assert len(dbg_ls(img, "/many")) == MANY + 2


def test_mkdir_many_groups(tmp_path):
    """EXT2_D0007: with eight groups, dirs and files spread and e2fsck agrees on counts."""
    img = mkfs(tmp_path / "g.img", bs=1024, size="8M", opts=("-g", "1024", "-N", "512"))
    assert info(img)["groups"] == 8
    ok(img, [f"mkdir /d{i}" for i in range(40)] +
       [f"writebig /d{i}/f 150000" for i in range(0, 40, 3)] + ["sync"])
    fsck(img)
    ok(img, [f"rm /d{i}/f" for i in range(0, 40, 3)] + [f"rm /d{i}" for i in range(40)] +
       ["sync"])
    fsck(img)


# --- space -------------------------------------------------------------------

@pytest.mark.parametrize("bs", [1024, 4096])
def test_fill_disk(image, bs):
    """EXT2_S0001: filling the disk ends in ENOSPC, and the image stays clean."""
    img = image(bs)
    out = ok(img, ["fill /full 100000", "sync"])
    m = re.search(r"files (\d+) bytes (\d+)", out)
    assert int(m.group(1)) > 10
    assert info(img)["free_blocks"] == 0
    fsck(img)
    rc, out = run(img, ["write /more x", "mkdir /moredir", "writebig /a/mid.bin 30000",
                        "sync"])
    assert errors(out)[:2] == ["ENOSPC", "ENOSPC"]
    fsck(img)
    ok(img, ["rm /full0", "rm /full1", "writebig /again 150000", "sync"])
    fsck(img)
    assert dbg_cat(img, "/again") == pattern(0, 150000)


def test_fill_inodes(tmp_path):
    """EXT2_S0002: running out of inodes is ENOSPC too, and leaves no trace."""
    img = mkfs(tmp_path / "n.img", bs=1024, size="2M", opts=("-N", "32"))
    free = info(img)["free_inodes"]
    rc, out = run(img, [f"write /f{i} x" for i in range(free)] + ["write /last x",
                                                                   "mkdir /lastdir", "sync"])
    assert errors(out) == ["ENOSPC", "ENOSPC"]
    assert info(img)["free_inodes"] == 0
    fsck(img)


# --- mount checks ------------------------------------------------------------

def patch(img, off, fmt, *vals):
    with open(img, "r+b") as f:
        f.seek(off)
        f.write(struct.pack("<" + fmt, *vals))


def peek(img, off, fmt):
    with open(img, "rb") as f:
        f.seek(off)
        return struct.unpack("<" + fmt, f.read(struct.calcsize("<" + fmt)))[0]


def mount_error(img):
    rc, out = run(img, "info")
    assert rc == 3, out
    m = re.match(r"mount: (\w+) \(-\d+\): (.*)", out)
    return m.group(1), m.group(2)


def test_other_revisions_and_sizes(tmp_path):
    """EXT2_M0001: revision 0 and 2 KiB blocks mount, write and stay clean."""
    for opts, bs in ((("-r", "0"), 1024), ((), 2048)):
        img = mkfs(tmp_path / f"r{bs}.img", bs=bs, size="4M", opts=opts)
        ok(img, ["mkdir /d", "writebig /d/f 70000", "write /g x", "rm /g", "sync"])
        fsck(img)
        assert dbg_cat(img, "/d/f") == pattern(0, 70000)


def test_ext3_mounts(tmp_path):
    """EXT2_M0002: an ext3 image (journal, compat) mounts read-write."""
    img = tmp_path / "e3.img"
    subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext3", str(img), "8M"], check=True,
                   capture_output=True)
    ok(img, ["write /j x", "mkdir /jd", "sync"])
    fsck(img)


def test_ext4_refused(tmp_path):
    """EXT2_M0003: ext4's incompat features are refused by name."""
    img = tmp_path / "e4.img"
    subprocess.run([tool("mke2fs"), "-q", "-F", "-t", "ext4", str(img), "8M"], check=True,
                   capture_output=True)
    err, msg = mount_error(img)
    assert err == "ENOTSUP"
    assert "extent" in msg and "flex_bg" in msg and "64bit" in msg


def test_unknown_incompat(image):
    """EXT2_M0004: an unknown incompat bit is refused, shown in hex."""
    img = image(1024)
    patch(img, SB + 96, "I", peek(img, SB + 96, "I") | 0x40000000)
    assert mount_error(img) == ("ENOTSUP", "unsupported features: 0x40000000")


def test_ro_compat_read_only(image, staged):
    """EXT2_M0005: an unknown ro_compat feature mounts read-only: reads work, writes are EROFS."""
    img = image(1024)
    patch(img, SB + 100, "I", peek(img, SB + 100, "I") | 0x8)	# huge_file
    before = img.read_bytes()
    rc, out = run(img, ["info", "tree /", "write /x y", "mkdir /d", "rm /hello.txt", "sync"])
    assert "mount: read-only, features: huge_file" in out
    assert set(line for line in out.splitlines() if line[:2] in ("d ", "f ", "l ", "o ")) == \
        staged[1]
    assert errors(out) == ["EROFS", "EROFS", "EROFS"]
    assert img.read_bytes() == before


@pytest.mark.parametrize("field,off,fmt,value,err,text", [
    ("magic", 56, "H", 0xef54, "EINVAL", "bad magic 0xef54"),
    ("revision", 76, "I", 2, "ENOTSUP", "unknown revision 2"),
    ("block size 8K", 24, "I", 3, "ENOTSUP", "unsupported block size 8192"),
    ("block size log 30", 24, "I", 30, "EINVAL", "bad block size log 30"),
    ("first data block", 20, "I", 0, "EINVAL", "bad first data block 0"),
    ("blocks count 0", 4, "I", 0, "EINVAL", "bad blocks count 0"),
    ("blocks count huge", 4, "I", 0xfffffff0, "EINVAL", "inodes count disagrees"),
    ("blocks per group 0", 32, "I", 0, "EINVAL", "bad blocks per group 0"),
    ("blocks per group big", 32, "I", 8193, "EINVAL", "bad blocks per group 8193"),
    ("inodes per group 0", 40, "I", 0, "EINVAL", "bad inodes per group 0"),
    ("inodes count", 0, "I", 4096, "EINVAL", "inodes count disagrees"),
    ("inode size 100", 88, "H", 100, "EINVAL", "bad inode size 100"),
    ("inode size 8K", 88, "H", 8192, "EINVAL", "bad inode size 8192"),
    ("first inode 3", 84, "I", 3, "EINVAL", "bad first inode 3"),
    ("free blocks", 12, "I", 0xffffff, "EINVAL", "bad free counts"),
    ("reserved gdt", 206, "H", 5000, "EINVAL", "bad reserved descriptor blocks 5000"),
])
def test_bad_superblock(image, field, off, fmt, value, err, text):
    """EXT2_M0006: each superblock field out of range is refused, and says so."""
    img = image(1024)
    patch(img, SB + off, fmt, value)
    got = mount_error(img)
    assert got[0] == err and got[1].startswith(text), got


def test_device_smaller_than_fs(image):
    """EXT2_M0007: a file system bigger than its device is refused."""
    img = image(1024)
    os.truncate(img, 4 << 20)
    assert mount_error(img) == ("EINVAL", "file system bigger than the device: blocks 8192")


def gd_off(img, group=0):
    bs = 1024 << peek(img, SB + 24, "I")
    first = peek(img, SB + 20, "I")
    return (first + 1) * bs + 32 * group


@pytest.mark.parametrize("field,off,what", [
    ("block bitmap", 0, "block bitmap at"), ("inode bitmap", 4, "inode bitmap at"),
    ("inode table", 8, "inode table at"),
])
def test_bad_group_descriptor(tmp_path, field, off, what):
    """EXT2_M0008: a group's bitmap or inode table past the end is refused, naming the group."""
    img = mkfs(tmp_path / "g.img", bs=1024, size="4M", opts=("-g", "1024"))
    blocks = peek(img, SB + 4, "I")
    patch(img, gd_off(img, 2) + off, "I", blocks - 1 if field == "inode table" else blocks)
    err, msg = mount_error(img)
    assert err == "EINVAL" and msg.startswith(f"group 2: {what}"), msg


def test_root_not_a_directory(image):
    """EXT2_M0009: a root inode that is not a directory is refused."""
    img = image(1024)
    loc = debugfs(img, "imap <2>").decode()
    blk, off = re.search(r"block (\d+), offset (0x[0-9a-f]+)", loc).groups()
    patch(img, int(blk) * 1024 + int(off, 16), "H", 0o100644)
    assert mount_error(img) == ("EINVAL", "root inode is not a directory, mode 0100644")


# --- corrupt images: errors, never crashes -----------------------------------

def dir_block(img, path, lblk=0, bs=1024):
    return int(debugfs(img, f"bmap {path} {lblk}").decode().strip()) * bs


def test_dir_rec_len_zero(image):
    """EXT2_C0001: a directory entry with rec_len 0 gives EIO, not a loop."""
    img = image(1024)
    patch(img, dir_block(img, "/a") + 4, "H", 0)
    rc, out = run(img, ["ls /a", "stat /a/mid.bin", "write /a/new x", "mkdir /a/d", "rm /a/b",
                        "rm /a", "stat /hello.txt"], timeout=10)
    assert errors(out) == ["EIO"] * 6
    assert "mode 0100644 size 13" in out


@pytest.mark.parametrize("what,off,fmt,value", [
    ("rec_len past the block", 12 + 4, "H", 1020),
    ("rec_len unaligned", 4, "H", 13),
    ("name_len past rec_len", 12 + 6, "B", 40),
    ("inode past the count", 24, "I", 0x7fffffff),
])
def test_dir_entry_corrupt(image, what, off, fmt, value):
    """EXT2_C0002: each kind of bad directory entry gives EIO."""
    img = image(1024)
    # /a/b's block: ".", "..", then "c" and "dbl.bin".
    patch(img, dir_block(img, "/a/b") + off, fmt, value)
    rc, out = run(img, ["ls /a/b", "stat /a/b/dbl.bin", "write /a/b/zz x"], timeout=10)
    assert rc == 2 and "EIO" in errors(out), out


def test_dir_size_huge(image):
    """EXT2_C0003: a directory claiming 4 GiB, or a size not in blocks, gives EIO."""
    img = image(1024)
    for size in (0xfffffc00, 1000):
        loc = debugfs(img, "imap /many").decode()
        blk, off = re.search(r"block (\d+), offset (0x[0-9a-f]+)", loc).groups()
        patch(img, int(blk) * 1024 + int(off, 16) + 4, "I", size)
        rc, out = run(img, ["ls /many", "write /many/x y"], timeout=10)
        assert errors(out) == ["EIO", "EIO"]


def test_indirect_past_end(image):
    """EXT2_C0004: an indirect block entry past the device end gives EIO on read and remove."""
    img = image(1024)
    ind = int(re.search(r"\(IND\):(\d+)", dbg_stat(img, "/a/mid.bin")).group(1))
    patch(img, ind * 1024 + 4, "I", 0x7fffffff)
    rc, out = run(img, ["cat /a/mid.bin", "pwrite /a/mid.bin 13400 x", "readat /a/mid.bin 0 4",
                        "rm /a/mid.bin"], timeout=10)
    assert errors(out) == ["EIO", "EIO", "EIO"]


def test_block_pointer_into_metadata(image):
    """EXT2_C0005: a block pointer into the superblock or descriptors gives EIO."""
    img = image(1024)
    loc = debugfs(img, "imap /hello.txt").decode()
    blk, off = re.search(r"block (\d+), offset (0x[0-9a-f]+)", loc).groups()
    patch(img, int(blk) * 1024 + int(off, 16) + 40, "I", 1)
    rc, out = run(img, ["cat /hello.txt", "write /hello.txt x"], timeout=10)
    assert errors(out) == ["EIO", "EIO"]


def test_cross_linked_blocks(image):
    """EXT2_C0006: two files sharing a block: removing both reports EIO on the second free."""
    img = image(1024)
    a = debugfs(img, "imap /empty").decode()
    h = int(re.search(r"\(0\):(\d+)", dbg_stat(img, "/hello.txt")).group(1))
    blk, off = re.search(r"block (\d+), offset (0x[0-9a-f]+)", a).groups()
    base = int(blk) * 1024 + int(off, 16)
    patch(img, base + 4, "I", 10)		# i_size
    patch(img, base + 28, "I", 2)		# i_blocks
    patch(img, base + 40, "I", h)		# i_block[0]
    rc, out = run(img, ["readat /empty 0 100", "rm /hello.txt", "rm /hardlink", "rm /empty"],
                  timeout=10)
    assert out.startswith(b"hello, wor".hex() + "\n")
    assert errors(out) == ["EIO"]


def test_device_errors(image):
    """EXT2_C0008: a device that fails reads or writes gives EIO; what was synced before stays clean."""
    img = image(1024)
    rc, out = run(img, ["write /kept x", "sync", "failio -1 0", "writebig /lost 300000",
                        "mkdir /lostdir", "sync", "sync", "failio 0 -1", "ls /many",
                        "cat /a/b/dbl.bin", "stat /hello.txt"])
    assert errors(out)[-5:] == ["EIO", "EIO", "EIO", "EIO", "EIO"], out
    fsck(img)
    assert dbg_cat(img, "/kept") == b"x"
    # Half-written: whatever reached the disk, the harness and e2fsck -n do not crash on it.
    rc, out = run(img, ["writebig /half 300000", "mkdir /halfdir", "write /more x", "failio -1 1",
                        "sync", "tree /"])
    assert "EIO" in errors(out)
    # The next mount repairs what the failed sync left.
    assert "not cleanly synced; repaired" in ok(img, "info")
    fsck(img)
    assert dbg_cat(img, "/kept") == b"x"


@pytest.mark.parametrize("bs", [1024, 4096])
def test_fuzzed_images(tmp_path, bs):
    """EXT2_C0007: random damage to the metadata: errors allowed, sanitizers and hangs not."""
    src = tmp_path / "fuzzsrc"
    (src / "d" / "e").mkdir(parents=True)
    (src / "d" / "f").write_bytes(bytes(range(256)) * 60)
    (src / "g").write_bytes(b"g" * 100)
    os.symlink("x" * 80, src / "sl")
    for i in range(40):
        (src / "d" / "e" / f"n{i}").write_bytes(b"x")
    base = mkfs(tmp_path / "fuzz.img", src, bs=bs, size="1M", opts=("-N", "64"))
    data = base.read_bytes()
    script = ["info", "tree /", "ls /d/e", "readat /d/f 0 20000", "write /d/new abc",
              "mkdir /d/e/z", "writebig /big 40000", "append /d/f xyz", "rm /d/f", "rm /d/e/n3",
              "rm /g", "rm /sl", "tree /", "fill /d/e/q 5000", "sync"]
    rnd = random.Random(bs)
    for case in range(40):
        buf = bytearray(data)
        # Metadata lives in the first blocks: superblock, descriptors,
        # bitmaps, inode table, directories.
        for _ in range(rnd.choice((1, 4, 16, 64))):
            pos = rnd.randrange(1024, 48 * 1024)
            buf[pos] = rnd.randrange(256) if rnd.random() < 0.7 else buf[pos] ^ 0xff
        img = tmp_path / "case.img"
        img.write_bytes(bytes(buf))
        run(img, script, timeout=10)
        img.write_bytes(bytes(buf))
        run(img, script, timeout=10, small=True)


# --- the system zone: disks are input too -----------------------------------
#
# Each test crafts one kind of corruption, asserts the exact refusal (error
# and the "corrupt:" line the library logs) and then that nothing outside
# what may legitimately change did: blocks compared byte for byte, and
# e2fsck -fn saying the same before and after.

MULTI = ("-g", "2048")		# 8 MiB at 1 KiB: four groups, backups in 1 and 3


class Geometry:
    """An image's layout, read the way ext2.c reads it."""

    def __init__(self, img):
        sb = Path(img).read_bytes()[SB:SB + 1024]
        (self.inodes, self.blocks, _, _, _, self.first, log, _, self.bpg, _,
         self.ipg) = struct.unpack_from("<11I", sb)
        self.bs = 1024 << log
        self.isize = struct.unpack_from("<H", sb, 88)[0]
        compat, _, ro_compat = struct.unpack_from("<3I", sb, 92)
        reserved = struct.unpack_from("<H", sb, 206)[0] if compat & 0x10 else 0
        self.groups = (self.blocks - self.first + self.bpg - 1) // self.bpg
        self.gdt = (self.groups * 32 + self.bs - 1) // self.bs
        self.meta = 1 + self.gdt + reserved
        self.sparse = bool(ro_compat & 1)
        self.itable = (self.ipg * self.isize + self.bs - 1) // self.bs
        data = Path(img).read_bytes()
        self.desc = [struct.unpack_from("<3I", data, (self.first + 1) * self.bs + 32 * g)
                     for g in range(self.groups)]

    def has_super(self, g):
        if g <= 1 or not self.sparse:
            return True
        for b in (3, 5, 7):
            p = b
            while p < g:
                p *= b
            if p == g:
                return True
        return False

    def backups(self):
        """Superblock copies, descriptors and reserved descriptors: never written but the first."""
        out = set(range(self.first))
        for g in range(self.groups):
            if self.has_super(g):
                start = self.first + g * self.bpg
                out |= set(range(start, start + self.meta))
        return out

    def zone(self):
        """The whole system zone: backups, bitmaps, inode tables."""
        out = self.backups()
        for bb, ib, it in self.desc:
            out |= {bb, ib} | set(range(it, it + self.itable))
        return out

    def bitmap(self, g):
        return self.desc[g][0]


def inode_at(img, spec, bs=1024):
    """Byte offset of an inode ("/path" or "<N>") in the image."""
    loc = debugfs(img, f"imap {spec}").decode()
    blk, off = re.search(r"block (\d+), offset (0x[0-9a-f]+)", loc).groups()
    return int(blk) * bs + int(off, 16)


def ino_of(img, path):
    return int(re.search(r"Inode: (\d+)", dbg_stat(img, path)).group(1))


def first_block(img, path):
    return int(debugfs(img, f"bmap {path} 0").decode().strip())


def ind_block(img, path, kind="IND"):
    return int(re.search(rf"\({kind}\):(\d+)", dbg_stat(img, path)).group(1))


def fsck_says(img):
    """e2fsck -fn's report, whatever its exit status (times left out: a failed write may touch them)."""
    proc = subprocess.run([tool("e2fsck"), "-fn", str(img)], capture_output=True, text=True,
                          timeout=60)
    return proc.returncode, re.sub(r"mod time [^)]*", "mod time", proc.stdout)


def changed_blocks(before, after, bs):
    return {b for b in range(len(before) // bs)
            if before[b * bs:(b + 1) * bs] != after[b * bs:(b + 1) * bs]}


def corrupt_lines(out):
    return re.findall(r"^corrupt: (.*)$", out, re.M)


def refused(img, script, allowed=(), bs=1024):
    """Runs @script on a corrupt image: returns its output, after checking
    that only blocks in @allowed changed and that e2fsck -fn says the same.
    The superblock may change: a sync that writes marks it not clean first."""
    before, fsck_before = img.read_bytes(), fsck_says(img)
    rc, out = run(img, script, timeout=20)
    changed = changed_blocks(before, img.read_bytes(), bs) - {1024 // bs}
    assert changed <= set(allowed), f"blocks {sorted(changed - set(allowed))} changed:\n{out}"
    assert fsck_says(img) == fsck_before, out
    return out


def itable_block(img, spec, bs=1024):
    return inode_at(img, spec, bs) // bs


@pytest.mark.parametrize("target", ["block bitmap", "inode bitmap", "inode table",
                                    "reserved gdt", "backup super", "backup gdt"])
def test_pointer_into_system_zone(image, target):
    """EXT2_C0009: a block pointer into any group's metadata: read, write and truncate give EIO, nothing written."""
    img = image(1024, MULTI)
    geo = Geometry(img)
    bb, ib, it = geo.desc[0]
    blk = {"block bitmap": bb, "inode bitmap": ib, "inode table": it + geo.itable - 1,
           "reserved gdt": geo.first + geo.meta - 1, "backup super": geo.first + geo.bpg,
           "backup gdt": geo.first + 3 * geo.bpg + 1}[target]
    ino = ino_of(img, "/hello.txt")
    patch(img, inode_at(img, "/hello.txt") + 40, "I", blk)
    out = refused(img, ["cat /hello.txt", "pwrite /hello.txt 0 XX", "write /hello.txt XX",
                        "sync"], allowed={itable_block(img, "/hello.txt")})
    assert errors(out) == ["EIO", "EIO", "EIO"], out
    assert corrupt_lines(out) == [f"inode {ino}: block {blk} in the system zone"] * 3


@pytest.mark.parametrize("loop", ["IND to itself", "DIND to itself", "data is the IND",
                                  "two INDs"])
def test_block_map_loops(image, loop):
    """EXT2_C0010: a block twice in one file's map (a loop, or a map block as data): EIO, nothing written."""
    img = image(1024)
    path, off = ("/a/b/dbl.bin", 268 * 1024) if loop == "DIND to itself" else ("/a/mid.bin",
                                                                              12 * 1024)
    ino = ino_of(img, path)
    base = inode_at(img, path)
    if loop == "IND to itself":
        blk = ind_block(img, path)
        patch(img, blk * 1024, "I", blk)
    elif loop == "DIND to itself":
        blk = ind_block(img, path, "DIND")
        patch(img, blk * 1024, "I", blk)
    elif loop == "data is the IND":
        blk = ind_block(img, path)
        patch(img, base + 40, "I", blk)
        off = 0
    else:
        blk = ind_block(img, path)
        patch(img, base + 40 + 13 * 4, "I", blk)	# i_block[13], the DIND, = the IND
    out = refused(img, [f"readat {path} {off} 4", f"pwrite {path} {off} XXXX", f"rm {path}",
                        "sync"], allowed={itable_block(img, path)})
    assert errors(out) == ["EIO"] * 3, out
    assert corrupt_lines(out) == [f"inode {ino}: block {blk} twice in its map"] * 3
    assert path.rsplit("/", 1)[1] in dbg_ls(img, path.rsplit("/", 1)[0])


def test_block_free_in_bitmap(image):
    """EXT2_C0011: a file's block the bitmap calls free: EIO, and it is not handed to a new file."""
    img = image(1024)
    blk = first_block(img, "/hello.txt")
    geo = Geometry(img)
    off = geo.bitmap(0) * 1024 + (blk - 1) // 8
    patch(img, off, "B", peek(img, off, "B") & ~(1 << ((blk - 1) % 8)))
    ino = ino_of(img, "/hello.txt")
    out = refused(img, ["cat /hello.txt", "pwrite /hello.txt 0 X", "sync"],
                  allowed={itable_block(img, "/hello.txt")})
    assert errors(out) == ["EIO", "EIO"]
    assert corrupt_lines(out) == [f"inode {ino}: block {blk} is free in the bitmap"] * 2
    assert dbg_cat(img, "/hello.txt") == b"hello, world\n"


def test_metadata_free_in_bitmap(image):
    """EXT2_C0012: bitmaps calling metadata free: the allocator passes it over, the disk fills, no file owns it."""
    img = image(1024, MULTI)
    geo = Geometry(img)
    freed = []
    for g in (0, 1, 3):
        start = geo.first + g * geo.bpg
        bb, ib, it = geo.desc[g]
        for blk in (start, start + 1, start + geo.meta - 1, bb, ib, it, it + geo.itable - 1):
            freed.append(blk)
            bit = blk - start
            off = bb * 1024 + bit // 8
            patch(img, off, "B", peek(img, off, "B") & ~(1 << (bit % 8)))
    backups = geo.backups() - set(range(geo.first, geo.first + 1 + geo.gdt))
    before = img.read_bytes()
    rc, out = run(img, ["fill /q 20000", "sync"], timeout=60)
    assert re.search(r"^files \d+ bytes \d+ last (ENOSPC|short)$", out, re.M), out
    lines = corrupt_lines(out)
    assert lines[0] == f"group 0: metadata block {geo.first} is free in the bitmap", lines
    after = img.read_bytes()
    assert {b for b in backups if before[b * 1024:(b + 1) * 1024] !=
            after[b * 1024:(b + 1) * 1024]} == set()
    owners = debugfs(img, "icheck " + " ".join(map(str, freed))).decode().splitlines()[1:]
    # Reserved descriptor blocks belong to the resize inode (7); nothing else may own one.
    assert len(owners) == len(freed)
    assert all(o.split("\t")[1] in ("<block not found>", "7") for o in owners), owners


def test_inode_free_in_bitmap(image):
    """EXT2_C0013: an inode in use the bitmap calls free is passed over, not overwritten."""
    img = image(1024)
    ino = ino_of(img, "/hello.txt")
    geo = Geometry(img)
    off = geo.desc[0][1] * 1024 + (ino - 1) // 8
    patch(img, off, "B", peek(img, off, "B") & ~(1 << ((ino - 1) % 8)))
    rc, out = run(img, ["write /new x", "sync"])
    assert rc == 0, out
    assert corrupt_lines(out) == [f"inode {ino}: in use, with 2 links, but free in the bitmap"]
    assert dbg_cat(img, "/hello.txt") == b"hello, world\n"
    assert ino_of(img, "/new") != ino and dbg_cat(img, "/new") == b"x"


@pytest.mark.parametrize("value", [1, 7, 8])
def test_dir_entry_reserved_inode(image, value):
    """EXT2_C0014: a directory entry naming a reserved inode (bad blocks, resize, journal) gives EIO; removing it frees nothing."""
    img = image(1024)
    blk = dir_block(img, "/a/b") // 1024
    patch(img, blk * 1024 + 24, "I", value)		# the entry after "." and ".."
    ino = ino_of(img, "/a/b")
    out = refused(img, ["ls /a/b", "rm /a/b/c", "stat /a/b/c", "sync"])
    assert errors(out) == ["EIO"] * 3
    assert corrupt_lines(out) == [f"directory inode {ino}: block {blk}: entry for inode {value}"] * 3


@pytest.mark.parametrize("what", ["slow symlink too long", "slow symlink two blocks",
                                  "fast symlink too long", "file past its map"])
def test_inode_size_corrupt(image, what):
    """EXT2_C0015: sizes and symlinks that disagree with the map: EIO on read, write and remove."""
    img = image(1024)
    path = {"slow symlink too long": "/slowlink", "slow symlink two blocks": "/slowlink",
            "fast symlink too long": "/fastlink", "file past its map": "/hello.txt"}[what]
    base = inode_at(img, path)
    ino = ino_of(img, path)
    other = first_block(img, "/a/mid.bin")
    if what == "slow symlink too long":
        patch(img, base + 4, "I", 5000)
        want = f"inode {ino}: symlink of 5000 bytes"
    elif what == "slow symlink two blocks":
        patch(img, base + 44, "I", other)
        want = f"inode {ino}: symlink with block {other} in slot 1"
    elif what == "fast symlink too long":
        patch(img, base + 4, "I", 70)
        want = f"inode {ino}: fast symlink of 70 bytes"
    else:
        patch(img, base + 108, "I", 0xffffffff)
        want = f"inode {ino}: size {(0xffffffff << 32) | 13} beyond its block map"
    script = [f"readat {path} 0 4", f"rm {path}", "sync"]
    if path == "/hello.txt":
        script = [f"readat {path} 0 4", f"pwrite {path} 0 X", f"write {path} X", "sync"]
    out = refused(img, script, allowed={itable_block(img, path)})
    assert errors(out) == ["EIO"] * (len(script) - 1), out
    assert corrupt_lines(out) == [want] * (len(script) - 1), out


def test_named_inode_free_in_bitmap(image):
    """EXT2_C0019: a file whose inode the bitmap calls free: read, write and truncate give EIO, nothing written."""
    img = image(1024)
    ino = ino_of(img, "/hello.txt")
    off = Geometry(img).desc[0][1] * 1024 + (ino - 1) // 8
    patch(img, off, "B", peek(img, off, "B") & ~(1 << ((ino - 1) % 8)))
    out = refused(img, ["cat /hello.txt", "pwrite /hello.txt 0 X", "write /hello.txt X", "sync"])
    assert errors(out) == ["EIO"] * 3
    assert corrupt_lines(out) == [f"inode {ino}: named, but free in the bitmap"] * 3


def test_free_count_lies(image):
    """EXT2_C0016: a group free count claiming every block: frees clamp it, the next mount still works."""
    img = image(1024)
    geo = Geometry(img)
    total = geo.blocks - geo.first
    patch(img, gd_off(img, 0) + 12, "H", total)
    rc, out = run(img, ["rm /a/b/dbl.bin", "sync"])
    assert rc == 0, out
    assert corrupt_lines(out)[0].startswith(f"group 0: free blocks count to {total + 1} of {total}")
    assert peek(img, gd_off(img, 0) + 12, "H") == total
    assert "block_size 1024" in ok(img, "info")


def test_corruption_log_limited(image):
    """EXT2_C0017: a disk that is corrupt everywhere logs EXT2_LOG_MAX lines a mount, then one more saying so."""
    img = image(1024)
    patch(img, inode_at(img, "/hello.txt") + 40, "I", 1)
    rc, out = run(img, ["cat /hello.txt"] * 20)
    lines = corrupt_lines(out)
    assert len(errors(out)) == 20
    assert len(lines) == 9 and lines[-1] == "more corruption: not reported until the next mount"


@pytest.mark.parametrize("g,field,value,what", [
    (2, 0, lambda geo: geo.desc[1][0], "block bitmap at"),
    (3, 0, lambda geo: geo.first + 3 * geo.bpg + 1, "block bitmap at"),
    (2, 4, lambda geo: geo.desc[2][0], "inode bitmap at"),
    (2, 8, lambda geo: geo.desc[2][1] - 1, "inode table at"),
    (2, 8, lambda geo: geo.first + 3 * geo.bpg - 3, "inode table at"),
], ids=["bb-other-group", "bb-on-backup-gdt", "ib-is-bb", "itable-over-bitmaps",
        "itable-past-group"])
def test_misplaced_group_metadata(image, g, field, value, what):
    """EXT2_M0010: bitmaps and tables outside their group, on a backup, or overlapping: refused at mount."""
    img = image(1024, MULTI)
    v = value(Geometry(img))
    patch(img, gd_off(img, g) + field, "I", v)
    assert mount_error(img) == ("EINVAL", f"group {g}: {what} {v}")


@pytest.mark.parametrize("bs,group,size", [(1024, 512, "2M"), (4096, 512, "8M")])
def test_fuzzed_writes_spare_system_zone(tmp_path, bs, group, size):
    """EXT2_C0018: random damage, then writes of marker bytes: no marker lands in the
    system zone of the damaged image, and no backup superblock or descriptor changes."""
    src = tmp_path / "fuzzsrc"
    (src / "d" / "e").mkdir(parents=True)
    (src / "d" / "f").write_bytes(bytes(range(256)) * 60)
    (src / "g").write_bytes(b"g" * 100)
    os.symlink("x" * 80, src / "sl")
    for i in range(40):
        (src / "d" / "e" / f"n{i}").write_bytes(b"x")
    zfile = tmp_path / "z"
    zfile.write_bytes(b"Z" * 40000)
    base = mkfs(tmp_path / "fuzz.img", src, bs=bs, size=size, opts=("-N", "64", "-g", str(group)))
    data = base.read_bytes()
    geo = Geometry(base)
    assert geo.groups == 4
    backups = sorted(geo.backups() - set(range(geo.first, geo.first + 1 + geo.gdt)))
    zone_list = sorted(geo.zone())
    z = "Z" * 60
    script = ["info", "tree /", f"put /d/new {zfile}", f"put /big {zfile}",
              f"pwrite /d/f 100 {z}", f"append /d/f {z}", "mkdir /d/e/z", f"put /d/e/z/w {zfile}",
              "rm /d/f", "rm /d/e/n3", "rm /g", "rm /sl", f"write /g2 {z}", "fill /d/e/q 5000",
              "sync"]
    rnd = random.Random(bs + 1)
    for case in range(40):
        buf = bytearray(data)
        # Not the primary superblock (its geometry is the test's too): the
        # descriptors, a group's bitmaps, inode table and the blocks after
        # (directories, indirect blocks). Random bytes, system-zone block
        # numbers where pointers are, bitmap bits cleared under metadata.
        for _ in range(rnd.choice((1, 4, 16, 64))):
            kind, g = rnd.random(), rnd.randrange(geo.groups)
            bb, ib, it = geo.desc[g]
            pos = rnd.choice(((geo.first + 1) * bs + rnd.randrange(32 * geo.groups),
                              bb * bs + rnd.randrange((it - bb + geo.itable + 16) * bs)))
            if kind < 0.4:
                buf[pos] = rnd.randrange(256) if rnd.random() < 0.7 else buf[pos] ^ 0xff
            elif kind < 0.8:
                if rnd.random() < 0.7:	# an i_block[] slot of one of the group's inodes
                    pos = it * bs + rnd.randrange(geo.ipg) * geo.isize + 40 + 4 * rnd.randrange(15)
                struct.pack_into("<I", buf, pos & ~3, rnd.choice(zone_list))
            else:
                buf[bb * bs + rnd.randrange(geo.bpg // 8)] &= rnd.randrange(256)
        img = tmp_path / "case.img"
        for small in (False, True):
            img.write_bytes(bytes(buf))
            zone = Geometry(img).zone()
            run(img, script, timeout=20, small=small)
            after = img.read_bytes()
            for b in backups:
                assert after[b * bs:(b + 1) * bs] == buf[b * bs:(b + 1) * bs], (case, b)
            for b in zone:
                blk = after[b * bs:(b + 1) * bs]
                for mark in (b"Z" * 32, b"\xa5" * 32):
                    assert mark not in blk or mark in buf[b * bs:(b + 1) * bs], (case, small, b)


# --- random operations against a model --------------------------------------

class Model:
    """What the file system should hold after a run of random operations."""

    def __init__(self, rnd, budget):
        self.rnd = rnd
        self.files = {}			# path -> bytearray
        self.dirs = {"/"}
        self.budget = budget		# bytes of data the disk can take, roughly
        self.script = []
        self.errors = []
        self.n = 0

    def used(self):
        return sum(len(d) for d in self.files.values())

    def pick_dir(self):
        return self.rnd.choice(sorted(self.dirs))

    def new_name(self, parent, prefix):
        self.n += 1
        return (parent.rstrip("/") + "/" + prefix + str(self.n) +
                "_" * self.rnd.choice((0, 3, 40, 150)))

    def size(self):
        return self.rnd.choice((0, 1, 100, 1023, 1024, 1025, 4096, 12 * 1024 + 1,
                                self.rnd.randrange(1, 70000), self.rnd.randrange(1, 600000)))

    def step(self):
        r, rnd = self.rnd.random(), self.rnd
        if r < 0.10:
            d = self.new_name(self.pick_dir(), "d")
            self.script.append(f"mkdir {d}")
            self.dirs.add(d)
        elif r < 0.40 or r >= 0.88 or not self.files:
            f, n = self.new_name(self.pick_dir(), "f"), self.size()
            if self.used() + n > self.budget:
                return self.remove_file()
            self.script.append(f"writebig {f} {n} {rnd.choice((1000, 4096, 65536))}")
            self.files[f] = bytearray(pattern(0, n))
        elif r < 0.60:
            f = rnd.choice(sorted(self.files))
            off = rnd.choice((0, len(self.files[f]), rnd.randrange(0, 300000),
                              rnd.randrange(0, 20 << 20)))
            n = rnd.randrange(1, 30000)
            if self.used() + n + max(0, off - len(self.files[f])) // 64 > self.budget:
                return self.remove_file()
            self.script.append(f"pwritebig {f} {off} {n}")
            data = self.files[f]
            if off > len(data):
                data += bytes(off - len(data))
            data[off:off + n] = pattern(off, n)
        elif r < 0.72:
            f = rnd.choice(sorted(self.files))
            text = "t%d" % rnd.randrange(1000)
            self.script.append(f"{rnd.choice(('append', 'write'))} {f} {text}")
            if self.script[-1].startswith("write"):
                self.files[f] = bytearray()
            self.files[f] += text.encode()
        elif r < 0.82:
            self.remove_file()
        else:
            d = rnd.choice(sorted(self.dirs - {"/"}) or ["/"])
            self.script.append(f"rm {d}")
            inside = [p for p in list(self.files) + list(self.dirs) if p.startswith(d + "/")]
            if d == "/" or inside:
                self.errors.append("EBUSY" if d == "/" else "ENOTEMPTY")
            else:
                self.dirs.discard(d)

    def remove_file(self):
        if self.files:
            f = self.rnd.choice(sorted(self.files))
            self.script.append(f"rm {f}")
            del self.files[f]

    def tree(self):
        lines = {"d /lost+found"} | {f"d {d}" for d in self.dirs if d != "/"}
        for f, data in self.files.items():
            lines.add(f"f {f} {len(data)} {zlib.crc32(bytes(data[:16 << 20])):08x}")
        return lines


@pytest.mark.parametrize("seed,bs,small", [(1, 1024, False), (2, 4096, False), (3, 2048, False),
                                           (4, 1024, True), (5, 4096, True)])
def test_random_operations(tmp_path, seed, bs, small):
    """EXT2_W0011: random writes, appends, holes, mkdirs and removes, checked in batches
    against a model, e2fsck and a debugfs rdump of the whole tree."""
    img = mkfs(tmp_path / "r.img", bs=bs, size="8M", opts=("-N", "1024"))
    model = Model(random.Random(seed), 3 << 20)
    for batch in range(3):
        model.script, model.errors = [], []
        for _ in range(70):
            model.step()
        rc, out = run(img, model.script + ["sync"], small=small)
        assert errors(out) == model.errors, out[-2000:]
        fsck(img)
        assert set(ok(img, "tree /").splitlines()) == model.tree()
    dump = tmp_path / "dump"
    dump.mkdir()
    debugfs(img, f"rdump / {dump}")
    for f, data in model.files.items():
        assert (dump / f.lstrip("/")).read_bytes() == data, f


# --- recovery: what a crash mid-sync leaves is repaired at mount ------------------

SB_STATE = 1024 + 58


def sb_state(img):
    with open(img, "rb") as f:
        f.seek(SB_STATE)
        return struct.unpack("<H", f.read(2))[0]


def set_unclean(img):
    with open(img, "r+b") as f:
        f.seek(SB_STATE)
        f.write(struct.pack("<H", 0))


def kept_tree(img, lines):
    """The lines of `tree /` under the paths of @lines, as the image has them now."""
    now = set(ok(img, "tree /").splitlines())
    return {l for l in lines if l in now}


CRASH_SCRIPT = ["write /new1 first", "writebig /new2 40000", "mkdir /nd", "write /nd/f inside",
                "rm /hello.txt", "rm /many/entry_0003_xxx", "rm /a/mid.bin",
                "append /with\\sspace.txt more", "writebig /a/b/c/deep.txt 3000"]


def test_sync_marks_clean(image):
    """EXT2_K0001: a sync leaves the superblock clean; the first write after it marks it not."""
    img = image(1024)
    assert sb_state(img) & 1
    ok(img, ["write /x 1", "sync"])
    assert sb_state(img) & 1
    # Not clean on the disk before any other block is: a crash now shows at mount.
    run(img, ["write /y 2", "failio -1 1", "sync"])
    assert not sb_state(img) & 1
    assert "not cleanly synced; repaired" in ok(img, "info")
    assert sb_state(img) & 1
    fsck(img)


@pytest.mark.parametrize("bs,small", [(1024, False), (4096, False), (1024, True)],
                         ids=["1k", "4k", "1k-small-cache"])
def test_crash_at_every_write(image, staged, bs, small):
    """EXT2_K0002: a sync cut short after each of its writes in turn: the next mount repairs the
    image to e2fsck -fn clean, and every file synced before reads back the same."""
    base = image(bs)
    before = set(ok(base, "tree /").splitlines())
    touched = {"/hello.txt", "/new1", "/new2", "/nd", "/a/mid.bin", "/empty",
               "/a/b/c/deep.txt", "/many/entry_0003_xxx", "/hardlink"}
    untouched = {l for l in before if l.split()[1] not in touched}
    n = 0
    while True:
        img = base.with_name(f"crash{n}.img")
        shutil.copyfile(base, img)
        # Writes past the n-th fail: a cache that fills mid-script writes early, too.
        rc, out = run(img, [f"failio -1 {n}"] + CRASH_SCRIPT + ["sync"], small=small)
        if rc == 0:
            break		# the sync finished: every write went through
        clean = sb_state(img) & 1
        out = ok(img, "info", small=small)
        assert clean or "not cleanly synced; repaired" in out, out
        fsck(img)
        assert kept_tree(img, untouched) == untouched, n
        n += 1 if n < 12 else 9	# every cut among the first writes, then a sample
    assert n > 12
    fsck(img)


def bmap0(img, path):
    return int(debugfs(img, f"bmap {path} 0").decode().split()[-1])


def debugfs_damage(img, requests):
    if callable(requests):
        requests = requests(img)
    for r in requests:
        debugfs(img, r, write=True)
    set_unclean(img)


DAMAGE = {
    # A name whose inode was freed (the unlink's inode table reached the disk, its directory not).
    "dangling-name": ["clri /hello.txt", "freei /hello.txt"],
    # An inode written, its name not: unattached, with blocks the bitmap has.
    "unattached": ["unlink /a/mid.bin"],
    # Bitmaps behind: a live file's blocks and inode free, a free block used.
    "stale-bitmaps": ["freeb 300 20", "freei /a/b/c/deep.txt", "setb 7000 5"],
    "link-count": ["sif /empty links_count 7", "sif /a links_count 9"],
    # Two files claim one block: the second loses it.
    "shared-block": lambda img: ["sif /a/b/c/deep.txt block[0] %d" % bmap0(img, "/hello.txt")],
    "bad-pointer": ["sif /a/b/c/deep.txt block[0] 99999999"],
    "counts": ["ssv free_blocks_count 12", "set_bg 0 free_inodes_count 3",
               "set_bg 0 used_dirs_count 0"],
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_repair_crafted_states(image, staged, damage):
    """EXT2_K0003: half-written states crafted with debugfs, superblock not clean: the mount
    repairs each to e2fsck -fn clean, and the files it did not touch read back the same."""
    img = image(1024)
    before = set(ok(img, "tree /").splitlines())
    debugfs_damage(img, DAMAGE[damage])
    out = ok(img, "info")
    assert "not cleanly synced; repaired" in out, out
    fsck(img)
    after = set(ok(img, "tree /").splitlines())
    spared = {"/a/b/dbl.bin", "/many/entry_0007_xxxxxxx", "/fastlink", "/slowlink",
              "/with space.txt"}
    assert {l for l in before if l.split()[1] in spared} <= after
    if damage == "dangling-name":
        assert not any(l.split()[1] == "/hello.txt" for l in after)
        assert any(l.split()[1] == "/hardlink" for l in after) is False
    if damage in ("stale-bitmaps", "link-count", "counts"):
        assert after == before
    # A second mount finds nothing left to do.
    assert "repaired" not in ok(img, "info")


def test_repair_keeps_writing(image):
    """EXT2_K0004: after a repair, files written and synced are there for e2fsck and debugfs."""
    img = image(1024)
    debugfs_damage(img, DAMAGE["stale-bitmaps"] + DAMAGE["unattached"])
    ok(img, ["writebig /after 50000", "write /a/b/c/deep.txt again", "sync"])
    fsck(img)
    assert dbg_cat(img, "/a/b/c/deep.txt") == b"again"
    assert dbg_cat(img, "/after") == pattern(0, 50000)


def test_failed_change_repaired(image):
    """EXT2_K0005: a change that fails half-way (a write of the two-block cache failing at each
    point in turn), then a sync that works: the superblock says errors, and the next mount
    repairs the image to e2fsck -fn clean."""
    base = image(1024)
    for n in range(0, 40, 3):
        img = base.with_name(f"fail{n}.img")
        shutil.copyfile(base, img)
        run(img, ["write /x hello", "sync", f"failio -1 {n}", "writebig /a/big 30000",
                  "mkdir /a/e", "write /a/e/f abc", "rm /hello.txt", "failio -1 -1", "sync"],
            small=True)
        ok(img, "info", small=True)
        fsck(img)
        assert dbg_cat(img, "/x") == b"hello"

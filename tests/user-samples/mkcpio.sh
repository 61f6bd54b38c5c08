#!/bin/sh
# mkcpio.sh - stage the test trees and archive them with GNU cpio.
#
#   mkcpio.sh OUTDIR INIT_ELF TINY_ELF PICOLIBC_ELF
#
# Writes OUTDIR/stage/ and OUTDIR/small/ (the trees, kept: cpio_test
# compares every archive entry with them) and, from each tree, a newc
# ("070701") and a crc ("070702") archive. small-dotslash.cpio names
# entries as "find ./" makes GNU cpio write them ("./" for the root).
# Every run starts from empty trees with fixed mtimes, so the archives
# are the same each time.
set -eu
out=$1 init=$2 tiny=$3 pico=$4
stamp=@1700000000

rm -rf "$out/stage" "$out/small"
mkdir -p "$out/stage" "$out/small"

s=$out/stage
mkdir -p "$s/bin" "$s/sbin" "$s/etc" "$s/dev" "$s/empty-dir"
cp "$init" "$s/init"
cp "$tiny" "$s/bin/tiny"
cp "$pico" "$s/bin/hello-picolibc"
ln -s /init "$s/sbin/init"
ln -s ../etc/one "$s/bin/link-to-one"
: > "$s/etc/empty"
printf 'x' > "$s/etc/one"
printf 'abc' > "$s/etc/three"
printf '12345678' > "$s/etc/eight"
seq 1 3000 > "$s/etc/big"
printf 'spaces\n' > "$s/etc/with space"
printf 'linked data\n' > "$s/etc/hard1"
ln "$s/etc/hard1" "$s/etc/hard2"
long=$(printf 'n%.0s' $(seq 1 200))
mkdir -p "$s/deep/$long/$long"
printf 'deep\n' > "$s/deep/$long/$long/file-with-a-long-path"
chmod 0750 "$s/etc/three"
chmod 0700 "$s/empty-dir"

m=$out/small
mkdir -p "$m/dir"
printf 'A' > "$m/a"
printf 'bbbb' > "$m/b4"
printf 'ccc' > "$m/dir/c"
: > "$m/empty"
ln -s a "$m/l"

find "$s" "$m" -exec touch -h -d "$stamp" {} +

for fmt in newc crc; do
	(cd "$s" && find . | LC_ALL=C sort | cpio -o -H $fmt --quiet) > "$out/stage-$fmt.cpio"
	(cd "$m" && find . | LC_ALL=C sort | cpio -o -H $fmt --quiet) > "$out/small-$fmt.cpio"
done
(cd "$m" && find ./ | LC_ALL=C sort | cpio -o -H newc --quiet) > "$out/small-dotslash.cpio"

#!/bin/sh
# check-layers.sh - the layering rules of docs/hacking.md (and STYLE.md), checked:
#  - each core/ folder includes only its own headers and those of the
#    layers below it (the order is LAYERS, top first);
#  - core/ never includes servers/; servers/ and initrd/ include nothing
#    of core/ but the pure device-tree reader core/platform/dt.h;
#  - core/ and boot/ hold no MMIO-looking literal (0x1000_0000-style
#    device addresses belong to the device tree);
#  - every core/ and sbi/ header compiles on its own.
set -eu
cd "$(dirname "$0")/.."
fail=0

# Top first. "root" is core/main.c and core/trap_handler.c; keel.h and
# include/keel/ sit under everything and are not listed.
LAYERS="root test syscall exec object drivers kernel mm platform lib sbi arch"

rank() { # layer name -> its depth (0 = top)
	i=0
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo 99
}

layer_of_file() { # path -> layer
	case "$1" in
	sbi/*) echo sbi ;;
	boot/*) echo boot ;;
	core/keel.h) echo base ;;
	core/*/*) d=${1#core/}; echo "${d%%/*}" ;;
	core/*) echo root ;;
	esac
}

layer_of_include() { # include text -> layer of the header it names
	case "$1" in
	keel/* | keel.h) echo base ;;
	sbi/* | sbi.h) echo sbi ;;
	image.h) echo boot ;;
	*/*) echo "${1%%/*}" ;;
	*) echo same ;;
	esac
}

for f in $(git ls-files 'core/*.[chS]' 'sbi/*.[ch]' 'boot/*.S'); do
	me=$(layer_of_file "$f")
	[ "$me" = boot ] && continue # entry.S stands above all of core/
	grep -o '#include "[^"]*"' "$f" | sed 's/#include "\(.*\)"/\1/' | while read -r inc; do
		to=$(layer_of_include "$inc")
		case "$to" in same | base) continue ;; esac
		if [ "$me" = base ]; then
			echo "check-layers: $f: keel.h includes nothing of core/ ($inc)"
			echo x >>"${TMPDIR:-/tmp}/check-layers.$$"
			continue
		fi
		if [ "$(rank "$to")" -lt "$(rank "$me")" ]; then
			echo "check-layers: $f ($me) includes $inc ($to): calls run downward only"
			echo x >>"${TMPDIR:-/tmp}/check-layers.$$"
		fi
	done
done
if [ -s "${TMPDIR:-/tmp}/check-layers.$$" ]; then fail=1; fi
rm -f "${TMPDIR:-/tmp}/check-layers.$$"

if grep -rn '#include.*servers/' core/ sbi/ boot/ 2>/dev/null; then
	echo "check-layers: core/ must not include servers/"; fail=1
fi
if grep -rn '#include.*core/' servers/ initrd/ 2>/dev/null | grep -v 'core/platform/dt\.h'; then
	echo "check-layers: servers/ and initrd/ include only include/keel/, servers/lib/ and core/platform/dt.h"; fail=1
fi
# Device-looking addresses: 0x1xxxxxxx (virt's UART, PLIC 0xcxxxxxx, CLINT 0x2xxxxxx).
if grep -rnE '0x(1[0-9a-f]{7}|[cC]0{6}|20{6})\b' core/ boot/ sbi/ | grep -v 'KERNEL_VBASE\|DIRECT_MAP'; then
	echo "check-layers: MMIO-looking literal in the core (take it from the device tree)"; fail=1
fi
cross=${CROSS:-riscv64-unknown-elf-}
for h in $(git ls-files 'core/*.h' 'sbi/*.h' 'include/keel/*.h'); do
	if ! printf '#include "%s"\n' "$h" | ${cross}gcc -std=gnu11 -ffreestanding -Wall -Werror \
		-march=rv64imac_zicsr_zifencei -mabi=lp64 -fsyntax-only -I. -Icore -Iinclude -x c - ; then
		echo "check-layers: $h does not compile alone"; fail=1
	fi
done
[ $fail = 0 ] && echo "check-layers: ok"
exit $fail

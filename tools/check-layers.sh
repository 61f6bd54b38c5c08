#!/bin/sh
# check-layers.sh - the layering rules of STYLE.md, checked:
#  - core/ never includes servers/;
#  - core/ and boot/ hold no MMIO-looking literal (0x1000_0000-style
#    device addresses belong to the device tree);
#  - every core/ and sbi/ header compiles on its own.
set -eu
cd "$(dirname "$0")/.."
fail=0
if grep -rn '#include.*servers/' core/ sbi/ boot/ 2>/dev/null; then
	echo "check-layers: core/ must not include servers/"; fail=1
fi
# Device-looking addresses: 0x1xxxxxxx (virt's UART, PLIC 0xcxxxxxx, CLINT 0x2xxxxxx).
if grep -rnE '0x(1[0-9a-f]{7}|[cC]0{6}|20{6})\b' core/ boot/ sbi/ | grep -v 'KERNEL_VBASE\|DIRECT_MAP'; then
	echo "check-layers: MMIO-looking literal in the core (take it from the device tree)"; fail=1
fi
cross=${CROSS:-riscv64-unknown-elf-}
for h in core/*.h sbi/*.h; do
	if ! printf '#include "%s"\n' "$h" | ${cross}gcc -std=gnu11 -ffreestanding -Wall -Werror \
		-march=rv64imac_zicsr_zifencei -mabi=lp64 -fsyntax-only -I. -x c - ; then
		echo "check-layers: $h does not compile alone"; fail=1
	fi
done
[ $fail = 0 ] && echo "check-layers: ok"
exit $fail

#!/usr/bin/env bash
# Pack Debian's own, unmodified QEMU (package qemu-system-x86) into a gzip
# newc cpio to append to the guest initramfs (Linux unpacks concatenated
# archives), so the guest can run nested VMs: -M q35 -accel tcg -nodefaults
# -vga none -display none, -device vfio-pci, -kernel (multiboot).
# Usage: pack-qemu.sh OUT.cpio.gz
#
# What goes in, at the paths the host uses:
# - /usr/bin/qemu-system-x86_64: it must stay in /usr/bin, QEMU finds its
#   modules and firmware relative to its own directory;
# - the TCG accelerator, a module: /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so;
# - every library ldd lists for the two, the dynamic loader included, under
#   the names ldd prints (symlinks copied as the files they point to);
# - /usr/share/seabios (bios-256k.bin is the q35 BIOS) and /usr/share/qemu
#   (option ROMs: multiboot_dma.bin, kvmvapic.bin, ...), symlinks
#   dereferenced, without what no such VM reads: other architectures'
#   firmware, VNC keymaps, trace-events-all (for trace tools only).
#   The iPXE ROMs (/usr/lib/ipxe/qemu) are left out: -nodefaults, no NIC.
# Files are owned 0:0 with a fixed mtime; the archive is sorted, so the same
# installed QEMU packs to the same bytes.
set -euo pipefail
out=${1:-}
if [ $# -ne 1 ] || [ -z "$out" ]; then
	echo "usage: pack-qemu.sh OUT.cpio.gz" >&2
	exit 1
fi

qemu=/usr/bin/qemu-system-x86_64
tcg=/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
shares="/usr/share/qemu /usr/share/seabios"
# Under /usr/share/qemu, not for qemu-system-x86_64 -display none:
# OpenBIOS and its FCode ROMs (sparc, ppc), SLOF/VOF/skiboot and device
# trees (ppc), PA-RISC, Alpha PALcode, s390, RISC-V OpenSBI, Nuvoton ARM.
skip='QEMU,*.bin *.dtb hppa-firmware.img npcm7xx_bootrom.bin openbios-* opensbi-* palcode-*
s390-* skiboot.lid slof.bin vof.bin keymaps trace-events-all'
mtime=${SOURCE_DATE_EPOCH:-0}

if [ ! -x "$qemu" ] || [ ! -f "$tcg" ]; then
	echo "pack-qemu: no $qemu or $tcg (install qemu-system-x86)" >&2
	exit 1
fi
for d in $shares; do
	[ -d "$d" ] || { echo "pack-qemu: no $d (install qemu-system-data and seabios)" >&2; exit 1; }
done
command -v cpio >/dev/null || { echo "pack-qemu: no cpio (install cpio)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage" "$out.tmp"' EXIT

# Copy a file to the same path in the stage, as a regular file.
add() {
	mkdir -p "$stage$(dirname "$1")"
	cp -L --preserve=mode "$1" "$stage$1"
}

add "$qemu"
add "$tcg"
# ldd lines: "libX.so.N => /path (0x...)", "/lib64/ld-linux-x86-64.so.2 (0x...)",
# "linux-vdso.so.1 (0x...)" (in the kernel, no file) or "libX => not found".
for bin in "$qemu" "$tcg"; do
	deps=$(ldd "$bin") || { echo "pack-qemu: ldd $bin failed" >&2; exit 1; }
	if grep -q 'not found' <<<"$deps"; then
		echo "pack-qemu: $bin: missing libraries:" >&2
		grep 'not found' <<<"$deps" >&2
		exit 1
	fi
	while read -r lib; do
		add "$lib"
	done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$deps")
done
[ -f "$stage/lib64/ld-linux-x86-64.so.2" ] ||
	{ echo "pack-qemu: ldd did not list the dynamic loader /lib64/ld-linux-x86-64.so.2" >&2; exit 1; }

for d in $shares; do
	mkdir -p "$stage$(dirname "$d")"
	cp -rL --preserve=mode "$d" "$stage$d"
done
for pat in $skip; do
	# shellcheck disable=SC2086 # the pattern is meant to glob
	rm -rf "$stage"/usr/share/qemu/$pat
done
for f in "$stage/usr/share/seabios/bios-256k.bin" "$stage/usr/share/qemu/multiboot_dma.bin"; do
	[ -f "$f" ] || { echo "pack-qemu: ${f#"$stage"} missing after packing" >&2; exit 1; }
done

# The unpacker applies directory entries' modes to the guest's existing
# directories (/lib, /usr): make them 0755, and leave the root out.
find "$stage" -mindepth 1 -type d -exec chmod 0755 {} +
find "$stage" -mindepth 1 -exec touch -h -d "@$mtime" {} +
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --quiet -R 0:0 --reproducible) | gzip -9 -n > "$out.tmp"
mv "$out.tmp" "$out"
trap 'rm -rf "$stage"' EXIT
echo "pack-qemu: $out: $(stat -c %s "$out") bytes, $(du -sb "$stage" | cut -f1) unpacked," \
	"$(find "$stage" -type f | wc -l) files"

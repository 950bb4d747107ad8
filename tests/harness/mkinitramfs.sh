#!/usr/bin/env bash
# Pack the guest initramfs: busybox, our /init and the given static programs.
# Usage: [BPF_OBJS="a.bpf.o ..."] [APPEND="x.cpio.gz ..."] mkinitramfs.sh OUT.cpio.gz PROGRAM...
# BPF_OBJS (and the nested VMs' payload) go to /lib/iopf; each APPEND archive
# is concatenated after ours (Linux unpacks them all).
set -euo pipefail
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	{ echo "mkinitramfs: $busybox is not static (install busybox-static)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,etc,root}
# mktemp -d made the root 0700: unprivileged test users must get through it.
chmod 0755 "$stage"
chmod 1777 "$stage/tmp"
cp "$busybox" "$stage/bin/busybox"
install -m 0755 "$here/init" "$stage/init"
for prog in "$@"; do
	install -m 0755 "$prog" "$stage/bin/${prog##*/}"
done
# BPF objects (policies, test programs) go to /lib/iopf.
mkdir -p "$stage/lib/iopf"
for obj in ${BPF_OBJS:-}; do
	install -m 0644 "$obj" "$stage/lib/iopf/${obj##*/}"
done
(cd "$stage" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
for extra in ${APPEND:-}; do
	cat "$extra" >> "$out.tmp"
done
mv "$out.tmp" "$out"

#!/usr/bin/env bash
# Build the guest kernel (bzImage with BTF), its UAPI headers, libbpf and
# bpftool from the cached, patched tree, and point build/kernel at the result.
#
# Outputs are keyed by base version, series and config: with nothing changed,
# this script finds the key's stamp and does no work at all. Otherwise it
# applies the series (touching only changed files) and runs an incremental
# kbuild in a persistent output directory.
set -euo pipefail
. "$(dirname "$0")/common.sh"

JOBS=${JOBS:-$(nproc)}
out_link=${OUT_LINK:-$TOP/build/kernel}
key="$(src_version | tr '~:' '__')-s$(series_hash)-c$(config_hash)"
stamp=$CACHE/out/$key

mkdir -p "$CACHE/out" "$TOP/build"
exec 9>"$CACHE/.lock"
flock 9

if [ -f "$stamp/done" ]; then
	log "kernel $key is cached"
	ln -sfn "$stamp" "$out_link"
	exit 0
fi

"$TOP/kernel/scripts/prepare-tree.sh"
tree=$(tree_dir)
kout=$(kout_dir)
mkdir -p "$kout"

# Config: tinyconfig + fragments. Only replace .config when it changes, so
# an unchanged config costs nothing in kbuild.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t frags < <(config_fragments)
# Every symbol a fragment sets must survive olddefconfig.
bad=$(make_config "$tmp" "${frags[@]}") || die "making the config failed"
[ -z "$bad" ] || die "config: $bad"
if ! cmp -s "$tmp/.config" "$kout/.config"; then
	log "config changed"
	cp "$tmp/.config" "$kout/.config"
fi

log "building kernel ($key) in $kout"
make -s -C "$tree" O="$kout" ARCH=x86_64 -j"$JOBS" bzImage
make -s -C "$tree" O="$kout" ARCH=x86_64 headers_install \
	INSTALL_HDR_PATH="$kout/usr-headers" >/dev/null

# libbpf (static) and bpftool from the same tree. tools/ builds are
# incremental too; they are rebuilt only when their sources change.
tools=$CACHE/tools-$(src_version | tr '~:' '__')
mkdir -p "$tools/libbpf" "$tools/bpftool"
log "building libbpf and bpftool"
make -s -C "$tree/tools/lib/bpf" -j"$JOBS" OUTPUT="$tools/libbpf/" \
	BUILD_STATIC_ONLY=1 DESTDIR="$tools/libbpf" prefix= install >/dev/null
make -s -C "$tree/tools/bpf/bpftool" -j"$JOBS" OUTPUT="$tools/bpftool/" \
	CLANG=clang-16 LLC=llc-16 LLVM_STRIP=llvm-strip-16 \
	EXTRA_LDFLAGS=-static >/dev/null

rm -rf "$stamp.tmp"
mkdir -p "$stamp.tmp"
cp "$kout/arch/x86/boot/bzImage" "$stamp.tmp/bzImage"
ln -s "$kout/vmlinux" "$stamp.tmp/vmlinux"
cp "$kout/.config" "$stamp.tmp/config"
cp -a "$kout/usr-headers/include" "$stamp.tmp/include"
ln -s "$tools/libbpf" "$stamp.tmp/libbpf"
ln -s "$tools/bpftool/bpftool" "$stamp.tmp/bpftool"
ln -s "$tree" "$stamp.tmp/src"
ln -s "$kout" "$stamp.tmp/kbuild"
echo "$key" > "$stamp.tmp/done"
rm -rf "$stamp"
mv "$stamp.tmp" "$stamp"
ln -sfn "$stamp" "$out_link"
log "kernel ready: $out_link -> $stamp"

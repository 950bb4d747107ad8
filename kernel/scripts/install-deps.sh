#!/usr/bin/env bash
# Install the Debian packages the project needs, when any is missing.
set -euo pipefail
pkgs=(
	linux-source-6.12 qemu-system-x86 clang-16 llvm-16 pahole busybox-static
	bc flex bison libssl-dev libelf-dev zlib1g-dev libzstd-dev libcap-dev
	cpio file gnuplot-nox make gcc git rsync kmod python3 python3-ply python3-git
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
[ "$(id -u)" = 0 ] || { echo "install-deps: need root to install ${missing[*]}" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

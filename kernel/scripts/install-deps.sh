#!/usr/bin/env bash
# Install the Debian packages the project needs, when any is missing, and
# the pinned kernel source (kernel/BASE) exactly, downgrading if needed;
# the source package is left as it is once the cache holds the pinned tree
# (a build never reads it again).
set -euo pipefail
. "$(dirname "$0")/common.sh"
pkgs=(
	qemu-system-x86 clang-16 llvm-16 pahole busybox-static
	bc flex bison libssl-dev libelf-dev zlib1g-dev libzstd-dev libcap-dev
	cpio file gnuplot-nox make gcc git rsync kmod python3 python3-ply python3-git
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
base=$(src_version)
have=$(installed_version)
note=
if [ "$have" != "$base" ] && [ ! -e "$(tree_dir)/.git/refs/tags/base" ]; then
	missing+=("$SRC_PKG=$base")
	[ -z "$have" ] || note=" (the kernel base; $have is installed)"
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}$note" >&2
[ "$(id -u)" = 0 ] || { echo "install-deps: need root to install ${missing[*]}" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends --allow-downgrades "${missing[@]}" ||
	die "apt-get could not install ${missing[*]}"

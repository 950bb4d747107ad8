# shellcheck shell=bash
# Shared settings for the kernel scripts: where the cached trees live and
# how the series, the config and the base source are identified.

PROJECT=vfio-iopf
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/$PROJECT
SRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
SERIES_DIR=$TOP/kernel/patches
CONFIG_DIR=$TOP/kernel/configs

die() { echo "${0##*/}: $*" >&2; exit 1; }
log() { echo "  ${0##*/}: $*" >&2; }

# Debian package version of the kernel source, e.g. 6.12.117-1~deb12u1.
src_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		die "linux-source-6.12 is not installed (run: make deps)"
}

# The cached source tree (a git repo whose tag 'base' is the pristine source)
# and the kbuild output directory for one base version.
tree_dir() { echo "$CACHE/linux-$(src_version | tr '~:' '__')"; }
# KFLAVOR names a build flavor (e.g. "debug": KCONFIG_EXTRA=debug.config);
# each flavor builds incrementally in a directory of its own.
kout_dir() { echo "$(tree_dir)-build${KFLAVOR:+-$KFLAVOR}"; }

# Patches named in the series file, in order.
series_patches() {
	[ -f "$SERIES_DIR/series" ] || return 0
	{ grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$SERIES_DIR/series" || true; } |
		while read -r p; do echo "$SERIES_DIR/$p"; done
}

# Hash of the series (names and contents) in order.
series_hash() {
	{
		echo "series"
		series_patches | while read -r p; do
			[ -f "$p" ] || die "series names a missing patch: $p"
			echo "${p##*/}"; cat "$p"
		done
	} | sha256sum | cut -c1-16
}

# Config fragments, in the order they are merged: base.config, then the
# fragments KCONFIG_EXTRA names (default test.config; make check adds
# debug.config).
config_fragments() {
	echo "$CONFIG_DIR/base.config"
	for f in ${KCONFIG_EXTRA-test.config}; do
		case $f in /*) echo "$f" ;; *) echo "$CONFIG_DIR/$f" ;; esac
	done
}

config_hash() {
	config_fragments | while read -r f; do
		[ -f "$f" ] || die "missing config fragment: $f"
		echo "${f##*/}"; cat "$f"
	done | sha256sum | cut -c1-16
}

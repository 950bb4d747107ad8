# shellcheck shell=bash
# Shared settings for the kernel scripts: where the cached trees live and
# how the series, the config and the base source are identified.

PROJECT=vfio-iopf
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/$PROJECT
SRC_TARBALL=/usr/src/linux-source-6.12.tar.xz
SERIES_DIR=${SERIES_DIR:-$TOP/kernel/patches}
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

# Make OUT/.config: tinyconfig, the fragments merged, olddefconfig. Prints
# what of the fragments did not survive, one setting per line (a later
# fragment's setting of a symbol replaces an earlier one's, as in the
# merge); fails only if a step fails.
make_config() {
	local out=$1 tree
	shift
	tree=$(tree_dir)
	make -s -C "$tree" O="$out" ARCH=x86_64 tinyconfig >/dev/null || return 1
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$@" \
		>"$out/merge.log" 2>&1 || { cat "$out/merge.log" >&2; return 1; }
	make -s -C "$tree" O="$out" ARCH=x86_64 olddefconfig >/dev/null || return 1
	cat "$@" | grep -E '^CONFIG_[A-Z0-9_]+=' |
		awk -F= '!($1 in v) { k[n++] = $1 } { v[$1] = $0 }
			 END { for (i = 0; i < n; i++) print v[k[i]] }' |
		while IFS= read -r line; do
			local sym=${line%%=*} val=${line#*=}
			if [ "$val" = n ]; then
				if grep -qx "$sym=[ym]" "$out/.config"; then
					echo "$sym should be off"
				fi
			elif ! grep -qx "$line" "$out/.config"; then
				echo "$line did not stick (got: $(grep "^$sym=" "$out/.config" || echo unset))"
			fi
		done
}

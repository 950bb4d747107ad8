# shellcheck shell=bash
# Shared settings for the kernel scripts: where the cached trees live and
# how the series, the config and the base source are identified.

PROJECT=vfio-iopf
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/$PROJECT
SRC_PKG=linux-source-6.12
SRC_TARBALL=${SRC_TARBALL:-/usr/src/$SRC_PKG.tar.xz}
SERIES_DIR=${SERIES_DIR:-$TOP/kernel/patches}
BASE_FILE=${BASE_FILE:-$TOP/kernel/BASE}
CONFIG_DIR=$TOP/kernel/configs

die() { echo "${0##*/}: $*" >&2; exit 1; }
log() { echo "  ${0##*/}: $*" >&2; }

# A field of the base pin ("version", "sha256"): empty when absent.
base_field() {
	[ -f "$BASE_FILE" ] || die "$BASE_FILE is missing: it names the kernel base"
	sed -n "s/^$1=//p" "$BASE_FILE"
}

# The Debian version of $SRC_PKG the series is based on, e.g.
# 6.12.118-1~deb12u1: the pin, not whatever apt installed.
src_version() {
	local v
	v=$(base_field version)
	[ -n "$v" ] || die "$BASE_FILE names no version"
	echo "$v"
}

# The installed version of $SRC_PKG, empty when it is not installed.
installed_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$SRC_PKG" 2>/dev/null |
		sed -n 's/^install ok installed //p'
}

# The installed version for a message: "none" when there is none.
installed_shown() {
	local v
	v=$(installed_version)
	echo "${v:-none}"
}

# A Debian version as a file name (no '~' or ':').
ver_dir() { echo "$1" | tr '~:' '__'; }

# The cached source tree of a base version (default: the pin), a git repo
# whose tag 'base' is the pristine source, and the kbuild output directory
# for the pin.
tree_dir() { echo "$CACHE/linux-$(ver_dir "${1:-$(src_version)}")"; }
# KFLAVOR names a build flavor (e.g. "debug": KCONFIG_EXTRA=debug.config);
# each flavor builds incrementally in a directory of its own.
kout_dir() { echo "$(tree_dir)-build${KFLAVOR:+-$KFLAVOR}"; }

# Install exactly VERSION of $SRC_PKG, downgrading if needed.
install_source() {
	[ "$(installed_version)" = "$1" ] && return 0
	[ "$(id -u)" = 0 ] || die "need root to install $SRC_PKG=$1"
	log "installing $SRC_PKG=$1 (installed: $(installed_shown))"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		--allow-downgrades "$SRC_PKG=$1" >&2 ||
		die "apt-get could not install $SRC_PKG=$1 (does 'apt-cache madison $SRC_PKG' list it?)"
}

# The source tarball of VERSION into file OUT: the installed one if it is
# that version, else VERSION's package downloaded (nothing is installed).
get_tarball() {
	local v=$1 out=$2 tmp deb
	if [ "$(installed_version)" = "$v" ] && [ -f "$SRC_TARBALL" ]; then
		cp "$SRC_TARBALL" "$out"
		return
	fi
	log "$SRC_PKG $v is not installed (installed: $(installed_shown)); downloading it"
	tmp=$(mktemp -d "$CACHE/download.XXXXXX")
	# apt-get download as root warns that _apt cannot write here: harmless.
	if ! (cd "$tmp" && apt-get download -q "$SRC_PKG=$v" >download.log 2>&1); then
		sed 's/^/    /' "$tmp/download.log" >&2
		rm -rf "$tmp"
		return 1
	fi
	deb=$(echo "$tmp"/*.deb)
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$SRC_PKG.tar.xz" > "$out" ||
		{ rm -rf "$tmp"; return 1; }
	rm -rf "$tmp"
}

# Unpack base VERSION (checked against SHA256 when given) into its tree,
# once: a git repo with the pristine source as tag 'base' and
# .git/iopf-base = "VERSION SHA256" of the tarball it came from.
unpack_base() {
	local v=$1 want=${2:-} tree tar sum have
	tree=$(tree_dir "$v")
	if [ -e "$tree/.git/refs/tags/base" ]; then
		# Trees unpacked before the pin carry the version in the
		# commit message only.
		have=$(cat "$tree/.git/iopf-base" 2>/dev/null ||
			git -C "$tree" log -1 --format='%s' base | sed 's/^Debian [^ ]* //')
		[ "${have%% *}" = "$v" ] ||
			die "$tree holds $SRC_PKG ${have%% *}, not $v: remove it and run again"
		case $have in
		*" "*) [ -z "$want" ] || [ "${have#* }" = "$want" ] ||
			die "$tree was unpacked from a tarball with sha256 ${have#* }, but $BASE_FILE pins $want: remove it and run again" ;;
		esac
		return 0
	fi
	mkdir -p "$CACHE"
	tar=$(mktemp "$CACHE/source.XXXXXX")
	get_tarball "$v" "$tar" || {
		rm -f "$tar"
		die "no source for the kernel base: $SRC_PKG $v is pinned ($BASE_FILE), $(installed_shown) is installed, and apt-get could not download $v. Run 'make deps' to install $v, or move the base with kernel/scripts/rebase.sh VERSION"
	}
	sum=$(sha256sum < "$tar" | cut -c1-64)
	if [ -n "$want" ] && [ "$sum" != "$want" ]; then
		rm -f "$tar"
		die "$SRC_PKG $v has sha256 $sum, but $BASE_FILE pins $want: not the source the series was made on"
	fi
	log "unpacking $SRC_PKG $v into $tree (once)"
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -xJf "$tar" -C "$tree.tmp" --strip-components=1 || { rm -f "$tar"; die "unpacking $v failed"; }
	rm -f "$tar"
	(
		cd "$tree.tmp"
		git init -q
		git config user.name "vfio-iopf build"
		git config user.email "build@localhost"
		git config gc.auto 0
		git add -A -f
		git commit -q -m "Debian $SRC_PKG $v"
		git tag base
		echo "$v $sum" > .git/iopf-base
	)
	mv "$tree.tmp" "$tree"
}

# Make WT a worktree of base VERSION's tree, on a new BRANCH at 'base',
# for am_series: the pinned base is unpacked, and the series applied on it
# exactly is fetched into VERSION's repo as commits (refs/series/PIN), so
# that git am -3 has the preimage of every patch whose context moved.
rebase_worktree() {
	local v=$1 wt=$2 branch=$3 pin tree idx bad
	pin=$(src_version)
	tree=$(tree_dir "$v")
	unpack_base "$pin" "$(base_field sha256)"
	git -C "$tree" fetch -q "$(tree_dir "$pin")" \
		"+refs/tags/base:refs/tags/base-$(ver_dir "$pin")" || return 1
	idx=$(mktemp "$tree/.git/iopf-index.XXXXXX")
	bad=$(cd "$tree" && apply_series_index "$idx" "refs/tags/base-$(ver_dir "$pin")" \
		"refs/series/$(ver_dir "$pin")")
	rm -f "$idx"
	[ -z "$bad" ] || { echo "$bad does not apply on its own base $pin" >&2; return 1; }
	git -C "$tree" worktree remove --force "$wt" 2>/dev/null
	git -C "$tree" worktree prune
	git -C "$tree" worktree add -q --detach "$wt" base &&
		git -C "$wt" checkout -q -B "$branch"
}

# Apply the series exactly (no merges) to the scratch index IDX of the git
# repo in the current directory, starting from REV (default 'base'). With
# REF, each patch is kept as a commit and REF names the last. On failure
# prints the name of the patch that does not apply and fails.
apply_series_index() {
	local idx=$1 rev=${2:-base} ref=${3:-} p c t
	c=$(git rev-parse "$rev^{commit}")
	GIT_INDEX_FILE=$idx git read-tree "$c"
	while read -r p; do
		[ -n "$p" ] || continue
		GIT_INDEX_FILE=$idx git apply --cached "$p" ||
			{ echo "${p##*/}"; return 1; }
		[ -n "$ref" ] || continue
		t=$(GIT_INDEX_FILE=$idx git write-tree)
		c=$(git commit-tree "$t" -p "$c" -m "${p##*/}")
	done < <(series_patches)
	[ -z "$ref" ] || git update-ref "$ref" "$c"
}

# Apply the series one patch at a time with three-way merges (git am -3) on
# the branch checked out in worktree WT, from the first patch not yet there.
# On a conflict, prints "PATCH: FILE..." (the files left unmerged) and
# fails, leaving the am in progress in WT.
am_series() {
	local wt=$1 i n p files
	local -a patches
	mapfile -t patches < <(series_patches)
	n=$(git -C "$wt" rev-list --count base..HEAD)
	for ((i = n; i < ${#patches[@]}; i++)); do
		p=${patches[i]}
		if ! git -C "$wt" am -q -3 "$p" >"$wt.am.log" 2>&1; then
			files=$(git -C "$wt" diff --name-only --diff-filter=U | tr '\n' ' ')
			[ -n "$files" ] || files=$(sed -n 's/^error: patch failed: //p' "$wt.am.log" | tr '\n' ' ')
			echo "${p##*/}: ${files% }"
			return 1
		fi
	done
}

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

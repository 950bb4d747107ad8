#!/usr/bin/env bash
# Check the series as a reviewer would:
#   - scripts/checkpatch.pl --strict on every patch (must be clean);
#   - with --build, every prefix of the series builds (bzImage), each one
#     incrementally after the previous, in a worktree and output directory
#     of its own under the cache (the first build is a full one);
#     --build --from N starts with the prefix that ends at patch N.
#   - with --newest, instead: does the series apply to the newest
#     linux-source-6.12 Debian's archive offers, as it is or with three-way
#     merges (what rebase.sh would do)? Nothing is installed: that version's
#     package is downloaded and unpacked into the cache.
# Prints one line per check and "series: N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/common.sh"
build=0 from=1 newest=0
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=1 ;;
	--from) from=${2:?--from needs a patch number}; shift ;;
	--newest) newest=1 ;;
	*) die "unknown option $1 (usage: check-series.sh [--build [--from N]] | --newest)" ;;
	esac
	shift
done
pass=0 fail=0

# The newest version of the source package the archive lists.
newest_version() {
	local v newest=
	if [ "$(id -u)" = 0 ]; then
		apt-get update -q >/dev/null 2>&1 || log "apt-get update failed: the package lists may be old"
	fi
	for v in $(apt-cache madison "$SRC_PKG" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'); do
		if [ -z "$newest" ] || dpkg --compare-versions "$v" gt "$newest"; then
			newest=$v
		fi
	done
	echo "$newest"
}

# One line on whether the series applies to the newest base; fails if not.
check_newest() {
	local pin newest tree idx bad wt conflict
	pin=$(src_version)
	newest=$(newest_version)
	[ -n "$newest" ] || { echo "apt lists no $SRC_PKG"; return 1; }
	if [ "$newest" = "$pin" ]; then
		echo "the pinned base $pin is the newest $SRC_PKG"
		return 0
	fi
	unpack_base "$newest" || return 1
	tree=$(tree_dir "$newest")
	idx=$(mktemp "$tree/.git/iopf-index.XXXXXX")
	bad=$(cd "$tree" && apply_series_index "$idx" 2>/dev/null)
	rm -f "$idx"
	if [ -z "$bad" ]; then
		echo "$newest is newer than the pinned $pin; the series applies to it as it is (move with: kernel/scripts/rebase.sh $newest)"
		return 0
	fi
	wt=$CACHE/newest-check
	rebase_worktree "$newest" "$wt" newest-check || return 1
	conflict=$(am_series "$wt")
	local rc=$?
	git -C "$wt" am --abort >/dev/null 2>&1
	git -C "$tree" worktree remove --force "$wt"
	git -C "$tree" branch -q -D newest-check
	rm -f "$wt.am.log"
	if [ $rc = 0 ]; then
		echo "$newest is newer than the pinned $pin; $bad needs three-way merges, and every patch merges (move with: kernel/scripts/rebase.sh $newest)"
		return 0
	fi
	echo "$newest is newer than the pinned $pin, and the series does not apply to it: ${conflict%%:*} conflicts in${conflict#*:}"
	return 1
}

if [ $newest = 1 ]; then
	if out=$(check_newest); then
		pass=1; echo "series: ok   newest base: $out"
	else
		fail=1; echo "series: FAIL newest base: $out"
	fi
	echo "series: $pass passed, $fail failed"
	[ $fail = 0 ]
	exit
fi

"$TOP/kernel/scripts/prepare-tree.sh" >/dev/null 2>&1 || die "prepare-tree failed"
tree=$(tree_dir)
mapfile -t patches < <(series_patches)

for p in "${patches[@]}"; do
	out=$(cd "$tree" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict -q "$p" 2>&1 |
		grep -E '^(ERROR|WARNING|CHECK)')
	if [ -z "$out" ]; then
		pass=$((pass + 1)); echo "series: ok   checkpatch ${p##*/}"
	else
		fail=$((fail + 1)); echo "series: FAIL checkpatch ${p##*/}"; echo "$out" | sed 's/^/    /'
	fi
done

if [ $build = 1 ]; then
	wt=$CACHE/series-check
	kout=$CACHE/series-check-build
	[ -d "$wt" ] || git -C "$tree" worktree add -q --detach "$wt" base
	mkdir -p "$kout"
	# The test platform's configuration: tinyconfig + base + test fragments.
	mapfile -t frags < <(config_fragments)
	bad=$(make_config "$kout" "${frags[@]}") || die "making the config failed"
	[ -z "$bad" ] || die "config: $bad"
	# Each prefix starts from it: olddefconfig at a prefix that does not
	# know a symbol yet must not drop it for the prefixes that do.
	cp "$kout/.config" "$kout/config.want"
	# Files a previous run's patches added are untracked (and ignored).
	git -C "$wt" checkout -q -f --detach base
	git -C "$wt" clean -fdxq
	i=0
	for p in "${patches[@]}"; do
		i=$((i + 1))
		git -C "$wt" apply "$p" || { fail=$((fail + 1)); echo "series: FAIL apply ${p##*/}"; break; }
		[ "$i" -lt "$from" ] && continue
		cp "$kout/config.want" "$kout/.config"
		if make -s -C "$wt" O="$kout" ARCH=x86_64 olddefconfig >/dev/null &&
		   make -s -C "$wt" O="$kout" ARCH=x86_64 -j"$(nproc)" bzImage >"$kout/log.$i" 2>&1; then
			pass=$((pass + 1)); echo "series: ok   builds with patches 1-$i"
		else
			fail=$((fail + 1)); echo "series: FAIL build with patches 1-$i (see $kout/log.$i)"
			grep -E 'error|Error' "$kout/log.$i" | head -5 | sed 's/^/    /'
		fi
	done
	git -C "$wt" checkout -q -f --detach base
	git -C "$wt" clean -fdxq
fi
echo "series: $pass passed, $fail failed"
[ $fail = 0 ]

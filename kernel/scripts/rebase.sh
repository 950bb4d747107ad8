#!/usr/bin/env bash
# Move the series to another version of Debian's kernel source.
# Usage: rebase.sh VERSION [check-series.sh options]
#
# Installs linux-source-6.12=VERSION, unpacks it into the cache, and applies
# kernel/patches on it one patch at a time with three-way merges (git am -3,
# the old base's objects fetched in, so moved context merges) in a worktree
# at $CACHE/rebase-VERSION. At the first conflict it stops, naming the patch
# and the files: resolve them there, 'git am --continue', and run rebase.sh
# VERSION again to go on from the next patch. Once every patch is on,
# kernel/patches is exported from the worktree, kernel/BASE pins VERSION
# (with its tarball's sha256), the worktree is removed, and check-series.sh
# runs with the options given.
set -euo pipefail
. "$(dirname "$0")/common.sh"
new=${1:?usage: rebase.sh VERSION [check-series.sh options]}
shift
old=$(src_version)
[ "$new" != "$old" ] || die "the series is already based on $SRC_PKG $old"

install_source "$new"
unpack_base "$new"
tree=$(tree_dir "$new")
wt=$CACHE/rebase-$(ver_dir "$new")

branch=rebase-from-$(ver_dir "$old")
if [ ! -d "$wt" ]; then
	rebase_worktree "$new" "$wt" "$branch" || die "no worktree for the rebase at $wt"
	log "applying the series on $new in $wt"
fi
[ ! -d "$(cd "$wt" && git rev-parse --path-format=absolute --git-path rebase-apply)" ] ||
	die "a patch is still being applied in $wt: resolve it, 'git am --continue' there, then run rebase.sh $new again"
if ! conflict=$(am_series "$wt"); then
	die "conflict: ${conflict%%:*} does not apply on $new (in:${conflict#*:}). Resolve in $wt, 'git am --continue', then run rebase.sh $new again"
fi

"$TOP/kernel/scripts/export-series.sh" "$wt"
sum=$(cut -d' ' -f2 "$tree/.git/iopf-base")
sed -i -e "s/^version=.*/version=$new/" -e "s/^sha256=.*/sha256=$sum/" "$BASE_FILE"
git -C "$tree" worktree remove --force "$wt"
git -C "$tree" branch -q -D "$branch"
rm -f "$wt.am.log"
log "the series is now based on $SRC_PKG $new ($BASE_FILE)"
"$TOP/kernel/scripts/check-series.sh" "$@"

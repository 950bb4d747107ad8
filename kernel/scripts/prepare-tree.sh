#!/usr/bin/env bash
# Unpack the Debian 6.12 source into the cache once (as a git repo tagged
# 'base') and make its work tree equal to base + kernel/patches/series.
#
# The series is applied to a scratch index and checked out as one commit, so
# git rewrites only files whose content differs from what the tree holds now:
# an unchanged series touches nothing, a changed patch touches only its files,
# and kbuild then rebuilds only what depends on them.
set -euo pipefail
. "$(dirname "$0")/common.sh"

tree=$(tree_dir)
mkdir -p "$CACHE"

if [ ! -e "$tree/.git/refs/tags/base" ]; then
	[ -f "$SRC_TARBALL" ] || die "$SRC_TARBALL missing (run: make deps)"
	log "unpacking $SRC_TARBALL into $tree (once)"
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$tree.tmp"
	tar -xJf "$SRC_TARBALL" -C "$tree.tmp" --strip-components=1
	(
		cd "$tree.tmp"
		git init -q
		git config user.name "vfio-iopf build"
		git config user.email "build@localhost"
		git config gc.auto 0
		git add -A -f
		git commit -q -m "Debian linux-source-6.12 $(src_version)"
		git tag base
	)
	mv "$tree.tmp" "$tree"
fi

cd "$tree"
want=$(series_hash)
have=$(cat .git/iopf-applied 2>/dev/null || true)
if [ "$want" = "$have" ] && git diff --quiet HEAD; then
	log "series $want already applied"
	exit 0
fi

idx=$(mktemp "$tree/.git/iopf-index.XXXXXX")
trap 'rm -f "$idx"' EXIT
GIT_INDEX_FILE=$idx git read-tree base
n=0
while read -r p; do
	[ -n "$p" ] || continue
	GIT_INDEX_FILE=$idx git apply --cached "$p" ||
		die "patch does not apply on base: ${p##*/}"
	n=$((n + 1))
done < <(series_patches)
t=$(GIT_INDEX_FILE=$idx git write-tree)
c=$(git commit-tree "$t" -p base -m "vfio-iopf series $want ($n patches)")
git checkout -q -f --detach "$c"
echo "$want" > .git/iopf-applied
log "applied series $want ($n patches)"

#!/usr/bin/env bash
# Unpack the pinned Debian source (kernel/BASE) into the cache once (as a
# git repo tagged 'base') and make its work tree equal to base +
# kernel/patches/series.
#
# The series is applied to a scratch index and checked out as one commit, so
# git rewrites only files whose content differs from what the tree holds now:
# an unchanged series touches nothing, a changed patch touches only its files,
# and kbuild then rebuilds only what depends on them.
set -euo pipefail
. "$(dirname "$0")/common.sh"

base=$(src_version)
unpack_base "$base" "$(base_field sha256)"
tree=$(tree_dir)

cd "$tree"
want=$(series_hash)
have=$(cat .git/iopf-applied 2>/dev/null || true)
if [ "$want" = "$have" ] && git diff --quiet HEAD; then
	log "series $want already applied"
	exit 0
fi

idx=$(mktemp "$tree/.git/iopf-index.XXXXXX")
trap 'rm -f "$idx"' EXIT
bad=$(apply_series_index "$idx") ||
	die "patch does not apply on the pinned base $base: $bad (kernel/patches and $BASE_FILE disagree; move the base with kernel/scripts/rebase.sh)"
n=$(series_patches | wc -l)
t=$(GIT_INDEX_FILE=$idx git write-tree)
c=$(git commit-tree "$t" -p base -m "vfio-iopf series $want ($n patches)")
git checkout -q -f --detach "$c"
echo "$want" > .git/iopf-applied
log "applied series $want ($n patches) on $base"

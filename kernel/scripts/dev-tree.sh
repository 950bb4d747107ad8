#!/usr/bin/env bash
# Make a development tree: a git worktree of the cached source at 'base'
# with the series applied as real commits (git am), to edit and commit in.
# Then kernel/scripts/export-series.sh DIR regenerates kernel/patches.
# Usage: dev-tree.sh [DIR]   (default: $CACHE/dev)
set -euo pipefail
. "$(dirname "$0")/common.sh"
"$TOP/kernel/scripts/prepare-tree.sh"
dir=${1:-$CACHE/dev}
[ -e "$dir" ] && die "$dir exists; remove it or name another directory"
git -C "$(tree_dir)" worktree add -q --detach "$dir" base
cd "$dir"
git checkout -q -B iopf
mapfile -t patches < <(series_patches)
[ ${#patches[@]} -eq 0 ] || git am -q "${patches[@]}"
log "dev tree at $dir (branch iopf, $(git rev-list --count base..HEAD) patches on base)"
log "note: Debian's .gitignore hides new files: add them with git add -f"

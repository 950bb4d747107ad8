#!/usr/bin/env bash
# Regenerate kernel/patches (and its series file) from a development tree's
# commits on top of 'base'.
# Usage: export-series.sh [DIR]   (default: $CACHE/dev)
set -euo pipefail
. "$(dirname "$0")/common.sh"
dir=${1:-$CACHE/dev}
git -C "$dir" rev-parse -q --verify base >/dev/null || die "$dir is not a dev tree"
git -C "$dir" diff --quiet HEAD || die "$dir has uncommitted changes"
rm -f "$SERIES_DIR"/*.patch
# A fixed abbreviation keeps index lines stable across trees of any size.
git -C "$dir" -c core.abbrev=7 format-patch -q --no-signature --zero-commit -N \
	-o "$SERIES_DIR" base..HEAD
(cd "$SERIES_DIR" && ls -1 -- *.patch 2>/dev/null || true) > "$SERIES_DIR/series"
log "exported $(wc -l < "$SERIES_DIR/series") patches to $SERIES_DIR"

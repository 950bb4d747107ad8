#!/usr/bin/env bash
# Build the whole series in every configuration of kernel/configs/matrix/:
# tinyconfig + base.config + the matrix fragment, checked to stick, then
# bzImage and modules. Each configuration builds incrementally in an output
# directory of its own under the cache. Prints one line per configuration
# and "configs: N passed, N failed".
# Usage: check-configs.sh [NAME...]   (default: every fragment)
set -uo pipefail
. "$(dirname "$0")/common.sh"
JOBS=${JOBS:-$(nproc)}
"$TOP/kernel/scripts/prepare-tree.sh" >/dev/null 2>&1 || die "prepare-tree failed"
tree=$(tree_dir)
# The tree stays at this series while we build: hold the build lock.
exec 9>"$CACHE/.lock"
flock 9
pass=0 fail=0
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in "$CONFIG_DIR"/matrix/*.config; do names+=("$(basename "$f" .config)"); done
fi

for name in "${names[@]}"; do
	frag=$CONFIG_DIR/matrix/$name.config
	[ -f "$frag" ] || die "no such configuration: $frag"
	out=$CACHE/matrix-$name
	mkdir -p "$out"
	log=$out/build.log
	tmp=$(mktemp -d)
	bad=$(make_config "$tmp" "$CONFIG_DIR/base.config" "$frag") ||
		bad="making the config failed"
	cmp -s "$tmp/.config" "$out/.config" || cp "$tmp/.config" "$out/.config"
	rm -rf "$tmp"
	if [ -n "$bad" ]; then
		fail=$((fail + 1)); echo "configs: FAIL $name: $bad"
		continue
	fi
	start=$(date +%s)
	if make -s -C "$tree" O="$out" ARCH=x86_64 -j"$JOBS" bzImage modules >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "configs: ok   $name ($(( $(date +%s) - start )) s)"
	else
		fail=$((fail + 1)); echo "configs: FAIL $name (see $log)"
		grep -E 'error|ERROR' "$log" | head -5 | sed 's/^/    /'
	fi
done
echo "configs: $pass passed, $fail failed"
[ $fail = 0 ]

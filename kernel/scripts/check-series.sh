#!/usr/bin/env bash
# Check the series as a reviewer would:
#   - scripts/checkpatch.pl --strict on every patch (must be clean);
#   - with --build, every prefix of the series builds (bzImage), each one
#     incrementally after the previous, in a worktree and output directory
#     of its own under the cache (the first build is a full one);
#     --build --from N starts with the prefix that ends at patch N.
# Prints one line per check and "series: N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/common.sh"
build=0 from=1
[ "${1:-}" = --build ] && build=1
[ "${2:-}" = --from ] && from=${3:?--from needs a patch number}
"$TOP/kernel/scripts/prepare-tree.sh" >/dev/null 2>&1 || die "prepare-tree failed"
tree=$(tree_dir)
pass=0 fail=0
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

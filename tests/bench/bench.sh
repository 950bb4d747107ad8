#!/usr/bin/env bash
# make bench: boot the guest in bench mode, collect the CSV tables it
# prints into results/, and write a Markdown table and a PNG plot for each.
set -euo pipefail
cd "$(dirname "$0")/../.."
export KERNEL=build/kernel/bzImage INITRD=build/initramfs.cpio.gz LOGCHECK=build/logcheck
mkdir -p results
tests/harness/run-guest.sh -m bench -t "${BENCH_TIMEOUT:-3000}" -o build/bench
tap=build/bench/tap.log
sed -i 's/\r$//' "$tap"
tables=$(grep -o '^csv:[a-z_0-9]*:' "$tap" | sort -u | cut -d: -f2)
[ -n "$tables" ] || { echo "bench: the guest printed no table" >&2; exit 1; }
for t in $tables; do
	grep "^csv:$t:" "$tap" | cut -d: -f3- > "results/$t.csv"
	awk -F, 'NR == 1 { h = "|"; s = "|"; for (i = 1; i <= NF; i++) { h = h " " $i " |"; s = s " --- |" }
		print h; print s; next }
		{ r = "|"; for (i = 1; i <= NF; i++) r = r " " $i " |"; print r }' \
		"results/$t.csv" > "results/$t.md"
	if [ -f "tests/bench/$t.gp" ]; then
		gnuplot -e "in='results/$t.csv'; out='results/$t.png'" "tests/bench/$t.gp"
	fi
	echo "bench: results/$t.csv results/$t.md$([ -f "results/$t.png" ] && echo " results/$t.png")"
	cat "results/$t.md"
done

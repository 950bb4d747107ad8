#!/usr/bin/env bash
# make bench: boot the guest in bench mode, collect the CSV tables it
# prints into results/, and write a Markdown table and a PNG plot for each.
set -euo pipefail
cd "$(dirname "$0")/../.."
export KERNEL=build/kernel/bzImage INITRD=build/initramfs.cpio.gz LOGCHECK=build/logcheck
# The memory table pins a whole 1 GiB mapping statically.
export GUEST_MEM=${GUEST_MEM:-2G}
mkdir -p results
# VMBENCH=0 skips the nested-VM half; VMBENCH=only runs it alone.
# BENCH_ONLY=fault_cost,phases,bpf_vs_builtin,main picks sections of the
# guest half. BENCH_BASE=REV first boots the kernel series of git revision
# REV (built once, cached like ours) for the fault_cost table, labelled
# "before", then this one, labelled "after": back to back, on this machine.
args=${BENCH_ONLY:+iopf.bench=$BENCH_ONLY}
rm -rf build/bench-base
if [ -n "${BENCH_BASE:-}" ] && [ "${VMBENCH:-1}" != only ]; then
	base=$(mktemp -d)
	trap 'rm -rf "$base"' EXIT
	git archive "$BENCH_BASE" kernel/patches | tar -x -C "$base"
	# REV's series on REV's own kernel base. Revisions from before the
	# pin (kernel/BASE) were all made on 6.12.117-1~deb12u1.
	if ! git archive "$BENCH_BASE" kernel/BASE 2>/dev/null | tar -x -C "$base"; then
		printf 'version=6.12.117-1~deb12u1\nsha256=%s\n' \
			585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f > "$base/kernel/BASE"
	fi
	BASE_FILE=$base/kernel/BASE SERIES_DIR=$base/kernel/patches KFLAVOR=base \
		KCONFIG_EXTRA="test.config iommufd.config" \
		OUT_LINK=build/kernel-base kernel/scripts/build-kernel.sh
	KERNEL=build/kernel-base/bzImage tests/harness/run-guest.sh -m bench \
		-a "iopf.bench=fault_cost iopf.label=before" -t "${BENCH_TIMEOUT:-3000}" \
		-o build/bench-base
	args="$args iopf.label=after"
fi
if [ "${VMBENCH:-1}" != only ]; then
	tests/harness/run-guest.sh -m bench ${args:+-a "$args"} -t "${BENCH_TIMEOUT:-3000}" \
		-o build/bench
fi
# Nested VMs (Debian's QEMU in the guest): 4 GiB, an edu device per VM.
if [ "${VMBENCH:-1}" != 0 ]; then
	GUEST_MEM=${VM_GUEST_MEM:-4G} EDU_EXTRA=12 tests/harness/run-guest.sh -m vmbench \
		-t "${VMBENCH_TIMEOUT:-3600}" -o build/vmbench
fi
taps=
for tap in build/bench-base/tap.log build/bench/tap.log build/vmbench/tap.log; do
	[ -f "$tap" ] && sed -i 's/\r$//' "$tap" && taps="$taps $tap"
done
# Long tables (workload,policy,...) pivoted to policy x workload matrices for
# the histogram plots; prints the gnuplot variables naming them.
pivot() {	# CSV COLUMN OUT
	awk -F, -v col="$2" '
		NR == 1 { next }
		!($1 in wi) { wi[$1] = ++nw; wn[nw] = $1 }
		!($2 in pi) { pi[$2] = ++np; pn[np] = $2 }
		{ v[$2, $1] = $col }
		END {
			printf "policy"; for (i = 1; i <= nw; i++) printf " %s", wn[i]; print ""
			for (k = 1; k <= np; k++) {
				printf "%s", pn[k]
				for (i = 1; i <= nw; i++) printf " %s", v[pn[k], wn[i]]
				print ""
			}
		}' "$1" > "$3"
}
pivots() {
	case $1 in
	policy_injection)
		pivot results/policy_injection.csv 3 build/bench/faults.dat
		pivot results/policy_injection.csv 7 build/bench/wasted.dat
		echo "faults='build/bench/faults.dat'; wasted='build/bench/wasted.dat'" ;;
	policy_edu)
		pivot results/policy_edu.csv 4 build/bench/retries.dat
		echo "retries='build/bench/retries.dat'" ;;
	esac
}

# NAME.csv as a Markdown table, NAME.md.
md_table() {
	awk -F, 'NR == 1 { h = "|"; s = "|"; for (i = 1; i <= NF; i++) { h = h " " $i " |"; s = s " --- |" }
		print h; print s; next }
		{ r = "|"; for (i = 1; i <= NF; i++) r = r " " $i " |"; print r }' "$1.csv" > "$1.md"
}

# shellcheck disable=SC2086
tables=$(cat $taps | grep -o '^csv:[a-z_0-9]*:' | sort -u | cut -d: -f2)
[ -n "$tables" ] || { echo "bench: the guest printed no table" >&2; exit 1; }
for t in $tables; do
	# shellcheck disable=SC2086
	# One header, should two kernels print the table.
	cat $taps | grep "^csv:$t:" | cut -d: -f3- | awk 'NR == 1 || $0 != h { print } NR == 1 { h = $0 }' \
		> "results/$t.csv"
	md_table "results/$t"
	if [ -f "tests/bench/$t.gp" ]; then
		gnuplot -e "in='results/$t.csv'; out='results/$t.png'; $(pivots "$t")" \
			"tests/bench/$t.gp"
	fi
	echo "bench: results/$t.csv results/$t.md$([ -f "results/$t.png" ] && echo " results/$t.png")"
	cat "results/$t.md"
done

# Before and after side by side: how many times fewer ns per fault.
if grep -q '^before,' results/fault_cost.csv 2>/dev/null &&
   grep -q '^after,' results/fault_cost.csv; then
	awk -F, 'NR > 1 { ns[$1, $2] = $4; wall[$1, $2] = $7; p25[$1, $2] = $5; p75[$1, $2] = $6 }
		END {
			print "mode,before_ns,before_p25_p75,after_ns,after_p25_p75,speedup,wall_speedup"
			split("single burst", m, " ")
			for (i = 1; i <= 2; i++)
				printf "%s,%s,%s-%s,%s,%s-%s,%.2fx,%.2fx\n", m[i],
					ns["before", m[i]], p25["before", m[i]], p75["before", m[i]],
					ns["after", m[i]], p25["after", m[i]], p75["after", m[i]],
					ns["before", m[i]] / ns["after", m[i]],
					wall["before", m[i]] / wall["after", m[i]]
		}' results/fault_cost.csv > results/fault_cost_speedup.csv
	md_table results/fault_cost_speedup
	echo "bench: results/fault_cost_speedup.csv results/fault_cost_speedup.md"
	cat results/fault_cost_speedup.md
	# The speedup is a target too (of this run's targets table).
	echo "$tables" | grep -qx targets &&
	awk -F, 'NR > 1 { x = $6; sub(/x$/, "", x)
		how = "bursts of 1024"; if ($1 == "single") how = "one at a time"
		met = "no"; if (x + 0 >= 1.5) met = "yes"
		printf "ns per 1-page fault (built-in; %s) before / after,%s,>= 1.5x,%s\n",
			how, $6, met }' results/fault_cost_speedup.csv \
		>> results/targets.csv &&
	md_table results/targets
fi

# The README shows the targets and the plots, and links the tables.
tests/bench/readme-section.sh "$(date -u +%Y-%m-%d)"

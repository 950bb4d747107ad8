#!/usr/bin/env bash
# Rewrite the README's bench section from results/: the targets table and
# the plots inline, the long per-policy tables linked, not pasted.
# Usage: tests/bench/readme-section.sh [DATE]   (default: results/targets.csv's date)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f results/targets.md ] && grep -q '<!-- bench:begin -->' README.md || exit 0
when=${1:-$(date -u -r results/targets.csv +%Y-%m-%d)}
mkdir -p build/bench
{
	echo '<!-- bench:begin -->'
	echo "Latest \`make bench\` ($when, QEMU TCG guest; ratios measured side by side):"
	echo
	cat results/targets.md
	echo
	if [ -f results/vm_targets.md ]; then
		echo "Nested VMs (Debian's QEMU in the guest, edu passed through; pinned = plain"
		echo "type1, on fault = the \`vm\` policy bound by the admin; from the last run"
		echo "of the VM half, $(git log -1 --format=%cs -- results/vm_targets.csv 2>/dev/null || echo "date unknown")):"
		echo
		cat results/vm_targets.md
		echo
	fi
	if [ -f results/fault_cost_speedup.md ]; then
		echo "Built-in policy, ns per 1-page fault (kernel handling, median of 31"
		echo "rounds, p25-p75 beside it), before and after the fast-path patches"
		echo "(\`make bench BENCH_BASE=REV\`, the two kernels booted back to back):"
		echo
		cat results/fault_cost_speedup.md
		echo
	fi
	for t in fault_phases bpf_vs_builtin_rounds policy_injection inject_vs_eager \
		policy_edu vm_startup vm_density vm_slowdown; do
		[ -f "results/$t.png" ] && echo "![$t](results/$t.png)"
	done
	echo
	echo "Tables: [every workload x policy](results/policy_injection.md) (faults, pages"
	echo "touched, mapped, pinned, wasted, time per fault and per page),"
	echo "[fault-driven vs eager MAP_DMA](results/inject_vs_eager.md),"
	echo "[BPF vs built-in](results/bpf_vs_builtin.md) ([every round](results/bpf_vs_builtin_rounds.md)),"
	echo "[where a fault's time goes](results/fault_phases.md),"
	echo "[ns per fault](results/fault_cost.md), [edu retries](results/policy_edu.md),"
	echo "[memory](results/memory.md), [VM start](results/vm_startup.md)"
	echo "([fit](results/vm_startup_fit.md), [every boot](results/vm_startup_raw.md)),"
	echo "[VM density](results/vm_density.md), [VM slowdown](results/vm_slowdown.md);"
	echo "each also as CSV beside it."
	echo '<!-- bench:end -->'
} > build/bench/readme-section.md
awk 'BEGIN { while ((getline l < "build/bench/readme-section.md") > 0) sec = sec l "\n" }
	/<!-- bench:begin -->/ { printf "%s", sec; skip = 1; next }
	/<!-- bench:end -->/ { skip = 0; next }
	!skip' README.md > build/bench/README.md && cp build/bench/README.md README.md
echo "bench: README.md updated"

#!/usr/bin/env bash
# Boot the patched kernel in QEMU (q35, TCG, virtio-iommu, two edu devices, and two
# functions of a third that share an IOMMU group),
# let the guest's /init do what -m asks, then judge the run with logcheck.
#
# Usage: run-guest.sh [-m MODE] [-t SECONDS] [-o DIR] [-a APPEND] [-T PATTERN]...
#   -m MODE     tests (default), demo, panic, hang: see tests/harness/init
#   -t SECONDS  wall-clock limit for the whole guest run (default 900)
#   -o DIR      where to write console.log and tap.log (default build/guest)
#   -a APPEND   extra kernel command line
#   -T PATTERN  run only the guest tests matching PATTERN (repeatable)
# Environment: GUEST_MEM (default 1G), EDU_EXTRA (more edu devices).
# Needs KERNEL, INITRD and LOGCHECK in the environment (the Makefile sets them).
# Exit: 0 when the guest finished, its kernel log is clean and (tests, demo)
# every test passed; 1 otherwise, with the reason on the last line.
set -uo pipefail
mode=tests timeout=900 outdir=build/guest append= pats=
while getopts m:t:o:a:T: opt; do
	case $opt in
	m) mode=$OPTARG ;;
	t) timeout=$OPTARG ;;
	o) outdir=$OPTARG ;;
	a) append=$OPTARG ;;
	T) pats=${pats:+$pats,}$OPTARG ;;
	*) exit 2 ;;
	esac
done
: "${KERNEL:?} ${INITRD:?} ${LOGCHECK:?}"
mkdir -p "$outdir"
console=$outdir/console.log tap=$outdir/tap.log
: > "$tap"

cmdline="console=ttyS0 panic=-1 oops=panic loglevel=5 iopf.mode=$mode"
cmdline="$cmdline vfio_iommu_type1.allow_unsafe_interrupts=1 iommufd.allow_unsafe_interrupts=1"
[ -n "$pats" ] && cmdline="$cmdline iopf.t=$pats"
[ -n "$append" ] && cmdline="$cmdline $append"

# EDU_EXTRA=N adds N edu devices, each in a slot (and IOMMU group) of its
# own, one per nested VM of the VM benchmarks.
extra=()
for ((i = 0; i < ${EDU_EXTRA:-0}; i++)); do
	extra+=(-device "edu,addr=$(printf '%02x' $((8 + i))).0")
done

# -no-reboot turns the guest's panic reboot and poweroff into a QEMU exit.
timeout --foreground -k 10 "$timeout" \
	qemu-system-x86_64 -M q35 -accel tcg -cpu max -smp 2 -m "${GUEST_MEM:-1G}" \
	-no-reboot -display none -monitor none -nic none \
	-kernel "$KERNEL" -initrd "$INITRD" -append "$cmdline" \
	-serial stdio -serial "file:$tap" \
	-device virtio-iommu-pci,addr=03.0 \
	-device edu,addr=04.0 -device edu,addr=05.0 \
	-device edu,addr=07.0,multifunction=on -device edu,addr=07.1 "${extra[@]}" \
	</dev/null 2>&1 | tee "$console" | sed -u 's/^/  | /'
rc=${PIPESTATUS[0]}

lc_args=(--console "$console")
case $mode in
tests) lc_args+=(--tap "$tap") ;;
demo | bench | vmbench) lc_args+=(--done "$tap") ;;
esac
[ "$rc" = 124 ] || [ "$rc" = 137 ] && lc_args+=(--timed-out)
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$rc" != 137 ]; then
	echo "run-guest: qemu exited $rc" >&2
	"$LOGCHECK" "${lc_args[@]}"
	exit 1
fi
"$LOGCHECK" "${lc_args[@]}"

#!/usr/bin/env bash
# Run every test suite and print one total:
#   1. host unit tests (ASan/UBSan builds in build/host/, and the shell
#      tests of the kernel scripts in tests/host/*.sh)
#   2. harness self-tests: a guest that panics and a guest that hangs must
#      both fail the run, each for the right reason
#   3. the guest suite in QEMU
# Final line: "check: N passed, N failed, N skipped"; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
B=build
export KERNEL=$B/kernel/bzImage INITRD=$B/initramfs.cpio.gz LOGCHECK=$B/logcheck
pass=0 fail=0 skip=0 failed=()

# Add a finished TAP run's totals ("# Totals: pass:P fail:F skip:S").
add_totals() {
	local suite=$1 out=$2 rc=$3 line p f s
	# The guest's stream comes from a serial port: CRLF line ends.
	sed -i 's/\r$//' "$out"
	line=$(grep -E '^# Totals: pass:[0-9]+ fail:[0-9]+ skip:[0-9]+$' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		fail=$((fail + 1)) failed+=("$suite (no totals, exit $rc)")
		return
	fi
	read -r p f s < <(echo "$line" | sed -E 's/.*pass:([0-9]+) fail:([0-9]+) skip:([0-9]+)/\1 \2 \3/')
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	[ "$f" -gt 0 ] && failed+=("$suite: $(grep '^not ok' "$out" | cut -d' ' -f4 | tr '\n' ' ')")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		fail=$((fail + 1)) failed+=("$suite (exit $rc)")
	fi
}

# One named check with a pass/fail outcome.
result() {
	if [ "$2" = 0 ]; then
		pass=$((pass + 1)); echo "check: ok   $1"
	else
		fail=$((fail + 1)) failed+=("$1"); echo "check: FAIL $1${3:+: $3}"
	fi
}

echo "== host unit tests"
for t in "$B"/host/test_* tests/host/test_*.sh; do
	[ -x "$t" ] || continue
	out=$(mktemp)
	"$t" | tee "$out"
	add_totals "${t##*/}" "$out" "${PIPESTATUS[0]}"
	rm -f "$out"
done

echo "== harness self-tests"
out=$(tests/harness/run-guest.sh -m panic -t 300 -o "$B/selftest-panic" 2>&1 | tail -n 1)
rc=$?
echo "  $out"
[ $rc != 0 ] && [[ $out == *"kernel problem"*"Kernel panic"* ]]
result "harness fails a guest that panics" $? "$out"

out=$(tests/harness/run-guest.sh -m hang -t 45 -o "$B/selftest-hang" 2>&1 | tail -n 1)
rc=$?
echo "  $out"
[ $rc != 0 ] && [[ $out == *"guest timed out"* ]]
result "harness fails a guest that does not finish" $? "$out"

echo "== guest suite"
tests/harness/run-guest.sh -m tests -t "${GUEST_TIMEOUT:-1800}" -o "$B/guest" ${GUEST_TESTS:+-T "$GUEST_TESTS"}
rc=$?
tap=$B/guest/tap.log
# Totals from the guest runner; a bad kernel log or an incomplete run is a
# failure of its own even when every reported test passed.
add_totals guest "$tap" 0
verdict=$("$LOGCHECK" --console "$B/guest/console.log" --tap "$tap" | tail -n 1)
if [ $rc != 0 ] && ! grep -q '^not ok' "$tap"; then
	fail=$((fail + 1)) failed+=("guest run: $verdict")
fi

# Not a test, and not counted: does the series still apply to the newest
# kernel source Debian offers? Debian moves it without notice; the build
# stays on kernel/BASE, and this line says when to move it (rebase.sh).
echo "== kernel base"
base=$(kernel/scripts/check-series.sh --newest 2>"$B/newest-base.log" | grep 'newest base:')
echo "check: notice: ${base:-the newest base could not be checked (see $B/newest-base.log)}"

echo
# The figures the tests report (faults survived, fuzz iterations, leaks).
grep -h -e '^# metrics' -e '^# kmemleak' -e '^# fuzz seed' "$tap" 2>/dev/null |
	sed 's/^# /check: figures: /'
for f in "${failed[@]}"; do echo "check: failed: $f"; done
echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]

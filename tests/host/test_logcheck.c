// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the harness's log judge: every kind of kernel report
 * fails a run, clean runs pass, incomplete or failing TAP streams fail.
 */
#include "ktest.h"
#include "logcheck.h"

static int judge(const char *const *console, const char *const *tap,
		 enum logcheck_need need, char *why, size_t len)
{
	struct logcheck lc;

	logcheck_init(&lc);
	for (; console && *console; console++)
		logcheck_console_line(&lc, *console);
	for (; tap && *tap; tap++)
		logcheck_tap_line(&lc, *tap);
	return logcheck_verdict(&lc, need, why, len);
}

static const char *const good_tap[] = {
	"TAP version 13", "1..3", "ok 1 a", "ok 2 b # SKIP no device", "ok 3 c",
	"iopf-guest: done rc=0", NULL,
};

KTEST(clean_run_passes, "a clean console and a complete passing TAP run pass")
{
	const char *const console[] = {
		"[    0.000000] Linux version 6.12.117",
		"[    1.000000] virtio_iommu virtio0: input address: 64 bits",
		"[    2.000000] vfio-pci 0000:00:04.0: enabling device", NULL,
	};
	char why[256];

	ASSERT_EQ(judge(console, good_tap, LC_NEED_TAP, why, sizeof(why)), 0, why);
}

KTEST(kernel_reports_fail, "panic, Oops, WARNING, BUG, KASAN, lockdep, hung task, kmemleak fail the run")
{
	static const char *const reports[] = {
		"[   12.1] Kernel panic - not syncing: sysrq triggered crash",
		"[   12.1] Oops: general protection fault, probably for non-canonical address",
		"[   12.1] WARNING: CPU: 1 PID: 77 at drivers/vfio/vfio_iommu_type1.c:123 f+0x1/0x2",
		"[   12.1] BUG: unable to handle page fault for address: ffff888000000000",
		"[   12.1] BUG: KASAN: slab-use-after-free in vfio_iopf_handler+0x1c/0x80",
		"[   12.1] WARNING: possible circular locking dependency detected",
		"[   12.1] INFO: task kworker/0:1:33 blocked for more than 60 seconds.",
		"[   12.1] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
		"[   12.1] UBSAN: shift-out-of-bounds in mm/gup.c:10:3",
		"[   12.1] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!",
		"[   12.1] ------------[ cut here ]------------ kernel BUG at mm/gup.c:99!",
		"[   12.1] refcount_t: underflow; use-after-free.",
		"unreferenced object 0xffff888003a1c000 (size 64):",
	};
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		const char *const console[] = { "[ 0.1] booting", reports[i], NULL };

		EXPECT_NE(judge(console, good_tap, LC_NEED_TAP, why, sizeof(why)), 0, reports[i]);
		EXPECT_TRUE(strstr(why, "kernel problem") != NULL, "reason names a kernel problem");
	}
}

KTEST(tap_failures_fail, "a failed, missing or extra test fails the run")
{
	static const char *const failed[] = {
		"1..2", "ok 1 a", "not ok 2 b", "iopf-guest: done rc=1", NULL };
	static const char *const short_run[] = { "1..3", "ok 1 a", "ok 2 b", NULL };
	static const char *const no_plan[] = { "iopf-guest: done rc=0", NULL };
	static const char *const no_marker[] = { "1..1", "ok 1 a", NULL };
	static const char *const bad_rc[] = { "1..1", "ok 1 a", "iopf-guest: done rc=3", NULL };
	static const char *const extra[] = {
		"1..1", "ok 1 a", "ok 2 b", "iopf-guest: done rc=0", NULL };
	char why[256];

	ASSERT_NE(judge(NULL, failed, LC_NEED_TAP, why, sizeof(why)), 0, "failed test");
	ASSERT_TRUE(strstr(why, "failed: b") != NULL, "names the failed test");
	ASSERT_NE(judge(NULL, short_run, LC_NEED_TAP, why, sizeof(why)), 0, "short run");
	ASSERT_TRUE(strstr(why, "incomplete: 2 of 3") != NULL, "says incomplete");
	ASSERT_NE(judge(NULL, no_plan, LC_NEED_TAP, why, sizeof(why)), 0, "no plan");
	ASSERT_NE(judge(NULL, no_marker, LC_NEED_TAP, why, sizeof(why)), 0, "no end marker");
	ASSERT_NE(judge(NULL, bad_rc, LC_NEED_TAP, why, sizeof(why)), 0, "runner rc");
	ASSERT_NE(judge(NULL, extra, LC_NEED_TAP, why, sizeof(why)), 0, "more results than plan");
}

KTEST(tap_ignores_lookalikes, "only well-formed result lines count")
{
	static const char *const tap[] = {
		"1..1", "# ok 5 this is a diagnostic", "okay 2", "ok x y", "ok 1 real",
		"iopf-guest: done rc=0", NULL };
	struct logcheck lc;
	size_t i;

	logcheck_init(&lc);
	for (i = 0; tap[i]; i++)
		logcheck_tap_line(&lc, tap[i]);
	ASSERT_EQ(lc.pass, 1, "one pass");
	ASSERT_EQ(lc.fail + lc.skip, 0, "no fail or skip");
}

KTEST(done_mode, "--done wants only the end marker with rc 0")
{
	static const char *const ok[] = { "hello", "iopf-guest: done rc=0", NULL };
	static const char *const bad[] = { "hello", "iopf-guest: done rc=1", NULL };
	static const char *const none[] = { "hello", NULL };
	char why[256];

	ASSERT_EQ(judge(NULL, ok, LC_NEED_DONE, why, sizeof(why)), 0, why);
	ASSERT_NE(judge(NULL, bad, LC_NEED_DONE, why, sizeof(why)), 0, "rc 1");
	ASSERT_NE(judge(NULL, none, LC_NEED_DONE, why, sizeof(why)), 0, "no marker");
	ASSERT_EQ(judge(NULL, none, LC_NEED_CLEAN, why, sizeof(why)), 0, "clean mode");
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Unpinned device mappings: pages mapped on fault without a pin stay
 * reclaimable; the MMU notifier unmaps them before the CPU page changes
 * and the device faults again onto the current page. Pinned pages in the
 * same mapping are untouched.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/ioctl.h>

#include <bpf/libbpf.h>
#include <linux/capability.h>

#include "ktest.h"
#include "policy_util.h"
#include "recorder.skel.h"

#define STATIC_IOVA	0x100000ULL
#define MAPPED		VFIO_IOPF_TEST_MAPPED
#define PINNED		VFIO_IOPF_TEST_PINNED
#define MATCH		VFIO_IOPF_TEST_PHYS_MATCH
#define WATCHED		VFIO_IOPF_TEST_WATCHED

/* Load window as an unpinned policy of @window pages and bind it. */
static void unpinned_policy(struct ctr *t, int window)
{
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=%d -p unpinned=1",
		      window), 0, "load window unpinned");
	attach_container(t, "window");
}

static int state(struct ctr *t, uint64_t page)
{
	return iopf_query(t->c, IOVA + page * PAGE);
}

/* The device reads page @page into its buffer, then writes it to @stage. */
static void device_read(struct ctr *t, uint64_t page, uint8_t *stage)
{
	bool was_mapped = state(t, page) & MAPPED;

	memset(stage, 0, PAGE);
	ASSERT_OK(edu_dma(&t->d, IOVA + page * PAGE, 0, EDU_DMA_MAX, false), "dma");
	if (!was_mapped) {
		/* It faulted: wait for the page, then retry as a device does. */
		ASSERT_TRUE(iopf_wait_mapped(t->c, IOVA + page * PAGE), "page faulted in");
		ASSERT_OK(edu_dma(&t->d, IOVA + page * PAGE, 0, EDU_DMA_MAX, false), "retry");
	}
	ASSERT_OK(edu_dma(&t->d, STATIC_IOVA, 0, EDU_DMA_MAX, true), "to static page");
}

/* Write @text to @path; memory.reclaim may refuse part of it (EAGAIN). */
static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	ASSERT_OK(fd, path);
	if (write(fd, text, strlen(text)) < 0 && errno != EAGAIN)
		ktest_diag("%s: %s", path, strerror(errno));
	close(fd);
}

static uint8_t *static_page(struct ctr *t)
{
	uint8_t *p = alloc_pages_fill(PAGE, 0);

	ASSERT_TRUE(p != NULL, "alloc");
	ASSERT_OK(vfio_map(t->c, p, STATIC_IOVA, PAGE, RW), "static map");
	return p;
}

KTEST(unpinned_basic, "unpinned pages are mapped, not pinned, not in locked_vm")
{
	iopf_stats_t st;
	struct ctr t;
	long lck0;

	unload_all();
	lck0 = proc_status_kb("VmLck:");
	ctr_open(&t, 0, 64);
	unpinned_policy(&t, 8);
	ASSERT_EQ(fault_at(&t, 0), 8, "8 pages mapped");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_pinned, 0, "none pinned");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm unchanged");
	ASSERT_EQ(state(&t, 3) & (MAPPED | PINNED | MATCH), MAPPED | MATCH, "page 3 state");
	ASSERT_OK(vfio_unmap(t.c, IOVA, 64 * PAGE), "unmap");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 0, "nothing mapped");
	ctr_close(&t);
	unload_all();
}

KTEST(unpinned_notifier_when_needed, "an MMU notifier watches an IOPF mapping only once it has pages mapped without a pin")
{
	struct ctr t;

	unload_all();
	ctr_open(&t, 0, 64);
	ASSERT_EQ(fault_at(&t, 0), 1, "the built-in default pins one page");
	ASSERT_EQ(state(&t, 0) & (PINNED | WATCHED), PINNED, "pinned, not watched");
	unpinned_policy(&t, 1);
	ASSERT_EQ(fault_at(&t, 8), 2, "one page more, unpinned");
	ASSERT_EQ(state(&t, 8) & (MAPPED | PINNED | WATCHED), MAPPED | WATCHED,
		  "unpinned and watched");
	ASSERT_OK(madvise(t.buf + 8 * PAGE, PAGE, MADV_DONTNEED), "MADV_DONTNEED");
	ASSERT_EQ(state(&t, 8) & MAPPED, 0, "the notifier unmapped it");
	ASSERT_EQ(state(&t, 0) & MAPPED, MAPPED, "the pinned page stays");
	ctr_close(&t);
	unload_all();
}

KTEST(unpinned_dontneed, "MADV_DONTNEED unmaps the device page; the device then sees the new page")
{
	uint8_t *stage, want[64];
	iopf_stats_t st;
	struct ctr t;

	unload_all();
	ctr_open(&t, 0, 16);
	stage = static_page(&t);
	unpinned_policy(&t, 1);
	fill_pattern(t.buf + 2 * PAGE, PAGE, 5);
	device_read(&t, 2, stage);
	ASSERT_MEMEQ(stage, t.buf + 2 * PAGE, EDU_DMA_MAX, "device read the page");

	ASSERT_OK(madvise(t.buf + 2 * PAGE, PAGE, MADV_DONTNEED), "MADV_DONTNEED");
	ASSERT_EQ(state(&t, 2) & MAPPED, 0, "the notifier unmapped the page");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_invalidated, 1, "one page invalidated");

	fill_pattern(t.buf + 2 * PAGE, PAGE, 6);	/* a new page behind vaddr */
	memcpy(want, t.buf + 2 * PAGE, sizeof(want));
	device_read(&t, 2, stage);
	ASSERT_MEMEQ(stage, t.buf + 2 * PAGE, EDU_DMA_MAX, "device sees the new page");
	ASSERT_EQ(state(&t, 2) & MATCH, MATCH, "IOMMU maps the current page");
	ctr_close(&t);
	unload_all();
}

KTEST(unpinned_fork_cow, "fork and copy-on-write: the device follows the parent's page")
{
	uint8_t *stage;
	int pfd[2], status;
	struct ctr t;
	pid_t child;
	char go;

	unload_all();
	ctr_open(&t, 0, 16);
	stage = static_page(&t);
	unpinned_policy(&t, 1);
	memset(t.buf + 4 * PAGE, 0xaa, PAGE);
	device_read(&t, 4, stage);
	ASSERT_EQ(stage[0], 0xaa, "device read the page");

	ASSERT_OK(pipe(pfd), "pipe");
	child = fork();
	if (child == 0) {
		/* Keep the old page until the parent has written its own. */
		if (read(pfd[0], &go, 1) != 1)
			_exit(2);
		_exit(t.buf[4 * PAGE] == 0xaa && t.buf[4 * PAGE + 100] == 0xaa ? 0 : 1);
	}
	/* fork write-protected the page: the notifier unmapped it. */
	ASSERT_EQ(state(&t, 4) & MAPPED, 0, "unmapped at fork");
	memset(t.buf + 4 * PAGE, 0xbb, PAGE);	/* the parent's COW copy */
	device_read(&t, 4, stage);
	ASSERT_EQ(stage[0], 0xbb, "device reads the parent's new page");
	ASSERT_EQ(state(&t, 4) & MATCH, MATCH, "IOMMU maps the parent's page");
	ASSERT_EQ(write(pfd[1], "g", 1), 1, "release child");
	waitpid(child, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child kept its own copy");
	ctr_close(&t);
	unload_all();
}

KTEST(unpinned_munmap, "munmap of the backing memory: later faults fail cleanly")
{
	iopf_stats_t st;
	struct ctr t;
	uint8_t *mem;

	unload_all();
	ctr_open(&t, 0, 4);
	mem = alloc_pages_fill(16 * PAGE, 3);
	ASSERT_TRUE(mem != NULL, "alloc");
	ASSERT_OK(vfio_map(t.c, mem, 0x800000, 16 * PAGE, IOPF_RW), "IOPF map");
	unpinned_policy(&t, 4);
	ASSERT_OK(iopf_inject(t.c, 0x800000, PAGE, 1, VFIO_IOPF_TEST_PERM_READ), "fault");
	ASSERT_EQ(iopf_query(t.c, 0x800000 + PAGE) & MAPPED, MAPPED, "mapped");
	ASSERT_OK(munmap(mem, 16 * PAGE), "munmap");
	ASSERT_EQ(iopf_query(t.c, 0x800000 + PAGE) & MAPPED, 0, "unmapped by the notifier");
	ASSERT_OK(iopf_inject(t.c, 0x800000 + 8 * PAGE, PAGE, 2, VFIO_IOPF_TEST_PERM_READ),
		  "faults on unmapped memory");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.failed_other, 2, "both failed");
	ASSERT_OK(vfio_unmap(t.c, 0x800000, 16 * PAGE), "VFIO unmap still works");
	ctr_close(&t);
	unload_all();
}

KTEST(unpinned_mixed, "pinned and unpinned pages in one mapping; unmap releases both")
{
	iopf_stats_t st;
	struct ctr t;
	long lck0;

	unload_all();
	lck0 = proc_status_kb("VmLck:");
	ctr_open(&t, 0, 64);
	unpinned_policy(&t, 4);
	ASSERT_EQ(fault_at(&t, 0), 4, "4 unpinned");
	/* No fork from here on: fork write-protects, unmapping unpinned pages. */
	ASSERT_OK(iopf_set_policy(t.c, ""), "drop binding: built-in, pinned");
	ASSERT_EQ(fault_at(&t, 2), 4, "page 2 already mapped");
	ASSERT_EQ(fault_at(&t, 5), 5, "page 5 pinned by the built-in default");
	ASSERT_EQ(state(&t, 1) & (MAPPED | PINNED), MAPPED, "page 1 unpinned");
	ASSERT_EQ(state(&t, 5) & (MAPPED | PINNED), MAPPED | PINNED, "page 5 pinned");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, 4, "locked_vm: the pinned page only");
	ASSERT_OK(madvise(t.buf, 8 * PAGE, MADV_DONTNEED), "MADV_DONTNEED pages 0-7");
	ASSERT_EQ(state(&t, 1) & MAPPED, 0, "unpinned page unmapped");
	ASSERT_EQ(state(&t, 5) & (MAPPED | PINNED), MAPPED | PINNED, "pinned page stays");
	ASSERT_OK(vfio_unmap(t.c, IOVA, 64 * PAGE), "unmap");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped + st.pages_pinned, 0, "nothing left");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back");
	ctr_close(&t);
	unload_all();
}

KTEST_T(unpinned_reclaim, "memory pressure: unpinned pages are reclaimed to zram, pinned are not; data survives", 600)
{
	const size_t npages = 8192, nunpinned = 1024, npinned = 256;
	size_t i, still_unpinned = 0, pinned_ok = 0;
	long pages_invalidated_before;
	iopf_stats_t st;
	uint8_t *stage;
	struct ctr t;

	unload_all();
	if (access("/sys/block/zram0", F_OK))
		KTEST_SKIP("no zram0 (CONFIG_ZRAM)");
	ASSERT_EQ(run(NULL, 0, "grep -q zram0 /proc/swaps || { echo 256M > /sys/block/zram0/disksize && "
		      "mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; }"), 0, "zram swap");
	ASSERT_EQ(run(NULL, 0, "echo +memory > /sys/fs/cgroup/cgroup.subtree_control; "
		      "mkdir -p /sys/fs/cgroup/iopf_mem && "
		      "echo %d > /sys/fs/cgroup/iopf_mem/cgroup.procs", getpid()), 0,
		  "memory cgroup");

	ctr_open(&t, 0, npages);	/* 32 MiB, touched: over the limit */
	stage = static_page(&t);
	for (i = 0; i < npages; i++)
		t.buf[i * PAGE] = i & 0xff, t.buf[i * PAGE + 1] = i >> 8;
	unpinned_policy(&t, 64);
	ASSERT_OK(iopf_inject(t.c, IOVA, 64 * PAGE, nunpinned / 64, VFIO_IOPF_TEST_PERM_READ),
		  "unpinned faults");
	ASSERT_OK(iopf_set_policy(t.c, ""), "built-in default: pinned");
	ASSERT_OK(iopf_inject(t.c, IOVA + 4096 * PAGE, PAGE, npinned, VFIO_IOPF_TEST_PERM_READ),
		  "pinned faults");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, nunpinned + npinned, "mapped");
	ASSERT_EQ(st.pages_pinned, npinned, "pinned");

	/*
	 * Pressure: proactive reclaim of the cgroup (cgroup v2 memory.reclaim),
	 * written by this process: a fork would unmap the unpinned pages by
	 * itself (COW write-protection), so nothing forks after the faults and
	 * what is unmapped afterwards was reclaimed.
	 */
	ASSERT_OK(pages_invalidated_before = iopf_stats(t.c, &st) ? -1 : (long)st.pages_invalidated,
		  "stats");
	ASSERT_EQ(pages_invalidated_before, 0, "nothing invalidated before the pressure");
	/*
	 * Faulting touched the pages, so LRU aging may keep them over a few
	 * cgroup reclaim passes; MADV_PAGEOUT then reclaims this range on
	 * demand. Either way it is reclaim (try_to_unmap), not a fork.
	 */
	for (i = 0; i < 8; i++) {
		write_file("/sys/fs/cgroup/iopf_mem/memory.reclaim", "64M");
		ASSERT_OK(iopf_stats(t.c, &st), "stats");
		if (st.pages_invalidated)
			break;
	}
	ktest_metric("memcg_reclaim_passes", i);
	if (!st.pages_invalidated) {
		ASSERT_OK(madvise(t.buf, npages * PAGE, MADV_PAGEOUT), "MADV_PAGEOUT");
		ktest_metric("pageout", 1);
	}
	{
		unsigned char vec[8192];
		size_t r1 = 0, r2 = 0;

		ASSERT_OK(mincore(t.buf, npages * PAGE, vec), "mincore");
		for (i = 0; i < nunpinned; i++)
			r1 += vec[i] & 1;
		for (i = 4096; i < 4096 + npinned; i++)
			r2 += vec[i] & 1;
		ktest_diag("resident after reclaim: unpinned %zu/%zu, pinned %zu/%zu",
			   r1, nunpinned, r2, npinned);
		ASSERT_EQ(r2, npinned, "pinned pages stay resident");
	}
	ASSERT_GT(proc_status_kb("VmSwap:"), 0, "something went to swap");

	for (i = 0; i < nunpinned; i++)
		still_unpinned += !!(state(&t, i) & MAPPED);
	for (i = 4096; i < 4096 + npinned; i++)
		pinned_ok += (state(&t, i) & (MAPPED | PINNED | MATCH)) == (MAPPED | PINNED | MATCH);
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ktest_metric("unpinned_still_mapped", still_unpinned);
	ktest_metric("pages_invalidated", st.pages_invalidated);
	ktest_metric("swap_kb", proc_status_kb("VmSwap:"));
	ASSERT_LT(still_unpinned, nunpinned, "some unpinned pages were reclaimed");
	ASSERT_GT(st.pages_invalidated, 0, "the notifier unmapped them");
	ASSERT_EQ(pinned_ok, npinned, "every pinned page stays mapped to its page");

	/* A reclaimed page faults back in with its data. */
	for (i = 0; i < nunpinned && (state(&t, i) & MAPPED); i++)
		;
	ASSERT_LT(i, nunpinned, "a reclaimed page");
	device_read(&t, i, stage);
	ASSERT_EQ(stage[0], i & 0xff, "data survived swap-out (byte 0)");
	ASSERT_EQ(stage[1], i >> 8, "data survived swap-out (byte 1)");
	ctr_close(&t);
	run(NULL, 0, "echo %d > /sys/fs/cgroup/cgroup.procs", getpid());
	unload_all();
}

#define FAILSLAB "/sys/kernel/debug/failslab/"
#define FAILSLAB_TIMES 100000

/*
 * Fail every atomic slab allocation made with virtio-iommu's code on the
 * stack: failslab, its stack filter set to the text between the driver's
 * first and last function. Returns 0, or -ENOENT without failslab.
 */
static int failslab_viommu_on(void)
{
	unsigned long long a, lo = ~0ULL, hi = 0, end = ~0ULL;
	char line[512], name[256], type, v[32];
	FILE *f;

	if (access(FAILSLAB "require-start", W_OK))
		return -ENOENT;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 &&
		    (type == 't' || type == 'T') && strstr(name, "viommu_") && !strchr(name, '.'))
			lo = a < lo ? a : lo, hi = a > hi ? a : hi;
	rewind(f);
	/* The range ends where the next function after the last one starts. */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 &&
		    (type == 't' || type == 'T') && a > hi && a < end)
			end = a;
	fclose(f);
	if (!hi || !lo || end == ~0ULL || end - lo > (1 << 20))
		return -ESRCH;
	ktest_diag("failslab: virtio-iommu text %#llx-%#llx", lo, end);
	snprintf(v, sizeof(v), "%llu", lo);
	if (write_str(FAILSLAB "require-start", v))
		return -EIO;
	snprintf(v, sizeof(v), "%llu", end);
	if (write_str(FAILSLAB "require-end", v) ||
	    write_str(FAILSLAB "ignore-gfp-wait", "Y") ||
	    write_str(FAILSLAB "task-filter", "N") ||
	    write_str(FAILSLAB "verbose", "0") ||
	    write_str(FAILSLAB "interval", "1") ||
	    write_str(FAILSLAB "space", "0"))
		return -EIO;
	snprintf(v, sizeof(v), "%d", FAILSLAB_TIMES);
	if (write_str(FAILSLAB "times", v) || write_str(FAILSLAB "probability", "100"))
		return -EIO;
	return 0;
}

/* Stop failing allocations; returns how many were failed. */
static long long failslab_off(void)
{
	write_str(FAILSLAB "probability", "0");
	return FAILSLAB_TIMES - read_ll(FAILSLAB "times");
}

/* In a child, so that failslab is turned off whatever the result. */
static void atomic_alloc_failure_body(void)
{
	uint8_t *stage;
	iopf_stats_t st;
	struct ctr t;

	ctr_open(&t, 0, 16);
	stage = static_page(&t);
	unpinned_policy(&t, 1);
	fill_pattern(t.buf + 2 * PAGE, PAGE, 5);
	ASSERT_OK(failslab_viommu_on(), "failslab on");

	/* The map's atomic allocations fail: the fault is still resolved. */
	device_read(&t, 2, stage);
	ASSERT_MEMEQ(stage, t.buf + 2 * PAGE, EDU_DMA_MAX, "device read the page");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.failed, 0, "no fault failed");

	/* The unmap's do too: the device must not reach the freed page. */
	ASSERT_OK(madvise(t.buf + 2 * PAGE, PAGE, MADV_DONTNEED), "MADV_DONTNEED");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_invalidated, 1, "one page invalidated");
	ASSERT_EQ(st.unmap_failed, 0, "the unmap did not fail");
	fill_pattern(t.buf + 2 * PAGE, PAGE, 6);
	/* device_read() asserts that this DMA faults, then reads the new page. */
	device_read(&t, 2, stage);
	ASSERT_MEMEQ(stage, t.buf + 2 * PAGE, EDU_DMA_MAX, "device sees the new page");
	ASSERT_GT(failslab_off(), 0, "atomic allocations were failed");
	ctr_close(&t);
	_exit(0);
}

KTEST(unpinned_atomic_alloc_failure, "virtio-iommu's atomic allocations fail: unpinned pages are still mapped, and unmapped before they are freed")
{
	int status;
	pid_t pid;

	unload_all();
	if (access(FAILSLAB "require-start", W_OK))
		KTEST_SKIP("no failslab stack filter (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_STACKTRACE_FILTER)");
	pid = fork();
	ASSERT_OK(pid, "fork");
	if (!pid)
		atomic_alloc_failure_body();
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	failslab_off();
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "body passed");
	unload_all();
}

#define SQUEEZE_CG "/sys/fs/cgroup/iopf_squeeze"

/* Shared between the test and the squeezed owner of the container. */
struct squeeze {
	volatile int phase;
};

/* Wait for @sq->phase to reach @want while @pid lives; no allocation. */
static bool wait_phase(struct squeeze *sq, int want, pid_t pid)
{
	int status;

	while (sq->phase < want) {
		if (pid && waitpid(pid, &status, WNOHANG) == pid)
			return false;
		usleep(10000);
	}
	return true;
}

/*
 * The container's owner, in the cgroup: set up, then fault every page
 * while the cgroup has no room left. Between phases 2 and 4 it makes no
 * allocation a memcg would charge (no printing, no open), so that only
 * the kernel's fault-time allocations meet the limit.
 */
static void squeeze_owner(struct squeeze *sq, size_t npages)
{
	size_t i, mismatched = 0;
	uint8_t *stage;
	iopf_stats_t st;
	struct ctr t;

	ASSERT_EQ(run(NULL, 0, "echo %d > " SQUEEZE_CG "/cgroup.procs", getpid()), 0,
		  "join the cgroup");
	ctr_open(&t, 0, npages);
	stage = static_page(&t);
	for (i = 0; i < npages; i++)
		t.buf[i * PAGE] = i & 0xff, t.buf[i * PAGE + 1] = i >> 8;
	unpinned_policy(&t, 64);
	ASSERT_OK(iopf_stats(t.c, &st), "stats before");
	sq->phase = 1;
	wait_phase(sq, 2, 0);

	iopf_inject(t.c, IOVA, 64 * PAGE, npages / 64, VFIO_IOPF_TEST_PERM_READ);
	sq->phase = 3;
	wait_phase(sq, 4, 0);

	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ktest_diag("squeezed: faults %llu resolved %llu failed_nomem %llu pages_mapped %llu",
		   (unsigned long long)st.faults, (unsigned long long)st.resolved,
		   (unsigned long long)st.failed_nomem, (unsigned long long)st.pages_mapped);
	ktest_metric("failed_nomem", st.failed_nomem);
	ASSERT_GT(st.failed_nomem, 0, "faults failed for memory, counted as such");
	ASSERT_EQ(st.failed_limit, 0, "not as RLIMIT_MEMLOCK");
	ASSERT_EQ(st.failed, st.failed_nomem, "no other failure");
	ASSERT_LT(st.pages_mapped, npages, "not everything fit");

	/* With room again, the replayed faults map every page. */
	ASSERT_OK(iopf_inject(t.c, IOVA, PAGE, npages, VFIO_IOPF_TEST_PERM_READ), "replay");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, npages, "every page mapped");
	for (i = 0; i < npages; i += 97)
		mismatched += (state(&t, i) & (MAPPED | MATCH)) != (MAPPED | MATCH);
	ASSERT_EQ(mismatched, 0, "the IOMMU maps each page's current CPU page");
	device_read(&t, npages - 1, stage);
	ASSERT_EQ(stage[0], (npages - 1) & 0xff, "device reads the data (byte 0)");
	ASSERT_EQ(stage[1], (npages - 1) >> 8, "device reads the data (byte 1)");
	ASSERT_OK(vfio_unmap(t.c, IOVA, npages * PAGE), "unmap");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 0, "nothing left mapped");
	ctr_close(&t);
}

KTEST_T(unpinned_memcg_squeeze, "a fault storm in a memory cgroup with no room: the limit holds, failures are failed_nomem, replays then land", 600)
{
	const size_t npages = 16384;	/* 64 MiB: a record per page, 1 MiB */
	long long limit, squeezed;
	struct squeeze *sq;
	char v[32];
	int status;
	pid_t pid;

	unload_all();
	sq = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(sq != MAP_FAILED, "shared page");
	sq->phase = 0;
	ASSERT_OK(write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory"), "memory controller");
	ASSERT_OK(mkdir(SQUEEZE_CG, 0755) && errno != EEXIST ? -errno : 0, "mkdir cgroup");
	/* Anonymous memory cannot go to swap: reclaim cannot make room. */
	if (!access(SQUEEZE_CG "/memory.swap.max", F_OK))
		ASSERT_OK(write_str(SQUEEZE_CG "/memory.swap.max", "0"), "no swap");

	pid = fork();
	ASSERT_OK(pid, "fork");
	if (!pid) {
		squeeze_owner(sq, npages);
		_exit(0);
	}
	ASSERT_TRUE(wait_phase(sq, 1, pid), "owner set up");
	limit = read_ll(SQUEEZE_CG "/memory.current");
	snprintf(v, sizeof(v), "%lld", limit);
	ASSERT_OK(write_str(SQUEEZE_CG "/memory.max", v), "memory.max = memory.current");
	sq->phase = 2;
	ASSERT_TRUE(wait_phase(sq, 3, pid), "storm done");
	squeezed = read_ll(SQUEEZE_CG "/memory.current");
	ASSERT_OK(write_str(SQUEEZE_CG "/memory.max", "max"), "room again");
	sq->phase = 4;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	ktest_metric("over_limit_kb", (squeezed - limit) / 1024);
	ASSERT_LE(squeezed, limit, "memory.current stayed within memory.max");
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "owner passed");
	rmdir(SQUEEZE_CG);
	unload_all();
}

#define FAIL_UNMAPS "/sys/module/vfio_iommu_type1/parameters/iopf_test_fail_unmaps"

KTEST(unpinned_unmap_failure_poisons, "a page whose IOMMU unmap fails is kept, never mapped again, and skipped by prefault")
{
	iopf_stats_t st;
	struct ctr t;
	long lck0;

	unload_all();
	if (access(FAIL_UNMAPS, W_OK))
		KTEST_SKIP("no iopf_test_fail_unmaps (CONFIG_VFIO_IOMMU_TYPE1_IOPF_TEST)");
	lck0 = proc_status_kb("VmLck:");
	ctr_open(&t, 0, 16);
	unpinned_policy(&t, 4);
	ASSERT_EQ(fault_at(&t, 0), 4, "pages 0-3 mapped without a pin");

	/* The notifier's unmap of page 1 fails: the page is poisoned. */
	ASSERT_OK(write_str(FAIL_UNMAPS, "1"), "fail the next unmap");
	ASSERT_OK(madvise(t.buf + PAGE, PAGE, MADV_DONTNEED), "MADV_DONTNEED page 1");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.unmap_failed, 1, "one unmap failed");
	ASSERT_EQ(st.pages_invalidated, 0, "not counted as invalidated");
	ASSERT_EQ(st.pages_mapped, 3, "no longer counted as mapped");
	ASSERT_EQ(state(&t, 1) & (MAPPED | VFIO_IOPF_TEST_IOMMU), VFIO_IOPF_TEST_IOMMU,
		  "the IOMMU still translates it");
	ASSERT_OK(madvise(t.buf, 4 * PAGE, MADV_DONTNEED), "MADV_DONTNEED pages 0-3");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 0, "the others unmapped");
	ASSERT_EQ(st.pages_invalidated, 3, "and counted");
	ASSERT_EQ(st.unmap_failed, 1, "page 1 counted once");

	/* Pinned prefault over it skips it; a fault on it fails. */
	ASSERT_EQ(run(NULL, 0, "iopfctl unload window && iopfctl load " OBJ("window")
		      " -p window=4"), 0, "window, pinned");
	attach_container(&t, "window");
	ASSERT_EQ(fault_at(&t, 0), 3, "pages 0, 2, 3 mapped, 1 skipped");
	ASSERT_EQ(state(&t, 1) & MAPPED, 0, "page 1 not mapped again");
	ASSERT_OK(iopf_inject(t.c, IOVA + PAGE, PAGE, 1, VFIO_IOPF_TEST_PERM_READ), "inject");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.failed_other, 1, "the fault on page 1 failed");
	ASSERT_EQ(st.pages_mapped, 3, "nothing mapped over it");

	ASSERT_OK(vfio_unmap(t.c, IOVA, 16 * PAGE), "unmap");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 0, "nothing left mapped");
	ASSERT_EQ(st.pages_pinned, 0, "nothing left pinned");
	ctr_close(&t);
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back");
	unload_all();
}

KTEST(policy_callbacks, "the kernel calls fault, done, bind, unbind and invalidate")
{
	struct vfio_iommu_type1_iopf_policy pol = { .argsz = sizeof(pol) };
	struct recorder *skel;
	struct bpf_link *link;
	struct ctr t;

	unload_all();
	skel = recorder__open_and_load();
	ASSERT_TRUE(skel != NULL, "recorder__open_and_load");
	link = bpf_map__attach_struct_ops(skel->maps.recorder_ops);
	ASSERT_TRUE(link != NULL, "register through the skeleton");
	ctr_open(&t, 0, 16);
	ASSERT_OK(ioctl(t.c, VFIO_IOMMU_IOPF_POLICY, &pol), "container id");
	ASSERT_OK(iopf_set_policy(t.c, "recorder"), "bind");
	ASSERT_EQ(skel->bss->binds, 1, "bind() called once");
	ASSERT_EQ(skel->bss->bound_container, pol.container_id, "bind() got the container");

	ASSERT_EQ(fault_at(&t, 5), 1, "one page");
	ASSERT_EQ(skel->bss->faults, 1, "fault() called");
	ASSERT_EQ(skel->bss->dones, 1, "done() called");
	ASSERT_EQ(skel->bss->done_pages, 1, "done() told one page");
	ASSERT_EQ(skel->bss->last_container, pol.container_id, "fault() got the container");

	ASSERT_OK(madvise(t.buf + 5 * PAGE, PAGE, MADV_DONTNEED), "MADV_DONTNEED");
	ASSERT_EQ(skel->bss->invalidates, 1, "invalidate() called");
	ASSERT_EQ(skel->bss->inval_iova, IOVA + 5 * PAGE, "invalidate() iova");
	ASSERT_EQ(skel->bss->inval_size, PAGE, "invalidate() size");

	ctr_close(&t);
	ASSERT_EQ(skel->bss->unbinds, 1, "unbind() at container release");
	ASSERT_EQ(skel->bss->unbound_container, pol.container_id, "unbind() got the container");
	bpf_link__destroy(link);
	recorder__destroy(skel);
	ASSERT_FALSE(registered("recorder"), "unregistered with the link");
}

/* Load and register the recorder policy, none left by an earlier test. */
static struct recorder *recorder_up(struct bpf_link **link)
{
	struct recorder *skel;

	unload_all();
	ASSERT_TRUE(wait_unregistered("recorder"), "no recorder left by an earlier test");
	skel = recorder__open_and_load();
	ASSERT_TRUE(skel != NULL, "recorder__open_and_load");
	*link = bpf_map__attach_struct_ops(skel->maps.recorder_ops);
	ASSERT_TRUE(*link != NULL, "register");
	return skel;
}

static void recorder_down(struct recorder *skel, struct bpf_link *link)
{
	bpf_link__destroy(link);
	recorder__destroy(skel);
	unload_all();
}

KTEST(policy_done_after_sync, "done() tells the final outcome: a fault whose IOTLB sync failed is told as failed")
{
	struct recorder *skel;
	struct bpf_link *link;
	iopf_stats_t st;
	struct ctr t;

	if (access(FAIL_FUNCTION "/inject", W_OK))
		KTEST_SKIP("no fail_function (CONFIG_FAIL_FUNCTION)");
	skel = recorder_up(&link);
	ctr_open(&t, 0, 16);
	ASSERT_OK(iopf_set_policy(t.c, "recorder"), "bind");
	ASSERT_EQ(fault_at(&t, 1), 1, "one page");
	ASSERT_EQ(skel->bss->done_errors, 0, "done() told of a success");

	/* The next sync of a fault batch fails, as an IOMMU driver's may. */
	ASSERT_OK(fail_iopf_sync(0), "fail the next sync");
	fault_at(&t, 5);
	ASSERT_OK(unfail_iopf_sync(), "stop failing");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.resolved, 1, "the first fault resolved");
	ASSERT_EQ(st.failed, 1, "the second failed with its sync");
	ASSERT_EQ(skel->bss->dones, 2, "done() once per fault");
	ASSERT_EQ(skel->bss->done_errors, 1, "done() told of the failure");
	ASSERT_EQ(skel->bss->done_error, -EIO, "with the sync's errno");

	/* Faulting again on the page syncs it: resolved. */
	fault_at(&t, 5);
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.resolved, 2, "the page resolved on the next fault");
	ctr_close(&t);
	recorder_down(skel, link);
}

KTEST(policy_sync_fails_its_groups,
      "a batch carried out twice whose second sync fails: only the group that sync covered fails")
{
	struct recorder *skel;
	struct bpf_link *link;
	iopf_stats_t st;
	struct ctr t;

	if (access(FAIL_FUNCTION "/inject", W_OK) || access(PIN_DELAY, W_OK))
		KTEST_SKIP("no fail_function or iopf_test_pin_delay_ms");
	skel = recorder_up(&link);
	ctr_open(&t, 0, 64);
	ASSERT_OK(iopf_set_policy(t.c, "recorder"), "bind");
	skel->bss->pinned = 1;
	skel->bss->after = 7;

	/*
	 * A slow first batch (page 40) lets the next two faults make one
	 * batch: page 0 decides pages 0-7; page 3 is covered by it, so that
	 * decision is carried out and synced, then page 3 is answered after
	 * the batch's last sync. Each batch syncs after its decisions and at
	 * its end: the first three syncs pass, the fourth fails.
	 */
	ASSERT_OK(fail_iopf_sync(3), "fail the fourth sync from now");
	ASSERT_OK(write_str(PIN_DELAY, "500"), "slow pins");
	ASSERT_OK(iopf_inject_group(t.c, -1, IOVA + 40 * PAGE, PAGE, 1,
				    VFIO_IOPF_TEST_PERM_READ, 0), "slow batch");
	/* It is pinning when the next two are reported. */
	usleep(200 * 1000);
	ASSERT_OK(iopf_inject_group(t.c, -1, IOVA, 3 * PAGE, 2, VFIO_IOPF_TEST_PERM_READ, 0),
		  "pages 0 and 3");
	ASSERT_GE(IOPF_WAIT(t.c, failed, 1), 1, "a group failed");
	ASSERT_OK(write_str(PIN_DELAY, "0"), "pins as usual");
	ASSERT_OK(unfail_iopf_sync(), "stop failing");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.faults, 3, "three faults");
	ASSERT_EQ(st.resolved, 2, "page 40 and page 0 resolved");
	ASSERT_EQ(st.failed, 1, "page 3, in the failed sync, failed");
	ASSERT_EQ(skel->bss->dones, 2, "two decisions");
	ASSERT_EQ(skel->bss->done_errors, 0, "both told of their success: their syncs passed");
	ctr_close(&t);
	recorder_down(skel, link);
}

KTEST(unpinned_new_domain_invalidates,
      "a group given a domain of its own: the pages mapped without a pin are unmapped, "
      "told to invalidate() run by run and counted")
{
	char bdfs[MAX_EDU][32];
	struct recorder *skel;
	struct bpf_link *link;
	struct vfio_dev d2;
	iopf_stats_t st;
	struct ctr t;

	if (access(NEW_DOMAIN_PARAM, W_OK))
		KTEST_SKIP("no iopf_test_new_domain (CONFIG_VFIO_IOMMU_TYPE1_IOPF_TEST)");
	ASSERT_GT(edu_find(bdfs, MAX_EDU), 1, "two edu devices");
	skel = recorder_up(&link);
	ctr_open(&t, 0, 16);
	ASSERT_OK(iopf_set_policy(t.c, "recorder"), "bind");
	fault_at(&t, 2);
	fault_at(&t, 3);
	ASSERT_EQ(fault_at(&t, 9), 3, "pages 2, 3 and 9 mapped without a pin");
	ASSERT_EQ(skel->bss->invalidates, 0, "nothing invalidated yet");

	ASSERT_OK(write_str(NEW_DOMAIN_PARAM, "Y"), "next attach: a domain of its own");
	ASSERT_OK(vfio_dev_open(&d2, t.c, bdfs[1]), "second group joins");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 0, "unmapped, to fault again into both domains");
	ASSERT_EQ(st.pages_invalidated, 3, "counted as invalidated");
	ASSERT_EQ(skel->bss->invalidates, 2, "invalidate() once per run");
	ASSERT_EQ(skel->bss->inval_iova, IOVA + 9 * PAGE, "the last run's iova");
	ASSERT_EQ(skel->bss->inval_size, PAGE, "the last run's size");
	ASSERT_EQ(state(&t, 2) & MAPPED, 0, "page 2 unmapped");

	ASSERT_EQ(fault_at(&t, 2), 1, "page 2 faults in again");
	ASSERT_EQ(iopf_query(t.c, IOVA + 2 * PAGE) & VFIO_IOPF_TEST_IOMMU, VFIO_IOPF_TEST_IOMMU,
		  "into both domains");
	vfio_dev_close(&d2);
	ctr_close(&t);
	recorder_down(skel, link);
}

KTEST(prefault_rlimit_partial,
      "a pinned prefault larger than what RLIMIT_MEMLOCK leaves maps the pages that fit")
{
	iopf_stats_t st;
	struct ctr t;
	long lck0;

	unload_all();
	ASSERT_OK(drop_cap(CAP_IPC_LOCK), "drop CAP_IPC_LOCK");
	ctr_open(&t, 0, 64);
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=64"), 0,
		  "load window, 64 pages pinned");
	attach_container(&t, "window");
	lck0 = memlock_room(10);
	ASSERT_OK(lck0 < 0 ? lck0 : 0, "room for 10 pages");

	ASSERT_EQ(fault_at(&t, 0), 10, "the 10 pages that fit are mapped");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.resolved, 1, "the fault resolved");
	ASSERT_EQ(st.pages_pinned, 10, "10 pinned");
	ASSERT_EQ(st.failed_limit, 0, "not failed");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, 10 * PAGE / 1024, "locked_vm at the limit");

	/* No room left: the next fault fails as over the limit. */
	ASSERT_EQ(fault_at(&t, 32), 10, "nothing more mapped");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.failed_limit, 1, "failed_limit");

	ASSERT_OK(vfio_unmap(t.c, IOVA, 64 * PAGE), "unmap");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back");
	ctr_close(&t);
	unload_all();
}

KTEST(prefault_rlimit_faulting_page_first,
      "a prefault before the faulting page that does not fit under RLIMIT_MEMLOCK: "
      "the faulting page is mapped first, then what fits before it")
{
	struct recorder *skel;
	struct bpf_link *link;
	iopf_stats_t st;
	struct ctr t;
	long lck0;

	skel = recorder_up(&link);
	ASSERT_OK(drop_cap(CAP_IPC_LOCK), "drop CAP_IPC_LOCK");
	ctr_open(&t, 0, 64);
	ASSERT_OK(iopf_set_policy(t.c, "recorder"), "bind");
	skel->bss->pinned = 1;
	skel->bss->before = 63;
	lck0 = memlock_room(10);
	ASSERT_OK(lck0 < 0 ? lck0 : 0, "room for 10 pages");

	/* Page 63 faults; its decision covers pages 0-63, one chunk. */
	ASSERT_EQ(fault_at(&t, 63), 10, "10 pages mapped");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.resolved, 1, "the fault resolved");
	ASSERT_EQ(st.failed_limit, 0, "not failed");
	ASSERT_EQ(iopf_query(t.c, IOVA + 63 * PAGE) & MAPPED, MAPPED, "the faulting page among them");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, 10 * PAGE / 1024, "locked_vm at the limit");

	ASSERT_OK(vfio_unmap(t.c, IOVA, 64 * PAGE), "unmap");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back");
	ctr_close(&t);
	recorder_down(skel, link);
}

KTEST(policy_batch_decisions, "a burst: a fault is decided unless a decision maps its page; done() once per decision")
{
	struct recorder *skel;
	struct bpf_link *link;
	iopf_stats_t st;
	struct ctr t;
	long lck0;

	unload_all();
	skel = recorder__open_and_load();
	ASSERT_TRUE(skel != NULL, "recorder__open_and_load");
	link = bpf_map__attach_struct_ops(skel->maps.recorder_ops);
	ASSERT_TRUE(link != NULL, "register");
	ctr_open(&t, 0, 64);
	skel->bss->pinned = 1;
	skel->bss->after = 7;
	ASSERT_OK(iopf_set_policy(t.c, "recorder"), "bind");
	lck0 = proc_status_kb("VmLck:");

	/* 64 faults in one go: whatever the batches, one decision per 8. */
	ASSERT_OK(iopf_inject(t.c, IOVA, PAGE, 64, VFIO_IOPF_TEST_PERM_READ), "inject 64");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.faults, 64, "64 faults");
	ASSERT_EQ(st.resolved, 64, "all answered as resolved");
	ASSERT_EQ(st.pages_mapped, 64, "64 pages mapped");
	ASSERT_EQ(st.pages_pinned, 64, "64 pinned");
	ASSERT_EQ(st.pages_prefaulted, 64 - 8, "7 prefaulted per decision");
	ASSERT_EQ(skel->bss->faults, 8, "the policy asked once per 8 pages");
	ASSERT_EQ(skel->bss->dones, 8, "done() once per decision");
	ASSERT_EQ(skel->bss->done_pages, 64, "each told of its own 8 pages");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, 64 * 4, "locked_vm charged for 64 pages");

	ASSERT_OK(vfio_unmap(t.c, IOVA, 64 * PAGE), "unmap");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back");
	ctr_close(&t);
	bpf_link__destroy(link);
	recorder__destroy(skel);
	unload_all();
}

KTEST(policy_identity_and_invalidate, "policies are told apart by registration; invalidate() goes to the bound one, run by run")
{
	struct recorder *a, *b;
	struct bpf_link *la, *lb;
	struct ctr t;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window")), 0, "load window");
	a = recorder__open_and_load();
	ASSERT_TRUE(a != NULL, "recorder A");
	la = bpf_map__attach_struct_ops(a->maps.recorder_ops);
	ASSERT_TRUE(la != NULL, "register A");
	ctr_open(&t, 0, 16);
	ASSERT_OK(iopf_set_policy(t.c, "recorder"), "bind by name");
	ASSERT_EQ(a->bss->binds, 1, "A bound");

	/* Two pages apart, then one invalidation over both: two reports. */
	ASSERT_EQ(fault_at(&t, 2), 1, "page 2");
	ASSERT_EQ(fault_at(&t, 6), 2, "page 6");
	ASSERT_OK(madvise(t.buf, 8 * PAGE, MADV_DONTNEED), "MADV_DONTNEED pages 0-7");
	ASSERT_EQ(a->bss->invalidates, 2, "one invalidate() per run unmapped");
	ASSERT_EQ(a->bss->inval_iova, IOVA + 6 * PAGE, "the last run's iova");
	ASSERT_EQ(a->bss->inval_size, PAGE, "the last run's size");

	/* Unregistered and registered again under its name: another policy. */
	bpf_link__destroy(la);
	b = recorder__open_and_load();
	ASSERT_TRUE(b != NULL, "recorder B");
	lb = bpf_map__attach_struct_ops(b->maps.recorder_ops);
	ASSERT_TRUE(lb != NULL, "register B under the same name");
	ASSERT_EQ(fault_at(&t, 9), 1, "a fault with B");
	ASSERT_EQ(b->bss->binds, 1, "B bound before its first fault");
	ASSERT_EQ(b->bss->faults, 1, "B decided");
	ASSERT_EQ(a->bss->unbinds, 0, "A, gone, not called");

	/*
	 * The default changes under the container: B, which mapped page 9,
	 * hears of its invalidation until the container's next fault rebinds.
	 */
	ASSERT_EQ(run(NULL, 0, "echo recorder > /sys/kernel/vfio_iopf/default"), 0, "default B");
	ASSERT_OK(iopf_set_policy(t.c, ""), "drop the container binding");
	ASSERT_EQ(b->bss->unbinds, 0, "still bound to B, now by default");
	ASSERT_EQ(run(NULL, 0, "echo window > /sys/kernel/vfio_iopf/default"), 0, "default window");
	ASSERT_OK(madvise(t.buf + 9 * PAGE, PAGE, MADV_DONTNEED), "MADV_DONTNEED page 9");
	ASSERT_EQ(b->bss->invalidates, 1, "the bound policy hears it");
	ASSERT_EQ(b->bss->inval_iova, IOVA + 9 * PAGE, "page 9");
	ASSERT_GE(fault_at(&t, 12), 1, "a fault with window");
	ASSERT_EQ(b->bss->unbinds, 1, "B unbound at the rebinding fault");
	ASSERT_EQ(b->bss->faults, 1, "B not asked");

	ctr_close(&t);
	ASSERT_EQ(b->bss->unbinds, 1, "B not unbound twice");
	bpf_link__destroy(lb);
	recorder__destroy(b);
	recorder__destroy(a);
	unload_all();
}

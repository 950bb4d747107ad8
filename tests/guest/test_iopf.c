// SPDX-License-Identifier: GPL-2.0
/*
 * IOPF core tests: VFIO_DMA_MAP_FLAG_IOPF mappings are pinned and mapped
 * only where a device faults, by the real edu device through virtio-iommu
 * and by the test-only injection ioctl; accounting, failures and teardown.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "ktest.h"
#include "vfio_util.h"
#include "iopf_util.h"
#include "policy_util.h"

#define IOVA_STATIC	0x100000ULL
#define IOVA_A		0x400000ULL
#define IOVA_B		0x800000ULL
#define IOVA_NONE	0xc00000ULL
#define KB(pages)	((long)(pages) * (long)PAGE / 1024)

struct fixture {
	int c;
	struct vfio_dev d;
};

static void setup(struct fixture *f, int which)
{
	char bdfs[MAX_EDU][32];

	ASSERT_GT(edu_find(bdfs, MAX_EDU), which, "edu device present");
	f->c = vfio_container_open();
	ASSERT_OK(f->c, "open container");
	ASSERT_OK(vfio_dev_open(&f->d, f->c, bdfs[which]), "vfio_dev_open");
}

static void teardown(struct fixture *f)
{
	vfio_dev_close(&f->d);
	close(f->c);
}

/* Read the device buffer back into RAM through a static mapping. */
static void device_buffer(struct fixture *f, uint8_t *stage, uint8_t *out, size_t len)
{
	memset(stage, 0, PAGE);
	ASSERT_OK(edu_dma(&f->d, IOVA_STATIC, 0, len, true), "dma to static page");
	memcpy(out, stage, len);
}

KTEST(iopf_extension, "VFIO_TYPE1_IOPF is advertised before and after SET_IOMMU")
{
	struct fixture f;
	iopf_stats_t st;
	int c = vfio_container_open();

	ASSERT_OK(c, "open container");
	ASSERT_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOPF), 1, "before SET_IOMMU");
	close(c);
	setup(&f, 0);
	ASSERT_EQ(ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOPF), 1, "with an edu group");
	ASSERT_EQ(ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOPF_POLICY), 1,
		  "policies supported");
	ASSERT_OK(iopf_stats(f.c, &st), "stats capability present");
	ASSERT_EQ(st.header.version, 1, "capability version 1");
	ASSERT_EQ(st.flags, 0, "no flags defined");
	ASSERT_EQ(st.reserved, 0, "reserved is 0");
	for (size_t i = 0; i < sizeof(st.reserved2) / sizeof(st.reserved2[0]); i++)
		ASSERT_EQ(st.reserved2[i], 0, "reserved2 is 0");
	ASSERT_EQ(st.faults + st.pages_mapped, 0, "fresh container has no faults");
	teardown(&f);
}

KTEST(iopf_bad_map_flags, "bad flag combinations are refused with EINVAL")
{
	struct fixture f;
	void *buf;

	setup(&f, 0);
	buf = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(buf != NULL, "alloc");
	ASSERT_EQ(vfio_map(f.c, buf, IOVA_A, PAGE, VFIO_DMA_MAP_FLAG_IOPF), -EINVAL,
		  "IOPF without READ/WRITE");
	ASSERT_EQ(vfio_map(f.c, buf, IOVA_A, PAGE,
			   VFIO_DMA_MAP_FLAG_IOPF | VFIO_DMA_MAP_FLAG_VADDR), -EINVAL,
		  "IOPF with VADDR");
	ASSERT_EQ(vfio_map(f.c, buf, IOVA_A, PAGE, IOPF_RW | (1u << 4)), -EINVAL,
		  "unknown flag");
	ASSERT_EQ(vfio_map(f.c, buf, IOVA_A + 1, PAGE, IOPF_RW), -EINVAL, "unaligned iova");
	ASSERT_EQ(vfio_map(f.c, buf, ~0ULL & ~(PAGE - 1), 2 * PAGE, IOPF_RW), -EINVAL,
		  "iova wraps");
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, PAGE, IOPF_RW), "good IOPF map");
	ASSERT_EQ(vfio_map(f.c, buf, IOVA_A, PAGE, IOPF_RW), -EEXIST, "overlap");
	teardown(&f);
}

KTEST(iopf_edu_fault_and_retry, "edu: first DMA faults, is resolved, the retry moves the data both ways")
{
	uint8_t *stage, *src, *dst, *got;
	long lck0, lck_static;
	struct fixture f;
	iopf_stats_t st;

	setup(&f, 0);
	stage = alloc_pages_fill(PAGE, 0);
	src = alloc_pages_fill(8 * PAGE, 0);
	dst = alloc_pages_fill(8 * PAGE, 0x33);
	got = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(stage && src && dst && got, "alloc");
	fill_pattern(src, 8 * PAGE, 21);

	lck0 = proc_status_kb("VmLck:");
	ASSERT_OK(vfio_map(f.c, stage, IOVA_STATIC, PAGE, RW), "static map");
	lck_static = proc_status_kb("VmLck:");
	ASSERT_EQ(lck_static - lck0, KB(1), "static page pinned");
	ASSERT_OK(vfio_map(f.c, src, IOVA_A, 8 * PAGE, IOPF_RW), "IOPF map src");
	ASSERT_OK(vfio_map(f.c, dst, IOVA_B, 8 * PAGE, IOPF_RW), "IOPF map dst");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck_static, "IOPF map pins nothing");
	ASSERT_EQ(iopf_query(f.c, IOVA_A + 3 * PAGE), VFIO_IOPF_TEST_IOPF_DMA, "page 3 untouched");

	/* RAM -> device from page 3 of src: the first try faults. */
	ASSERT_OK(edu_dma(&f.d, IOVA_A + 3 * PAGE, 0, EDU_DMA_MAX, false), "dma 1");
	device_buffer(&f, stage, got, EDU_DMA_MAX);
	ASSERT_NE(memcmp(got, src + 3 * PAGE, EDU_DMA_MAX), 0, "first try moved no data");
	ASSERT_GE(IOPF_WAIT(f.c, resolved, 1), 1, "fault resolved");
	ASSERT_OK(edu_dma(&f.d, IOVA_A + 3 * PAGE, 0, EDU_DMA_MAX, false), "dma 1 retry");
	device_buffer(&f, stage, got, EDU_DMA_MAX);
	ASSERT_MEMEQ(got, src + 3 * PAGE, EDU_DMA_MAX, "retry read the page");

	/* device -> RAM into page 5 of dst. */
	ASSERT_OK(edu_dma(&f.d, IOVA_B + 5 * PAGE, 0, EDU_DMA_MAX, true), "dma 2");
	ASSERT_EQ(dst[5 * PAGE], 0x33, "first try wrote nothing");
	ASSERT_GE(IOPF_WAIT(f.c, resolved, 2), 2, "second fault resolved");
	ASSERT_OK(edu_dma(&f.d, IOVA_B + 5 * PAGE, 0, EDU_DMA_MAX, true), "dma 2 retry");
	ASSERT_MEMEQ(dst + 5 * PAGE, src + 3 * PAGE, EDU_DMA_MAX, "retry wrote the page");
	ASSERT_EQ(dst[5 * PAGE + EDU_DMA_MAX], 0x33, "byte past the DMA untouched");

	/* Only the two touched pages are pinned and mapped. */
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ktest_metric("faults", st.faults);
	ktest_metric("resolved", st.resolved);
	ASSERT_EQ(st.pages_mapped, 2, "pages mapped");
	ASSERT_EQ(st.pages_pinned, 2, "pages pinned");
	ASSERT_EQ(st.failed, 0, "no failed fault");
	/* QEMU sends an event per 4-byte access; the driver coalesces them. */
	ASSERT_LE(st.faults, 4, "faults coalesced per page");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck_static, KB(2), "locked_vm = touched pages");
	ASSERT_EQ(iopf_query(f.c, IOVA_A + 3 * PAGE),
		  VFIO_IOPF_TEST_IOPF_DMA | VFIO_IOPF_TEST_MAPPED | VFIO_IOPF_TEST_PINNED |
		  VFIO_IOPF_TEST_IOMMU | VFIO_IOPF_TEST_PHYS_MATCH, "page 3 state");
	ASSERT_EQ(iopf_query(f.c, IOVA_A + 2 * PAGE), VFIO_IOPF_TEST_IOPF_DMA, "page 2 untouched");

	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 8 * PAGE), "unmap src");
	ASSERT_OK(vfio_unmap(f.c, IOVA_B, 8 * PAGE), "unmap dst");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped + st.pages_pinned, 0, "nothing mapped after unmap");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck_static, "locked_vm after unmap");
	ASSERT_EQ(iopf_query(f.c, IOVA_A + 3 * PAGE), 0, "IOVA gone");
	teardown(&f);
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm after close");
}

/* Every @step-th of @n pages at IOVA_A maps, in the IOMMU, its vaddr's page. */
static void assert_phys_match(int c, uint32_t n, uint32_t step)
{
	uint32_t i;

	for (i = 0; i < n; i += step)
		ASSERT_EQ(iopf_query(c, IOVA_A + (uint64_t)i * PAGE) & VFIO_IOPF_TEST_PHYS_MATCH,
			  VFIO_IOPF_TEST_PHYS_MATCH, "IOMMU maps the page behind vaddr");
}

KTEST(iopf_inject_thousands, "4096 injected faults map 4096 pages; repeats map nothing new")
{
	const uint32_t n = 4096;
	struct fixture f;
	iopf_stats_t st;
	uint8_t *buf;
	long lck0;
	uint32_t i;

	setup(&f, 0);
	buf = alloc_pages_fill(n * PAGE, 0);
	ASSERT_TRUE(buf != NULL, "alloc");
	for (i = 0; i < n; i++)
		buf[i * PAGE] = i;
	lck0 = proc_status_kb("VmLck:");
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, n * PAGE, IOPF_RW), "IOPF map 16 MiB");

	ASSERT_OK(iopf_inject(f.c, IOVA_A, PAGE, n, VFIO_IOPF_TEST_PERM_READ), "inject");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.faults, n, "faults");
	ASSERT_EQ(st.resolved, n, "resolved");
	ASSERT_EQ(st.pages_mapped, n, "pages mapped");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, KB(n), "locked_vm");

	/* Faults on mapped pages (a device racing itself) map nothing new. */
	ASSERT_OK(iopf_inject(f.c, IOVA_A + 100, 8 * PAGE, n / 8, VFIO_IOPF_TEST_PERM_WRITE),
		  "inject repeats");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.resolved, n + n / 8, "repeats resolved");
	ASSERT_EQ(st.pages_mapped_total, n, "no page mapped twice");
	ktest_metric("faults", st.faults);
	ktest_metric("time_ns_avg", st.time_ns / st.faults);

	assert_phys_match(f.c, n, 511);

	ASSERT_OK(vfio_unmap(f.c, IOVA_A, n * PAGE), "unmap");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back");
	teardown(&f);
}

KTEST(iopf_batches, "queued faults are handled in batches of up to 32, and the time breakdown adds up")
{
	const uint32_t n = 512;
	iopf_times_t t;
	struct fixture f;
	iopf_stats_t st;
	uint8_t *buf;
	uint32_t i;

	setup(&f, 0);
	buf = alloc_pages_fill(n * PAGE, 1);
	ASSERT_TRUE(buf != NULL, "alloc");
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, n * PAGE, IOPF_RW), "IOPF map");
	ASSERT_OK(iopf_times(f.c, &t), "time capability present");
	ASSERT_EQ(t.header.version, 1, "version 1");
	ASSERT_EQ(t.flags + t.reserved, 0, "no flags, reserved 0");
	for (i = 0; i < sizeof(t.reserved2) / sizeof(t.reserved2[0]); i++)
		ASSERT_EQ(t.reserved2[i], 0, "reserved2 is 0");
	ASSERT_EQ(t.batches + t.batch_groups + t.lookup_ns, 0, "nothing yet");

	/* The injection queues faults faster than the work resolves them. */
	ASSERT_OK(iopf_inject(f.c, IOVA_A, PAGE, n, VFIO_IOPF_TEST_PERM_READ), "inject");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_OK(iopf_times(f.c, &t), "times");
	ASSERT_EQ(st.resolved, n, "every fault resolved");
	ASSERT_EQ(st.pages_mapped, n, "every page mapped");
	ASSERT_EQ(t.batch_groups, n, "every fault group handled in a batch");
	ASSERT_GE(t.batches, n / 32, "no batch over 32 groups");
	ASSERT_LE(t.batch_max, 32, "largest batch at most 32");
	ASSERT_GE(t.batch_max, 2, "faults queued meanwhile joined a batch");
	ASSERT_LT(t.batches, n, "fewer batches than faults");
	ASSERT_TRUE(t.lookup_ns && t.policy_ns && t.pin_ns && t.map_ns && t.sync_ns &&
		    t.response_ns, "every phase took time");
	ASSERT_GE(st.time_ns, t.lookup_ns + t.policy_ns + t.pin_ns + t.map_ns + t.sync_ns,
		  "the phases fit in the handling time");
	ktest_metric("batches", t.batches);
	ktest_metric("batch_max", t.batch_max);
	ktest_metric("ns_per_fault", st.time_ns / st.faults);

	/* Synced before the answers: the IOMMU maps every page it answered. */
	assert_phys_match(f.c, n, 37);
	ASSERT_OK(vfio_unmap(f.c, IOVA_A, n * PAGE), "unmap");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.pages_pinned, 0, "nothing left pinned");
	teardown(&f);
}

KTEST(iopf_outside_mapping, "faults outside IOPF mappings fail cleanly and are counted")
{
	uint8_t *stage, *bulk;
	struct fixture f;
	iopf_stats_t st;

	setup(&f, 0);
	stage = alloc_pages_fill(PAGE, 0);
	bulk = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(stage && bulk, "alloc");
	ASSERT_OK(vfio_map(f.c, stage, IOVA_STATIC, PAGE, RW), "static map");
	/* An IOPF mapping elsewhere turns fault handling on. */
	ASSERT_OK(vfio_map(f.c, bulk, IOVA_A, PAGE, IOPF_RW), "IOPF map");

	ASSERT_OK(iopf_inject(f.c, IOVA_NONE, PAGE, 3, VFIO_IOPF_TEST_PERM_READ), "inject");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.failed_nomap, 3, "failed_nomap");
	ASSERT_EQ(st.failed, 3, "failed");
	ASSERT_EQ(st.resolved, 0, "resolved");

	/* A real device DMA to nowhere: answered as a failure, the device goes on. */
	ASSERT_OK(edu_dma(&f.d, IOVA_NONE, 0, 64, true), "dma to nowhere");
	ASSERT_GE(IOPF_WAIT(f.c, failed_nomap, 4), 4, "device fault failed");
	ASSERT_OK(edu_dma(&f.d, IOVA_STATIC, 0, 64, true), "device still works");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 0, "nothing mapped");
	teardown(&f);
}

KTEST(iopf_write_to_readonly, "a write fault on a read-only IOPF mapping fails, a read succeeds")
{
	struct fixture f;
	iopf_stats_t st;
	uint8_t *buf, *copy;

	setup(&f, 0);
	buf = alloc_pages_fill(4 * PAGE, 0x77);
	copy = alloc_pages_fill(4 * PAGE, 0x77);
	ASSERT_TRUE(buf && copy, "alloc");
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, 4 * PAGE,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_IOPF), "read-only IOPF map");

	ASSERT_OK(iopf_inject(f.c, IOVA_A, PAGE, 1, VFIO_IOPF_TEST_PERM_WRITE), "write fault");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.failed_perm, 1, "failed_perm");
	ASSERT_EQ(st.pages_mapped, 0, "nothing mapped");
	ASSERT_OK(iopf_inject(f.c, IOVA_A, PAGE, 1, VFIO_IOPF_TEST_PERM_READ), "read fault");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.resolved, 1, "read resolved");

	/* The device writes to page 1: mapped read-only, then denied. */
	ASSERT_OK(edu_dma(&f.d, IOVA_A + PAGE, 0, 256, true), "write dma");
	IOPF_WAIT(f.c, faults, 3);
	ASSERT_OK(edu_dma(&f.d, IOVA_A + PAGE, 0, 256, true), "write dma retry");
	ASSERT_GE(IOPF_WAIT(f.c, failed_perm, 2), 2, "device write denied");
	ASSERT_MEMEQ(buf, copy, 4 * PAGE, "read-only memory unchanged");
	teardown(&f);
}

KTEST(iopf_rlimit_memlock, "RLIMIT_MEMLOCK stops pinning on fault; the failures are counted")
{
	struct fixture f;
	iopf_stats_t st;
	uint8_t *buf;
	long lck0;

	setup(&f, 0);
	buf = alloc_pages_fill(16 * PAGE, 1);
	ASSERT_TRUE(buf != NULL, "alloc");
	ASSERT_OK(drop_cap(CAP_IPC_LOCK), "drop CAP_IPC_LOCK");
	lck0 = memlock_room(4);
	ASSERT_OK(lck0 < 0 ? lck0 : 0, "setrlimit");
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, 16 * PAGE, IOPF_RW), "IOPF map");

	ASSERT_OK(iopf_inject(f.c, IOVA_A, PAGE, 16, VFIO_IOPF_TEST_PERM_READ), "inject");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.resolved, 4, "pinned up to the limit");
	ASSERT_EQ(st.failed_limit, 12, "failed_limit");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, KB(4), "locked_vm at the limit");
	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 16 * PAGE), "unmap");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back");
	teardown(&f);
}

KTEST(iopf_close_releases, "closing the container unpins what faults pinned")
{
	struct fixture f;
	uint8_t *buf;
	long lck0;

	buf = alloc_pages_fill(64 * PAGE, 1);
	ASSERT_TRUE(buf != NULL, "alloc");
	lck0 = proc_status_kb("VmLck:");
	setup(&f, 0);
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, 64 * PAGE, IOPF_RW), "IOPF map");
	ASSERT_OK(iopf_inject(f.c, IOVA_A, 2 * PAGE, 32, VFIO_IOPF_TEST_PERM_WRITE), "inject");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, KB(32), "32 pages pinned");
	teardown(&f);
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back after close");
}

KTEST(iopf_two_containers, "two devices, two containers, same IOVAs: faults stay in their container")
{
	struct fixture f[2];
	uint8_t *buf[2], *stage[2], *got;
	iopf_stats_t st[2];
	int i;

	got = alloc_pages_fill(PAGE, 0);
	for (i = 0; i < 2; i++) {
		setup(&f[i], i);
		buf[i] = alloc_pages_fill(4 * PAGE, 0);
		stage[i] = alloc_pages_fill(PAGE, 0);
		ASSERT_TRUE(buf[i] && stage[i] && got, "alloc");
		fill_pattern(buf[i], 4 * PAGE, 40 + i);
		ASSERT_OK(vfio_map(f[i].c, stage[i], IOVA_STATIC, PAGE, RW), "static map");
		ASSERT_OK(vfio_map(f[i].c, buf[i], IOVA_A, 4 * PAGE, IOPF_RW), "IOPF map");
	}
	ASSERT_NE(f[0].d.group_id, f[1].d.group_id, "separate groups");

	/* Inject into container 0 only. */
	ASSERT_OK(iopf_inject(f[0].c, IOVA_A, PAGE, 4, VFIO_IOPF_TEST_PERM_READ), "inject 0");
	ASSERT_EQ(iopf_inject_group(f[0].c, f[1].d.group_id, IOVA_A, PAGE, 1, 1, 0), -ENODEV,
		  "container 0 cannot fault for the other group");
	for (i = 0; i < 2; i++)
		ASSERT_OK(iopf_stats(f[i].c, &st[i]), "stats");
	ASSERT_EQ(st[0].pages_mapped, 4, "container 0 mapped");
	ASSERT_EQ(st[1].faults + st[1].pages_mapped, 0, "container 1 untouched");
	ASSERT_EQ(iopf_query(f[1].c, IOVA_A), VFIO_IOPF_TEST_IOPF_DMA, "container 1 page unmapped");

	/* Both devices read the same IOVA at once: each gets its own memory. */
	for (i = 0; i < 2; i++)
		edu_dma_start(&f[i].d, IOVA_A + PAGE, 0, EDU_DMA_MAX, false);
	for (i = 0; i < 2; i++)
		ASSERT_OK(edu_dma_wait(&f[i].d), "dma");
	ASSERT_GE(IOPF_WAIT(f[1].c, resolved, 1), 1, "device 1 faulted in its container");
	edu_dma_start(&f[1].d, IOVA_A + PAGE, 0, EDU_DMA_MAX, false);
	ASSERT_OK(edu_dma_wait(&f[1].d), "dma retry");
	for (i = 0; i < 2; i++) {
		memset(stage[i], 0, PAGE);
		ASSERT_OK(edu_dma(&f[i].d, IOVA_STATIC, 0, EDU_DMA_MAX, true), "read back");
		ASSERT_MEMEQ(stage[i], buf[i] + PAGE, EDU_DMA_MAX, "own container's data");
	}
	ASSERT_OK(iopf_stats(f[0].c, &st[0]), "stats");
	ASSERT_EQ(st[0].faults, 4, "container 0 saw only its injected faults");
	for (i = 0; i < 2; i++)
		teardown(&f[i]);
}

KTEST(iopf_mixed_and_dirty, "pinned and IOPF mappings in one container; dirty tracking refused")
{
	struct vfio_iommu_type1_dirty_bitmap dirty = {
		.argsz = sizeof(dirty), .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};
	uint8_t *ring, *bulk;
	struct fixture f;

	setup(&f, 0);
	ring = alloc_pages_fill(PAGE, 0);
	bulk = alloc_pages_fill(4 * PAGE, 0x44);
	ASSERT_TRUE(ring && bulk, "alloc");
	fill_pattern(ring, PAGE, 50);
	ASSERT_OK(vfio_map(f.c, ring, IOVA_STATIC, PAGE, RW), "pinned ring");
	ASSERT_OK(vfio_map(f.c, bulk, IOVA_A, 4 * PAGE, IOPF_RW), "IOPF bulk");

	ASSERT_ERRNO(ioctl(f.c, VFIO_IOMMU_DIRTY_PAGES, &dirty), EOPNOTSUPP,
		     "dirty tracking with IOPF mappings");

	/* ring -> device -> bulk, retried once the bulk page has faulted in. */
	ASSERT_OK(edu_dma(&f.d, IOVA_STATIC, 0, EDU_DMA_MAX, false), "ring to device");
	ASSERT_OK(edu_dma(&f.d, IOVA_A + 2 * PAGE, 0, EDU_DMA_MAX, true), "device to bulk");
	ASSERT_GE(IOPF_WAIT(f.c, resolved, 1), 1, "fault resolved");
	ASSERT_OK(edu_dma(&f.d, IOVA_A + 2 * PAGE, 0, EDU_DMA_MAX, true), "retry");
	ASSERT_MEMEQ(bulk + 2 * PAGE, ring, EDU_DMA_MAX, "bulk page has the ring data");

	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 4 * PAGE), "unmap bulk");
	ASSERT_OK(ioctl(f.c, VFIO_IOMMU_DIRTY_PAGES, &dirty), "dirty tracking without IOPF");
	dirty.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
	ASSERT_OK(ioctl(f.c, VFIO_IOMMU_DIRTY_PAGES, &dirty), "stop dirty tracking");
	teardown(&f);
}

/* Issue a DMA from the device buffer to @iova @n times; they all fail. */
static void dma_to_nowhere(struct fixture *f, uint64_t iova, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ASSERT_OK(edu_dma(&f->d, iova + i * PAGE, 0, 64, true), "dma to nowhere");
}

KTEST(iopf_policy_set_killable,
      "a process setting the policy while the container's faults pin slowly dies at once on SIGKILL")
{
	struct vfio_iommu_type1_iopf_policy pol = {
		.argsz = sizeof(pol), .flags = VFIO_IOPF_POLICY_SET,
	};
	uint64_t t0, dt;
	struct fixture f;
	uint8_t *buf;
	pid_t child;
	int status;

	if (access(PIN_DELAY, W_OK))
		KTEST_SKIP("no iopf_test_pin_delay_ms (CONFIG_VFIO_IOMMU_TYPE1_IOPF_TEST)");
	setup(&f, 0);
	buf = alloc_pages_fill(4 * PAGE, 1);
	ASSERT_TRUE(buf != NULL, "alloc");
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, 4 * PAGE, IOPF_RW), "IOPF map");

	/* The fault's pin takes 3 s, with the container's policy lock held. */
	ASSERT_OK(write_str(PIN_DELAY, "3000"), "slow pins");
	ASSERT_OK(iopf_inject_group(f.c, -1, IOVA_A, PAGE, 1, VFIO_IOPF_TEST_PERM_READ, 0),
		  "fault, not waited for");
	usleep(300 * 1000);

	/* Another process of the container's owner sets the policy. */
	child = fork();
	ASSERT_OK(child, "fork");
	if (!child)
		_exit(ioctl(f.c, VFIO_IOMMU_IOPF_POLICY, &pol) ? 2 : 0);
	usleep(300 * 1000);
	t0 = mono_ns() / 1000000;
	ASSERT_OK(kill(child, SIGKILL), "SIGKILL");
	ASSERT_EQ(waitpid(child, &status, 0), child, "reaped");
	dt = mono_ns() / 1000000 - t0;
	ASSERT_OK(write_str(PIN_DELAY, "0"), "pins as usual");
	ktest_metric("kill_to_reap_ms", dt);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "killed while waiting");
	ASSERT_LT(dt, 1500, "dead before the pin ended");

	ASSERT_GE(IOPF_WAIT(f.c, resolved, 1), 1, "the fault resolved after its pin");
	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 4 * PAGE), "unmap");
	teardown(&f);
}

KTEST(iopf_extension_replayable,
      "VFIO_TYPE1_IOPF_REPLAY: faults behind virtio-iommu are replayable; without groups, no answer")
{
	struct fixture f;
	int c = vfio_container_open();

	ASSERT_OK(c, "open container");
	ASSERT_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOPF_REPLAY), 0, "before SET_IOMMU");
	close(c);
	setup(&f, 0);
	ASSERT_EQ(ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOPF_REPLAY), 1,
		  "edu behind virtio-iommu: the driver replays");
	teardown(&f);
}

#define PROBE		"iopf_query_probe"
#define PROBE_ON	"T=/sys/kernel/tracing; echo > $T/trace && " \
			"echo 1 > $T/events/kprobes/" PROBE "/enable"
#define PROBE_READ	"T=/sys/kernel/tracing; echo 0 > $T/events/kprobes/" PROBE "/enable; " \
			"cat $T/trace"

KTEST(iopf_extension_query_read_only,
      "asking a container for VFIO_TYPE1_IOPF turns I/O page faults on for none of its devices")
{
	char out[8192];
	struct fixture f;
	uint8_t *bulk;

	setup(&f, 0);
	bulk = alloc_pages_fill(4 * PAGE, 0);
	ASSERT_TRUE(bulk != NULL, "alloc");
	ASSERT_EQ(run(NULL, 0, "echo 'p:" PROBE " iommu_dev_enable_feature' >> "
		      "/sys/kernel/tracing/kprobe_events"), 0, "kprobe on iommu_dev_enable_feature");

	ASSERT_EQ(run(NULL, 0, PROBE_ON), 0, "probe on");
	ASSERT_EQ(ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOPF), 1, "the group could take faults");
	ASSERT_EQ(ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOPF), 1, "asked again");
	ASSERT_EQ(run(out, sizeof(out), PROBE_READ), 0, "read trace");
	ASSERT_TRUE(strstr(out, PROBE ":") == NULL, "no device reconfigured by the query");

	/* The probe sees an enable: the first IOPF mapping makes one. */
	ASSERT_EQ(run(NULL, 0, PROBE_ON), 0, "probe on");
	ASSERT_OK(vfio_map(f.c, bulk, IOVA_A, 4 * PAGE, IOPF_RW), "IOPF map");
	ASSERT_EQ(run(out, sizeof(out), PROBE_READ), 0, "read trace");
	ASSERT_TRUE(strstr(out, PROBE ":") != NULL, "the IOPF map turned faults on");
	ASSERT_EQ(ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOPF), 1, "asked while on");
	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 4 * PAGE), "unmap");
	ASSERT_EQ(run(NULL, 0, "echo '-:" PROBE "' >> /sys/kernel/tracing/kprobe_events"), 0,
		  "remove the kprobe");
	teardown(&f);
}

KTEST(iopf_off_until_needed, "a container without IOPF mappings handles no fault; IOPF goes off with the last one")
{
	uint8_t *stage, *bulk;
	struct fixture f;
	iopf_stats_t st;

	setup(&f, 0);
	stage = alloc_pages_fill(PAGE, 0);
	bulk = alloc_pages_fill(4 * PAGE, 0);
	ASSERT_TRUE(stage && bulk, "alloc");
	ASSERT_OK(vfio_map(f.c, stage, IOVA_STATIC, PAGE, RW), "static map");

	/* Plain mappings only: exactly upstream's behaviour, nothing handled. */
	dma_to_nowhere(&f, IOVA_NONE, 5);
	ASSERT_EQ(iopf_inject(f.c, IOVA_NONE, PAGE, 1, VFIO_IOPF_TEST_PERM_READ), -ENODEV,
		  "no device takes faults");
	ASSERT_EQ(ioctl(f.c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOPF), 1,
		  "the group could take them");
	dma_to_nowhere(&f, IOVA_NONE, 2);
	ASSERT_OK(edu_dma(&f.d, IOVA_STATIC, 0, 64, true), "device works");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.faults, 0, "no fault reached type1");
	ASSERT_EQ(st.failed_nomap, 0, "none answered as outside a mapping");

	/* With an IOPF mapping, the same DMAs are handled... */
	ASSERT_OK(vfio_map(f.c, bulk, IOVA_A, 4 * PAGE, IOPF_RW), "IOPF map");
	dma_to_nowhere(&f, IOVA_NONE, 2);
	ASSERT_GE(IOPF_WAIT(f.c, failed_nomap, 2), 2, "handled while IOPF is on");
	ASSERT_OK(edu_dma(&f.d, IOVA_A, 0, 64, true), "dma to the IOPF mapping");
	ASSERT_GE(IOPF_WAIT(f.c, resolved, 1), 1, "IOPF page faulted in");

	/* ...and once the last one goes, no more. */
	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 4 * PAGE), "unmap the IOPF mapping");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	dma_to_nowhere(&f, IOVA_NONE, 3);
	ASSERT_OK(edu_dma(&f.d, IOVA_STATIC, 0, 64, true), "device works");
	{
		iopf_stats_t after;

		ASSERT_OK(iopf_stats(f.c, &after), "stats");
		ASSERT_EQ(after.faults, st.faults, "no fault handled after the last unmap");
	}
	ASSERT_EQ(iopf_inject(f.c, IOVA_NONE, PAGE, 1, VFIO_IOPF_TEST_PERM_READ), -ENODEV,
		  "IOPF off again");
	teardown(&f);
}

KTEST(iopf_vaddr_update_refused, "VFIO_UPDATE_VADDR is refused on ranges that hold an IOPF mapping")
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	uint8_t *stage, *bulk, *other;
	struct fixture f;

	setup(&f, 0);
	stage = alloc_pages_fill(PAGE, 0);
	bulk = alloc_pages_fill(4 * PAGE, 0x5a);
	other = alloc_pages_fill(4 * PAGE, 0);
	ASSERT_TRUE(stage && bulk && other, "alloc");
	ASSERT_OK(vfio_map(f.c, stage, IOVA_STATIC, PAGE, RW), "static map");
	ASSERT_OK(vfio_map(f.c, bulk, IOVA_A, 4 * PAGE, IOPF_RW), "IOPF map");

	unmap.flags = VFIO_DMA_UNMAP_FLAG_VADDR;
	unmap.iova = IOVA_A;
	unmap.size = 4 * PAGE;
	ASSERT_ERRNO(ioctl(f.c, VFIO_IOMMU_UNMAP_DMA, &unmap), EOPNOTSUPP,
		     "invalidate the vaddr of an IOPF mapping");
	ASSERT_EQ(vfio_map(f.c, other, IOVA_A, 4 * PAGE, VFIO_DMA_MAP_FLAG_VADDR), -EINVAL,
		  "no new vaddr for a valid one");

	/* All at once: refused as a whole, the plain mapping is left valid. */
	unmap.flags = VFIO_DMA_UNMAP_FLAG_VADDR | VFIO_DMA_UNMAP_FLAG_ALL;
	unmap.iova = 0;
	unmap.size = 0;
	ASSERT_ERRNO(ioctl(f.c, VFIO_IOMMU_UNMAP_DMA, &unmap), EOPNOTSUPP, "invalidate all");
	ASSERT_EQ(vfio_map(f.c, other, IOVA_STATIC, PAGE, VFIO_DMA_MAP_FLAG_VADDR), -EINVAL,
		  "plain mapping not invalidated");

	/* The IOPF mapping still faults to its own pages. */
	ASSERT_OK(iopf_inject(f.c, IOVA_A + PAGE, PAGE, 1, VFIO_IOPF_TEST_PERM_READ), "fault");
	ASSERT_EQ(iopf_query(f.c, IOVA_A + PAGE) & VFIO_IOPF_TEST_PHYS_MATCH,
		  VFIO_IOPF_TEST_PHYS_MATCH, "maps the page behind the original vaddr");
	ASSERT_OK(edu_dma(&f.d, IOVA_A + PAGE, 0, 64, false), "device reads it");
	memset(stage, 0, PAGE);
	ASSERT_OK(edu_dma(&f.d, IOVA_STATIC, 0, 64, true), "read back");
	ASSERT_EQ(stage[0], 0x5a, "original buffer's data");

	/* Plain mappings alone still take vaddr updates, as upstream. */
	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 4 * PAGE), "unmap the IOPF mapping");
	unmap.flags = VFIO_DMA_UNMAP_FLAG_VADDR;
	unmap.iova = IOVA_STATIC;
	unmap.size = PAGE;
	ASSERT_OK(ioctl(f.c, VFIO_IOMMU_UNMAP_DMA, &unmap), "invalidate a plain vaddr");
	ASSERT_OK(vfio_map(f.c, other, IOVA_STATIC, PAGE, VFIO_DMA_MAP_FLAG_VADDR),
		  "new vaddr for a plain mapping");
	teardown(&f);
}

/* Map @buf read-only for IOPF, fault every page in, unmap: VmLck symmetric. */
static void readonly_fault_cycle(struct fixture *f, void *buf, size_t pages,
				 const char *what)
{
	iopf_stats_t st;
	long lck0;

	lck0 = proc_status_kb("VmLck:");
	ASSERT_OK(vfio_map(f->c, buf, IOVA_A, pages * PAGE,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_IOPF), what);
	ASSERT_OK(iopf_inject(f->c, IOVA_A, PAGE, pages, VFIO_IOPF_TEST_PERM_READ), "read faults");
	ASSERT_OK(iopf_stats(f->c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, pages, "every page mapped");
	ktest_diag("%s: %lu pages, pages_pinned %llu, VmLck +%ld kB", what,
		   (unsigned long)pages, (unsigned long long)st.pages_pinned,
		   proc_status_kb("VmLck:") - lck0);
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, KB(st.pages_pinned),
		  "locked_vm counts what is pinned");
	ASSERT_OK(vfio_unmap(f->c, IOVA_A, pages * PAGE), "unmap");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back after unmap");
	ASSERT_OK(iopf_stats(f->c, &st), "stats");
	ASSERT_EQ(st.pages_pinned + st.pages_mapped, 0, "nothing left");
}

KTEST(iopf_readonly_untouched, "read faults on untouched read-only memory: locked_vm symmetric")
{
	struct fixture f;
	void *anon, *file;
	int fd;

	setup(&f, 0);
	/* Private anonymous, never written: the zero page backs it. */
	anon = mmap(NULL, 8 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(anon != MAP_FAILED, "mmap anon");
	readonly_fault_cycle(&f, anon, 8, "PROT_READ private anonymous");
	/* A hole of a memfd, mapped read-only, private and shared. */
	fd = memfd_create("iopf-hole", 0);
	ASSERT_OK(fd < 0 ? -errno : ftruncate(fd, 8 * PAGE), "memfd with a hole");
	file = mmap(NULL, 8 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(file != MAP_FAILED, "mmap memfd private");
	readonly_fault_cycle(&f, file, 8, "PROT_READ private memfd hole");
	munmap(file, 8 * PAGE);
	file = mmap(NULL, 8 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(file != MAP_FAILED, "mmap memfd shared");
	readonly_fault_cycle(&f, file, 8, "PROT_READ shared memfd hole");
	munmap(file, 8 * PAGE);
	close(fd);
	munmap(anon, 8 * PAGE);
	teardown(&f);
}

KTEST(iopf_inject_needs_sys_admin, "the test-only injection needs CAP_SYS_ADMIN")
{
	struct fixture f;
	iopf_stats_t st;
	uint8_t *buf;
	int status;
	pid_t pid;

	setup(&f, 0);
	buf = alloc_pages_fill(4 * PAGE, 1);
	ASSERT_TRUE(buf != NULL, "alloc");
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, 4 * PAGE, IOPF_RW), "IOPF map");
	pid = fork();
	if (pid == 0) {
		ASSERT_OK(drop_cap(CAP_SYS_ADMIN), "drop CAP_SYS_ADMIN");
		ASSERT_EQ(iopf_inject(f.c, IOVA_A, PAGE, 4, VFIO_IOPF_TEST_PERM_READ), -EPERM,
			  "inject without CAP_SYS_ADMIN");
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid");
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child refused");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.faults + st.pages_mapped, 0, "nothing injected");
	ASSERT_OK(iopf_inject(f.c, IOVA_A, PAGE, 4, VFIO_IOPF_TEST_PERM_READ), "root injects");
	teardown(&f);
}

#define FAIL_ATTACH "/sys/module/vfio_iommu_type1/parameters/iopf_test_fail_attach"

KTEST(iopf_attach_error_flushes_faults, "a group whose attach fails after a fault is freed only once that fault's work is done")
{
	char bdfs[MAX_EDU][32], val[8] = "";
	struct vfio_dev d2;
	iopf_stats_t st;
	struct fixture f;
	uint8_t *buf;

	ASSERT_GT(edu_find(bdfs, MAX_EDU), 1, "two edu devices");
	setup(&f, 0);
	buf = alloc_pages_fill(4 * PAGE, 1);
	ASSERT_TRUE(buf != NULL, "alloc");
	/* IOPF on: a group attached now gets IOPF before its domain. */
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, 4 * PAGE, IOPF_RW), "IOPF map");

	ASSERT_OK(write_str(FAIL_ATTACH, "1"), "arm the attach error");
	/* The attach reports a fault through the new handle, then fails. */
	ASSERT_EQ(vfio_dev_open(&d2, f.c, bdfs[1]), -EIO, "second group's attach fails");
	vfio_dev_close(&d2);
	ASSERT_EQ(read_str(FAIL_ATTACH, val, sizeof(val)), 2, "read " FAIL_ATTACH);
	ASSERT_EQ(val[0], 'N', "the error fired once");

	/* The fault was handled in the container (no mapping at IOVA 0)... */
	ASSERT_GE(IOPF_WAIT(f.c, failed_nomap, 1), 1, "its fault was handled");
	/* ...and the container goes on; KASAN would have caught a stale group. */
	ASSERT_OK(iopf_inject(f.c, IOVA_A, PAGE, 4, VFIO_IOPF_TEST_PERM_READ), "inject");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 4, "container still faults");
	/* The second group can still join once the error is spent. */
	ASSERT_OK(vfio_dev_open(&d2, f.c, bdfs[1]), "second group attaches");
	vfio_dev_close(&d2);
	teardown(&f);
}

KTEST(iopf_map_bounds, "an IOPF mapping too large for its bitmaps, or outside user memory, fails cleanly")
{
	struct fixture f;
	iopf_stats_t st;

	setup(&f, 0);
	/*
	 * 64 TiB of address space pins nothing, but its two bitmaps would be
	 * 2 GiB each: refused (past 2^31 - 1 pages, as dirty bitmaps are),
	 * with no allocation warning in the kernel log.
	 */
	ASSERT_EQ(vfio_map(f.c, (void *)(1ULL << 40), 1ULL << 40, 64ULL << 40, IOPF_RW),
		  -EINVAL, "64 TiB IOPF mapping");
	/* Kernel addresses are not user memory. */
	ASSERT_EQ(vfio_map(f.c, (void *)0xffff888000000000ULL, IOVA_A, 16 * PAGE, IOPF_RW),
		  -EFAULT, "kernel vaddr");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.faults + st.pages_mapped, 0, "nothing happened");
	teardown(&f);
}

struct map_loop {
	int c;
	void *buf;
	volatile int stop;
	int maps;
};

static void *map_unmap_loop(void *arg)
{
	struct map_loop *l = arg;

	while (!l->stop) {
		if (!vfio_map(l->c, l->buf, IOVA_A, 4 * PAGE, IOPF_RW)) {
			l->maps++;
			vfio_unmap(l->c, IOVA_A, 4 * PAGE);
		}
	}
	return NULL;
}

KTEST(iopf_attach_detach_vs_map, "groups join and leave while another thread maps and unmaps IOPF (faults on, off)")
{
	char bdfs[MAX_EDU][32];
	struct map_loop l = {};
	struct vfio_dev d2;
	struct fixture f;
	pthread_t th;
	int i, joins = 0;

	ASSERT_GT(edu_find(bdfs, MAX_EDU), 1, "two edu devices");
	setup(&f, 0);
	l.c = f.c;
	l.buf = alloc_pages_fill(4 * PAGE, 1);
	ASSERT_TRUE(l.buf != NULL, "alloc");
	ASSERT_OK(-pthread_create(&th, NULL, map_unmap_loop, &l), "thread");
	for (i = 0; i < 40; i++) {
		if (!vfio_dev_open(&d2, f.c, bdfs[1]))
			joins++;
		vfio_dev_close(&d2);
	}
	l.stop = 1;
	pthread_join(th, NULL);
	ktest_metric("joins", joins);
	ktest_metric("maps", l.maps);
	ASSERT_GT(joins, 0, "the group joined");
	ASSERT_GT(l.maps, 0, "IOPF maps went on meanwhile");
	/* Faults still work, and go off with the last IOPF mapping. */
	ASSERT_OK(vfio_map(f.c, l.buf, IOVA_A, 4 * PAGE, IOPF_RW), "IOPF map");
	ASSERT_OK(iopf_inject(f.c, IOVA_A, PAGE, 4, VFIO_IOPF_TEST_PERM_READ), "inject");
	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 4 * PAGE), "unmap");
	ASSERT_EQ(iopf_inject(f.c, IOVA_A, PAGE, 1, VFIO_IOPF_TEST_PERM_READ), -ENODEV,
		  "IOPF off");
	teardown(&f);
}

/* The sum of a virtio-iommu counter over every virtio-iommu; -1 if none. */
static long long viommu_counter(const char *name)
{
	long long sum = -1, v;
	struct dirent *de;
	char path[512];
	DIR *d = opendir("/sys/class/iommu");

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "/sys/class/iommu/%s/virtio-iommu/%s",
			 de->d_name, name);
		v = read_ll(path);
		if (v >= 0)
			sum = (sum < 0 ? 0 : sum) + v;
	}
	closedir(d);
	return sum;
}

KTEST(iopf_virtio_counters, "virtio-iommu tells how many fault events it coalesced and dropped")
{
	long long coalesced0, dropped0;
	struct fixture f;
	uint8_t *buf;

	setup(&f, 0);
	coalesced0 = viommu_counter("iopf_faults_coalesced");
	dropped0 = viommu_counter("iopf_faults_dropped");
	ASSERT_GE(coalesced0, 0, "iopf_faults_coalesced exported");
	ASSERT_GE(dropped0, 0, "iopf_faults_dropped exported");
	buf = alloc_pages_fill(4 * PAGE, 0);
	ASSERT_TRUE(buf != NULL, "alloc");
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, 4 * PAGE, IOPF_RW), "IOPF map");
	/* QEMU reports each small access of the DMA: one page, many events. */
	ASSERT_OK(edu_dma(&f.d, IOVA_A + PAGE, 0, EDU_DMA_MAX, true), "dma faults");
	ASSERT_GE(IOPF_WAIT(f.c, resolved, 1), 1, "fault resolved");
	ktest_metric("coalesced", viommu_counter("iopf_faults_coalesced") - coalesced0);
	ktest_metric("dropped", viommu_counter("iopf_faults_dropped") - dropped0);
	ASSERT_GT(viommu_counter("iopf_faults_coalesced"), coalesced0,
		  "the page's other events were coalesced");
	ASSERT_GE(viommu_counter("iopf_faults_dropped"), dropped0, "dropped never goes back");
	teardown(&f);
}

#define CHARGE_CG "/sys/fs/cgroup/iopf_charge"

KTEST(iopf_memcg_charge, "IOMMU mappings made at fault time are charged to the owner's memory cgroup")
{
	const uint32_t n = 8192;
	long long before, after;
	char pid[16];
	struct fixture f;
	uint8_t *buf;
	uint32_t i;

	ASSERT_OK(write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory"), "memory controller");
	ASSERT_OK(mkdir(CHARGE_CG, 0755) && errno != EEXIST ? -errno : 0, "mkdir cgroup");
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_OK(write_str(CHARGE_CG "/cgroup.procs", pid), "join the cgroup");
	setup(&f, 0);
	buf = alloc_pages_fill(2 * n * PAGE, 0);
	ASSERT_TRUE(buf != NULL, "alloc");
	for (i = 0; i < 2 * n; i++)
		buf[i * PAGE] = i;
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, 2 * n * PAGE, IOPF_RW), "IOPF map");

	before = read_ll(CHARGE_CG "/memory.current");
	/*
	 * Every other page: adjacent faults of a batch are mapped as one run,
	 * these are not.
	 */
	ASSERT_OK(iopf_inject(f.c, IOVA_A, 2 * PAGE, n, VFIO_IOPF_TEST_PERM_READ),
		  "fault every other page");
	after = read_ll(CHARGE_CG "/memory.current");
	ktest_metric("charged_kb", (after - before) / 1024);
	/* One IOMMU mapping per fault, each a record of the IOMMU driver's. */
	ASSERT_GE(after - before, 256 * 1024, "fault-time mappings charged to the owner");

	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 2 * n * PAGE), "unmap");
	ASSERT_LT(read_ll(CHARGE_CG "/memory.current"), after, "uncharged with the mappings");
	teardown(&f);
	ASSERT_OK(write_str("/sys/fs/cgroup/cgroup.procs", pid), "back to the root cgroup");
	rmdir(CHARGE_CG);
}

/* Pages of the window in which the departing function faults (64 MiB). */
#define SLOW_WINDOW	16384

struct inject_arg {
	int c, group, ret;
	uint64_t iova;
	uint32_t count;
};

/* Inject faults as the last device of a group; ends with the injection. */
static void *inject_last_dev(void *p)
{
	struct inject_arg *a = p;

	a->ret = iopf_inject_group(a->c, a->group, a->iova, 0, a->count,
				   VFIO_IOPF_TEST_PERM_READ, VFIO_IOPF_TEST_INJECT_LAST_DEV);
	return NULL;
}

KTEST(iopf_group_member_removed, "a device leaves its group while IOPF is on for the group and a fault of its own is being resolved: the rest goes on, nothing is freed twice or left behind")
{
	char bdfs[MAX_EDU][32], path[PATH_MAX];
	uint8_t *stage, *buf, *got, *big;
	iopf_stats_t st, st0;
	struct vfio_dev b = { .group_fd = -1 };
	struct inject_arg inj = {};
	struct fixture f;
	pthread_t th;
	int n;

	n = edu_find(bdfs, MAX_EDU);
	if (n < 4 || group_of(bdfs[2]) < 0 || group_of(bdfs[2]) != group_of(bdfs[3]))
		KTEST_SKIP("no two edu devices sharing an IOMMU group");
	/*
	 * The departing function's fault must still be in the container's
	 * hands when it goes: one that maps a large unpinned window.
	 */
	slow_default_policy(SLOW_WINDOW);
	setup(&f, 2);
	stage = alloc_pages_fill(PAGE, 0);
	buf = alloc_pages_fill(4 * PAGE, 0);
	got = alloc_pages_fill(PAGE, 0);
	big = alloc_pages_fill((size_t)SLOW_WINDOW * PAGE, 0x5a);
	ASSERT_TRUE(stage && buf && got && big, "alloc");
	fill_pattern(buf, 4 * PAGE, 9);
	ASSERT_OK(vfio_map(f.c, stage, IOVA_STATIC, PAGE, RW), "static map");
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, 4 * PAGE, IOPF_RW), "IOPF map: on for both");
	ASSERT_OK(vfio_map(f.c, big, IOVA_B, (size_t)SLOW_WINDOW * PAGE, IOPF_RW), "a large one");

	/*
	 * The other function faults through the same group; while the
	 * container maps its window, it is closed and removed.
	 */
	b.device_fd = ioctl(f.d.group_fd, VFIO_GROUP_GET_DEVICE_FD, bdfs[3]);
	ASSERT_GE(b.device_fd, 0, "the other function's fd");
	snprintf(b.bdf, sizeof(b.bdf), "%s", bdfs[3]);
	ASSERT_OK(vfio_dev_enable(&b), "enable it");
	ASSERT_OK(iopf_stats(f.c, &st0), "stats");
	edu_dma_start(&b, IOVA_B, 0, EDU_DMA_MAX, false);
	ASSERT_GE(IOPF_WAIT(f.c, faults, st0.faults + 1), st0.faults + 1, "its fault is taken");
	/*
	 * Faults are injected as that function meanwhile; they wait behind
	 * its fault, and the injection must stop once the function is gone.
	 */
	inj.c = f.c;
	inj.group = group_of(bdfs[3]);
	inj.iova = IOVA_A;
	inj.count = 1 << 20;
	ASSERT_OK(-pthread_create(&th, NULL, inject_last_dev, &inj), "injecting thread");
	vfio_dev_close(&b);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", bdfs[3]);
	ASSERT_OK(write_str(path, "1"), "remove the other function");
	/*
	 * The removal is synchronous: the fault was still held when the
	 * function left its IOPF queue. (What goes wrong then is a
	 * use-after-free: KASAN, in make check's kernel, reports it.)
	 */
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.resolved + st.failed, st0.resolved + st0.failed,
		  "premise: its fault is still held when it is gone");
	ASSERT_EQ(group_of(bdfs[3]), -ENOENT, "it left the group");
	ASSERT_GE(IOPF_WAIT(f.c, resolved, st0.resolved + 1), st0.resolved + 1,
		  "its fault is resolved all the same");
	pthread_join(th, NULL);
	ASSERT_EQ(inj.ret, -ENODEV, "the injection as the function stopped when it left");

	/* This function goes on, with the built-in policy (a page a fault). */
	unload_all();
	ASSERT_OK(iopf_stats(f.c, &st0), "stats");
	ASSERT_OK(edu_dma(&f.d, IOVA_A, 0, EDU_DMA_MAX, false), "dma faults");
	ASSERT_GE(IOPF_WAIT(f.c, resolved, st0.resolved + 1), st0.resolved + 1, "fault resolved");
	ASSERT_OK(edu_dma(&f.d, IOVA_A + 2 * PAGE, 0, EDU_DMA_MAX, false), "dma faults again");
	ASSERT_GE(IOPF_WAIT(f.c, resolved, st0.resolved + 2), st0.resolved + 2,
		  "fault resolved after the removal");
	ASSERT_OK(edu_dma(&f.d, IOVA_A + 2 * PAGE, 0, EDU_DMA_MAX, false), "retry");
	device_buffer(&f, stage, got, EDU_DMA_MAX);
	ASSERT_MEMEQ(got, buf + 2 * PAGE, EDU_DMA_MAX, "the retry read the page");
	ASSERT_OK(iopf_inject(f.c, IOVA_A + 3 * PAGE, PAGE, 1, VFIO_IOPF_TEST_PERM_READ),
		  "inject through the remaining device");

	/* IOPF goes off for what is left of the group, then all is released. */
	ASSERT_OK(vfio_unmap(f.c, IOVA_B, (size_t)SLOW_WINDOW * PAGE), "unmap the large one");
	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 4 * PAGE), "last IOPF unmap: off");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 0, "nothing left mapped");
	ASSERT_EQ(st.failed, 0, "no fault failed");
	teardown(&f);
	/* Bring it back for later runs; it is not in a group again before boot. */
	write_str("/sys/bus/pci/rescan", "1");
}

/* Wait up to 10 s for task @pid to be in state @state (as /proc shows it). */
static bool task_in_state(pid_t pid, char state)
{
	struct timespec ts = { 0, 10000000 };
	char path[64], buf[256], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (i = 0; i < 1000; i++) {
		if (read_str(path, buf, sizeof(buf)) > 0 && (p = strrchr(buf, ')')) &&
		    p[1] == ' ' && p[2] == state)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

KTEST(iopf_unmap_killed_keeps_faults, "an UNMAP_DMA killed while it waits for a fault on the mapping leaves it faultable, for whoever shares the container")
{
	size_t len = 2 * (size_t)SLOW_WINDOW * PAGE;
	iopf_stats_t st, st0;
	struct fixture f;
	int status;
	uint8_t *big;
	pid_t child;

	slow_default_policy(SLOW_WINDOW);
	setup(&f, 0);
	big = alloc_pages_fill(len, 0x5a);
	ASSERT_TRUE(big != NULL, "alloc");
	ASSERT_OK(vfio_map(f.c, big, IOVA_B, len, IOPF_RW), "IOPF map of two windows");
	ASSERT_OK(iopf_stats(f.c, &st0), "stats");
	/* A fault that maps the first window, slowly; not waited for. */
	ASSERT_OK(iopf_inject_group(f.c, -1, IOVA_B, PAGE, 1, VFIO_IOPF_TEST_PERM_READ, 0),
		  "fault");
	ASSERT_GE(IOPF_WAIT(f.c, faults, st0.faults + 1), st0.faults + 1, "it is being resolved");

	/* A process sharing the container unmaps it, waits, and is killed. */
	child = fork();
	ASSERT_GE(child, 0, "fork");
	if (child == 0)
		_exit(vfio_unmap(f.c, IOVA_B, len) ? 1 : 0);
	ASSERT_TRUE(task_in_state(child, 'D'), "the unmap waits");
	kill(child, SIGKILL);
	ASSERT_EQ(waitpid(child, &status, 0), child, "waitpid");
	ASSERT_TRUE(WIFSIGNALED(status), "the unmap was killed");
	ASSERT_EQ(iopf_query(f.c, IOVA_B + (size_t)SLOW_WINDOW * PAGE) & VFIO_IOPF_TEST_IOPF_DMA,
		  VFIO_IOPF_TEST_IOPF_DMA, "premise: the killed unmap left the mapping");
	ASSERT_GE(IOPF_WAIT(f.c, resolved, st0.resolved + 1), st0.resolved + 1,
		  "the first fault is resolved");

	/* Past the first window, a fault is resolved, not failed as unmapped. */
	ASSERT_OK(iopf_inject(f.c, IOVA_B + (size_t)SLOW_WINDOW * PAGE, PAGE, 1,
			      VFIO_IOPF_TEST_PERM_READ), "fault in the second window");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.failed_nomap, st0.failed_nomap, "no fault failed as unmapped");
	ASSERT_EQ(st.resolved, st0.resolved + 2, "both faults resolved");
	ASSERT_OK(vfio_unmap(f.c, IOVA_B, len), "unmap");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 0, "nothing left mapped");
	teardown(&f);
	unload_all();
}

KTEST(iopf_new_domain_keeps_pinned, "a group that gets a domain of its own: pages pinned on fault are mapped into it, without faulting again")
{
	char bdfs[MAX_EDU][32], param[8] = "";
	uint8_t *stage, *buf;
	uint64_t faults0;
	struct vfio_dev d2;
	struct fixture f;
	iopf_stats_t st;
	long lck0;
	int i;

	if (access(NEW_DOMAIN_PARAM, W_OK))
		KTEST_SKIP("no iopf_test_new_domain (CONFIG_VFIO_IOMMU_TYPE1_IOPF_TEST)");
	ASSERT_GT(edu_find(bdfs, MAX_EDU), 1, "two edu devices");
	setup(&f, 0);
	stage = alloc_pages_fill(PAGE, 0);
	buf = alloc_pages_fill(8 * PAGE, 0);
	ASSERT_TRUE(stage && buf, "alloc");
	fill_pattern(buf, 8 * PAGE, 17);
	lck0 = proc_status_kb("VmLck:");
	ASSERT_OK(vfio_map(f.c, stage, IOVA_STATIC, PAGE, RW), "static map");
	ASSERT_OK(vfio_map(f.c, buf, IOVA_A, 8 * PAGE, IOPF_RW), "IOPF map");
	ASSERT_OK(iopf_inject(f.c, IOVA_A, PAGE, 4, VFIO_IOPF_TEST_PERM_READ), "fault 4 pages");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.pages_pinned, 4, "4 pages pinned on fault");
	faults0 = st.faults;

	ASSERT_OK(write_str(NEW_DOMAIN_PARAM, "Y"), "next attach: a domain of its own");
	ASSERT_OK(vfio_dev_open(&d2, f.c, bdfs[1]), "second group joins");
	ASSERT_EQ(read_str(NEW_DOMAIN_PARAM, param, sizeof(param)) > 0 ? param[0] : 0, 'N',
		  "the attach took the parameter");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 4, "still mapped");
	ASSERT_EQ(st.pages_pinned, 4, "still pinned");
	for (i = 0; i < 4; i++)
		ASSERT_EQ(iopf_query(f.c, IOVA_A + i * PAGE),
			  VFIO_IOPF_TEST_IOPF_DMA | VFIO_IOPF_TEST_MAPPED | VFIO_IOPF_TEST_PINNED |
			  VFIO_IOPF_TEST_IOMMU | VFIO_IOPF_TEST_PHYS_MATCH,
			  "every domain maps the pinned page");

	/* The new group's device reads a pinned page without a fault. */
	ASSERT_OK(edu_dma(&d2, IOVA_A + 2 * PAGE, 0, EDU_DMA_MAX, false), "dma from the new group");
	memset(stage, 0, PAGE);
	ASSERT_OK(edu_dma(&d2, IOVA_STATIC, 0, EDU_DMA_MAX, true), "to the static page");
	ASSERT_MEMEQ(stage, buf + 2 * PAGE, EDU_DMA_MAX, "it read the page");
	ASSERT_OK(iopf_stats(f.c, &st), "stats");
	ASSERT_EQ(st.faults, faults0, "no fault");

	/* A page faulted now is mapped into both domains. */
	ASSERT_OK(iopf_inject(f.c, IOVA_A + 6 * PAGE, PAGE, 1, VFIO_IOPF_TEST_PERM_READ),
		  "fault page 6");
	ASSERT_EQ(iopf_query(f.c, IOVA_A + 6 * PAGE) & VFIO_IOPF_TEST_IOMMU, VFIO_IOPF_TEST_IOMMU,
		  "page 6 in every domain");
	ASSERT_OK(vfio_unmap(f.c, IOVA_A, 8 * PAGE), "unmap");
	ASSERT_OK(vfio_unmap(f.c, IOVA_STATIC, PAGE), "unmap static");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back");
	vfio_dev_close(&d2);
	teardown(&f);
}

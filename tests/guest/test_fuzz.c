// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input: every new ioctl with wrong argsz, unknown flags, bad names and
 * overflowing ranges, then thousands of random ioctl sequences from a
 * printed seed (IOPF_FUZZ_SEED=N to replay). Each call gets 0 or a clear
 * errno, and nothing leaks: locked_vm is back after close.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"
#include "policy_util.h"

KTEST(bad_input_policy_ioctl, "VFIO_IOMMU_IOPF_POLICY: argsz, flags, reserved, names, pointers")
{
	struct vfio_iommu_type1_iopf_policy pol;
	struct ctr t;

	unload_all();
	ctr_open(&t, 0, 4);
	memset(&pol, 0, sizeof(pol));
	pol.argsz = offsetof(typeof(pol), name);
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_POLICY, &pol), EINVAL, "argsz too small");
	pol.argsz = sizeof(pol);
	pol.flags = 1u << 7;
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_POLICY, &pol), EINVAL, "unknown flag");
	pol.flags = 0;
	pol.reserved = 1;
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_POLICY, &pol), EINVAL, "reserved set");
	pol.reserved = 0;
	pol.flags = VFIO_IOPF_POLICY_SET;
	memset(pol.name, 'a', sizeof(pol.name));
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_POLICY, &pol), EINVAL, "name not terminated");
	snprintf(pol.name, sizeof(pol.name), "a/b");
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_POLICY, &pol), EINVAL, "bad character");
	snprintf(pol.name, sizeof(pol.name), "nosuch");
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_POLICY, &pol), ENOENT, "unknown policy");
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_POLICY, (void *)8), EFAULT, "bad pointer");
	ctr_close(&t);
}

KTEST(bad_input_test_ioctl, "the test ioctl refuses bad ops, counts, perms and groups")
{
	struct vfio_iopf_test test;
	struct ctr t;

	ctr_open(&t, 0, 4);
	memset(&test, 0, sizeof(test));
	test.argsz = sizeof(test) - 1;
	test.op = VFIO_IOPF_TEST_QUERY;
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_TEST, &test), EINVAL, "argsz");
	test.argsz = sizeof(test);
	test.op = 99;
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_TEST, &test), EOPNOTSUPP, "unknown op");
	test.op = VFIO_IOPF_TEST_INJECT;
	test.inject.group = -1;
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_TEST, &test), EINVAL, "count 0");
	test.inject.count = (1u << 20) + 1;
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_TEST, &test), EINVAL, "count too big");
	test.inject.count = 1;
	test.inject.perm = 1u << 5;
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_TEST, &test), EINVAL, "bad perm");
	test.inject.perm = 0;
	test.inject.flags = 1u << 3;
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_TEST, &test), EINVAL, "bad flags");
	test.inject.flags = 0;
	test.inject.group = 12345;
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_TEST, &test), ENODEV, "group not here");
	memset(&test, 0, sizeof(test));
	test.argsz = sizeof(test);
	test.op = VFIO_IOPF_TEST_QUERY;
	test.query.reserved = 1;
	ASSERT_ERRNO(ioctl(t.c, VFIO_IOMMU_IOPF_TEST, &test), EINVAL, "query reserved");
	ctr_close(&t);
}

KTEST(bad_input_overflow, "overflowing and misaligned IOPF ranges are refused, stats stay zero")
{
	iopf_stats_t st;
	struct ctr t;

	ctr_open(&t, 0, 4);
	ASSERT_EQ(vfio_map(t.c, t.buf, ~0ULL - PAGE + 1, 2 * PAGE, IOPF_RW), -EINVAL, "iova wraps");
	ASSERT_EQ(vfio_map(t.c, (void *)(~0UL - PAGE + 1), 0x2000000, 2 * PAGE, IOPF_RW), -EINVAL,
		  "vaddr wraps");
	ASSERT_EQ(vfio_map(t.c, t.buf, 0x2000000, 0, IOPF_RW), -EINVAL, "size 0");
	ASSERT_EQ(vfio_map(t.c, t.buf, 0x2000000, PAGE + 1, IOPF_RW), -EINVAL, "size unaligned");
	ASSERT_OK(iopf_inject(t.c, ~0ULL & ~(PAGE - 1), PAGE, 2, VFIO_IOPF_TEST_PERM_READ),
		  "faults at the top of the address space");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.failed_nomap, 2, "answered as outside any mapping");
	ASSERT_EQ(st.pages_mapped, 0, "nothing mapped");
	ctr_close(&t);
}

KTEST_T(fuzz_ioctls, "thousands of random ioctl sequences: 0 or a known errno, no leak", 600)
{
	static const int allowed[] = {
		EINVAL, EEXIST, ENOENT, EFAULT, EPERM, EOPNOTSUPP, ENOSPC, EBUSY,
		ENOMEM, ENODEV, ENOTTY, ERANGE, E2BIG,
	};
	const char *env = getenv("IOPF_FUZZ_SEED");
	unsigned int seed = env ? strtoul(env, NULL, 0) : (unsigned int)time(NULL);
	const int iterations = 4000;
	unsigned long calls = 0, errors = 0;
	struct ctr t;
	long lck0;
	int i, k;

#define R()	((uint64_t)random())
	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=8"), 0, "load");
	ktest_diag("fuzz seed %u (replay: IOPF_FUZZ_SEED=%u)", seed, seed);
	srandom(seed);
	lck0 = proc_status_kb("VmLck:");
	ctr_open(&t, 0, 256);
	for (i = 0; i < iterations; i++) {
		uint64_t iova = 0x400000ULL + (random() % 300) * PAGE;
		uint64_t size = (1 + random() % 64) * PAGE;
		uint8_t *va = t.buf + (random() % 256) * PAGE;
		union {
			struct vfio_iommu_type1_dma_map map;
			struct vfio_iommu_type1_dma_unmap unmap;
			struct vfio_iommu_type1_iopf_policy pol;
			struct vfio_iopf_test test;
			struct vfio_iommu_type1_info info;
			uint8_t raw[256];
		} u;
		unsigned long req;
		long ret;

		memset(&u, 0, sizeof(u));
		if (random() % 8 == 0)		/* sometimes garbage */
			for (k = 0; k < (int)sizeof(u.raw); k++)
				u.raw[k] = random();
		switch (random() % 7) {
		case 0:
			req = VFIO_IOMMU_MAP_DMA;
			u.map.argsz = R() % 4 ? sizeof(u.map) : R() % 64;
			u.map.flags = R() % 4 ? IOPF_RW : R() % 32;
			u.map.vaddr = (uintptr_t)va;
			u.map.iova = R() % 16 ? iova : R();
			u.map.size = R() % 16 ? size : R();
			break;
		case 1:
			req = VFIO_IOMMU_UNMAP_DMA;
			u.unmap.argsz = R() % 4 ? sizeof(u.unmap) : R() % 64;
			u.unmap.flags = random() % 8 ? 0 : random() % 16;
			u.unmap.iova = iova;
			u.unmap.size = size;
			break;
		case 2:
			req = VFIO_IOMMU_IOPF_POLICY;
			u.pol.argsz = R() % 4 ? sizeof(u.pol) : R() % 64;
			u.pol.flags = random() % 2;
			snprintf(u.pol.name, sizeof(u.pol.name), "%s",
				 random() % 3 ? "window" : random() % 2 ? "" : "nosuch");
			break;
		case 3:
			req = VFIO_IOMMU_IOPF_TEST;
			u.test.argsz = R() % 8 ? sizeof(u.test) : R() % 64;
			u.test.op = random() % 4;
			u.test.inject.iova = iova;
			u.test.inject.stride = PAGE * (random() % 3);
			u.test.inject.count = R() % 8 ? 1 + R() % 16 : R();
			u.test.inject.perm = random() % 4;
			u.test.inject.group = R() % 4 ? -1 : (int)(R() % 8);
			u.test.inject.flags = random() % 2;
			break;
		case 4:
			req = VFIO_IOMMU_GET_INFO;
			u.info.argsz = random() % sizeof(u.raw);
			break;
		case 5:
			req = VFIO_CHECK_EXTENSION;
			ret = ioctl(t.c, req, random() % 16);
			calls++;
			ASSERT_GE(ret, 0, "CHECK_EXTENSION");
			continue;
		default:
			req = VFIO_IOMMU_DIRTY_PAGES;
			u.raw[0] = 24;
			u.raw[4] = 1 << (random() % 4);
			break;
		}
		errno = 0;
		ret = ioctl(t.c, req, &u);
		calls++;
		if (ret == 0)
			continue;
		ASSERT_EQ(ret, -1, "an ioctl returns 0 or -1");
		errors++;
		for (k = 0; k < (int)(sizeof(allowed) / sizeof(allowed[0])); k++)
			if (errno == allowed[k])
				break;
		if (k == (int)(sizeof(allowed) / sizeof(allowed[0])))
			ktest_fail_at(__FILE__, __LINE__, "iteration %d: ioctl %#lx: unexpected errno %d (%s)",
				      i, req, errno, strerror(errno)), ktest_fatal();
	}
	ktest_metric("fuzz_iterations", iterations);
	ktest_metric("fuzz_calls", calls);
	ktest_metric("fuzz_errors", errors);
	ctr_close(&t);
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back after close");
	unload_all();
}

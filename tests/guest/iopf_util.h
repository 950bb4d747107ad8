/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for the IOPF tests: stats, the test ioctl, waiting for faults. */
#ifndef IOPF_UTIL_H
#define IOPF_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/vfio.h>
#include "vfio_iommu_type1_test.h"

#define PAGE		4096UL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define IOPF_RW		(RW | VFIO_DMA_MAP_FLAG_IOPF)

typedef struct vfio_iommu_type1_info_cap_iopf iopf_stats_t;
typedef struct vfio_iommu_type1_info_cap_iopf_time iopf_times_t;

/* The container's IOPF statistics; 0 or -errno. */
int iopf_stats(int container, iopf_stats_t *st);
/* Where the container's fault time went, and its batches; 0 or -errno. */
int iopf_times(int container, iopf_times_t *t);
/* Inject @count faults from @iova, @stride apart; waits for the answers. */
int iopf_inject(int container, uint64_t iova, uint64_t stride, uint32_t count,
		uint32_t perm);
int iopf_inject_group(int container, int group, uint64_t iova, uint64_t stride,
		      uint32_t count, uint32_t perm, uint32_t flags);
/* VFIO_IOPF_TEST_* state of an IOVA, or -errno. */
int iopf_query(int container, uint64_t iova);
/* Bind policy @name to the container ("" drops its binding); 0 or -errno. */
int iopf_set_policy(int container, const char *name);
/* Wait (up to 2 s) until @iova is mapped on fault; false if it never is. */
bool iopf_wait_mapped(int container, uint64_t iova);
/* Wait until @field of the stats reaches @want; returns the last value. */
uint64_t iopf_wait(int container, size_t field_offset, uint64_t want);
#define IOPF_WAIT(c, field, want) \
	iopf_wait(c, offsetof(iopf_stats_t, field), want)

/* Test knobs (CONFIG_VFIO_IOMMU_TYPE1_IOPF_TEST, CONFIG_FAIL_FUNCTION) */
#define PIN_DELAY	"/sys/module/vfio_iommu_type1/parameters/iopf_test_pin_delay_ms"
#define NEW_DOMAIN_PARAM "/sys/module/vfio_iommu_type1/parameters/iopf_test_new_domain"
#define FAIL_FUNCTION	"/sys/kernel/debug/fail_function"

#endif

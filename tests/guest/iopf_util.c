// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "iopf_util.h"
#include "iopfctl.h"

/* Copy version 1 of GET_INFO capability @id, of @len bytes, to @out. */
static int iopf_info_cap(int container, uint16_t id, void *out, size_t len)
{
	struct vfio_iommu_type1_info *info = NULL;
	const void *cap;
	size_t sz = sizeof(*info);
	int ret, pass;

	/* First ask for the size the capability chain needs, then read it. */
	for (pass = 0; pass < 2; pass++) {
		free(info);
		info = calloc(1, sz);
		if (!info)
			return -ENOMEM;
		info->argsz = sz;
		if (ioctl(container, VFIO_IOMMU_GET_INFO, info)) {
			ret = -errno;
			free(info);
			return ret;
		}
		sz = info->argsz;
	}
	cap = find_info_cap(info, sz, id, len);
	if (cap)
		memcpy(out, cap, len);
	free(info);
	return cap ? 0 : -ENOENT;
}

int iopf_stats(int container, iopf_stats_t *st)
{
	return iopf_info_cap(container, VFIO_IOMMU_TYPE1_INFO_CAP_IOPF, st,
			     sizeof(*st));
}

int iopf_times(int container, iopf_times_t *t)
{
	return iopf_info_cap(container, VFIO_IOMMU_TYPE1_INFO_CAP_IOPF_TIME, t,
			     sizeof(*t));
}

int iopf_inject_group(int container, int group, uint64_t iova, uint64_t stride,
		      uint32_t count, uint32_t perm, uint32_t flags)
{
	struct vfio_iopf_test t = {
		.argsz = sizeof(t),
		.op = VFIO_IOPF_TEST_INJECT,
		.inject = {
			.iova = iova, .stride = stride, .count = count,
			.perm = perm, .group = group, .flags = flags,
		},
	};

	return ioctl(container, VFIO_IOMMU_IOPF_TEST, &t) ? -errno : 0;
}

int iopf_inject(int container, uint64_t iova, uint64_t stride, uint32_t count,
		uint32_t perm)
{
	return iopf_inject_group(container, -1, iova, stride, count, perm,
				 VFIO_IOPF_TEST_INJECT_WAIT);
}

int iopf_query(int container, uint64_t iova)
{
	struct vfio_iopf_test t = {
		.argsz = sizeof(t),
		.op = VFIO_IOPF_TEST_QUERY,
		.query.iova = iova,
	};

	return ioctl(container, VFIO_IOMMU_IOPF_TEST, &t) ? -errno : (int)t.query.state;
}

uint64_t iopf_wait(int container, size_t field_offset, uint64_t want)
{
	struct timespec ts = { 0, 2000000 };
	iopf_stats_t st;
	uint64_t v = 0;
	int i;

	for (i = 0; i < 2500; i++) {
		if (iopf_stats(container, &st))
			return 0;
		memcpy(&v, (char *)&st + field_offset, sizeof(v));
		if (v >= want)
			break;
		nanosleep(&ts, NULL);
	}
	return v;
}

int iopf_set_policy(int container, const char *name)
{
	struct vfio_iommu_type1_iopf_policy pol = {
		.argsz = sizeof(pol), .flags = VFIO_IOPF_POLICY_SET,
	};

	snprintf(pol.name, sizeof(pol.name), "%s", name);
	return ioctl(container, VFIO_IOMMU_IOPF_POLICY, &pol) ? -errno : 0;
}

bool iopf_wait_mapped(int container, uint64_t iova)
{
	struct timespec ts = { 0, 2000000 };
	int i;

	for (i = 0; i < 1000; i++) {
		if (iopf_query(container, iova) & VFIO_IOPF_TEST_MAPPED)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "iopf_util.h"

int iopf_stats(int container, iopf_stats_t *st)
{
	struct vfio_iommu_type1_info *info = NULL;
	struct vfio_info_cap_header *hdr;
	size_t sz = sizeof(*info);
	uint32_t off;
	int ret = -ENOENT, pass;

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
	if (info->flags & VFIO_IOMMU_INFO_CAPS) {
		for (off = info->cap_offset; off; off = hdr->next) {
			if (off + sizeof(*hdr) > sz)
				break;
			hdr = (void *)((char *)info + off);
			if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOPF && hdr->version == 1 &&
			    off + sizeof(*st) <= sz) {
				memcpy(st, hdr, sizeof(*st));
				ret = 0;
				break;
			}
		}
	}
	free(info);
	return ret;
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

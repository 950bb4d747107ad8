// SPDX-License-Identifier: GPL-2.0
/*
 * iopf-demo: what the project does, shown on the guest's edu device.
 * Today: device DMA through virtio-iommu with a static VFIO mapping, and
 * what happens when the device touches an IOVA nobody mapped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "vfio_util.h"

#define PAGE 4096UL
#define IOVA 0x100000ULL
#define IOVA_UNMAPPED 0x300000ULL

static int fail(const char *what, int err)
{
	printf("demo: %s failed: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

int main(void)
{
	const char msg[] = "hello from the guest, through virtio-iommu and back";
	char bdfs[MAX_EDU][32];
	struct vfio_dev d;
	char *buf;
	int n, c, i, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	n = edu_find(bdfs, MAX_EDU);
	printf("demo: %d edu device(s)\n", n < 0 ? 0 : n);
	if (n <= 0)
		return fail("finding edu", n ? n : -ENODEV);
	c = vfio_container_open();
	if (c < 0)
		return fail("opening /dev/vfio/vfio", c);
	ret = vfio_dev_open(&d, c, bdfs[0]);
	if (ret)
		return fail("opening the device", ret);
	printf("demo: %s is in IOMMU group %d, ident 0x%08x\n", d.bdf, d.group_id,
	       edu_read32(&d, EDU_REG_IDENT));

	buf = alloc_pages_fill(2 * PAGE, 0);
	if (!buf)
		return fail("alloc", -ENOMEM);
	strcpy(buf, msg);
	printf("demo: VmLck before MAP_DMA: %ld kB\n", proc_status_kb("VmLck:"));
	ret = vfio_map(c, buf, IOVA, 2 * PAGE,
		       VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	if (ret)
		return fail("VFIO_IOMMU_MAP_DMA", ret);
	printf("demo: mapped 2 pages at IOVA 0x%llx; VmLck now %ld kB (pinned up front)\n",
	       IOVA, proc_status_kb("VmLck:"));

	ret = edu_dma(&d, IOVA, 0, sizeof(msg), false) ?:
	      edu_dma(&d, IOVA + PAGE, 0, sizeof(msg), true);
	if (ret)
		return fail("DMA", ret);
	printf("demo: device copied page 0 -> its buffer -> page 1: \"%s\"\n", buf + PAGE);
	if (strcmp(buf + PAGE, msg))
		return fail("round trip compare", -EIO);

	memset(buf + PAGE, 0, PAGE);
	ret = edu_dma(&d, IOVA_UNMAPPED, 0, sizeof(msg), true);
	if (ret)
		return fail("DMA", ret);
	for (i = 0; i < (int)PAGE && !buf[PAGE + i]; i++)
		;
	printf("demo: DMA to unmapped IOVA 0x%llx: the IOMMU blocked it (%s); the guest "
	       "kernel logged the fault above\n", IOVA_UNMAPPED,
	       i == (int)PAGE ? "no byte written" : "DATA LEAKED");
	if (i != (int)PAGE)
		return 1;

	vfio_unmap(c, IOVA, 2 * PAGE);
	printf("demo: unmapped; VmLck %ld kB\n", proc_status_kb("VmLck:"));
	vfio_dev_close(&d);
	close(c);
	return 0;
}

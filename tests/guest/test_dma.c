// SPDX-License-Identifier: GPL-2.0
/*
 * Foundation tests: the edu device DMAs through virtio-iommu with static
 * VFIO_IOMMU_MAP_DMA mappings, an unmapped IOVA stops the DMA, and two
 * devices work from two containers at once without seeing each other.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "ktest.h"
#include "vfio_util.h"

#define PAGE		4096UL
#define IOVA_SRC	0x100000ULL
#define IOVA_DST	0x200000ULL
#define IOVA_NONE	0x300000ULL
#define RW		(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static int open_edu(struct vfio_dev *d, int *container, int which)
{
	char bdfs[MAX_EDU][32];
	int n = edu_find(bdfs, MAX_EDU);

	ASSERT_GT(n, which, "edu devices present");
	*container = vfio_container_open();
	ASSERT_OK(*container, "open container");
	return vfio_dev_open(d, *container, bdfs[which]);
}

KTEST(edu_mmio_ident, "edu BAR0 through vfio-pci: ident and liveness registers")
{
	struct vfio_dev d;
	int c;

	ASSERT_OK(open_edu(&d, &c, 0), "vfio_dev_open");
	ASSERT_EQ(edu_read32(&d, EDU_REG_IDENT) & 0xff, 0xed, "edu ident");
	*(volatile uint32_t *)(d.bar0 + EDU_REG_LIVENESS) = 0x12345678;
	ASSERT_EQ(edu_read32(&d, EDU_REG_LIVENESS), (uint32_t)~0x12345678u, "liveness inverts");
	vfio_dev_close(&d);
	close(c);
}

KTEST(edu_dma_roundtrip, "DMA RAM->device->RAM through static MAP_DMA, data verified both ways")
{
	uint8_t *src, *dst, *src2;
	struct vfio_dev d;
	long lck0;
	int c;

	ASSERT_OK(open_edu(&d, &c, 0), "vfio_dev_open");
	src = alloc_pages_fill(PAGE, 0);
	dst = alloc_pages_fill(2 * PAGE, 0xee);
	src2 = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(src && dst && src2, "alloc");
	fill_pattern(src, PAGE, 1);
	fill_pattern(src2, PAGE, 2);

	lck0 = proc_status_kb("VmLck:");
	ASSERT_OK(vfio_map(c, src, IOVA_SRC, PAGE, VFIO_DMA_MAP_FLAG_READ), "map src");
	ASSERT_OK(vfio_map(c, dst, IOVA_DST, 2 * PAGE, RW), "map dst");
	/* A static mapping pins and accounts every page up front. */
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, 3 * PAGE / 1024, "locked_vm after map");

	/* RAM -> device, then device -> RAM into another page. */
	ASSERT_OK(edu_dma(&d, IOVA_SRC, 0, EDU_DMA_MAX, false), "dma to device");
	ASSERT_OK(edu_dma(&d, IOVA_DST, 0, EDU_DMA_MAX, true), "dma to ram");
	ASSERT_MEMEQ(dst, src, EDU_DMA_MAX, "round trip data");
	ASSERT_EQ(dst[EDU_DMA_MAX], 0xee, "byte past the DMA untouched");

	/* Device -> RAM at an offset into the second page: only that range changes. */
	ASSERT_OK(vfio_unmap(c, IOVA_SRC, PAGE), "unmap src");
	ASSERT_OK(vfio_map(c, src2, IOVA_SRC, PAGE, VFIO_DMA_MAP_FLAG_READ), "map src2");
	ASSERT_OK(edu_dma(&d, IOVA_SRC + 100, 200, 1000, false), "dma src2 to device");
	ASSERT_OK(edu_dma(&d, IOVA_DST + PAGE + 300, 200, 1000, true), "dma to ram page 2");
	ASSERT_MEMEQ(dst + PAGE + 300, src2 + 100, 1000, "partial round trip");
	ASSERT_EQ(dst[PAGE + 299], 0xee, "byte before untouched");
	ASSERT_EQ(dst[PAGE + 1300], 0xee, "byte after untouched");
	/* The first page still holds the first transfer. */
	ASSERT_MEMEQ(dst, src, EDU_DMA_MAX, "first page intact");

	ASSERT_OK(vfio_unmap(c, IOVA_SRC, PAGE), "unmap src2");
	ASSERT_OK(vfio_unmap(c, IOVA_DST, 2 * PAGE), "unmap dst");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm after unmap");
	vfio_dev_close(&d);
	close(c);
}

KTEST(edu_dma_unmapped_fails, "DMA to/from an unmapped IOVA moves no data and corrupts nothing")
{
	uint8_t *good, *canary, *secret, *check;
	struct vfio_dev d;
	int c;

	ASSERT_OK(open_edu(&d, &c, 0), "vfio_dev_open");
	good = alloc_pages_fill(PAGE, 0);
	canary = alloc_pages_fill(PAGE, 0x5a);
	secret = alloc_pages_fill(PAGE, 0);
	check = alloc_pages_fill(PAGE, 0x5a);
	ASSERT_TRUE(good && canary && secret && check, "alloc");
	fill_pattern(good, PAGE, 3);
	fill_pattern(secret, PAGE, 4);
	ASSERT_OK(vfio_map(c, good, IOVA_SRC, PAGE, RW), "map good");

	/* Load the device buffer with a known pattern. */
	ASSERT_OK(edu_dma(&d, IOVA_SRC, 0, EDU_DMA_MAX, false), "load device");

	/* Device -> unmapped IOVA: nothing in RAM may change. */
	ASSERT_OK(edu_dma(&d, IOVA_NONE, 0, EDU_DMA_MAX, true), "dma to unmapped");
	ASSERT_MEMEQ(canary, check, PAGE, "unmapped canary intact");
	fill_pattern(check, PAGE, 3);
	ASSERT_MEMEQ(good, check, PAGE, "mapped buffer intact");

	/* Unmapped IOVA -> device: the device must not get the secret. */
	ASSERT_OK(edu_dma(&d, IOVA_NONE, 0, EDU_DMA_MAX, false), "dma from unmapped");
	ASSERT_OK(edu_dma(&d, IOVA_SRC, 0, EDU_DMA_MAX, true), "read device back");
	ASSERT_NE(memcmp(good, secret, 64), 0, "device did not read unmapped memory");

	ASSERT_OK(vfio_unmap(c, IOVA_SRC, PAGE), "unmap");
	vfio_dev_close(&d);
	close(c);
}

KTEST(edu_two_containers, "two edu devices, two containers, same IOVA, DMA at once, isolated")
{
	uint8_t *in[2], *out[2], *want;
	struct vfio_dev d[2];
	char bdfs[MAX_EDU][32];
	int c[2], i;

	ASSERT_GE(edu_find(bdfs, MAX_EDU), 2, "two edu devices");
	for (i = 0; i < 2; i++) {
		c[i] = vfio_container_open();
		ASSERT_OK(c[i], "open container");
		ASSERT_OK(vfio_dev_open(&d[i], c[i], bdfs[i]), "vfio_dev_open");
		in[i] = alloc_pages_fill(PAGE, 0);
		out[i] = alloc_pages_fill(PAGE, 0x11);
		ASSERT_TRUE(in[i] && out[i], "alloc");
		fill_pattern(in[i], PAGE, 10 + i);
		/* Same IOVAs in both containers, different memory behind them. */
		ASSERT_OK(vfio_map(c[i], in[i], IOVA_SRC, PAGE, VFIO_DMA_MAP_FLAG_READ), "map in");
		ASSERT_OK(vfio_map(c[i], out[i], IOVA_DST, PAGE, RW), "map out");
	}
	ASSERT_NE(d[0].group_id, d[1].group_id, "separate IOMMU groups");

	for (i = 0; i < 2; i++)
		edu_dma_start(&d[i], IOVA_SRC, 0, EDU_DMA_MAX, false);
	for (i = 0; i < 2; i++)
		ASSERT_OK(edu_dma_wait(&d[i]), "concurrent dma to device");
	for (i = 0; i < 2; i++)
		edu_dma_start(&d[i], IOVA_DST, 0, EDU_DMA_MAX, true);
	for (i = 0; i < 2; i++)
		ASSERT_OK(edu_dma_wait(&d[i]), "concurrent dma to ram");
	ASSERT_MEMEQ(out[0], in[0], EDU_DMA_MAX, "device 0 data from its own container");
	ASSERT_MEMEQ(out[1], in[1], EDU_DMA_MAX, "device 1 data from its own container");

	/* An IOVA mapped only in container 0 is not reachable by device 1. */
	want = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(want != NULL, "alloc");
	memcpy(want, out[0], PAGE);
	ASSERT_OK(vfio_unmap(c[1], IOVA_DST, PAGE), "unmap out in container 1");
	ASSERT_OK(edu_dma(&d[1], IOVA_DST, 0, EDU_DMA_MAX, true), "dma to IOVA of other container");
	ASSERT_MEMEQ(out[0], want, PAGE, "container 0 memory untouched by device 1");

	for (i = 0; i < 2; i++) {
		vfio_dev_close(&d[i]);
		close(c[i]);
	}
}

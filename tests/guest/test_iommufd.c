// SPDX-License-Identifier: GPL-2.0
/*
 * The iommufd backend on the test platform, as 6.12 has it: the edu device
 * opened through its VFIO cdev and bound to /dev/iommu, DMA through IOAS
 * mappings on the automatic hwpt, iommufd's pin accounting, release on
 * close, hwpts allocated by userspace or made when a device moves, and the
 * type1 API on /dev/iommu (iommufd's VFIO compat container). Then, on the
 * mock domains of CONFIG_IOMMUFD_TEST, fault delivery to a nested hwpt and
 * the pin bookkeeping of iopt_pages. The kernel-resolved IOAS faults of
 * Documentation/driver-api/iommufd-iopf.rst are designed on this ground.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "iommufd_test.h"
#include "iommufd_util.h"
#include "ktest.h"
#include "vfio_util.h"

#define PAGE		4096UL
#define IOVA_SRC	0x100000ULL
#define IOVA_DST	0x200000ULL
#define RD		IOMMU_IOAS_MAP_READABLE
#define RW		(IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

struct ioas_env {
	struct vfio_dev d;
	int fd;
	int ioas;
	int hwpt;
	uint32_t dev_id;
};

/*
 * /dev/iommu, an IOAS, the first edu device bound and attached to it. A
 * @rlimit_mode >= 0 is set first: iommufd takes it only while it has no
 * objects.
 */
static int ioas_env_open(struct ioas_env *e, int rlimit_mode)
{
	char bdfs[MAX_EDU][32];
	int ret;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->d.device_fd = e->d.group_fd = -1;
	if (edu_find(bdfs, MAX_EDU) < 1)
		return -ENODEV;
	e->fd = iommufd_open();
	if (e->fd < 0)
		return e->fd;
	if (rlimit_mode >= 0) {
		ret = iommufd_set_rlimit_mode(e->fd, rlimit_mode);
		if (ret)
			return ret;
	}
	e->ioas = ioas_alloc(e->fd);
	if (e->ioas < 0)
		return e->ioas;
	ret = cdev_open(&e->d, e->fd, bdfs[0], &e->dev_id);
	if (ret)
		return ret;
	e->hwpt = cdev_attach(&e->d, e->ioas);
	return e->hwpt < 0 ? e->hwpt : 0;
}

static void ioas_env_close(struct ioas_env *e)
{
	vfio_dev_close(&e->d);
	if (e->fd >= 0)
		close(e->fd);
}

KTEST(iommufd_cdev_dma_roundtrip,
      "edu via cdev + IOAS: DMA both ways, pins charged to VmPin, unmap stops the DMA")
{
	uint8_t *src, *dst, *secret;
	long pin0, lck0;
	struct ioas_env e;

	ASSERT_OK(ioas_env_open(&e, -1), "cdev bound and attached to an IOAS");
	/* Attaching to an IOAS makes (or finds) its automatic hwpt. */
	ASSERT_NE(e.hwpt, e.ioas, "pt_id rewritten to the hwpt's id");

	src = alloc_pages_fill(PAGE, 0);
	dst = alloc_pages_fill(2 * PAGE, 0xee);
	secret = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(src && dst && secret, "alloc");
	fill_pattern(src, PAGE, 11);

	pin0 = proc_status_kb("VmPin:");
	lck0 = proc_status_kb("VmLck:");
	ASSERT_OK(ioas_map(e.fd, e.ioas, src, IOVA_SRC, PAGE, RD), "map src");
	ASSERT_OK(ioas_map(e.fd, e.ioas, dst, IOVA_DST, 2 * PAGE, RW), "map dst");
	/*
	 * iommufd pins every page at IOAS_MAP (the IOAS has a domain) and
	 * counts it in the mm's pinned_vm (VmPin). By default it charges the
	 * user's locked_vm (not in /proc; nothing with CAP_IPC_LOCK, as here),
	 * never the mm's (VmLck), which type1 charges.
	 */
	ASSERT_EQ(proc_status_kb("VmPin:") - pin0, 3 * PAGE / 1024, "VmPin after map");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "VmLck unchanged");

	ASSERT_OK(edu_dma(&e.d, IOVA_SRC, 0, EDU_DMA_MAX, false), "dma to device");
	ASSERT_OK(edu_dma(&e.d, IOVA_DST + PAGE, 0, EDU_DMA_MAX, true), "dma to ram");
	ASSERT_MEMEQ(dst + PAGE, src, EDU_DMA_MAX, "round trip data");
	ASSERT_EQ(dst[0], 0xee, "first page untouched");

	/* IOAS_UNMAP removes the translation: a DMA from it reads nothing. */
	ASSERT_OK(ioas_unmap(e.fd, e.ioas, IOVA_SRC, PAGE), "unmap src");
	fill_pattern(secret, PAGE, 12);
	memcpy(src, secret, PAGE);
	ASSERT_OK(edu_dma(&e.d, IOVA_SRC, 0, EDU_DMA_MAX, false), "dma from unmapped");
	ASSERT_OK(edu_dma(&e.d, IOVA_DST, 0, EDU_DMA_MAX, true), "read device back");
	ASSERT_NE(memcmp(dst, secret, 64), 0, "device did not read unmapped memory");

	ASSERT_OK(ioas_unmap(e.fd, e.ioas, IOVA_DST, 2 * PAGE), "unmap dst");
	ASSERT_EQ(proc_status_kb("VmPin:"), pin0, "VmPin back after unmap");
	ioas_env_close(&e);
}

KTEST(iommufd_close_unpins, "closing /dev/iommu and the device unpins what the IOAS still maps")
{
	struct ioas_env e;
	long pin0;
	void *buf;

	pin0 = proc_status_kb("VmPin:");
	ASSERT_OK(ioas_env_open(&e, -1), "cdev bound and attached to an IOAS");
	buf = alloc_pages_fill(16 * PAGE, 1);
	ASSERT_TRUE(buf, "alloc");
	ASSERT_OK(ioas_map(e.fd, e.ioas, buf, IOVA_DST, 16 * PAGE, RW), "map");
	ASSERT_EQ(proc_status_kb("VmPin:") - pin0, 16 * PAGE / 1024, "VmPin after map");

	/* A bound device holds the iommufd context: nothing goes yet. */
	close(e.fd);
	e.fd = -1;
	ASSERT_EQ(proc_status_kb("VmPin:") - pin0, 16 * PAGE / 1024, "pinned while bound");
	ASSERT_OK(edu_dma(&e.d, IOVA_DST, 0, EDU_DMA_MAX, false), "dma still works");
	vfio_dev_close(&e.d);
	ASSERT_EQ(proc_status_kb("VmPin:"), pin0, "VmPin back after the last close");
}

KTEST(iommufd_rlimit_mode_mm,
      "IOMMU_OPTION_RLIMIT_MODE=1 charges the mm's locked_vm, as type1 does, and VmPin")
{
	struct ioas_env e;
	long pin0, lck0;
	void *buf;

	/* The mode is per iommufd context, set before it has any object. */
	ASSERT_OK(ioas_env_open(&e, 1), "rlimit mode mm, cdev bound and attached");
	ASSERT_ERRNO(iommufd_set_rlimit_mode(e.fd, 0) ? -1 : 0, EBUSY,
		     "mode changed with objects present");
	/* Pages mapped by a caller with CAP_IPC_LOCK are never charged. */
	ASSERT_OK(drop_cap(CAP_IPC_LOCK), "drop CAP_IPC_LOCK");
	buf = alloc_pages_fill(4 * PAGE, 1);
	ASSERT_TRUE(buf, "alloc");
	pin0 = proc_status_kb("VmPin:");
	lck0 = proc_status_kb("VmLck:");
	ASSERT_OK(ioas_map(e.fd, e.ioas, buf, IOVA_DST, 4 * PAGE, RW), "map");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, 4 * PAGE / 1024, "VmLck after map");
	ASSERT_EQ(proc_status_kb("VmPin:") - pin0, 4 * PAGE / 1024, "VmPin after map");
	ASSERT_OK(ioas_unmap(e.fd, e.ioas, IOVA_DST, 4 * PAGE), "unmap");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "VmLck back");
	ASSERT_EQ(proc_status_kb("VmPin:"), pin0, "VmPin back");
	ioas_env_close(&e);
}

KTEST(iommufd_user_hwpt,
      "a hwpt allocated by userspace beside mappings works; one with a fault queue is refused")
{
	struct iommu_fault_alloc falloc = { .size = sizeof(falloc) };
	struct iommu_hwpt_alloc halloc = { .size = sizeof(halloc) };
	uint8_t *buf, *back;
	struct ioas_env e;

	ASSERT_OK(ioas_env_open(&e, -1), "cdev bound and attached to an IOAS");
	buf = alloc_pages_fill(PAGE, 0);
	back = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(buf && back, "alloc");
	fill_pattern(buf, PAGE, 13);
	ASSERT_OK(ioas_map(e.fd, e.ioas, buf, IOVA_SRC, PAGE, RD), "map");
	ASSERT_OK(ioas_map(e.fd, e.ioas, back, IOVA_DST, PAGE, RW), "map back");

	/*
	 * 6.12 lets only nested hwpts report to a fault queue: a paging one
	 * asking for it is refused, whatever the IOMMU driver.
	 */
	ASSERT_OK(ioctl(e.fd, IOMMU_FAULT_QUEUE_ALLOC, &falloc), "fault queue");
	halloc.flags = IOMMU_HWPT_FAULT_ID_VALID;
	halloc.dev_id = e.dev_id;
	halloc.pt_id = e.ioas;
	halloc.fault_id = falloc.out_fault_id;
	ASSERT_ERRNO(ioctl(e.fd, IOMMU_HWPT_ALLOC, &halloc), EOPNOTSUPP,
		     "paging hwpt with a fault queue");
	close(falloc.out_fault_fd);
	ASSERT_OK(iommufd_destroy(e.fd, falloc.out_fault_id), "queue free of the refused hwpt");

	/*
	 * A plain one is added to the IOAS before any device is attached to
	 * it: its domain must have its aperture already (virtio-iommu used to
	 * set it at attach, and iommufd refused the hwpt with EADDRINUSE).
	 */
	halloc.flags = 0;
	halloc.fault_id = 0;
	ASSERT_OK(ioctl(e.fd, IOMMU_HWPT_ALLOC, &halloc), "plain hwpt beside mappings");
	ASSERT_EQ(cdev_attach(&e.d, halloc.out_hwpt_id), (int)halloc.out_hwpt_id,
		  "device onto the new hwpt");
	ASSERT_OK(edu_dma(&e.d, IOVA_SRC, 0, EDU_DMA_MAX, false), "dma to device");
	ASSERT_OK(edu_dma(&e.d, IOVA_DST, 0, EDU_DMA_MAX, true), "dma to ram");
	ASSERT_MEMEQ(back, buf, EDU_DMA_MAX, "DMA through the user's hwpt");

	/* Back to the IOAS; every object goes, nothing holds the IOAS. */
	ASSERT_GT(cdev_attach(&e.d, e.ioas), 0, "device back onto the IOAS");
	ASSERT_OK(iommufd_destroy(e.fd, halloc.out_hwpt_id), "user hwpt destroyed");
	ASSERT_OK(ioas_unmap(e.fd, e.ioas, 0, UINT64_MAX), "unmap all");
	vfio_dev_close(&e.d);
	ASSERT_OK(iommufd_destroy(e.fd, e.ioas), "IOAS free once the device is gone");
	ioas_env_close(&e);
}

KTEST(iommufd_attach_moves_to_new_ioas,
      "an attached device moved to another IOAS DMAs through the hwpt made for it there")
{
	uint8_t *src, *dst, *other;
	struct ioas_env e;
	int ioas2;

	ASSERT_OK(ioas_env_open(&e, -1), "cdev bound and attached to an IOAS");
	src = alloc_pages_fill(PAGE, 0);
	dst = alloc_pages_fill(PAGE, 0xee);
	other = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(src && dst && other, "alloc");
	fill_pattern(src, PAGE, 15);
	fill_pattern(other, PAGE, 16);
	ASSERT_OK(ioas_map(e.fd, e.ioas, other, IOVA_SRC, PAGE, RD), "map in the first IOAS");

	/*
	 * Moving an attached device makes the new IOAS's automatic hwpt
	 * without attaching it first (a replace): its domain is added to the
	 * IOAS before the device is on it.
	 */
	ioas2 = ioas_alloc(e.fd);
	ASSERT_OK(ioas2, "second IOAS");
	ASSERT_GT(cdev_attach(&e.d, ioas2), 0, "device moved to the second IOAS");
	ASSERT_OK(ioas_map(e.fd, ioas2, src, IOVA_SRC, PAGE, RD), "map src in the second IOAS");
	ASSERT_OK(ioas_map(e.fd, ioas2, dst, IOVA_DST, PAGE, RW), "map dst in the second IOAS");
	ASSERT_OK(edu_dma(&e.d, IOVA_SRC, 0, EDU_DMA_MAX, false), "dma to device");
	ASSERT_OK(edu_dma(&e.d, IOVA_DST, 0, EDU_DMA_MAX, true), "dma to ram");
	ASSERT_MEMEQ(dst, src, EDU_DMA_MAX, "the second IOAS's pages, not the first's");
	ioas_env_close(&e);
}

#define UNMAP_DELAY	"/sys/module/virtio_iommu/parameters/unmap_delay_ms"
#define IOVA_ZERO	0x300000ULL

struct reattach {
	struct vfio_dev *d;
	uint32_t away, back;
	int ret;
	uint64_t done_ns;
};

/* Move the device off its hwpt and back, while the unmap waits. */
static void *reattach_thread(void *arg)
{
	struct reattach *r = arg;

	usleep(50 * 1000);
	r->ret = cdev_attach(r->d, r->away);
	if (r->ret > 0)
		r->ret = cdev_attach(r->d, r->back);
	r->done_ns = mono_ns();
	return NULL;
}

KTEST(iommufd_unmap_races_reattach,
      "an IOAS unmap racing the detach and re-attach of a user hwpt's only device: "
      "the device keeps no translation of the unmapped page")
{
	struct iommu_hwpt_alloc halloc = { .size = sizeof(halloc) };
	uint8_t *src, *back, *zero;
	struct reattach r = {};
	uint64_t unmapped_ns;
	struct ioas_env e;
	pthread_t th;
	int ioas2;

	if (access(UNMAP_DELAY, W_OK))
		KTEST_SKIP("no unmap_delay_ms (CONFIG_VIRTIO_IOMMU_TEST)");
	ASSERT_OK(ioas_env_open(&e, -1), "cdev bound and attached to an IOAS");
	src = alloc_pages_fill(PAGE, 0);
	back = alloc_pages_fill(PAGE, 0);
	zero = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(src && back && zero, "alloc");
	fill_pattern(src, PAGE, 21);
	ASSERT_OK(ioas_map(e.fd, e.ioas, back, IOVA_DST, PAGE, RW), "map back");
	ASSERT_OK(ioas_map(e.fd, e.ioas, zero, IOVA_ZERO, PAGE, RD), "map zero");

	/* The device alone on a hwpt the user allocated on the IOAS. */
	halloc.dev_id = e.dev_id;
	halloc.pt_id = e.ioas;
	ASSERT_OK(ioctl(e.fd, IOMMU_HWPT_ALLOC, &halloc), "user hwpt");
	ASSERT_EQ(cdev_attach(&e.d, halloc.out_hwpt_id), (int)halloc.out_hwpt_id,
		  "device onto the user hwpt");
	ioas2 = ioas_alloc(e.fd);
	ASSERT_OK(ioas2, "an IOAS to move away to");
	ASSERT_OK(ioas_map(e.fd, e.ioas, src, IOVA_SRC, PAGE, RD), "map src");
	ASSERT_OK(edu_dma(&e.d, IOVA_SRC, 0, EDU_DMA_MAX, false), "dma from src");
	ASSERT_OK(edu_dma(&e.d, IOVA_DST, 0, EDU_DMA_MAX, true), "dma to back");
	ASSERT_MEMEQ(back, src, EDU_DMA_MAX, "src mapped");

	/*
	 * The unmap waits between its UNMAP request and dropping the mapping
	 * from the tree; meanwhile the hwpt loses its only endpoint (the
	 * device forgets its mappings) and gets it back (the driver replays
	 * its tree). With the two steps in one critical section, the moves
	 * wait for the unmap instead.
	 */
	ASSERT_OK(write_str(UNMAP_DELAY, "200"), "delay unmaps");
	r.d = &e.d;
	r.away = ioas2;
	r.back = halloc.out_hwpt_id;
	ASSERT_OK(-pthread_create(&th, NULL, reattach_thread, &r), "thread");
	ASSERT_OK(ioas_unmap(e.fd, e.ioas, IOVA_SRC, PAGE), "unmap src");
	unmapped_ns = mono_ns();
	pthread_join(th, NULL);
	ASSERT_OK(write_str(UNMAP_DELAY, "0"), "no delay");
	ASSERT_EQ(r.ret, (int)halloc.out_hwpt_id, "moved away and back");
	ktest_metric("moved_before_unmap_returned", r.done_ns < unmapped_ns);

	/* The device buffer cleared, then a DMA from the unmapped IOVA. */
	ASSERT_OK(edu_dma(&e.d, IOVA_ZERO, 0, EDU_DMA_MAX, false), "clear the device buffer");
	ASSERT_OK(edu_dma(&e.d, IOVA_SRC, 0, EDU_DMA_MAX, false), "dma from unmapped src");
	memset(back, 0xee, PAGE);
	ASSERT_OK(edu_dma(&e.d, IOVA_DST, 0, EDU_DMA_MAX, true), "dma to back");
	ASSERT_NE(memcmp(back, src, EDU_DMA_MAX), 0, "the device did not read the unmapped page");
	ioas_env_close(&e);
}

#define REPLAYED	2049
/* Below the 28 bits edu can address */
#define IOVA_MANY	0x1000000ULL

KTEST_T(iommufd_replay_many_mappings,
	"a hwpt with 2049 mappings gets its first device: every mapping is replayed to the IOMMU, "
	"in batches", 300)
{
	struct iommu_hwpt_alloc halloc = { .size = sizeof(halloc) };
	uint8_t *bufs, *back;
	uint64_t t0;
	struct ioas_env e;
	int i, ioas2;

	ASSERT_OK(ioas_env_open(&e, -1), "cdev bound and attached to an IOAS");
	bufs = alloc_pages_fill(REPLAYED * PAGE, 0);
	back = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(bufs && back, "alloc");
	for (i = 0; i < REPLAYED; i++)
		bufs[i * PAGE] = (uint8_t)(i * 7 + 1);

	/* Off the IOAS: a hwpt there has no endpoint while it is filled. */
	ioas2 = ioas_alloc(e.fd);
	ASSERT_OK(ioas2, "second IOAS");
	ASSERT_GT(cdev_attach(&e.d, ioas2), 0, "device moved away");
	halloc.dev_id = e.dev_id;
	halloc.pt_id = e.ioas;
	ASSERT_OK(ioctl(e.fd, IOMMU_HWPT_ALLOC, &halloc), "user hwpt on the IOAS");
	ASSERT_OK(ioas_map(e.fd, e.ioas, back, IOVA_DST, PAGE, RW), "map back");
	/* One page every other page: no two merge into one mapping. */
	for (i = 0; i < REPLAYED; i++)
		ASSERT_OK(ioas_map(e.fd, e.ioas, bufs + i * PAGE, IOVA_MANY + 2 * i * PAGE,
				   PAGE, RD), "map one page");

	t0 = mono_ns();
	ASSERT_EQ(cdev_attach(&e.d, halloc.out_hwpt_id), (int)halloc.out_hwpt_id,
		  "the hwpt's first device: its mappings replayed");
	ktest_metric("replay_2050_mappings_us", (mono_ns() - t0) / 1000);
	for (i = 0; i < REPLAYED; i += REPLAYED / 4) {
		back[0] = 0;
		ASSERT_OK(edu_dma(&e.d, IOVA_MANY + 2 * i * PAGE, 0, 64, false), "dma from it");
		ASSERT_OK(edu_dma(&e.d, IOVA_DST, 0, 64, true), "dma to back");
		ASSERT_EQ(back[0], (uint8_t)(i * 7 + 1), "the replayed mapping's page");
	}
	ioas_env_close(&e);
}

KTEST(iommufd_compat_type1_api,
      "the type1 API on /dev/iommu (a group's container set to an iommufd): "
      "DMA, locked_vm, no IOPF yet")
{
	uint8_t *src, *dst;
	char bdfs[MAX_EDU][32];
	struct vfio_dev d;
	long lck0;
	int fd;

	ASSERT_GT(edu_find(bdfs, MAX_EDU), 0, "edu devices present");
	fd = iommufd_open();
	ASSERT_OK(fd, "open /dev/iommu");
	ASSERT_EQ(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION, "VFIO API version");
	ASSERT_EQ(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1, "type1v2");
	/* 6.12 baseline: what this series adds to type1 is not in the compat container. */
	ASSERT_EQ(ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOPF), 0, "no VFIO_TYPE1_IOPF");
	/*
	 * Only /dev/vfio/vfio provided by iommufd (IOMMUFD_VFIO_CONTAINER)
	 * defaults to charging the mm's locked_vm as type1 does; opened as
	 * /dev/iommu, ask for it.
	 */
	ASSERT_OK(iommufd_set_rlimit_mode(fd, 1), "rlimit mode: mm");
	/* VFIO_GROUP_SET_CONTAINER takes an iommufd as the container. */
	ASSERT_OK(vfio_dev_open(&d, fd, bdfs[0]), "group attached to the iommufd");

	src = alloc_pages_fill(PAGE, 0);
	dst = alloc_pages_fill(PAGE, 0xee);
	ASSERT_TRUE(src && dst, "alloc");
	fill_pattern(src, PAGE, 14);
	ASSERT_OK(drop_cap(CAP_IPC_LOCK), "drop CAP_IPC_LOCK");
	lck0 = proc_status_kb("VmLck:");
	ASSERT_OK(vfio_map(fd, src, IOVA_SRC, PAGE, VFIO_DMA_MAP_FLAG_READ), "map src");
	ASSERT_OK(vfio_map(fd, dst, IOVA_DST, PAGE,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE), "map dst");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, 2 * PAGE / 1024, "VmLck after map");
	ASSERT_EQ(vfio_map(fd, src, 0x800000, PAGE,
			   VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_IOPF), -EINVAL,
		  "VFIO_DMA_MAP_FLAG_IOPF refused");

	ASSERT_OK(edu_dma(&d, IOVA_SRC, 0, EDU_DMA_MAX, false), "dma to device");
	ASSERT_OK(edu_dma(&d, IOVA_DST, 0, EDU_DMA_MAX, true), "dma to ram");
	ASSERT_MEMEQ(dst, src, EDU_DMA_MAX, "round trip data");
	ASSERT_OK(vfio_unmap(fd, IOVA_SRC, PAGE), "unmap src");
	ASSERT_OK(vfio_unmap(fd, IOVA_DST, PAGE), "unmap dst");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "VmLck back");
	vfio_dev_close(&d);
	close(fd);
}

/* One IOMMU_TEST_CMD; 0 or -errno (-ENOTTY without CONFIG_IOMMUFD_TEST). */
static int mock_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd) ? -errno : 0;
}

/* Each page of [@buf, @buf + @len) has @refs FOLL_PIN pins; 0 or -errno. */
static int mock_check_refs(int fd, void *buf, size_t len, unsigned int refs)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_REFS };

	cmd.check_refs.length = len;
	cmd.check_refs.uptr = (uintptr_t)buf;
	cmd.check_refs.refs = refs;
	return mock_cmd(fd, &cmd);
}

/* Mock hwpt @hwpt maps [@iova, @iova + @len) to @buf's pages; 0 or -errno. */
static int mock_check_map(int fd, uint32_t hwpt, uint64_t iova, void *buf, size_t len)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt };

	cmd.check_map.iova = iova;
	cmd.check_map.length = len;
	cmd.check_map.uptr = (uintptr_t)buf;
	return mock_cmd(fd, &cmd);
}

/* A mock device attached to @ioas; its ids in @stdev, @hwpt, @idev. */
static int mock_device(int fd, int ioas, uint32_t *stdev, uint32_t *hwpt, uint32_t *idev)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas };
	int ret = mock_cmd(fd, &cmd);

	if (ret)
		return ret;
	*stdev = cmd.mock_domain.out_stdev_id;
	*hwpt = cmd.mock_domain.out_hwpt_id;
	*idev = cmd.mock_domain.out_idev_id;
	return 0;
}

/* Move mock device @stdev to @pt_id (an IOAS or a hwpt); 0 or -errno. */
static int mock_replace(int fd, uint32_t stdev, uint32_t pt_id)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev };

	cmd.mock_domain_replace.pt_id = pt_id;
	return mock_cmd(fd, &cmd);
}

KTEST(iommufd_mock_iopf_to_user,
      "CONFIG_IOMMUFD_TEST: a mock device's fault on a nested hwpt reaches its queue")
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_fault_alloc falloc = { .size = sizeof(falloc) };
	struct iommu_hwpt_alloc parent = { .size = sizeof(parent) };
	struct iommu_hwpt_alloc nested = { .size = sizeof(nested) };
	struct iommu_hwpt_page_response resp;
	struct iommu_hwpt_pgfault pgf;
	struct iommu_test_cmd cmd = { 0 };
	uint32_t stdev = 0, auto_hwpt = 0, idev = 0;
	int fd, ioas, ret;

	fd = iommufd_open();
	ASSERT_OK(fd, "open /dev/iommu");
	ioas = ioas_alloc(fd);
	ASSERT_OK(ioas, "IOAS");
	ret = mock_device(fd, ioas, &stdev, &auto_hwpt, &idev);
	if (ret == -ENOTTY)
		KTEST_SKIP("kernel without CONFIG_IOMMUFD_TEST");
	ASSERT_OK(ret, "mock device on the IOAS");

	/* A stage-2 parent, a fault queue, a stage-1 hwpt reporting to it. */
	parent.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	parent.dev_id = idev;
	parent.pt_id = ioas;
	ASSERT_OK(ioctl(fd, IOMMU_HWPT_ALLOC, &parent), "nest parent");
	ASSERT_OK(ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &falloc), "fault queue");
	nested.flags = IOMMU_HWPT_FAULT_ID_VALID;
	nested.dev_id = idev;
	nested.pt_id = parent.out_hwpt_id;
	nested.fault_id = falloc.out_fault_id;
	nested.data_type = IOMMU_HWPT_DATA_SELFTEST;
	nested.data_len = sizeof(data);
	nested.data_uptr = (uintptr_t)&data;
	ASSERT_OK(ioctl(fd, IOMMU_HWPT_ALLOC, &nested), "nested hwpt with the queue");

	ASSERT_OK(mock_replace(fd, stdev, nested.out_hwpt_id), "device onto the nested hwpt");
	/* An automatic hwpt goes with its last device. */
	ASSERT_EQ(iommufd_destroy(fd, auto_hwpt), -ENOENT, "automatic hwpt freed");

	cmd.op = IOMMU_TEST_OP_TRIGGER_IOPF;
	cmd.trigger_iopf.dev_id = idev;
	cmd.trigger_iopf.grpid = 7;
	cmd.trigger_iopf.perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE;
	cmd.trigger_iopf.addr = 0x12345000;
	ASSERT_OK(mock_cmd(fd, &cmd), "trigger a fault");

	ASSERT_EQ(read(falloc.out_fault_fd, &pgf, sizeof(pgf)), (ssize_t)sizeof(pgf), "read the fault");
	ASSERT_EQ(pgf.dev_id, idev, "fault's device");
	ASSERT_EQ(pgf.grpid, 7, "fault's group");
	ASSERT_EQ(pgf.addr, 0x12345000ULL, "fault's address");
	ASSERT_EQ(pgf.perm, IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE, "fault's access");
	ASSERT_TRUE(pgf.flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE, "last of its group");

	resp.cookie = pgf.cookie;
	resp.code = IOMMUFD_PAGE_RESP_SUCCESS;
	ASSERT_EQ(write(falloc.out_fault_fd, &resp, sizeof(resp)), (ssize_t)sizeof(resp), "answer");
	/* An answered group is gone: its cookie is no longer known. */
	ASSERT_ERRNO(write(falloc.out_fault_fd, &resp, sizeof(resp)), EINVAL, "answer twice");

	/* Tear down in order; each object must be free of users by then. */
	ASSERT_OK(mock_replace(fd, stdev, ioas), "device back onto the IOAS");
	ASSERT_OK(iommufd_destroy(fd, nested.out_hwpt_id), "nested hwpt destroyed");
	close(falloc.out_fault_fd);
	ASSERT_OK(iommufd_destroy(fd, falloc.out_fault_id), "fault queue destroyed");
	ASSERT_OK(iommufd_destroy(fd, parent.out_hwpt_id), "parent destroyed");
	ASSERT_OK(iommufd_destroy(fd, stdev), "mock device destroyed");
	ASSERT_OK(iommufd_destroy(fd, ioas), "IOAS destroyed");
	close(fd);
}

/*
 * The pin and PFN bookkeeping of iopt_pages on mock domains: what the
 * partial population of Documentation/driver-api/iommufd-iopf.rst changes
 * must keep passing these. Every user page is pinned exactly once, however
 * many domains, accesses and IOASes use it.
 */
#define MOCK_IOVA	(MOCK_APERTURE_START + 0x100000UL)
#define NPAGES		8

KTEST(iommufd_pages_domains_pin_once,
      "CONFIG_IOMMUFD_TEST: a second domain filled from the first, storage moved, unpinned once")
{
	struct iommu_hwpt_alloc second = { .size = sizeof(second) };
	uint32_t stdev = 0, first = 0, idev = 0;
	int fd, ioas, ret;
	size_t len = NPAGES * PAGE;
	void *buf;

	fd = iommufd_open();
	ASSERT_OK(fd, "open /dev/iommu");
	ioas = ioas_alloc(fd);
	ASSERT_OK(ioas, "IOAS");
	ret = mock_device(fd, ioas, &stdev, &first, &idev);
	if (ret == -ENOTTY)
		KTEST_SKIP("kernel without CONFIG_IOMMUFD_TEST");
	ASSERT_OK(ret, "mock device on the IOAS");
	buf = alloc_pages_fill(len, 0x3c);
	ASSERT_TRUE(buf, "alloc");

	ASSERT_OK(ioas_map(fd, ioas, buf, MOCK_IOVA, len, RW), "map");
	ASSERT_OK(mock_check_refs(fd, buf, len, 1), "each page pinned once");
	ASSERT_OK(mock_check_map(fd, first, MOCK_IOVA, buf, len), "first domain maps the pages");

	/* A second domain of the IOAS is filled from the first: no new pin. */
	second.dev_id = idev;
	second.pt_id = ioas;
	ASSERT_OK(ioctl(fd, IOMMU_HWPT_ALLOC, &second), "second domain");
	ASSERT_OK(mock_check_map(fd, second.out_hwpt_id, MOCK_IOVA, buf, len),
		  "second domain maps the same pages");
	ASSERT_OK(mock_check_refs(fd, buf, len, 1), "still pinned once");

	/* The device leaves the first: it goes, the second holds the pages. */
	ASSERT_OK(mock_replace(fd, stdev, second.out_hwpt_id), "device onto the second domain");
	ASSERT_EQ(iommufd_destroy(fd, first), -ENOENT, "first domain gone");
	ASSERT_OK(mock_check_map(fd, second.out_hwpt_id, MOCK_IOVA, buf, len), "second still maps");
	ASSERT_OK(mock_check_refs(fd, buf, len, 1), "pinned once by the second");

	/* Unmap reads the PFNs back from the new storage domain and unpins. */
	ASSERT_OK(ioas_unmap(fd, ioas, MOCK_IOVA, len), "unmap");
	ASSERT_OK(mock_check_refs(fd, buf, len, 0), "unpinned");
	ASSERT_OK(iommufd_destroy(fd, stdev), "mock device destroyed");
	ASSERT_OK(iommufd_destroy(fd, second.out_hwpt_id), "second domain destroyed");
	close(fd);
}

KTEST(iommufd_pages_access_and_copy_pin_once,
      "CONFIG_IOMMUFD_TEST: an access and an IOAS_COPY share the pins; the last user unpins")
{
	struct iommu_ioas_copy copy = { .size = sizeof(copy) };
	struct iommu_test_cmd cmd = { 0 };
	uint32_t stdev[2] = { 0 }, hwpt[2] = { 0 }, idev[2] = { 0 };
	int fd, ioas[2], access, ret;
	size_t len = NPAGES * PAGE;
	void *buf;

	fd = iommufd_open();
	ASSERT_OK(fd, "open /dev/iommu");
	ioas[0] = ioas_alloc(fd);
	ioas[1] = ioas_alloc(fd);
	ASSERT_TRUE(ioas[0] > 0 && ioas[1] > 0, "two IOASes");
	ret = mock_device(fd, ioas[0], &stdev[0], &hwpt[0], &idev[0]);
	if (ret == -ENOTTY)
		KTEST_SKIP("kernel without CONFIG_IOMMUFD_TEST");
	ASSERT_OK(ret, "mock device on the first IOAS");
	ASSERT_OK(mock_device(fd, ioas[1], &stdev[1], &hwpt[1], &idev[1]),
		  "mock device on the second IOAS");
	buf = alloc_pages_fill(len, 0x5a);
	ASSERT_TRUE(buf, "alloc");
	ASSERT_OK(ioas_map(fd, ioas[0], buf, MOCK_IOVA, len, RW), "map");

	/* An in-kernel access (an mdev's pin) takes the domain's PFNs. */
	cmd.op = IOMMU_TEST_OP_CREATE_ACCESS;
	cmd.id = ioas[0];
	cmd.create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	ASSERT_OK(mock_cmd(fd, &cmd), "access");
	access = cmd.create_access.out_access_fd;
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_ACCESS_PAGES;
	cmd.id = access;
	cmd.access_pages.iova = MOCK_IOVA + PAGE;
	cmd.access_pages.length = 2 * PAGE;
	cmd.access_pages.uptr = (uintptr_t)buf + PAGE;
	ASSERT_OK(mock_cmd(fd, &cmd), "access pins the pages behind the IOVAs");
	ASSERT_OK(mock_check_refs(fd, buf, len, 1), "no second pin for the access");

	/* A copy into another IOAS shares the pages: still one pin each. */
	copy.dst_ioas_id = ioas[1];
	copy.src_ioas_id = ioas[0];
	copy.length = len;
	copy.dst_iova = MOCK_IOVA;
	copy.src_iova = MOCK_IOVA;
	copy.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		     IOMMU_IOAS_MAP_WRITEABLE;
	ASSERT_OK(ioctl(fd, IOMMU_IOAS_COPY, &copy), "copy");
	ASSERT_OK(mock_check_map(fd, hwpt[1], MOCK_IOVA, buf, len), "copy's domain maps the pages");
	ASSERT_OK(mock_check_refs(fd, buf, len, 1), "copy pins nothing new");

	/* Unmapping the source asks the access to let go; the copy keeps them. */
	ASSERT_OK(ioas_unmap(fd, ioas[0], MOCK_IOVA, len), "unmap the source");
	ASSERT_OK(mock_check_refs(fd, buf, len, 1), "pinned once by the copy");
	ASSERT_OK(ioas_unmap(fd, ioas[1], MOCK_IOVA, len), "unmap the copy");
	ASSERT_OK(mock_check_refs(fd, buf, len, 0), "unpinned");

	close(access);
	ASSERT_OK(iommufd_destroy(fd, stdev[0]), "first mock device destroyed");
	ASSERT_OK(iommufd_destroy(fd, stdev[1]), "second mock device destroyed");
	close(fd);
}

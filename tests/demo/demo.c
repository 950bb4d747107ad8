// SPDX-License-Identifier: GPL-2.0
/*
 * iopf-demo: what the project does, shown on the guest's edu device.
 *
 *  1. Static VFIO mapping: everything pinned up front; a DMA to an
 *     unmapped IOVA is blocked by the IOMMU.
 *  2. An I/O page fault mapping: nothing pinned until the device touches
 *     a page; its first DMA faults, the kernel maps the page, the retry
 *     works.
 *  3. A BPF policy (bpf/window.bpf.o through iopfctl) prefaults around
 *     each fault: the next DMAs do not fault at all.
 *  4. Unpinned mode: the page is mapped but not pinned (not in locked_vm);
 *     MADV_DONTNEED makes the kernel unmap it from the device.
 *  5. A VM: Debian's unmodified QEMU passes the edu device through to a
 *     nested VM, first as today (all guest RAM pinned before it runs),
 *     then with the admin's `vm` policy and the device declared
 *     faultable (QEMU's plain MAP_DMA mapped on fault).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "vfio_util.h"
#include "iopf_util.h"
#include "vm_util.h"

#define IOVA_STATIC	0x100000ULL
#define IOVA_UNMAPPED	0x300000ULL
#define IOVA_IOPF	0x400000ULL
#define NPAGES		64

static int fail(const char *what, int err);

/* Boot a 256 MiB VM on edu 0; report what QEMU pinned at start and after. */
static int demo_vm(const char *what, const char *cgroup)
{
	struct vm_opts o = {
		.bdf = "0000:00:04.0", .mem_mb = 256, .cgroup = cgroup,
		.append = "mode=stream mib=1 dmas=8 hold=1",
	};
	char line[256];
	struct vm vm;
	long lck;

	if (vm_start(&vm, &o))
		return -1;
	if (vm_expect(&vm, "payload: start", line, sizeof(line), 300)) {
		vm_kill(&vm);
		return -1;
	}
	lck = vm_status_kb(vm.pid, "VmLck:");
	printf("demo:   %s: VM started in %.1f s, QEMU pins %ld kB at its first instruction\n",
	       what, vm.first_line_s, lck);
	if (vm_expect(&vm, "payload: mode=", line, sizeof(line), 300)) {
		vm_kill(&vm);
		return -1;
	}
	printf("demo:   %s: 8 DMAs verified (%lld replayed), QEMU pins %ld kB\n", what,
	       payload_val(line, "replays"), vm_status_kb(vm.pid, "VmLck:"));
	vm_kill(&vm);
	return 0;
}

static int demo_vms(void)
{
	printf("\ndemo: 5. a VM: Debian's QEMU, unmodified, passes edu through to a 256 MiB guest\n");
	if (!vm_available()) {
		printf("demo:   (no nested QEMU in this guest)\n");
		return 0;
	}
	system("mkdir -p /sys/fs/cgroup/vms");
	if (demo_vm("before (pinned)", NULL))
		return fail("the pinned VM", -EIO);
	printf("demo:   iopfctl faultable add 0000:00:04.0; iopfctl load vm.bpf.o; "
	       "iopfctl attach vm --cgroup /sys/fs/cgroup/vms\n");
	if (system("iopfctl faultable add 0000:00:04.0 >/dev/null && "
		   "iopfctl load /lib/iopf/vm.bpf.o >/dev/null && "
		   "iopfctl attach vm --cgroup /sys/fs/cgroup/vms"))
		return fail("setting up the vm policy", -EINVAL);
	if (demo_vm("now (on fault)", "/sys/fs/cgroup/vms"))
		return fail("the VM on fault", -EIO);
	system("iopfctl detach --cgroup /sys/fs/cgroup/vms; iopfctl unload vm >/dev/null; "
	       "iopfctl faultable remove 0000:00:04.0 >/dev/null");
	return 0;
}

static int fail(const char *what, int err)
{
	printf("demo: %s failed: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

static void show(int c, const char *when)
{
	iopf_stats_t st;

	if (iopf_stats(c, &st))
		return;
	printf("demo:   [%s] faults %llu, resolved %llu, pages mapped %llu, pinned %llu, "
	       "prefaulted %llu, VmLck %ld kB\n", when,
	       (unsigned long long)st.faults, (unsigned long long)st.resolved,
	       (unsigned long long)st.pages_mapped, (unsigned long long)st.pages_pinned,
	       (unsigned long long)st.pages_prefaulted, proc_status_kb("VmLck:"));
}

/* The device reads a page; if the page was not mapped, wait and retry. */
static int device_reads(struct vfio_dev *d, int c, uint64_t iova, int *retried)
{
	int mapped = iopf_query(c, iova) & VFIO_IOPF_TEST_MAPPED;

	*retried = 0;
	if (edu_dma(d, iova, 0, 256, false))
		return -ETIMEDOUT;
	if (mapped)
		return 0;
	iopf_wait_mapped(c, iova);
	*retried = 1;
	return edu_dma(d, iova, 0, 256, false);
}

int main(void)
{
	const char msg[] = "hello from the guest, through virtio-iommu and back";
	char bdfs[MAX_EDU][32];
	int n, c, i, ret, retried;
	struct vfio_dev d;
	uint8_t *buf, *iopf;

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
	printf("demo: %s is in IOMMU group %d\n", d.bdf, d.group_id);

	printf("\ndemo: 1. a static mapping pins everything up front\n");
	buf = alloc_pages_fill(2 * PAGE, 0);
	strcpy((char *)buf, msg);
	ret = vfio_map(c, buf, IOVA_STATIC, 2 * PAGE, RW);
	if (ret)
		return fail("VFIO_IOMMU_MAP_DMA", ret);
	printf("demo:   mapped 2 pages; VmLck %ld kB\n", proc_status_kb("VmLck:"));
	ret = edu_dma(&d, IOVA_STATIC, 0, sizeof(msg), false) ?:
	      edu_dma(&d, IOVA_STATIC + PAGE, 0, sizeof(msg), true);
	if (ret || strcmp((char *)buf + PAGE, msg))
		return fail("round trip", ret ?: -EIO);
	printf("demo:   device copied page 0 -> its buffer -> page 1: \"%s\"\n", buf + PAGE);

	printf("\ndemo: 2. an I/O page fault mapping of %d pages pins nothing up front\n", NPAGES);
	iopf = alloc_pages_fill(NPAGES * PAGE, 0);
	for (i = 0; i < NPAGES; i++)
		snprintf((char *)iopf + i * PAGE, 64, "page %d of the IOPF mapping", i);
	ret = vfio_map(c, iopf, IOVA_IOPF, NPAGES * PAGE, IOPF_RW);
	if (ret)
		return fail("MAP_DMA with VFIO_DMA_MAP_FLAG_IOPF", ret);
	show(c, "mapped");
	ret = device_reads(&d, c, IOVA_IOPF + 3 * PAGE, &retried);
	if (ret)
		return fail("DMA", ret);
	edu_dma(&d, IOVA_STATIC + PAGE, 0, 64, true);
	printf("demo:   device read page 3 (%s): \"%s\"\n",
	       retried ? "first DMA faulted, the retry worked" : "no fault", buf + PAGE);
	show(c, "after");

	printf("\ndemo: 3. a BPF policy: iopfctl load bpf/window.bpf.o -p window=8\n");
	if (system("iopfctl load /lib/iopf/window.bpf.o -p window=8") || iopf_set_policy(c, "window"))
		return fail("loading the window policy", -EINVAL);
	for (i = 16; i < 24; i++) {
		ret = device_reads(&d, c, IOVA_IOPF + (uint64_t)i * PAGE, &retried);
		if (ret)
			return fail("DMA", ret);
		printf("demo:   device reads page %d: %s\n", i,
		       retried ? "faulted; the policy mapped pages 16-23" : "already mapped, no fault");
	}
	show(c, "after");

	printf("\ndemo: 4. unpinned: mapped for the device, not pinned, reclaimable\n");
	iopf_set_policy(c, "");
	system("iopfctl unload window >/dev/null && "
	       "iopfctl load /lib/iopf/window.bpf.o -p window=4 -p unpinned=1 >/dev/null");
	iopf_set_policy(c, "window");
	ret = device_reads(&d, c, IOVA_IOPF + 40 * PAGE, &retried);
	if (ret)
		return fail("DMA", ret);
	show(c, "pages 40-43 unpinned");
	madvise(iopf + 40 * PAGE, 4 * PAGE, MADV_DONTNEED);
	printf("demo:   MADV_DONTNEED on pages 40-43: page 41 %s for the device\n",
	       iopf_query(c, IOVA_IOPF + 41 * PAGE) & VFIO_IOPF_TEST_MAPPED ?
	       "STILL MAPPED" : "is unmapped");
	show(c, "after");

	iopf_set_policy(c, "");
	system("iopfctl unload window >/dev/null");
	vfio_unmap(c, IOVA_IOPF, NPAGES * PAGE);
	vfio_unmap(c, IOVA_STATIC, 2 * PAGE);
	printf("\ndemo: unmapped everything; VmLck %ld kB\n", proc_status_kb("VmLck:"));
	vfio_dev_close(&d);
	close(c);
	return demo_vms();
}

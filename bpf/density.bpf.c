// SPDX-License-Identifier: GPL-2.0
/*
 * density: prefetch a whole region once enough of it is in use.
 *
 * Decides: the mapping is cut in aligned regions of `region` pages. On a
 * fault, count the region's pages already mapped (the kernel tells, one
 * kfunc call a page). If at least `threshold` are mapped, map the whole
 * region; otherwise the faulting page alone. Pinned.
 * Why: this is how GPU unified memory (NVIDIA UVM) decides to migrate a
 * 2 MiB block: density of use predicts the rest of the block will be
 * touched. Sparse access never crosses the threshold and costs nothing
 * extra; dense access converges to one fault per region.
 * Tunables: region (pages, power of two up to 512, default 64),
 * threshold (pages, default 16).
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

const volatile __u32 region = 64;
const volatile __u32 threshold = 16;

struct count {
	const struct vfio_iopf_fault_ctx *fc;
	__u64 start;
	__u32 mapped;
};

static long count_page(__u64 i, void *data)
{
	struct count *c = data;

	if (bpf_vfio_iopf_page_mapped(c->fc, c->start + i * IOPF_PAGE) == 1)
		c->mapped++;
	return 0;
}

IOPF_FAULT(density_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	__u64 size = (__u64)(region ?: 1) * IOPF_PAGE;
	__u64 start = fc->iova & ~(size - 1);
	struct count c = { .fc = fc, .start = start };

	/* bpf_loop: the verifier checks the body once, whatever the region. */
	bpf_loop(region > 512 ? 512 : region, count_page, &c, 0);
	if (c.mapped < threshold)
		return iopf_decide(d, 0, 0, 0);
	/* The kernel clips the region to the mapping. */
	return iopf_decide(d, (fc->iova - start) / IOPF_PAGE,
			   (start + size - fc->iova) / IOPF_PAGE - 1, 0);
}

IOPF_DEFAULT_DONE(density)

IOPF_POLICY(density,
	.fault = (void *)density_fault,
	.done = (void *)density_done,
);

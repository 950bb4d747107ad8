// SPDX-License-Identifier: GPL-2.0
/*
 * window: prefault a fixed window after the faulting page.
 *
 * Decides: map the faulting page and the `window - 1` pages after it
 * (clipped by the kernel to the mapping and to max_pages), pinned, or
 * with `unpinned` set without a pin: reclaimable, not in locked_vm, and
 * unmapped by the kernel whenever the CPU page changes.
 * Why: the simplest prefetcher. It trades pinned memory for fewer faults,
 * and the trade is fixed: right for streams, wasteful for sparse access.
 * The benchmark sweeps `window` to show both sides.
 * Tunables: window (pages, default 16), unpinned (0/1, default 0).
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

const volatile __u32 window = 16;
const volatile __u32 unpinned;

IOPF_FAULT(window_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	return iopf_decide(d, 0, window ? window - 1 : 0,
			   unpinned ? VFIO_IOPF_UNPINNED : 0);
}

IOPF_DEFAULT_DONE(window)

IOPF_BIND(window_invalidate, __u64 container_id, __u64 iova, __u64 size)
{
	iopf_stat_add(IOPF_STAT_INVALIDATED, size / IOPF_PAGE);
}

IOPF_POLICY(window,
	.fault = (void *)window_fault,
	.done = (void *)window_done,
	.invalidate = (void *)window_invalidate,
);

// SPDX-License-Identifier: GPL-2.0
/*
 * window: prefault a fixed window after the faulting page.
 *
 * Decides: map the faulting page and the `window - 1` pages after it
 * (clipped by the kernel to the mapping and to max_pages), pinned.
 * Why: the simplest prefetcher. It trades pinned memory for fewer faults,
 * and the trade is fixed: right for streams, wasteful for sparse access.
 * The benchmark sweeps `window` to show both sides.
 * Tunables: window (pages, default 16).
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

const volatile __u32 window = 16;

IOPF_FAULT(window_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	return iopf_decide(d, 0, window ? window - 1 : 0, 0);
}

IOPF_DEFAULT_DONE(window)

IOPF_POLICY(window,
	.fault = (void *)window_fault,
	.done = (void *)window_done,
);

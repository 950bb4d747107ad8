// SPDX-License-Identifier: GPL-2.0
/*
 * budget: pin up to a per-container budget, then stop pinning.
 *
 * Decides: while the container has fewer than `budget` pages pinned on
 * fault, map `window` pages (the faulting one and window - 1 after it),
 * pinned, trimmed to the budget left. Over budget: with `unpinned` set,
 * map the faulting page without a pin (reclaimable, not in locked_vm);
 * otherwise fail the fault, so the device sees an error instead of the
 * host losing memory to pins.
 * Why: locked_vm and RLIMIT_MEMLOCK cap a whole process; a budget caps one
 * container (one VM, one tenant's device) and says what happens past it.
 * Tunables: budget (pages, default 1024), window (pages, default 8),
 * unpinned (0/1, default 0: fail).
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

const volatile __u64 budget = 1024;
const volatile __u32 window = 8;
const volatile __u32 unpinned;

IOPF_FAULT(budget_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	__u64 left, after = window ? window - 1 : 0;

	if (fc->pages_pinned >= budget)
		return iopf_decide(d, 0, 0, unpinned ? VFIO_IOPF_UNPINNED : VFIO_IOPF_FAIL);
	left = budget - fc->pages_pinned;
	if (after + 1 > left)
		after = left - 1;
	return iopf_decide(d, 0, after, 0);
}

IOPF_DEFAULT_DONE(budget)

IOPF_POLICY(budget,
	.fault = (void *)budget_fault,
	.done = (void *)budget_done,
);

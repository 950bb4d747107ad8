// SPDX-License-Identifier: GPL-2.0
/*
 * sequential: readahead for device streams.
 *
 * Decides: per container, remember where the last prefault ended. A fault
 * there (the stream continued) doubles the window, up to `max_window`; a
 * fault anywhere else starts over at `min_window`. Maps the faulting page
 * and window - 1 pages after it, pinned.
 * Why: like the page cache's readahead, it grows only as long as access
 * stays sequential, so a stream pays O(log n) faults and random access
 * pays little waste.
 * Tunables: min_window (pages, default 1), max_window (default 512).
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

const volatile __u32 min_window = 1;
const volatile __u32 max_window = 512;

IOPF_STREAMS(streams);

IOPF_FAULT(sequential_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	__u32 w = iopf_stream_window(&streams, fc->container_id, fc->iova, min_window,
				     max_window);

	return iopf_decide(d, 0, w - 1, 0);
}

IOPF_DEFAULT_DONE(sequential)

IOPF_BIND(sequential_unbind, __u64 container_id)
{
	bpf_map_delete_elem(&streams, &container_id);
	iopf_stat_add(IOPF_STAT_UNBINDS, 1);
}

IOPF_POLICY(sequential,
	.fault = (void *)sequential_fault,
	.done = (void *)sequential_done,
	.unbind = (void *)sequential_unbind,
);

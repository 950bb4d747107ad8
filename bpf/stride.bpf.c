// SPDX-License-Identifier: GPL-2.0
/*
 * stride: detect a constant stride between faults and run ahead of it.
 *
 * Decides: per container, compare the distance between this fault and the
 * last one with the distance before. Once the same stride (in pages) is
 * seen `confirm` times in a row and is at most `max_stride`, map the pages
 * up to `depth` strides ahead (a contiguous range: the kernel maps ranges),
 * pinned; otherwise the faulting page alone.
 * Why: devices walking arrays of records (a descriptor every N pages, a
 * column of a matrix) fault at a fixed stride. Sequential readahead never
 * recognizes them; prefetching the span costs (stride - 1) / stride of
 * waste, so only short strides are worth it.
 * Tunables: depth (strides ahead, default 8), max_stride (pages, default 8),
 * confirm (repeats, default 2).
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

const volatile __u32 depth = 8;
const volatile __u32 max_stride = 8;
const volatile __u32 confirm = 2;

struct stride_state {
	__u64 last;	/* last faulting IOVA */
	__s64 stride;	/* last distance, pages */
	__u32 seen;	/* times in a row */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct stride_state);
} strides SEC(".maps");

IOPF_FAULT(stride_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	struct stride_state *s, fresh = { .last = fc->iova };
	__s64 dist;

	/* A first fault finds last == iova: distance 0, no prefault. */
	s = iopf_container_state(&strides, fc->container_id, &fresh);
	if (!s)
		return iopf_decide(d, 0, 0, 0);
	/* Pages between the faults; an arithmetic shift keeps the sign. */
	dist = (__s64)(fc->iova - s->last) >> PAGE_SHIFT_4K;
	if (dist == s->stride && dist > 0)
		s->seen++;
	else
		s->seen = 0;
	s->stride = dist;
	s->last = fc->iova;

	if (s->seen + 1 >= confirm && dist > 0 && dist <= max_stride)
		return iopf_decide(d, 0, (__u32)dist * depth, 0);
	return iopf_decide(d, 0, 0, 0);
}

IOPF_DEFAULT_DONE(stride)

IOPF_BIND(stride_unbind, __u64 container_id)
{
	bpf_map_delete_elem(&strides, &container_id);
	iopf_stat_add(IOPF_STAT_UNBINDS, 1);
}

IOPF_POLICY(stride,
	.fault = (void *)stride_fault,
	.done = (void *)stride_done,
	.unbind = (void *)stride_unbind,
);

// SPDX-License-Identifier: GPL-2.0
/*
 * vm: run a VMM's guest RAM on I/O page faults, transparently.
 *
 * Decides: at map time, a plain VFIO_IOMMU_MAP_DMA of anonymous, shmem
 * (memfd) or hugetlbfs memory is mapped on fault instead of being pinned
 * up front; other file-backed memory stays eager, as its long-term pins
 * are what a filesystem cannot live with anyway (the kernel itself keeps
 * another device's BAR and any VM_IO/VM_PFNMAP memory eager). At fault
 * time, it reads ahead like `sequential`: a fault where the last prefault
 * ended doubles the window up to `max_window`, a fault elsewhere starts
 * again at `min_window`. Pages are pinned, or with `unpinned` mapped
 * without a pin, so that the guest's RAM stays reclaimable.
 * Why: a VMM maps all guest RAM with plain MAP_DMA and pins it before the
 * guest runs; a device whose faults an admin declared replayable touches
 * a small part of it. The map op only counts when an admin binds the
 * policy (a cgroup or the default), never when a container owner does.
 * Tunables: min_window (pages, default 1), max_window (default 512),
 * unpinned (0/1, default 0).
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

const volatile __u32 min_window = 1;
const volatile __u32 max_window = 512;
const volatile __u32 unpinned;

IOPF_STREAMS(streams);

IOPF_MAP(vm_map, const struct vfio_iopf_map_ctx *mc)
{
	switch (mc->backing) {
	case VFIO_IOPF_BACKING_ANON:
	case VFIO_IOPF_BACKING_SHMEM:
	case VFIO_IOPF_BACKING_HUGETLB:
		iopf_stat_add(IOPF_STAT_MAPS_ON_FAULT, 1);
		return VFIO_IOPF_MAP_ON_FAULT;
	default:
		iopf_stat_add(IOPF_STAT_MAPS_EAGER, 1);
		return VFIO_IOPF_MAP_EAGER;
	}
}

IOPF_FAULT(vm_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	__u32 w = iopf_stream_window(&streams, fc->container_id, fc->iova, min_window,
				     max_window);

	return iopf_decide(d, 0, w - 1, unpinned ? VFIO_IOPF_UNPINNED : 0);
}

IOPF_DEFAULT_DONE(vm)

IOPF_BIND(vm_unbind, __u64 container_id)
{
	bpf_map_delete_elem(&streams, &container_id);
	iopf_stat_add(IOPF_STAT_UNBINDS, 1);
}

IOPF_BIND(vm_invalidate, __u64 container_id, __u64 iova, __u64 size)
{
	iopf_stat_add(IOPF_STAT_INVALIDATED, size / IOPF_PAGE);
}

IOPF_POLICY(vm,
	.map = (void *)vm_map,
	.fault = (void *)vm_fault,
	.done = (void *)vm_done,
	.unbind = (void *)vm_unbind,
	.invalidate = (void *)vm_invalidate,
);

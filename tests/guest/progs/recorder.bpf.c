// SPDX-License-Identifier: GPL-2.0
/*
 * Test policy, not for use: maps the faulting page unpinned (or, with
 * pinned set, pinned, with @before pages before it and @after after it) and records every callback
 * in .bss, so that a test can check the kernel calls them (fault, done,
 * bind, unbind, invalidate) with the right arguments and outcomes.
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

__u64 faults, dones, binds, unbinds, invalidates;
__u64 last_container, bound_container, unbound_container;
__u64 inval_iova, inval_size, done_pages, done_errors;
__s32 done_error;
__u32 pinned, before, after;

IOPF_FAULT(recorder_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	faults++;
	last_container = fc->container_id;
	d->flags = pinned ? 0 : VFIO_IOPF_UNPINNED;
	d->before = before;
	d->after = after;
	return 0;
}

IOPF_DONE(recorder_done, const struct vfio_iopf_fault_ctx *fc,
	  const struct vfio_iopf_result *res)
{
	dones++;
	done_pages += res->pages_mapped;
	if (res->error) {
		done_errors++;
		done_error = res->error;
	}
}

IOPF_BIND(recorder_bind, __u64 container_id, __u64 cgroup_id)
{
	binds++;
	bound_container = container_id;
}

IOPF_BIND(recorder_unbind, __u64 container_id)
{
	unbinds++;
	unbound_container = container_id;
}

IOPF_BIND(recorder_invalidate, __u64 container_id, __u64 iova, __u64 size)
{
	invalidates++;
	inval_iova = iova;
	inval_size = size;
}

IOPF_POLICY(recorder,
	.fault = (void *)recorder_fault,
	.done = (void *)recorder_done,
	.bind = (void *)recorder_bind,
	.unbind = (void *)recorder_unbind,
	.invalidate = (void *)recorder_invalidate,
);

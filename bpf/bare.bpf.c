// SPDX-License-Identifier: GPL-2.0
/*
 * bare: the built-in decision and nothing else.
 *
 * Decides: map the faulting page alone, pinned, as the kernel does without
 * a policy. Why: it does exactly the built-in's work (no statistics, no
 * done() op), so that a benchmark of it against the built-in C path
 * measures the BPF struct_ops call and nothing more. No tunables.
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

IOPF_FAULT(bare_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	d->before = 0;
	d->after = 0;
	d->flags = 0;
	return 0;
}

IOPF_POLICY(bare,
	.fault = (void *)bare_fault,
);

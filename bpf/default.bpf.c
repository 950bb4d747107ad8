// SPDX-License-Identifier: GPL-2.0
/*
 * default: the built-in policy, as BPF.
 *
 * Decides: map the faulting page alone, pinned (locked_vm accounted).
 * Why: it is what the kernel does without any policy. Loading it shows the
 * cost of the BPF call itself, measured side by side with the built-in C
 * path making the same decisions, and it is the baseline every other
 * policy is compared with. No tunables.
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

IOPF_FAULT(default_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	return iopf_decide(d, 0, 0, 0);
}

IOPF_DEFAULT_DONE(default)

IOPF_POLICY(default,
	.fault = (void *)default_fault,
	.done = (void *)default_done,
);

// SPDX-License-Identifier: GPL-2.0
/*
 * Test program, not a policy: a sleepable fault() op. The kernel calls
 * vfio_iopf_ops where they cannot sleep (invalidate() from the OOM reaper,
 * fault() under the container's locks), so it must refuse to load this.
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

SEC("struct_ops.s/sleepy_fault")
int BPF_PROG(sleepy_fault, const struct vfio_iopf_fault_ctx *fc,
	     struct vfio_iopf_decision *d)
{
	return 0;
}

IOPF_POLICY(sleepy, .fault = (void *)sleepy_fault);

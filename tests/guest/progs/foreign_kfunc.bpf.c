// SPDX-License-Identifier: GPL-2.0
/*
 * Test program, not a policy: a struct_ops program of another type
 * (bpf_dummy_ops) calling the vfio_iopf kfunc. Only vfio_iopf_ops programs
 * may call it: the verifier must say the call is not allowed, before it
 * looks at the arguments.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

extern int bpf_vfio_iopf_page_mapped(const struct vfio_iopf_fault_ctx *ctx,
				     __u64 iova) __ksym;

SEC("struct_ops/foreign_test_1")
int BPF_PROG(foreign_test_1, struct bpf_dummy_ops_state *state)
{
	return bpf_vfio_iopf_page_mapped((void *)state, 0);
}

SEC(".struct_ops")
struct bpf_dummy_ops foreign = {
	.test_1 = (void *)foreign_test_1,
};

char LICENSE[] SEC("license") = "GPL";

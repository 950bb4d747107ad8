// SPDX-License-Identifier: GPL-2.0
/*
 * Toolchain smoke test, not a policy: proves that vmlinux.h, clang, the
 * skeleton and the guest kernel's BTF agree. A syscall program run with
 * BPF_PROG_TEST_RUN adds its arguments and checks, by CO-RE, that the
 * kernel's BTF describes VFIO type1's own types.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct smoke_args {
	int a;
	int b;
};

int sum;
int has_vfio_iommu;
int has_vfio_dma_iova;

SEC("syscall")
int smoke(struct smoke_args *args)
{
	sum = args->a + args->b;
	has_vfio_iommu = bpf_core_type_exists(struct vfio_iommu);
	has_vfio_dma_iova = bpf_core_field_exists(struct vfio_dma, iova);
	return 42;
}

char LICENSE[] SEC("license") = "GPL";

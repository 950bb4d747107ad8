// SPDX-License-Identifier: GPL-2.0
/* The BPF toolchain works end to end in the guest (see progs/smoke.bpf.c). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ktest.h"
#include "smoke.skel.h"

KTEST(bpf_toolchain_smoke, "skeleton loads, runs, and sees VFIO types in kernel BTF")
{
	struct smoke_args { int a, b; } args = { 40, 2 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args,
		    .ctx_size_in = sizeof(args));
	struct smoke *skel = smoke__open_and_load();

	ASSERT_TRUE(skel != NULL, "smoke__open_and_load");
	ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.smoke), &opts),
		  "test_run");
	ASSERT_EQ(opts.retval, 42, "retval");
	ASSERT_EQ(skel->bss->sum, 42, "sum");
	ASSERT_EQ(skel->bss->has_vfio_iommu, 1, "BTF has struct vfio_iommu");
	ASSERT_EQ(skel->bss->has_vfio_dma_iova, 1, "BTF has vfio_dma.iova");
	smoke__destroy(skel);
}

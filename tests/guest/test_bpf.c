// SPDX-License-Identifier: GPL-2.0
/* The BPF toolchain works end to end in the guest (see progs/smoke.bpf.c). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ktest.h"
#include "smoke.skel.h"
#include "sleepable_policy.skel.h"
#include "foreign_kfunc.skel.h"

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

/* Loading @obj must fail, and the verifier's log must say @why. */
static void expect_refused(struct bpf_object *obj, const char *why)
{
	static char log[65536];
	struct bpf_program *prog;
	int ret;

	bpf_object__for_each_program(prog, obj)
		bpf_program__set_log_buf(prog, log, sizeof(log));
	ret = bpf_object__load(obj);
	ktest_diag("load: %d, log tail: %s", ret,
		   strlen(log) > 200 ? log + strlen(log) - 200 : log);
	ASSERT_NE(ret, 0, "load fails");
	ASSERT_TRUE(strstr(log, why) != NULL, why);
}

KTEST(bpf_sleepable_refused, "a sleepable vfio_iopf_ops program is refused at load")
{
	struct sleepable_policy *skel = sleepable_policy__open();

	ASSERT_TRUE(skel != NULL, "open");
	expect_refused(skel->obj, "attach to unsupported member fault of struct vfio_iopf_ops");
	sleepable_policy__destroy(skel);
}

KTEST(bpf_kfunc_only_for_policies, "another struct_ops type may not call the vfio_iopf kfunc")
{
	struct foreign_kfunc *skel = foreign_kfunc__open();

	ASSERT_TRUE(skel != NULL, "open");
	expect_refused(skel->obj, "calling kernel function bpf_vfio_iopf_page_mapped is not allowed");
	foreign_kfunc__destroy(skel);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Policy tests: vfio_iopf_ops BPF policies loaded with iopfctl and bpftool,
 * bound per container, per cgroup and as the default; each policy's
 * decisions checked against the kernel's counters for scripted fault
 * sequences; hostile decisions clamped; unregister and swap under faults.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"
#include "policy_util.h"

KTEST(policy_sysfs, "/sys/kernel/vfio_iopf is there with a 512-page cap")
{
	ASSERT_TRUE(file_has("/sys/kernel/vfio_iopf/max_pages", "512\n"), "max_pages 512");
	ASSERT_EQ(access("/sys/kernel/vfio_iopf/policies", R_OK), 0, "policies");
	ASSERT_EQ(access("/sys/kernel/vfio_iopf/cgroups", R_OK), 0, "cgroups");
	ASSERT_EQ(access("/sys/kernel/vfio_iopf/containers", R_OK), 0, "containers");
	ASSERT_NE(run(NULL, 0, "echo 0 > /sys/kernel/vfio_iopf/max_pages"), 0, "cap 0 refused");
	ASSERT_NE(run(NULL, 0, "echo nosuch > /sys/kernel/vfio_iopf/default"), 0,
		  "unknown default refused");
	ASSERT_NE(run(NULL, 0, "echo 'x y' > /sys/kernel/vfio_iopf/cgroups"), 0,
		  "bad cgroup line refused");
}

KTEST(policy_iopfctl_load, "iopfctl load/list/unload, with clear errors for bad input")
{
	char out[4096];

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=8"), 0, "load");
	ASSERT_TRUE(registered("window"), "window registered");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl load " OBJ("window")), 1, "load twice");
	ASSERT_TRUE(strstr(out, "already registered") != NULL, "says already registered");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl list"), 0, "list");
	ASSERT_TRUE(strstr(out, "window") != NULL, "list shows window");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl load /lib/iopf/nosuch.bpf.o"), 1, "no file");
	ASSERT_TRUE(strstr(out, "No such file") != NULL, "says no such file");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl load " OBJ("sequential") " -p nosuch=1"), 1,
		  "unknown tunable");
	ASSERT_TRUE(strstr(out, "no tunable 'nosuch'") != NULL, "names the tunable");
	ASSERT_TRUE(strstr(out, "max_window") != NULL, "lists the tunables");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl load " OBJ("sequential") " -p min_window=1x"),
		  1, "bad value");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl load " OBJ("sequential") " -p min_window=4294967296"),
		  1, "value too big");
	ASSERT_TRUE(strstr(out, "does not fit") != NULL, "says does not fit");
	ASSERT_FALSE(registered("sequential"), "nothing registered on error");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl unload nosuch"), 1, "unload unknown");
	ASSERT_TRUE(strstr(out, "no policy 'nosuch'") != NULL, "says no policy");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl frobnicate"), 2, "unknown command");
	ASSERT_EQ(run(NULL, 0, "iopfctl unload window"), 0, "unload");
	ASSERT_FALSE(registered("window"), "window gone");
}

KTEST(policy_iopfctl_errors, "iopfctl attach refuses bad targets with a reason")
{
	char out[4096];

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window")), 0, "load");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl attach nosuch --default"), 1, "unknown policy");
	ASSERT_TRUE(strstr(out, "no policy 'nosuch'") != NULL, "says no policy");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl attach window --container 1:0"), 1, "not a container");
	ASSERT_TRUE(strstr(out, "not a VFIO container") != NULL, "says not a container");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl attach window --container 999999:3"), 1, "no pid");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl attach window --container 1:x"), 1, "bad PID:FD");
	ASSERT_TRUE(strstr(out, "PID:FD") != NULL, "says PID:FD");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl attach window --cgroup /tmp"), 1, "not a cgroup");
	ASSERT_TRUE(strstr(out, "not a cgroup v2") != NULL, "says not a cgroup");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl attach window --group 77"), 1, "no such group");
	ASSERT_TRUE(strstr(out, "no process holds /dev/vfio/77") != NULL, "says no holder");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl attach 'bad name' --default"), 1, "bad name");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl stats --default"), 1, "stats needs a container");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl attach window --container %d:999", getpid()), 1,
		  "closed fd");
	ASSERT_TRUE(strstr(out, "has no fd 999") != NULL, "says no such fd");
	unload_all();
}

KTEST(policy_iopfctl_group_stats, "iopfctl attach --group N and stats --json/--watch on a live container")
{
	char out[4096];
	struct ctr t;
	char name[16];
	uint32_t src;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=4"), 0, "load");
	ctr_open(&t, 0, 64);
	ASSERT_EQ(run(out, sizeof(out), "iopfctl attach window --group %d", t.d.group_id), 0,
		  "attach --group");
	ASSERT_OK(policy_of(t.c, name, &src), "get");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_CONTAINER, "bound through the group's holder");
	ASSERT_EQ(fault_at(&t, 0), 4, "window 4");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl stats --group %d --json", t.d.group_id), 0, "stats");
	ASSERT_TRUE(strstr(out, "\"faults\":1,") != NULL, "JSON: one fault");
	ASSERT_TRUE(strstr(out, "\"pages_mapped\":4,") != NULL, "JSON: four pages");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl stats --container %d:%d --watch 1 --count 2 | "
		      "grep -c '^pages_mapped  *4$'", getpid(), t.c), 0, "watch");
	ASSERT_TRUE(strstr(out, "2") != NULL, "two samples");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_builtin, "no binding: the built-in default maps the faulting page alone")
{
	struct ctr t;
	char name[16];
	uint32_t src;

	unload_all();
	ctr_open(&t, 0, 64);
	ASSERT_OK(policy_of(t.c, name, &src), "get policy");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_BUILTIN, "builtin");
	ASSERT_EQ(name[0], 0, "no name");
	ASSERT_EQ(fault_at(&t, 0), 1, "one page");
	ASSERT_EQ(fault_at(&t, 10), 2, "one more page");
	ASSERT_EQ(iopf_set_policy(t.c, "nosuch"), -ENOENT, "unknown policy: ENOENT");
	ASSERT_EQ(iopf_set_policy(t.c, "bad name"), -EINVAL, "bad name: EINVAL");
	ctr_close(&t);
}

KTEST(policy_default_bpf, "bpf/default decides as the built-in one does")
{
	iopf_stats_t st;
	struct ctr t;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("default")), 0, "load");
	ctr_open(&t, 0, 64);
	attach_container(&t, "default");
	ASSERT_EQ(fault_at(&t, 0), 1, "page 0");
	ASSERT_EQ(fault_at(&t, 5), 2, "page 5");
	ASSERT_EQ(fault_at(&t, 63), 3, "page 63");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_prefaulted + st.policy_invalid + st.policy_clamped, 0, "nothing else");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_window, "bpf/window: a fixed window, clamped at the mapping's end")
{
	iopf_stats_t st;
	struct ctr t;
	char name[16];
	uint32_t src;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=16"), 0, "load");
	ctr_open(&t, 0, 64);
	attach_container(&t, "window");
	ASSERT_OK(policy_of(t.c, name, &src), "get policy");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_CONTAINER, "container binding");
	ASSERT_EQ(strcmp(name, "window"), 0, "window");

	ASSERT_EQ(fault_at(&t, 0), 16, "pages 0-15");
	ASSERT_EQ(fault_at(&t, 8), 16, "page 8 already mapped: nothing new");
	ASSERT_EQ(fault_at(&t, 60), 20, "pages 60-63: clamped at the end");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_prefaulted, 18, "15 + 3 prefaulted");
	ASSERT_EQ(st.policy_clamped, 1, "one clamped decision");
	ASSERT_EQ(iopf_query(t.c, IOVA + 15 * PAGE) & VFIO_IOPF_TEST_PHYS_MATCH,
		  VFIO_IOPF_TEST_PHYS_MATCH, "prefaulted page maps the right memory");
	ASSERT_EQ(iopf_query(t.c, IOVA + 16 * PAGE), VFIO_IOPF_TEST_IOPF_DMA, "page 16 not mapped");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_sequential, "bpf/sequential: the window doubles while the stream continues")
{
	static const uint64_t faults[] = { 0, 1, 3, 7, 100, 101 };
	static const uint64_t want[] = { 1, 3, 7, 15, 16, 18 };
	struct ctr t;
	size_t i;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("sequential") " -p max_window=64"), 0, "load");
	ctr_open(&t, 0, 256);
	attach_container(&t, "sequential");
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		ASSERT_EQ(fault_at(&t, faults[i]), want[i], "pages mapped after fault");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_stride, "bpf/stride: a repeated stride runs ahead, other patterns do not")
{
	struct ctr t;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("stride") " -p depth=4 -p max_stride=8 -p confirm=2"),
		  0, "load");
	ctr_open(&t, 0, 256);
	attach_container(&t, "stride");
	ASSERT_EQ(fault_at(&t, 0), 1, "first fault");
	ASSERT_EQ(fault_at(&t, 4), 2, "stride seen once");
	ASSERT_EQ(fault_at(&t, 8), 19, "stride confirmed: pages 8-24");
	ASSERT_EQ(fault_at(&t, 100), 20, "a jump: one page");
	ASSERT_EQ(fault_at(&t, 120), 21, "stride 20 > max_stride: one page");
	ASSERT_EQ(fault_at(&t, 140), 22, "stride 20 confirmed but too long");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_density, "bpf/density: a region is mapped whole once dense enough")
{
	struct ctr t;
	uint64_t p;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("density") " -p region=64 -p threshold=16"),
		  0, "load");
	ctr_open(&t, 0, 256);
	attach_container(&t, "density");
	for (p = 0; p < 16; p++)
		ASSERT_EQ(fault_at(&t, p * 2), p + 1, "sparse faults map one page each");
	ASSERT_EQ(fault_at(&t, 33), 64, "16 mapped: the whole region");
	ASSERT_EQ(fault_at(&t, 64), 65, "next region starts sparse");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_budget, "bpf/budget: pins up to the budget, then fails faults")
{
	iopf_stats_t st;
	struct ctr t;
	long lck0;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("budget") " -p budget=32 -p window=8"), 0, "load");
	lck0 = proc_status_kb("VmLck:");
	ctr_open(&t, 0, 256);
	attach_container(&t, "budget");
	ASSERT_EQ(fault_at(&t, 0), 8, "8");
	ASSERT_EQ(fault_at(&t, 8), 16, "16");
	ASSERT_EQ(fault_at(&t, 100), 24, "24");
	ASSERT_EQ(fault_at(&t, 200), 32, "32: budget reached");
	ASSERT_EQ(fault_at(&t, 150), 32, "over budget: nothing mapped");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.failed_policy, 1, "the policy failed the fault");
	ASSERT_EQ(st.pages_pinned, 32, "32 pinned");
	ASSERT_EQ(proc_status_kb("VmLck:") - lck0, 32 * 4, "locked_vm = budget");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_hostile, "hostile decisions are clamped or fall back, and are counted")
{
	iopf_stats_t st;
	struct ctr t;

	unload_all();
	/* Huge ranges: clamped to the mapping, then to max_pages. */
	ASSERT_EQ(run(NULL, 0, "iopfctl load /lib/iopf/hostile.bpf.o -p mode=0"), 0, "load mode 0");
	ctr_open(&t, 0, 16);
	attach_container(&t, "hostile");
	ASSERT_EQ(fault_at(&t, 8), 16, "whole 16-page mapping");
	ctr_close(&t);
	ASSERT_EQ(run(NULL, 0, "echo 4 > /sys/kernel/vfio_iopf/max_pages"), 0, "max_pages 4");
	ctr_open(&t, 0, 64);
	attach_container(&t, "hostile");
	ASSERT_EQ(fault_at(&t, 32), 4, "max_pages");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.policy_clamped, 1, "clamped");
	ctr_close(&t);
	unload_all();

	/* An error return, unknown flags: the built-in default, counted. */
	ASSERT_EQ(run(NULL, 0, "iopfctl load /lib/iopf/hostile.bpf.o -p mode=1"), 0, "load mode 1");
	ctr_open(&t, 0, 64);
	attach_container(&t, "hostile");
	ASSERT_EQ(fault_at(&t, 3), 1, "error return: one page");
	ASSERT_EQ(run(NULL, 0, "iopfctl unload hostile && "
		      "iopfctl load /lib/iopf/hostile.bpf.o -p mode=2"), 0, "reload mode 2");
	ASSERT_EQ(fault_at(&t, 9), 2, "unknown flags: one page");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.policy_invalid, 2, "two invalid decisions");
	ASSERT_EQ(st.failed, 0, "no fault failed");

	/* VFIO_IOPF_FAIL: the fault fails. */
	ASSERT_EQ(run(NULL, 0, "iopfctl unload hostile && "
		      "iopfctl load /lib/iopf/hostile.bpf.o -p mode=3"), 0, "reload mode 3");
	ASSERT_EQ(fault_at(&t, 20), 2, "failed: nothing mapped");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.failed_policy, 1, "failed_policy");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_two_containers, "two containers with different policies at once")
{
	iopf_stats_t st[2];
	struct ctr t[2];

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=8 && "
		      "iopfctl load " OBJ("sequential")), 0, "load");
	ctr_open(&t[0], 0, 128);
	ctr_open(&t[1], 1, 128);
	attach_container(&t[0], "window");
	attach_container(&t[1], "sequential");
	ASSERT_EQ(fault_at(&t[0], 0), 8, "window in container 0");
	ASSERT_EQ(fault_at(&t[1], 0), 1, "sequential in container 1");
	ASSERT_EQ(fault_at(&t[1], 1), 3, "sequential grows");
	ASSERT_EQ(fault_at(&t[0], 8), 16, "window again");
	ASSERT_OK(iopf_stats(t[0].c, &st[0]), "stats 0");
	ASSERT_OK(iopf_stats(t[1].c, &st[1]), "stats 1");
	ASSERT_EQ(st[0].faults, 2, "container 0 faults");
	ASSERT_EQ(st[1].faults, 2, "container 1 faults");
	ASSERT_NE(st[0].container_id, st[1].container_id, "distinct ids");
	ctr_close(&t[0]);
	ctr_close(&t[1]);
	unload_all();
}

KTEST(policy_cgroup, "binding precedence: container > nearest cgroup > default > builtin")
{
	char name[16], out[256];
	struct ctr t;
	uint32_t src;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=4 && "
		      "iopfctl load " OBJ("default") " && iopfctl load " OBJ("sequential")), 0, "load");
	ASSERT_EQ(run(NULL, 0, "mkdir -p /sys/fs/cgroup/iopf/inner && "
		      "echo %d > /sys/fs/cgroup/iopf/inner/cgroup.procs", getpid()), 0,
		  "move into iopf/inner");
	ctr_open(&t, 0, 64);
	ASSERT_EQ(run(NULL, 0, "iopfctl attach sequential --default"), 0, "default");
	ASSERT_OK(policy_of(t.c, name, &src), "get");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_DEFAULT, "default applies");

	ASSERT_EQ(run(NULL, 0, "iopfctl attach window --cgroup /sys/fs/cgroup/iopf"), 0, "cgroup");
	ASSERT_OK(policy_of(t.c, name, &src), "get");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_CGROUP, "the ancestor's binding applies");
	ASSERT_EQ(strcmp(name, "window"), 0, "window");
	ASSERT_EQ(fault_at(&t, 0), 4, "window 4 through the cgroup");

	attach_container(&t, "default");
	ASSERT_OK(policy_of(t.c, name, &src), "get");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_CONTAINER, "the container's binding wins");
	ASSERT_EQ(fault_at(&t, 10), 5, "default: one page");
	ASSERT_EQ(run(out, sizeof(out), "grep -c ' default container$' /sys/kernel/vfio_iopf/containers"),
		  0, "sysfs lists the container's policy");

	ASSERT_EQ(run(NULL, 0, "iopfctl detach --container %d:%d", getpid(), t.c), 0, "detach");
	ASSERT_OK(policy_of(t.c, name, &src), "get");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_CGROUP, "back to the cgroup");
	ASSERT_EQ(run(NULL, 0, "iopfctl detach --cgroup /sys/fs/cgroup/iopf"), 0, "detach cgroup");
	ASSERT_OK(policy_of(t.c, name, &src), "get");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_DEFAULT, "back to the default");
	ASSERT_EQ(run(NULL, 0, "iopfctl detach --default"), 0, "detach default");
	ASSERT_OK(policy_of(t.c, name, &src), "get");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_BUILTIN, "back to builtin");
	ctr_close(&t);
	run(NULL, 0, "echo %d > /sys/fs/cgroup/cgroup.procs", getpid());
	unload_all();
}

KTEST(policy_unregister_fallback, "unregistering a bound policy: its containers fall back")
{
	char name[16];
	struct ctr t;
	uint32_t src;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=8"), 0, "load");
	ctr_open(&t, 0, 64);
	attach_container(&t, "window");
	ASSERT_EQ(fault_at(&t, 0), 8, "window");
	ASSERT_EQ(run(NULL, 0, "iopfctl unload window"), 0, "unload");
	ASSERT_OK(policy_of(t.c, name, &src), "get");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_BUILTIN, "fell back");
	ASSERT_EQ(fault_at(&t, 20), 9, "builtin: one page");
	/* The binding is by name: registering window again brings it back. */
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=2"), 0, "reload");
	ASSERT_EQ(fault_at(&t, 30), 11, "window again, new tunable");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_bpftool, "bpftool struct_ops register, list, dump and unregister a policy")
{
	char out[4096];

	unload_all();
	ASSERT_EQ(run(NULL, 0, "bpftool struct_ops register " OBJ("window")), 0, "register");
	ASSERT_TRUE(registered("window"), "window registered");
	ASSERT_EQ(run(out, sizeof(out), "bpftool struct_ops list"), 0, "list");
	ASSERT_TRUE(strstr(out, "window_ops") && strstr(out, "vfio_iopf_ops"), "listed");
	ASSERT_EQ(run(out, sizeof(out), "bpftool struct_ops dump name window_ops"), 0, "dump");
	ASSERT_TRUE(strstr(out, "\"window\"") != NULL || strstr(out, "window") != NULL, "dumped");
	ASSERT_EQ(run(NULL, 0, "bpftool struct_ops unregister name window_ops"), 0, "unregister");
	ASSERT_FALSE(registered("window"), "window gone");
}

KTEST(policy_tracepoints, "the decision tracepoint shows policy and range")
{
	char out[8192];
	struct ctr t;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=8"), 0, "load");
	ctr_open(&t, 0, 64);
	attach_container(&t, "window");
	ASSERT_EQ(run(NULL, 0, "T=/sys/kernel/tracing; echo > $T/trace && "
		      "echo 1 > $T/events/vfio_iopf/enable"), 0, "enable");
	fault_at(&t, 4);
	ASSERT_EQ(run(out, sizeof(out), "T=/sys/kernel/tracing; cat $T/trace; "
		      "echo 0 > $T/events/vfio_iopf/enable"), 0, "read trace");
	ASSERT_TRUE(strstr(out, "vfio_iopf_fault:") != NULL, "fault event");
	ASSERT_TRUE(strstr(out, "policy=window before=0 after=7") != NULL, "decision event");
	ctr_close(&t);
	unload_all();
}

KTEST_T(policy_swap_storm, "policies swapped and unregistered under a fault storm", 300)
{
	iopf_stats_t st;
	struct ctr t;
	pid_t child;
	int i, status;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=4 && "
		      "iopfctl load " OBJ("sequential")), 0, "load");
	ctr_open(&t, 0, 4096);
	child = fork();
	if (child == 0) {
		/* Fault over the mapping again and again; unmapping remaps. */
		for (;;) {
			iopf_inject(t.c, IOVA, PAGE, 4096, VFIO_IOPF_TEST_PERM_READ);
			vfio_unmap(t.c, IOVA, 4096 * PAGE);
			vfio_map(t.c, t.buf, IOVA, 4096 * PAGE, IOPF_RW);
		}
	}
	for (i = 0; i < 12; i++) {
		const char *p = i % 3 == 0 ? "window" : i % 3 == 1 ? "sequential" : "";

		iopf_set_policy(t.c, p);
		if (i % 4 == 3)
			ASSERT_EQ(run(NULL, 0, "iopfctl unload window && iopfctl load "
				      OBJ("window") " -p window=%d", 2 + i), 0, "reload window");
		usleep(100000);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ktest_metric("faults_survived", st.faults);
	ASSERT_GT(st.faults, 1000, "faults handled during the storm");
	ASSERT_EQ(st.failed, st.failed_nomap, "only faults racing an unmap failed");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_edu_window, "edu: with window=4 one device fault maps four pages, no retry for the next")
{
	uint8_t *stage;
	iopf_stats_t st;
	struct ctr t;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=4"), 0, "load");
	ctr_open(&t, 0, 16);
	stage = alloc_pages_fill(PAGE, 0);
	ASSERT_TRUE(stage != NULL, "alloc");
	ASSERT_OK(vfio_map(t.c, stage, 0x100000, PAGE, RW), "static page");
	attach_container(&t, "window");
	fill_pattern(t.buf, 16 * PAGE, 77);

	ASSERT_OK(edu_dma(&t.d, IOVA, 0, EDU_DMA_MAX, false), "dma page 0");
	ASSERT_GE(IOPF_WAIT(t.c, resolved, 1), 1, "fault resolved");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.pages_mapped, 4, "four pages mapped");
	/* Page 2 was prefaulted: the first DMA there succeeds, no new fault. */
	ASSERT_OK(edu_dma(&t.d, IOVA + 2 * PAGE, 0, EDU_DMA_MAX, false), "dma page 2");
	ASSERT_OK(edu_dma(&t.d, 0x100000, 0, EDU_DMA_MAX, true), "read back");
	ASSERT_MEMEQ(stage, t.buf + 2 * PAGE, EDU_DMA_MAX, "page 2 data on the first try");
	ASSERT_OK(iopf_stats(t.c, &st), "stats");
	ASSERT_EQ(st.faults, 1, "one fault in all");
	ctr_close(&t);
	unload_all();
}

KTEST(policy_cached_follows_changes, "a container's cached policy follows every binding change at its next fault")
{
	struct ctr t;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=4"), 0, "load window");
	ctr_open(&t, 0, 64);
	ASSERT_EQ(fault_at(&t, 0), 1, "no binding: the built-in maps one page");

	/* The default changes under the container: its next fault sees it. */
	ASSERT_EQ(run(NULL, 0, "echo window > /sys/kernel/vfio_iopf/default"), 0, "default window");
	ASSERT_EQ(fault_at(&t, 8), 1 + 4, "window 4 from the next fault on");

	/* Withdrawn: the container falls back without being told. */
	ASSERT_EQ(run(NULL, 0, "iopfctl unload window"), 0, "unload window");
	ASSERT_EQ(fault_at(&t, 16), 1 + 4 + 1, "back to the built-in");

	/* Registered again under the name: the default names it, it applies. */
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=8"), 0, "load again");
	ASSERT_EQ(fault_at(&t, 24), 1 + 4 + 1 + 8, "the new registration, window 8");

	/* The container's own binding, then a cgroup binding of its ancestor. */
	ASSERT_OK(iopf_set_policy(t.c, ""), "no own binding");
	ASSERT_EQ(run(NULL, 0, "echo > /sys/kernel/vfio_iopf/default"), 0, "no default");
	ASSERT_EQ(fault_at(&t, 40), 1 + 4 + 1 + 8 + 1, "built-in again");
	ASSERT_EQ(run(NULL, 0, "echo 1 window > /sys/kernel/vfio_iopf/cgroups"), 0,
		  "bind the root cgroup");
	ASSERT_EQ(fault_at(&t, 48), 1 + 4 + 1 + 8 + 1 + 8, "the root cgroup's binding");
	ASSERT_EQ(run(NULL, 0, "echo 1 > /sys/kernel/vfio_iopf/cgroups"), 0, "unbind it");
	ctr_close(&t);
	unload_all();
}

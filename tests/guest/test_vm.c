// SPDX-License-Identifier: GPL-2.0
/*
 * A real VMM on fault-mapped memory: Debian's unmodified QEMU runs the
 * payload OS in a nested VM with an edu device passed through (vfio-pci,
 * plain VFIO_IOMMU_MAP_DMA of all guest RAM). With an admin's policy whose
 * map() op maps plain mappings on fault and the device declared faultable,
 * QEMU's RAM is pinned (or, unpinned, mapped) only where the device goes.
 * The payload replays a DMA whose data did not arrive, as a driver of a
 * device with replayable faults does, and verifies every byte.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"
#include "policy_util.h"
#include "vm_util.h"

#define EDU0		"0000:00:04.0"
#define EDU1		"0000:00:05.0"
#define CG_A		"/sys/fs/cgroup/vm_a"
#define CG_B		"/sys/fs/cgroup/vm_b"
#define VM_MB		64
#define VM_KB		(VM_MB * 1024L)
#define BOOT_S		240	/* QEMU start to the payload's first line */
#define RUN_S		300	/* a workload */

static void vm_reset(void)
{
	unload_all();
	run(NULL, 0, "echo > /sys/kernel/vfio_iopf/faultable");
	run(NULL, 0, "iopfctl detach --cgroup " CG_A "; iopfctl detach --cgroup " CG_B);
}

static void vm_setup(void)
{
	if (!vm_available())
		KTEST_SKIP("no nested QEMU (" VM_QEMU ") or payload in this guest");
	vm_reset();
	ASSERT_EQ(run(NULL, 0, "mkdir -p " CG_A " " CG_B), 0, "cgroups");
}

/* Load the vm policy as @name with tunables, and bind it to @cgroup. */
static void vm_policy(const char *name, const char *tunables, const char *cgroup)
{
	char out[512];

	ASSERT_EQ(run(out, sizeof(out), "iopfctl load " OBJ("vm") " --name %s %s", name, tunables),
		  0, out);
	ASSERT_EQ(run(out, sizeof(out), "iopfctl attach %s --cgroup %s", name, cgroup), 0, out);
}

static void vm_boot(struct vm *vm, const char *bdf, const char *cgroup, const char *append)
{
	struct vm_opts o = { .bdf = bdf, .mem_mb = VM_MB, .append = append, .cgroup = cgroup };
	char line[256];

	ASSERT_OK(vm_start(vm, &o), "start QEMU");
	ASSERT_EQ(vm_expect(vm, "payload: start", line, sizeof(line), BOOT_S), 0,
		  "the payload starts");
	ktest_metric("boot_ms", (long long)(vm->first_line_s * 1000));
}

/* Wait for the payload's result line; every DMA must have been verified. */
static void vm_result(struct vm *vm, char *line, size_t len, long long dmas)
{
	ASSERT_EQ(vm_expect(vm, "payload: mode=", line, len, RUN_S), 0, "the payload reports");
	ASSERT_EQ(payload_val(line, "errors"), 0, "every DMA verified");
	ASSERT_EQ(payload_val(line, "dmas"), dmas, "every DMA done");
}

static long long vmstat(const char *key)
{
	char field[64];

	snprintf(field, sizeof(field), "%s ", key);
	return file_field("/proc/vmstat", field);
}

/* edu 0 faultable, and the vm policy as the global default. */
static void vm_default_policy(void)
{
	ASSERT_EQ(run(NULL, 0, "iopfctl faultable add " EDU0), 0, "faultable");
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("vm") " && iopfctl attach vm --default"), 0,
		  "the default policy");
}

KTEST_T(vm_baseline_pins_all, "plain type1: QEMU pins all guest RAM before the guest runs", 600)
{
	struct vm_maps m;
	char line[256];
	struct vm vm;
	long lck;

	vm_setup();
	vm_boot(&vm, EDU0, NULL, "mode=stream mib=1 dmas=4");
	lck = vm_status_kb(vm.pid, "VmLck:");
	ktest_metric("vmlck_kb", lck);
	ASSERT_GE(lck, VM_KB, "all RAM pinned at the first instruction");
	ASSERT_OK(vm_mappings(vm_container_of(vm.pid), &m), "mappings");
	ASSERT_EQ(m.fault + m.iopf, 0, "nothing on fault");
	ASSERT_GT(m.eager, 0, "eager mappings");
	vm_result(&vm, line, sizeof(line), 4);
	ASSERT_EQ(payload_val(line, "replays"), 0, "no replay when all is mapped");
	ASSERT_EQ(vm_wait(&vm, 60), 1, "QEMU exits with the payload's success");
}

KTEST_T(vm_policy_without_faultable_device, "an admin policy alone changes nothing: the device is not declared faultable", 600)
{
	struct vm_maps m;
	char line[256];
	struct vm vm;

	vm_setup();
	vm_policy("vm", "", CG_A);
	vm_boot(&vm, EDU0, CG_A, "mode=stream mib=1 dmas=2");
	ASSERT_GE(vm_status_kb(vm.pid, "VmLck:"), VM_KB, "all RAM pinned");
	ASSERT_OK(vm_mappings(vm_container_of(vm.pid), &m), "mappings");
	ASSERT_EQ(m.fault, 0, "no mapping on fault");
	vm_result(&vm, line, sizeof(line), 2);
	ASSERT_EQ(vm_wait(&vm, 60), 1, "QEMU exits with success");
	vm_reset();
}

KTEST_T(vm_transparent_pinned, "transparent IOPF: QEMU pins only what the device touched, every DMA verified", 900)
{
	const long max_window = 16;
	long lck0, lck;
	struct vm_maps m;
	char line[256];
	struct vm vm;
	uint64_t c;

	vm_setup();
	ASSERT_EQ(run(line, sizeof(line), "iopfctl faultable add " EDU0), 0, line);
	vm_policy("vm", "-p max_window=16", CG_A);
	vm_boot(&vm, EDU0, CG_A, "mode=stream mib=2 dmas=32 hold=1");
	lck0 = vm_status_kb(vm.pid, "VmLck:");
	ktest_metric("vmlck_start_kb", lck0);
	ASSERT_LE(lck0, 4 * max_window, "(almost) nothing pinned at start");
	c = vm_container_of(vm.pid);
	ASSERT_NE(c, 0, "QEMU's container is listed");
	ASSERT_OK(vm_mappings(c, &m), "mappings");
	ASSERT_GT(m.fault, 0, "guest RAM mapped on fault");

	vm_result(&vm, line, sizeof(line), 32);
	lck = vm_status_kb(vm.pid, "VmLck:");
	ASSERT_OK(vm_mappings(c, &m), "mappings");
	ktest_metric("vmlck_end_kb", lck);
	ktest_metric("fault_pages", m.fault_pages);
	ktest_metric("replays", payload_val(line, "replays"));
	ktest_metric("payload_pages", payload_val(line, "pages"));
	ASSERT_GT(payload_val(line, "replays"), 0, "the device faulted and the payload replayed");
	ASSERT_EQ(lck, (long)m.fault_pages * 4, "VmLck is the pages mapped on fault (pinned)");
	ASSERT_LE(m.fault_pages, payload_val(line, "pages") * max_window,
		  "at most the pages touched plus the prefault");
	ASSERT_LT(lck, VM_KB / 4, "far from all RAM");
	vm_kill(&vm);
	vm_reset();
}

KTEST_T(vm_unpinned_reclaim, "unpinned policy: VmLck 0, guest RAM reclaimed under QEMU and refaulted with its data", 900)
{
	struct vm_maps m0, m1;
	char line[256];
	struct vm vm;
	uint64_t c;
	int i;

	vm_setup();
	if (access("/sys/block/zram0", F_OK))
		KTEST_SKIP("no zram0 (CONFIG_ZRAM)");
	ASSERT_EQ(run(NULL, 0, "grep -q zram0 /proc/swaps || { echo 256M > /sys/block/zram0/disksize && "
		      "mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; }"), 0, "zram swap");
	ASSERT_EQ(run(NULL, 0, "echo +memory > /sys/fs/cgroup/cgroup.subtree_control"), 0, "memcg");
	ASSERT_EQ(run(line, sizeof(line), "iopfctl faultable add 1234:11e8"), 0, line);
	vm_policy("vmu", "-p unpinned=1 -p max_window=8", CG_B);
	vm_boot(&vm, EDU0, CG_B, "mode=stream mib=2 dmas=16 pause=1");
	ASSERT_EQ(vm_expect(&vm, "payload: mode=", line, sizeof(line), RUN_S), 0, "phase 1");
	ASSERT_EQ(payload_val(line, "errors"), 0, "phase 1 verified");
	ASSERT_EQ(vm_expect(&vm, "payload: paused", line, sizeof(line), 30), 0, "paused");
	ASSERT_EQ(vm_status_kb(vm.pid, "VmLck:"), 0, "nothing pinned");
	c = vm_container_of(vm.pid);
	ASSERT_OK(vm_mappings(c, &m0), "mappings");
	ASSERT_GT(m0.fault_pages, 0, "pages mapped unpinned");

	/* Reclaim QEMU's cgroup: guest RAM the device mapped goes to zram. */
	for (i = 0; i < 16; i++) {
		run(NULL, 0, "echo 256M > " CG_B "/memory.reclaim 2>/dev/null");
		ASSERT_OK(vm_mappings(c, &m1), "mappings");
		if (m1.fault_pages < m0.fault_pages)
			break;
	}
	ktest_metric("reclaim_passes", i);
	ktest_metric("mapped_before", m0.fault_pages);
	ktest_metric("mapped_after", m1.fault_pages);
	ktest_metric("qemu_swap_kb", vm_status_kb(vm.pid, "VmSwap:"));
	ASSERT_LT(m1.fault_pages, m0.fault_pages, "the notifier unmapped reclaimed pages");
	ASSERT_GT(vm_status_kb(vm.pid, "VmSwap:"), 0, "QEMU's memory went to swap");

	ASSERT_OK(vm_send(&vm, "g"), "resume");
	ASSERT_EQ(vm_expect(&vm, "payload: mode=", line, sizeof(line), RUN_S), 0, "phase 2");
	ASSERT_EQ(payload_val(line, "errors"), 0, "phase 2 verified");
	ASSERT_EQ(payload_val(line, "lost"), 0, "phase 1's data survived swap");
	ktest_metric("phase2_replays", payload_val(line, "replays"));
	ASSERT_GT(payload_val(line, "replays"), 0, "reclaimed pages faulted again");
	ASSERT_EQ(vm_status_kb(vm.pid, "VmLck:"), 0, "still nothing pinned");
	ASSERT_EQ(vm_wait(&vm, 60), 1, "QEMU exits with success");
	vm_reset();
}

KTEST_T(vm_policy_swapped_and_unloaded, "policies swapped and unregistered while the VM runs: every DMA still verified", 900)
{
	char line[256], out[512];
	struct vm_maps m;
	struct vm vm;

	vm_setup();
	ASSERT_EQ(run(line, sizeof(line), "iopfctl faultable add " EDU0), 0, line);
	vm_policy("vm", "", CG_A);
	vm_boot(&vm, EDU0, CG_A, "mode=random mib=4 dmas=48 progress=8");
	ASSERT_EQ(vm_expect(&vm, "payload: progress 8", line, sizeof(line), RUN_S), 0, "8 DMAs");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl load " OBJ("window") " -p window=4 && "
		      "iopfctl attach window --cgroup " CG_A), 0, out);
	ASSERT_EQ(vm_expect(&vm, "payload: progress 16", line, sizeof(line), RUN_S), 0, "16 DMAs");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl unload window"), 0, out);
	ASSERT_EQ(vm_expect(&vm, "payload: progress 24", line, sizeof(line), RUN_S), 0, "24 DMAs");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl unload vm"), 0, out);
	vm_result(&vm, line, sizeof(line), 48);
	ASSERT_OK(vm_mappings(vm_container_of(vm.pid), &m), "mappings");
	ASSERT_GT(m.fault, 0, "the mappings stay on fault with no policy left");
	ASSERT_EQ(vm_wait(&vm, 60), 1, "QEMU exits with success");
	vm_reset();
}

KTEST_T(vm_killed_leaves_nothing, "QEMU killed mid-workload: no pin, no container, no mapping left; the device works again", 900)
{
	long long pins0, pins1;
	char line[256];
	struct vm_maps m;
	struct vm vm;
	uint64_t c;

	vm_setup();
	ASSERT_EQ(run(line, sizeof(line), "iopfctl faultable add " EDU0), 0, line);
	vm_policy("vm", "", CG_A);
	pins0 = vmstat("nr_foll_pin_acquired") - vmstat("nr_foll_pin_released");
	vm_boot(&vm, EDU0, CG_A, "mode=stream mib=4 dmas=64 progress=8");
	c = vm_container_of(vm.pid);
	ASSERT_EQ(vm_expect(&vm, "payload: progress 8", line, sizeof(line), RUN_S), 0, "8 DMAs");
	ASSERT_GT(vm_status_kb(vm.pid, "VmLck:"), 0, "pages pinned on fault");
	vm_kill(&vm);
	/* QEMU's files close as it exits; its container goes with them. */
	for (int i = 0; i < 100 && vm_container_of(vm.pid); i++)
		usleep(100 * 1000);
	ASSERT_EQ(vm_container_of(vm.pid), 0, "the container is gone");
	ASSERT_OK(vm_mappings(c, &m), "mappings");
	ASSERT_EQ(m.eager + m.iopf + m.fault, 0, "no mapping of it left");
	/* The container leaves the list before its pages are unpinned. */
	for (int i = 0; i < 100; i++) {
		pins1 = vmstat("nr_foll_pin_acquired") - vmstat("nr_foll_pin_released");
		if (pins1 == pins0)
			break;
		usleep(100 * 1000);
	}
	ktest_metric("pins_outstanding_delta", pins1 - pins0);
	ASSERT_EQ(pins1, pins0, "every FOLL_PIN released");

	vm_boot(&vm, EDU0, CG_A, "mode=stream mib=1 dmas=4");
	vm_result(&vm, line, sizeof(line), 4);
	ASSERT_EQ(vm_wait(&vm, 60), 1, "a new VM runs on the device");
	vm_reset();
}

KTEST_T(vm_two_vms_two_policies, "two VMs, two edu devices, two cgroups, pinned and unpinned policies, at once", 900)
{
	struct vm a, b;
	char la[256], lb[256];

	vm_setup();
	ASSERT_EQ(run(la, sizeof(la), "iopfctl faultable add " EDU0 " " EDU1), 0, la);
	vm_policy("vm", "", CG_A);
	vm_policy("vmu", "-p unpinned=1", CG_B);
	vm_boot(&a, EDU0, CG_A, "mode=ring mib=2 dmas=24 ring=8 hold=1");
	vm_boot(&b, EDU1, CG_B, "mode=random mib=2 dmas=24 seed=7 hold=1");
	vm_result(&a, la, sizeof(la), 24);
	vm_result(&b, lb, sizeof(lb), 24);
	ktest_metric("a_vmlck_kb", vm_status_kb(a.pid, "VmLck:"));
	ktest_metric("b_vmlck_kb", vm_status_kb(b.pid, "VmLck:"));
	ASSERT_GT(vm_status_kb(a.pid, "VmLck:"), 0, "A pins what its device touched");
	ASSERT_LT(vm_status_kb(a.pid, "VmLck:"), VM_KB / 4, "A pins far from all RAM");
	ASSERT_EQ(vm_status_kb(b.pid, "VmLck:"), 0, "B pins nothing");
	ASSERT_NE(vm_container_of(a.pid), vm_container_of(b.pid), "two containers");
	vm_kill(&a);
	vm_kill(&b);
	vm_reset();
}

KTEST_T(vm_unfaultable_group_refused, "a group whose device is not faultable cannot join a container with mappings on fault", 600)
{
	/* Covered with VFIO directly: QEMU would open a second container. */
	struct vfio_dev d0, d1;
	uint8_t *buf;
	int c, ret;

	vm_reset();
	vm_default_policy();
	c = vfio_container_open();
	ASSERT_OK(c, "container");
	ASSERT_OK(vfio_dev_open(&d0, c, EDU0), "open edu 0");
	buf = alloc_pages_fill(16 * 4096, 0x5a);
	ASSERT_OK(vfio_map(c, buf, IOVA, 16 * 4096, RW), "plain MAP_DMA");
	{
		struct vm_maps m;

		ASSERT_OK(vm_mappings(0, &m), "mappings");
		ASSERT_EQ(m.fault, 1, "mapped on fault by the admin's policy");
	}
	ret = vfio_dev_open(&d1, c, EDU1);
	ASSERT_EQ(ret, -EPERM, "a group not declared faultable is refused");
	ASSERT_OK(vfio_unmap(c, IOVA, 16 * 4096), "unmap");
	ASSERT_OK(vfio_dev_open(&d1, c, EDU1), "with no mapping on fault it may join");
	vfio_dev_close(&d1);
	vfio_dev_close(&d0);
	close(c);
	vm_reset();
}

KTEST_T(vm_mappings_read_during_release, "reading the mappings list while containers with mappings on fault are released", 600)
{
	char buf[8192];
	pid_t reader;
	int i;

	vm_reset();
	vm_default_policy();
	reader = fork();
	ASSERT_OK(reader, "fork");
	if (!reader) {
		for (;;) {
			int fd = open("/sys/kernel/vfio_iopf/mappings", O_RDONLY);

			if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
				_exit(1);
			close(fd);
		}
	}
	for (i = 0; i < 40; i++) {
		struct vfio_dev d;
		uint8_t *mem;
		int c = vfio_container_open(), j;

		ASSERT_OK(c, "container");
		ASSERT_OK(vfio_dev_open(&d, c, EDU0), "open edu 0");
		mem = alloc_pages_fill(64 * 4096, 1);
		for (j = 0; j < 8; j++)
			ASSERT_OK(vfio_map(c, mem + j * 8 * 4096, IOVA + j * 8 * 4096ULL, 8 * 4096, RW),
				  "plain MAP_DMA on fault");
		vfio_dev_close(&d);
		close(c);
		munmap(mem, 64 * 4096);
	}
	kill(reader, SIGKILL);
	waitpid(reader, NULL, 0);
	vm_reset();
}

KTEST(vm_policy_renamed_unload, "iopfctl load --name: two copies of one object, each unloaded by its own name")
{
	char out[512];

	vm_reset();
	ASSERT_EQ(run(out, sizeof(out), "iopfctl load " OBJ("vm") " --name vmu -p unpinned=1"), 0, out);
	ASSERT_EQ(run(out, sizeof(out), "iopfctl load " OBJ("vm")), 0, out);
	ASSERT_TRUE(registered("vm") && registered("vmu"), "both registered");
	ASSERT_EQ(run(out, sizeof(out), "iopfctl unload vmu"), 0, out);
	ASSERT_TRUE(registered("vm"), "vm stays");
	ASSERT_FALSE(registered("vmu"), "vmu is gone");
	ASSERT_NE(run(out, sizeof(out), "iopfctl load " OBJ("vm") " --name 'bad name'"), 0,
		  "a bad name is refused");
	ASSERT_TRUE(strstr(out, "not a policy name") != NULL, out);
	ASSERT_EQ(run(out, sizeof(out), "iopfctl unload vm"), 0, out);
	ASSERT_FALSE(registered("vm"), "vm is gone");
}

static long meminfo(const char *field)
{
	return file_field("/proc/meminfo", field);
}

/* A field of /proc/PID/smaps_rollup in kB, or -1. */
static long smaps_kb(pid_t pid, const char *field)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	return file_field(path, field);
}

/*
 * Guest RAM on transparent huge pages (QEMU madvises it): phase 1 maps
 * on fault, then every huge page is split and memory compacted (which
 * migrates what it can), then phase 2 runs the same pages again.
 */
static void vm_thp_run(const char *policy, const char *tunables, bool unpinned)
{
	struct vm_maps m0, m1;
	long thp0, thp1, lck0;
	char line[256];
	struct vm vm;
	uint64_t c;

	vm_setup();
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK))
		KTEST_SKIP("no CONFIG_TRANSPARENT_HUGEPAGE");
	ASSERT_EQ(run(NULL, 0, "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled"), 0,
		  "THP on madvise");
	ASSERT_EQ(run(line, sizeof(line), "iopfctl faultable add " EDU0), 0, line);
	vm_policy(policy, tunables, CG_A);
	vm_boot(&vm, EDU0, CG_A, "mode=stream mib=8 dmas=24 pause=1");
	ASSERT_EQ(vm_expect(&vm, "payload: mode=", line, sizeof(line), RUN_S), 0, "phase 1");
	ASSERT_EQ(payload_val(line, "errors"), 0, "phase 1 verified");
	ASSERT_EQ(vm_expect(&vm, "payload: paused", line, sizeof(line), 30), 0, "paused");
	c = vm_container_of(vm.pid);
	ASSERT_OK(vm_mappings(c, &m0), "mappings");
	thp0 = smaps_kb(vm.pid, "AnonHugePages:");
	lck0 = vm_status_kb(vm.pid, "VmLck:");
	ktest_metric("anon_huge_kb_before", thp0);
	ASSERT_GT(thp0, 0, "QEMU's guest RAM is on huge pages");
	ASSERT_GT(m0.fault_pages, 0, "pages mapped on fault");
	if (unpinned)
		ASSERT_EQ(lck0, 0, "nothing pinned");
	else
		ASSERT_EQ(lck0, (long)m0.fault_pages * 4, "what is mapped is pinned");

	ASSERT_EQ(run(NULL, 0, "echo 1 > /sys/kernel/debug/split_huge_pages"), 0, "split every THP");
	ASSERT_EQ(run(NULL, 0, "echo 1 > /proc/sys/vm/compact_memory"), 0, "compact (migrate)");
	thp1 = smaps_kb(vm.pid, "AnonHugePages:");
	ASSERT_OK(vm_mappings(c, &m1), "mappings");
	ktest_metric("anon_huge_kb_after", thp1);
	ktest_metric("mapped_before", m0.fault_pages);
	ktest_metric("mapped_after", m1.fault_pages);
	ASSERT_LT(thp1, thp0, "huge pages were split");
	if (unpinned) {
		ASSERT_LT(m1.fault_pages, m0.fault_pages, "the split unmapped the device's pages");
	} else {
		ASSERT_EQ(m1.fault_pages, m0.fault_pages, "pinned pages stay mapped");
		ASSERT_EQ(vm_status_kb(vm.pid, "VmLck:"), lck0, "and pinned");
	}

	ASSERT_OK(vm_send(&vm, "g"), "resume");
	ASSERT_EQ(vm_expect(&vm, "payload: mode=", line, sizeof(line), RUN_S), 0, "phase 2");
	ASSERT_EQ(payload_val(line, "errors"), 0, "phase 2 verified");
	ASSERT_EQ(payload_val(line, "lost"), 0, "phase 1's data survived the split");
	ktest_metric("phase2_replays", payload_val(line, "replays"));
	ASSERT_EQ(vm_wait(&vm, 60), 1, "QEMU exits with success");
	vm_reset();
}

KTEST_T(vm_thp_pinned, "guest RAM on THP, pinned on fault: split and compaction leave the pins and the data", 900)
{
	vm_thp_run("vm", "-p max_window=64", false);
}

KTEST_T(vm_thp_unpinned, "guest RAM on THP, unpinned: a split unmaps the device's pages, which refault with their data", 900)
{
	vm_thp_run("vmu", "-p unpinned=1 -p max_window=64", true);
}

KTEST_T(vm_hugetlbfs, "guest RAM on hugetlbfs (-mem-path): mapped on fault, pinned, verified, released", 900)
{
	struct vm_opts o = {
		.bdf = EDU0, .mem_mb = VM_MB, .cgroup = CG_A, .mem_path = "/dev/hugepages",
		.append = "mode=random mib=16 dmas=24 seed=3 hold=1",
	};
	long free0, free1;
	struct vm_maps m;
	char line[256];
	struct vm vm;

	vm_setup();
	if (access("/proc/sys/vm/nr_hugepages", F_OK))
		KTEST_SKIP("no CONFIG_HUGETLBFS");
	ASSERT_EQ(run(NULL, 0, "mkdir -p /dev/hugepages && "
		      "{ grep -q ' /dev/hugepages ' /proc/mounts || "
		      "mount -t hugetlbfs none /dev/hugepages; } && "
		      "echo 48 > /proc/sys/vm/nr_hugepages"), 0, "hugetlbfs");
	free0 = meminfo("HugePages_Free:");
	ASSERT_EQ(run(line, sizeof(line), "iopfctl faultable add " EDU0), 0, line);
	vm_policy("vm", "-p max_window=16", CG_A);
	ASSERT_OK(vm_start(&vm, &o), "start QEMU");
	ASSERT_EQ(vm_expect(&vm, "payload: start", line, sizeof(line), BOOT_S), 0, "starts");
	ASSERT_EQ(vm_status_kb(vm.pid, "VmLck:"), 0, "nothing pinned at start");
	vm_result(&vm, line, sizeof(line), 24);
	ASSERT_OK(vm_mappings(vm_container_of(vm.pid), &m), "mappings");
	ktest_metric("fault_pages", m.fault_pages);
	ktest_metric("vmlck_kb", vm_status_kb(vm.pid, "VmLck:"));
	ASSERT_GT(m.fault, 0, "hugetlbfs RAM mapped on fault");
	ASSERT_EQ(vm_status_kb(vm.pid, "VmLck:"), (long)m.fault_pages * 4, "pinned as mapped");
	ASSERT_LT(vm_status_kb(vm.pid, "VmLck:"), VM_KB / 4, "far from all RAM");
	vm_kill(&vm);
	for (int i = 0; i < 50; i++) {
		free1 = meminfo("HugePages_Free:");
		if (free1 == free0)
			break;
		usleep(100 * 1000);
	}
	ASSERT_EQ(free1, free0, "every huge page back");
	vm_reset();
}

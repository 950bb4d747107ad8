// SPDX-License-Identifier: GPL-2.0
/*
 * Privilege: unprivileged users cannot register policies or change
 * bindings; a container owner without CAP_SYS_ADMIN may bind only policies
 * on the allowed list; a policy bound to one container maps nothing of
 * another.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "ktest.h"
#include "policy_util.h"

/*
 * Bind @name to container @c as its owner without CAP_SYS_ADMIN would (in a
 * child that dropped it): 0 or -errno.
 */
static int owner_set_policy(int c, const char *name)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (drop_cap(CAP_SYS_ADMIN))
			_exit(255);
		_exit(-iopf_set_policy(c, name));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

KTEST(priv_unprivileged_user, "uid 65534 can neither register policies nor change bindings")
{
	char out[4096];

	unload_all();
	/* Drop to uid 65534 in a child and run the real iopfctl. */
	{
		int pfd[2], status;
		pid_t pid;
		ssize_t n;

		ASSERT_OK(pipe(pfd), "pipe");
		pid = fork();
		if (pid == 0) {
			dup2(pfd[1], 1);
			dup2(pfd[1], 2);
			if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
				_exit(100);
			execl("/bin/iopfctl", "iopfctl", "load", OBJ("window"), (char *)NULL);
			_exit(101);
		}
		close(pfd[1]);
		size_t used = 0;

		while ((n = read(pfd[0], out + used, sizeof(out) - 1 - used)) > 0)
			used += n;
		out[used] = '\0';
		close(pfd[0]);
		waitpid(pid, &status, 0);
		ktest_diag("as uid 65534: status %#x: %s", status, out);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1, "iopfctl load fails");
		ASSERT_TRUE(strstr(out, "Operation not permitted") != NULL, "says EPERM");
	}
	ASSERT_FALSE(registered("window"), "nothing registered");
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window")), 0, "root loads");
	{
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			int fd;

			if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
				_exit(100);
			fd = open("/sys/kernel/vfio_iopf/default", O_WRONLY);
			if (fd >= 0 && write(fd, "window", 6) == 6)
				_exit(1);
			fd = open("/sys/kernel/vfio_iopf/allowed", O_WRONLY);
			if (fd >= 0 && write(fd, "window", 6) == 6)
				_exit(2);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "uid 65534 cannot set the default or the allowed list");
	}
	ASSERT_TRUE(file_has("/sys/kernel/vfio_iopf/default", "\n"), "default unchanged");
	unload_all();
}

KTEST(priv_allowed_list, "without CAP_SYS_ADMIN an owner binds only allowed policies")
{
	struct ctr t;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " && iopfctl load " OBJ("sequential") " && "
		      "echo window > /sys/kernel/vfio_iopf/allowed"), 0, "setup");
	ASSERT_TRUE(file_has("/sys/kernel/vfio_iopf/allowed", "window\n"), "allowed list");
	ASSERT_NE(run(NULL, 0, "echo 'bad/name' > /sys/kernel/vfio_iopf/allowed"), 0, "bad list refused");
	ctr_open(&t, 0, 16);
	ASSERT_OK(owner_set_policy(t.c, "window"), "allowed: window");
	ASSERT_EQ(owner_set_policy(t.c, "sequential"), -EPERM, "not allowed: sequential");
	ASSERT_OK(owner_set_policy(t.c, ""), "dropping the binding is always allowed");
	ASSERT_OK(iopf_set_policy(t.c, "sequential"), "root binds anything");
	ASSERT_EQ(run(NULL, 0, "echo 'window sequential' > /sys/kernel/vfio_iopf/allowed"), 0, "widen");
	ASSERT_OK(owner_set_policy(t.c, "sequential"), "now allowed");
	ctr_close(&t);
	run(NULL, 0, "echo > /sys/kernel/vfio_iopf/allowed");
	unload_all();
}

KTEST(priv_isolation, "a policy bound to one container maps nothing of another")
{
	iopf_stats_t st;
	struct ctr a, b;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load /lib/iopf/hostile.bpf.o -p mode=0"), 0, "load");
	ctr_open(&a, 0, 32);
	ctr_open(&b, 1, 32);
	attach_container(&a, "hostile");
	ASSERT_EQ(fault_at(&a, 16), 32, "container A: its whole mapping, no more");
	ASSERT_OK(iopf_stats(b.c, &st), "stats B");
	ASSERT_EQ(st.faults + st.pages_mapped, 0, "container B untouched");
	ASSERT_EQ(iopf_query(b.c, IOVA) & VFIO_IOPF_TEST_MAPPED, 0, "B's page unmapped");
	ASSERT_EQ(fault_at(&b, 3), 1, "B faults with its own (built-in) policy");
	ctr_close(&a);
	ctr_close(&b);
	unload_all();
}

/* Run iopfctl with CAP_SYS_ADMIN gone for good (bounding set too). */
static int iopfctl_without_sys_admin(char *out, size_t len, const char *arg1,
				     const char *arg2)
{
	size_t used = 0;
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) ||
		    drop_cap(CAP_SYS_ADMIN))
			_exit(100);
		execl("/bin/iopfctl", "iopfctl", arg1, arg2, (char *)NULL);
		_exit(101);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out + used, len - 1 - used)) > 0)
		used += n;
	out[used] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

KTEST(priv_register_needs_sys_admin, "CAP_BPF and CAP_PERFMON load a policy; registering its name needs CAP_SYS_ADMIN")
{
	char out[4096];
	int rc;

	unload_all();
	rc = iopfctl_without_sys_admin(out, sizeof(out), "load", OBJ("window"));
	ktest_diag("without CAP_SYS_ADMIN: exit %d: %s", rc, out);
	ASSERT_EQ(rc, 1, "iopfctl load fails");
	ASSERT_TRUE(strstr(out, "Operation not permitted") != NULL, "says EPERM");
	ASSERT_FALSE(registered("window"), "name not taken");
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window")), 0, "with CAP_SYS_ADMIN");
	ASSERT_TRUE(registered("window"), "registered");
	unload_all();
}

KTEST(priv_containers_root_only, "/sys/kernel/vfio_iopf/containers is readable by root only")
{
	struct ctr t;
	int status;
	pid_t pid;

	unload_all();
	ctr_open(&t, 0, 4);
	ASSERT_TRUE(file_has("/sys/kernel/vfio_iopf/containers", " builtin\n"), "root reads it");
	pid = fork();
	if (pid == 0) {
		int fd;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(100);
		fd = open("/sys/kernel/vfio_iopf/containers", O_RDONLY);
		_exit(fd < 0 && errno == EACCES ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "uid 65534 gets EACCES: no other tenant's pid or cgroup");
	ctr_close(&t);
}

/* The container's effective policy, its source and its owner's cgroup. */
static void effective(int c, char *name, uint32_t *source, uint64_t *cgroup_id)
{
	struct vfio_iommu_type1_iopf_policy pol = { .argsz = sizeof(pol) };

	ASSERT_OK(ioctl(c, VFIO_IOMMU_IOPF_POLICY, &pol) ? -errno : 0, "IOPF_POLICY");
	snprintf(name, 16, "%s", pol.name);
	*source = pol.source;
	if (cgroup_id)
		*cgroup_id = pol.cgroup_id;
}

KTEST(priv_enforced_binding, "an enforced cgroup or default binding overrides the owner's own choice")
{
	char name[16], cmd[128];
	uint64_t cgid;
	uint32_t src;
	struct ctr t;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " && iopfctl load " OBJ("budget")
		      " -p window=2 && echo window > /sys/kernel/vfio_iopf/allowed"), 0, "setup");
	ctr_open(&t, 0, 16);
	effective(t.c, name, &src, &cgid);
	ASSERT_NE(cgid, 0, "owner's cgroup id");

	/* Not enforced: the owner's own choice wins, as before. */
	ASSERT_OK(owner_set_policy(t.c, "window"), "owner binds window");
	snprintf(cmd, sizeof(cmd), "echo '%llu budget' > /sys/kernel/vfio_iopf/cgroups",
		 (unsigned long long)cgid);
	ASSERT_EQ(run(NULL, 0, "%s", cmd), 0, "admin binds budget to the cgroup");
	effective(t.c, name, &src, NULL);
	ASSERT_STREQ(name, "window", "owner's choice wins over a plain binding");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_CONTAINER, "from the container");

	/* Enforced: the admin's wins, and the owner cannot rebind. */
	snprintf(cmd, sizeof(cmd), "echo '%llu budget enforce' > /sys/kernel/vfio_iopf/cgroups",
		 (unsigned long long)cgid);
	ASSERT_EQ(run(NULL, 0, "%s", cmd), 0, "admin enforces budget");
	ASSERT_TRUE(file_has("/sys/kernel/vfio_iopf/cgroups", " budget enforce\n"), "shown enforced");
	effective(t.c, name, &src, NULL);
	ASSERT_STREQ(name, "budget", "enforced binding wins");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_CGROUP, "from the cgroup");
	ASSERT_EQ(fault_at(&t, 3), 2, "faults go through budget (a window of 2)");
	ASSERT_EQ(owner_set_policy(t.c, "window"), -EPERM, "owner cannot escape");
	ASSERT_OK(owner_set_policy(t.c, ""), "dropping its binding is allowed");

	/* An enforced default, likewise; a bad keyword is refused. */
	snprintf(cmd, sizeof(cmd), "echo '%llu budget force' > /sys/kernel/vfio_iopf/cgroups",
		 (unsigned long long)cgid);
	ASSERT_NE(run(NULL, 0, "%s", cmd), 0, "unknown keyword refused");
	snprintf(cmd, sizeof(cmd), "echo %llu > /sys/kernel/vfio_iopf/cgroups",
		 (unsigned long long)cgid);
	ASSERT_EQ(run(NULL, 0, "%s", cmd), 0, "unbind the cgroup");
	ASSERT_OK(iopf_set_policy(t.c, "window"), "root binds window");
	ASSERT_NE(run(NULL, 0, "iopfctl attach budget --group %d --enforce", t.d.group_id), 0,
		  "iopfctl: --enforce is not for containers");
	ASSERT_EQ(run(NULL, 0, "iopfctl attach budget --default --enforce"), 0,
		  "enforced default (iopfctl)");
	ASSERT_TRUE(file_has("/sys/kernel/vfio_iopf/default", "budget enforce\n"), "shown");
	effective(t.c, name, &src, NULL);
	ASSERT_STREQ(name, "budget", "enforced default wins");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_DEFAULT, "from the default");
	/* Enforced but unregistered: the built-in default, not the owner's. */
	ASSERT_EQ(run(NULL, 0, "iopfctl unload budget"), 0, "unload budget");
	effective(t.c, name, &src, NULL);
	ASSERT_STREQ(name, "", "enforced binding without its policy: built-in");
	ASSERT_EQ(src, VFIO_IOPF_POLICY_SRC_BUILTIN, "from nowhere else");
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("budget") " -p window=2"), 0, "load budget");
	ASSERT_EQ(run(NULL, 0, "echo budget > /sys/kernel/vfio_iopf/default"), 0, "plain default");
	effective(t.c, name, &src, NULL);
	ASSERT_STREQ(name, "window", "container binding wins again");
	ctr_close(&t);
	run(NULL, 0, "echo > /sys/kernel/vfio_iopf/allowed; echo > /sys/kernel/vfio_iopf/default");
	unload_all();
}

#define SPAN		(128ULL << 30)
#define NSPANS		8

KTEST(priv_iopf_tracking_follows_faults,
      "uid 65534 with a 64 KiB memlock limit maps 1 TiB for I/O page faults: "
      "the kernel's tracking costs memory for the pages faulted, not for the size mapped")
{
	char bdfs[MAX_EDU][32], go = 0;
	int c, to_parent[2], to_child[2], i, status;
	long before = 0, mapped = 0;
	struct vfio_dev d;
	iopf_stats_t st;
	pid_t pid;

	ASSERT_GT(edu_find(bdfs, MAX_EDU), 0, "edu");
	c = vfio_container_open();
	ASSERT_OK(c, "container");
	ASSERT_OK(vfio_dev_open(&d, c, bdfs[0]), "device");
	ASSERT_OK(pipe(to_parent) | pipe(to_child), "pipes");
	pid = fork();
	ASSERT_OK(pid, "fork");
	if (!pid) {
		struct rlimit rl = { 64 << 10, 64 << 10 };
		long kb[2];
		uint8_t *va;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		va = mmap(NULL, NSPANS * SPAN, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (va == MAP_FAILED)
			_exit(10);
		/* One page of each span can be faulted in. */
		for (i = 0; i < NSPANS; i++)
			if (mprotect(va + i * SPAN, 4096, PROT_READ | PROT_WRITE))
				_exit(11);
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) ||
		    setgid(65534) || setuid(65534))
			_exit(12);
		kb[0] = proc_kb("/proc/meminfo", "MemFree:");
		for (i = 0; i < NSPANS; i++)
			if (vfio_map(c, va + i * SPAN, (i + 1) * SPAN, SPAN,
				     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
				     VFIO_DMA_MAP_FLAG_IOPF))
				_exit(13);
		kb[1] = proc_kb("/proc/meminfo", "MemFree:");
		if (write(to_parent[1], kb, sizeof(kb)) != sizeof(kb) ||
		    read(to_child[0], &go, 1) != 1)
			_exit(14);
		for (i = 0; i < NSPANS; i++)
			if (vfio_unmap(c, (i + 1) * SPAN, SPAN))
				_exit(15);
		_exit(0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	{
		long kb[2];

		ASSERT_EQ(read(to_parent[0], kb, sizeof(kb)), (ssize_t)sizeof(kb),
			  "the owner mapped 1 TiB");
		before = kb[0];
		mapped = kb[1];
	}
	ktest_metric("map_1tib_kb", before - mapped);
	ASSERT_LT(before - mapped, 4096, "1 TiB of IOPF mappings cost less than 4 MiB");

	/* Faults whose pin fails (PROT_NONE) allocate no tracking. */
	before = proc_kb("/proc/meminfo", "MemFree:");
	ASSERT_OK(iopf_inject(c, SPAN + (16 << 20), 16 << 20, 8191, VFIO_IOPF_TEST_PERM_READ),
		  "a fault every 16 MiB of the first span");
	ASSERT_OK(iopf_stats(c, &st), "stats");
	ASSERT_EQ(st.failed, 8191, "all failed: nothing to pin there");
	ktest_metric("failed_8191_faults_kb", before - proc_kb("/proc/meminfo", "MemFree:"));
	ASSERT_LT(before - proc_kb("/proc/meminfo", "MemFree:"), 4096, "and cost less than 4 MiB");

	/* Root faults a page into each span: pinned under the owner's limit. */
	for (i = 0; i < NSPANS; i++)
		ASSERT_OK(iopf_inject(c, (i + 1) * SPAN, 4096, 1, VFIO_IOPF_TEST_PERM_WRITE),
			  "fault one page of a span");
	ASSERT_OK(iopf_stats(c, &st), "stats");
	ASSERT_EQ(st.resolved, NSPANS, "one fault per span resolved");
	ASSERT_EQ(st.pages_pinned, NSPANS, "8 pages pinned, 32 KiB under the 64 KiB limit");

	ASSERT_EQ(write(to_child[1], &go, 1), 1, "let the owner unmap");
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "owner done");
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status), "the owner unmapped as uid 65534");
	ASSERT_OK(iopf_stats(c, &st), "stats");
	ASSERT_EQ(st.pages_pinned, 0, "nothing pinned after the unmaps");
	vfio_dev_close(&d);
	close(c);
}

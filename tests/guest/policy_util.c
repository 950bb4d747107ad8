// SPDX-License-Identifier: GPL-2.0
/* Helpers for the tests that drive policies through iopfctl. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ktest.h"
#include "policy_util.h"

const char *const all_policies[] = {
	"default", "window", "sequential", "stride", "density", "budget", "hostile", "vm", "vmu",
};

/* Run a shell command; its output goes to @out (if any) and the log. */
int run(char *out, size_t len, const char *fmt, ...)
{
	char cmd[512], buf[4096];
	int pfd[2], status;
	size_t used = 0;
	ssize_t n;
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf + used, sizeof(buf) - 1 - used)) > 0)
		used += n;
	buf[used] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	ktest_diag("$ %s -> %d%s%s", cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		   used ? "\n# " : "", used ? buf : "");
	if (out)
		snprintf(out, len, "%s", buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void unload_all(void)
{
	size_t i;

	for (i = 0; i < sizeof(all_policies) / sizeof(all_policies[0]); i++)
		run(NULL, 0, "iopfctl unload %s 2>/dev/null", all_policies[i]);
	run(NULL, 0, "echo > /sys/kernel/vfio_iopf/default; echo 512 > /sys/kernel/vfio_iopf/max_pages");
	/* Test knobs a failed test may have left set. */
	write_str(PIN_DELAY, "0");
	unfail_iopf_sync();
}

int fail_iopf_sync(unsigned int pass)
{
	return run(NULL, 0, "F=" FAIL_FUNCTION "; echo vfio_iopf_sync > $F/inject && "
		   "printf %%#x -5 > $F/vfio_iopf_sync/retval && echo 100 > $F/probability && "
		   "echo 1 > $F/interval && echo %u > $F/space && echo 1 > $F/times && "
		   "echo 0 > $F/verbose", pass ? pass + 1 : 0);
}

int unfail_iopf_sync(void)
{
	return write_str(FAIL_FUNCTION "/inject", "!vfio_iopf_sync");
}

void slow_default_policy(unsigned int pages)
{
	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=%u -p unpinned=1",
		      pages), 0, "load a slow policy");
	ASSERT_EQ(run(NULL, 0, "echo %u > /sys/kernel/vfio_iopf/max_pages; "
		      "echo window > /sys/kernel/vfio_iopf/default", pages), 0,
		  "make it the default");
}

int file_has(const char *path, const char *needle)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, needle) != NULL;
}

int registered(const char *name)
{
	char line[32];

	snprintf(line, sizeof(line), "%s\n", name);
	return file_has("/sys/kernel/vfio_iopf/policies", line);
}

int wait_unregistered(const char *name)
{
	int i;

	for (i = 0; i < 500 && registered(name); i++)
		usleep(10 * 1000);
	return !registered(name);
}

void ctr_open(struct ctr *t, int which, size_t pages)
{
	char bdfs[MAX_EDU][32];

	ASSERT_GT(edu_find(bdfs, MAX_EDU), which, "edu");
	t->c = vfio_container_open();
	ASSERT_OK(t->c, "container");
	ASSERT_OK(vfio_dev_open(&t->d, t->c, bdfs[which]), "vfio_dev_open");
	t->pages = pages;
	t->buf = alloc_pages_fill(pages * PAGE, 1);
	ASSERT_TRUE(t->buf != NULL, "alloc");
	ASSERT_OK(vfio_map(t->c, t->buf, IOVA, pages * PAGE, IOPF_RW), "IOPF map");
}

void ctr_close(struct ctr *t)
{
	vfio_dev_close(&t->d);
	close(t->c);
	munmap(t->buf, t->pages * PAGE);
}

int policy_of(int c, char *name, uint32_t *source)
{
	struct vfio_iommu_type1_iopf_policy pol = { .argsz = sizeof(pol) };

	if (ioctl(c, VFIO_IOMMU_IOPF_POLICY, &pol))
		return -errno;
	snprintf(name, 16, "%s", pol.name);
	if (source)
		*source = pol.source;
	return 0;
}

/* Inject one fault at page @page and return pages mapped now. */
uint64_t fault_at(struct ctr *t, uint64_t page)
{
	iopf_stats_t st;

	ASSERT_OK(iopf_inject(t->c, IOVA + page * PAGE, PAGE, 1, VFIO_IOPF_TEST_PERM_READ),
		  "inject");
	ASSERT_OK(iopf_stats(t->c, &st), "stats");
	return st.pages_mapped;
}

void attach_container(struct ctr *t, const char *name)
{
	ASSERT_EQ(run(NULL, 0, "iopfctl attach %s --container %d:%d", name, getpid(), t->c), 0,
		  "iopfctl attach --container");
}


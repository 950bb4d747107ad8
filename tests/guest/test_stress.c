// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: two devices faulting continuously (real DMA and injected bursts)
 * while the policy is swapped and unregistered, the mapping unmapped, one
 * owner killed and the other closing its container. Afterwards nothing
 * remains: no container, no pin (/proc/vmstat), locked_vm back; the kernel
 * log (and kmemleak, on the debug kernel) stays clean.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"
#include "policy_util.h"

struct shared {
	volatile int stop[2];
	volatile int fd[2];
	volatile uint64_t faults[2];
	volatile uint64_t dmas[2];
};

static long vmstat(const char *name)
{
	char key[64];
	long val;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &val) == 2)
		if (!strcmp(key, name)) {
			fclose(f);
			return val;
		}
	fclose(f);
	return -1;
}

static long pins_held(void)
{
	return vmstat("nr_foll_pin_acquired") - vmstat("nr_foll_pin_released");
}

/* A device owner: fault forever, until stopped (or killed). */
static void owner(struct shared *sh, int i)
{
	iopf_stats_t st;
	struct ctr t;
	uint8_t *stage;
	unsigned int n = 0;

	ctr_open(&t, i, 512);
	stage = alloc_pages_fill(PAGE, 0);
	ASSERT_OK(vfio_map(t.c, stage, 0x100000, PAGE, RW), "static page");
	sh->fd[i] = t.c;
	srandom(100 + i);
	while (!sh->stop[i]) {
		uint64_t page = random() % 512;

		switch (n++ % 4) {
		case 0:
			edu_dma(&t.d, IOVA + page * PAGE, 0, 256, n & 1);
			sh->dmas[i]++;
			break;
		case 1:
		case 2:
			iopf_inject_group(t.c, -1, IOVA + page * PAGE, PAGE, 32,
					  VFIO_IOPF_TEST_PERM_READ, VFIO_IOPF_TEST_INJECT_WAIT);
			break;
		default:
			if (n % 16 == 3) {
				vfio_unmap(t.c, IOVA, 512 * PAGE);
				vfio_map(t.c, t.buf, IOVA, 512 * PAGE, IOPF_RW);
			}
		}
		if (!iopf_stats(t.c, &st))
			sh->faults[i] = st.faults;
	}
	ctr_close(&t);
	_exit(0);
}

KTEST_T(stress_two_devices, "two devices fault while policies swap, owners die and close", 600)
{
	static const char *const attach[] = { "window", "sequential", "" };
	struct shared *sh;
	long pins0, lck0;
	pid_t pid[2];
	int i, status;
	double end;
	struct timespec ts;

	unload_all();
	ASSERT_EQ(run(NULL, 0, "iopfctl load " OBJ("window") " -p window=8 && "
		      "iopfctl load " OBJ("sequential")), 0, "load");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(sh != MAP_FAILED, "shared page");
	memset((void *)sh, 0, sizeof(*sh));
	pins0 = pins_held();
	lck0 = proc_status_kb("VmLck:");

	for (i = 0; i < 2; i++) {
		sh->fd[i] = -1;
		pid[i] = fork();
		if (pid[i] == 0)
			owner(sh, i);
	}
	for (i = 0; i < 2; i++)
		while (sh->fd[i] < 0)
			usleep(10000);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec + 20;
	for (i = 0; ; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec >= end)
			break;
		if (i % 5 == 4) {
			/* Unregister under the faults; containers fall back. */
			run(NULL, 0, "iopfctl unload window; iopfctl load " OBJ("window")
			    " -p window=%d", 1 + i % 16);
		} else if (pid[0]) {
			run(NULL, 0, "iopfctl attach %s --container %d:%d 2>/dev/null || "
			    "iopfctl detach --container %d:%d", attach[i % 3], pid[0], sh->fd[0],
			    pid[0], sh->fd[0]);
		}
		run(NULL, 0, "iopfctl attach %s --container %d:%d 2>/dev/null || "
		    "iopfctl detach --container %d:%d", attach[(i + 1) % 3], pid[1], sh->fd[1],
		    pid[1], sh->fd[1]);
		if (i == 8 && pid[0]) {
			/* The owner dies with faults in flight. */
			kill(pid[0], SIGKILL);
			waitpid(pid[0], &status, 0);
			ASSERT_TRUE(WIFSIGNALED(status), "owner 0 killed");
			pid[0] = 0;
		}
		usleep(200000);
	}
	sh->stop[1] = 1;
	waitpid(pid[1], &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "owner 1 closed cleanly");

	ktest_metric("faults_survived", sh->faults[0] + sh->faults[1]);
	ktest_metric("device_dmas", sh->dmas[0] + sh->dmas[1]);
	ktest_metric("policy_swaps", i);
	ASSERT_GT(sh->faults[0] + sh->faults[1], 1000, "faults under stress");
	ASSERT_TRUE(file_has("/sys/kernel/vfio_iopf/containers", "") &&
		    !file_has("/sys/kernel/vfio_iopf/containers", " "), "no container remains");
	/* Pins of a killed owner go with its last file reference. */
	for (i = 0; i < 50 && pins_held() != pins0; i++)
		usleep(100000);
	ktest_diag("pins held: before %ld, after %ld (waited %d ms)", pins0, pins_held(), i * 100);
	ASSERT_EQ(pins_held(), pins0, "no pin remains");
	ASSERT_EQ(proc_status_kb("VmLck:"), lck0, "locked_vm back");
	unload_all();
}

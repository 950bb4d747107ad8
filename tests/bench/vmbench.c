// SPDX-License-Identifier: GPL-2.0
/*
 * iopf-vmbench: the VM-level half of `make bench`, run in a guest with
 * 4 GiB and one edu device per nested VM. Debian's unmodified QEMU boots
 * the payload OS (tests/vm/payload.c) with an edu device passed through;
 * the same VM runs pinned (plain type1: all RAM pinned at start) or on
 * I/O page faults (the `vm` policy bound by the admin maps QEMU's plain
 * MAP_DMA on fault, the device declared faultable). Prints CSV rows as
 * "csv:<table>:<row>", like iopf-bench. Variants alternate within each
 * round and tables report medians of rounds.
 *
 * Tables:
 *   vm_startup_raw  each boot: round, RAM, variant, seconds from QEMU
 *                   launch to the payload's first serial line, VmLck then
 *   vm_startup      per RAM size, the median start time without the
 *                   device, pinned and on fault, and the device's cost
 *   vm_startup_fit  the device's cost as fixed + slope x GiB (least
 *                   squares over the sizes), pinned and on fault
 *   vm_density      how many 1 GiB VMs, each with its own edu device, start
 *                   and finish a workload (CPU touches 10% of RAM, the
 *                   device DMAs random pages) in a 3 GiB memory cgroup
 *   vm_slowdown     a streaming DMA workload: time, replays per 1000 DMAs,
 *                   pinned against on fault (the vm policy's readahead)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm_util.h"

#define CG_PIN		"/sys/fs/cgroup/bench_pin"
#define CG_IOPF		"/sys/fs/cgroup/bench_iopf"
#define CG_IOPF64	"/sys/fs/cgroup/bench_iopf64"
#define CG_DENS_PIN	"/sys/fs/cgroup/dens_pin"
#define CG_DENS_IOPF	"/sys/fs/cgroup/dens_iopf"
#define DENS_MAX	"3G"
#define MAX_VMS		16

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st)
		fprintf(stderr, "# vmbench: '%s' failed (%d)\n", cmd, st);
	return st;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	double s[64];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The IOMMU group of a PCI device, or -1. */
static int iommu_group(const char *bdf)
{
	char path[320], link[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = '\0';
	return atoi(strrchr(link, '/') + 1);
}

/*
 * The edu devices bound to vfio-pci, sorted, one per IOMMU group: a VM
 * needs a group of its own.
 */
static int edu_devices(char bdf[][16], int max)
{
	int n, i, j, found = 0, groups[MAX_VMS];
	struct dirent **ents;

	n = scandir("/sys/bus/pci/drivers/vfio-pci", &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		int g = iommu_group(ents[i]->d_name);

		for (j = 0; j < found && groups[j] != g; j++)
			;
		if (ents[i]->d_name[0] == '0' && strlen(ents[i]->d_name) == 12 && g >= 0 &&
		    j == found && found < max) {
			groups[found] = g;
			snprintf(bdf[found++], 16, "%s", ents[i]->d_name);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	return found;
}

enum variant { NODEV, PINNED, ONFAULT, NR_VARIANTS };
static const char *const variant_names[] = { "no_device", "pinned", "on_fault" };

/* Boot to the first line; seconds, and VmLck then. -1 on failure. */
static double boot_once(const char *bdf, enum variant v, unsigned int mb, long *lck)
{
	struct vm_opts o = {
		.bdf = v == NODEV ? NULL : bdf,
		.mem_mb = mb,
		.append = "mode=idle hold=1",
		.cgroup = v == ONFAULT ? CG_IOPF : CG_PIN,
	};
	char line[256];
	struct vm vm;
	double t;

	*lck = -1;
	if (vm_start(&vm, &o))
		return -1;
	if (vm_expect(&vm, "payload: start", line, sizeof(line), 300)) {
		vm_kill(&vm);
		return -1;
	}
	t = vm.first_line_s;
	*lck = vm_status_kb(vm.pid, "VmLck:");
	vm_kill(&vm);
	return t;
}

static void bench_startup(const char *bdf, int rounds)
{
	static const unsigned int sizes[] = { 64, 1024, 2048 };
	const int ns = sizeof(sizes) / sizeof(sizes[0]);
	double t[3][NR_VARIANTS][16], cost[NR_VARIANTS][3];
	double sx = 0, sxx = 0;
	int r, s, v;
	long lck = -1;

	printf("csv:vm_startup_raw:round,ram_mb,variant,start_s,vmlck_kb\n");
	for (r = 0; r < rounds; r++)
		for (s = 0; s < ns; s++)
			for (v = 0; v < NR_VARIANTS; v++) {
				t[s][v][r] = boot_once(bdf, v, sizes[s], &lck);
				printf("csv:vm_startup_raw:%d,%u,%s,%.3f,%ld\n", r, sizes[s],
				       variant_names[v], t[s][v][r], lck);
				fflush(stdout);
			}
	printf("csv:vm_startup:ram_mb,no_device_s,pinned_s,on_fault_s,pinned_device_cost_s,"
	       "on_fault_device_cost_s\n");
	for (s = 0; s < ns; s++) {
		double m[NR_VARIANTS];

		for (v = 0; v < NR_VARIANTS; v++)
			m[v] = median(t[s][v], rounds);
		cost[PINNED][s] = m[PINNED] - m[NODEV];
		cost[ONFAULT][s] = m[ONFAULT] - m[NODEV];
		printf("csv:vm_startup:%u,%.2f,%.2f,%.2f,%.2f,%.2f\n", sizes[s], m[NODEV],
		       m[PINNED], m[ONFAULT], cost[PINNED][s], cost[ONFAULT][s]);
	}
	/* Least squares: cost = fixed + slope * GiB. */
	for (s = 0; s < ns; s++) {
		sx += sizes[s] / 1024.0;
		sxx += (sizes[s] / 1024.0) * (sizes[s] / 1024.0);
	}
	printf("csv:vm_startup_fit:variant,fixed_s,slope_s_per_gib\n");
	{
		double slope[NR_VARIANTS] = {}, fixed[NR_VARIANTS] = {};

		for (v = PINNED; v <= ONFAULT; v++) {
			double sy = 0, sxy = 0;

			for (s = 0; s < ns; s++) {
				sy += cost[v][s];
				sxy += sizes[s] / 1024.0 * cost[v][s];
			}
			slope[v] = (ns * sxy - sx * sy) / (ns * sxx - sx * sx);
			fixed[v] = (sy - slope[v] * sx) / ns;
			printf("csv:vm_startup_fit:%s,%.2f,%.3f\n", variant_names[v], fixed[v],
			       slope[v]);
		}
		printf("csv:vm_targets:figure,value,goal,met\n");
		printf("csv:vm_targets:on-fault slope / pinned slope,%.3f,<= 0.1,%s\n",
		       slope[ONFAULT] / slope[PINNED],
		       slope[ONFAULT] / slope[PINNED] <= 0.1 ? "yes" : "no");
	}
	fflush(stdout);
}

/* Is the VM's QEMU still running? */
static bool vm_alive(struct vm *vm)
{
	int st;

	if (vm->status >= 0)
		return false;
	if (waitpid(vm->pid, &st, WNOHANG) == vm->pid) {
		vm->status = st;
		return false;
	}
	return true;
}

/*
 * Start 1 GiB VMs one after another, each kept running once its workload
 * finished, until one fails (or the memory cgroup's OOM killer takes one
 * that had finished) or the devices run out. *finished counts the VMs
 * that finished their workload while all the VMs before them still ran:
 * how many ran together.
 */
static void bench_density(char bdf[][16], int ndev, const char *cgroup, const char *name,
			  int *started, int *finished)
{
	struct vm vms[MAX_VMS];
	long long mem;
	char line[256];
	int i, n = 0, done = 0;

	*started = *finished = 0;
	sh("echo %s > %s/memory.max", DENS_MAX, cgroup);
	for (i = 0; i < ndev && i < MAX_VMS; i++) {
		struct vm_opts o = {
			.bdf = bdf[i], .mem_mb = 1024, .cgroup = cgroup,
			.append = "mode=random mib=200 dmas=24 touch=10 hold=1",
		};
		char path[128];
		FILE *f;

		if (vm_start(&vms[n], &o))
			break;
		n++;
		if (vm_expect(&vms[n - 1], "payload: start", line, sizeof(line), 300))
			break;
		(*started)++;
		if (vm_expect(&vms[n - 1], "payload: mode=", line, sizeof(line), 600) ||
		    payload_val(line, "errors") != 0)
			break;
		for (int j = 0; j < n; j++)
			if (!vm_alive(&vms[j]))
				goto out;
		done++;
		snprintf(path, sizeof(path), "%s/memory.current", cgroup);
		f = fopen(path, "r");
		mem = -1;
		if (f && fscanf(f, "%lld", &mem) != 1)
			mem = -1;
		if (f)
			fclose(f);
		printf("csv:vm_density_raw:%s,%d,%lld,%ld\n", name, done, mem >> 20,
		       vm_status_kb(vms[n - 1].pid, "VmLck:"));
		fflush(stdout);
	}
out:
	/* Each finished VM was counted only while all before it still ran. */
	*finished = done;
	for (i = 0; i < n; i++)
		vm_kill(&vms[i]);
}

/*
 * Pinned, then on fault with the vm policy as loaded (readahead from one
 * page) and with min_window=64 (readahead from 64 pages: fewer faults on a
 * stream, more pages on a random one).
 */
static const char *const slow_names[] = { "pinned", "on_fault", "on_fault_min64" };
static const char *const slow_cgroups[] = { CG_PIN, CG_IOPF, CG_IOPF64 };
#define NR_SLOW	3

static void bench_slowdown(const char *bdf, int rounds)
{
	double t[NR_SLOW][16], rp[NR_SLOW][16];
	/* 200 payload ops, each a verified round trip of 2 DMAs. */
	const int dmas = 400;
	int r, v;

	printf("csv:vm_slowdown_raw:round,variant,workload_s,dmas,replayed_round_trips\n");
	for (r = 0; r < rounds; r++)
		for (v = 0; v < NR_SLOW; v++) {
			struct vm_opts o = {
				.bdf = bdf, .mem_mb = 256, .cgroup = slow_cgroups[v],
				.append = "mode=stream mib=16 dmas=200",
			};
			char line[256];
			struct vm vm;
			double t0;

			t[v][r] = -1;
			rp[v][r] = -1;
			if (vm_start(&vm, &o))
				continue;
			if (!vm_expect(&vm, "payload: start", line, sizeof(line), 300)) {
				t0 = vm_elapsed(&vm.t0);
				if (!vm_expect(&vm, "payload: mode=", line, sizeof(line), 900) &&
				    !payload_val(line, "errors")) {
					t[v][r] = vm_elapsed(&vm.t0) - t0;
					rp[v][r] = payload_val(line, "replays");
				}
			}
			vm_kill(&vm);
			printf("csv:vm_slowdown_raw:%d,%s,%.2f,%d,%.0f\n", r, slow_names[v],
			       t[v][r], dmas, rp[v][r]);
			fflush(stdout);
		}
	printf("csv:vm_slowdown:variant,workload_s,ratio,replays_per_1000_dmas\n");
	for (v = 0; v < NR_SLOW; v++)
		printf("csv:vm_slowdown:%s,%.2f,%.3f,%.1f\n", slow_names[v], median(t[v], rounds),
		       median(t[v], rounds) / median(t[0], rounds),
		       median(rp[v], rounds) * 1000 / dmas);
	for (v = 1; v < NR_SLOW; v++) {
		double ratio = median(t[v], rounds) / median(t[0], rounds);
		double rpk = median(rp[v], rounds) * 1000 / dmas;

		printf("csv:vm_targets:%s slowdown,%.3f,<= 1.05,%s\n", slow_names[v], ratio,
		       ratio <= 1.05 ? "yes" : "no");
		printf("csv:vm_targets:%s replays per 1000 DMAs,%.1f,<= 5,%s\n", slow_names[v],
		       rpk, rpk <= 5 ? "yes" : "no");
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char bdf[MAX_VMS][16];
	int ndev, rounds = argc > 1 ? atoi(argv[1]) : 3;
	int s[2], f[2];

	if (rounds < 1 || rounds > 16)
		rounds = 3;
	if (!vm_available()) {
		fprintf(stderr, "vmbench: no nested QEMU or payload\n");
		return 1;
	}
	ndev = edu_devices(bdf, MAX_VMS);
	if (ndev < 1) {
		fprintf(stderr, "vmbench: no edu device bound to vfio-pci\n");
		return 1;
	}
	if (sh("echo 1234:11e8 > /sys/kernel/vfio_iopf/faultable") ||
	    sh("iopfctl load /lib/iopf/vm.bpf.o >/dev/null") ||
	    sh("iopfctl load /lib/iopf/vm.bpf.o --name vmu -p unpinned=1 >/dev/null") ||
	    sh("iopfctl load /lib/iopf/vm.bpf.o --name vm64 -p min_window=64 >/dev/null") ||
	    sh("echo +memory > /sys/fs/cgroup/cgroup.subtree_control") ||
	    sh("mkdir -p %s %s %s %s %s", CG_PIN, CG_IOPF, CG_IOPF64, CG_DENS_PIN, CG_DENS_IOPF) ||
	    sh("iopfctl attach vm --cgroup %s >/dev/null", CG_IOPF) ||
	    sh("iopfctl attach vm64 --cgroup %s >/dev/null", CG_IOPF64) ||
	    sh("iopfctl attach vmu --cgroup %s >/dev/null", CG_DENS_IOPF))
		return 1;

	bench_startup(bdf[0], rounds);
	bench_slowdown(bdf[0], rounds > 2 ? 2 : rounds);

	printf("csv:vm_density_raw:variant,vms,cgroup_mib,vmlck_kb\n");
	bench_density(bdf, ndev, CG_DENS_PIN, "pinned", &s[0], &f[0]);
	bench_density(bdf, ndev, CG_DENS_IOPF, "on_fault_unpinned", &s[1], &f[1]);
	printf("csv:vm_density:variant,edu_devices,vms_started,vms_together,memory_max\n");
	printf("csv:vm_density:pinned,%d,%d,%d,%s\n", ndev, s[0], f[0], DENS_MAX);
	printf("csv:vm_density:on_fault_unpinned,%d,%d,%d,%s\n", ndev, s[1], f[1], DENS_MAX);
	printf("csv:vm_targets:density on fault / pinned,%.2f,>= 4,%s\n",
	       f[0] ? (double)f[1] / f[0] : 0.0, f[1] >= 4 * f[0] ? "yes" : "no");
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * iopf-bench: guest side of `make bench`. Prints CSV rows as
 * "csv:<table>:<row>" (the first row of a table is its header); the host
 * (tests/bench/bench.sh) collects them into results/<table>.csv.
 *
 * Everything compared is measured side by side in one run, alternating
 * between the variants each round, and reported as the median of rounds:
 * the machines are noisy and QEMU runs under TCG.
 *
 * Tables:
 *   inject_vs_eager  cost per page of resolving injected faults (pin + map
 *                    on fault) against eager VFIO_IOMMU_MAP_DMA of the same
 *                    pages, with the fault and page counts.
 *   policy_injection every workload x every policy through the injection
 *                    path: faults, pages touched / mapped / wasted, time per
 *                    fault and per page. A page faults only if it is not
 *                    mapped, as on a device.
 *   policy_edu       a smaller run of workloads x policies on the edu
 *                    device: DMAs, device-visible retries, faults, pages.
 *   bpf_vs_builtin   the built-in default against bpf/bare (the same
 *                    decisions, the same work) and bpf/default (plus its
 *                    statistics), interleaved over 31 rounds: the cost of
 *                    the BPF call, as the median ratio and its 95%
 *                    confidence interval, and the policy's share of a fault.
 *   fault_phases     where a fault's time goes (the time capability), per
 *                    policy, one fault at a time and in bursts.
 *   fault_cost       ns per 1-page fault of the built-in policy, one at a
 *                    time and in bursts, median of 31 rounds: the rows of
 *                    this kernel, labelled by iopf.label= (make bench
 *                    BENCH_BASE=REV boots the series of REV too).
 *   memory           a workload touching 10% of a 1 GiB mapping: memory
 *                    pinned, in locked_vm and reclaimable under static
 *                    pinning, IOPF pinned (built-in) and IOPF unpinned.
 *   targets          the figures the project reports against.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfio_util.h"
#include "iopf_util.h"

#define ROUNDS		5
#define CI_ROUNDS	31	/* rounds of the comparisons that give a CI */
#define IOVA		0x1000000ULL
#define NPAGES		16384		/* 64 MiB mapping */
#define EDU_PAGES	256

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double pct(double *v, int n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(int)(p * (n - 1) + 0.5)];
}

/*
 * Distribution-free 95% confidence interval of the median of @n samples:
 * the order statistics k and n + 1 - k (1-based) with the largest k such
 * that P(Binomial(n, 1/2) < k) <= 2.5%.
 */
static void median_ci(double *v, int n, double *lo, double *hi)
{
	double p = 1.0 / (1ULL << n), cum = 0, c = 1;
	int k = 0;

	qsort(v, n, sizeof(*v), cmp_double);
	/* cum = P(X <= k - 1); c = C(n, k) */
	while (k < n / 2 && cum + c * p <= 0.025) {
		cum += c * p;
		c = c * (n - k) / (k + 1);
		k++;
	}
	if (!k)
		k = 1;
	*lo = v[k - 1];
	*hi = v[n - k];
}

/* What /proc/cmdline says of @key (iopf.bench=, iopf.label=), or @def. */
static const char *cmdline_arg(const char *key, const char *def)
{
	static char line[4096];
	static char val[2][256];
	static int slot;
	char *p, *e;
	FILE *f;

	f = fopen("/proc/cmdline", "r");
	if (!f)
		return def;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	for (p = strtok(line, " \n"); p; p = strtok(NULL, " \n")) {
		if (strncmp(p, key, strlen(key)) || p[strlen(key)] != '=')
			continue;
		e = val[slot++ % 2];
		snprintf(e, sizeof(val[0]), "%s", p + strlen(key) + 1);
		return e;
	}
	return def;
}

/* Is section @name asked for? All are, unless iopf.bench= names some. */
static bool section(const char *name)
{
	const char *list = cmdline_arg("iopf.bench", NULL);
	size_t len = strlen(name);
	const char *p;

	if (!list)
		return true;
	for (p = list; (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
	return false;
}

/* Eager MAP_DMA cost per page for 4096 pages, for the targets table. */
static double eager_ns_per_page_4096;

static int die(const char *what, int err)
{
	fprintf(stderr, "iopf-bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

static int bench_inject_vs_eager(int c)
{
	static const unsigned int sizes[] = { 64, 256, 1024, 4096 };
	double eager[ROUNDS], iopf[ROUNDS], t0;
	iopf_stats_t st0, st1;
	unsigned int s, r;
	uint8_t *buf;
	int ret;

	printf("csv:inject_vs_eager:pages,eager_ns_per_page,iopf_ns_per_page,ratio,"
	       "faults,pages_mapped,pages_pinned\n");
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		unsigned int n = sizes[s];

		/* Populated memory: both variants pin pages that exist. */
		buf = alloc_pages_fill(n * PAGE, 1);
		if (!buf)
			return die("alloc", -ENOMEM);
		for (r = 0; r < ROUNDS; r++) {
			t0 = now_ns();
			ret = vfio_map(c, buf, IOVA, n * PAGE, RW);
			eager[r] = (now_ns() - t0) / n;
			if (ret || vfio_unmap(c, IOVA, n * PAGE))
				return die("eager map", ret);

			ret = vfio_map(c, buf, IOVA, n * PAGE, IOPF_RW);
			if (ret)
				return die("IOPF map", ret);
			iopf_stats(c, &st0);
			t0 = now_ns();
			ret = iopf_inject(c, IOVA, PAGE, n, VFIO_IOPF_TEST_PERM_READ);
			iopf[r] = (now_ns() - t0) / n;
			iopf_stats(c, &st1);
			if (ret || vfio_unmap(c, IOVA, n * PAGE))
				return die("inject", ret);
		}
		if (n == 4096)
			eager_ns_per_page_4096 = median(eager, ROUNDS);
		printf("csv:inject_vs_eager:%u,%.0f,%.0f,%.3f,%llu,%llu,%llu\n", n,
		       median(eager, ROUNDS), median(iopf, ROUNDS),
		       median(iopf, ROUNDS) / median(eager, ROUNDS),
		       (unsigned long long)(st1.faults - st0.faults),
		       (unsigned long long)(st1.pages_mapped_total - st0.pages_mapped_total),
		       (unsigned long long)st1.pages_pinned);
		fprintf(stderr, "iopf-bench: inject_vs_eager: %u pages done\n", n);
		munmap(buf, n * PAGE);
	}
	return 0;
}

/* ---- workloads: page-access sequences ---- */

enum { W_SEQ, W_RANDOM, W_STRIDE, W_HOTCOLD, W_RINGBULK, NR_WORKLOADS };
static const char *const wl_names[] = {
	"sequential", "random", "strided", "hot_cold", "ring_bulk",
};

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Fill @seq with the pages a workload touches over @n pages; returns length. */
static size_t workload(int w, uint32_t *seq, size_t n, size_t max)
{
	size_t i, len = 0;

	rng = 12345 + w;
	switch (w) {
	case W_SEQ:
		for (i = 0; i < n && len < max; i++)
			seq[len++] = i;
		break;
	case W_RANDOM:
		for (i = 0; i < n / 4 && len < max; i++)
			seq[len++] = rnd() % n;
		break;
	case W_STRIDE:
		for (i = 0; i < n && len < max; i += 4)
			seq[len++] = i;
		break;
	case W_HOTCOLD:
		/* 90% of accesses to the first 10% of pages. */
		for (i = 0; i < n / 2 && len < max; i++)
			seq[len++] = rnd() % 10 ? rnd() % (n / 10) : n / 10 + rnd() % (n - n / 10);
		break;
	case W_RINGBULK:
		/* A 16-page ring touched between every 8 pages of a stream. */
		for (i = 16; i < n && len < max; i++) {
			seq[len++] = i;
			if (i % 8 == 0 && len < max)
				seq[len++] = rnd() % 16;
		}
		break;
	}
	return len;
}

/* ---- policies ---- */

struct pol {
	const char *label;	/* column in the tables */
	const char *name;	/* registered name, NULL: built-in; "static": MAP_DMA */
	const char *load;	/* iopfctl load arguments */
};

static const struct pol pols[] = {
	{ "static_pin", "static", NULL },
	{ "builtin", NULL, NULL },
	{ "bpf_default", "default", "/lib/iopf/default.bpf.o" },
	{ "window_4", "window", "/lib/iopf/window.bpf.o -p window=4" },
	{ "window_16", "window", "/lib/iopf/window.bpf.o -p window=16" },
	{ "window_64", "window", "/lib/iopf/window.bpf.o -p window=64" },
	{ "window_512", "window", "/lib/iopf/window.bpf.o -p window=512" },
	{ "sequential", "sequential", "/lib/iopf/sequential.bpf.o" },
	{ "stride", "stride", "/lib/iopf/stride.bpf.o" },
	{ "density", "density", "/lib/iopf/density.bpf.o" },
	{ "budget_1k", "budget", "/lib/iopf/budget.bpf.o -p budget=1024 -p window=16" },
};
#define NR_POLS (sizeof(pols) / sizeof(pols[0]))

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

static int pol_load(const struct pol *p)
{
	if (!p->load)
		return 0;
	if (sh("iopfctl load %s >/dev/null", p->load))
		return die(p->label, -EINVAL);
	return 0;
}

static void pol_unload(const struct pol *p)
{
	if (p->load)
		sh("iopfctl unload %s >/dev/null", p->name);
}

static int pol_bind(int c, const struct pol *p)
{
	return iopf_set_policy(c, p->name ? p->name : "");
}

struct cell {
	uint64_t faults, touched, mapped, pinned, failed;
	double ns;		/* kernel handling time (stats time_ns) */
	double wall_ns;		/* inject ioctl and wait, as seen from userspace */
	uint64_t dmas, retries;	/* edu */
};

/* Distinct pages of a sequence. */
static uint64_t distinct(const uint32_t *seq, size_t len, size_t n)
{
	uint8_t *seen = calloc(n, 1);
	uint64_t d = 0;
	size_t i;

	for (i = 0; i < len; i++)
		if (!seen[seq[i]]++)
			d++;
	free(seen);
	return d;
}

/* One workload under one policy through the injection path. */
static int run_injection(int c, uint8_t *buf, const struct pol *p, const uint32_t *seq,
			 size_t len, struct cell *out)
{
	iopf_stats_t st0, st;
	size_t i;
	double t0;
	int ret;

	memset(out, 0, sizeof(*out));
	out->touched = distinct(seq, len, NPAGES);
	if (p->name && !strcmp(p->name, "static")) {
		t0 = now_ns();
		ret = vfio_map(c, buf, IOVA, NPAGES * PAGE, RW);
		out->ns = out->wall_ns = now_ns() - t0;
		out->mapped = out->pinned = NPAGES;
		return ret ? ret : vfio_unmap(c, IOVA, NPAGES * PAGE);
	}
	ret = vfio_map(c, buf, IOVA, NPAGES * PAGE, IOPF_RW);
	if (ret)
		return ret;
	ret = pol_bind(c, p);
	iopf_stats(c, &st0);
	for (i = 0; !ret && i < len; i++) {
		uint64_t iova = IOVA + (uint64_t)seq[i] * PAGE;

		if (iopf_query(c, iova) & VFIO_IOPF_TEST_MAPPED)
			continue;
		t0 = now_ns();
		ret = iopf_inject(c, iova, PAGE, 1, VFIO_IOPF_TEST_PERM_READ);
		out->wall_ns += now_ns() - t0;
		out->faults++;
	}
	iopf_stats(c, &st);
	out->ns = st.time_ns - st0.time_ns;
	out->mapped = st.pages_mapped;
	out->pinned = st.pages_pinned;
	out->failed = st.failed;
	pol_bind(c, &pols[1]);
	if (!ret)
		ret = vfio_unmap(c, IOVA, NPAGES * PAGE);
	return ret;
}

static void print_injection_row(int w, const struct pol *p, const struct cell *r)
{
	uint64_t waste = r->mapped > r->touched ? r->mapped - r->touched : 0;

	printf("csv:policy_injection:%s,%s,%llu,%llu,%llu,%llu,%llu,%.1f,%.0f,%.0f,%.0f\n",
	       wl_names[w], p->label, (unsigned long long)r->faults,
	       (unsigned long long)r->touched, (unsigned long long)r->mapped,
	       (unsigned long long)r->pinned, (unsigned long long)waste,
	       r->touched ? 100.0 * waste / r->touched : 0.0,
	       r->faults ? r->ns / r->faults : 0.0, r->mapped ? r->ns / r->mapped : 0.0,
	       r->faults ? r->wall_ns / r->faults / 1000 : 0.0);
}

static struct cell inj[NR_WORKLOADS][NR_POLS];

static int bench_policies(int c)
{
	uint32_t *seq = malloc(NPAGES * 2 * sizeof(*seq));
	uint8_t *buf = alloc_pages_fill(NPAGES * PAGE, 1);
	size_t len, pi;
	int w, ret;

	if (!seq || !buf)
		return die("alloc", -ENOMEM);
	printf("csv:policy_injection:workload,policy,faults,pages_touched,pages_mapped,"
	       "pages_pinned,wasted,pinned_over_touched_pct,kernel_ns_per_fault,"
	       "kernel_ns_per_page,wall_us_per_fault\n");
	for (pi = 0; pi < NR_POLS; pi++) {
		if (pol_load(&pols[pi]))
			return 1;
		for (w = 0; w < NR_WORKLOADS; w++) {
			len = workload(w, seq, NPAGES, NPAGES * 2);
			ret = run_injection(c, buf, &pols[pi], seq, len, &inj[w][pi]);
			if (ret)
				return die(pols[pi].label, ret);
			print_injection_row(w, &pols[pi], &inj[w][pi]);
		}
		pol_unload(&pols[pi]);
		fprintf(stderr, "iopf-bench: policy_injection: %s done\n", pols[pi].label);
	}
	free(seq);
	munmap(buf, NPAGES * PAGE);
	return 0;
}

static const struct pol bare = { "bpf_bare", "bare", "/lib/iopf/bare.bpf.o" };

/* The time capability, or zeros on a kernel without it. */
static void times_of(int c, iopf_times_t *t)
{
	if (iopf_times(c, t))
		memset(t, 0, sizeof(*t));
}

/* A capability's u64 counters after its header: @now becomes now - @then. */
static void cap_since(void *now, const void *then, size_t size)
{
	uint64_t a, b;
	size_t off;

	for (off = sizeof(struct vfio_info_cap_header); off + 8 <= size; off += 8) {
		memcpy(&a, (char *)now + off, 8);
		memcpy(&b, (const char *)then + off, 8);
		a -= b;
		memcpy((char *)now + off, &a, 8);
	}
}

/*
 * Inject @n faults on fresh pages of @buf mapped at IOVA, one at a time
 * (@burst false: each answered before the next) or in one burst; give the
 * kernel's handling time per fault, the wall time per fault, and the
 * counters' growth.
 */
static int fault_run(int c, uint8_t *buf, unsigned int n, bool burst,
		     const struct pol *p, double *ns, double *wall,
		     iopf_stats_t *dst, iopf_times_t *dt)
{
	iopf_stats_t s0, s1;
	iopf_times_t t0, t1;
	unsigned int i;
	double w0;
	int ret;

	ret = vfio_map(c, buf, IOVA, n * PAGE, IOPF_RW) ?: pol_bind(c, p);
	if (ret)
		return ret;
	iopf_stats(c, &s0);
	times_of(c, &t0);
	w0 = now_ns();
	if (burst)
		ret = iopf_inject(c, IOVA, PAGE, n, VFIO_IOPF_TEST_PERM_READ);
	for (i = 0; !burst && !ret && i < n; i++)
		ret = iopf_inject(c, IOVA + (uint64_t)i * PAGE, PAGE, 1,
				  VFIO_IOPF_TEST_PERM_READ);
	*wall = (now_ns() - w0) / n;
	iopf_stats(c, &s1);
	times_of(c, &t1);
	if (!ret && s1.faults - s0.faults != n)
		ret = -EIO;
	if (vfio_unmap(c, IOVA, n * PAGE) && !ret)
		ret = -EIO;
	if (ret)
		return ret;
	*ns = (double)(s1.time_ns - s0.time_ns) / n;
	if (dst) {
		cap_since(&s1, &s0, sizeof(s1));
		*dst = s1;
	}
	if (dt) {
		cap_since(&t1, &t0, sizeof(t1));
		*dt = t1;
	}
	return 0;
}

/*
 * The built-in C default against bpf/bare (the same decisions, the same
 * work) and bpf/default (plus its per-CPU statistics in fault() and
 * done()), interleaved round by round: kernel handling time per fault,
 * one fault at a time. The ratio is taken per round; its median and the
 * 95% confidence interval of the median are reported.
 */
static int bench_bpf_vs_builtin(int c, double *ratio_out, double *ci_out,
				double *share_out)
{
	const struct pol *v[3] = { &pols[1], &bare, &pols[2] };
	double t[3][CI_ROUNDS], r1[CI_ROUNDS], r2[CI_ROUNDS], wall, lo, hi;
	const unsigned int n = 256;
	uint8_t *buf = alloc_pages_fill(n * PAGE, 1);
	uint64_t pol_ns[3] = {}, all_ns[3] = {};
	iopf_times_t dt;
	iopf_stats_t ds;
	int r, k, ret;

	if (!buf || pol_load(&pols[2]) || pol_load(&bare))
		return die("bpf_vs_builtin setup", -EINVAL);
	printf("csv:bpf_vs_builtin_rounds:round,builtin_ns_per_fault,bare_ns_per_fault,"
	       "default_ns_per_fault,bare_ratio,default_ratio\n");
	for (r = 0; r < CI_ROUNDS; r++) {
		/* Rotate the order, so that no variant always runs first. */
		for (k = 0; k < 3; k++) {
			int j = (k + r) % 3;

			ret = fault_run(c, buf, n, false, v[j], &t[j][r], &wall, &ds, &dt);
			if (ret)
				return die("bpf_vs_builtin inject", ret);
			pol_ns[j] += dt.policy_ns;
			all_ns[j] += ds.time_ns;
		}
		r1[r] = t[1][r] / t[0][r];
		r2[r] = t[2][r] / t[0][r];
		printf("csv:bpf_vs_builtin_rounds:%d,%.0f,%.0f,%.0f,%.3f,%.3f\n", r,
		       t[0][r], t[1][r], t[2][r], r1[r], r2[r]);
	}
	pol_bind(c, &pols[1]);
	pol_unload(&pols[2]);
	pol_unload(&bare);
	printf("csv:bpf_vs_builtin:variant,median_ns_per_fault,ratio_median,ratio_ci95_low,"
	       "ratio_ci95_high,policy_share_pct\n");
	printf("csv:bpf_vs_builtin:builtin,%.0f,1.000,1.000,1.000,%.2f\n",
	       median(t[0], CI_ROUNDS), all_ns[0] ? 100.0 * pol_ns[0] / all_ns[0] : 0);
	*ratio_out = median(r1, CI_ROUNDS);
	median_ci(r1, CI_ROUNDS, &lo, &hi);
	ci_out[0] = lo;
	ci_out[1] = hi;
	*share_out = all_ns[1] ? 100.0 * pol_ns[1] / all_ns[1] : 0;
	printf("csv:bpf_vs_builtin:bpf_bare,%.0f,%.3f,%.3f,%.3f,%.2f\n",
	       median(t[1], CI_ROUNDS), *ratio_out, lo, hi, *share_out);
	median_ci(r2, CI_ROUNDS, &lo, &hi);
	printf("csv:bpf_vs_builtin:bpf_default,%.0f,%.3f,%.3f,%.3f,%.2f\n",
	       median(t[2], CI_ROUNDS), median(r2, CI_ROUNDS), lo, hi,
	       all_ns[2] ? 100.0 * pol_ns[2] / all_ns[2] : 0);
	munmap(buf, n * PAGE);
	return 0;
}

/* Where a fault's time goes, per policy, one at a time and in bursts. */
static int bench_phases(int c)
{
	const struct pol *ps[] = { &pols[1], &pols[2], &pols[4], &pols[6], &pols[7], &bare };
	const unsigned int n = 1024;
	uint8_t *buf = alloc_pages_fill(n * PAGE, 1);
	double ns, wall;
	iopf_times_t dt;
	iopf_stats_t ds;
	size_t k;
	int burst, ret;

	if (!buf)
		return die("alloc", -ENOMEM);
	printf("csv:fault_phases:policy,mode,faults,batches,groups_per_batch,queue_ns,"
	       "lookup_ns,policy_ns,pin_ns,map_ns,sync_ns,response_ns,handling_ns,"
	       "pages_mapped\n");
	for (k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		const struct pol *p = ps[k];

		if (pol_load(p))
			return 1;
		for (burst = 0; burst < 2; burst++) {
			ret = fault_run(c, buf, burst ? n : n / 4, burst, p, &ns, &wall,
					&ds, &dt);
			if (ret)
				return die("fault_phases inject", ret);
			/* Per fault: the batch phases spread over their faults. */
#define PF(x) (ds.faults ? (double)(x) / ds.faults : 0)
			printf("csv:fault_phases:%s,%s,%llu,%llu,%.1f,%.0f,%.0f,%.0f,%.0f,%.0f,"
			       "%.0f,%.0f,%.0f,%llu\n", p->label, burst ? "burst" : "single",
			       (unsigned long long)ds.faults, (unsigned long long)dt.batches,
			       dt.batches ? (double)dt.batch_groups / dt.batches : 0,
			       PF(dt.queue_ns), PF(dt.lookup_ns), PF(dt.policy_ns),
			       PF(dt.pin_ns), PF(dt.map_ns), PF(dt.sync_ns),
			       PF(dt.response_ns), PF(ds.time_ns),
			       (unsigned long long)ds.pages_mapped_total);
#undef PF
		}
		pol_unload(p);
		fprintf(stderr, "iopf-bench: fault_phases: %s done\n", p->label);
	}
	pol_bind(c, &pols[1]);
	munmap(buf, n * PAGE);
	return 0;
}

/*
 * ns per 1-page fault of the built-in policy, one fault at a time and in
 * bursts of 1024, 31 rounds each: the kernel's handling time (time_ns)
 * and the wall time of the injection. Labelled with iopf.label=, so that
 * bench.sh can put two kernels side by side.
 */
static int bench_fault_cost(int c)
{
	const char *label = cmdline_arg("iopf.label", "this");
	double ns[2][CI_ROUNDS], wall[2][CI_ROUNDS];
	const unsigned int n[2] = { 256, 1024 };
	uint8_t *buf = alloc_pages_fill(n[1] * PAGE, 1);
	int r, m, ret;

	if (!buf)
		return die("alloc", -ENOMEM);
	for (r = 0; r < CI_ROUNDS; r++) {
		for (m = 0; m < 2; m++) {
			ret = fault_run(c, buf, n[m], m, &pols[1], &ns[m][r], &wall[m][r],
					NULL, NULL);
			if (ret)
				return die("fault_cost inject", ret);
		}
	}
	printf("csv:fault_cost:kernel,mode,rounds,median_ns_per_fault,p25_ns,p75_ns,"
	       "median_wall_ns_per_fault\n");
	for (m = 0; m < 2; m++)
		printf("csv:fault_cost:%s,%s,%d,%.0f,%.0f,%.0f,%.0f\n", label,
		       m ? "burst" : "single", CI_ROUNDS, median(ns[m], CI_ROUNDS),
		       pct(ns[m], CI_ROUNDS, 0.25), pct(ns[m], CI_ROUNDS, 0.75),
		       median(wall[m], CI_ROUNDS));
	munmap(buf, n[1] * PAGE);
	return 0;
}

/* A smaller run on the edu device: what the device sees. */
static int bench_edu(int c, struct vfio_dev *d)
{
	static const int wls[] = { W_SEQ, W_RANDOM, W_STRIDE };
	static const size_t pis[] = { 1, 3, 5, 7, 9 };
	uint8_t *buf = alloc_pages_fill(EDU_PAGES * PAGE, 1);
	uint32_t seq[EDU_PAGES];
	iopf_stats_t st0, st;
	size_t len, i, k;
	unsigned int w;
	int ret;

	if (!buf)
		return die("alloc", -ENOMEM);
	printf("csv:policy_edu:workload,policy,dmas,device_retries,faults,pages_mapped\n");
	for (k = 0; k < sizeof(pis) / sizeof(pis[0]); k++) {
		const struct pol *p = &pols[pis[k]];

		if (pol_load(p))
			return 1;
		for (w = 0; w < sizeof(wls) / sizeof(wls[0]); w++) {
			uint64_t dmas = 0, retries = 0;

			len = workload(wls[w], seq, EDU_PAGES, 48);
			ret = vfio_map(c, buf, IOVA, EDU_PAGES * PAGE, IOPF_RW) ?: pol_bind(c, p);
			if (ret)
				return die("edu map", ret);
			iopf_stats(c, &st0);
			for (i = 0; i < len; i++) {
				uint64_t iova = IOVA + (uint64_t)seq[i] * PAGE;
				bool mapped = iopf_query(c, iova) & VFIO_IOPF_TEST_MAPPED;

				dmas++;
				if (edu_dma(d, iova, 0, 64, false))
					return die("edu dma", -ETIMEDOUT);
				if (mapped)
					continue;
				/* It faulted: wait for the page, then retry, as a device does. */
				if (!iopf_wait_mapped(c, iova))
					continue;
				dmas++;
				retries++;
				if (edu_dma(d, iova, 0, 64, false))
					return die("edu dma", -ETIMEDOUT);
			}
			iopf_stats(c, &st);
			printf("csv:policy_edu:%s,%s,%llu,%llu,%llu,%llu\n", wl_names[wls[w]],
			       p->label, (unsigned long long)dmas, (unsigned long long)retries,
			       (unsigned long long)(st.faults - st0.faults),
			       (unsigned long long)st.pages_mapped);
			pol_bind(c, &pols[1]);
			vfio_unmap(c, IOVA, EDU_PAGES * PAGE);
		}
		pol_unload(p);
		fprintf(stderr, "iopf-bench: policy_edu: %s done\n", p->label);
	}
	munmap(buf, EDU_PAGES * PAGE);
	return 0;
}

/* 10% of a 1 GiB mapping: what each approach pins and leaves reclaimable. */
static int bench_memory(int c)
{
	const uint64_t size = 1ULL << 30, npages = size / PAGE, stride = 10;
	const uint32_t touched = npages / stride;
	static const char *const how[] = { "static_pin", "iopf_pinned", "iopf_unpinned" };
	const struct pol unpinned = { "window_unpinned", "window", NULL };
	iopf_stats_t st;
	long lck0, lck;
	double t0, ms;
	uint8_t *buf;
	int k, ret;

	printf("csv:memory:approach,pages_in_mapping,pages_touched,pages_mapped,pages_pinned,"
	       "locked_vm_mib,reclaimable_mib,setup_ms\n");
	for (k = 0; k < 3; k++) {
		buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (buf == MAP_FAILED)
			return die("mmap 1 GiB", -errno);
		lck0 = proc_status_kb("VmLck:");
		memset(&st, 0, sizeof(st));
		if (k == 0) {
			t0 = now_ns();
			ret = vfio_map(c, buf, IOVA, size, RW);
			ms = (now_ns() - t0) / 1e6;
			if (ret)
				return die("static map 1 GiB", ret);
			st.pages_mapped = st.pages_pinned = npages;
		} else {
			if (k == 2 && sh("iopfctl load /lib/iopf/window.bpf.o -p window=1 "
					 "-p unpinned=1 >/dev/null"))
				return die("load window", -EINVAL);
			ret = vfio_map(c, buf, IOVA, size, IOPF_RW) ?:
			      pol_bind(c, k == 2 ? &unpinned : &pols[1]);
			if (ret)
				return die("IOPF map 1 GiB", ret);
			t0 = now_ns();
			ret = iopf_inject(c, IOVA, stride * PAGE, touched, VFIO_IOPF_TEST_PERM_WRITE);
			ms = (now_ns() - t0) / 1e6;
			if (ret)
				return die("inject", ret);
			iopf_stats(c, &st);
		}
		lck = proc_status_kb("VmLck:") - lck0;
		printf("csv:memory:%s,%llu,%llu,%llu,%llu,%.1f,%.1f,%.0f\n", how[k],
		       (unsigned long long)npages,
		       (unsigned long long)(k ? touched : npages),
		       (unsigned long long)st.pages_mapped,
		       (unsigned long long)st.pages_pinned, lck / 1024.0,
		       (st.pages_mapped - st.pages_pinned) * PAGE / 1048576.0, ms);
		pol_bind(c, &pols[1]);
		vfio_unmap(c, IOVA, size);
		if (k == 2)
			sh("iopfctl unload window >/dev/null");
		munmap(buf, size);
		fprintf(stderr, "iopf-bench: memory: %s done\n", how[k]);
	}
	return 0;
}

/* The targets of the sections that ran (@main: the policy tables). */
static void print_targets(bool main, bool bpf, double bpf_ratio, const double *ci,
			  double share)
{
	const struct cell *b = &inj[W_SEQ][1], *s = &inj[W_SEQ][7], *w512 = &inj[W_SEQ][6];
	double best_rand = 1e9;
	const char *best = "";
	size_t pi;

	for (pi = 1; pi < NR_POLS; pi++) {
		const struct cell *r = &inj[W_RANDOM][pi];
		double over = r->touched ? 100.0 * (r->pinned > r->touched ?
					r->pinned - r->touched : 0) / r->touched : 0;

		/* Among the policies that prefault at all. */
		if (pi >= 3 && over < best_rand) {
			best_rand = over;
			best = pols[pi].label;
		}
	}
	printf("csv:targets:target,measured,goal,met\n");
	if (bpf) {
		printf("csv:targets:bpf/bare vs built-in per fault (median of %d rounds; "
		       "95%% CI %.3f-%.3f),%.3fx,<= 1.02x,%s\n", CI_ROUNDS, ci[0], ci[1],
		       bpf_ratio, bpf_ratio <= 1.02 ? "yes" : "no");
		printf("csv:targets:policy call share of a fault (bpf/bare),%.2f%%,<= 2%%,%s\n",
		       share, share <= 2 ? "yes" : "no");
	}
	if (!main)
		return;
	printf("csv:targets:sequential faults builtin / sequential policy,%.1fx,>= 64x,%s\n",
	       s->faults ? (double)b->faults / s->faults : 0,
	       s->faults && b->faults >= 64 * s->faults ? "yes" : "no");
	printf("csv:targets:random pinned beyond touched (best prefaulting policy: %s),%.1f%%,<= 10%%,%s\n",
	       best, best_rand, best_rand <= 10 ? "yes" : "no");
	if (w512->mapped && eager_ns_per_page_4096 > 0) {
		double r = (w512->ns / w512->mapped) / eager_ns_per_page_4096;

		printf("csv:targets:fault-driven (window_512 kernel handling) vs eager MAP_DMA per page,%.2fx,<= 1.2x,%s\n",
		       r, r <= 1.2 ? "yes" : "no");
	}
}

int main(void)
{
	double bpf_ratio = 0, ci[2] = {}, share = 0;
	char bdfs[MAX_EDU][32];
	struct vfio_dev d;
	int c, ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (edu_find(bdfs, MAX_EDU) < 1)
		return die("no edu device", -ENODEV);
	c = vfio_container_open();
	if (c < 0)
		return die("container", c);
	ret = vfio_dev_open(&d, c, bdfs[0]);
	if (ret)
		return die("vfio_dev_open", ret);

	if (section("fault_cost"))
		ret = bench_fault_cost(c);
	if (!ret && section("phases"))
		ret = bench_phases(c);
	if (!ret && section("bpf_vs_builtin"))
		ret = bench_bpf_vs_builtin(c, &bpf_ratio, ci, &share);
	if (!ret && section("main"))
		ret = bench_inject_vs_eager(c) ?: bench_policies(c) ?:
		      bench_memory(c) ?: bench_edu(c, &d);
	if (!ret && (section("main") || section("bpf_vs_builtin")))
		print_targets(section("main"), section("bpf_vs_builtin"), bpf_ratio, ci,
			      share);

	vfio_dev_close(&d);
	close(c);
	return ret;
}

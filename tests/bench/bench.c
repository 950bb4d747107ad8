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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vfio_util.h"
#include "iopf_util.h"

#define ROUNDS		5
#define IOVA		0x1000000ULL

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

int main(void)
{
	char bdfs[MAX_EDU][32];
	struct vfio_dev d;
	int c, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (edu_find(bdfs, MAX_EDU) < 1)
		return die("no edu device", -ENODEV);
	c = vfio_container_open();
	if (c < 0)
		return die("container", c);
	ret = vfio_dev_open(&d, c, bdfs[0]);
	if (ret)
		return die("vfio_dev_open", ret);

	ret = bench_inject_vs_eager(c);

	vfio_dev_close(&d);
	close(c);
	return ret;
}

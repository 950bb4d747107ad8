// SPDX-License-Identifier: GPL-2.0
/* ktest: see ktest.h. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ktest.h"

static struct ktest *ktests;
static struct ktest **ktests_tail = &ktests;

/* Shared with the forked child: its verdict and skip reason. */
struct ktest_shared {
	int failed;
	int skipped;
	char reason[256];
	char metrics[1024];
};
static struct ktest_shared *shared;

void ktest_register(struct ktest *t)
{
	/* Constructors run in link order; keep that order. */
	*ktests_tail = t;
	ktests_tail = &t->next;
}

void ktest_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

void ktest_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (shared)
		shared->failed = 1;
}

void ktest_fatal(void)
{
	fflush(stdout);
	_exit(1);
}

void ktest_skip(const char *fmt, ...)
{
	va_list ap;

	if (shared) {
		va_start(ap, fmt);
		vsnprintf(shared->reason, sizeof(shared->reason), fmt, ap);
		va_end(ap);
		shared->skipped = 1;
	}
	fflush(stdout);
	_exit(0);
}

void ktest_metric(const char *key, long long value)
{
	size_t len;

	if (!shared)
		return;
	len = strlen(shared->metrics);
	snprintf(shared->metrics + len, sizeof(shared->metrics) - len,
		 "%s%s=%lld", len ? " " : "", key, value);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run one test in a child; returns 0 pass, 1 fail, 2 skip. */
static int run_one(struct ktest *t, int num)
{
	double start = now_s();
	int status, verdict;
	pid_t pid;

	memset(shared, 0, sizeof(*shared));
	ktest_diag("%s: %s", t->name, t->desc);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("not ok %d %s # fork: %s\n", num, t->name, strerror(errno));
		return 1;
	}
	if (pid == 0) {
		alarm(t->timeout_s);
		t->fn();
		fflush(stdout);
		_exit(shared->failed ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		printf("# %s: killed by signal %d (%s)%s\n", t->name, sig,
		       strsignal(sig), sig == SIGALRM ? ": timeout" : "");
		verdict = 1;
	} else if (WEXITSTATUS(status) != 0 || shared->failed) {
		verdict = 1;
	} else if (shared->skipped) {
		verdict = 2;
	} else {
		verdict = 0;
	}

	if (shared->metrics[0])
		printf("# metrics %s: %s\n", t->name, shared->metrics);
	printf("# %s: %.2f s\n", t->name, now_s() - start);
	if (verdict == 0)
		printf("ok %d %s\n", num, t->name);
	else if (verdict == 2)
		printf("ok %d %s # SKIP %s\n", num, t->name, shared->reason);
	else
		printf("not ok %d %s\n", num, t->name);
	fflush(stdout);
	return verdict;
}

static void usage(const char *prog)
{
	printf("Usage: %s [-l] [-t PATTERN]...\n"
	       "  -l          list the tests and exit\n"
	       "  -t PATTERN  run only tests whose name matches (fnmatch); repeatable\n",
	       prog);
}

int ktest_main(int argc, char **argv)
{
	const char *pats[64];
	int npats = 0, n = 0, num = 0, counts[3] = { 0 };
	struct ktest *t;
	int opt, i;

	while ((opt = getopt(argc, argv, "lt:h")) != -1) {
		switch (opt) {
		case 'l':
			for (t = ktests; t; t = t->next)
				printf("%-32s %s\n", t->name, t->desc);
			return 0;
		case 't':
			if (npats == (int)(sizeof(pats) / sizeof(pats[0]))) {
				fprintf(stderr, "too many -t patterns\n");
				return 2;
			}
			pats[npats++] = optarg;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (t = ktests; t; t = t->next) {
		bool match = npats == 0;

		for (i = 0; i < npats && !match; i++)
			match = !fnmatch(pats[i], t->name, 0);
		t->selected = match;
		n += match;
	}
	if (n == 0) {
		fprintf(stderr, "no test matches\n");
		return 2;
	}

	printf("TAP version 13\n1..%d\n", n);
	for (t = ktests; t; t = t->next)
		if (t->selected)
			counts[run_one(t, ++num)]++;
	printf("# Totals: pass:%d fail:%d skip:%d\n", counts[0], counts[1], counts[2]);
	return counts[1] ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * logcheck: judge a guest run from its logs (see logcheck.h).
 *
 * Usage: logcheck [--console FILE] [--tap FILE | --done FILE] [--timed-out]
 * --tap wants a complete, passing TAP run; --done only the end marker.
 * Prints the per-test results and one summary line; exit 0 when the run is
 * good, 1 when it is not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logcheck.h"

/*
 * Markers of kernel problem reports. Each starts a report printed by the
 * kernel's panic, oops, WARN, BUG, KASAN, UBSAN, lockdep, hung-task,
 * soft-lockup, RCU-stall or kmemleak code.
 */
static const char *const problem_markers[] = {
	"Kernel panic",
	"Oops:",
	"WARNING:",
	"BUG:",
	"kernel BUG at",
	"KASAN:",
	"UBSAN:",
	"general protection fault",
	"Unable to handle kernel",
	"possible circular locking dependency",
	"possible recursive locking",
	"inconsistent lock state",
	"INFO: trying to register non-static key",
	"suspicious RCU usage",
	"blocked for more than",
	"soft lockup",
	"hard LOCKUP",
	"rcu_sched self-detected stall",
	"rcu: INFO:",
	"suspected memory leak",
	"unreferenced object 0x",
	"list_add corruption",
	"list_del corruption",
	"refcount_t:",
};

void logcheck_init(struct logcheck *lc)
{
	memset(lc, 0, sizeof(*lc));
	lc->plan = -1;
	lc->done_rc = -1;
}

bool logcheck_console_line(struct logcheck *lc, const char *line)
{
	size_t i;

	for (i = 0; i < sizeof(problem_markers) / sizeof(problem_markers[0]); i++) {
		if (!strstr(line, problem_markers[i]))
			continue;
		if (!lc->problems++)
			snprintf(lc->first_problem, sizeof(lc->first_problem),
				 "%s", line);
		return true;
	}
	return false;
}

static void note_failed(struct logcheck *lc, const char *rest)
{
	size_t len = strlen(lc->failed_names);
	size_t n = strcspn(rest, " #\r\n");

	if (len + n + 2 >= sizeof(lc->failed_names))
		return;
	if (len)
		lc->failed_names[len++] = ' ';
	memcpy(lc->failed_names + len, rest, n);
	lc->failed_names[len + n] = '\0';
}

/* "ok 3 name # SKIP why" -> pointer to "name # SKIP why", or NULL. */
static const char *after_number(const char *s)
{
	char *end;

	if (strtol(s, &end, 10) <= 0 || end == s || *end != ' ')
		return NULL;
	return end + 1;
}

void logcheck_tap_line(struct logcheck *lc, const char *line)
{
	const char *rest;
	int n;

	if (!strncmp(line, "not ok ", 7)) {
		rest = after_number(line + 7);
		if (rest) {
			lc->fail++;
			note_failed(lc, rest);
		}
	} else if (!strncmp(line, "ok ", 3)) {
		rest = after_number(line + 3);
		if (!rest)
			return;
		if (strstr(rest, "# SKIP"))
			lc->skip++;
		else
			lc->pass++;
	} else if (sscanf(line, "1..%d", &n) == 1 && lc->plan < 0) {
		lc->plan = n;
	} else if (sscanf(line, "iopf-guest: done rc=%d", &n) == 1) {
		lc->done = true;
		lc->done_rc = n;
	}
}

int logcheck_verdict(const struct logcheck *lc, enum logcheck_need need,
		     char *why, size_t len)
{
	int ran = lc->pass + lc->fail + lc->skip;

	if (lc->problems) {
		snprintf(why, len, "kernel problem report (%d): %s",
			 lc->problems, lc->first_problem);
		return 1;
	}
	if (need == LC_NEED_CLEAN) {
		snprintf(why, len, "clean");
		return 0;
	}
	if (need == LC_NEED_DONE) {
		if (!lc->done)
			snprintf(why, len, "no end marker: the guest program never finished");
		else if (lc->done_rc)
			snprintf(why, len, "guest program exited %d", lc->done_rc);
		else
			snprintf(why, len, "clean");
		return !lc->done || lc->done_rc;
	}
	if (lc->plan < 0) {
		snprintf(why, len, "no test plan: the guest never ran its tests");
		return 1;
	}
	if (!lc->done || ran < lc->plan) {
		snprintf(why, len, "incomplete: %d of %d tests reported%s", ran,
			 lc->plan, lc->done ? "" : ", no end marker");
		return 1;
	}
	if (ran != lc->plan) {
		snprintf(why, len, "%d results for a plan of %d", ran, lc->plan);
		return 1;
	}
	if (lc->fail) {
		snprintf(why, len, "failed: %s", lc->failed_names);
		return 1;
	}
	if (lc->done_rc != 0) {
		snprintf(why, len, "guest test runner exited %d", lc->done_rc);
		return 1;
	}
	snprintf(why, len, "clean");
	return 0;
}

#ifndef LOGCHECK_NO_MAIN
static int feed(const char *path, struct logcheck *lc, bool console)
{
	char line[4096];
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (console) {
			if (logcheck_console_line(lc, line))
				fprintf(stderr, "logcheck: kernel problem: %s\n", line);
		} else {
			logcheck_tap_line(lc, line);
		}
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	enum logcheck_need need = LC_NEED_CLEAN;
	const char *console = NULL, *tap = NULL;
	bool timed_out = false;
	struct logcheck lc;
	char why[640], inner[600];
	int i, bad;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--console") && i + 1 < argc)
			console = argv[++i];
		else if (!strcmp(argv[i], "--tap") && i + 1 < argc)
			tap = argv[++i], need = LC_NEED_TAP;
		else if (!strcmp(argv[i], "--done") && i + 1 < argc)
			tap = argv[++i], need = LC_NEED_DONE;
		else if (!strcmp(argv[i], "--timed-out"))
			timed_out = true;
		else {
			fprintf(stderr,
				"usage: logcheck [--console FILE] [--tap FILE | --done FILE] [--timed-out]\n");
			return 2;
		}
	}
	logcheck_init(&lc);
	if ((console && feed(console, &lc, true)) || (tap && feed(tap, &lc, false)))
		return 2;
	bad = logcheck_verdict(&lc, need, why, sizeof(why));
	if (timed_out) {
		/* The run's own findings still say why it may have hung. */
		snprintf(inner, sizeof(inner), "%.560s", why);
		snprintf(why, sizeof(why), "guest timed out (%s)", inner);
		bad = 1;
	}
	printf("logcheck: pass=%d fail=%d skip=%d plan=%d problems=%d: %s\n",
	       lc.pass, lc.fail, lc.skip, lc.plan, lc.problems, why);
	return bad ? 1 : 0;
}
#endif

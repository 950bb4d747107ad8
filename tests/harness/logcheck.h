/* SPDX-License-Identifier: GPL-2.0 */
/*
 * logcheck: read a guest run's console log (kernel messages) and its TAP
 * stream (test results) and say whether the run is good: no kernel
 * problem report, a complete test plan, no failed test.
 */
#ifndef LOGCHECK_H
#define LOGCHECK_H

#include <stdbool.h>
#include <stddef.h>

struct logcheck {
	/* console */
	int problems;
	char first_problem[256];
	/* TAP */
	int plan;
	int pass, fail, skip;
	bool done;		/* the guest's end marker was seen */
	int done_rc;
	char failed_names[512];
};

void logcheck_init(struct logcheck *lc);
/* Feed one console line (kernel log); returns true if it reports a problem. */
bool logcheck_console_line(struct logcheck *lc, const char *line);
/* Feed one line of the guest's TAP stream. */
void logcheck_tap_line(struct logcheck *lc, const char *line);
/* What a good run must have shown besides a clean kernel log. */
enum logcheck_need {
	LC_NEED_CLEAN,	/* nothing: only the console is judged */
	LC_NEED_DONE,	/* the end marker with rc=0 */
	LC_NEED_TAP,	/* the end marker, a complete TAP plan, no failure */
};

/* The verdict: 0 when the run is good, else non-zero with the reason in @why. */
int logcheck_verdict(const struct logcheck *lc, enum logcheck_need need,
		     char *why, size_t len);

#endif

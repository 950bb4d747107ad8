/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktest: a small kselftest-style harness for this project's C tests.
 *
 * Each KTEST() runs in a forked child with an alarm, so a crash, a hang or
 * an exit() in one test is reported against that test and the rest still
 * run. Output is TAP 13. ASSERT_* end the test on failure, EXPECT_* record
 * the failure and go on; KTEST_SKIP() ends it as a skip with a reason.
 *
 *	KTEST(edu_roundtrip, "DMA both ways through a static mapping")
 *	{
 *		ASSERT_EQ(do_dma(), 0, "dma");
 *	}
 */
#ifndef KTEST_H
#define KTEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ktest {
	const char *name;
	const char *desc;
	void (*fn)(void);
	unsigned int timeout_s;
	bool selected;
	struct ktest *next;
};

void ktest_register(struct ktest *t);
int ktest_main(int argc, char **argv);

/* Inside a test: */
void ktest_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ktest_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void ktest_fatal(void) __attribute__((noreturn));
void ktest_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record a figure for the summary, e.g. ktest_metric("faults", n). */
void ktest_metric(const char *key, long long value);

#define KTEST_DEFAULT_TIMEOUT 120

#define KTEST_T(_name, _desc, _timeout)					\
	static void _name(void);					\
	static struct ktest __ktest_##_name = {				\
		.name = #_name, .desc = _desc, .fn = _name,		\
		.timeout_s = _timeout,					\
	};								\
	__attribute__((constructor)) static void __ktest_reg_##_name(void) \
	{								\
		ktest_register(&__ktest_##_name);			\
	}								\
	static void _name(void)

#define KTEST(_name, _desc) KTEST_T(_name, _desc, KTEST_DEFAULT_TIMEOUT)

#define KTEST_SKIP(...) ktest_skip(__VA_ARGS__)

#define __KT_CMP(_fatal, _a, _op, _b, _label) do {			\
	long long __a = (long long)(_a), __b = (long long)(_b);		\
	if (!(__a _op __b)) {						\
		ktest_fail_at(__FILE__, __LINE__,			\
			"%s: %s %s %s: %lld vs %lld (0x%llx vs 0x%llx)", \
			_label, #_a, #_op, #_b, __a, __b,		\
			(unsigned long long)__a, (unsigned long long)__b); \
		if (_fatal)						\
			ktest_fatal();					\
	}								\
} while (0)

#define ASSERT_EQ(a, b, label) __KT_CMP(1, a, ==, b, label)
#define ASSERT_NE(a, b, label) __KT_CMP(1, a, !=, b, label)
#define ASSERT_LT(a, b, label) __KT_CMP(1, a, <, b, label)
#define ASSERT_LE(a, b, label) __KT_CMP(1, a, <=, b, label)
#define ASSERT_GT(a, b, label) __KT_CMP(1, a, >, b, label)
#define ASSERT_GE(a, b, label) __KT_CMP(1, a, >=, b, label)
#define EXPECT_EQ(a, b, label) __KT_CMP(0, a, ==, b, label)
#define EXPECT_NE(a, b, label) __KT_CMP(0, a, !=, b, label)
#define EXPECT_LE(a, b, label) __KT_CMP(0, a, <=, b, label)
#define EXPECT_GE(a, b, label) __KT_CMP(0, a, >=, b, label)

#define ASSERT_TRUE(c, label) __KT_CMP(1, !!(c), ==, 1, label)
#define ASSERT_STR_EQ(a, b, label) do {					\
	const char *__sa = (a), *__sb = (b);				\
	if (strcmp(__sa, __sb)) {					\
		ktest_fail_at(__FILE__, __LINE__, "%s: \"%s\" vs \"%s\"",	\
			      label, __sa, __sb);			\
		ktest_fatal();						\
	}								\
} while (0)
#define ASSERT_FALSE(c, label) __KT_CMP(1, !!(c), ==, 0, label)
#define EXPECT_TRUE(c, label) __KT_CMP(0, !!(c), ==, 1, label)

/* A syscall-style call that must succeed (>= 0); prints errno otherwise. */
#define ASSERT_OK(expr, label) do {					\
	long __r = (long)(expr);					\
	if (__r < 0) {							\
		ktest_fail_at(__FILE__, __LINE__, "%s: %s = %ld (%s)",	\
			      label, #expr, __r, strerror(errno));	\
		ktest_fatal();						\
	}								\
} while (0)

/* A syscall-style call that must fail with errno _err. */
#define ASSERT_ERRNO(expr, _err, label) do {				\
	errno = 0;							\
	long __r = (long)(expr);					\
	if (__r != -1 || errno != (_err)) {				\
		ktest_fail_at(__FILE__, __LINE__,			\
			"%s: %s = %ld errno %d (%s), want -1 errno %d (%s)", \
			label, #expr, __r, errno, strerror(errno),	\
			_err, strerror(_err));				\
		ktest_fatal();						\
	}								\
} while (0)

#define ASSERT_STREQ(a, b, label) do {					\
	const char *__sa = (a), *__sb = (b);				\
	if (strcmp(__sa, __sb)) {					\
		ktest_fail_at(__FILE__, __LINE__, "%s: \"%s\" vs \"%s\"",	\
			      label, __sa, __sb);			\
		ktest_fatal();						\
	}								\
} while (0)

#define ASSERT_MEMEQ(a, b, n, label) do {				\
	const unsigned char *__pa = (const void *)(a);			\
	const unsigned char *__pb = (const void *)(b);			\
	size_t __n = (n), __i;						\
	for (__i = 0; __i < __n && __pa[__i] == __pb[__i]; __i++)	\
		;							\
	if (__i != __n) {						\
		ktest_fail_at(__FILE__, __LINE__,			\
			"%s: differ at byte %zu of %zu: 0x%02x vs 0x%02x", \
			label, __i, __n, __pa[__i], __pb[__i]);		\
		ktest_fatal();						\
	}								\
} while (0)

#endif /* KTEST_H */

/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for the tests that drive policies through iopfctl. */
#ifndef POLICY_UTIL_H
#define POLICY_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "vfio_util.h"
#include "iopf_util.h"

#define IOVA		0x400000ULL
#define OBJ(name)	"/lib/iopf/" name ".bpf.o"

/* A container with one edu device and one IOPF mapping of @pages at IOVA. */
struct ctr {
	int c;
	struct vfio_dev d;
	uint8_t *buf;
	size_t pages;
};

/* Run a shell command; its output goes to @out (if any) and the test log. */
int run(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Unregister every policy the tests use; reset the default and the cap. */
void unload_all(void);
int file_has(const char *path, const char *needle);
/* Is policy @name in /sys/kernel/vfio_iopf/policies? */
int registered(const char *name);
/* Wait up to 5 s for @name to leave the registered policies: 1 if it did. */
int wait_unregistered(const char *name);
/*
 * Make vfio_iopf_sync() fail once with -EIO, after @pass more calls pass
 * (fail_function); 0 if armed. unfail_iopf_sync() disarms it; 0 or -errno.
 */
int fail_iopf_sync(unsigned int pass);
int unfail_iopf_sync(void);
void ctr_open(struct ctr *t, int which, size_t pages);
void ctr_close(struct ctr *t);
/*
 * Make every container's default a slow policy: each fault maps a window
 * of @pages unpinned pages (max_pages raised to it). unload_all() undoes it.
 */
void slow_default_policy(unsigned int pages);
/* The container's effective policy (VFIO_IOMMU_IOPF_POLICY). */
int policy_of(int c, char *name, uint32_t *source);
/* Inject one fault at page @page; returns the pages mapped now. */
uint64_t fault_at(struct ctr *t, uint64_t page);
/* iopfctl attach NAME --container getpid():t->c */
void attach_container(struct ctr *t, const char *name);

#endif

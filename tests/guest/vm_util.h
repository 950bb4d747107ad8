/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Nested VMs for the guest tests and benchmarks: Debian's unmodified QEMU
 * (/usr/bin/qemu-system-x86_64 in the initramfs) booting the payload OS
 * (tests/vm/payload.c) with an edu device passed through with vfio-pci.
 */
#ifndef VM_UTIL_H
#define VM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define VM_QEMU		"/usr/bin/qemu-system-x86_64"
#define VM_PAYLOAD	"/lib/iopf/payload.elf"

struct vm {
	pid_t pid;
	int in;			/* the VM's serial input (QEMU's stdin) */
	int out;		/* its serial output (QEMU's stdout and stderr) */
	char buf[4096];		/* output not yet returned as lines */
	size_t len;
	struct timespec t0;	/* when QEMU was started */
	double first_line_s;	/* seconds to the payload's first line, or 0 */
	int status;		/* wait status once it exited, else -1 */
};

struct vm_opts {
	const char *bdf;	/* device to pass through, or NULL */
	unsigned int mem_mb;
	const char *append;	/* the payload's command line */
	const char *cgroup;	/* cgroup v2 directory to run QEMU in, or NULL */
	const char *mem_path;	/* -mem-path (hugetlbfs), or NULL */
	bool paused;		/* -S: stopped before the first instruction */
};

/* Does this guest have QEMU and the payload? */
bool vm_available(void);
/* Start QEMU. 0 or -errno. */
int vm_start(struct vm *vm, const struct vm_opts *o);
/*
 * Wait up to @timeout_s for a serial line starting with @prefix; copy it to
 * @line. 0, -ETIMEDOUT, or -EPIPE if QEMU exited first.
 */
int vm_expect(struct vm *vm, const char *prefix, char *line, size_t len, int timeout_s);
/* Send bytes to the VM's serial port. */
int vm_send(struct vm *vm, const char *s);
/* Wait up to @timeout_s for QEMU to exit: its exit code, or -ETIMEDOUT. */
int vm_wait(struct vm *vm, int timeout_s);
/* Kill QEMU (SIGKILL) and reap it. */
void vm_kill(struct vm *vm);
/* The number after "FIELD" on a line of a file (/proc/meminfo, ...), or -1. */
long file_field(const char *path, const char *field);
/* A field of /proc/PID/status in kB ("VmLck:"), or -1. */
long vm_status_kb(pid_t pid, const char *field);
/* The value of KEY=NUMBER in a payload line, or -1. */
long long payload_val(const char *line, const char *key);

/* Sums over /sys/kernel/vfio_iopf/mappings for one container (0: all). */
struct vm_maps {
	unsigned int eager, iopf, fault;	/* mappings of each mode */
	uint64_t eager_pages, iopf_pages, fault_pages;	/* pages mapped now */
};
int vm_mappings(uint64_t container, struct vm_maps *m);
/* The id of the container owned by @pid, from /sys/kernel/vfio_iopf/containers. */
uint64_t vm_container_of(pid_t pid);
/* Seconds since @t0. */
double vm_elapsed(const struct timespec *t0);

#endif

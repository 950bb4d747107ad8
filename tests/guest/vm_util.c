// SPDX-License-Identifier: GPL-2.0
/* Nested VMs: Debian's QEMU running the payload OS, see vm_util.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm_util.h"

bool vm_available(void)
{
	return !access(VM_QEMU, X_OK) && !access(VM_PAYLOAD, R_OK);
}

double vm_elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void vm_child(const struct vm_opts *o, int in, int out)
{
	char mem[32], dev[64], cg[256];
	const char *argv[40];
	int n = 0, fd;

	if (o->cgroup) {
		snprintf(cg, sizeof(cg), "%s/cgroup.procs", o->cgroup);
		fd = open(cg, O_WRONLY);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(126);
		close(fd);
	}
	dup2(in, 0);
	dup2(out, 1);
	dup2(out, 2);
	snprintf(mem, sizeof(mem), "%uM", o->mem_mb);
	argv[n++] = VM_QEMU;
	argv[n++] = "-M";
	argv[n++] = "q35";
	argv[n++] = "-accel";
	argv[n++] = "tcg";
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-nodefaults";
	argv[n++] = "-vga";
	argv[n++] = "none";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-no-reboot";
	argv[n++] = "-serial";
	argv[n++] = "stdio";
	if (o->bdf) {
		snprintf(dev, sizeof(dev), "vfio-pci,host=%s", o->bdf);
		argv[n++] = "-device";
		argv[n++] = dev;
	}
	if (o->mem_path) {
		argv[n++] = "-mem-path";
		argv[n++] = o->mem_path;
	}
	if (o->paused)
		argv[n++] = "-S";
	argv[n++] = "-device";
	argv[n++] = "isa-debug-exit,iobase=0xf4,iosize=0x04";
	argv[n++] = "-kernel";
	argv[n++] = VM_PAYLOAD;
	argv[n++] = "-append";
	argv[n++] = o->append ? o->append : "mode=idle";
	argv[n] = NULL;
	execv(VM_QEMU, (char **)argv);
	_exit(127);
}

int vm_start(struct vm *vm, const struct vm_opts *o)
{
	int in[2], out[2];

	memset(vm, 0, sizeof(*vm));
	vm->status = -1;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &vm->t0);
	vm->pid = fork();
	if (vm->pid < 0)
		return -errno;
	if (!vm->pid)
		vm_child(o, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	vm->in = in[1];
	vm->out = out[0];
	return 0;
}

/* Take one line out of the buffer; 1 if there was one. */
static int vm_take_line(struct vm *vm, char *line, size_t len)
{
	char *nl = memchr(vm->buf, '\n', vm->len);
	size_t n;

	if (!nl)
		return 0;
	n = nl - vm->buf;
	if (len) {
		size_t c = n < len - 1 ? n : len - 1;

		memcpy(line, vm->buf, c);
		line[c] = '\0';
		if (c && line[c - 1] == '\r')
			line[c - 1] = '\0';
	}
	memmove(vm->buf, nl + 1, vm->len - n - 1);
	vm->len -= n + 1;
	return 1;
}

int vm_expect(struct vm *vm, const char *prefix, char *line, size_t len, int timeout_s)
{
	struct timespec t0;
	char l[512];

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = vm->out, .events = POLLIN };
		double left;
		ssize_t n;

		while (vm_take_line(vm, l, sizeof(l))) {
			fprintf(stderr, "# vm: %s\n", l);
			if (!vm->first_line_s && !strncmp(l, "payload:", 8))
				vm->first_line_s = vm_elapsed(&vm->t0);
			if (!strncmp(l, prefix, strlen(prefix))) {
				snprintf(line, len, "%s", l);
				return 0;
			}
		}
		left = timeout_s - vm_elapsed(&t0);
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		if (vm->len == sizeof(vm->buf))
			vm->len = 0;	/* a line longer than the buffer: drop it */
		n = read(vm->out, vm->buf + vm->len, sizeof(vm->buf) - vm->len);
		if (n <= 0)
			return -EPIPE;
		vm->len += n;
	}
}

/* Read and log what the VM printed, without waiting: QEMU never blocks on it. */
static void vm_drain(struct vm *vm)
{
	struct pollfd p = { .fd = vm->out, .events = POLLIN };
	char l[512];
	ssize_t n;

	while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
		if (vm->len == sizeof(vm->buf))
			vm->len = 0;
		n = read(vm->out, vm->buf + vm->len, sizeof(vm->buf) - vm->len);
		if (n <= 0)
			break;
		vm->len += n;
		while (vm_take_line(vm, l, sizeof(l)))
			fprintf(stderr, "# vm: %s\n", l);
	}
}

int vm_send(struct vm *vm, const char *s)
{
	return write(vm->in, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -EIO;
}

int vm_wait(struct vm *vm, int timeout_s)
{
	struct timespec t0;
	int st;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (vm->status < 0) {
		pid_t r = waitpid(vm->pid, &st, WNOHANG);

		if (r == vm->pid) {
			vm->status = st;
			break;
		}
		if (r < 0)
			return -errno;
		if (vm_elapsed(&t0) > timeout_s)
			return -ETIMEDOUT;
		vm_drain(vm);
		usleep(50 * 1000);
	}
	close(vm->in);
	close(vm->out);
	vm->in = vm->out = -1;
	return WIFEXITED(vm->status) ? WEXITSTATUS(vm->status) : 128 + WTERMSIG(vm->status);
}

void vm_kill(struct vm *vm)
{
	if (vm->status >= 0 || vm->pid <= 0)
		return;
	kill(vm->pid, SIGKILL);
	waitpid(vm->pid, &vm->status, 0);
	if (vm->in >= 0)
		close(vm->in);
	if (vm->out >= 0)
		close(vm->out);
	vm->in = vm->out = -1;
}

long file_field(const char *path, const char *field)
{
	char line[256];
	long v = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = strtol(line + strlen(field), NULL, 10);
	fclose(f);
	return v;
}

long vm_status_kb(pid_t pid, const char *field)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return file_field(path, field);
}

long long payload_val(const char *line, const char *key)
{
	size_t n = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[n] == '=')
			return strtoll(p + n + 1, NULL, 0);
		p += n;
	}
	return -1;
}

int vm_mappings(uint64_t container, struct vm_maps *m)
{
	FILE *f = fopen("/sys/kernel/vfio_iopf/mappings", "r");
	unsigned long long id, iova, size, pages;
	char mode[16];

	memset(m, 0, sizeof(*m));
	if (!f)
		return -errno;
	while (fscanf(f, "%llu %llx %llx %15s %llu", &id, &iova, &size, mode, &pages) == 5) {
		if (container && id != container)
			continue;
		if (!strcmp(mode, "eager")) {
			m->eager++;
			m->eager_pages += pages;
		} else if (!strcmp(mode, "iopf")) {
			m->iopf++;
			m->iopf_pages += pages;
		} else if (!strcmp(mode, "fault")) {
			m->fault++;
			m->fault_pages += pages;
		}
	}
	fclose(f);
	return 0;
}

uint64_t vm_container_of(pid_t pid)
{
	FILE *f = fopen("/sys/kernel/vfio_iopf/containers", "r");
	unsigned long long id, cg;
	char rest[64];
	uint64_t found = 0;
	int p;

	if (!f)
		return 0;
	while (fscanf(f, "%llu %d %llu %63[^\n]", &id, &p, &cg, rest) == 4)
		if (p == pid)
			found = id;
	fclose(f);
	return found;
}

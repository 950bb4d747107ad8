/* SPDX-License-Identifier: GPL-2.0 */
/* iopfctl: helpers kept apart from libbpf so host unit tests can use them. */
#ifndef IOPFCTL_H
#define IOPFCTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/vfio.h>

#define IOPF_NAME_MAX		16
#define IOPF_SYSFS		"/sys/kernel/vfio_iopf"
#define IOPF_BPFFS		"/sys/fs/bpf/vfio_iopf"

/* "PID:FD" -> pid, fd. Returns 0 or -EINVAL. */
int parse_pid_fd(const char *s, pid_t *pid, int *fd);
/* "NAME=VALUE" -> name, value (any base strtoull takes). 0 or -EINVAL. */
int parse_tunable(const char *s, char *name, size_t name_len, uint64_t *value);
/* A policy name as the kernel takes it: [A-Za-z0-9_.]{1,15}. */
int policy_name_valid(const char *name);
/* Store @value in @size bytes (1, 2, 4, 8; host order). -ERANGE if too big. */
int encode_value(uint64_t value, size_t size, void *out);
/* A positive decimal number that fits an int. 0 or -EINVAL. */
int parse_uint(const char *s, unsigned int *out);

/*
 * Add (@add) or remove @word in the space-separated @list, into @out of
 * @len bytes. 0, -EEXIST (already there), -ENOENT (not there) or
 * -ENOSPC.
 */
int word_list_edit(const char *list, const char *word, int add, char *out, size_t len);
/* A faultable-device word: "VVVV:DDDD" (hex PCI IDs) or "DDDD:BB:DD.F". */
int device_word_valid(const char *word);

typedef struct vfio_iommu_type1_info_cap_iopf iopf_stats_t;
typedef struct vfio_iommu_type1_info_cap_iopf_time iopf_times_t;

/* What `iopfctl stats` reports: the IOPF capability, and the time one. */
struct iopf_report {
	iopf_stats_t st;
	iopf_times_t t;		/* zeros if the kernel has no such capability */
	int has_times;
};

/* One statistics field: its name, where it is, whether a time one. */
struct stat_field {
	const char *name;
	size_t offset;
	int time;
};
extern const struct stat_field stat_fields[];
extern const size_t nr_stat_fields;

/* Format statistics as JSON ({"container_id":..., "faults":..., ...}). */
int stats_json(const struct iopf_report *r, char *buf, size_t len);
/* Find version 1 of capability @id, of @len bytes, in a GET_INFO buffer. */
const void *find_info_cap(const void *info, size_t size, uint16_t id,
			  size_t len);
/* Find a stats capability in a GET_INFO buffer of @size bytes. */
const iopf_stats_t *find_stats_cap(const void *info, size_t size);

#endif

// SPDX-License-Identifier: GPL-2.0
/* iopfctl: parsing and formatting, without libbpf (see iopfctl.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iopfctl.h"

int parse_uint(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > INT_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_pid_fd(const char *s, pid_t *pid, int *fd)
{
	unsigned int p, f;
	const char *colon;
	char buf[32];

	colon = s ? strchr(s, ':') : NULL;
	if (!colon || (size_t)(colon - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, colon - s);
	buf[colon - s] = '\0';
	if (parse_uint(buf, &p) || parse_uint(colon + 1, &f) || !p)
		return -EINVAL;
	*pid = p;
	*fd = f;
	return 0;
}

int policy_name_valid(const char *name)
{
	size_t i, len = name ? strlen(name) : 0;

	if (!len || len >= IOPF_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '.')
			return 0;
	return 1;
}

int parse_tunable(const char *s, char *name, size_t name_len, uint64_t *value)
{
	const char *eq = s ? strchr(s, '=') : NULL;
	char *end;

	if (!eq || eq == s || (size_t)(eq - s) >= name_len || !eq[1])
		return -EINVAL;
	memcpy(name, s, eq - s);
	name[eq - s] = '\0';
	if (eq[1] == '-')
		return -EINVAL;
	errno = 0;
	*value = strtoull(eq + 1, &end, 0);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int encode_value(uint64_t value, size_t size, void *out)
{
	switch (size) {
	case 1:
		if (value > UINT8_MAX)
			return -ERANGE;
		*(uint8_t *)out = value;
		return 0;
	case 2:
		if (value > UINT16_MAX)
			return -ERANGE;
		*(uint16_t *)out = value;
		return 0;
	case 4:
		if (value > UINT32_MAX)
			return -ERANGE;
		*(uint32_t *)out = value;
		return 0;
	case 8:
		*(uint64_t *)out = value;
		return 0;
	default:
		return -EINVAL;
	}
}

#define F(x) { #x, offsetof(struct iopf_report, st.x), 0 }
#define T(x) { #x, offsetof(struct iopf_report, t.x), 1 }
const struct stat_field stat_fields[] = {
	F(container_id), F(faults), F(resolved), F(failed), F(failed_nomap),
	F(failed_perm), F(failed_limit), F(failed_policy), F(failed_other),
	F(pages_mapped), F(pages_pinned), F(pages_mapped_total),
	F(pages_prefaulted), F(pages_invalidated), F(policy_invalid),
	F(policy_clamped), F(time_ns), F(time_ns_max), F(failed_nomem),
	F(unmap_failed), T(batches), T(batch_groups), T(batch_max),
	T(queue_ns), T(lookup_ns), T(policy_ns), T(pin_ns), T(map_ns),
	T(sync_ns), T(response_ns),
};
#undef T
#undef F
const size_t nr_stat_fields = sizeof(stat_fields) / sizeof(stat_fields[0]);

static uint64_t field(const struct iopf_report *r, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)r + off, sizeof(v));
	return v;
}

int stats_json(const struct iopf_report *r, char *buf, size_t len)
{
	size_t i, used = 0;
	int n;

	n = snprintf(buf, len, "{");
	for (i = 0; i < nr_stat_fields && n >= 0 && (size_t)n < len - used; i++) {
		if (stat_fields[i].time && !r->has_times)
			continue;
		used += n;
		n = snprintf(buf + used, len - used, "%s\"%s\":%" PRIu64, i ? "," : "",
			     stat_fields[i].name, field(r, stat_fields[i].offset));
	}
	if (n < 0 || (size_t)n >= len - used)
		return -ENOSPC;
	used += n;
	n = snprintf(buf + used, len - used, "}");
	if (n < 0 || (size_t)n >= len - used)
		return -ENOSPC;
	return used + n;
}

const void *find_info_cap(const void *info_buf, size_t size, uint16_t id,
			  size_t len)
{
	const struct vfio_iommu_type1_info *info = info_buf;
	const struct vfio_info_cap_header *hdr;
	uint32_t off, hops = 0;

	if (size < sizeof(*info) || !(info->flags & VFIO_IOMMU_INFO_CAPS))
		return NULL;
	for (off = info->cap_offset; off && hops < 64; off = hdr->next, hops++) {
		if (off < sizeof(*info) || off + sizeof(*hdr) > size)
			return NULL;
		hdr = (const void *)((const char *)info_buf + off);
		if (hdr->id == id && hdr->version == 1 && off + len <= size)
			return hdr;
	}
	return NULL;
}

const iopf_stats_t *find_stats_cap(const void *info_buf, size_t size)
{
	return find_info_cap(info_buf, size, VFIO_IOMMU_TYPE1_INFO_CAP_IOPF,
			     sizeof(iopf_stats_t));
}

int word_list_edit(const char *list, const char *word, int add, char *out, size_t len)
{
	size_t wlen = strlen(word), used = 0;
	const char *p = list;
	int found = 0;

	if (!len)
		return -ENOSPC;
	out[0] = '\0';
	while (*p) {
		size_t n;

		p += strspn(p, " \n");
		n = strcspn(p, " \n");
		if (!n)
			break;
		if (n == wlen && !strncmp(p, word, n)) {
			found = 1;
			if (!add) {
				p += n;
				continue;
			}
		}
		if (used + !!used + n >= len)
			return -ENOSPC;
		if (used)
			out[used++] = ' ';
		memcpy(out + used, p, n);
		used += n;
		out[used] = '\0';
		p += n;
	}
	if (add && found)
		return -EEXIST;
	if (!add && !found)
		return -ENOENT;
	if (add) {
		if (used + !!used + wlen >= len)
			return -ENOSPC;
		if (used)
			out[used++] = ' ';
		memcpy(out + used, word, wlen + 1);
	}
	return 0;
}

static int all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

int device_word_valid(const char *w)
{
	size_t n = strlen(w);

	/* VVVV:DDDD */
	if (n == 9 && w[4] == ':' && all_hex(w, 4) && all_hex(w + 5, 4))
		return 1;
	/* DDDD:BB:DD.F */
	return n == 12 && w[4] == ':' && w[7] == ':' && w[10] == '.' && all_hex(w, 4) &&
	       all_hex(w + 5, 2) && all_hex(w + 8, 2) && w[11] >= '0' && w[11] <= '7';
}

// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of iopfctl's parsing and formatting (ASan/UBSan build). */
#include <stddef.h>
#include <string.h>

#include "iopfctl.h"
#include "ktest.h"

KTEST(pid_fd, "PID:FD parses, and every malformed form is refused")
{
	static const char *const bad[] = {
		"", ":", "1:", ":3", "0:3", "-1:3", "1:-3", "1:3x", "x:3", "1 :3",
		"123", "99999999999:1", "1:99999999999", "1:2:3",
	};
	size_t i;
	pid_t pid;
	int fd;

	ASSERT_EQ(parse_pid_fd("123:4", &pid, &fd), 0, "good");
	ASSERT_EQ(pid, 123, "pid");
	ASSERT_EQ(fd, 4, "fd");
	ASSERT_EQ(parse_pid_fd(NULL, &pid, &fd), -EINVAL, "NULL");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(parse_pid_fd(bad[i], &pid, &fd), -EINVAL, bad[i]);
}

KTEST(tunables, "NAME=VALUE parses in any base; bad forms are refused")
{
	char name[16];
	uint64_t v;

	ASSERT_EQ(parse_tunable("window=16", name, sizeof(name), &v), 0, "decimal");
	ASSERT_EQ(strcmp(name, "window"), 0, "name");
	ASSERT_EQ(v, 16, "value");
	ASSERT_EQ(parse_tunable("budget=0x400", name, sizeof(name), &v), 0, "hex");
	ASSERT_EQ(v, 1024, "hex value");
	ASSERT_EQ(parse_tunable("=1", name, sizeof(name), &v), -EINVAL, "no name");
	ASSERT_EQ(parse_tunable("a=", name, sizeof(name), &v), -EINVAL, "no value");
	ASSERT_EQ(parse_tunable("a=-1", name, sizeof(name), &v), -EINVAL, "negative");
	ASSERT_EQ(parse_tunable("a=1x", name, sizeof(name), &v), -EINVAL, "trailing");
	ASSERT_EQ(parse_tunable("a", name, sizeof(name), &v), -EINVAL, "no =");
	ASSERT_EQ(parse_tunable("a=99999999999999999999", name, sizeof(name), &v), -EINVAL,
		  "overflow");
	ASSERT_EQ(parse_tunable("averyveryverylongname=1", name, sizeof(name), &v), -EINVAL,
		  "name too long");
}

KTEST(encode, "values are stored in their size or refused")
{
	uint8_t b[8];

	ASSERT_EQ(encode_value(255, 1, b), 0, "u8 max");
	ASSERT_EQ(b[0], 255, "u8");
	ASSERT_EQ(encode_value(256, 1, b), -ERANGE, "u8 overflow");
	ASSERT_EQ(encode_value(65536, 2, b), -ERANGE, "u16 overflow");
	ASSERT_EQ(encode_value(1ULL << 32, 4, b), -ERANGE, "u32 overflow");
	ASSERT_EQ(encode_value(~0ULL, 8, b), 0, "u64 max");
	ASSERT_EQ(encode_value(1, 3, b), -EINVAL, "odd size");
}

KTEST(names, "policy names: the kernel's rules")
{
	ASSERT_TRUE(policy_name_valid("window"), "window");
	ASSERT_TRUE(policy_name_valid("a.b_c9"), "punctuation");
	ASSERT_FALSE(policy_name_valid(""), "empty");
	ASSERT_FALSE(policy_name_valid("bad name"), "space");
	ASSERT_FALSE(policy_name_valid("0123456789abcdef"), "16 chars");
	ASSERT_TRUE(policy_name_valid("0123456789abcde"), "15 chars");
	ASSERT_FALSE(policy_name_valid("a/b"), "slash");
}

KTEST(stats_json_fmt, "statistics format as JSON and never overflow the buffer")
{
	struct iopf_report st;
	char buf[4096], small[32];
	int n;

	memset(&st, 0, sizeof(st));
	st.st.container_id = 7;
	st.st.faults = 10;
	st.st.unmap_failed = 2;
	st.t.batches = 3;
	n = stats_json(&st, buf, sizeof(buf));
	ASSERT_GT(n, 0, "formatted");
	ASSERT_EQ((size_t)n, strlen(buf), "length");
	ASSERT_TRUE(strstr(buf, "\"container_id\":7") != NULL, "container");
	ASSERT_TRUE(strstr(buf, "\"faults\":10") != NULL, "faults");
	ASSERT_TRUE(strstr(buf, "\"unmap_failed\":2}") != NULL,
		    "without the time capability: last field, closed");
	st.has_times = 1;
	st.t.response_ns = 5;
	n = stats_json(&st, buf, sizeof(buf));
	ASSERT_EQ((size_t)n, strlen(buf), "length with times");
	ASSERT_TRUE(strstr(buf, "\"unmap_failed\":2,\"batches\":3") != NULL, "time fields follow");
	ASSERT_TRUE(strstr(buf, "\"response_ns\":5}") != NULL, "last time field, closed");
	ASSERT_EQ(stats_json(&st, small, sizeof(small)), -ENOSPC, "small buffer");
}

KTEST(find_cap, "the stats capability is found in a chain, and bad chains are safe")
{
	struct {
		struct vfio_iommu_type1_info info;
		struct vfio_info_cap_header other;
		uint64_t pad;	/* the kernel aligns capabilities to 8 */
		iopf_stats_t st;
	} buf;
	const iopf_stats_t *cap;

	memset(&buf, 0, sizeof(buf));
	buf.info.flags = VFIO_IOMMU_INFO_CAPS;
	buf.info.cap_offset = offsetof(typeof(buf), other);
	buf.other.id = 99;
	buf.other.version = 1;
	buf.other.next = offsetof(typeof(buf), st);
	buf.st.header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOPF;
	buf.st.header.version = 1;
	buf.st.faults = 42;
	cap = find_stats_cap(&buf, sizeof(buf));
	ASSERT_TRUE(cap != NULL, "found");
	ASSERT_EQ(cap->faults, 42, "faults");

	ASSERT_TRUE(find_stats_cap(&buf, sizeof(buf) - 8) == NULL, "truncated");
	buf.other.next = buf.info.cap_offset;	/* a loop */
	ASSERT_TRUE(find_stats_cap(&buf, sizeof(buf)) == NULL, "loop ends");
	buf.info.cap_offset = 4;		/* inside the header */
	ASSERT_TRUE(find_stats_cap(&buf, sizeof(buf)) == NULL, "bad offset");
	buf.info.flags = 0;
	ASSERT_TRUE(find_stats_cap(&buf, sizeof(buf)) == NULL, "no caps");
}

KTEST(word_list, "faultable list edits: add, remove, duplicates, missing, overflow")
{
	char out[32];

	ASSERT_EQ(word_list_edit("", "1234:11e8", 1, out, sizeof(out)), 0, "add to empty");
	ASSERT_STR_EQ(out, "1234:11e8", "one word");
	ASSERT_EQ(word_list_edit("a b\n", "c", 1, out, sizeof(out)), 0, "append");
	ASSERT_STR_EQ(out, "a b c", "appended, newline dropped");
	ASSERT_EQ(word_list_edit("a  b c", "b", 0, out, sizeof(out)), 0, "remove");
	ASSERT_STR_EQ(out, "a c", "removed, spaces folded");
	ASSERT_EQ(word_list_edit("a b", "b", 1, out, sizeof(out)), -EEXIST, "duplicate");
	ASSERT_EQ(word_list_edit("a bb", "b", 0, out, sizeof(out)), -ENOENT, "prefix is not a match");
	ASSERT_EQ(word_list_edit("0123456789 abcdefghij", "abcdefghij", 0, out, 8), -ENOSPC,
		  "too small for what stays");
	ASSERT_EQ(word_list_edit("0123456789abcdef0123456789", "xyzxyz", 1, out, sizeof(out)),
		  -ENOSPC, "too small for the new word");
	ASSERT_EQ(word_list_edit("", "x", 1, out, 0), -ENOSPC, "no room at all");
}

KTEST(device_words, "faultable devices are PCI IDs or PCI addresses")
{
	ASSERT_TRUE(device_word_valid("1234:11e8"), "IDs");
	ASSERT_TRUE(device_word_valid("0000:00:04.0"), "address");
	ASSERT_FALSE(device_word_valid("1234:11E8"), "upper case (the kernel prints lower)");
	ASSERT_FALSE(device_word_valid("0000:00:04.8"), "function 8");
	ASSERT_FALSE(device_word_valid("1234-11e8"), "dash");
	ASSERT_FALSE(device_word_valid(""), "empty");
	ASSERT_FALSE(device_word_valid("../../x"), "path");
}

int main(int argc, char **argv)
{
	return ktest_main(argc, argv);
}

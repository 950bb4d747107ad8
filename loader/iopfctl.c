// SPDX-License-Identifier: GPL-2.0
/*
 * iopfctl: load VFIO I/O page fault policies and attach them.
 *
 * Policies are BPF struct_ops (struct vfio_iopf_ops) built from bpf/NAME.bpf.c;
 * bindings live in /sys/kernel/vfio_iopf/ and on each container (the
 * VFIO_IOMMU_IOPF_POLICY ioctl). See `iopfctl help`.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "iopfctl.h"

static const char help_fmt[] =
"Usage: iopfctl [-v] COMMAND [ARGS]\n"
"\n"
"  load OBJ.bpf.o [--name NAME] [-p NAME=VALUE]...\n"
"                                     register the policy in OBJ, with tunables,\n"
"                                     under its own name or NAME\n"
"  unload NAME                        unregister policy NAME\n"
"  attach NAME TARGET [--enforce]     bind policy NAME to TARGET; an enforced\n"
"                                     cgroup or default binding overrides the\n"
"                                     containers' own\n"
"  detach TARGET                      drop TARGET's binding\n"
"  list                               policies, bindings and containers\n"
"  stats CONTAINER [--json] [--watch SEC] [--count N]\n"
"                                     a container's fault statistics\n"
"  faultable [add|remove DEVICE...]   devices declared able to take an I/O page\n"
"                                     fault on any DMA; DEVICE is a PCI address\n"
"                                     (0000:00:04.0) or PCI IDs (1234:11e8)\n"
"  mappings                           every container's DMA mappings: eager,\n"
"                                     iopf, or fault (the admin's policy maps\n"
"                                     a plain mapping on fault)\n"
"\n"
"TARGET is CONTAINER, --cgroup PATH or --default; CONTAINER is\n"
"  --container PID:FD  the container open as FD in process PID\n"
"  --group N           the container holding /dev/vfio/N\n"
"\n"
"  -v  libbpf debug output (verifier log on load errors)\n";

static bool verbose;
static volatile sig_atomic_t stop;

static int errorf(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("iopfctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	return 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* ---- sysfs ---- */

static int sysfs_write(const char *file, const char *text)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), IOPF_SYSFS "/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int sysfs_cat(const char *file, const char *title)
{
	char path[PATH_MAX], line[256];
	FILE *f;

	snprintf(path, sizeof(path), IOPF_SYSFS "/%s", file);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	printf("%s\n", title);
	while (fgets(line, sizeof(line), f))
		printf("  %s", line);
	fclose(f);
	return 0;
}

static int sysfs_has_policy(const char *name)
{
	char line[64];
	FILE *f = fopen(IOPF_SYSFS "/policies", "r");
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = !strcmp(line, name);
	}
	fclose(f);
	return found;
}

/* ---- containers ---- */

static int fd_target(pid_t pid, int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Our own copy of fd @fd of process @pid, which must be a VFIO container. */
static int container_from_pid_fd(pid_t pid, int fd)
{
	char target[PATH_MAX];
	int pidfd, cfd, ret;

	ret = fd_target(pid, fd, target, sizeof(target));
	if (ret == -ENOENT)
		return errorf(0, "process %d has no fd %d", pid, fd), -ENOENT;
	if (ret)
		return errorf(-ret, "process %d fd %d", pid, fd), ret;
	if (strcmp(target, "/dev/vfio/vfio"))
		return errorf(0, "process %d fd %d is %s, not a VFIO container (/dev/vfio/vfio)",
			      pid, fd, target), -ENOTTY;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return errorf(errno, "pidfd_open(%d)", pid), -errno;
	cfd = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	ret = -errno;
	close(pidfd);
	if (cfd < 0)
		return errorf(-ret, "pidfd_getfd(%d, %d)", pid, fd), ret;
	return cfd;
}

/* The container of /dev/vfio/N: the one container fd of a process holding it. */
static int container_from_group(unsigned int group)
{
	char want[64], target[PATH_MAX], path[64];
	int found_pid = 0, cfd = -1, nfound = 0, fd;
	struct dirent *p, *f;
	DIR *proc, *fds;

	snprintf(want, sizeof(want), "/dev/vfio/%u", group);
	proc = opendir("/proc");
	if (!proc)
		return errorf(errno, "/proc"), -errno;
	while (!found_pid && (p = readdir(proc))) {
		int pid = atoi(p->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((f = readdir(fds)))
			if (!fd_target(pid, atoi(f->d_name), target, sizeof(target)) &&
			    f->d_name[0] != '.' && !strcmp(target, want))
				found_pid = pid;
		closedir(fds);
	}
	closedir(proc);
	if (!found_pid)
		return errorf(0, "no process holds %s", want), -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/fd", found_pid);
	fds = opendir(path);
	if (!fds)
		return errorf(errno, "%s", path), -errno;
	while ((f = readdir(fds))) {
		if (f->d_name[0] == '.')
			continue;
		fd = atoi(f->d_name);
		if (fd_target(found_pid, fd, target, sizeof(target)) ||
		    strcmp(target, "/dev/vfio/vfio"))
			continue;
		nfound++;
		if (cfd < 0)
			cfd = container_from_pid_fd(found_pid, fd);
	}
	closedir(fds);
	if (nfound == 0)
		return errorf(0, "process %d holds %s but no container", found_pid, want), -ENOENT;
	if (nfound > 1) {
		if (cfd >= 0)
			close(cfd);
		return errorf(0, "process %d holds %d containers: name one with --container PID:FD",
			      found_pid, nfound), -EEXIST;
	}
	return cfd;
}

/* ---- targets ---- */

enum target_kind { T_NONE, T_CONTAINER, T_GROUP, T_CGROUP, T_DEFAULT };

struct target {
	enum target_kind kind;
	pid_t pid;
	int fd;
	unsigned int group;
	const char *cgroup;
	bool enforce;
};

static int parse_target(int argc, char **argv, int *i, struct target *t)
{
	const char *opt = argv[*i];

	if (!strcmp(opt, "--default")) {
		t->kind = T_DEFAULT;
		return 0;
	}
	if (*i + 1 >= argc)
		return errorf(0, "%s needs an argument", opt), -EINVAL;
	if (!strcmp(opt, "--container")) {
		if (parse_pid_fd(argv[++*i], &t->pid, &t->fd))
			return errorf(0, "--container takes PID:FD, not '%s'", argv[*i]), -EINVAL;
		t->kind = T_CONTAINER;
	} else if (!strcmp(opt, "--group")) {
		if (parse_uint(argv[++*i], &t->group))
			return errorf(0, "--group takes a group number, not '%s'", argv[*i]), -EINVAL;
		t->kind = T_GROUP;
	} else if (!strcmp(opt, "--cgroup")) {
		t->cgroup = argv[++*i];
		t->kind = T_CGROUP;
	} else {
		return errorf(0, "unknown target '%s'", opt), -EINVAL;
	}
	return 0;
}

static int open_container(const struct target *t)
{
	if (t->kind == T_CONTAINER)
		return container_from_pid_fd(t->pid, t->fd);
	if (t->kind == T_GROUP)
		return container_from_group(t->group);
	return errorf(0, "a container target is needed (--container PID:FD or --group N)"),
	       -EINVAL;
}

static int cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	struct statfs sfs;
	struct stat st;
	int mount_id;

	if (statfs(path, &sfs))
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -ENOTDIR;
	if (!name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0)) {
		*id = h.id;
		return 0;
	}
	/* Without CONFIG_FHANDLE: a cgroup2 directory's inode is its id. */
	if (errno != ENOSYS && errno != EOPNOTSUPP)
		return -errno;
	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

static const char *const sources[] = { "builtin", "default", "cgroup", "container" };

static int bind_target(const struct target *t, const char *name)
{
	struct vfio_iommu_type1_iopf_policy pol;
	char buf[64];
	uint64_t id = 0;
	int cfd, ret;

	switch (t->kind) {
	case T_DEFAULT:
		snprintf(buf, sizeof(buf), "%s%s\n", name, t->enforce ? " enforce" : "");
		ret = sysfs_write("default", buf);
		if (ret == -ENOENT)
			return errorf(0, "no policy '%s' is registered", name);
		return ret ? errorf(-ret, "setting the default policy") : 0;
	case T_CGROUP:
		ret = cgroup_id(t->cgroup, &id);
		if (ret == -ENOTDIR)
			return errorf(0, "%s is not a cgroup v2 directory", t->cgroup);
		if (ret)
			return errorf(-ret, "%s", t->cgroup);
		snprintf(buf, sizeof(buf), "%" PRIu64 "%s%s%s\n", id, name[0] ? " " : "", name,
			 t->enforce ? " enforce" : "");
		ret = sysfs_write("cgroups", buf);
		if (ret == -ENOENT)
			return errorf(0, "no policy '%s' is registered", name);
		return ret ? errorf(-ret, "binding cgroup %s", t->cgroup) : 0;
	case T_CONTAINER:
	case T_GROUP:
		cfd = open_container(t);
		if (cfd < 0)
			return 1;
		memset(&pol, 0, sizeof(pol));
		pol.argsz = sizeof(pol);
		pol.flags = VFIO_IOPF_POLICY_SET;
		snprintf(pol.name, sizeof(pol.name), "%s", name);
		ret = ioctl(cfd, VFIO_IOMMU_IOPF_POLICY, &pol) ? -errno : 0;
		close(cfd);
		if (ret == -ENOENT)
			return errorf(0, "no policy '%s' is registered", name);
		if (ret == -ENOTTY || ret == -EINVAL)
			return errorf(-ret, "the container does not take policies (no type1 IOMMU set?)");
		if (ret)
			return errorf(-ret, "binding the container");
		printf("container %" PRIu64 ": policy %s (%s)\n", (uint64_t)pol.container_id,
		       pol.name[0] ? pol.name : "builtin", sources[pol.source & 3]);
		return 0;
	default:
		return errorf(0, "no target");
	}
}

/* ---- load / unload ---- */

/* Set the `const volatile` tunable @name of @obj to @value. */
static int set_tunable(struct bpf_object *obj, const char *name, uint64_t value)
{
	const struct btf_var_secinfo *vsi;
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *sec;
	struct bpf_map *map;
	char known[256] = "";
	size_t size;
	void *data;
	int i, id;

	map = NULL;
	bpf_object__for_each_map(map, obj)
		if (bpf_map__is_internal(map) && strstr(bpf_map__name(map), ".rodata"))
			break;
	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	if (!map || id < 0)
		return errorf(0, "the policy has no tunables"), -ENOENT;
	data = bpf_map__initial_value(map, &size);
	sec = btf__type_by_id(btf, id);
	vsi = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vsi++) {
		const char *var = btf__name_by_offset(btf, btf__type_by_id(btf, vsi->type)->name_off);

		if (strcmp(var, name)) {
			snprintf(known + strlen(known), sizeof(known) - strlen(known),
				 "%s%s", known[0] ? ", " : "", var);
			continue;
		}
		if (vsi->offset + vsi->size > size)
			return errorf(0, "tunable %s lies outside .rodata", name), -EINVAL;
		if (encode_value(value, vsi->size, (char *)data + vsi->offset))
			return errorf(0, "%s=%" PRIu64 " does not fit in %u bytes", name,
				      value, vsi->size), -ERANGE;
		return 0;
	}
	return errorf(0, "the policy has no tunable '%s' (it has: %s)", name,
		      known[0] ? known : "none"), -ENOENT;
}

/* Register the struct_ops in @map as @name: its `name` member. */
static int set_policy_name(struct bpf_object *obj, struct bpf_map *map, const char *name)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_member *m;
	const struct btf_type *t;
	size_t size;
	char *data;
	int i, id;

	id = btf ? btf__find_by_name_kind(btf, "vfio_iopf_ops", BTF_KIND_STRUCT) : -1;
	data = bpf_map__initial_value(map, &size);
	if (id < 0 || !data)
		return errorf(0, "%s: no struct vfio_iopf_ops to rename", bpf_map__name(map)), -ENOENT;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		size_t off = btf_member_bit_offset(t, i) / 8;

		if (strcmp(btf__name_by_offset(btf, m->name_off), "name"))
			continue;
		if (off + IOPF_NAME_MAX > size)
			break;
		memset(data + off, 0, IOPF_NAME_MAX);
		memcpy(data + off, name, strlen(name));
		return 0;
	}
	return errorf(0, "struct vfio_iopf_ops has no name to set"), -ENOENT;
}

static int ensure_bpffs(void)
{
	struct statfs sfs;

	if (statfs("/sys/fs/bpf", &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
			return -errno;
	}
	if (mkdir(IOPF_BPFFS, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int cmd_load(int argc, char **argv)
{
	char tname[64], path[PATH_MAX], name[IOPF_NAME_MAX];
	const char *rename = NULL;
	struct bpf_object *obj;
	struct bpf_map *map;
	struct bpf_link *link;
	int i, err, loaded = 0;
	uint64_t value;
	const char *file;

	if (argc < 2)
		return errorf(0, "load needs a policy object (bpf/NAME.bpf.o)");
	file = argv[1];
	if (access(file, R_OK))
		return errorf(errno, "%s", file);
	obj = bpf_object__open_file(file, NULL);
	if (!obj)
		return errorf(errno, "opening %s", file);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--name") && i + 1 < argc) {
			rename = argv[++i];
			if (!policy_name_valid(rename)) {
				err = errorf(0, "'%s' is not a policy name ([A-Za-z0-9_.], 1-15)",
					     rename);
				goto out;
			}
			continue;
		}
		if (strcmp(argv[i], "-p") || i + 1 >= argc) {
			err = errorf(0, "unexpected '%s' (tunables are -p NAME=VALUE)", argv[i]);
			goto out;
		}
		if (parse_tunable(argv[++i], tname, sizeof(tname), &value)) {
			err = errorf(0, "tunables are NAME=VALUE with VALUE >= 0, not '%s'", argv[i]);
			goto out;
		}
		if (set_tunable(obj, tname, value)) {
			err = 1;
			goto out;
		}
	}
	if (rename) {
		loaded = 0;
		bpf_object__for_each_map(map, obj)
			if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
				loaded++;
		if (loaded != 1) {
			err = errorf(0, "--name needs exactly one policy in %s (it has %d)", file,
				     loaded);
			goto out;
		}
		loaded = 0;
		bpf_object__for_each_map(map, obj)
			if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS &&
			    set_policy_name(obj, map, rename)) {
				err = 1;
				goto out;
			}
	}
	err = bpf_object__load(obj);
	if (err) {
		err = errorf(-err, "loading %s (run with -v for the verifier log)", file);
		goto out;
	}
	err = ensure_bpffs();
	if (err) {
		err = errorf(-err, "bpffs at " IOPF_BPFFS);
		goto out;
	}
	bpf_object__for_each_map(map, obj) {
		size_t len;

		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		/* IOPF_POLICY(name) makes the map name_ops, registering "name". */
		len = strlen(bpf_map__name(map));
		if (len <= 4 || len - 4 >= sizeof(name) ||
		    strcmp(bpf_map__name(map) + len - 4, "_ops")) {
			err = errorf(0, "struct_ops map %s is not NAME_ops", bpf_map__name(map));
			goto out;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(len - 4), bpf_map__name(map));
		if (rename)
			snprintf(name, sizeof(name), "%s", rename);
		link = bpf_map__attach_struct_ops(map);
		if (!link) {
			err = -errno;
			if (err == -EEXIST)
				err = errorf(0, "a policy named '%s' is already registered", name);
			else
				err = errorf(-err, "registering policy %s", name);
			goto out;
		}
		/* A plain struct_ops map stays registered without the link. */
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		snprintf(path, sizeof(path), IOPF_BPFFS "/%s", name);
		unlink(path);
		if (bpf_map__pin(map, path))
			fprintf(stderr, "iopfctl: warning: could not pin %s\n", path);
		if (sysfs_has_policy(name) != 1) {
			err = errorf(0, "policy %s registered but not listed in " IOPF_SYSFS
				     "/policies", name);
			goto out;
		}
		printf("registered policy %s\n", name);
		loaded++;
		break;
	}
	if (!loaded)
		err = errorf(0, "%s has no vfio_iopf_ops struct_ops", file);
out:
	bpf_object__close(obj);
	return err ? 1 : 0;
}

/* The registered struct_ops map of policy @name, or -errno. */
/*
 * The struct_ops map registered as @name: the one `iopfctl load` pinned
 * under that name (--name may differ from the map's), else a map named
 * NAME_ops (loaded by bpftool).
 */
static int find_policy_map(const char *name)
{
	char want[BPF_OBJ_NAME_LEN], path[PATH_MAX];
	struct bpf_map_info info;
	__u32 id = 0, len;
	int fd;

	snprintf(path, sizeof(path), IOPF_BPFFS "/%s", name);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_map_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_MAP_TYPE_STRUCT_OPS)
			return fd;
		close(fd);
	}
	snprintf(want, sizeof(want), "%s_ops", name);
	while (!bpf_map_get_next_id(id, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_map_get_info_by_fd(fd, &info, &len) &&
		    info.type == BPF_MAP_TYPE_STRUCT_OPS && !strcmp(info.name, want))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

static int cmd_unload(int argc, char **argv)
{
	char path[PATH_MAX];
	int fd, zero = 0, ret;

	if (argc != 2 || !policy_name_valid(argv[1]))
		return errorf(0, "unload needs one policy name");
	ret = sysfs_has_policy(argv[1]);
	if (ret < 0)
		return errorf(-ret, IOPF_SYSFS "/policies");
	if (!ret)
		return errorf(0, "no policy '%s' is registered", argv[1]);
	fd = find_policy_map(argv[1]);
	if (fd < 0)
		return errorf(0, "policy %s is not a BPF struct_ops map named %s_ops",
			      argv[1], argv[1]);
	ret = bpf_map_delete_elem(fd, &zero) ? -errno : 0;
	close(fd);
	if (ret == -EOPNOTSUPP)
		return errorf(0, "policy %s was registered with a link: remove its pinned link",
			      argv[1]);
	if (ret)
		return errorf(-ret, "unregistering %s", argv[1]);
	snprintf(path, sizeof(path), IOPF_BPFFS "/%s", argv[1]);
	unlink(path);
	printf("unregistered policy %s\n", argv[1]);
	return 0;
}

static int cmd_attach(int argc, char **argv, bool detach)
{
	struct target t = {};
	const char *name = "";
	int i = 1;

	if (!detach) {
		if (argc < 2 || argv[1][0] == '-')
			return errorf(0, "attach needs a policy name and a target");
		name = argv[1];
		if (!policy_name_valid(name))
			return errorf(0, "'%s' is not a policy name ([A-Za-z0-9_.], 1-15)", name);
		i = 2;
	}
	if (i >= argc)
		return errorf(0, "%s needs a target", detach ? "detach" : "attach");
	if (parse_target(argc, argv, &i, &t))
		return 1;
	if (!detach && i + 1 < argc && !strcmp(argv[i + 1], "--enforce")) {
		if (t.kind != T_CGROUP && t.kind != T_DEFAULT)
			return errorf(0, "--enforce is for --cgroup and --default bindings");
		t.enforce = true;
		i++;
	}
	if (i + 1 != argc)
		return errorf(0, "unexpected '%s'", argv[i + 1]);
	return bind_target(&t, name);
}

static int cmd_list(void)
{
	int ret = sysfs_cat("policies", "policies:");

	if (ret == -ENOENT)
		return errorf(0, "this kernel has no I/O page fault policies (" IOPF_SYSFS ")");
	if (ret)
		return errorf(-ret, IOPF_SYSFS);
	sysfs_cat("default", "default:");
	sysfs_cat("cgroups", "cgroups (cgroup id, policy[, enforce]):");
	sysfs_cat("containers", "containers (id, pid, cgroup id, policy, from):");
	sysfs_cat("max_pages", "max_pages:");
	sysfs_cat("faultable", "faultable devices:");
	return 0;
}

static int sysfs_read(const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), IOPF_SYSFS "/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int cmd_faultable(int argc, char **argv)
{
	char list[4096], out[4096], path[PATH_MAX];
	int i, add, ret;

	ret = sysfs_read("faultable", list, sizeof(list));
	if (ret == -ENOENT)
		return errorf(0, "this kernel cannot map plain DMA on fault (no " IOPF_SYSFS
			      "/faultable)");
	if (ret)
		return errorf(-ret, IOPF_SYSFS "/faultable");
	if (argc == 1) {
		printf("%s", list);
		return 0;
	}
	add = !strcmp(argv[1], "add");
	if ((!add && strcmp(argv[1], "remove")) || argc < 3)
		return errorf(0, "faultable takes add or remove, and devices");
	for (i = 2; i < argc; i++) {
		if (!device_word_valid(argv[i]))
			return errorf(0, "'%s' is neither a PCI address (0000:00:04.0) nor PCI IDs (1234:11e8)",
				      argv[i]);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", argv[i]);
		if (add && argv[i][7] == ':' && access(path, F_OK))
			return errorf(0, "no PCI device %s", argv[i]);
		ret = word_list_edit(list, argv[i], add, out, sizeof(out));
		if (ret == -EEXIST || ret == -ENOENT)
			return errorf(0, "%s is %s the faultable list", argv[i],
				      add ? "already on" : "not on");
		if (ret)
			return errorf(-ret, "editing the faultable list");
		snprintf(list, sizeof(list), "%s", out);
	}
	strcat(out, "\n");
	ret = sysfs_write("faultable", out);
	if (ret)
		return errorf(-ret, "writing " IOPF_SYSFS "/faultable");
	printf("faultable: %s", out);
	return 0;
}

static int cmd_mappings(void)
{
	int ret = sysfs_cat("mappings", "mappings (container, iova, size, mode, pages mapped):");

	if (ret == -ENOENT)
		return errorf(0, "this kernel cannot map plain DMA on fault (no " IOPF_SYSFS
			      "/mappings)");
	return ret ? errorf(-ret, IOPF_SYSFS "/mappings") : 0;
}

static int read_stats(int cfd, struct iopf_report *r)
{
	struct vfio_iommu_type1_info *info;
	const iopf_stats_t *cap;
	const iopf_times_t *t;
	size_t size = 4096;

	info = calloc(1, size);
	if (!info)
		return -ENOMEM;
	info->argsz = size;
	if (ioctl(cfd, VFIO_IOMMU_GET_INFO, info)) {
		free(info);
		return -errno;
	}
	memset(r, 0, sizeof(*r));
	cap = find_stats_cap(info, size);
	if (cap)
		r->st = *cap;
	t = find_info_cap(info, size, VFIO_IOMMU_TYPE1_INFO_CAP_IOPF_TIME, sizeof(*t));
	if (t) {
		r->t = *t;
		r->has_times = 1;
	}
	free(info);
	return cap ? 0 : -ENOENT;
}

static void on_sigint(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_stats(int argc, char **argv)
{
	unsigned int watch = 0, count = 0, n = 0;
	struct target t = {};
	bool json = false;
	struct iopf_report st;
	char buf[4096];
	size_t f;
	int i, cfd, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--watch") || !strcmp(argv[i], "--count")) {
			if (i + 1 >= argc || parse_uint(argv[i + 1], argv[i][2] == 'w' ? &watch : &count))
				return errorf(0, "%s takes a number", argv[i]);
			i++;
		} else if (parse_target(argc, argv, &i, &t)) {
			return 1;
		}
	}
	cfd = open_container(&t);
	if (cfd < 0)
		return 1;
	signal(SIGINT, on_sigint);
	do {
		ret = read_stats(cfd, &st);
		if (ret) {
			close(cfd);
			return errorf(-ret, "reading statistics (no IOPF capability?)");
		}
		if (json) {
			if (stats_json(&st, buf, sizeof(buf)) < 0)
				return errorf(ENOSPC, "formatting");
			printf("%s\n", buf);
		} else {
			for (f = 0; f < nr_stat_fields; f++) {
				uint64_t v;

				if (stat_fields[f].time && !st.has_times)
					continue;
				memcpy(&v, (char *)&st + stat_fields[f].offset, sizeof(v));
				printf("%-20s %" PRIu64 "\n", stat_fields[f].name, v);
			}
		}
		fflush(stdout);
		if (!watch || (count && ++n >= count))
			break;
		sleep(watch);
	} while (!stop);
	close(cfd);
	return 0;
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "+vh")) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			fputs(help_fmt, stdout);
			return 0;
		default:
			fputs(help_fmt, stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		fputs(help_fmt, stderr);
		return 2;
	}
	libbpf_set_print(libbpf_print);

	if (!strcmp(argv[0], "load"))
		return cmd_load(argc, argv);
	if (!strcmp(argv[0], "unload"))
		return cmd_unload(argc, argv);
	if (!strcmp(argv[0], "attach"))
		return cmd_attach(argc, argv, false);
	if (!strcmp(argv[0], "detach"))
		return cmd_attach(argc, argv, true);
	if (!strcmp(argv[0], "list"))
		return cmd_list();
	if (!strcmp(argv[0], "stats"))
		return cmd_stats(argc, argv);
	if (!strcmp(argv[0], "faultable"))
		return cmd_faultable(argc, argv);
	if (!strcmp(argv[0], "mappings"))
		return cmd_mappings();
	if (!strcmp(argv[0], "help")) {
		fputs(help_fmt, stdout);
		return 0;
	}
	errorf(0, "unknown command '%s'", argv[0]);
	fputs(help_fmt, stderr);
	return 2;
}

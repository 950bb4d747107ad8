// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sys/syscall.h>

#include <linux/capability.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "vfio_util.h"

static int read_hex(const char *path, unsigned int *val)
{
	char buf[32];
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	*val = strtoul(buf, NULL, 16);
	return 0;
}

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

int edu_find(char bdfs[][32], int max)
{
	DIR *dir = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	char path[PATH_MAX];
	int n = 0;

	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && n < max) {
		unsigned int vendor, device;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", de->d_name);
		if (read_hex(path, &vendor))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", de->d_name);
		if (read_hex(path, &device))
			continue;
		if (vendor == EDU_VENDOR && device == EDU_DEVICE)
			snprintf(bdfs[n++], 32, "%.31s", de->d_name);
	}
	closedir(dir);
	qsort(bdfs, n, 32, cmp_bdf);
	return n;
}

int vfio_container_open(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

int group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t len;
	char *slash;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -errno;
	link[len] = '\0';
	slash = strrchr(link, '/');
	return slash ? atoi(slash + 1) : -EINVAL;
}

int vfio_dev_open(struct vfio_dev *d, int container, const char *bdf)
{
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[64];
	int ret;

	memset(d, 0, sizeof(*d));
	d->group_fd = d->device_fd = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->group_id = group_of(bdf);
	if (d->group_id < 0)
		return d->group_id;

	snprintf(path, sizeof(path), "/dev/vfio/%d", d->group_id);
	d->group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->group_fd < 0)
		return -errno;
	if (ioctl(d->group_fd, VFIO_GROUP_GET_STATUS, &gs) ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		ret = -EBUSY;
		goto err;
	}
	if (ioctl(d->group_fd, VFIO_GROUP_SET_CONTAINER, &container)) {
		ret = -errno;
		goto err;
	}
	/* The first group in a container selects the IOMMU model. */
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) && errno != EBUSY &&
	    errno != EINVAL) {
		ret = -errno;
		goto err;
	}
	d->device_fd = ioctl(d->group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->device_fd < 0) {
		ret = -errno;
		goto err;
	}
	return vfio_dev_enable(d);
err:
	vfio_dev_close(d);
	return ret;
}

static int __vfio_dev_enable(struct vfio_dev *d)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	uint16_t cmd;
	void *bar;

	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(d->device_fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return -errno;
	bar = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   d->device_fd, ri.offset);
	if (bar == MAP_FAILED)
		return -errno;
	d->bar0 = bar;
	d->bar0_size = ri.size;

	/* vfio-pci leaves bus mastering off: no DMA works until it is set. */
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(d->device_fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return -errno;
	d->config_offset = ri.offset;
	if (pread(d->device_fd, &cmd, 2, ri.offset + PCI_COMMAND) != 2)
		return -EIO;
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	if (pwrite(d->device_fd, &cmd, 2, ri.offset + PCI_COMMAND) != 2)
		return -EIO;
	return 0;
}

int vfio_dev_enable(struct vfio_dev *d)
{
	int ret = __vfio_dev_enable(d);

	if (ret)
		vfio_dev_close(d);
	return ret;
}

void vfio_dev_close(struct vfio_dev *d)
{
	if (d->bar0)
		munmap((void *)d->bar0, d->bar0_size);
	if (d->device_fd >= 0)
		close(d->device_fd);
	if (d->group_fd >= 0) {
		ioctl(d->group_fd, VFIO_GROUP_UNSET_CONTAINER);
		close(d->group_fd);
	}
	d->bar0 = NULL;
	d->device_fd = d->group_fd = -1;
}

int vfio_map(int container, void *vaddr, uint64_t iova, uint64_t size,
	     uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

int vfio_unmap(int container, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
}

void *alloc_pages_fill(size_t size, int fill)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, fill, size);
	return p;
}

void fill_pattern(void *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = x;
	}
}

uint32_t edu_read32(struct vfio_dev *d, unsigned int reg)
{
	return *(volatile uint32_t *)(d->bar0 + reg);
}

static void edu_write64(struct vfio_dev *d, unsigned int reg, uint64_t val)
{
	*(volatile uint64_t *)(d->bar0 + reg) = val;
}

void edu_dma_start(struct vfio_dev *d, uint64_t iova, uint32_t off,
		   uint32_t len, bool to_ram)
{
	if (to_ram) {
		edu_write64(d, EDU_REG_DMA_SRC, EDU_BUF + off);
		edu_write64(d, EDU_REG_DMA_DST, iova);
	} else {
		edu_write64(d, EDU_REG_DMA_SRC, iova);
		edu_write64(d, EDU_REG_DMA_DST, EDU_BUF + off);
	}
	edu_write64(d, EDU_REG_DMA_COUNT, len);
	edu_write64(d, EDU_REG_DMA_CMD, EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0));
}

int edu_dma_wait(struct vfio_dev *d)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	/* Each edu DMA takes 100 ms of virtual time; allow for a slow TCG. */
	for (i = 0; i < 10000; i++) {
		if (!(edu_read32(d, EDU_REG_DMA_CMD) & EDU_DMA_RUN))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

int edu_dma(struct vfio_dev *d, uint64_t iova, uint32_t off, uint32_t len,
	    bool to_ram)
{
	edu_dma_start(d, iova, off, len, to_ram);
	return edu_dma_wait(d);
}

long proc_kb(const char *path, const char *field)
{
	FILE *f = fopen(path, "r");
	size_t flen = strlen(field);
	char line[256];
	long val = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, flen)) {
			val = strtol(line + flen, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

long proc_status_kb(const char *field)
{
	return proc_kb("/proc/self/status", field);
}

long memlock_room(unsigned int pages)
{
	long lck = proc_status_kb("VmLck:");
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = lck * 1024 + (long)pages * sysconf(_SC_PAGESIZE);
	return setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : lck;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : n < 0 ? -errno : -EIO;
}

int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

long long read_ll(const char *path)
{
	char buf[32];
	int n = read_str(path, buf, sizeof(buf));

	return n > 0 ? strtoll(buf, NULL, 10) : n < 0 ? n : -EIO;
}

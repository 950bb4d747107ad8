// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "iommufd_util.h"

int iommufd_open(void)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int ioas_alloc(int iommufd)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &cmd))
		return -errno;
	return cmd.out_ioas_id;
}

int iommufd_destroy(int iommufd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(iommufd, IOMMU_DESTROY, &cmd) ? -errno : 0;
}

int ioas_map(int iommufd, uint32_t ioas, void *vaddr, uint64_t iova,
	     uint64_t len, uint32_t flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags | IOMMU_IOAS_MAP_FIXED_IOVA,
		.ioas_id = ioas,
		.user_va = (uintptr_t)vaddr,
		.length = len,
		.iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP, &cmd) ? -errno : 0;
}

int ioas_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	return ioctl(iommufd, IOMMU_IOAS_UNMAP, &cmd) ? -errno : 0;
}

int iommufd_set_rlimit_mode(int iommufd, uint64_t mode)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = mode,
	};

	return ioctl(iommufd, IOMMU_OPTION, &cmd) ? -errno : 0;
}

/* /sys/bus/pci/devices/BDF/vfio-dev/ holds one entry, "vfioN". */
static int cdev_path(const char *bdf, char *path, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *dp;
	int ret = -ENOENT;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((de = readdir(dp))) {
		if (strncmp(de->d_name, "vfio", 4))
			continue;
		snprintf(path, len, "/dev/vfio/devices/%s", de->d_name);
		ret = 0;
		break;
	}
	closedir(dp);
	return ret;
}

int cdev_open(struct vfio_dev *d, int iommufd, const char *bdf, uint32_t *dev_id)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = sizeof(bind),
		.iommufd = iommufd,
	};
	char path[PATH_MAX];
	int ret;

	memset(d, 0, sizeof(*d));
	d->group_fd = d->device_fd = -1;
	d->group_id = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	ret = cdev_path(bdf, path, sizeof(path));
	if (ret)
		return ret;
	d->device_fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->device_fd < 0)
		return -errno;
	if (ioctl(d->device_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		ret = -errno;
		goto err;
	}
	*dev_id = bind.out_devid;
	return vfio_dev_enable(d);
err:
	vfio_dev_close(d);
	return ret;
}

int cdev_attach(struct vfio_dev *d, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = sizeof(attach),
		.pt_id = pt_id,
	};

	if (ioctl(d->device_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return -errno;
	return attach.pt_id;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommufd helpers for the guest tests: /dev/iommu, IOAS mappings, and a
 * vfio-pci device opened through its cdev (/dev/vfio/devices/vfioX) and
 * bound to an iommufd instead of a group and a type1 container.
 */
#ifndef IOMMUFD_UTIL_H
#define IOMMUFD_UTIL_H

#include <stdint.h>

#include "vfio_util.h"

/* Open /dev/iommu; its fd or -errno. */
int iommufd_open(void);
/* Allocate an IOAS; its id or -errno. */
int ioas_alloc(int iommufd);
/* Destroy any iommufd object; 0 or -errno. */
int iommufd_destroy(int iommufd, uint32_t id);
/* IOMMU_IOAS_MAP at a fixed @iova with IOMMU_IOAS_MAP_* @flags. */
int ioas_map(int iommufd, uint32_t ioas, void *vaddr, uint64_t iova,
	     uint64_t len, uint32_t flags);
int ioas_unmap(int iommufd, uint32_t ioas, uint64_t iova, uint64_t len);
/* IOMMU_OPTION_RLIMIT_MODE: 0 charges the user's locked_vm, 1 the mm's. */
int iommufd_set_rlimit_mode(int iommufd, uint64_t mode);

/*
 * Open the device's cdev, bind it to @iommufd (its device id in *@dev_id),
 * map BAR0 and turn on bus mastering. No group is opened. 0 or -errno.
 */
int cdev_open(struct vfio_dev *d, int iommufd, const char *bdf, uint32_t *dev_id);
/* Attach to @pt_id (an IOAS or a hwpt); the hwpt used, or -errno. */
int cdev_attach(struct vfio_dev *d, uint32_t pt_id);

#endif

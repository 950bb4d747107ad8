/* SPDX-License-Identifier: GPL-2.0 */
/* VFIO type1 helpers and an edu device driver for the guest tests. */
#ifndef VFIO_UTIL_H
#define VFIO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8

/* edu BAR0 registers (QEMU hw/misc/edu.c) */
#define EDU_REG_IDENT		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_DMA_RUN		0x1
#define EDU_DMA_TO_RAM		0x2
#define EDU_DMA_IRQ		0x4
/* The device-side buffer, as a DMA address. */
#define EDU_BUF			0x40000ULL
#define EDU_BUF_SIZE		4096
/* QEMU 7.2 aborts on a 4096-byte DMA; keep one byte under. */
#define EDU_DMA_MAX		4095

#define MAX_EDU			4

struct vfio_dev {
	char bdf[32];
	int group_id;
	int group_fd;
	int device_fd;
	volatile uint8_t *bar0;
	size_t bar0_size;
	uint64_t config_offset;
};

/* Guest-visible edu devices (bound to vfio-pci by init), sorted by BDF. */
int edu_find(char bdfs[][32], int max);
/* The IOMMU group number of a PCI device, or -errno. */
int group_of(const char *bdf);

/* Open a new type1 container; returns its fd or -errno. */
int vfio_container_open(void);
/*
 * Attach the device's group to @container, select type1v2 on first use,
 * get the device fd, map BAR0 and turn on bus mastering. Returns 0 or -errno.
 */
int vfio_dev_open(struct vfio_dev *d, int container, const char *bdf);
/*
 * With d->device_fd open: map BAR0 and turn on bus mastering. 0, or -errno
 * with @d closed.
 */
int vfio_dev_enable(struct vfio_dev *d);
void vfio_dev_close(struct vfio_dev *d);

int vfio_map(int container, void *vaddr, uint64_t iova, uint64_t size,
	     uint32_t flags);
int vfio_unmap(int container, uint64_t iova, uint64_t size);

/* Page-aligned anonymous memory, filled with @fill. */
void *alloc_pages_fill(size_t size, int fill);
/* Deterministic pattern derived from @seed. */
void fill_pattern(void *buf, size_t len, uint32_t seed);

uint32_t edu_read32(struct vfio_dev *d, unsigned int reg);
/*
 * One DMA between RAM (an IOVA) and the device buffer. to_ram copies the
 * device buffer at @off into @iova, else @iova into the device buffer.
 * Waits for completion; returns 0, or -ETIMEDOUT. The device gives no error
 * status: only the data shows a failed transfer.
 */
int edu_dma(struct vfio_dev *d, uint64_t iova, uint32_t off, uint32_t len,
	    bool to_ram);
/* Start a DMA without waiting, and wait for it. */
void edu_dma_start(struct vfio_dev *d, uint64_t iova, uint32_t off,
		   uint32_t len, bool to_ram);
int edu_dma_wait(struct vfio_dev *d);

/* Drop capability @cap (CAP_*) from the effective and permitted sets. */
int drop_cap(int cap);

/* Write @s to a file; 0 or -errno. */
int write_str(const char *path, const char *s);
/* Read a file into @buf (NUL-terminated); the bytes read, or -errno. */
int read_str(const char *path, char *buf, size_t len);
/* A file's decimal value, or -errno. */
long long read_ll(const char *path);

/* The value of a field of a /proc file ("MemFree:"), in kB; -1 if absent. */
long proc_kb(const char *path, const char *field);
/* The value of a field in /proc/self/status ("VmLck:"), in kB; -1 if absent. */
long proc_status_kb(const char *field);
/* Set RLIMIT_MEMLOCK to room for @pages more; VmLck (kB) before, or -errno. */
long memlock_room(unsigned int pages);
/* CLOCK_MONOTONIC in ns. */
uint64_t mono_ns(void);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Test policy, not for use: makes whatever bad decision `mode` says, so
 * that the tests see the kernel clamp it or fall back.
 *   0: before = after = 0xffffffff (clamped to the mapping and max_pages)
 *   1: return -1 (invalid: built-in default)
 *   2: unknown flag bits (invalid)
 *   3: VFIO_IOPF_FAIL (the fault fails)
 */
#include "vmlinux.h"
#include "iopf_policy.bpf.h"

const volatile __u32 mode;

IOPF_FAULT(hostile_fault, const struct vfio_iopf_fault_ctx *fc,
	   struct vfio_iopf_decision *d)
{
	switch (mode) {
	case 0:
		return iopf_decide(d, 0xffffffff, 0xffffffff, 0);
	case 1:
		return -1;
	case 2:
		return iopf_decide(d, 0, 0, 0x80);
	default:
		return iopf_decide(d, 0, 0, VFIO_IOPF_FAIL);
	}
}

IOPF_DEFAULT_DONE(hostile)

IOPF_POLICY(hostile,
	.fault = (void *)hostile_fault,
	.done = (void *)hostile_done,
);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for vfio_iopf_ops BPF policies: include this after vmlinux.h.
 *
 *	IOPF_FAULT(window_fault, const struct vfio_iopf_fault_ctx *ctx,
 *		   struct vfio_iopf_decision *d)
 *	{
 *		d->after = window - 1;
 *		return 0;
 *	}
 *	IOPF_POLICY(window, .fault = (void *)window_fault);
 *
 * Tunables are `const volatile` globals, set by the loader before load
 * (iopfctl load -p NAME=VALUE). Statistics are IOPF_STAT_* counters in a
 * per-CPU array that iopfctl sums.
 */
#ifndef IOPF_POLICY_BPF_H
#define IOPF_POLICY_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define PAGE_SHIFT_4K	12
#define IOPF_PAGE	(1ULL << PAGE_SHIFT_4K)

/* One struct_ops program: IOPF_FAULT(name, args...) { body } */
#define IOPF_FAULT(name, args...)	SEC("struct_ops/" #name) int BPF_PROG(name, ##args)
#define IOPF_DONE(name, args...)	SEC("struct_ops/" #name) void BPF_PROG(name, ##args)
#define IOPF_BIND(name, args...)	SEC("struct_ops/" #name) void BPF_PROG(name, ##args)
#define IOPF_MAP(name, args...)		SEC("struct_ops/" #name) int BPF_PROG(name, ##args)

/*
 * The ops table. A plain (not .link) struct_ops map: it stays registered
 * after the loader exits, until `bpftool struct_ops unregister` or
 * `iopfctl unload` deletes it.
 */
#define IOPF_POLICY(policy, ...)					\
	SEC(".struct_ops")						\
	struct vfio_iopf_ops policy##_ops = {				\
		.name = #policy,					\
		__VA_ARGS__						\
	}

/* Pages of the fault's mapping below and above the faulting page. */
static __always_inline __u64 iopf_pages_below(const struct vfio_iopf_fault_ctx *ctx)
{
	return (ctx->iova - ctx->dma_iova) >> PAGE_SHIFT_4K;
}

static __always_inline __u64 iopf_pages_above(const struct vfio_iopf_fault_ctx *ctx)
{
	return ((ctx->dma_iova + ctx->dma_size - ctx->iova) >> PAGE_SHIFT_4K) - 1;
}

/*
 * A policy's state for one container, in a BPF_MAP_TYPE_HASH keyed by the
 * container id: created from @init on the container's first fault (drop it
 * in unbind()). NULL if the map is full.
 */
static __always_inline void *iopf_container_state(void *map, __u64 id,
						  const void *init)
{
	void *s = bpf_map_lookup_elem(map, &id);

	if (s)
		return s;
	bpf_map_update_elem(map, &id, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, &id);
}

/*
 * Readahead for device streams, per container: a fault where the last
 * prefault ended doubles the window up to @max, a fault elsewhere starts
 * again at @min. Policies keep it in IOPF_STREAMS(name), a hash keyed by
 * container id (delete the entry in unbind()). Returns the window, in
 * pages, for the fault at @iova; @min if the map is full.
 */
struct iopf_stream {
	__u64 next;	/* IOVA just past the last prefault */
	__u32 window;
};

#define IOPF_STREAMS(name)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_HASH);			\
		__uint(max_entries, 1024);				\
		__type(key, __u64);	/* container id */		\
		__type(value, struct iopf_stream);			\
	} name SEC(".maps")

static __always_inline __u32 iopf_stream_window(void *streams, __u64 container_id,
						 __u64 iova, __u32 min, __u32 max)
{
	struct iopf_stream *s, fresh = {};
	__u32 w = min ?: 1;

	s = iopf_container_state(streams, container_id, &fresh);
	if (!s)
		return w;
	if (s->window && iova == s->next) {
		w = s->window * 2;
		if (w > max)
			w = max;
	}
	s->window = w;
	s->next = iova + (__u64)w * IOPF_PAGE;
	return w;
}

extern int bpf_vfio_iopf_page_mapped(const struct vfio_iopf_fault_ctx *ctx,
				     __u64 iova) __ksym;

/* Statistics every policy keeps: one X-macro defines each once. */
#define IOPF_STATS(X)							\
	X(FAULTS, "faults decided")					\
	X(PAGES_ASKED, "pages asked for (before + 1 + after)")		\
	X(PAGES_MAPPED, "pages the kernel mapped")			\
	X(PAGES_PINNED, "pages the kernel pinned")			\
	X(ERRORS, "faults answered with an error")			\
	X(BINDS, "containers bound")					\
	X(INVALIDATED, "pages the kernel unmapped (not pinned)")	\
	X(UNBINDS, "containers unbound")				\
	X(MAPS_ON_FAULT, "plain DMA mappings made to map on fault")	\
	X(MAPS_EAGER, "plain DMA mappings left eager")

#define IOPF_STAT_ENUM(name, desc) IOPF_STAT_##name,
enum iopf_stat { IOPF_STATS(IOPF_STAT_ENUM) IOPF_NR_STATS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IOPF_NR_STATS);
	__type(key, __u32);
	__type(value, __u64);
} iopf_stats SEC(".maps");

static __always_inline void iopf_stat_add(enum iopf_stat idx, __u64 n)
{
	__u32 key = idx;
	__u64 *v = bpf_map_lookup_elem(&iopf_stats, &key);

	if (v)
		*v += n;
}

/* A done() that keeps the common statistics. */
#define IOPF_DEFAULT_DONE(policy)					\
	IOPF_DONE(policy##_done, const struct vfio_iopf_fault_ctx *fc,	\
		  const struct vfio_iopf_result *res)			\
	{								\
		iopf_stat_add(IOPF_STAT_PAGES_MAPPED, res->pages_mapped); \
		iopf_stat_add(IOPF_STAT_PAGES_PINNED, res->pages_pinned); \
		if (res->error)						\
			iopf_stat_add(IOPF_STAT_ERRORS, 1);		\
	}

static __always_inline int iopf_decide(struct vfio_iopf_decision *d,
				       __u32 before, __u32 after, __u32 flags)
{
	d->before = before;
	d->after = after;
	d->flags = flags;
	iopf_stat_add(IOPF_STAT_FAULTS, 1);
	iopf_stat_add(IOPF_STAT_PAGES_ASKED, (__u64)before + after + 1);
	return 0;
}

char _license[] SEC("license") = "GPL";

#endif /* IOPF_POLICY_BPF_H */

// SPDX-License-Identifier: Apache-2.0
/*
 * XDP blocklist: drops packets whose IPv4/IPv6 source is banned, as close to the cost of
 * parsing as possible. Layouts and constants live in xdp_blocklist.h (shared with userspace).
 *
 * Verdict precedence: allow list > banned exact address > banned range > pass. Evaluation is
 * ordered for speed without changing that result: a prefilter first proves most sources unlisted
 * (no lookup at all); otherwise exact hash, then range trie, and the allow trie only once a live
 * ban matched, because allowing a source that is not banned changes nothing. Expired entries
 * count as absent. Non-IP and malformed frames pass (fail open: the stack decides).
 */
#include "xdp_parse.h"

#define PHX_BAN_V4_MAX (1U << 21)
#define PHX_BAN_V6_MAX (1U << 18)
#define PHX_RANGE_MAX  (1U << 16)
#define PHX_ALLOW_MAX  (1U << 12)

/* Map sizes are defaults; userspace resizes them before load (bpf_map__set_max_entries). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PHX_BAN_V4_MAX);
	__type(key, struct phx_v4_key);
	__type(value, struct phx_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} phx_ban_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PHX_BAN_V6_MAX);
	__type(key, struct phx_v6_key);
	__type(value, struct phx_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} phx_ban_v6 SEC(".maps");

#define PHX_LPM_MAP(name, key_type, max)                                                           \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);                                               \
		__uint(max_entries, max);                                                          \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                              \
		__type(key, key_type);                                                             \
		__type(value, struct phx_entry);                                                   \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                                               \
	} name SEC(".maps")

PHX_LPM_MAP(phx_range_v4, struct phx_lpm_v4_key, PHX_RANGE_MAX);
PHX_LPM_MAP(phx_range_v6, struct phx_lpm_v6_key, PHX_RANGE_MAX);
PHX_LPM_MAP(phx_allow_v4, struct phx_lpm_v4_key, PHX_ALLOW_MAX);
PHX_LPM_MAP(phx_allow_v6, struct phx_lpm_v6_key, PHX_ALLOW_MAX);

#define PHX_PREFILTER_MAP(name, words)                                                             \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                  \
		__uint(max_entries, words);                                                        \
		__uint(map_flags, BPF_F_MMAPABLE);                                                 \
		__type(key, __u32);                                                                \
		__type(value, __u64);                                                              \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                                               \
	} name SEC(".maps")

PHX_PREFILTER_MAP(phx_pfilter_v4, PHX_PF_V4_WORDS);
PHX_PREFILTER_MAP(phx_pfilter_v6, PHX_PF_V6_WORDS);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PHX_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, struct phx_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} phx_counters SEC(".maps");

#define PHX_PF_EXACT 1U
#define PHX_PF_RANGE 2U

/*
 * Which bit pairs of word idx are complete: PHX_PF_EXACT, PHX_PF_RANGE, both or neither. A
 * missing word means "maybe" for both (fail safe: the lookups decide).
 */
static __always_inline __u32 phx_pf_probe(void *map, __u32 idx, __u64 exact, __u64 range)
{
	__u64 *word = bpf_map_lookup_elem(map, &idx);

	if (!word)
		return PHX_PF_EXACT | PHX_PF_RANGE;
	return ((*word & exact) == exact ? PHX_PF_EXACT : 0) |
	       ((*word & range) == range ? PHX_PF_RANGE : 0);
}

static __always_inline __u32 phx_pf_v4(__u32 addr)
{
	__u64 hp = phx_pf_hash_v4_prefix(addr);

	return phx_pf_probe(&phx_pfilter_v4, phx_pf_word(hp, PHX_PF_V4_LOG2),
			    phx_pf_exact_bits(phx_pf_hash_v4(addr)),
			    phx_pf_range_bits(hp, PHX_PF_V4_LOG2));
}

static __always_inline __u32 phx_pf_v6(const __u32 *addr)
{
	__u64 hp = phx_pf_hash_v6_prefix(addr);

	return phx_pf_probe(&phx_pfilter_v6, phx_pf_word(hp, PHX_PF_V6_LOG2),
			    phx_pf_exact_bits(phx_pf_hash_v6(addr)),
			    phx_pf_range_bits(hp, PHX_PF_V6_LOG2));
}

/*
 * Returns e if it is live. An expired e is remembered in *stale (for the counter's origin) and
 * NULL returned. The clock is read at most once per packet, and only when an entry was found.
 */
static __always_inline const struct phx_entry *phx_live(const struct phx_entry *e,
							const struct phx_entry **stale, __u64 *now)
{
	if (!e)
		return NULL;
	if (!*now)
		*now = bpf_ktime_get_coarse_ns();
	if (e->expiry_ns > *now)
		return e;
	*stale = e;
	return NULL;
}

/* Verdict once the ban lookups are done: ban (or NULL), allow entry (or NULL), stale match. */
static __always_inline __u32 phx_judge(const struct phx_entry *ban, const struct phx_entry *allow,
				       const struct phx_entry *stale, __u32 *origin)
{
	if (ban) {
		*origin = ban->origin;
		return allow ? PHX_VERDICT_PASS_ALLOWED : PHX_VERDICT_DROP;
	}
	if (stale) {
		*origin = stale->origin;
		return PHX_VERDICT_PASS_EXPIRED;
	}
	return PHX_VERDICT_PASS_MISS;
}

static __always_inline __u32 phx_check_v4(const struct phx_src *src, __u32 *origin)
{
	struct phx_lpm_v4_key lk = {.prefixlen = 32, .addr = src->addr[0]};
	const struct phx_entry *ban = NULL, *allow = NULL, *stale = NULL, *ignored = NULL;
	__u32 pf = phx_pf_v4(src->addr[0]);
	__u64 now = 0;

	if (!pf)
		return PHX_VERDICT_PASS_PREFILTER;
	if (pf & PHX_PF_EXACT)
		ban = phx_live(bpf_map_lookup_elem(&phx_ban_v4, &lk.addr), &stale, &now);
	if (!ban && (pf & PHX_PF_RANGE))
		ban = phx_live(bpf_map_lookup_elem(&phx_range_v4, &lk), &stale, &now);
	if (ban)
		allow = phx_live(bpf_map_lookup_elem(&phx_allow_v4, &lk), &ignored, &now);
	return phx_judge(ban, allow, stale, origin);
}

static __always_inline __u32 phx_check_v6(const struct phx_src *src, __u32 *origin)
{
	struct phx_lpm_v6_key lk = {.prefixlen = 128};
	const struct phx_entry *ban = NULL, *allow = NULL, *stale = NULL, *ignored = NULL;
	__u32 pf = phx_pf_v6(src->addr);
	__u64 now = 0;

	if (!pf)
		return PHX_VERDICT_PASS_PREFILTER;
	__builtin_memcpy(lk.addr, src->addr, sizeof(lk.addr));
	if (pf & PHX_PF_EXACT)
		ban = phx_live(bpf_map_lookup_elem(&phx_ban_v6, &lk.addr), &stale, &now);
	if (!ban && (pf & PHX_PF_RANGE))
		ban = phx_live(bpf_map_lookup_elem(&phx_range_v6, &lk), &stale, &now);
	if (ban)
		allow = phx_live(bpf_map_lookup_elem(&phx_allow_v6, &lk), &ignored, &now);
	return phx_judge(ban, allow, stale, origin);
}

/* Per-CPU, so plain increments: XDP runs in softirq context, one packet at a time per CPU. */
static __always_inline void phx_count(__u32 origin, __u32 family, __u32 verdict, __u64 bytes)
{
	struct phx_counter *c;
	__u32 idx;

	if (origin >= PHX_ORIGIN_COUNT)
		origin = PHX_ORIGIN_OTHER;
	idx = phx_counter_index(origin, family, verdict);
	c = bpf_map_lookup_elem(&phx_counters, &idx);
	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

SEC("xdp")
int xdp_blocklist(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 origin = PHX_ORIGIN_NONE;
	struct phx_src src;
	__u32 verdict;

	verdict = phx_parse(data, end, &src);
	if (verdict == PHX_PARSED) {
		if (src.family == PHX_FAMILY_V4)
			verdict = phx_check_v4(&src, &origin);
		else
			verdict = phx_check_v6(&src, &origin);
	}
	phx_count(origin, src.family, verdict, end - data);
	return verdict == PHX_VERDICT_DROP ? XDP_DROP : XDP_PASS;
}

/* Only helpers without the gpl_only flag are used, so our own license string loads. */
char LICENSE[] SEC("license") = "Apache-2.0";

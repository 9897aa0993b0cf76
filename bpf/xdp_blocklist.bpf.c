// SPDX-License-Identifier: Apache-2.0
/*
 * XDP blocklist: drops packets whose IPv4/IPv6 source is banned, as close to the cost of
 * parsing as possible. Layouts and constants live in xdp_blocklist.h (shared with userspace).
 *
 * Verdict precedence: allow list > banned exact address > banned range > pass. Evaluation is
 * ordered for speed without changing that result: a prefilter first proves most sources unlisted
 * (no lookup at all); otherwise exact hash, then range trie, and the allow trie only once a live
 * ban matched (allowing a source that is not banned changes nothing) and the prefilter's allow
 * bit says an allow entry may cover it. Expired entries count as absent. Non-IP and malformed
 * frames pass (fail open: the stack decides).
 */
#include "xdp_parse.h"

#define PHX_ALLOW_MAX (1U << 12)

/*
 * The ban maps come in generations, so that userspace can replace the whole blocklist at once
 * (a resync): per kind an ARRAY_OF_MAPS with PHX_GENERATIONS slots, and phx_gen naming the slot
 * in force. Userspace fills new inner maps off-line, puts them in the other slot and flips
 * phx_gen with one write; a packet reads phx_gen once and looks in one generation only, so it
 * sees the old blocklist or the new one, never a mix. The inner maps are created by userspace
 * with the configured sizes; the templates below only fix their type, key, value and flags.
 */
#define PHX_GEN_MAP(name, map_type, key_type, flags)                                               \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);                                          \
		__uint(max_entries, PHX_GENERATIONS);                                              \
		__type(key, __u32);                                                                \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                                               \
		__array(                                                                           \
		    values, struct {                                                               \
			    __uint(type, map_type);                                                \
			    __uint(max_entries, 1);                                                \
			    __uint(map_flags, flags);                                              \
			    __uint(key_size, sizeof(key_type));                                    \
			    __uint(value_size, sizeof(struct phx_entry));                          \
		    });                                                                            \
	} name SEC(".maps")

PHX_GEN_MAP(phx_ban_v4, BPF_MAP_TYPE_HASH, struct phx_v4_key, 0);
PHX_GEN_MAP(phx_ban_v6, BPF_MAP_TYPE_HASH, struct phx_v6_key, 0);
PHX_GEN_MAP(phx_range_v4, BPF_MAP_TYPE_LPM_TRIE, struct phx_lpm_v4_key, BPF_F_NO_PREALLOC);
PHX_GEN_MAP(phx_range_v6, BPF_MAP_TYPE_LPM_TRIE, struct phx_lpm_v6_key, BPF_F_NO_PREALLOC);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} phx_gen SEC(".maps");

/* Allow list sizes are defaults; userspace resizes them before load (bpf_map__set_max_entries). */
#define PHX_LPM_MAP(name, key_type, max)                                                           \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);                                               \
		__uint(max_entries, max);                                                          \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                              \
		__type(key, key_type);                                                             \
		__type(value, struct phx_entry);                                                   \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                                               \
	} name SEC(".maps")

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

PHX_PREFILTER_MAP(phx_pf2_v4, PHX_PF_V4_WORDS);
PHX_PREFILTER_MAP(phx_pf2_v6, PHX_PF_V6_WORDS);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PHX_COUNTER_COUNT);
	__type(key, __u32);
	__type(value, struct phx_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} phx_counters SEC(".maps");

/*
 * The prefilter word of a source: the one its prefix hash picks. A missing word reads as every
 * bit set, "maybe" for every pair (fail safe: the lookups decide).
 */
static __always_inline __u64 phx_pf_load(void *map, __u32 idx)
{
	__u64 *word = bpf_map_lookup_elem(map, &idx);

	return word ? *word : ~0ULL;
}

/* Whether every bit of `bits` (a pair, or the allow bit) is set in word. */
static __always_inline int phx_pf_has(__u64 word, __u64 bits)
{
	return (word & bits) == bits;
}

/* The generation of ban maps in force; read once per packet that needs a lookup. */
static __always_inline __u32 phx_generation(void)
{
	__u32 zero = 0;
	__u32 *gen = bpf_map_lookup_elem(&phx_gen, &zero);

	return gen ? *gen % PHX_GENERATIONS : 0;
}

/* Looks key up in the generation gen of the ban maps outer; NULL when absent (or no map). */
static __always_inline const struct phx_entry *phx_ban_lookup(void *outer, __u32 gen,
							      const void *key)
{
	void *inner = bpf_map_lookup_elem(outer, &gen);

	return inner ? bpf_map_lookup_elem(inner, key) : NULL;
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
	__u64 hp = phx_pf_hash_v4_prefix(src->addr[0]);
	__u64 word = phx_pf_load(&phx_pf2_v4, phx_pf_word(hp, PHX_PF_V4_LOG2));
	int exact = phx_pf_has(word, phx_pf_exact_bits(phx_pf_hash_v4(src->addr[0])));
	int range = phx_pf_has(word, phx_pf_range_bits(hp, PHX_PF_V4_LOG2));
	__u64 now = 0;
	__u32 gen;

	if (!exact && !range)
		return PHX_VERDICT_PASS_PREFILTER;
	gen = phx_generation();
	if (exact)
		ban = phx_live(phx_ban_lookup(&phx_ban_v4, gen, &lk.addr), &stale, &now);
	if (!ban && range)
		ban = phx_live(phx_ban_lookup(&phx_range_v4, gen, &lk), &stale, &now);
	if (ban && phx_pf_has(word, phx_pf_allow_bit(hp, PHX_PF_V4_LOG2)))
		allow = phx_live(bpf_map_lookup_elem(&phx_allow_v4, &lk), &ignored, &now);
	return phx_judge(ban, allow, stale, origin);
}

static __always_inline __u32 phx_check_v6(const struct phx_src *src, __u32 *origin)
{
	struct phx_lpm_v6_key lk = {.prefixlen = 128};
	const struct phx_entry *ban = NULL, *allow = NULL, *stale = NULL, *ignored = NULL;
	__u64 hp = phx_pf_hash_v6_prefix(src->addr);
	__u64 word = phx_pf_load(&phx_pf2_v6, phx_pf_word(hp, PHX_PF_V6_LOG2));
	int exact = phx_pf_has(word, phx_pf_exact_bits(phx_pf_hash_v6(src->addr)));
	int range = phx_pf_has(word, phx_pf_range_bits(hp, PHX_PF_V6_LOG2));
	__u64 now = 0;
	__u32 gen;

	if (!exact && !range)
		return PHX_VERDICT_PASS_PREFILTER;
	__builtin_memcpy(lk.addr, src->addr, sizeof(lk.addr));
	gen = phx_generation();
	if (exact)
		ban = phx_live(phx_ban_lookup(&phx_ban_v6, gen, &lk.addr), &stale, &now);
	if (!ban && range)
		ban = phx_live(phx_ban_lookup(&phx_range_v6, gen, &lk), &stale, &now);
	if (ban && phx_pf_has(word, phx_pf_allow_bit(hp, PHX_PF_V6_LOG2)))
		allow = phx_live(bpf_map_lookup_elem(&phx_allow_v6, &lk), &ignored, &now);
	return phx_judge(ban, allow, stale, origin);
}

/* Per-CPU, so plain increments: XDP runs in softirq context, one packet at a time per CPU. */
static __always_inline void phx_count_at(__u32 idx, __u64 bytes)
{
	struct phx_counter *c = bpf_map_lookup_elem(&phx_counters, &idx);

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
	/*
	 * The common case, a source the prefilter ruled out, counts without an origin to clamp:
	 * its index folds to a constant per family (0.4 ns less on the hot miss path).
	 */
	if (verdict == PHX_VERDICT_PASS_PREFILTER) {
		phx_count_at(phx_counter_index(PHX_ORIGIN_NONE, src.family, verdict), end - data);
		return XDP_PASS;
	}
	if (origin >= PHX_ORIGIN_COUNT)
		origin = PHX_ORIGIN_OTHER;
	phx_count_at(phx_counter_index(origin, src.family, verdict), end - data);
	return verdict == PHX_VERDICT_DROP ? XDP_DROP : XDP_PASS;
}

/* Only helpers without the gpl_only flag are used, so our own license string loads. */
char LICENSE[] SEC("license") = "Apache-2.0";

// SPDX-License-Identifier: Apache-2.0
/*
 * The ABI of the XDP blocklist: every map key and value layout, counter index and constant that
 * the kernel program (xdp_blocklist.bpf.c) and userspace (bouncer-xdp/, the CLI) share. Included
 * by both sides, so it holds only __u8/__u16/__u32/__u64 fields and C that compiles for
 * -target bpf and for g++ alike. Changing a layout here is a breaking change for pinned maps.
 *
 * Addresses are kept in network byte order exactly as they appear on the wire: an IPv4 key is
 * the 4 source bytes read as one __u32, an IPv6 key the 16 source bytes read as four __u32.
 *
 * Expiry clock: CLOCK_MONOTONIC in nanoseconds. The program reads it with
 * bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE: the same clock, advanced once per tick), so
 * an entry may outlive its deadline by one tick (1-10 ms); userspace writes deadlines from
 * clock_gettime(CLOCK_MONOTONIC) (bouncer-xdp/expiry.h converts lifetimes). Why not a precise
 * read or CLOCK_BOOTTIME: bpf_ktime_get_boot_ns() cost ~20 ns per matched packet here, almost
 * doubling the hit path, while the coarse read is a load. The price: time spent suspended does
 * not count, so a ban can end late by the suspend time (servers do not suspend; userspace also
 * deletes entries when the LAPI says they expired). It is immune to wall-clock steps. An entry
 * is live while now < expiry_ns; PHX_EXPIRY_NEVER never expires and 0 is always expired.
 */
#ifndef PHALANX_BPF_XDP_BLOCKLIST_H
#define PHALANX_BPF_XDP_BLOCKLIST_H

#include <linux/types.h>

#ifdef __cplusplus
#define PHX_INLINE static inline
#else
#define PHX_INLINE static inline __attribute__((always_inline))
#endif

/* Default bpffs directory under which every map is pinned by name (LIBBPF_PIN_BY_NAME). */
#define PHX_PIN_DIR_DEFAULT "/sys/fs/bpf/phalanx"

#define PHX_EXPIRY_NEVER ((__u64)~0ULL)

/* Slots of each ban map of maps (phx_ban_*, phx_range_*); phx_gen names the one in force. */
#define PHX_GENERATIONS 2

/* Up to this many 802.1Q / 802.1ad tags are skipped before the EtherType is read. */
#define PHX_VLAN_MAX_DEPTH 2

/* Exact-match hash keys (the inner maps of phx_ban_v4, phx_ban_v6). */
struct phx_v4_key {
	__u32 addr;
};

struct phx_v6_key {
	__u32 addr[4];
};

/* LPM trie keys (the inner maps of phx_range_*; phx_allow_*): prefix length in bits, then the
 * address. */
struct phx_lpm_v4_key {
	__u32 prefixlen;
	__u32 addr;
};

struct phx_lpm_v6_key {
	__u32 prefixlen;
	__u32 addr[4];
};

/* Value of every ban and allow entry. */
struct phx_entry {
	__u64 expiry_ns; /* CLOCK_MONOTONIC deadline; see above */
	__u16 origin;	 /* enum phx_origin or a userspace-assigned id */
	__u16 flags;	 /* reserved, 0 */
	__u32 reserved;	 /* 0 */
};

/* Value of phx_counters (per CPU; userspace sums over CPUs). */
struct phx_counter {
	__u64 packets;
	__u64 bytes; /* frame length from the Ethernet header on (linear part) */
};

/*
 * Origin ids. 1..7 are CrowdSec's decision origins; ids from PHX_ORIGIN_FIRST_DYNAMIC up to
 * PHX_ORIGIN_COUNT - 1 are assigned by userspace (e.g. one per blocklist, "lists:<name>").
 * Entries may carry any __u16; counters for ids >= PHX_ORIGIN_COUNT go to PHX_ORIGIN_OTHER.
 */
enum phx_origin {
	PHX_ORIGIN_NONE = 0, /* no entry matched */
	PHX_ORIGIN_CROWDSEC = 1,
	PHX_ORIGIN_CSCLI = 2,
	PHX_ORIGIN_CAPI = 3,
	PHX_ORIGIN_LISTS = 4,
	PHX_ORIGIN_CONSOLE = 5,
	PHX_ORIGIN_CSCLI_IMPORT = 6,
	PHX_ORIGIN_REMEDIATION_SYNC = 7,
	PHX_ORIGIN_LOCAL = 8, /* configured by the operator (allow list, static bans) */
	PHX_ORIGIN_OTHER = 15,
	PHX_ORIGIN_FIRST_DYNAMIC = 16,
	PHX_ORIGIN_COUNT = 64,
};

enum phx_family {
	PHX_FAMILY_NONE = 0, /* not IP, or the L2 header itself was truncated */
	PHX_FAMILY_V4 = 1,
	PHX_FAMILY_V6 = 2,
	PHX_FAMILY_COUNT = 3,
};

/*
 * What the program did with a packet. Only PHX_VERDICT_DROP returns XDP_DROP. The origin of a
 * counter is the matched entry's (for PASS_ALLOWED, the ban's that the allow list overrode) and
 * PHX_ORIGIN_NONE when nothing matched.
 */
enum phx_verdict {
	PHX_VERDICT_PASS_NON_IP = 0,	/* ARP, LLDP, a third VLAN tag, ... */
	PHX_VERDICT_PASS_MALFORMED = 1, /* truncated L2/L3 header, bad IP version or IHL */
	PHX_VERDICT_PASS_PREFILTER = 2, /* the prefilter proved the source is not listed */
	PHX_VERDICT_PASS_MISS = 3,	/* prefilter said "maybe", the lookups found nothing */
	PHX_VERDICT_PASS_EXPIRED = 4,	/* only expired entries matched */
	PHX_VERDICT_PASS_ALLOWED = 5,	/* banned, but an allow entry covers the source */
	PHX_VERDICT_DROP = 6,
	PHX_VERDICT_COUNT = 7,
};

#define PHX_COUNTER_COUNT                                                                          \
	((__u32)PHX_ORIGIN_COUNT * (__u32)PHX_FAMILY_COUNT * (__u32)PHX_VERDICT_COUNT)

/* Index into phx_counters; origin must already be < PHX_ORIGIN_COUNT. */
PHX_INLINE __u32 phx_counter_index(__u32 origin, __u32 family, __u32 verdict)
{
	return (origin * PHX_FAMILY_COUNT + family) * PHX_VERDICT_COUNT + verdict;
}

/*
 * Prefilter. Per family one BPF_F_MMAPABLE array of 2^PHX_PF_*_LOG2 __u64 words
 * (phx_pf2_v4/_v6) that userspace writes through mmap. A source selects ONE word by a hash of
 * its /24 (IPv4) or /48 (IPv6) prefix, so a packet costs one cache line, and tests pairs of bits
 * in it (blocked Bloom filters with k = 2, k = 1 for allow entries):
 *   exact pair: chosen by a hash of the whole address; set for every exact ban;
 *   range pair: chosen by the prefix hash; set for every /24 or /48 a banned range covers (a
 *               range longer than that marks the one prefix that contains it);
 *   allow bit:  chosen by the prefix hash like the range pair, from other bits; set for every
 *               /24 or /48 an allow entry covers.
 * A source whose exact and range pairs are both incomplete cannot be banned and skips every
 * lookup; a banned source whose allow bit is clear cannot be allowed and skips the allow
 * lookup. A set bit only costs a lookup, so stale bits are safe; a missing bit would let a ban
 * through or drop an allowed source, so userspace sets bits before it inserts the entry and
 * clears them only by a rebuild (which keeps the allow entries' bits). All bits set means "no
 * prefilter": every source takes the lookups. A change of this layout or of the hashes below
 * takes new map names (phx_pf2_* replaced phx_pfilter_*), so that a program of the previous
 * build, still attached while its successor starts, keeps reading bits it understands.
 */
#define PHX_PF_V4_LOG2	       19 /* 2^25 bits = 4 MiB */
#define PHX_PF_V6_LOG2	       18 /* 2^24 bits = 2 MiB */
#define PHX_PF_V4_WORDS	       (1U << PHX_PF_V4_LOG2)
#define PHX_PF_V6_WORDS	       (1U << PHX_PF_V6_LOG2)
#define PHX_PF_V4_RANGE_PREFIX 24
#define PHX_PF_V6_RANGE_PREFIX 48

#define PHX_PF_SEED_EXACT 0x243f6a8885a308d3ULL
#define PHX_PF_SEED_RANGE 0x13198a2e03707344ULL

/* Masks that keep the first 3 (IPv4) or first 2 bytes of a network-order word. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PHX_NET_MASK_24 0x00ffffffU
#define PHX_NET_MASK_16 0x0000ffffU
#else
#define PHX_NET_MASK_24 0xffffff00U
#define PHX_NET_MASK_16 0xffff0000U
#endif

/*
 * Multiplicative hashing: one multiply by an odd 64-bit constant per hash (two independent ones
 * for a whole IPv6 address). Bit k of a product depends on the key's bits 0..k only: the top
 * bits, which pick the word and the exact pair, depend on the whole key; the bits below, which
 * pick the range pair and allow bit inside a word, on its low bits (for IPv4 still the whole
 * /24). Prefixes that share a word got there by a collision of their top bits, so that is
 * enough. A full mixer (multiply, xorshift, multiply) cost about 1 ns more per packet on the
 * hot miss path, and the bitmap fills the same (6.58% vs 6.57% with 1M IPv4 bans).
 */
#define PHX_PF_MUL_A 0x9e3779b97f4a7c15ULL
#define PHX_PF_MUL_B 0xbf58476d1ce4e5b9ULL
#define PHX_PF_MUL_C 0x94d049bb133111ebULL

/* Hash of the whole source address: picks the exact pair. */
PHX_INLINE __u64 phx_pf_hash_v4(__u32 addr)
{
	return ((__u64)addr ^ PHX_PF_SEED_EXACT) * PHX_PF_MUL_A;
}

/* Hash of the /24: picks the word and the range pair. */
PHX_INLINE __u64 phx_pf_hash_v4_prefix(__u32 addr)
{
	return ((__u64)(addr & PHX_NET_MASK_24) ^ PHX_PF_SEED_RANGE) * PHX_PF_MUL_B;
}

PHX_INLINE __u64 phx_pf_hash_v6(const __u32 *addr)
{
	__u64 hi = ((__u64)addr[0] << 32) | addr[1];
	__u64 lo = ((__u64)addr[2] << 32) | addr[3];

	return ((hi ^ PHX_PF_SEED_EXACT) * PHX_PF_MUL_A) ^ (lo * PHX_PF_MUL_B);
}

/* Hash of the /48. */
PHX_INLINE __u64 phx_pf_hash_v6_prefix(const __u32 *addr)
{
	__u64 prefix = ((__u64)addr[0] << 32) | (addr[1] & PHX_NET_MASK_16);

	return (prefix ^ PHX_PF_SEED_RANGE) * PHX_PF_MUL_C;
}

/* Word index for a prefix hash in an array of 2^log2 words. */
PHX_INLINE __u32 phx_pf_word(__u64 prefix_hash, __u32 log2)
{
	return (__u32)(prefix_hash >> (64 - log2));
}

/* The range pair: two bits taken from the prefix hash right below the word index. */
PHX_INLINE __u64 phx_pf_range_bits(__u64 prefix_hash, __u32 log2)
{
	return (1ULL << ((prefix_hash >> (58 - log2)) & 63)) |
	       (1ULL << ((prefix_hash >> (52 - log2)) & 63));
}

/*
 * The allow bit: one bit (k = 1) from the prefix hash below the range pair's. One bit, not two,
 * because a wide allow entry marks every /24 it covers (127.0.0.0/8: 65,536 words) and each bit
 * set there adds false positives to the ban pairs of the other prefixes in those words, while a
 * false positive of the allow bit only costs a banned packet the allow lookup.
 */
PHX_INLINE __u64 phx_pf_allow_bit(__u64 prefix_hash, __u32 log2)
{
	return 1ULL << ((prefix_hash >> (46 - log2)) & 63);
}

/* The exact pair: two bits taken from the top of the address hash (they may coincide). */
PHX_INLINE __u64 phx_pf_exact_bits(__u64 addr_hash)
{
	return (1ULL << (addr_hash >> 58)) | (1ULL << ((addr_hash >> 52) & 63));
}

#ifdef __cplusplus
static_assert(sizeof(struct phx_v4_key) == 4, "phx_v4_key layout");
static_assert(sizeof(struct phx_v6_key) == 16, "phx_v6_key layout");
static_assert(sizeof(struct phx_lpm_v4_key) == 8, "phx_lpm_v4_key layout");
static_assert(sizeof(struct phx_lpm_v6_key) == 20, "phx_lpm_v6_key layout");
static_assert(sizeof(struct phx_entry) == 16, "phx_entry layout");
static_assert(sizeof(struct phx_counter) == 16, "phx_counter layout");
static_assert(PHX_COUNTER_COUNT == 1344, "counter table size");
static_assert(PHX_PF_V4_LOG2 + 18 <= 64 && PHX_PF_V6_LOG2 + 18 <= 64, "prefilter hash bits");
#endif

#endif /* PHALANX_BPF_XDP_BLOCKLIST_H */

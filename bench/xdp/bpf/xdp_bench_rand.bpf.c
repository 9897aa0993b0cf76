// SPDX-License-Identifier: Apache-2.0
/*
 * Cache-cold benchmark driver. BPF_PROG_TEST_RUN replays one frame, so these programs rewrite its
 * source address on every run (a random address, or a random one of the loaded bans) and then
 * tail-call slot 0 of phx_bench_jmp: the blocklist for a measurement, the parse-only program for
 * the matching floor, so both pay the same randomisation and tail-call cost. The frame must be
 * untagged Ethernet + IPv4 (or IPv6 for xdp_rand_miss6).
 */
#include "xdp_parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} phx_bench_jmp SEC(".maps");

/* Banned IPv4 sources to draw random hits from; sized and filled by the benchmark. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} phx_bench_keys SEC(".maps");

const volatile __u32 phx_bench_nkeys = 1;

static __always_inline int phx_set_v4_and_jump(struct xdp_md *ctx, __u32 saddr)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);

	if ((void *)(ip + 1) > end)
		return XDP_ABORTED;
	ip->saddr = saddr;
	bpf_tail_call(ctx, &phx_bench_jmp, 0);
	return XDP_ABORTED;
}

SEC("xdp")
int xdp_rand_miss(struct xdp_md *ctx)
{
	return phx_set_v4_and_jump(ctx, bpf_get_prandom_u32());
}

SEC("xdp")
int xdp_rand_hit(struct xdp_md *ctx)
{
	__u32 idx = bpf_get_prandom_u32() % phx_bench_nkeys;
	__u32 *key = bpf_map_lookup_elem(&phx_bench_keys, &idx);

	if (!key)
		return XDP_ABORTED;
	return phx_set_v4_and_jump(ctx, *key);
}

SEC("xdp")
int xdp_rand_miss6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + sizeof(struct ethhdr);

	if ((void *)(ip6 + 1) > end)
		return XDP_ABORTED;
	/* A fixed 2001::/16 prefix keeps the sources global unicast; the rest is random. */
	ip6->saddr.in6_u.u6_addr32[0] =
	    bpf_htonl(0x20010000) | (bpf_get_prandom_u32() & bpf_htonl(0xffff));
	ip6->saddr.in6_u.u6_addr32[1] = bpf_get_prandom_u32();
	ip6->saddr.in6_u.u6_addr32[2] = bpf_get_prandom_u32();
	ip6->saddr.in6_u.u6_addr32[3] = bpf_get_prandom_u32();
	bpf_tail_call(ctx, &phx_bench_jmp, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Apache-2.0";

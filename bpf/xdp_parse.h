// SPDX-License-Identifier: Apache-2.0
/*
 * Header parsing for Phalanx XDP programs (kernel side only): Ethernet, up to
 * PHX_VLAN_MAX_DEPTH 802.1Q/802.1ad tags, then the IPv4 or IPv6 source address. Shared by the
 * blocklist and by the parse-only benchmark floor, so both pay exactly the same parsing cost.
 * Every read is bounds-checked against data_end; nothing here walks IPv6 extension headers,
 * because the source address sits in the fixed header (fragments carry it too).
 */
#ifndef PHALANX_BPF_XDP_PARSE_H
#define PHALANX_BPF_XDP_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdp_blocklist.h"

/* Not a verdict: phx_parse() found an IP source to look up. */
#define PHX_PARSED PHX_VERDICT_COUNT

/* The VLAN tag after the MAC addresses (linux/if_vlan.h has no UAPI struct for it). */
struct phx_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* The parsed source: family plus the address in network byte order. */
struct phx_src {
	__u32 family;
	__u32 addr[4]; /* IPv4 uses addr[0] */
};

static __always_inline int phx_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Skips Ethernet and up to PHX_VLAN_MAX_DEPTH tags. Returns the L3 header and stores the
 * EtherType in *proto, or returns NULL when the L2 headers are truncated.
 */
static __always_inline void *phx_skip_l2(void *data, void *end, __be16 *proto)
{
	struct ethhdr *eth = data;
	struct phx_vlan_hdr *vh;

	if ((void *)(eth + 1) > end)
		return NULL;
	*proto = eth->h_proto;
	vh = (void *)(eth + 1);
#pragma unroll
	for (int i = 0; i < PHX_VLAN_MAX_DEPTH; i++) {
		if (!phx_is_vlan(*proto))
			break;
		if ((void *)(vh + 1) > end)
			return NULL;
		*proto = vh->encap_proto;
		vh++;
	}
	return vh;
}

static __always_inline __u32 phx_parse_v4(struct iphdr *ip, void *end, struct phx_src *src)
{
	src->family = PHX_FAMILY_V4;
	if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
		return PHX_VERDICT_PASS_MALFORMED;
	src->addr[0] = ip->saddr;
	return PHX_PARSED;
}

static __always_inline __u32 phx_parse_v6(struct ipv6hdr *ip6, void *end, struct phx_src *src)
{
	src->family = PHX_FAMILY_V6;
	if ((void *)(ip6 + 1) > end || ip6->version != 6)
		return PHX_VERDICT_PASS_MALFORMED;
	__builtin_memcpy(src->addr, &ip6->saddr, sizeof(src->addr));
	return PHX_PARSED;
}

/*
 * Fills *src from the packet. Returns PHX_PARSED, or the pass verdict for a frame that is not IP
 * (PHX_VERDICT_PASS_NON_IP) or is cut short or malformed (PHX_VERDICT_PASS_MALFORMED).
 */
static __always_inline __u32 phx_parse(void *data, void *end, struct phx_src *src)
{
	__be16 proto = 0;
	void *l3;

	src->family = PHX_FAMILY_NONE;
	l3 = phx_skip_l2(data, end, &proto);
	if (!l3)
		return PHX_VERDICT_PASS_MALFORMED;
	if (proto == bpf_htons(ETH_P_IP))
		return phx_parse_v4(l3, end, src);
	if (proto == bpf_htons(ETH_P_IPV6))
		return phx_parse_v6(l3, end, src);
	return PHX_VERDICT_PASS_NON_IP;
}

#endif /* PHALANX_BPF_XDP_PARSE_H */

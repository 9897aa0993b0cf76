// SPDX-License-Identifier: Apache-2.0
// Conversions from addresses and CIDRs to the map keys of bpf/xdp_blocklist.h (network byte
// order, as the program reads them from packets).
#pragma once

#include "bpf/xdp_blocklist.h"
#include "core/net.h"

namespace phalanx::xdp {

// Exact keys; the address must be of the matching family (checked with assert).
phx_v4_key v4_key(const net::IpAddress& addr);
phx_v6_key v6_key(const net::IpAddress& addr);

// LPM keys; host bits are already clear in a net::Cidr.
phx_lpm_v4_key lpm_v4_key(const net::Cidr& cidr);
phx_lpm_v6_key lpm_v6_key(const net::Cidr& cidr);

// True for a single address (/32 or /128): it goes to the exact hash map, not to an LPM trie.
inline bool is_host(const net::Cidr& cidr) {
  return cidr.prefix_len() == (cidr.is_v4() ? 32 : 128);
}

// Back to text types (for listings and tests).
net::IpAddress address_of(const phx_v4_key& key);
net::IpAddress address_of(const phx_v6_key& key);
net::Cidr cidr_of(const phx_lpm_v4_key& key);
net::Cidr cidr_of(const phx_lpm_v6_key& key);

}  // namespace phalanx::xdp

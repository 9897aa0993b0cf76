// SPDX-License-Identifier: Apache-2.0
// The nftables objects phalanx-nft owns, and the netlink messages that create them.
//
// Default layout (`inet phalanx`):
//
//   table inet phalanx {
//     counter processed {}   counter ban4 {}   counter range4 {}   counter ban6 {} ...
//     counter o41 { comment "crowdsec" }   counter o61 { comment "crowdsec" }   # one per origin
//     counter o42 { comment "CAPI" } ...                                      # and family
//     set allow4 { type ipv4_addr; flags interval; }                # loopback, own addresses,
//                                                                   # allow:
//     map ban4   { type ipv4_addr : counter; flags timeout; }       # Ip decisions
//     map range4 { type ipv4_addr : counter; flags interval,timeout; }  # Range decisions (merged)
//     set allow6 / map ban6 / map range6 (ipv6_addr)
//     chain prerouting {
//       type filter hook prerouting priority raw; policy accept;  # before conntrack
//       counter name "processed"
//       meta nfproto ipv4 ip saddr @allow4 accept
//       meta nfproto ipv4 counter name ip saddr map @ban4 counter name "ban4" drop   # or reject
//       meta nfproto ipv4 counter name ip saddr map @range4 counter name "range4" drop
//       ... the same for ipv6
//     }
//   }
//
// Ban and range elements name the counter of their decision's origin (`1.2.3.4 timeout 4h :
// "o41"`), so drops are counted by set and by origin with one lookup per packet, as with plain
// sets; the name costs 8 bytes per element in the netlink messages. Origin counters are numbered
// by the backend; the comment holds the origin, which is how a restarted bouncer finds them.
//
// With `family: netdev` the table is `netdev phalanx` and the chain hooks ingress on the
// configured devices (the earliest hook; one chain covers every device). Single addresses live in
// hash sets; only real ranges go to the interval sets, because every commit to an interval set
// costs O(set size) in the kernel.
//
// Set-only mode: the admin's existing table holds our sets (created if missing; plain sets, not
// maps) and the admin's own rules reference them; no table, chain, counter or rule is created or
// changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bouncer-nft/netlink.h"
#include "core/result.h"

namespace phalanx::nft {

enum SetId : int { kAllow4, kBan4, kRange4, kAllow6, kBan6, kRange6, kSetCount };

inline bool set_is_v6(SetId id) {
  return id >= kAllow6;
}
inline bool set_is_interval(SetId id) {
  return id == kAllow4 || id == kRange4 || id == kAllow6 || id == kRange6;
}
inline bool set_has_timeout(SetId id) {
  return id != kAllow4 && id != kAllow6;
}
// "allow4", "ban4", "range4", "allow6", "ban6", "range6".
const char* set_base_name(SetId id);

struct Layout {
  uint16_t family = 1;  // NFPROTO_INET; NFPROTO_NETDEV (5); set-only also ip (2), ip6 (10)
  std::string table = "phalanx";
  std::string chain = "prerouting";
  std::string hook = "prerouting";   // inet: prerouting, input, forward; netdev: ingress
  int priority = -300;               // raw: before conntrack
  std::vector<std::string> devices;  // netdev: the interfaces the ingress chain hooks
  bool reject = false;               // reject (ICMP admin prohibited) instead of drop
  bool set_only = false;
  std::string set_prefix;  // prepended to the set names ("" by default)
  bool ipv4 = true;
  bool ipv6 = true;

  std::string set_name(SetId id) const { return set_prefix + set_base_name(id); }
  // Sets this layout uses (set-only mode has no allow sets).
  std::vector<SetId> sets() const;
  // "inet phalanx", for messages.
  std::string table_text() const;
};

// Whether a set of this layout is an object map whose elements name their origin's counter: the
// ban and range sets, except in set-only mode (the admin's rules match plain sets).
inline bool set_counts_origins(const Layout& l, SetId id) {
  return !l.set_only && set_has_timeout(id);
}

// Origin counter names: "o4<n>" and "o6<n>" (IPv4 and IPv6 drops of origin number n), short
// because every element carries one.
std::string origin_counter_name(bool v6, uint32_t n);
// The family (true: IPv6) and number of an origin counter name; nullopt for other names.
std::optional<std::pair<bool, uint32_t>> parse_origin_counter(const std::string& name);

// Appends the creation of an origin counter (if missing) with the origin as its comment.
void add_origin_counter(Batch& batch, const Layout& layout, bool v6, uint32_t n,
                        const std::string& origin);

// "inet", "netdev", "ip", "ip6", "bridge" to the NFPROTO value and back.
Result<uint16_t> parse_family(const std::string& name);
std::string family_name(uint16_t family);

// Validates names, hook and family combinations ("nft: hook 'ingress' needs family netdev").
Result<void> validate(const Layout& layout);

// Appends to `batch` everything the layout needs, idempotently: table, counters and sets are
// created if missing (NLM_F_CREATE without EXCL), the chain too, then its rules are flushed and
// written again. In set-only mode only the sets. Committed as one transaction, a restart or a
// repair leaves exactly one copy of every rule.
void add_ruleset(Batch& batch, const Layout& layout);

// Appends "delete table" (our own table; not in set-only mode).
void add_delete_table(Batch& batch, const Layout& layout);

// Appends "flush set": every element goes.
void add_flush_set(Batch& batch, const Layout& layout, SetId id);

// Whether our table exists (GETTABLE).
Result<bool> table_exists(Socket& socket, const Layout& layout);

}  // namespace phalanx::nft

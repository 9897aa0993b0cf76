// SPDX-License-Identifier: Apache-2.0
// Typed writers and readers for the XDP blocklist maps: bans (exact addresses and ranges), allow
// entries, the prefilter and the counters. A /32 or /128 ban goes to the exact hash map and
// anything shorter to the range trie; the prefilter bits are set before the entry is written.
// Enough for the bouncer's reconciler, the CLI, the tests and the benchmark.
#pragma once

#include <span>

#include "bouncer-xdp/counters.h"
#include "bouncer-xdp/map_ops.h"
#include "bouncer-xdp/prefilter.h"
#include "bouncer-xdp/xdp_object.h"
#include "core/net.h"
#include "core/result.h"

namespace phalanx::xdp {

// File descriptors of every map, borrowed: the XdpObject (or the pins they were opened from)
// must outlive their users.
struct MapFds {
  int ban_v4 = -1;
  int ban_v6 = -1;
  int range_v4 = -1;
  int range_v6 = -1;
  int allow_v4 = -1;
  int allow_v6 = -1;
  int pfilter_v4 = -1;
  int pfilter_v6 = -1;
  int counters = -1;
};

// The fds of a loaded object, taken from its skeleton's maps.
MapFds map_fds(const XdpObject& object);

struct BanRequest {
  net::Cidr target;
  phx_entry value{};
};

// Builds an entry value; expiry_ns is a CLOCK_MONOTONIC deadline (see expiry.h).
inline phx_entry make_entry(uint16_t origin, uint64_t expiry_ns) {
  return phx_entry{expiry_ns, origin, 0, 0};
}

// Writer over the maps. Move-only (it owns the prefilter mapping). Thread-safety: none; use from
// one thread (the program reads concurrently, which is safe).
class BlocklistMaps {
 public:
  // Maps the prefilter. Errors: "mapping prefilter: ..." with errno.
  static Result<BlocklistMaps> open(const MapFds& fds);

  // Inserts or replaces one ban (a replaced value refreshes its expiry and origin).
  Result<void> ban(const net::Cidr& target, const phx_entry& value);
  // Removes one ban. Errors: code ENOENT when absent. Prefilter bits stay until a rebuild.
  Result<void> unban(const net::Cidr& target);
  // Allow entries are LPM prefixes (a host is a /32 or /128) and override any ban.
  Result<void> allow(const net::Cidr& target, const phx_entry& value);
  Result<void> unallow(const net::Cidr& target);

  // Many bans at once: prefilter bits first, then one batch syscall per 64k entries per map
  // (per-element writes where the kernel lacks batch ops for the map type).
  Result<BatchStats> ban_batch(std::span<const BanRequest> bans);
  // Many removals at once; absent entries are counted as missing, not errors.
  Result<BatchStats> unban_batch(std::span<const net::Cidr> targets);

  // Recomputes the prefilter from the bans now in the maps and stores it, which clears the bits
  // of removed entries. Must not run concurrently with ban().
  Result<PrefilterFill> rebuild_prefilter();

  Result<Counters> counters() const { return read_counters(fds_.counters); }
  Prefilter& prefilter() { return prefilter_; }
  const MapFds& fds() const { return fds_; }

 private:
  BlocklistMaps(const MapFds& fds, Prefilter prefilter)
      : fds_(fds), prefilter_(std::move(prefilter)) {}
  MapFds fds_;
  Prefilter prefilter_;
};

}  // namespace phalanx::xdp

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

// max_entries of one generation of ban maps. 0: like the generation in force.
struct BanSizes {
  uint32_t ban_v4 = 0;
  uint32_t ban_v6 = 0;
  uint32_t range_v4 = 0;
  uint32_t range_v6 = 0;
};

// File descriptors of every map, borrowed: the XdpObject (or the pins they were opened from)
// and, for the ban maps, the BlocklistMaps that resolved them must outlive their users.
struct MapFds {
  // The ban maps of the generation in force (inner maps): map_fds() leaves them at -1 and
  // BlocklistMaps::open / fds() fill them in.
  int ban_v4 = -1;
  int ban_v6 = -1;
  int range_v4 = -1;
  int range_v6 = -1;
  int allow_v4 = -1;
  int allow_v6 = -1;
  int pfilter_v4 = -1;
  int pfilter_v6 = -1;
  int counters = -1;
  // The maps of maps holding the ban maps' generations, and phx_gen naming the one in force.
  int gens_ban_v4 = -1;
  int gens_ban_v6 = -1;
  int gens_range_v4 = -1;
  int gens_range_v6 = -1;
  int gen = -1;
  BanSizes sizes;  // for new generations
};

// The fds of a loaded object, taken from its skeleton's maps, and the ban map sizes it was
// loaded with.
MapFds map_fds(const XdpObject& object);

// One generation of ban maps (exact IPv4/IPv6 hashes, IPv4/IPv6 range tries), owning its fds;
// the kernel keeps the maps alive while a slot of the maps of maps holds them. Move-only.
class BanMaps {
 public:
  // Four new, empty maps. Errors: "creating ban map <name>: ..." with errno (ENOMEM).
  static Result<BanMaps> create(const BanSizes& sizes);
  // The maps in slot `generation`. Errors: code ENOENT when the slot is empty.
  static Result<BanMaps> of_generation(const MapFds& fds, uint32_t generation);

  BanMaps(BanMaps&& other) noexcept;
  BanMaps& operator=(BanMaps&& other) noexcept;
  BanMaps(const BanMaps&) = delete;
  BanMaps& operator=(const BanMaps&) = delete;
  ~BanMaps();

  // Writes this generation's fds into the ban fields of fds.
  void fill(MapFds& fds) const;
  // Their max_entries, as the kernel reports them.
  Result<BanSizes> sizes() const;

 private:
  BanMaps() = default;
  friend class BlocklistMaps;
  int fds_[4] = {-1, -1, -1, -1};  // ban_v4, ban_v6, range_v4, range_v6
};

struct BanRequest {
  net::Cidr target;
  phx_entry value{};
};

// Builds an entry value; expiry_ns is a CLOCK_MONOTONIC deadline (see expiry.h).
inline phx_entry make_entry(uint16_t origin, uint64_t expiry_ns) {
  return phx_entry{expiry_ns, origin, 0, 0};
}

// Writer over the maps. Move-only (it owns the prefilter mapping and the ban maps in force).
// Thread-safety: none; use from one thread (the program reads concurrently, which is safe).
class BlocklistMaps {
 public:
  // Maps the prefilter and opens the generation of ban maps in force; on a fresh load (an empty
  // slot) creates it with fds.sizes. Sets the prefilter bits of the allow entries already in the
  // maps (pins left by a version without them, or entries written behind our back). Errors:
  // "mapping prefilter: ..." with errno; code ENOENT when no generation is in force and no sizes
  // were given.
  static Result<BlocklistMaps> open(const MapFds& fds);

  // Inserts or replaces one ban (a replaced value refreshes its expiry and origin).
  Result<void> ban(const net::Cidr& target, const phx_entry& value);
  // Removes one ban. Errors: code ENOENT when absent. Prefilter bits stay until a rebuild.
  Result<void> unban(const net::Cidr& target);
  // Allow entries are LPM prefixes (a host is a /32 or /128) and override any ban. allow() sets
  // the entry's prefilter bits first; unallow() leaves them until a rebuild.
  Result<void> allow(const net::Cidr& target, const phx_entry& value);
  Result<void> unallow(const net::Cidr& target);

  // Many bans at once: prefilter bits first, then one batch syscall per 64k entries per map
  // (per-element writes where the kernel lacks batch ops for the map type).
  Result<BatchStats> ban_batch(std::span<const BanRequest> bans);
  // Many removals at once; absent entries are counted as missing, not errors.
  Result<BatchStats> unban_batch(std::span<const net::Cidr> targets);

  // Replacing the whole blocklist at once. new_generation() creates empty ban maps (sized by
  // MapFds::sizes, or like those in force); ban_batch(into, ...) / unban_batch(from, ...) fill
  // them off-line (the prefilter bits of what is written are set at once, since it is about to
  // be enforced); put_in_force() makes them the blocklist with one write that every packet sees
  // whole, then releases the old generation (the kernel frees it once no program runs on it).
  // Memory: two generations exist from new_generation() until put_in_force() returns.
  Result<BanMaps> new_generation() const;
  Result<BatchStats> ban_batch(BanMaps& into, std::span<const BanRequest> bans);
  Result<BatchStats> unban_batch(BanMaps& from, std::span<const net::Cidr> targets);
  Result<void> put_in_force(BanMaps next);

  // Recomputes the prefilter from the bans now in the maps and stores it, which clears the bits
  // of removed entries. Must not run concurrently with ban().
  Result<PrefilterFill> rebuild_prefilter();
  // Stores image (the bits of a ban state built elsewhere, e.g. a resync's) as the prefilter,
  // with the bits of every allow entry now in the maps added first: an image without them would
  // make the program skip the allow lookup and drop allowed sources.
  Result<void> store_prefilter(PrefilterImage& image);

  Result<Counters> counters() const { return read_counters(fds_.counters); }
  Prefilter& prefilter() { return prefilter_; }
  // Every map, with the ban maps of the generation in force.
  const MapFds& fds() const { return fds_; }
  uint32_t generation() const { return generation_; }

 private:
  BlocklistMaps(const MapFds& fds, Prefilter prefilter, BanMaps live, uint32_t generation);
  MapFds fds_;
  Prefilter prefilter_;
  BanMaps live_;
  uint32_t generation_ = 0;
};

}  // namespace phalanx::xdp

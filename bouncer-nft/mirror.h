// SPDX-License-Identifier: Apache-2.0
// The bouncer's own copy of the decisions it enforces: the source of truth for the kernel sets.
// The kernel is never read back to decide what to write (a netlink dump of a million elements
// costs the kernel 20-60 s); instead every change to the mirror returns the element writes that
// bring the kernel in line (a Plan). Pure: time comes in as `now_ms` on a monotonic clock.
//
// Targets: an Ip decision (or a Range of one address) is a host; anything wider is a range.
// When several decisions ban one target the latest expiry wins; a deleted decision lifts its
// target only when it is the one holding it (same decision id), so deleting a short duplicate
// does not lift a longer ban.
#pragma once

#include <tsl/ordered_map.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "bouncer-nft/segments.h"
#include "bouncer/backend.h"
#include "core/net.h"

namespace phalanx::nft {

using V6Key = std::array<uint8_t, 16>;

struct V4Hash {
  size_t operator()(uint32_t k) const;
};
struct V6Hash {
  size_t operator()(const V6Key& k) const;
};

// 20 bytes, 4-aligned: beside a 4-byte key an entry is 24 bytes (a million take 24 MB).
struct __attribute__((packed, aligned(4))) Slot {
  int64_t expiry_ms = 0;
  int64_t id = 0;
  uint16_t origin = 0;
  uint16_t gen = 0;  // resync mark; begin_resync() clears every mark when the counter wraps
};

// A host element to write: the address, its expiry and the origin its drops count under.
struct Host4 {
  uint32_t addr = 0;  // host order
  uint16_t origin = 0;
  int64_t expiry_ms = 0;
};
struct Host6 {
  V6Key addr{};
  uint16_t origin = 0;
  int64_t expiry_ms = 0;
};

// Element writes for the kernel. Timeouts are computed from expiry at write time. An element
// whose origin changes is deleted and added again (the kernel refuses to change an element's
// counter in place), so its address is in both lists; deletes go first.
struct Plan {
  std::vector<Host4> add4;
  std::vector<uint32_t> del4;
  std::vector<Host6> add6;
  std::vector<V6Key> del6;
  bool ranges_changed[2] = {false, false};  // [v6]: rewrite that family's segments
  size_t skipped = 0;                       // decisions without an address, or already expired
  // Every host the mirror holds is to be written as well, read from the mirror at write time
  // (Mirror::v4_at) rather than copied here: a million would be 16 MB more at the peak of a
  // restart. Valid while the mirror does not change (the backend holds its lock throughout).
  size_t mirror4 = 0, mirror6 = 0;

  size_t host_writes() const {
    return add4.size() + del4.size() + add6.size() + del6.size() + mirror4 + mirror6;
  }
  bool empty() const { return host_writes() == 0 && !ranges_changed[0] && !ranges_changed[1]; }
};

class Mirror {
 public:
  // A delta: `deleted` first, then `added`. Adds write only new targets and extended ones
  // (expiry later by more than a second); a shorter duplicate changes nothing.
  Plan apply(const bouncer::DecisionBatch& batch, int64_t now_ms);

  // Replaces the whole state with a snapshot: targets it lacks are deleted, targets whose
  // expiry moved (either way, by more than two seconds) are rewritten, the rest untouched.
  Plan resync(std::span<const bouncer::Decision> decisions, int64_t now_ms);

  // The same in steps, for a snapshot that arrives in batches: begin_resync(), resync_step()
  // for each batch (the writes it needs are appended to `plan`), end_resync() (deletes of the
  // targets the snapshot did not mention, appended to `plan`). Stopping before end_resync()
  // lifts nothing: the mirror then holds the old state plus what the batches brought.
  void begin_resync();
  void resync_step(std::span<const bouncer::Decision> decisions, int64_t now_ms, Plan& plan);
  void end_resync(Plan& plan);

  // Everything, as writes (a reload after the kernel lost our sets, a restart's replace): the
  // ranges, and the hosts by reference (Plan::mirror4/mirror6; entries that expired by the time
  // they are written are left out then).
  Plan everything() const;
  // The i-th host (0 <= i < v4_.size()). Positions hold while the mirror does not change.
  Host4 v4_at(size_t i) const;
  Host6 v6_at(size_t i) const;

  // Live ranges of one family merged into disjoint segments.
  std::vector<Segment> segments(bool v6, int64_t now_ms) const;

  // Drops entries whose expiry has passed (the kernel already dropped its elements).
  size_t expire(int64_t now_ms);

  std::optional<Slot> find_v4(uint32_t addr) const;
  std::optional<Slot> find_v6(const V6Key& addr) const;

  size_t hosts() const { return v4_.size() + v6_.size(); }
  size_t ranges() const { return ranges_.size(); }
  // Live entries by (origin name, ip_type "ipv4"/"ipv6").
  std::map<std::pair<std::string, std::string>, uint64_t> counts() const;
  const std::string& origin_name(size_t id) const { return origins_[id]; }
  // For kernels that cannot update an element's timeout: every rewrite of a host that exists
  // deletes it first (its address in both lists), like a change of origin.
  void replace_on_refresh(bool on) { replace_on_refresh_ = on; }

  // Origins seen so far; ids are 0 .. origin_count() - 1, in order of first sighting.
  size_t origin_count() const { return origins_.size(); }

  // Every live host and range (audit; the CLI's comparison with the kernel).
  void for_each_v4(const std::function<void(uint32_t, const Slot&)>& fn) const;
  void for_each_v6(const std::function<void(const V6Key&, const Slot&)>& fn) const;
  const std::map<net::Cidr, Slot>& range_entries() const { return ranges_; }

 private:
  uint16_t origin_id(const std::string& origin);
  // Upserts one decision; returns whether the kernel element must be (re)written.
  bool upsert(const bouncer::Decision& d, int64_t now_ms, bool exact, Plan& plan);
  void remove(const bouncer::Decision& d, Plan& plan);

  // Values in one deque (no node per entry, nothing moved as it grows) and 8-byte buckets:
  // ~40 bytes per IPv4 address at a million, against 57 for std::unordered_map. Entries leave
  // with unordered_erase (O(1); the last entry takes the erased one's place).
  template <class K, class H>
  using HostMap = tsl::ordered_map<K, Slot, H, std::equal_to<K>, std::allocator<std::pair<K, Slot>>,
                                   std::deque<std::pair<K, Slot>>, uint32_t>;
  HostMap<uint32_t, V4Hash> v4_;
  HostMap<V6Key, V6Hash> v6_;
  std::map<net::Cidr, Slot> ranges_;
  std::vector<std::string> origins_;
  std::unordered_map<std::string, uint16_t> origin_ids_;
  uint16_t gen_ = 0;
  bool replace_on_refresh_ = false;
  std::string last_origin_;
  uint16_t last_origin_id_ = 0;
};

// The v6 key of an address (network byte order), and back.
V6Key v6_key(const net::IpAddress& a);

}  // namespace phalanx::nft

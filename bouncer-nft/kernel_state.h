// SPDX-License-Identifier: Apache-2.0
// Reading phalanx-nft's objects back from the kernel: for `phalanx nft ...` and for the on-demand
// audit, never on the bouncer's hot path (dumping a set of a million elements costs the kernel
// 20-60 s: every dump callback re-walks the set from the start).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bouncer-nft/mirror.h"
#include "bouncer-nft/netlink.h"
#include "bouncer-nft/ruleset.h"
#include "core/net.h"

namespace phalanx::nft {

struct CounterValue {
  std::string name;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  std::string comment = {};  // origin counters: the origin
};

// One entry of a set as the kernel holds it: an address or, in interval sets, a range.
struct KernelEntry {
  net::Cidr target;        // hosts as /32 or /128; interval sets: the smallest covering prefix
  net::Uint128 first = 0;  // exact bounds (intervals need not be prefixes)
  net::Uint128 last = 0;
  uint64_t timeout_ms = 0;   // 0: none
  uint64_t expires_ms = 0;   // time left
  std::string counter = {};  // get_host on an object map: the counter the element names
};

// The named counters of our table. Errors: ENOENT when the table does not exist.
Result<std::vector<CounterValue>> read_counters(Socket& socket, const Layout& layout);

// Every element of one of our sets (interval sets as ranges).
Result<std::vector<KernelEntry>> read_set(Socket& socket, const Layout& layout, SetId id);

// Whether an address is in a hash set (one GETSETELEM request, no dump); the entry if so.
Result<std::optional<KernelEntry>> get_host(Socket& socket, const Layout& layout, SetId id,
                                            const net::IpAddress& addr);

// Names of our sets that exist in the kernel.
Result<std::vector<std::string>> existing_sets(Socket& socket, const Layout& layout);

// Names of our sets that exist with another kind than the layout's (a plain set where an
// object map belongs: a table an earlier version created). Such a set cannot be changed; the
// table must be created again.
Result<std::vector<std::string>> mismatched_sets(Socket& socket, const Layout& layout);

struct AuditReport {
  uint64_t kernel_hosts = 0, kernel_segments = 0;
  uint64_t mirror_hosts = 0, mirror_segments = 0;
  uint64_t missing = 0;               // in the mirror (live), not in the kernel
  uint64_t extra = 0;                 // in the kernel, not in the mirror
  std::vector<std::string> examples;  // a few of each, "missing 10.0.0.1" / "extra 10.0.0.2"
  double seconds = 0;
};

// What the mirror should be in the kernel, copied out so the (slow) dump runs without the
// backend's lock.
struct MirrorSnapshot {
  std::vector<uint32_t> v4;
  std::vector<V6Key> v6;
  std::vector<Segment> segments[2];
};
MirrorSnapshot snapshot(const Mirror& mirror, int64_t now_ms);

// Dumps our ban and range sets and compares them with the snapshot. Elements that expire
// within a second of the comparison are not counted either way.
Result<AuditReport> audit(Socket& socket, const Layout& layout, const MirrorSnapshot& want);

}  // namespace phalanx::nft

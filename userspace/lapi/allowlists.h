// SPDX-License-Identifier: Apache-2.0
// Centralised allowlists in memory (spec §1.3 /v1/allowlists, §1.4): which named list, if any,
// covers an address or range. Built from Store::list_allowlists(true); POST /v1/alerts skips
// alerts whose Ip/Range source is covered, and the /v1/allowlists/check routes answer from it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/net.h"
#include "storage/model.h"

namespace phalanx::lapi {

// The LAPI re-reads the store's allowlists for incoming alerts when its copy is this old:
// changes made with `phalanx allowlists` apply to alerts within it (the check routes always
// read afresh).
inline constexpr std::chrono::seconds kAllowlistRefresh{1};

class AllowlistMatcher {
 public:
  AllowlistMatcher() = default;
  // Items whose value does not parse as an IP or CIDR are left out (the CLI refuses them).
  explicit AllowlistMatcher(const std::vector<storage::Allowlist>& lists);

  // One reason per live item that covers `value` or lies inside it (same family), ordered by
  // list name: "<item> from <list>", plus " (<item description>)" when there is one. Empty when
  // nothing matches. An item is live until its expiry.
  std::vector<std::string> reasons(const net::Cidr& value, TimePoint now) const;
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    net::Cidr cidr;
    std::optional<TimePoint> expires_at;
    std::string reason;
  };
  std::vector<Entry> entries_;  // in list-name order
};

}  // namespace phalanx::lapi

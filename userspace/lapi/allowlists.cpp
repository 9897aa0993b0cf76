// SPDX-License-Identifier: Apache-2.0
#include "lapi/allowlists.h"

namespace phalanx::lapi {

AllowlistMatcher::AllowlistMatcher(const std::vector<storage::Allowlist>& lists) {
  // list_allowlists() returns the lists by name, which is the order reasons are given in.
  for (const auto& list : lists) {
    for (const auto& item : list.items) {
      auto cidr = net::Cidr::parse(item.value);
      if (!cidr) continue;
      std::string reason = item.value + " from " + list.name;
      if (!item.description.empty()) reason += " (" + item.description + ")";
      entries_.push_back({*cidr, item.expires_at, std::move(reason)});
    }
  }
}

std::vector<std::string> AllowlistMatcher::reasons(const net::Cidr& value, TimePoint now) const {
  std::vector<std::string> out;
  for (const auto& e : entries_) {
    if (e.expires_at && *e.expires_at <= now) continue;
    if (e.cidr.is_v4() != value.is_v4()) continue;
    if (e.cidr.contains(value) || value.contains(e.cidr)) out.push_back(e.reason);
  }
  return out;
}

}  // namespace phalanx::lapi

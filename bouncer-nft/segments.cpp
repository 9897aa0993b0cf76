// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/segments.h"

#include <algorithm>
#include <set>

namespace phalanx::nft {

std::vector<Segment> merge_ranges(std::vector<Segment> ranges) {
  // Sweep over boundaries. An event opens a range at `first` or closes it after `last`; closing
  // after the top of the address space (last == max) never happens, so `last + 1` is only
  // computed below the top.
  struct Event {
    net::Uint128 pos;  // first address the change applies to
    bool open;
    int64_t expiry;
    uint16_t origin;
  };
  const net::Uint128 kMax = ~net::Uint128(0);
  std::vector<Event> events;
  events.reserve(ranges.size() * 2);
  for (const auto& r : ranges) {
    events.push_back({r.first, true, r.expiry_ms, r.origin});
    if (r.last != kMax) events.push_back({r.last + 1, false, r.expiry_ms, r.origin});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.pos < b.pos; });
  std::vector<Segment> out;
  std::multiset<std::pair<int64_t, uint16_t>> active;  // expiry, origin
  for (size_t i = 0; i < events.size();) {
    const net::Uint128 pos = events[i].pos;
    for (; i < events.size() && events[i].pos == pos; ++i) {
      if (events[i].open) {
        active.insert({events[i].expiry, events[i].origin});
      } else {
        active.erase(active.find({events[i].expiry, events[i].origin}));
      }
    }
    if (active.empty()) continue;
    const auto [expiry, origin] = *active.rbegin();
    const net::Uint128 last = i < events.size() ? events[i].pos - 1 : kMax;
    if (!out.empty() && out.back().expiry_ms == expiry && out.back().origin == origin &&
        out.back().last + 1 == pos) {
      out.back().last = last;
    } else {
      out.push_back({pos, last, expiry, origin});
    }
  }
  return out;
}

}  // namespace phalanx::nft

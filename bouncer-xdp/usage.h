// SPDX-License-Identifier: Apache-2.0
// The body of POST /v1/usage-metrics for phalanx-xdp, in the shape CrowdSec's firewall bouncer
// sends: one remediation component with items `dropped` (packet and byte, by origin and
// ip_type), `processed` (packet and byte, by ip_type) and `active_decisions` (by origin and
// ip_type). Counter items are the increase over the window; active_decisions is the current count.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "bouncer-xdp/counters.h"

namespace phalanx::xdp {

struct UsageWindow {
  std::string version;       // phalanx-xdp's
  std::string os_version;    // uname -r
  int64_t startup_unix = 0;  // when the daemon started
  int64_t now_unix = 0;
  int64_t window_seconds = 0;  // since the previous push (or the start)
};

// (origin id, phx_family) -> live ban entries.
using ActiveCounts = std::map<std::pair<uint32_t, uint32_t>, uint64_t>;

// Pure: `previous` is the snapshot taken at the last push (all zero at the first).
std::string usage_metrics_body(const UsageWindow& window, const Counters& now,
                               const Counters& previous, const ActiveCounts& active);

}  // namespace phalanx::xdp

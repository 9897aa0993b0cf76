// SPDX-License-Identifier: Apache-2.0
// The body of POST /v1/usage-metrics for phalanx-nft, in the shape CrowdSec's firewall bouncer
// sends: one remediation component with items `dropped` (packet and byte, by ip_type, from the
// per-set counters), `processed` (packet and byte) and `active_decisions` (by origin and
// ip_type). Counter items are the increase over the window (a decrease means the counters were
// recreated, e.g. after a repair: the new value is the increase).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bouncer-nft/kernel_state.h"

namespace phalanx::nft {

struct UsageWindow {
  std::string version;
  std::string os_version;
  int64_t startup_unix = 0;
  int64_t now_unix = 0;
  int64_t window_seconds = 0;
};

// Pure.
std::string usage_metrics_body(
    const UsageWindow& window, const std::vector<CounterValue>& now,
    const std::vector<CounterValue>& previous,
    const std::map<std::pair<std::string, std::string>, uint64_t>& active);

}  // namespace phalanx::nft

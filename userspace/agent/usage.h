// SPDX-License-Identifier: Apache-2.0
// The agent's usage metrics (spec §1.5): what a log processor tells its LAPI about itself with
// POST /v1/usage-metrics, at start and then every 30 minutes — its version and OS, the content
// it runs (hub_items) and how many data sources of each type it reads (datasources).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace phalanx::agent {

struct HubItem {
  std::string name;
  std::string version;  // empty when the item does not declare one
};

struct LogProcessorUsage {
  std::string os_version;  // the kernel release
  int64_t startup_unix = 0;
  std::map<std::string, uint64_t> datasources;            // "file" -> 2
  std::map<std::string, std::vector<HubItem>> hub_items;  // "scenarios" -> [...]
};

// The request body: {"log_processors": [one item]} with version, os, feature_flags,
// utc_startup_timestamp, datasources, hub_items (status "enabled") and one metrics window of
// `window_seconds` ending at `now_unix` (no items). Pure.
std::string usage_metrics_body(const LogProcessorUsage& usage, int64_t now_unix,
                               int64_t window_seconds);

}  // namespace phalanx::agent

// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/usage.h"

#include <nlohmann/json.hpp>

#include "bouncer-nft/metrics.h"
#include "bouncer-nft/ruleset.h"

namespace phalanx::nft {
namespace {

using nlohmann::json;

uint64_t increase(uint64_t now, uint64_t before) {
  return now >= before ? now - before : now;
}

const CounterValue* find(const std::vector<CounterValue>& v, const std::string& name) {
  for (const auto& c : v)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace

std::string usage_metrics_body(
    const UsageWindow& window, const std::vector<CounterValue>& now,
    const std::vector<CounterValue>& previous,
    const std::map<std::pair<std::string, std::string>, uint64_t>& active) {
  json items = json::array();
  // Drops by origin and ip_type from the origin counters; by ip_type alone from the set
  // counters when there are none.
  bool by_origin = false;
  for (const auto& c : now)
    by_origin = by_origin || parse_origin_counter(c.name).has_value();
  std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint64_t>> dropped;
  for (const auto& c : now) {
    const CounterValue zero{c.name, 0, 0, {}};
    const CounterValue* before = find(previous, c.name);
    if (!before) before = &zero;
    const uint64_t p = increase(c.packets, before->packets);
    const uint64_t b = increase(c.bytes, before->bytes);
    if (c.name == "processed") {
      items.push_back({{"name", "processed"}, {"value", p}, {"unit", "packet"}});
      items.push_back({{"name", "processed"}, {"value", b}, {"unit", "byte"}});
      continue;
    }
    const auto origin = parse_origin_counter(c.name);
    if (by_origin != origin.has_value()) continue;
    auto& d = dropped[{origin ? c.comment : std::string(), ip_type_of_counter(c.name)}];
    d.first += p;
    d.second += b;
  }
  for (const auto& [key, d] : dropped) {
    json labels{{"ip_type", key.second}};
    if (by_origin) labels["origin"] = key.first;
    items.push_back(
        {{"name", "dropped"}, {"value", d.first}, {"unit", "packet"}, {"labels", labels}});
    items.push_back(
        {{"name", "dropped"}, {"value", d.second}, {"unit", "byte"}, {"labels", labels}});
  }
  for (const auto& [key, count] : active) {
    items.push_back({{"name", "active_decisions"},
                     {"value", count},
                     {"unit", "ip"},
                     {"labels", {{"origin", key.first}, {"ip_type", key.second}}}});
  }
  json component{{"type", "phalanx-nft"},
                 {"version", window.version},
                 {"os", {{"name", "linux"}, {"version", window.os_version}}},
                 {"feature_flags", json::array()},
                 {"utc_startup_timestamp", window.startup_unix},
                 {"metrics", json::array({{{"meta",
                                            {{"window_size_seconds", window.window_seconds},
                                             {"utc_now_timestamp", window.now_unix}}},
                                           {"items", items}}})}};
  return json{{"remediation_components", json::array({component})}}.dump();
}

}  // namespace phalanx::nft

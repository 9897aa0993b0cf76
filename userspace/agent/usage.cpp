// SPDX-License-Identifier: Apache-2.0
#include "agent/usage.h"

#include <nlohmann/json.hpp>

#ifndef PHALANX_VERSION
#define PHALANX_VERSION "dev"
#endif

namespace phalanx::agent {

std::string usage_metrics_body(const LogProcessorUsage& usage, int64_t now_unix,
                               int64_t window_seconds) {
  using nlohmann::json;
  json hub = json::object();
  for (const auto& [type, items] : usage.hub_items) {
    json list = json::array();
    for (const auto& item : items)
      list.push_back({{"name", item.name}, {"version", item.version}, {"status", "enabled"}});
    hub[type] = std::move(list);
  }
  json sources = json::object();
  for (const auto& [type, n] : usage.datasources)
    sources[type] = n;
  json lp = {
      {"version", PHALANX_VERSION},
      {"os", {{"name", "linux"}, {"version", usage.os_version}}},
      {"feature_flags", json::array()},
      {"utc_startup_timestamp", usage.startup_unix},
      {"datasources", std::move(sources)},
      {"hub_items", std::move(hub)},
      {"metrics",
       json::array(
           {{{"meta", {{"window_size_seconds", window_seconds}, {"utc_now_timestamp", now_unix}}},
             {"items", json::array()}}})}};
  return json{{"log_processors", json::array({std::move(lp)})}}.dump(
      -1, ' ', false, json::error_handler_t::replace);
}

}  // namespace phalanx::agent

// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/usage.h"

#include <nlohmann/json.hpp>

#include "bouncer-xdp/origin.h"

namespace phalanx::xdp {
namespace {

using nlohmann::json;

const char* ip_type(uint32_t family) {
  return family == PHX_FAMILY_V4 ? "ipv4" : "ipv6";
}

uint64_t increase(uint64_t now, uint64_t before) {
  return now >= before ? now - before : now;  // counters reset (maps recreated): count anew
}

}  // namespace

std::string usage_metrics_body(const UsageWindow& window, const Counters& now,
                               const Counters& previous, const ActiveCounts& active) {
  json items = json::array();
  for (uint32_t f = PHX_FAMILY_V4; f <= PHX_FAMILY_V6; ++f) {
    phx_counter seen_now{}, seen_before{};
    for (uint32_t o = 0; o < PHX_ORIGIN_COUNT; ++o) {
      for (uint32_t v = 0; v < PHX_VERDICT_COUNT; ++v) {
        seen_now.packets += now.at(o, f, v).packets;
        seen_now.bytes += now.at(o, f, v).bytes;
        seen_before.packets += previous.at(o, f, v).packets;
        seen_before.bytes += previous.at(o, f, v).bytes;
      }
      const phx_counter d = now.at(o, f, PHX_VERDICT_DROP);
      const phx_counter b = previous.at(o, f, PHX_VERDICT_DROP);
      if (d.packets == b.packets) continue;
      const json labels{{"origin", origin_name(o)}, {"ip_type", ip_type(f)}};
      items.push_back({{"name", "dropped"},
                       {"value", increase(d.packets, b.packets)},
                       {"unit", "packet"},
                       {"labels", labels}});
      items.push_back({{"name", "dropped"},
                       {"value", increase(d.bytes, b.bytes)},
                       {"unit", "byte"},
                       {"labels", labels}});
    }
    const json labels{{"ip_type", ip_type(f)}};
    items.push_back({{"name", "processed"},
                     {"value", increase(seen_now.packets, seen_before.packets)},
                     {"unit", "packet"},
                     {"labels", labels}});
    items.push_back({{"name", "processed"},
                     {"value", increase(seen_now.bytes, seen_before.bytes)},
                     {"unit", "byte"},
                     {"labels", labels}});
  }
  for (const auto& [key, count] : active) {
    items.push_back(
        {{"name", "active_decisions"},
         {"value", count},
         {"unit", "ip"},
         {"labels", {{"origin", origin_name(key.first)}, {"ip_type", ip_type(key.second)}}}});
  }
  json component{{"type", "phalanx-xdp"},
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

}  // namespace phalanx::xdp

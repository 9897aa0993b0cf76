// SPDX-License-Identifier: Apache-2.0
#include "lapi/alert_json.h"

namespace phalanx::lapi {
namespace {

using nlohmann::json;

json meta_to_json(const std::vector<parser::MetaItem>& items) {
  json out = json::array();
  for (const auto& item : items)
    out.push_back({{"key", item.key}, {"value", item.value}});
  return out;
}

}  // namespace

json source_to_json(const parser::Source& s) {
  json out = {{"scope", s.scope}, {"value", s.value}};
  if (!s.ip.empty()) out["ip"] = s.ip;
  if (!s.range.empty()) out["range"] = s.range;
  if (!s.as_number.empty()) out["as_number"] = s.as_number;
  if (!s.as_name.empty()) out["as_name"] = s.as_name;
  if (!s.cn.empty()) out["cn"] = s.cn;
  if (s.latitude != 0) out["latitude"] = s.latitude;
  if (s.longitude != 0) out["longitude"] = s.longitude;
  return out;
}

json alert_to_json(const parser::Alert& a) {
  json events = json::array();
  for (const auto& e : a.events)
    events.push_back({{"timestamp", e.timestamp}, {"meta", meta_to_json(e.meta)}});
  json out = {
      {"capacity", a.capacity},
      {"decisions", nullptr},
      {"events", std::move(events)},
      {"events_count", a.events_count},
      {"labels", nullptr},
      {"leakspeed", a.leakspeed},
      {"message", a.message},
      {"scenario", a.scenario},
      {"scenario_hash", a.scenario_hash},
      {"scenario_version", a.scenario_version},
      {"simulated", a.simulated},
      {"source", source_to_json(a.source)},
      {"start_at", a.start_at},
      {"stop_at", a.stop_at},
  };
  if (!a.meta.empty()) out["meta"] = meta_to_json(a.meta);
  if (a.remediation) out["remediation"] = true;
  if (!a.kind.empty()) out["kind"] = a.kind;
  return out;
}

}  // namespace phalanx::lapi

// SPDX-License-Identifier: Apache-2.0
// alert_json(): the agent's alert written straight into text must be what the JSON library
// prints for the same document, byte for byte (sorted keys, escapes, UTF-8, replaced invalid
// bytes, floats), since the LAPI and the golden replays read it.
#include "lapi/alert_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace phalanx::lapi {
namespace {

using nlohmann::json;

// The document built with the library, the oracle.
std::string reference(const parser::Alert& a) {
  const auto meta = [](const std::vector<parser::MetaItem>& items) {
    json out = json::array();
    for (const auto& m : items)
      out.push_back({{"key", m.key}, {"value", m.value}});
    return out;
  };
  json events = json::array();
  for (const auto& e : a.events)
    events.push_back({{"timestamp", e.timestamp}, {"meta", meta(e.meta)}});
  json doc = {{"capacity", a.capacity},
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
              {"stop_at", a.stop_at}};
  if (!a.meta.empty()) doc["meta"] = meta(a.meta);
  if (a.remediation) doc["remediation"] = true;
  if (!a.kind.empty()) doc["kind"] = a.kind;
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

parser::Alert full_alert() {
  parser::Alert a;
  a.scenario = "phalanx/ssh-bf";
  a.scenario_hash = "0123abcd";
  a.scenario_version = "0.1";
  a.message = "Ip 198.51.100.7 performed 'phalanx/ssh-bf' (6 events over 2s)";
  a.leakspeed = "10s";
  a.start_at = "2026-12-04T10:00:00.123456789Z";
  a.stop_at = "2026-12-04T10:00:02Z";
  a.capacity = 5;
  a.events_count = 6;
  a.remediation = true;
  a.source = {"Ip", "198.51.100.7", "198.51.100.7", "198.51.100.0/24", "Example AS", "64500",
              "FR", 48.8566F,       -2.35F};
  a.events = {{"2026-12-04T10:00:00Z", {{"service", "ssh"}, {"source_ip", "198.51.100.7"}}},
              {"2026-12-04T10:00:01Z", {}}};
  a.meta = {{"target_user", "[\"root\",\"admin\"]"}};
  return a;
}

TEST(AlertJson, MatchesTheLibrarysTextForAFullAlert) {
  const parser::Alert a = full_alert();
  EXPECT_EQ(alert_json(a), reference(a));
  const json back = json::parse(alert_json(a));
  EXPECT_EQ(back["source"]["latitude"].get<double>(), static_cast<double>(48.8566F));
  EXPECT_TRUE(back["decisions"].is_null());
  EXPECT_EQ(back["events"][0]["meta"][1]["value"], "198.51.100.7");
}

TEST(AlertJson, MatchesTheLibrarysTextForAMinimalAlert) {
  parser::Alert a;
  a.kind.clear();
  a.source.scope = "Ip";
  a.source.value = "192.0.2.1";
  EXPECT_EQ(alert_json(a), reference(a));
  EXPECT_EQ(alert_json(a).find("\"kind\""), std::string::npos);
  EXPECT_EQ(alert_json(a).find("\"remediation\""), std::string::npos);
}

TEST(AlertJson, EscapesLikeTheLibrary) {
  const std::string samples[] = {
      "quote \" and backslash \\",
      "tab\tnewline\nreturn\rbell\x07 nul" + std::string(1, '\0') + "end",
      "del \x7f",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92",  // valid UTF-8 stays as is
      "bad \xff\xfe utf-8 \xc3",                    // replaced by U+FFFD
      "",
  };
  for (const auto& text : samples) {
    parser::Alert a = full_alert();
    a.message = text;
    a.events[0].meta[0].value = text;
    a.source.as_name = text;
    EXPECT_EQ(alert_json(a), reference(a)) << text;
    EXPECT_TRUE(json::accept(alert_json(a))) << text;
  }
}

}  // namespace
}  // namespace phalanx::lapi

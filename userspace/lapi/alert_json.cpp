// SPDX-License-Identifier: Apache-2.0
#include "lapi/alert_json.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <array>

#include "core/duration.h"
#include "core/net.h"
#include "enrich/go_time.h"
#include "lapi/decision_json.h"

namespace phalanx::lapi {
namespace {

using nlohmann::json;

json meta_to_json(const std::vector<parser::MetaItem>& items) {
  json out = json::array();
  for (const auto& item : items)
    out.push_back({{"key", item.key}, {"value", item.value}});
  return out;
}

constexpr std::string_view kRfc3339 = "2006-01-02T15:04:05Z07:00";

// Go's time.String() layout, used by GET /v1/alerts for event timestamps.
constexpr std::string_view kGoString = "2006-01-02 15:04:05.999999999 -0700 MST";

// The JSON type name as Go's decoder reports a mismatch ("string", "number", ...).
std::string go_type_of(const json& j) {
  if (j.is_string()) return "string";
  if (j.is_number()) return "number";
  if (j.is_boolean()) return "bool";
  if (j.is_array()) return "array";
  if (j.is_object()) return "object";
  return "null";
}

// Reads one alert, decision or source object, collecting "missing" errors for the
// validation list and failing at once on a type mismatch, as encoding/json then go-swagger do.
class Reader {
 public:
  Reader(const json& obj, std::string prefix, std::string go_struct,
         std::vector<std::string>& missing)
      : obj_(obj), prefix_(std::move(prefix)), struct_(std::move(go_struct)), missing_(missing) {}

  const json* get(const char* key, bool required) {
    const auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      if (required) missing_.push_back(fmt::format("{}{} in body is required", prefix_, key));
      return nullptr;
    }
    return &*it;
  }

  Result<void> type_error(const char* key, const json& j, const char* want) {
    return Error(fmt::format("json: cannot unmarshal {} into Go struct field {}.{} of type {}",
                             go_type_of(j), struct_, key, want));
  }

  Result<void> str(const char* key, std::string& out, bool required) {
    const json* j = get(key, required);
    if (j == nullptr) return ok();
    if (!j->is_string()) return type_error(key, *j, "string");
    out = j->get<std::string>();
    return ok();
  }

  Result<void> i32(const char* key, int32_t& out, bool required) {
    const json* j = get(key, required);
    if (j == nullptr) return ok();
    if (!j->is_number_integer()) return type_error(key, *j, "int32");
    const auto v = j->get<int64_t>();
    if (v < INT32_MIN || v > INT32_MAX) return type_error(key, *j, "int32");
    out = static_cast<int32_t>(v);
    return ok();
  }

  Result<void> boolean(const char* key, bool& out, bool required) {
    const json* j = get(key, required);
    if (j == nullptr) return ok();
    if (!j->is_boolean()) return type_error(key, *j, "bool");
    out = j->get<bool>();
    return ok();
  }

  Result<void> f32(const char* key, float& out) {
    const json* j = get(key, false);
    if (j == nullptr) return ok();
    if (!j->is_number()) return type_error(key, *j, "float32");
    out = j->get<float>();
    return ok();
  }

  Result<void> meta(const char* key, std::vector<parser::MetaItem>& out, bool required) {
    const json* j = get(key, required);
    if (j == nullptr) return ok();
    if (!j->is_array()) return type_error(key, *j, "models.Meta");
    for (const auto& item : *j) {
      if (!item.is_object()) return type_error(key, item, "models.MetaItems0");
      parser::MetaItem m;
      Reader r(item, prefix_, "MetaItems0", missing_);
      PHALANX_CHECK(r.str("key", m.key, false));
      PHALANX_CHECK(r.str("value", m.value, false));
      out.push_back(std::move(m));
    }
    return ok();
  }

  const std::string& prefix() const { return prefix_; }

 private:
  const json& obj_;
  std::string prefix_;
  std::string struct_;
  std::vector<std::string>& missing_;
};

Result<TimePoint> parse_time(const std::string& text, const std::string& field) {
  auto t = enrich::parse_go_time(kRfc3339, text);
  if (!t) return Error(fmt::format("{}: invalid time '{}'", field, text));
  return t->time;
}

Result<void> read_source(const json& j, const std::string& prefix,
                         std::vector<std::string>& missing, parser::Source& s) {
  Reader r(j, prefix + "source.", "Alert.source", missing);
  PHALANX_CHECK(r.str("scope", s.scope, true));
  PHALANX_CHECK(r.str("value", s.value, true));
  PHALANX_CHECK(r.str("ip", s.ip, false));
  PHALANX_CHECK(r.str("range", s.range, false));
  PHALANX_CHECK(r.str("as_name", s.as_name, false));
  PHALANX_CHECK(r.str("as_number", s.as_number, false));
  PHALANX_CHECK(r.str("cn", s.cn, false));
  PHALANX_CHECK(r.f32("latitude", s.latitude));
  PHALANX_CHECK(r.f32("longitude", s.longitude));
  return ok();
}

Result<void> read_decision(const json& j, const std::string& prefix,
                           std::vector<std::string>& missing, storage::Decision& d,
                           std::string& duration) {
  Reader r(j, prefix, "Decision", missing);
  PHALANX_CHECK(r.str("duration", duration, true));
  PHALANX_CHECK(r.str("origin", d.origin, true));
  PHALANX_CHECK(r.str("scenario", d.scenario, true));
  PHALANX_CHECK(r.str("scope", d.scope, true));
  PHALANX_CHECK(r.str("type", d.type, true));
  PHALANX_CHECK(r.str("value", d.value, true));
  PHALANX_CHECK(r.boolean("simulated", d.simulated, false));
  d.scope = normalize_scope(d.scope);
  return ok();
}

Result<void> read_alert(const json& j, size_t index, std::vector<std::string>& missing,
                        storage::Alert& a, std::vector<std::string>& durations) {
  const std::string prefix = fmt::format("{}.", index);
  Reader r(j, prefix, "Alert", missing);
  PHALANX_CHECK(r.i32("capacity", a.capacity, true));
  PHALANX_CHECK(r.i32("events_count", a.events_count, true));
  PHALANX_CHECK(r.str("leakspeed", a.leakspeed, true));
  PHALANX_CHECK(r.str("message", a.message, true));
  PHALANX_CHECK(r.str("scenario", a.scenario, true));
  PHALANX_CHECK(r.str("scenario_hash", a.scenario_hash, true));
  PHALANX_CHECK(r.str("scenario_version", a.scenario_version, true));
  PHALANX_CHECK(r.boolean("simulated", a.simulated, true));
  PHALANX_CHECK(r.boolean("remediation", a.remediation, false));
  PHALANX_CHECK(r.str("kind", a.kind, false));
  PHALANX_CHECK(r.meta("meta", a.meta, false));
  std::string start_at, stop_at;
  PHALANX_CHECK(r.str("start_at", start_at, true));
  PHALANX_CHECK(r.str("stop_at", stop_at, true));
  if (!start_at.empty()) {
    PHALANX_TRY(a.start_at, parse_time(start_at, prefix + "start_at"));
  }
  if (!stop_at.empty()) {
    PHALANX_TRY(a.stop_at, parse_time(stop_at, prefix + "stop_at"));
  }
  if (const json* src = r.get("source", true)) {
    if (!src->is_object()) return r.type_error("source", *src, "models.Source");
    PHALANX_CHECK(read_source(*src, prefix, missing, a.source));
  }
  if (const json* labels = r.get("labels", false)) {
    if (!labels->is_array()) return r.type_error("labels", *labels, "[]string");
    for (const auto& l : *labels) {
      if (!l.is_string()) return r.type_error("labels", l, "string");
      a.labels.push_back(l.get<std::string>());
    }
  }
  if (const json* events = r.get("events", true)) {
    if (!events->is_array()) return r.type_error("events", *events, "[]*models.Event");
    for (size_t i = 0; i < events->size(); ++i) {
      const json& ev = (*events)[i];
      if (!ev.is_object()) return r.type_error("events", ev, "models.Event");
      parser::AlertEvent e;
      Reader er(ev, fmt::format("{}events.{}.", prefix, i), "Event", missing);
      PHALANX_CHECK(er.str("timestamp", e.timestamp, true));
      PHALANX_CHECK(er.meta("meta", e.meta, true));
      a.events.push_back(std::move(e));
    }
  }
  if (const json* decisions = r.get("decisions", false)) {
    if (!decisions->is_array()) return r.type_error("decisions", *decisions, "[]*models.Decision");
    for (size_t i = 0; i < decisions->size(); ++i) {
      const json& dj = (*decisions)[i];
      if (!dj.is_object()) return r.type_error("decisions", dj, "models.Decision");
      storage::Decision d;
      std::string duration;
      PHALANX_CHECK(
          read_decision(dj, fmt::format("{}decisions.{}.", prefix, i), missing, d, duration));
      a.decisions.push_back(std::move(d));
      durations.push_back(std::move(duration));
    }
  }
  return ok();
}

// Turns decision durations into until = stop_at + duration and checks Ip/Range values.
Result<void> finish_decisions(storage::Alert& a, const std::vector<std::string>& durations,
                              size_t index) {
  for (size_t i = 0; i < a.decisions.size(); ++i) {
    auto& d = a.decisions[i];
    const auto dur = parse_go_duration(durations[i]);
    if (!dur) {
      return Error(
          fmt::format("{}.decisions.{}.duration: invalid duration '{}'", index, i, durations[i]));
    }
    d.until = a.stop_at + *dur;
    if (d.scope == "Ip" && !net::IpAddress::parse(d.value)) {
      return Error(
          fmt::format("{}.decisions.{}.value: invalid ip address '{}'", index, i, d.value));
    }
    if (d.scope == "Range" && !net::Cidr::parse(d.value)) {
      return Error(fmt::format("{}.decisions.{}.value: invalid range '{}'", index, i, d.value));
    }
    if (d.scenario.empty()) d.scenario = a.scenario;
  }
  return ok();
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

namespace {

// Whether a byte is copied into a JSON string as is: printable ASCII but quote and backslash.
constexpr std::array<bool, 256> kPlainByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7f; ++c)
    t[c] = c != '"' && c != '\\';
  return t;
}();

// A JSON string. Printable ASCII without quote or backslash, nearly every field, is copied as
// is; anything else takes the JSON library's escaping (control characters as \uXXXX, UTF-8 kept,
// invalid UTF-8 replaced by U+FFFD), so the text is the library's dump() byte for byte.
void append_string(std::string& out, std::string_view s) {
  const bool plain = std::all_of(
      s.begin(), s.end(), [](char ch) { return kPlainByte[static_cast<unsigned char>(ch)]; });
  if (plain) {
    out += '"';
    out += s;
    out += '"';
    return;
  }
  out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// "key":"value" with a leading comma unless first.
void append_field(std::string& out, std::string_view key, std::string_view value,
                  bool first = false) {
  if (!first) out += ',';
  append_string(out, key);
  out += ':';
  append_string(out, value);
}

// [{"key":...,"value":...},...]: the two constant names written as they are.
void append_meta(std::string& out, const std::vector<parser::MetaItem>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    out += i == 0 ? "{\"key\":" : ",{\"key\":";
    append_string(out, items[i].key);
    out += ",\"value\":";
    append_string(out, items[i].value);
    out += '}';
  }
  out += ']';
}

void append_source(std::string& out, const parser::Source& s) {
  // Keys in the library's (sorted) order; empty optional fields are left out.
  out += '{';
  bool first = true;
  const auto opt = [&](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    append_field(out, key, value, first);
    first = false;
  };
  const auto number = [&](std::string_view key, float value) {
    if (value == 0) return;
    if (!first) out += ',';
    append_string(out, key);
    out += ':';
    out += json(value).dump();
    first = false;
  };
  opt("as_name", s.as_name);
  opt("as_number", s.as_number);
  opt("cn", s.cn);
  opt("ip", s.ip);
  number("latitude", s.latitude);
  number("longitude", s.longitude);
  opt("range", s.range);
  append_field(out, "scope", s.scope, first);
  append_field(out, "value", s.value);
  out += '}';
}

}  // namespace

std::string alert_json(const parser::Alert& a) {
  std::string out;
  out.reserve(512 + a.events.size() * 512);  // an event with the sshd parsers' meta: ~450 bytes
  out += "{\"capacity\":";
  out += fmt::format_int(a.capacity).str();
  out += ",\"decisions\":null,\"events\":[";
  for (size_t i = 0; i < a.events.size(); ++i) {
    if (i != 0) out += ',';
    out += "{\"meta\":";
    append_meta(out, a.events[i].meta);
    append_field(out, "timestamp", a.events[i].timestamp);
    out += '}';
  }
  out += "],\"events_count\":";
  out += fmt::format_int(a.events_count).str();
  if (!a.kind.empty()) append_field(out, "kind", a.kind);
  out += ",\"labels\":null";
  append_field(out, "leakspeed", a.leakspeed);
  append_field(out, "message", a.message);
  if (!a.meta.empty()) {
    out += ",\"meta\":";
    append_meta(out, a.meta);
  }
  if (a.remediation) out += ",\"remediation\":true";
  append_field(out, "scenario", a.scenario);
  append_field(out, "scenario_hash", a.scenario_hash);
  append_field(out, "scenario_version", a.scenario_version);
  out += a.simulated ? ",\"simulated\":true" : ",\"simulated\":false";
  out += ",\"source\":";
  append_source(out, a.source);
  append_field(out, "start_at", a.start_at);
  append_field(out, "stop_at", a.stop_at);
  out += '}';
  return out;
}

json alert_row_to_json(const storage::Alert& a, TimePoint now) {
  json events = json::array();
  for (const auto& e : a.events) {
    // Stored as the agent sent it (RFC 3339); GET answers Go's time.String() form.
    auto t = enrich::parse_go(kRfc3339, e.timestamp);
    const std::string ts = t ? enrich::format_go(*t, kGoString) : e.timestamp;
    events.push_back({{"timestamp", ts}, {"meta", meta_to_json(e.meta)}});
  }
  json decisions = nullptr;
  for (const auto& d : a.decisions) {
    json dj = {{"duration", format_go_duration(round_to_second(d.until - now))},
               {"id", d.id},
               {"origin", d.origin},
               {"scenario", d.scenario},
               {"scope", d.scope},
               {"simulated", d.simulated},
               {"type", d.type},
               {"until", format_time_rfc3339(d.until)},
               {"value", d.value}};
    if (!d.uuid.empty()) dj["uuid"] = d.uuid;
    decisions.push_back(std::move(dj));
  }
  json labels = nullptr;
  for (const auto& l : a.labels)
    labels.push_back(l);
  json out = {
      {"capacity", a.capacity},
      {"created_at", format_time_rfc3339(a.created_at)},
      {"decisions", std::move(decisions)},
      {"events", std::move(events)},
      {"events_count", a.events_count},
      {"id", a.id},
      {"labels", std::move(labels)},
      {"leakspeed", a.leakspeed},
      {"message", a.message},
      {"scenario", a.scenario},
      {"scenario_hash", a.scenario_hash},
      {"scenario_version", a.scenario_version},
      {"simulated", a.simulated},
      {"source", source_to_json(a.source)},
      {"start_at", format_time_rfc3339(a.start_at)},
      {"stop_at", format_time_rfc3339(a.stop_at)},
  };
  if (!a.uuid.empty()) out["uuid"] = a.uuid;
  if (!a.machine_id.empty()) out["machine_id"] = a.machine_id;
  if (!a.meta.empty()) out["meta"] = meta_to_json(a.meta);
  if (a.remediation) out["remediation"] = true;
  if (!a.kind.empty()) out["kind"] = a.kind;
  return out;
}

std::string normalize_scope(std::string_view scope) {
  const auto is = [&](const char* name) {
    return scope.size() == std::strlen(name) && strncasecmp(scope.data(), name, scope.size()) == 0;
  };
  if (is("ip")) return "Ip";
  if (is("range")) return "Range";
  if (is("country")) return "Country";
  if (is("as")) return "AS";
  return std::string(scope);
}

Result<std::vector<storage::Alert>> parse_alerts(std::string_view body, AlertsError& why) {
  const json root = json::parse(body, nullptr, false);
  if (root.is_discarded()) {
    why = {400, "invalid character in JSON body"};
    return Error(why.message);
  }
  if (!root.is_array()) {
    why = {400, "json: cannot unmarshal " + go_type_of(root) +
                    " into Go value of type models.AddAlertsRequest"};
    return Error(why.message);
  }
  std::vector<storage::Alert> out;
  std::vector<std::string> missing;
  std::vector<std::vector<std::string>> durations(root.size());
  for (size_t i = 0; i < root.size(); ++i) {
    if (!root[i].is_object()) {
      why = {400, "json: cannot unmarshal " + go_type_of(root[i]) +
                      " into Go value of type models.Alert"};
      return Error(why.message);
    }
    storage::Alert a;
    if (auto r = read_alert(root[i], i, missing, a, durations[i]); !r) {
      why = {400, r.error().message()};
      return Error(why.message);
    }
    out.push_back(std::move(a));
  }
  if (!missing.empty()) {
    std::string msg = "validation failure list:";
    for (const auto& m : missing)
      msg += "\n" + m;
    why = {500, msg};
    return Error(msg);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (auto r = finish_decisions(out[i], durations[i], i); !r) {
      why = {400, r.error().message()};
      return Error(why.message);
    }
  }
  return out;
}

}  // namespace phalanx::lapi

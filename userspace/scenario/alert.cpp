// SPDX-License-Identifier: Apache-2.0
#include "scenario/alert.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <map>
#include <string_view>

#include "core/log.h"
#include "core/net.h"
#include "expr/go_format.h"
#include "parser/event_object.h"

namespace phalanx::scenario {
namespace {

using expr::Value;
using parser::Event;

// The alert's sources from one queued event (SourceFromEvent). Errors make the whole alert
// unbuildable, as in the hub.
Result<void> sources_of(const Scenario& s, const Event& evt, expr::RunContext& run,
                        std::map<std::string, parser::Source>& out) {
  const std::string& scope = s.config.scope_type;
  auto scope_value = [&](const Event& e) -> Result<std::string> {
    parser::EventObject obj(const_cast<Event*>(&e));
    const Value vars[] = {Value::object(&obj)};
    auto v = s.scope.run(vars, run);
    if (!v) return Error("while running scope filter: " + v.error().message());
    return v->is_string() ? std::string(v->as_string()) : std::string();
  };
  if (evt.type == parser::EventType::kOverflow) {
    if (!evt.overflow) return {};
    for (const auto& [key, src] : evt.overflow->sources) {
      if (src.scope == scope) {
        out[key] = src;
        continue;
      }
      if (scope != "Range") continue;
      if (src.scope != "Ip") {
        log::get("scenario")
            ->warn("scenario {} requires scope Range, but can't extrapolate from {} ({})", s.name(),
                   src.scope, src.value);
        continue;
      }
      parser::Source r = src;
      r.ip.clear();
      r.scope = scope;
      r.value = src.range;
      if (s.scope.valid()) {
        PHALANX_TRY(r.value, scope_value(evt));
      }
      if (!r.value.empty()) {
        out[r.value] = std::move(r);
      } else {
        log::get("scenario")
            ->warn("scenario {} requires scope Range, but {} has no range", s.name(), src.value);
      }
    }
    return {};
  }
  parser::Source src;
  src.scope = scope;
  if (scope == "Ip" || scope == "Range") {
    const std::string* ip = evt.meta.find("source_ip");
    if (ip == nullptr) return Error("scope is " + scope + " but Meta[source_ip] doesn't exist");
    if (!net::IpAddress::parse(*ip)) {
      return Error("scope is " + scope + " but '" + *ip + "' isn't a valid ip");
    }
    src.ip = *ip;
    if (const std::string* v = evt.enriched.find("ASNumber")) {
      src.as_number = *v;
    } else if (const std::string* v2 = evt.enriched.find("ASNNumber")) {
      src.as_number = *v2;
    }
    if (const std::string* v = evt.enriched.find("IsoCode")) src.cn = *v;
    if (const std::string* v = evt.enriched.find("ASNOrg")) src.as_name = *v;
    if (const std::string* v = evt.enriched.find("Latitude"))
      src.latitude = std::strtof(v->c_str(), nullptr);
    if (const std::string* v = evt.enriched.find("Longitude"))
      src.longitude = std::strtof(v->c_str(), nullptr);
    if (const std::string* v = evt.meta.find("SourceRange"); v != nullptr && !v->empty()) {
      auto cidr = net::Cidr::parse(*v);
      if (!cidr) return Error("declared range " + *v + " of " + src.ip + " can't be parsed");
      src.range = cidr->to_string();
    }
    if (scope == "Ip") {
      src.value = src.ip;
    } else {
      src.value = src.range;
      if (s.scope.valid()) {
        PHALANX_TRY(src.value, scope_value(evt));
      }
    }
  } else {
    if (!s.scope.valid()) return Error("empty scope information");
    PHALANX_TRY(src.value, scope_value(evt));
  }
  out[src.value] = std::move(src);
  return {};
}

// Whether sources_of() depends on an event's fields alone: the Ip scope, or Range without a
// scope expression. Then the fields below decide its result.
bool sources_follow_fields(const Scenario& s) {
  const std::string& scope = s.config.scope_type;
  return scope == "Ip" || (scope == "Range" && !s.scope.valid());
}

// Every field sources_of() reads from a log event's Meta and Enriched.
constexpr std::string_view kSourceMeta[] = {"source_ip", "SourceRange"};
constexpr std::string_view kSourceEnriched[] = {"ASNumber", "ASNNumber", "IsoCode",
                                                "ASNOrg",   "Latitude",  "Longitude"};

// Whether two log events agree on every field sources_of() reads, so that it gives both the same
// sources. A bucket's events mostly come from one source, so the alert skips the address parse
// and the copies for all but the first of them.
bool same_source_fields(const Event& a, const Event& b) {
  if (a.type != parser::EventType::kLog || b.type != parser::EventType::kLog) return false;
  auto same = [](const parser::StringMap& x, const parser::StringMap& y, std::string_view key) {
    const std::string* u = x.find(key);
    const std::string* v = y.find(key);
    return u == nullptr ? v == nullptr : v != nullptr && *u == *v;
  };
  return std::all_of(std::begin(kSourceMeta), std::end(kSourceMeta),
                     [&](std::string_view k) { return same(a.meta, b.meta, k); }) &&
         std::all_of(std::begin(kSourceEnriched), std::end(kSourceEnriched),
                     [&](std::string_view k) { return same(a.enriched, b.enriched, k); });
}

}  // namespace

void build_alert(const Scenario& s, std::span<const std::shared_ptr<const parser::Event>> queue,
                 const BucketTimes& times, expr::RunContext& run, parser::Overflow& ovf) {
  // The alert, as NewAlert builds it: every queued event contributes its sources.
  std::map<std::string, parser::Source> sources;
  std::string error;
  const bool by_fields = sources_follow_fields(s);
  const Event* previous = nullptr;
  for (const auto& e : queue) {
    if (by_fields && previous != nullptr && same_source_fields(*previous, *e)) continue;
    previous = e.get();
    std::map<std::string, parser::Source> one;
    if (auto r = sources_of(s, *e, run, one); !r) {
      error = r.error().message();
      break;
    }
    for (auto& [k, src] : one) {
      if (!sources.empty() && sources.begin()->second.scope != src.scope) {
        error = "event has multiple source types : " + src.scope +
                " != " + sources.begin()->second.scope;
        break;
      }
      sources[k] = std::move(src);
    }
    if (!error.empty()) break;
  }
  if (!error.empty()) {
    log::get("scenario")
        ->warn("scenario {}: unable to collect sources from bucket: {}", s.name(), error);
    sources.clear();
  }
  parser::Alert alert;
  alert.scenario = s.name();
  alert.scenario_hash = s.hash;
  alert.scenario_version = s.version;
  alert.capacity = int32_t(s.config.capacity);
  alert.events_count = int32_t(times.total);
  alert.leakspeed =
      format_go_duration(s.type() == BucketType::kTrigger ? Duration{0} : s.config.leakspeed);
  alert.start_at = expr::format_rfc3339_nano(times.first);
  alert.stop_at = expr::format_rfc3339_nano(times.overflow);
  alert.remediation = s.config.remediation;
  std::string source_str = "UNKNOWN";
  if (sources.size() > 1) {
    source_str = std::to_string(sources.size()) + " sources";
  } else if (sources.size() == 1) {
    source_str = sources.begin()->first;
  }
  const std::string scope = sources.empty() ? std::string() : sources.begin()->second.scope;
  alert.message = scope + " " + source_str + " performed '" + s.name() + "' (" +
                  std::to_string(times.total) + " events over " +
                  format_go_duration(times.overflow.time - times.first.time) + ") at " +
                  expr::format_go_time(times.last);
  for (const auto& e : queue) {
    // Reprocessed overflows carry no Meta; the hub leaves them out of the alert's events.
    if (e->type == parser::EventType::kOverflow) continue;
    parser::AlertEvent ae;
    if (!e->marshaled_time.empty()) {
      ae.timestamp = e->marshaled_time;
    } else if (!e->time.is_zero()) {
      ae.timestamp = expr::format_rfc3339_nano(e->time);
    }
    // In key order, as the StringMap keeps them.
    ae.meta.reserve(e->meta.size());
    for (const auto& [k, v] : e->meta)
      ae.meta.push_back({k, v});
    alert.events.push_back(std::move(ae));
  }
  // One alert per source; the last one takes the events instead of copying them.
  size_t left = sources.size();
  for (const auto& [value, src] : sources) {
    parser::Alert one = --left == 0 ? std::move(alert) : alert;
    one.source = src;
    ovf.api_alerts.push_back(std::move(one));
  }
  ovf.sources = std::move(sources);
}

}  // namespace phalanx::scenario

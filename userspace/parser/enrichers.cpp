// SPDX-License-Identifier: Apache-2.0
#include "parser/enrichers.h"

#include <atomic>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "enrich/date.h"
#include "enrich/geoip.h"
#include "enrich/rdns.h"
#include "expr/json.h"

namespace phalanx::parser {
namespace {

constexpr std::string_view kMethods[] = {"ParseDate", "GeoIpCity",   "GeoIpASN",
                                         "IpToRange", "reverse_dns", "UnmarshalJSON"};

void merge(const enrich::Fields& fields, Event& evt) {
  for (const auto& [k, v] : fields)
    evt.enriched.set(k, v);
}

}  // namespace

Result<std::unique_ptr<Enrichers>> Enrichers::create(const EnricherOptions& options) {
  auto out = std::unique_ptr<Enrichers>(new Enrichers(options));
  PHALANX_TRY(auto dbs,
              enrich::GeoIpDatabases::open(options.geoip_city_path, options.geoip_asn_path));
  out->geoip_ = std::make_unique<enrich::GeoIpDatabases>(std::move(dbs));
  return out;
}

Enrichers::Enrichers(const EnricherOptions& options) : options_(options) {}

Enrichers::~Enrichers() = default;

bool Enrichers::is_known(std::string_view method) {
  for (auto m : kMethods) {
    if (m == method) return true;
  }
  return false;
}

void Enrichers::apply(std::string_view method, std::string_view value, Event& evt) const {
  if (method == "ParseDate") {
    parse_date(value, evt);
  } else if (method == "GeoIpCity" || method == "GeoIpASN" || method == "IpToRange") {
    geoip(method, value, evt);
  } else if (method == "reverse_dns") {
    merge(enrich::ReverseDns(options_.reverse_dns).enrich(value), evt);
  } else if (method == "UnmarshalJSON") {
    unmarshal_json(evt);
  }
}

void Enrichers::unmarshal_json(Event& evt) const {
  // The method form decodes the raw line (not the static's value) into evt.Unmarshaled, as the
  // hub's enricher does; hub parsers mostly use the UnmarshalJSON(str, map, key) function.
  const auto doc = nlohmann::json::parse(evt.line.raw, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    log::get("parser")->debug("UnmarshalJSON: the line is not a JSON object");
    return;
  }
  evt.unmarshaled = expr::from_json(doc);
}

void Enrichers::parse_date(std::string_view value, Event& evt) const {
  const enrich::DateOptions opts{options_.pinned_year, options_.clock};
  auto result = enrich::parse_date(value, evt.str_time_format, opts);
  evt.enriched.set("MarshaledTime", result.marshaled);
  // In time-machine mode the event's time is the log's; live, it stays the ingest time.
  if (result.parsed && evt.expect_mode == ExpectMode::kTimeMachine) evt.time = result.time;
}

void Enrichers::geoip(std::string_view method, std::string_view value, Event& evt) const {
  const bool configured = method == "GeoIpCity" ? geoip_->has_city() : geoip_->has_asn();
  if (!configured) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      log::get("parser")->warn("{}: no GeoIP database configured; GeoIP enrichment is skipped",
                               method);
    }
    return;
  }
  if (method == "GeoIpCity") {
    merge(geoip_->city(value), evt);
  } else if (method == "GeoIpASN") {
    merge(geoip_->asn(value), evt);
  } else {
    merge(geoip_->range(value), evt);
  }
}

}  // namespace phalanx::parser

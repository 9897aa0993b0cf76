// SPDX-License-Identifier: Apache-2.0
// The `method:` enrichers of parser statics (spec §4.6): ParseDate, GeoIpCity, GeoIpASN,
// IpToRange, reverse_dns, UnmarshalJSON. Each takes the static's value and merges its output
// into evt.Enriched. Thread-safe: lookups only read shared state.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "parser/event.h"

namespace phalanx::enrich {
class GeoIpDatabases;
}

namespace phalanx::parser {

struct EnricherOptions {
  // GeoLite2-City / GeoLite2-ASN database paths; empty: the GeoIP methods return nothing and a
  // warning is logged once.
  std::string geoip_city_path;
  std::string geoip_asn_path;
  bool reverse_dns = false;  // off unless enabled: a DNS query per event is costly
  // Year-less dates take this year instead of the current one (tests, pinned replays).
  std::optional<int> pinned_year;
  const Clock* clock = nullptr;  // "now" for dates that do not parse; null: system clock
};

class Enrichers {
 public:
  // Opens the GeoIP databases when configured. Errors: a configured database that cannot be
  // opened.
  static Result<std::unique_ptr<Enrichers>> create(const EnricherOptions& options);
  ~Enrichers();

  // Whether `method` names an enricher (unknown methods are load errors).
  static bool is_known(std::string_view method);

  // Runs the enricher on `value` and merges its output into evt.Enriched (ParseDate also sets
  // evt.Time in time-machine mode).
  void apply(std::string_view method, std::string_view value, Event& evt) const;

 private:
  explicit Enrichers(const EnricherOptions& options);

  void parse_date(std::string_view value, Event& evt) const;
  void geoip(std::string_view method, std::string_view value, Event& evt) const;
  void unmarshal_json(Event& evt) const;

  EnricherOptions options_;
  std::unique_ptr<enrich::GeoIpDatabases> geoip_;
};

}  // namespace phalanx::parser

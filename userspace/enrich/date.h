// SPDX-License-Identifier: Apache-2.0
// The ParseDate enricher: turns an event's StrTime into MarshaledTime (and, in replay mode, the
// event time), with CrowdSec's order of attempts and its fallbacks.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/time.h"

namespace phalanx::enrich {

struct DateOptions {
  // The year given to year-less dates ("Jan  2 15:04:05"). Unset: the current UTC year of clock.
  // Hub tests assert absolute years, so a replay of them pins the year of their snapshot.
  std::optional<int> pinned_year;
  // Source of "now" (the current year and the fallback time). nullptr: the system clock.
  const Clock* clock = nullptr;
};

struct ParseDateResult {
  // The parsed time with the offset it was written with; "now" (UTC) when nothing parsed.
  // Saturates at the ends of TimePoint (years 1678..2261) for dates outside it; marshaled is
  // exact in every case.
  ZonedTime time;
  bool parsed = false;    // false when the result fell back to now
  std::string marshaled;  // Go's MarshalText (RFC 3339 with nanoseconds): Enriched.MarshaledTime
};

// The Go layouts ParseDate tries after StrTimeFormat, in CrowdSec's order (RFC 3339 appears
// twice there too). The fourth is literally "... europe/paris": Go reads "europe/paris" as
// literal text that the value must contain, and the time is then UTC.
inline constexpr std::string_view kParseDateLayouts[] = {
    "2006-01-02T15:04:05Z07:00",  // time.RFC3339
    "02/Jan/2006:15:04:05 -0700",
    "Mon Jan 2 15:04:05 2006",
    "02-Jan-2006 15:04:05 europe/paris",
    "01/02/2006 15:04:05",
    "2006-01-02 15:04:05.999999999 -0700 MST",
    "Jan  2 15:04:05",
    "Mon Jan 02 15:04:05.000000 2006",
    "2006-01-02T15:04:05Z07:00",
    "2006/01/02",
    "2006/01/02 15:04",
    "2006-01-02",
    "2006-01-02 15:04",
    "2006/01/02 15:04:05",
    "2006-01-02 15:04:05",
    "2006-01-02T15:04:05",
};

// CrowdSec's ParseDate. Attempts, first success wins:
//   1. str_time_format (a Go layout) when non-empty;
//   2. each of kParseDateLayouts;
//   3. a Unix epoch: the text before any '.' as a positive base-10 integer of seconds;
//   4. otherwise now (parsed = false). An empty str goes straight to now.
// A layout attempt succeeds when Go's time.Parse accepts the value, the result is not Go's zero
// time, and MarshalText accepts it; a result in year 0 (a year-less layout) first gets the
// current or pinned year, as with Go's AddDate (so Feb 29 can become Mar 1).
// Never fails. Thread-safe (reads the clock only).
ParseDateResult parse_date(std::string_view str, std::string_view str_time_format,
                           const DateOptions& options);

}  // namespace phalanx::enrich

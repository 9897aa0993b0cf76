// SPDX-License-Identifier: Apache-2.0
// Go's time.Parse and Time.Format for arbitrary layouts, plus Time.MarshalText.
//
// Hub parsers give timestamp layouts in Go's reference-time notation ("02/Jan/2006:15:04:05
// -0700"), and CrowdSec's ParseDate prints results with MarshalText, so both directions must
// match Go byte for byte, quirks included:
//   * every reference element is supported (2006 06 01 1 Jan January 02 2 _2 __2 002 15 03 3 04
//     4 05 5 PM pm MST Z07:00 Z0700 Z07 Z070000 Z07:00:00 -07:00 -0700 -07 -070000 -07:00:00
//     Mon Monday .000 .999 ,000 ,999); everything else is literal text, where a run of spaces in
//     the layout matches any run of spaces in the value;
//   * a fractional second after a seconds element is accepted even when the layout has none;
//   * zone abbreviations (MST) record the name with offset 0 ("CEST" → +00:00), except "UTC",
//     and "GMT+3"-style names, which carry their offset; numeric offsets are kept as written;
//   * a layout without a year yields year 0, without month/day January 1.
// Only fixed offsets exist: the process zone is taken to be UTC (hubtest forces TZ=UTC), and no
// zone database is consulted.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"

namespace phalanx::enrich {

// Seconds from 0001-01-01T00:00:00Z (Go's zero Time) to the Unix epoch.
inline constexpr int64_t kGoZeroUnixSec = -62135596800;

// A Go time.Time as far as Phalanx needs one: an instant with 64-bit seconds (so Go's year 0,
// which year-less layouts produce, is representable, unlike in TimePoint), plus the fixed zone
// it is displayed in.
struct GoTime {
  int64_t unix_sec = kGoZeroUnixSec;  // seconds since 1970-01-01T00:00:00Z
  int32_t nsec = 0;                   // [0, 1e9)
  int32_t utc_offset_s = 0;           // seconds east of UTC
  std::string zone_name = "UTC";      // what the MST element prints; "" prints "-0700" style

  // Go's Time.IsZero: the instant is 0001-01-01T00:00:00Z.
  bool is_zero() const { return unix_sec == kGoZeroUnixSec && nsec == 0; }
};

// Broken-down wall-clock fields of a GoTime in its own zone.
struct CivilTime {
  int64_t year = 1;
  int month = 1;    // 1..12
  int day = 1;      // 1..31
  int hour = 0;     // 0..23
  int minute = 0;   // 0..59
  int second = 0;   // 0..59
  int nsec = 0;     // 0..999999999
  int yday = 1;     // 1..366
  int weekday = 1;  // 0 = Sunday
};
CivilTime civil(const GoTime& t);

// Go's time.Date with a fixed zone: builds the time from wall-clock fields in the zone
// (utc_offset_s, zone_name), normalising out-of-range fields the way Go does (month 13 is
// January of the next year, February 30 is March 1 or 2, and so on).
GoTime go_date(int64_t year, int month, int day, int hour, int minute, int second, int nsec,
               int32_t utc_offset_s, std::string zone_name);

// Go's Time.AddDate(years, months, days) in the time's own (fixed) zone.
GoTime add_date(const GoTime& t, int years, int months, int days);

// Go's time.Parse(layout, value). Errors: "parsing time \"value\" as \"layout\": ..." when the
// value does not match the layout or a field is out of range.
Result<GoTime> parse_go(std::string_view layout, std::string_view value);

// parse_go() without the error text, for callers that only need to know whether it parsed.
std::optional<GoTime> try_parse_go(std::string_view layout, std::string_view value);

// parse_go() converted to a ZonedTime. Errors: those of parse_go(), and "time out of range"
// when the result does not fit a TimePoint (years before 1678 or after 2261), which includes the
// year 0 of year-less layouts: use parse_go() there and fill the year in (see parse_date()).
Result<ZonedTime> parse_go_time(std::string_view layout, std::string_view value);

// Go's Time.Format(layout).
std::string format_go(const GoTime& t, std::string_view layout);

// Go's Time.Format(layout) for a ZonedTime: the zone is named "UTC" at offset 0 and unnamed
// otherwise, as Go's Parse would leave it for a numeric offset.
std::string format_go_time(const ZonedTime& t, std::string_view layout);

// Go's Time.MarshalText: RFC 3339 with nanoseconds, trailing zeros of the fraction trimmed,
// "Z" for offset 0, "+02:00" otherwise. Errors, as Go: "year outside of range [0,9999]" and
// "timezone hour outside of range [0,23]".
Result<std::string> marshal_text(const GoTime& t);

// MarshalText for a ZonedTime (always in range, so it cannot fail; an offset of 24h or more,
// which Go refuses, is printed anyway).
std::string format_rfc3339_nano(const ZonedTime& t);

// Conversions. to_go_time names offset 0 "UTC". to_zoned_time fails with "time out of range"
// outside the TimePoint range.
GoTime to_go_time(const ZonedTime& t);
Result<ZonedTime> to_zoned_time(const GoTime& t);

}  // namespace phalanx::enrich

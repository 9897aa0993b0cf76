// SPDX-License-Identifier: Apache-2.0
// Internal to the enrich module: the pieces shared by the Go layout parser and formatter.
// Go's time package reads a layout as literal text interleaved with "reference elements" (the
// parts of Mon Jan 2 15:04:05 MST 2006); next_std_chunk() splits a layout exactly the way Go's
// nextStdChunk does, so that both directions agree with Go on every odd layout.
#pragma once

#include <cstdint>
#include <string_view>

namespace phalanx::enrich::detail {

enum class Std : uint8_t {
  kNone,  // no element left: the whole layout is literal
  kLongMonth,
  kMonth,
  kNumMonth,
  kZeroMonth,
  kLongWeekDay,
  kWeekDay,
  kDay,
  kUnderDay,
  kZeroDay,
  kUnderYearDay,
  kZeroYearDay,
  kHour,
  kHour12,
  kZeroHour12,
  kMinute,
  kZeroMinute,
  kSecond,
  kZeroSecond,
  kLongYear,
  kYear,
  kPM,
  kpm,
  kTZ,
  kISO8601TZ,
  kISO8601SecondsTZ,
  kISO8601ShortTZ,
  kISO8601ColonTZ,
  kISO8601ColonSecondsTZ,
  kNumTZ,
  kNumSecondsTZ,
  kNumShortTZ,
  kNumColonTZ,
  kNumColonSecondsTZ,
  kFracSecond0,  // ".000": exactly n digits
  kFracSecond9,  // ".999": up to n digits, trailing zeros trimmed when formatting
};

// One step through a layout: literal text, then one element (or kNone), then the rest.
struct Chunk {
  std::string_view prefix;
  Std std = Std::kNone;
  int frac_digits = 0;  // kFracSecond*: number of 0s or 9s
  char frac_sep = '.';  // kFracSecond*: '.' or ','
  std::string_view suffix;
};

Chunk next_std_chunk(std::string_view layout);

bool is_iso8601_tz(Std std);
bool is_num_tz(Std std);

// Go's scanning helpers, shared by the parser. Each consumes from s only on success.
bool is_digit_at(std::string_view s, size_t i);
// Literal layout text must appear in the value; a run of spaces in the layout matches any run of
// spaces in the value (at least one, unless the value is exhausted).
bool skip(std::string_view& value, std::string_view prefix);
bool getnum(std::string_view& s, bool fixed, int* out);   // 1-2 digits (exactly 2 if fixed)
bool getnum3(std::string_view& s, bool fixed, int* out);  // 1-3 digits (exactly 3 if fixed)
bool leading_int(std::string_view& s, uint64_t* out);     // leading digits; false past 2^63
bool go_atoi(std::string_view s, int64_t* out);           // optional sign, then digits only

// Proleptic Gregorian calendar arithmetic on 64-bit day counts (day 0 = 1970-01-01).
int64_t days_from_civil(int64_t year, int month, int day);
struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};
CivilDate civil_from_days(int64_t days);
bool is_leap(int64_t year);
int days_in_month(int month, int64_t year);
int64_t floor_div(int64_t a, int64_t b);

extern const char* const kLongMonthNames[12];
extern const char* const kLongDayNames[7];  // Sunday first, as Go's time.Weekday

}  // namespace phalanx::enrich::detail

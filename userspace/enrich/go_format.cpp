// SPDX-License-Identifier: Apache-2.0
// Go's Time.Format and MarshalText, and the civil-time arithmetic behind them and behind Parse.
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "enrich/go_layout.h"
#include "enrich/go_time.h"

namespace phalanx::enrich {
namespace {

using detail::Chunk;
using detail::Std;

constexpr int64_t kSecondsPerDay = 86400;
constexpr std::string_view kRfc3339Nano = "2006-01-02T15:04:05.999999999Z07:00";

// Go's appendInt: decimal, zero-padded to width after any sign.
void append_int(std::string& b, int64_t x, int width) {
  uint64_t u = static_cast<uint64_t>(x);
  if (x < 0) {
    b += '-';
    u = 0 - u;
  }
  char buf[24];
  int i = sizeof(buf);
  do {
    buf[--i] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  for (int w = static_cast<int>(sizeof(buf)) - i; w < width; ++w)
    b += '0';
  b.append(buf + i, sizeof(buf) - i);
}

// Go's appendNano: ".000" keeps n digits; ".999" also trims trailing zeros (and the separator
// when nothing is left).
void append_nano(std::string& b, int nsec, const Chunk& c) {
  bool trim = c.std == Std::kFracSecond9;
  int n = c.frac_digits;
  if (trim && (n == 0 || nsec == 0)) return;
  size_t start = b.size();
  b += c.frac_sep;
  append_int(b, nsec, 9);
  if (n < 9) b.resize(b.size() - 9 + static_cast<size_t>(n));
  if (trim) {
    while (b.size() > start && b.back() == '0')
      b.pop_back();
    if (b.size() > start && b.back() == c.frac_sep) b.pop_back();
  }
}

void append_zone(std::string& b, Std std, int32_t offset) {
  // Only the "Z" spellings print Z for UTC; "-07:00" prints "+00:00".
  if (offset == 0 && detail::is_iso8601_tz(std)) {
    b += 'Z';
    return;
  }
  int32_t zone = offset / 60;  // minutes, truncated toward zero as Go does
  int32_t abs_offset = offset;
  if (zone < 0) {
    b += '-';
    zone = -zone;
    abs_offset = -abs_offset;
  } else {
    b += '+';
  }
  append_int(b, zone / 60, 2);
  bool colon = std == Std::kISO8601ColonTZ || std == Std::kNumColonTZ ||
               std == Std::kISO8601ColonSecondsTZ || std == Std::kNumColonSecondsTZ;
  if (colon) b += ':';
  if (std != Std::kNumShortTZ && std != Std::kISO8601ShortTZ) append_int(b, zone % 60, 2);
  bool seconds = std == Std::kISO8601SecondsTZ || std == Std::kNumSecondsTZ ||
                 std == Std::kISO8601ColonSecondsTZ || std == Std::kNumColonSecondsTZ;
  if (seconds) {
    if (colon) b += ':';
    append_int(b, abs_offset % 60, 2);
  }
}

void append_abbrev(std::string& b, const GoTime& t) {
  if (!t.zone_name.empty()) {
    b += t.zone_name;
    return;
  }
  // No name known: Go prints the offset as -0700.
  int32_t zone = t.utc_offset_s / 60;
  if (zone < 0) {
    b += '-';
    zone = -zone;
  } else {
    b += '+';
  }
  append_int(b, zone / 60, 2);
  append_int(b, zone % 60, 2);
}

int hour12(int hour) {
  return hour % 12 == 0 ? 12 : hour % 12;
}

void append_date_element(std::string& b, Std std, const CivilTime& c) {
  switch (std) {
    case Std::kYear:
      append_int(b, (c.year < 0 ? -c.year : c.year) % 100, 2);
      break;
    case Std::kLongYear:
      append_int(b, c.year, 4);
      break;
    case Std::kMonth:
      b.append(detail::kLongMonthNames[c.month - 1], 3);
      break;
    case Std::kLongMonth:
      b += detail::kLongMonthNames[c.month - 1];
      break;
    case Std::kNumMonth:
    case Std::kZeroMonth:
      append_int(b, c.month, std == Std::kZeroMonth ? 2 : 0);
      break;
    case Std::kWeekDay:
      b.append(detail::kLongDayNames[c.weekday], 3);
      break;
    case Std::kLongWeekDay:
      b += detail::kLongDayNames[c.weekday];
      break;
    case Std::kDay:
    case Std::kZeroDay:
      append_int(b, c.day, std == Std::kZeroDay ? 2 : 0);
      break;
    case Std::kUnderDay:
      if (c.day < 10) b += ' ';
      append_int(b, c.day, 0);
      break;
    case Std::kUnderYearDay:
      if (c.yday < 100) b += c.yday < 10 ? "  " : " ";
      append_int(b, c.yday, 0);
      break;
    case Std::kZeroYearDay:
      append_int(b, c.yday, 3);
      break;
    default:
      break;
  }
}

void append_element(std::string& b, const Chunk& chunk, const GoTime& t, const CivilTime& c) {
  Std std = chunk.std;
  switch (std) {
    case Std::kHour:
      return append_int(b, c.hour, 2);
    case Std::kHour12:
    case Std::kZeroHour12:
      return append_int(b, hour12(c.hour), std == Std::kZeroHour12 ? 2 : 0);
    case Std::kMinute:
    case Std::kZeroMinute:
      return append_int(b, c.minute, std == Std::kZeroMinute ? 2 : 0);
    case Std::kSecond:
    case Std::kZeroSecond:
      return append_int(b, c.second, std == Std::kZeroSecond ? 2 : 0);
    case Std::kPM:
      b += c.hour >= 12 ? "PM" : "AM";
      return;
    case Std::kpm:
      b += c.hour >= 12 ? "pm" : "am";
      return;
    case Std::kTZ:
      return append_abbrev(b, t);
    case Std::kFracSecond0:
    case Std::kFracSecond9:
      return append_nano(b, t.nsec, chunk);
    default:
      break;
  }
  if (detail::is_iso8601_tz(std) || detail::is_num_tz(std))
    return append_zone(b, std, t.utc_offset_s);
  append_date_element(b, std, c);
}

// Normalises hi/lo so that 0 <= lo < base, carrying into hi (Go's norm).
void norm(int64_t& hi, int64_t& lo, int64_t base) {
  int64_t carry = detail::floor_div(lo, base);
  hi += carry;
  lo -= carry * base;
}

}  // namespace

CivilTime civil(const GoTime& t) {
  int64_t local = t.unix_sec + t.utc_offset_s;
  int64_t days = detail::floor_div(local, kSecondsPerDay);
  int64_t secs = local - days * kSecondsPerDay;
  detail::CivilDate d = detail::civil_from_days(days);
  CivilTime c;
  c.year = d.year;
  c.month = d.month;
  c.day = d.day;
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs / 60 % 60);
  c.second = static_cast<int>(secs % 60);
  c.nsec = t.nsec;
  c.yday = static_cast<int>(days - detail::days_from_civil(d.year, 1, 1)) + 1;
  c.weekday = static_cast<int>((days + 4) % 7);  // 1970-01-01 was a Thursday
  if (c.weekday < 0) c.weekday += 7;
  return c;
}

GoTime go_date(int64_t year, int month, int day, int hour, int minute, int second, int nsec,
               int32_t utc_offset_s, std::string zone_name) {
  int64_t m = month - 1;
  norm(year, m, 12);
  int64_t sec = second, ns = nsec, min = minute, hr = hour, dd = day;
  norm(sec, ns, 1'000'000'000);
  norm(min, sec, 60);
  norm(hr, min, 60);
  norm(dd, hr, 24);
  int64_t days = detail::days_from_civil(year, static_cast<int>(m) + 1, 1) + (dd - 1);
  GoTime t;
  t.unix_sec = days * kSecondsPerDay + hr * 3600 + min * 60 + sec - utc_offset_s;
  t.nsec = static_cast<int32_t>(ns);
  t.utc_offset_s = utc_offset_s;
  t.zone_name = std::move(zone_name);
  return t;
}

GoTime add_date(const GoTime& t, int years, int months, int days) {
  CivilTime c = civil(t);
  return go_date(c.year + years, c.month + months, c.day + days, c.hour, c.minute, c.second, c.nsec,
                 t.utc_offset_s, t.zone_name);
}

std::string format_go(const GoTime& t, std::string_view layout) {
  const CivilTime c = civil(t);
  std::string b;
  b.reserve(layout.size() + 16);
  while (!layout.empty()) {
    Chunk chunk = detail::next_std_chunk(layout);
    b += chunk.prefix;
    if (chunk.std == Std::kNone) break;
    layout = chunk.suffix;
    append_element(b, chunk, t, c);
  }
  return b;
}

std::string format_go_time(const ZonedTime& t, std::string_view layout) {
  return format_go(to_go_time(t), layout);
}

Result<std::string> marshal_text(const GoTime& t) {
  const CivilTime c = civil(t);
  if (c.year < 0 || c.year > 9999) {
    return Error("marshaling time: year outside of range [0,9999]");
  }
  int32_t zone_hours = t.utc_offset_s / 3600;
  if (zone_hours >= 24 || zone_hours <= -24) {
    return Error("marshaling time: timezone hour outside of range [0,23]");
  }
  // kRfc3339Nano written field by field: format_go would tokenize the layout on every call,
  // and ParseDate marshals every date it parses.
  std::string b;
  b.reserve(kRfc3339Nano.size());
  append_int(b, c.year, 4);
  b += '-';
  append_int(b, c.month, 2);
  b += '-';
  append_int(b, c.day, 2);
  b += 'T';
  append_int(b, c.hour, 2);
  b += ':';
  append_int(b, c.minute, 2);
  b += ':';
  append_int(b, c.second, 2);
  Chunk fraction;  // .999999999
  fraction.std = Std::kFracSecond9;
  fraction.frac_digits = 9;
  append_nano(b, t.nsec, fraction);
  append_zone(b, Std::kISO8601ColonTZ, t.utc_offset_s);
  return b;
}

std::string format_rfc3339_nano(const ZonedTime& t) {
  return format_go_time(t, kRfc3339Nano);
}

GoTime to_go_time(const ZonedTime& t) {
  int64_t ns = t.time.time_since_epoch().count();
  GoTime g;
  g.unix_sec = detail::floor_div(ns, 1'000'000'000);
  g.nsec = static_cast<int32_t>(ns - g.unix_sec * 1'000'000'000);
  g.utc_offset_s = t.utc_offset_s;
  g.zone_name = t.utc_offset_s == 0 ? "UTC" : "";
  return g;
}

Result<ZonedTime> to_zoned_time(const GoTime& t) {
  __int128 ns = static_cast<__int128>(t.unix_sec) * 1'000'000'000 + t.nsec;
  if (ns < std::numeric_limits<int64_t>::min() || ns > std::numeric_limits<int64_t>::max()) {
    return Error("converting time: time out of range");
  }
  ZonedTime z;
  z.time = TimePoint(std::chrono::nanoseconds(static_cast<int64_t>(ns)));
  z.utc_offset_s = t.utc_offset_s;
  return z;
}

}  // namespace phalanx::enrich

// SPDX-License-Identifier: Apache-2.0
// Go's time.Parse, transcribed element by element so that every accept/reject decision and every
// odd result (two-digit years, "GMT+3", unknown abbreviations) is the one Go makes.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "enrich/go_layout.h"
#include "enrich/go_time.h"

namespace phalanx::enrich {
namespace {

using detail::Chunk;
using detail::getnum;
using detail::getnum3;
using detail::go_atoi;
using detail::is_digit_at;
using detail::leading_int;
using detail::skip;
using detail::Std;

constexpr std::array<std::string_view, 12> kShortMonths = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kShortDays = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};

// Go leaves zoneOffset at -1 when no numeric offset was seen; an offset of exactly -1s is
// therefore indistinguishable from "none" in Go too, and we keep that behaviour.
constexpr int kNoOffset = -1;

struct ParseState {
  int64_t year = 0;
  int month = -1;
  int day = -1;
  int yday = -1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int nsec = 0;
  bool am = false;
  bool pm = false;
  bool utc = false;  // "Z" or "UTC" seen: the offset is forced to 0
  int zone_offset = kNoOffset;
  std::string_view zone_name;
  std::string_view range_err;  // non-empty: a field is out of range (reported before errors)
};

bool comma_or_period(char c) {
  return c == '.' || c == ',';
}

// Go's case-insensitive (ASCII) prefix lookup in a name table.
template <class Table>
bool lookup(const Table& tab, std::string_view& val, int* index) {
  for (size_t i = 0; i < tab.size(); ++i) {
    std::string_view name = tab[i];
    if (val.size() < name.size()) continue;
    bool same = true;
    for (size_t k = 0; k < name.size() && same; ++k) {
      char a = val[k];
      char b = name[k];
      if (a == b) continue;
      a = static_cast<char>(a | 0x20);
      b = static_cast<char>(b | 0x20);
      same = a == b && a >= 'a' && a <= 'z';
    }
    if (same) {
      val.remove_prefix(name.size());
      *index = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

template <size_t N>
bool lookup_names(const char* const (&names)[N], std::string_view& val, int* index) {
  std::array<std::string_view, N> tab;
  for (size_t i = 0; i < N; ++i)
    tab[i] = names[i];
  return lookup(tab, val, index);
}

// Go's parseNanoseconds: value[0] is the separator; at most nine digits count.
bool parse_nanoseconds(std::string_view value, size_t nbytes, ParseState& st) {
  if (!comma_or_period(value[0])) return false;
  if (nbytes > 10) nbytes = 10;
  int64_t ns = 0;
  if (!go_atoi(value.substr(1, nbytes - 1), &ns)) return false;
  if (ns < 0) {
    st.range_err = "fractional second";
    return true;
  }
  for (size_t i = nbytes; i < 10; ++i)
    ns *= 10;
  st.nsec = static_cast<int>(ns);
  return true;
}

// Go's parseSignedOffset: "+3", "-11"; returns the length consumed, 0 when invalid.
size_t parse_signed_offset(std::string_view value) {
  if (value.empty() || (value[0] != '-' && value[0] != '+')) return 0;
  std::string_view rest = value.substr(1);
  uint64_t x = 0;
  if (!leading_int(rest, &x) || rest.size() == value.size() - 1 || x > 23) return 0;
  return value.size() - rest.size();
}

// Go's parseTimeZone: the length of a plausible zone abbreviation at the start of value.
size_t parse_time_zone(std::string_view value) {
  if (value.size() < 3) return 0;
  if (value.starts_with("ChST") || value.starts_with("MeST")) return 4;
  if (value.starts_with("GMT")) return 3 + parse_signed_offset(value.substr(3));
  if (value[0] == '+' || value[0] == '-') return parse_signed_offset(value);
  size_t upper = 0;
  while (upper < 6 && upper < value.size() && value[upper] >= 'A' && value[upper] <= 'Z')
    ++upper;
  switch (upper) {
    case 3:
      return 3;
    case 4:
      return (value[3] == 'T' || value.starts_with("WITA")) ? 4 : 0;
    case 5:
      return value[4] == 'T' ? 5 : 0;
    default:
      return 0;
  }
}

bool parse_year(Std std, std::string_view& value, ParseState& st) {
  size_t width = std == Std::kYear ? 2 : 4;
  if (value.size() < width || (std == Std::kLongYear && !is_digit_at(value, 0))) return false;
  int64_t y = 0;
  if (!go_atoi(value.substr(0, width), &y)) return false;
  value.remove_prefix(width);
  // Two-digit years pivot at 69, because Unix time starts on Dec 31 1969 in some zones.
  if (std == Std::kYear) y += y >= 69 ? 1900 : 2000;
  st.year = y;
  return true;
}

bool is_date_element(Std std) {
  switch (std) {
    case Std::kYear:
    case Std::kLongYear:
    case Std::kMonth:
    case Std::kLongMonth:
    case Std::kNumMonth:
    case Std::kZeroMonth:
    case Std::kWeekDay:
    case Std::kLongWeekDay:
    case Std::kDay:
    case Std::kUnderDay:
    case Std::kZeroDay:
    case Std::kUnderYearDay:
    case Std::kZeroYearDay:
      return true;
    default:
      return false;
  }
}

bool parse_date_element(Std std, std::string_view& value, ParseState& st) {
  int idx = 0;
  switch (std) {
    case Std::kYear:
    case Std::kLongYear:
      return parse_year(std, value, st);
    case Std::kMonth:
      if (!lookup(kShortMonths, value, &idx)) return false;
      st.month = idx + 1;
      return true;
    case Std::kLongMonth:
      if (!lookup_names(detail::kLongMonthNames, value, &idx)) return false;
      st.month = idx + 1;
      return true;
    case Std::kNumMonth:
    case Std::kZeroMonth:
      if (!getnum(value, std == Std::kZeroMonth, &st.month)) return false;
      if (st.month <= 0 || st.month > 12) st.range_err = "month";
      return true;
    case Std::kWeekDay:  // weekdays are only checked for spelling, never against the date
      return lookup(kShortDays, value, &idx);
    case Std::kLongWeekDay:
      return lookup_names(detail::kLongDayNames, value, &idx);
    case Std::kDay:
    case Std::kUnderDay:
    case Std::kZeroDay:
      if (std == Std::kUnderDay && !value.empty() && value[0] == ' ') value.remove_prefix(1);
      return getnum(value, std == Std::kZeroDay, &st.day);
    case Std::kUnderYearDay:
    case Std::kZeroYearDay:
      for (int i = 0; i < 2 && std == Std::kUnderYearDay; ++i) {
        if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
      }
      return getnum3(value, std == Std::kZeroYearDay, &st.yday);
    default:
      return false;
  }
}

bool parse_seconds(Std std, std::string_view layout_rest, std::string_view& value, ParseState& st) {
  if (!getnum(value, std == Std::kZeroSecond, &st.second)) return false;
  if (st.second < 0 || st.second >= 60) {
    st.range_err = "second";
    return true;
  }
  // A fraction in the value but none in the layout is still accepted, with any number of digits.
  if (value.size() >= 2 && comma_or_period(value[0]) && is_digit_at(value, 1)) {
    Std next = detail::next_std_chunk(layout_rest).std;
    if (next == Std::kFracSecond0 || next == Std::kFracSecond9) return true;
    size_t n = 2;
    while (is_digit_at(value, n))
      ++n;
    if (!parse_nanoseconds(value, n, st)) return false;
    value.remove_prefix(n);
  }
  return true;
}

bool parse_am_pm(Std std, std::string_view& value, ParseState& st) {
  if (value.size() < 2) return false;
  std::string_view p = value.substr(0, 2);
  value.remove_prefix(2);
  bool upper = std == Std::kPM;
  if (p == (upper ? "PM" : "pm")) return st.pm = true, true;
  if (p == (upper ? "AM" : "am")) return st.am = true, true;
  return false;
}

bool parse_clock_element(const Chunk& c, std::string_view& value, ParseState& st) {
  switch (c.std) {
    case Std::kHour:
      if (!getnum(value, false, &st.hour)) return false;
      if (st.hour < 0 || st.hour >= 24) st.range_err = "hour";
      return true;
    case Std::kHour12:
    case Std::kZeroHour12:
      if (!getnum(value, c.std == Std::kZeroHour12, &st.hour)) return false;
      if (st.hour < 0 || st.hour > 12) st.range_err = "hour";
      return true;
    case Std::kMinute:
    case Std::kZeroMinute:
      if (!getnum(value, c.std == Std::kZeroMinute, &st.minute)) return false;
      if (st.minute < 0 || st.minute >= 60) st.range_err = "minute";
      return true;
    case Std::kSecond:
    case Std::kZeroSecond:
      return parse_seconds(c.std, c.suffix, value, st);
    case Std::kPM:
    case Std::kpm:
      return parse_am_pm(c.std, value, st);
    case Std::kFracSecond0: {
      size_t ndigit = 1 + static_cast<size_t>(c.frac_digits);
      if (value.size() < ndigit) return false;
      if (!parse_nanoseconds(value, ndigit, st)) return false;
      value.remove_prefix(ndigit);
      return true;
    }
    case Std::kFracSecond9: {
      // Omitted entirely is fine; otherwise take every digit, even more than the layout shows.
      if (value.size() < 2 || !comma_or_period(value[0]) || !is_digit_at(value, 1)) return true;
      size_t i = 0;
      while (is_digit_at(value, i + 1))
        ++i;
      if (!parse_nanoseconds(value, 1 + i, st)) return false;
      value.remove_prefix(1 + i);
      return true;
    }
    default:
      return false;
  }
}

// Splits a numeric zone into sign/hours/minutes/seconds text by the element's shape.
bool split_numeric_zone(Std std, std::string_view& value, std::string_view parts[4]) {
  std::string_view v = value;
  size_t len = 0;
  if (std == Std::kISO8601ColonTZ || std == Std::kNumColonTZ) {
    if (v.size() < 6 || v[3] != ':') return false;
    parts[1] = v.substr(1, 2), parts[2] = v.substr(4, 2), parts[3] = "00", len = 6;
  } else if (std == Std::kNumShortTZ || std == Std::kISO8601ShortTZ) {
    if (v.size() < 3) return false;
    parts[1] = v.substr(1, 2), parts[2] = "00", parts[3] = "00", len = 3;
  } else if (std == Std::kISO8601ColonSecondsTZ || std == Std::kNumColonSecondsTZ) {
    if (v.size() < 9 || v[3] != ':' || v[6] != ':') return false;
    parts[1] = v.substr(1, 2), parts[2] = v.substr(4, 2), parts[3] = v.substr(7, 2), len = 9;
  } else if (std == Std::kISO8601SecondsTZ || std == Std::kNumSecondsTZ) {
    if (v.size() < 7) return false;
    parts[1] = v.substr(1, 2), parts[2] = v.substr(3, 2), parts[3] = v.substr(5, 2), len = 7;
  } else {
    if (v.size() < 5) return false;
    parts[1] = v.substr(1, 2), parts[2] = v.substr(3, 2), parts[3] = "00", len = 5;
  }
  parts[0] = v.substr(0, 1);
  value.remove_prefix(len);
  return true;
}

bool parse_numeric_zone(Std std, std::string_view& value, ParseState& st) {
  if (detail::is_iso8601_tz(std) && !value.empty() && value[0] == 'Z') {
    value.remove_prefix(1);
    st.utc = true;
    return true;
  }
  std::string_view parts[4];
  if (!split_numeric_zone(std, value, parts)) return false;
  int hr = 0, mm = 0, ss = 0;
  std::string_view h = parts[1], m = parts[2], s = parts[3];
  if (!getnum(h, true, &hr) || !getnum(m, true, &mm) || !getnum(s, true, &ss)) return false;
  // Go compares with > rather than >=: offsets of 24 hours or 60 minutes are let through.
  if (hr > 24) st.range_err = "time zone offset hour";
  if (mm > 60) st.range_err = "time zone offset minute";
  if (ss > 60) st.range_err = "time zone offset second";
  st.zone_offset = (hr * 60 + mm) * 60 + ss;
  if (parts[0][0] == '-') {
    st.zone_offset = -st.zone_offset;
  } else if (parts[0][0] != '+') {
    return false;
  }
  return true;
}

bool parse_element(const Chunk& c, std::string_view& value, ParseState& st) {
  if (detail::is_iso8601_tz(c.std) || detail::is_num_tz(c.std)) {
    return parse_numeric_zone(c.std, value, st);
  }
  if (c.std == Std::kTZ) {
    if (value.starts_with("UTC")) {
      st.utc = true;
      value.remove_prefix(3);
      return true;
    }
    size_t n = parse_time_zone(value);
    if (n == 0) return false;
    st.zone_name = value.substr(0, n);
    value.remove_prefix(n);
    return true;
  }
  if (is_date_element(c.std)) return parse_date_element(c.std, value, st);
  return parse_clock_element(c, value, st);
}

// Go's quote, for the ASCII it will meet in practice: '"' and '\\' are escaped.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// Go's ParseError texts: "parsing time "v" as "l": cannot parse "x" as "y"" when an element
// does not match, "parsing time "v": <message>" otherwise.
Error cannot_parse(std::string_view layout, std::string_view value, std::string_view value_elem,
                   std::string_view layout_elem) {
  return Error("parsing time " + quote(value) + " as " + quote(layout) + ": cannot parse " +
               quote(value_elem) + " as " + quote(layout_elem));
}

Error parse_error(std::string_view value, std::string_view message) {
  return Error("parsing time " + quote(value) + ": " + std::string(message));
}

// Converts a day of the year into month and day, checking it against any month/day seen.
Result<void> apply_yday(ParseState& st) {
  int yday = st.yday;
  int m = 0;
  int d = 0;
  if (detail::is_leap(st.year)) {
    if (yday == 31 + 29) {
      m = 2;
      d = 29;
    } else if (yday > 31 + 29) {
      --yday;
    }
  }
  if (yday < 1 || yday > 365) return Error("day-of-year out of range");
  if (m == 0) {
    static constexpr int kDaysBefore[] = {0,   31,  59,  90,  120, 151, 181,
                                          212, 243, 273, 304, 334, 365};
    m = (yday - 1) / 31 + 1;
    if (kDaysBefore[m] < yday) ++m;
    d = yday - kDaysBefore[m - 1];
  }
  if (st.month >= 0 && st.month != m) return Error("day-of-year does not match month");
  st.month = m;
  if (st.day >= 0 && st.day != d) return Error("day-of-year does not match day");
  st.day = d;
  return ok();
}

// Turns the collected fields into a time, resolving the zone as Go does when Local is UTC.
Result<GoTime> finish(ParseState& st) {
  if (st.pm && st.hour < 12) {
    st.hour += 12;
  } else if (st.am && st.hour == 12) {
    st.hour = 0;
  }
  if (st.yday >= 0) {
    PHALANX_CHECK(apply_yday(st));
  } else {
    if (st.month < 0) st.month = 1;
    if (st.day < 0) st.day = 1;
  }
  if (st.day < 1 || st.day > detail::days_in_month(st.month, st.year)) {
    return Error("day out of range");
  }
  auto at = [&](int32_t offset, std::string name) {
    return go_date(st.year, st.month, st.day, st.hour, st.minute, st.second, st.nsec, offset,
                   std::move(name));
  };
  if (st.utc) return at(0, "UTC");
  if (st.zone_offset != kNoOffset) {
    // Offset 0 is the (UTC) local zone; any other offset becomes a fixed zone, named after the
    // abbreviation when the layout also had one ("+0200 CEST").
    if (st.zone_offset == 0 && st.zone_name.empty()) return at(0, "UTC");
    return at(st.zone_offset, std::string(st.zone_name));
  }
  if (!st.zone_name.empty()) {
    // An abbreviation alone names a zone of unknown offset: the wall clock is read as UTC and
    // the zone is recorded with offset 0, or the hours of "GMT+3" (then displayed shifted).
    GoTime t = at(0, "UTC");
    int64_t hours = 0;
    if (st.zone_name.size() > 3 && st.zone_name.starts_with("GMT")) {
      (void)go_atoi(st.zone_name.substr(3), &hours);
    }
    t.utc_offset_s = static_cast<int32_t>(hours * 3600);
    t.zone_name = std::string(st.zone_name);
    return t;
  }
  return at(0, "UTC");
}

// time.Parse. With kExplain the errors carry Go's texts; without, they are empty, because
// building them (several quoted copies of the value and the layout) costs more than the parse
// itself, and parse_date() tries up to 16 layouts in turn, most of which fail.
template <bool kExplain>
Result<GoTime> parse_layout(std::string_view layout, std::string_view value) {
  // The error, built by `explain` only when it is wanted.
  auto fail = [](auto explain) -> Result<GoTime> {
    if constexpr (kExplain) {
      return explain();
    } else {
      return Error(std::string());
    }
  };
  const std::string_view full_layout = layout;
  const std::string_view full_value = value;
  ParseState st;
  for (;;) {
    Chunk c = detail::next_std_chunk(layout);
    std::string_view element =
        layout.substr(c.prefix.size(), layout.size() - c.prefix.size() - c.suffix.size());
    if (!skip(value, c.prefix)) {
      return fail([&] { return cannot_parse(full_layout, full_value, value, c.prefix); });
    }
    if (c.std == Std::kNone) {
      if (value.empty()) break;
      return fail([&] { return parse_error(full_value, "extra text: " + quote(value)); });
    }
    layout = c.suffix;
    std::string_view hold = value;
    bool good = parse_element(c, value, st);
    if (!st.range_err.empty()) {
      return fail(
          [&] { return parse_error(full_value, std::string(st.range_err) + " out of range"); });
    }
    if (!good) return fail([&] { return cannot_parse(full_layout, full_value, hold, element); });
  }
  auto t = finish(st);
  if (!t) return fail([&] { return parse_error(full_value, t.error().message()); });
  return t;
}

}  // namespace

Result<GoTime> parse_go(std::string_view layout, std::string_view value) {
  return parse_layout<true>(layout, value);
}

std::optional<GoTime> try_parse_go(std::string_view layout, std::string_view value) {
  auto t = parse_layout<false>(layout, value);
  if (!t) return std::nullopt;
  return std::move(t).value();
}

Result<ZonedTime> parse_go_time(std::string_view layout, std::string_view value) {
  PHALANX_TRY(GoTime t, parse_go(layout, value));
  return to_zoned_time(t);
}

}  // namespace phalanx::enrich

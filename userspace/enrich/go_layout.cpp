// SPDX-License-Identifier: Apache-2.0
#include "enrich/go_layout.h"

namespace phalanx::enrich::detail {
namespace {

bool starts_with_lower(std::string_view s) {
  return !s.empty() && s[0] >= 'a' && s[0] <= 'z';
}

Chunk make(std::string_view layout, size_t i, Std std, size_t len) {
  Chunk c;
  c.prefix = layout.substr(0, i);
  c.std = std;
  c.suffix = layout.substr(i + len);
  return c;
}

// The zone elements that start with '-' or 'Z'; longer spellings are tried first, as in Go.
struct ZoneSpelling {
  std::string_view text;
  Std std;
};
constexpr ZoneSpelling kNumZones[] = {
    {"-070000", Std::kNumSecondsTZ}, {"-07:00:00", Std::kNumColonSecondsTZ},
    {"-0700", Std::kNumTZ},          {"-07:00", Std::kNumColonTZ},
    {"-07", Std::kNumShortTZ},
};
constexpr ZoneSpelling kIsoZones[] = {
    {"Z070000", Std::kISO8601SecondsTZ}, {"Z07:00:00", Std::kISO8601ColonSecondsTZ},
    {"Z0700", Std::kISO8601TZ},          {"Z07:00", Std::kISO8601ColonTZ},
    {"Z07", Std::kISO8601ShortTZ},
};

template <size_t N>
bool match_zone(std::string_view layout, size_t i, const ZoneSpelling (&table)[N], Chunk* out) {
  for (const auto& z : table) {
    if (layout.substr(i).starts_with(z.text)) {
      *out = make(layout, i, z.std, z.text.size());
      return true;
    }
  }
  return false;
}

// Handles the letters J, M, P, p; returns false when the text at i is literal.
bool match_word(std::string_view layout, size_t i, Chunk* out) {
  std::string_view rest = layout.substr(i);
  if (rest.starts_with("Jan")) {
    if (rest.starts_with("January")) return *out = make(layout, i, Std::kLongMonth, 7), true;
    // "Janet" is literal text, not a month: Go refuses a lower-case letter after "Jan".
    if (!starts_with_lower(rest.substr(3))) return *out = make(layout, i, Std::kMonth, 3), true;
  }
  if (rest.starts_with("Mon")) {
    if (rest.starts_with("Monday")) return *out = make(layout, i, Std::kLongWeekDay, 6), true;
    if (!starts_with_lower(rest.substr(3))) return *out = make(layout, i, Std::kWeekDay, 3), true;
  }
  if (rest.starts_with("MST")) return *out = make(layout, i, Std::kTZ, 3), true;
  if (rest.starts_with("PM")) return *out = make(layout, i, Std::kPM, 2), true;
  if (rest.starts_with("pm")) return *out = make(layout, i, Std::kpm, 2), true;
  return false;
}

// Handles the digits and '_'; returns false when the text at i is literal.
bool match_number(std::string_view layout, size_t i, Chunk* out) {
  static constexpr Std kZeroX[] = {Std::kZeroMonth,  Std::kZeroDay,    Std::kZeroHour12,
                                   Std::kZeroMinute, Std::kZeroSecond, Std::kYear};
  std::string_view rest = layout.substr(i);
  switch (rest[0]) {
    case '0':
      if (rest.size() >= 2 && rest[1] >= '1' && rest[1] <= '6')
        return *out = make(layout, i, kZeroX[rest[1] - '1'], 2), true;
      if (rest.starts_with("002")) return *out = make(layout, i, Std::kZeroYearDay, 3), true;
      return false;
    case '1':
      if (rest.starts_with("15")) return *out = make(layout, i, Std::kHour, 2), true;
      return *out = make(layout, i, Std::kNumMonth, 1), true;
    case '2':
      if (rest.starts_with("2006")) return *out = make(layout, i, Std::kLongYear, 4), true;
      return *out = make(layout, i, Std::kDay, 1), true;
    case '_':
      if (rest.starts_with("_2")) {
        // "_2006" is a literal underscore followed by the year, not "_2" followed by "006".
        if (rest.starts_with("_2006")) return *out = make(layout, i + 1, Std::kLongYear, 4), true;
        return *out = make(layout, i, Std::kUnderDay, 2), true;
      }
      if (rest.starts_with("__2")) return *out = make(layout, i, Std::kUnderYearDay, 3), true;
      return false;
    case '3':
      return *out = make(layout, i, Std::kHour12, 1), true;
    case '4':
      return *out = make(layout, i, Std::kMinute, 1), true;
    case '5':
      return *out = make(layout, i, Std::kSecond, 1), true;
    default:
      return false;
  }
}

// ".000", ",999" and so on: only an element when the run of 0s or 9s is not followed by a digit.
bool match_fraction(std::string_view layout, size_t i, Chunk* out) {
  if (i + 1 >= layout.size() || (layout[i + 1] != '0' && layout[i + 1] != '9')) return false;
  char ch = layout[i + 1];
  size_t j = i + 1;
  while (j < layout.size() && layout[j] == ch)
    ++j;
  if (is_digit_at(layout, j)) return false;
  *out = make(layout, i, ch == '0' ? Std::kFracSecond0 : Std::kFracSecond9, j - i);
  out->frac_digits = static_cast<int>(j - (i + 1));
  out->frac_sep = layout[i];
  return true;
}

}  // namespace

Chunk next_std_chunk(std::string_view layout) {
  Chunk out;
  for (size_t i = 0; i < layout.size(); ++i) {
    bool found = false;
    switch (layout[i]) {
      case 'J':
      case 'M':
      case 'P':
      case 'p':
        found = match_word(layout, i, &out);
        break;
      case '-':
        found = match_zone(layout, i, kNumZones, &out);
        break;
      case 'Z':
        found = match_zone(layout, i, kIsoZones, &out);
        break;
      case '.':
      case ',':
        found = match_fraction(layout, i, &out);
        break;
      default:
        found = match_number(layout, i, &out);
        break;
    }
    if (found) return out;
  }
  out.prefix = layout;
  return out;
}

bool is_iso8601_tz(Std std) {
  return std == Std::kISO8601TZ || std == Std::kISO8601SecondsTZ || std == Std::kISO8601ShortTZ ||
         std == Std::kISO8601ColonTZ || std == Std::kISO8601ColonSecondsTZ;
}

bool is_num_tz(Std std) {
  return std == Std::kNumTZ || std == Std::kNumSecondsTZ || std == Std::kNumShortTZ ||
         std == Std::kNumColonTZ || std == Std::kNumColonSecondsTZ;
}

bool is_digit_at(std::string_view s, size_t i) {
  return i < s.size() && s[i] >= '0' && s[i] <= '9';
}

// Go's skip: literal layout text must appear in the value; a run of spaces in the layout eats
// any run of spaces in the value (but needs at least one unless the value is exhausted).
bool skip(std::string_view& value, std::string_view prefix) {
  auto cut_spaces = [](std::string_view& s) {
    while (!s.empty() && s[0] == ' ')
      s.remove_prefix(1);
  };
  while (!prefix.empty()) {
    if (prefix[0] == ' ') {
      if (!value.empty() && value[0] != ' ') return false;
      cut_spaces(prefix);
      cut_spaces(value);
      continue;
    }
    if (value.empty() || value[0] != prefix[0]) return false;
    prefix.remove_prefix(1);
    value.remove_prefix(1);
  }
  return true;
}

// Go's getnum: one or two digits (exactly two when fixed).
bool getnum(std::string_view& s, bool fixed, int* out) {
  if (!is_digit_at(s, 0)) return false;
  if (!is_digit_at(s, 1)) {
    if (fixed) return false;
    *out = s[0] - '0';
    s.remove_prefix(1);
    return true;
  }
  *out = (s[0] - '0') * 10 + (s[1] - '0');
  s.remove_prefix(2);
  return true;
}

// Go's getnum3: one to three digits (exactly three when fixed).
bool getnum3(std::string_view& s, bool fixed, int* out) {
  int n = 0;
  size_t i = 0;
  for (; i < 3 && is_digit_at(s, i); ++i)
    n = n * 10 + (s[i] - '0');
  if (i == 0 || (fixed && i != 3)) return false;
  *out = n;
  s.remove_prefix(i);
  return true;
}

// Go's leadingInt: consumes leading digits; false on overflow past 2^63.
bool leading_int(std::string_view& s, uint64_t* out) {
  uint64_t x = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (x > (uint64_t{1} << 63) / 10) return false;
    x = x * 10 + static_cast<uint64_t>(s[i] - '0');
    if (x > (uint64_t{1} << 63)) return false;
  }
  s.remove_prefix(i);
  *out = x;
  return true;
}

// Go's atoi: optional sign, then digits only.
bool go_atoi(std::string_view s, int64_t* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t q = 0;
  if (!leading_int(s, &q) || !s.empty()) return false;
  *out = neg ? static_cast<int64_t>(0 - q) : static_cast<int64_t>(q);
  return true;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Howard Hinnant's days_from_civil / civil_from_days, widened to 64 bits so that any year a
// Go layout can produce (0..9999, and far beyond for epochs) stays exact.
int64_t days_from_civil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  int64_t era = floor_div(year, 400);
  int64_t yoe = year - era * 400;
  int64_t mp = (month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(int64_t days) {
  days += 719468;
  int64_t era = floor_div(days, 146097);
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

bool is_leap(int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int days_in_month(int month, int64_t year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap(year)) return 29;
  return kDays[month - 1];
}

const char* const kLongMonthNames[12] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
const char* const kLongDayNames[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                      "Thursday", "Friday", "Saturday"};

}  // namespace phalanx::enrich::detail

// SPDX-License-Identifier: Apache-2.0
#include "core/duration.h"

#include <cstdint>
#include <limits>

namespace phalanx {
namespace {

struct Unit {
  std::string_view name;
  uint64_t nanos;
};

// Longest names first so that "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xC2\xB5s", 1000},  // µs (U+00B5)
    {"\xCE\xBCs", 1000},  // μs (U+03BC)
    {"ms", 1000000},
    {"s", 1000000000ULL},
    {"m", 60000000000ULL},
    {"h", 3600000000000ULL},
    {"d", 86400000000000ULL},
};

Error invalid(std::string_view text) {
  return Error("invalid duration '" + std::string(text) + "'");
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Result<Duration> parse_go_duration(std::string_view text, bool allow_days) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration{0};
  if (s.empty()) return invalid(text);

  // Accumulate in unsigned 64-bit nanoseconds like Go, rejecting overflow.
  constexpr uint64_t kMax = uint64_t(std::numeric_limits<int64_t>::max());
  uint64_t total = 0;
  while (!s.empty()) {
    if (!is_digit(s[0]) && s[0] != '.') return invalid(text);
    uint64_t whole = 0;
    bool any_digit = false;
    while (!s.empty() && is_digit(s[0])) {
      if (whole > (kMax - 9) / 10) return invalid(text);
      whole = whole * 10 + uint64_t(s[0] - '0');
      s.remove_prefix(1);
      any_digit = true;
    }
    uint64_t frac = 0, frac_scale = 1;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      while (!s.empty() && is_digit(s[0])) {
        // Digits beyond the 18th cannot change a nanosecond result; drop them like Go does.
        if (frac_scale < 1000000000000000000ULL) {
          frac = frac * 10 + uint64_t(s[0] - '0');
          frac_scale *= 10;
        }
        s.remove_prefix(1);
        any_digit = true;
      }
    }
    if (!any_digit) return invalid(text);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (s.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr || (unit->name == "d" && !allow_days)) {
      return Error("invalid duration '" + std::string(text) + "': missing or unknown unit");
    }
    s.remove_prefix(unit->name.size());
    if (whole > kMax / unit->nanos) return invalid(text);
    uint64_t v = whole * unit->nanos;
    if (frac > 0) {
      v += uint64_t(static_cast<long double>(frac) * unit->nanos / frac_scale);
    }
    if (v > kMax - total) return invalid(text);
    total += v;
  }
  const int64_t signed_total = int64_t(total);
  return Duration(negative ? -signed_total : signed_total);
}

namespace {

// Appends v/10^prec with trailing zeros of the fraction removed (Go's fmtFrac + fmtInt).
void append_fraction(std::string& out, uint64_t v, int prec) {
  std::string frac;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    const char digit = char('0' + v % 10);
    print = print || digit != '0';
    if (print) frac.insert(frac.begin(), digit);
    v /= 10;
  }
  out += std::to_string(v);
  if (print) {
    out += '.';
    out += frac;
  }
}

}  // namespace

std::string format_go_duration(Duration d) {
  const int64_t n = d.count();
  if (n == 0) return "0s";
  // Work in unsigned so that INT64_MIN formats correctly.
  uint64_t u = n < 0 ? uint64_t(0) - uint64_t(n) : uint64_t(n);
  std::string out = n < 0 ? "-" : "";
  if (u < 1000000000ULL) {
    // Sub-second: ns, µs or ms with a fraction.
    if (u < 1000) return out + std::to_string(u) + "ns";
    if (u < 1000000) {
      append_fraction(out, u, 3);
      return out + "\xC2\xB5s";
    }
    append_fraction(out, u, 6);
    return out + "ms";
  }
  std::string secs;
  append_fraction(secs, u % 60000000000ULL, 9);
  u /= 60000000000ULL;  // minutes
  if (u == 0) return out + secs + "s";
  const uint64_t minutes = u % 60;
  const uint64_t hours = u / 60;
  if (hours > 0) out += std::to_string(hours) + "h";
  out += std::to_string(minutes) + "m";
  return out + secs + "s";
}

}  // namespace phalanx

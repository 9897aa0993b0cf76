// SPDX-License-Identifier: Apache-2.0
#include "enrich/date.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>

#include "enrich/go_time.h"

namespace phalanx::enrich {
namespace {

struct Attempt {
  GoTime time;
  std::string marshaled;
};

// One layout as CrowdSec's parseDateWithFormat tries it: Go's zero time counts as a failure,
// year 0 gets the current year, and a time MarshalText refuses is a failure too.
std::optional<Attempt> try_layout(std::string_view value, std::string_view layout, int year) {
  auto parsed = try_parse_go(layout, value);
  if (!parsed || parsed->is_zero()) return std::nullopt;
  GoTime t = std::move(*parsed);
  if (civil(t).year == 0) t = add_date(t, year, 0, 0);
  auto text = marshal_text(t);
  if (!text) return std::nullopt;
  return Attempt{std::move(t), std::move(text).value()};
}

// strconv.ParseInt(head, 10, 64) on the text before the first '.', accepted when positive.
std::optional<int64_t> parse_epoch(std::string_view value) {
  std::string_view head = value.substr(0, value.find('.'));
  bool neg = false;
  if (!head.empty() && (head[0] == '+' || head[0] == '-')) {
    neg = head[0] == '-';
    head.remove_prefix(1);
  }
  if (head.empty()) return std::nullopt;
  uint64_t x = 0;
  for (char c : head) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (x > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    x = x * 10 + d;
  }
  // Negative values are refused below anyway; only the positive int64 range matters.
  if (neg || x == 0 || x > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<int64_t>(x);
}

// The result's TimePoint; dates beyond its range (possible in logs, e.g. "9999-12-31") clamp.
ZonedTime to_zoned_saturating(const GoTime& t) {
  auto z = to_zoned_time(t);
  if (z) return *z;
  ZonedTime out;
  out.time = t.unix_sec < 0 ? TimePoint::min() : TimePoint::max();
  out.utc_offset_s = t.utc_offset_s;
  return out;
}

ParseDateResult success(const Attempt& a) {
  return ParseDateResult{to_zoned_saturating(a.time), true, a.marshaled};
}

// Whether a value starting with c can parse with layout, by the layout's first element: a digit
// there (2006, 01, 02, or a literal digit) takes a digit, a letter (Mon, Jan, MST, PM, or a
// literal letter) takes a letter. A syslog stamp ("Nov 23 ...") skips the five layouts before
// its own that start with a year or a day number, without walking them.
bool may_start(std::string_view layout, char c) {
  const auto l = static_cast<unsigned char>(layout.front());
  const auto v = static_cast<unsigned char>(c);
  if (std::isdigit(l)) return std::isdigit(v) != 0;
  if (std::isalpha(l)) return std::isalpha(v) != 0;
  return true;
}

// The last few successful parses, per thread. A parsed result depends on the text, the format
// and the year alone, and log lines come in runs that share a timestamp (every line written in
// the same second), so a run parses its date once. Failures are not kept: they read the clock.
class RecentDates {
 public:
  const ParseDateResult* find(std::string_view str, std::string_view format, int year) const {
    for (const Entry& e : entries_) {
      // An unused entry has no text, and parse_date() never looks one up.
      if (!e.str.empty() && e.year == year && e.str == str && e.format == format) return &e.result;
    }
    return nullptr;
  }
  const ParseDateResult& put(std::string_view str, std::string_view format, int year,
                             ParseDateResult result) {
    Entry& e = entries_[next_];
    next_ = (next_ + 1) % entries_.size();
    e.str.assign(str);
    e.format.assign(format);
    e.year = year;
    e.result = std::move(result);
    return e.result;
  }

 private:
  struct Entry {
    int year = 0;
    std::string str, format;
    ParseDateResult result;
  };
  std::array<Entry, 4> entries_;
  size_t next_ = 0;
};

}  // namespace

ParseDateResult parse_date(std::string_view str, std::string_view str_time_format,
                           const DateOptions& options) {
  const Clock& clock = options.clock ? *options.clock : SystemClock::instance();
  const ZonedTime now{clock.now(), 0};
  if (!str.empty()) {
    int year =
        options.pinned_year ? *options.pinned_year : static_cast<int>(civil(to_go_time(now)).year);
    thread_local RecentDates recent;
    if (const ParseDateResult* r = recent.find(str, str_time_format, year)) return *r;
    if (!str_time_format.empty()) {
      if (auto a = try_layout(str, str_time_format, year)) {
        return recent.put(str, str_time_format, year, success(*a));
      }
    }
    for (std::string_view layout : kParseDateLayouts) {
      if (!may_start(layout, str[0])) continue;
      if (auto a = try_layout(str, layout, year)) {
        return recent.put(str, str_time_format, year, success(*a));
      }
    }
    if (auto epoch = parse_epoch(str)) {
      // The epoch path formats with RFC 3339 (no fraction) in the process zone, which is UTC.
      GoTime t;
      t.unix_sec = *epoch;
      t.utc_offset_s = 0;
      t.zone_name = "UTC";
      return ParseDateResult{to_zoned_saturating(t), true,
                             format_go(t, "2006-01-02T15:04:05Z07:00")};
    }
  }
  return ParseDateResult{now, false, format_rfc3339_nano(now)};
}

}  // namespace phalanx::enrich

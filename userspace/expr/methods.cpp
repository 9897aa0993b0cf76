// SPDX-License-Identifier: Apache-2.0
// Method calls: host objects dispatch to Object::call; times and durations get the Go methods
// the hub uses (evt.Time.Hour(), evt.Time.Weekday().String(), d.Seconds(), ...).
#include <chrono>
#include <cstdio>

#include "core/duration.h"
#include "expr/go_format.h"
#include "expr/ops.h"

namespace phalanx::expr::detail {
namespace {

constexpr const char* kWeekdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

struct Civil {
  int year, month, day, hour, minute, second, weekday, yday;
  int64_t nanos;
};

Civil civil(const ZonedTime& t) {
  using namespace std::chrono;
  auto local = t.time + seconds(t.utc_offset_s);
  auto day = floor<days>(local);
  year_month_day ymd(day);
  weekday wd(day);
  auto jan1 = sys_days(ymd.year() / January / 1);
  auto rest = local - day;
  int64_t secs = duration_cast<seconds>(rest).count();
  return Civil{int(ymd.year()),      int(unsigned(ymd.month())),    int(unsigned(ymd.day())),
               int(secs / 3600),     int(secs / 60 % 60),           int(secs % 60),
               int(wd.c_encoding()), int((day - jan1).count()) + 1, (rest - seconds(secs)).count()};
}

std::string num(int v, int width, char fill = '0') {
  char buf[16];
  std::snprintf(buf, sizeof(buf), fill == '0' ? "%0*d" : "%*d", width, v);
  return buf;
}

std::string zone(int32_t off, bool colon, bool z) {
  if (z && off == 0) return "Z";
  char sign = off < 0 ? '-' : '+';
  int a = off < 0 ? -off : off;
  return std::string(1, sign) + num(a / 3600, 2) + (colon ? ":" : "") + num(a / 60 % 60, 2);
}

// Go's reference-time layouts ("2006-01-02T15:04:05Z07:00"); the common tokens.
std::string go_format_time(const ZonedTime& t, std::string_view layout) {
  static constexpr std::pair<std::string_view, int> kTokens[] = {
      {"January", 0},     {"Monday", 1},   {"2006", 2},  {"Z07:00", 3},      {"-07:00", 4},
      {"Z0700", 5},       {"-0700", 6},    {"Jan", 7},   {"Mon", 8},         {"MST", 9},
      {"01", 10},         {"02", 11},      {"_2", 12},   {"15", 13},         {"03", 14},
      {"04", 15},         {"05", 16},      {"06", 17},   {"PM", 18},         {"pm", 19},
      {".000000000", 20}, {".000000", 21}, {".000", 22}, {".999999999", 23}, {"1", 24},
      {"2", 25},          {"3", 26},       {"4", 27},    {"5", 28},
  };
  Civil c = civil(t);
  std::string out;
  size_t i = 0;
  while (i < layout.size()) {
    int token = -1;
    size_t len = 0;
    for (auto [text, id] : kTokens) {
      if (layout.substr(i, text.size()) == text) {
        token = id;
        len = text.size();
        break;
      }
    }
    if (token < 0) {
      out += layout[i++];
      continue;
    }
    i += len;
    int h12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
    switch (token) {
      case 0:
        out += kMonths[c.month - 1];
        break;
      case 1:
        out += kWeekdays[c.weekday];
        break;
      case 2:
        out += num(c.year, 4);
        break;
      case 3:
        out += zone(t.utc_offset_s, true, true);
        break;
      case 4:
        out += zone(t.utc_offset_s, true, false);
        break;
      case 5:
        out += zone(t.utc_offset_s, false, true);
        break;
      case 6:
        out += zone(t.utc_offset_s, false, false);
        break;
      case 7:
        out += std::string_view(kMonths[c.month - 1]).substr(0, 3);
        break;
      case 8:
        out += std::string_view(kWeekdays[c.weekday]).substr(0, 3);
        break;
      case 9:
        out += t.utc_offset_s == 0 ? "UTC" : zone(t.utc_offset_s, false, false);
        break;
      case 10:
        out += num(c.month, 2);
        break;
      case 11:
        out += num(c.day, 2);
        break;
      case 12:
        out += num(c.day, 2, ' ');
        break;
      case 13:
        out += num(c.hour, 2);
        break;
      case 14:
        out += num(h12, 2);
        break;
      case 15:
        out += num(c.minute, 2);
        break;
      case 16:
        out += num(c.second, 2);
        break;
      case 17:
        out += num(c.year % 100, 2);
        break;
      case 18:
        out += c.hour >= 12 ? "PM" : "AM";
        break;
      case 19:
        out += c.hour >= 12 ? "pm" : "am";
        break;
      case 20:
        out += "." + num(static_cast<int>(c.nanos), 9);
        break;
      case 21:
        out += "." + num(static_cast<int>(c.nanos / 1000), 6);
        break;
      case 22:
        out += "." + num(static_cast<int>(c.nanos / 1000000), 3);
        break;
      case 23: {
        std::string f = num(static_cast<int>(c.nanos), 9);
        while (!f.empty() && f.back() == '0')
          f.pop_back();
        if (!f.empty()) out += "." + f;
        break;
      }
      case 24:
        out += std::to_string(c.month);
        break;
      case 25:
        out += std::to_string(c.day);
        break;
      case 26:
        out += std::to_string(h12);
        break;
      case 27:
        out += std::to_string(c.minute);
        break;
      case 28:
        out += std::to_string(c.second);
        break;
    }
  }
  return out;
}

Error no_method(const Value& v, std::string_view method) {
  return Error("type " + go_type_name(v) + " has no method " + std::string(method));
}

Result<Value> time_with_arg(const ZonedTime& t, std::string_view m, std::span<const Value> args) {
  if (args.size() != 1) return Error("time." + std::string(m) + ": expected 1 argument");
  const Value& arg = args[0];
  if (m == "Format") {
    PHALANX_TRY(std::string_view layout, want_string(arg, "Format"));
    return Value::string(go_format_time(t, layout));
  }
  if (m == "Add") {
    if (!arg.is_duration() && !arg.is_int()) return Error("time.Add: expected a duration");
    ZonedTime r = t;
    r.time += arg.is_duration() ? arg.as_duration() : Duration(arg.as_int());
    return Value::time(r);
  }
  if (!arg.is_time()) return Error("time." + std::string(m) + ": expected a time");
  TimePoint other = arg.as_time().time;
  if (m == "Sub") return Value::duration(t.time - other);
  if (m == "Before") return Value::boolean(t.time < other);
  if (m == "After") return Value::boolean(t.time > other);
  if (m == "Equal") return Value::boolean(t.time == other);
  return Error("type time.Time has no method " + std::string(m));
}

Result<Value> time_method(const Value& v, std::string_view m, std::span<const Value> args) {
  ZonedTime t = v.as_time();
  if (!args.empty()) return time_with_arg(t, m, args);
  Civil c = civil(t);
  int64_t ns = t.time.time_since_epoch().count();
  if (m == "Hour") return Value::integer(c.hour);
  if (m == "Minute") return Value::integer(c.minute);
  if (m == "Second") return Value::integer(c.second);
  if (m == "Nanosecond") return Value::integer(c.nanos);
  if (m == "Day") return Value::integer(c.day);
  if (m == "Month") return Value::view(kMonths[c.month - 1]);
  if (m == "Year") return Value::integer(c.year);
  if (m == "YearDay") return Value::integer(c.yday);
  if (m == "Weekday") return Value::view(kWeekdays[c.weekday]);
  if (m == "Unix")
    return Value::integer(ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000));
  if (m == "UnixMilli") return Value::integer(ns / 1000000);
  if (m == "UnixNano") return Value::integer(ns);
  if (m == "IsZero") return Value::boolean(t.is_zero());
  if (m == "String") return Value::string(format_go_time(t));
  if (m == "UTC") return Value::time(ZonedTime{t.time, 0});
  if (m == "Local") return v;
  return no_method(v, m);
}

Result<Value> duration_method(const Value& v, std::string_view m) {
  int64_t ns = v.as_duration().count();
  if (m == "Seconds") return Value::floating(static_cast<double>(ns) / 1e9);
  if (m == "Minutes") return Value::floating(static_cast<double>(ns) / 60e9);
  if (m == "Hours") return Value::floating(static_cast<double>(ns) / 3600e9);
  if (m == "Milliseconds") return Value::integer(ns / 1000000);
  if (m == "Microseconds") return Value::integer(ns / 1000);
  if (m == "Nanoseconds") return Value::integer(ns);
  if (m == "String") return Value::string(format_go_duration(v.as_duration()));
  return no_method(v, m);
}

}  // namespace

Result<Value> call_method(const Value& receiver, std::string_view method,
                          std::span<const Value> args, bool optional) {
  switch (receiver.kind()) {
    case Kind::kObject:
      return receiver.as_object().call(method, args);
    case Kind::kTime:
      return time_method(receiver, method, args);
    case Kind::kDuration:
      if (!args.empty()) return no_method(receiver, method);
      return duration_method(receiver, method);
    case Kind::kString:
      // Weekday() and Month() return their names, so .String() on them is the identity.
      if (method == "String" && args.empty()) return receiver;
      return no_method(receiver, method);
    case Kind::kNil:
      if (optional) return Value();
      return Error("cannot fetch " + std::string(method) + " from <nil>");
    default:
      return no_method(receiver, method);
  }
}

}  // namespace phalanx::expr::detail

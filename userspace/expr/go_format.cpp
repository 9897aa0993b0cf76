// SPDX-License-Identifier: Apache-2.0
#include "expr/go_format.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "expr/utf8.h"

namespace phalanx::expr {
namespace {

// Shortest round-trip digits of a finite, non-zero |value| and its decimal exponent, such that
// value = 0.d1d2d3... * 10^(point). std::to_chars gives the same shortest digits as Go's
// strconv (both are exact shortest round-trip algorithms).
struct Digits {
  std::string digits;  // no leading zeros, no dot
  int point = 0;       // position of the decimal point relative to the digits
};

Digits shortest_digits(double value) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), std::fabs(value), std::chars_format::scientific);
  std::string_view text(buf, static_cast<size_t>(res.ptr - buf));
  size_t e = text.find('e');
  Digits d;
  for (char c : text.substr(0, e)) {
    if (c != '.') d.digits += c;
  }
  int exp = 0;
  std::string_view exp_text = text.substr(e + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
  while (d.digits.size() > 1 && d.digits.back() == '0')
    d.digits.pop_back();
  d.point = exp + 1;
  return d;
}

std::string exponent_suffix(int exp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  return buf;
}

std::string non_finite(double value) {
  if (std::isnan(value)) return "NaN";
  return value > 0 ? "+Inf" : "-Inf";
}

std::string two(int v) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%02d", v);
  return buf;
}

struct Civil {
  int year, month, day, hour, minute, second;
  int64_t nanos;
};

Civil to_civil(const ZonedTime& t) {
  using namespace std::chrono;
  auto local = t.time + seconds(t.utc_offset_s);
  auto day = floor<days>(local);
  year_month_day ymd(day);
  auto rest = local - day;
  auto secs = duration_cast<seconds>(rest).count();
  int64_t nanos = (rest - seconds(secs)).count();
  return Civil{int(ymd.year()),
               int(unsigned(ymd.month())),
               int(unsigned(ymd.day())),
               int(secs / 3600),
               int(secs / 60 % 60),
               int(secs % 60),
               nanos};
}

std::string date_time(const Civil& c, char sep) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d%c%02d:%02d:%02d", c.year, c.month, c.day, sep,
                c.hour, c.minute, c.second);
  return buf;
}

std::string fraction(int64_t nanos) {
  if (nanos == 0) return {};
  char buf[16];
  std::snprintf(buf, sizeof(buf), ".%09lld", static_cast<long long>(nanos));
  std::string out(buf);
  while (out.back() == '0')
    out.pop_back();
  return out;
}

std::string offset_text(int32_t offset_s, bool colon) {
  char sign = offset_s < 0 ? '-' : '+';
  int32_t a = offset_s < 0 ? -offset_s : offset_s;
  std::string out(1, sign);
  out += two(a / 3600);
  if (colon) out += ':';
  out += two(a / 60 % 60);
  return out;
}

void json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
        // Go escapes HTML-significant characters too (json.Marshal's default HTML safety).
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    Rune r = decode_rune(s.substr(i));
    if (r.invalid) {
      out += "\\ufffd";
    } else if (r.code == 0x2028 || r.code == 0x2029) {
      out += r.code == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out += s.substr(i, r.size);
    }
    i += r.size;
  }
  out += '"';
}

std::string json_float(double v) {
  double a = std::fabs(v);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    Digits d = shortest_digits(v);
    std::string out = v < 0 ? "-" : "";
    out += d.digits[0];
    if (d.digits.size() > 1) {
      out += '.';
      out += d.digits.substr(1);
    }
    int exp = d.point - 1;
    out += 'e';
    out += exp < 0 ? '-' : '+';
    out += std::to_string(exp < 0 ? -exp : exp);
    return out;
  }
  return format_go_float_fixed(v, -1);
}

Result<void> json_value(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::kNil:
      out += "null";
      break;
    case Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      break;
    case Kind::kInt:
      out += std::to_string(v.as_int());
      break;
    case Kind::kFloat:
      if (!std::isfinite(v.as_float())) {
        return Error("json: unsupported value: " + format_go_float(v.as_float()));
      }
      out += json_float(v.as_float());
      break;
    case Kind::kString:
      json_string(out, v.as_string());
      break;
    case Kind::kArray: {
      out += '[';
      bool first = true;
      for (const Value& item : v.as_array()) {
        if (!first) out += ',';
        first = false;
        PHALANX_CHECK(json_value(out, item));
      }
      out += ']';
      break;
    }
    case Kind::kMap: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.as_map().entries()) {
        if (!first) out += ',';
        first = false;
        json_string(out, key);
        out += ':';
        PHALANX_CHECK(json_value(out, item));
      }
      out += '}';
      break;
    }
    case Kind::kObject:
      return json_value(out, v.as_object().to_value());
    case Kind::kDuration:
      out += std::to_string(v.as_duration().count());
      break;
    case Kind::kTime:
      json_string(out, format_rfc3339_nano(v.as_time()));
      break;
  }
  return ok();
}

}  // namespace

std::string format_go_float(double value) {
  if (!std::isfinite(value)) return non_finite(value);
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  Digits d = shortest_digits(value);
  std::string out = value < 0 ? "-" : "";
  int exp = d.point - 1;
  if (exp < -4 || exp >= 6) {
    out += d.digits[0];
    if (d.digits.size() > 1) {
      out += '.';
      out += d.digits.substr(1);
    }
    out += exponent_suffix(exp);
    return out;
  }
  if (d.point <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-d.point), '0');
    out += d.digits;
  } else if (static_cast<size_t>(d.point) >= d.digits.size()) {
    out += d.digits;
    out.append(static_cast<size_t>(d.point) - d.digits.size(), '0');
  } else {
    out += d.digits.substr(0, static_cast<size_t>(d.point));
    out += '.';
    out += d.digits.substr(static_cast<size_t>(d.point));
  }
  return out;
}

std::string format_go_float_fixed(double value, int precision) {
  if (!std::isfinite(value)) return non_finite(value);
  char buf[512];
  std::to_chars_result res =
      precision < 0
          ? std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed)
          : std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed, precision);
  if (res.ec != std::errc()) return non_finite(value);
  return std::string(buf, res.ptr);
}

std::string go_quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      Rune r = decode_rune(text.substr(i));
      if (r.invalid) {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      } else {
        out += text.substr(i, r.size);
      }
      i += r.size;
      continue;
    }
    switch (c) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

std::string format_go_time(const ZonedTime& time) {
  Civil c = to_civil(time);
  std::string out = date_time(c, ' ') + fraction(c.nanos) + ' ';
  out += offset_text(time.utc_offset_s, false);
  out += ' ';
  out += time.utc_offset_s == 0 ? "UTC" : offset_text(time.utc_offset_s, false);
  return out;
}

std::string format_rfc3339_nano(const ZonedTime& time) {
  Civil c = to_civil(time);
  std::string out = date_time(c, 'T') + fraction(c.nanos);
  out += time.utc_offset_s == 0 ? "Z" : offset_text(time.utc_offset_s, true);
  return out;
}

std::string format_rfc3339(const ZonedTime& time) {
  Civil c = to_civil(time);
  std::string out = date_time(c, 'T');
  out += time.utc_offset_s == 0 ? "Z" : offset_text(time.utc_offset_s, true);
  return out;
}

Result<std::string> go_json_marshal(const Value& value) {
  std::string out;
  PHALANX_CHECK(json_value(out, value));
  return out;
}

}  // namespace phalanx::expr

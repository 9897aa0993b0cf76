// SPDX-License-Identifier: Apache-2.0
// A subset of Go's fmt.Sprintf for the Sprintf helper: verbs, flags, width and precision, and
// Go's in-band error notation for mismatched arguments.
#include <charconv>
#include <cmath>
#include <cstdio>

#include "expr/go_format.h"
#include "expr/ops.h"
#include "expr/utf8.h"

namespace phalanx::expr {
namespace {

struct Spec {
  bool minus = false, plus = false, space = false, zero = false, sharp = false;
  int width = -1;
  int precision = -1;
  char verb = 0;
};

std::string pad(std::string body, const Spec& s, bool numeric) {
  if (s.width < 0) return body;
  size_t runes = rune_count(body);
  auto width = static_cast<size_t>(s.width);
  if (runes >= width) return body;
  size_t fill = width - runes;
  if (s.minus) return body + std::string(fill, ' ');
  if (s.zero && numeric) {
    size_t sign = (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) ? 1 : 0;
    return body.substr(0, sign) + std::string(fill, '0') + body.substr(sign);
  }
  return std::string(fill, ' ') + body;
}

std::string bad_verb(char verb, const Value& v) {
  std::string out = "%!";
  out += verb;
  out += '(';
  if (v.is_nil()) return out + "<nil>)";
  out += detail::go_type_name(v);
  out += '=';
  out += v.to_string();
  out += ')';
  return out;
}

std::string signed_text(std::string digits, bool negative, const Spec& s) {
  if (negative) return "-" + digits;
  if (s.plus) return "+" + digits;
  if (s.space) return " " + digits;
  return digits;
}

std::string format_int(const Value& v, const Spec& s) {
  int64_t i = v.as_int();
  bool neg = i < 0;
  uint64_t mag = neg ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
  int base = s.verb == 'x' || s.verb == 'X' ? 16 : s.verb == 'o' ? 8 : s.verb == 'b' ? 2 : 10;
  char buf[72];
  auto res = std::to_chars(buf, buf + sizeof(buf), mag, base);
  std::string digits(buf, res.ptr);
  if (s.verb == 'X') {
    for (char& c : digits)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (s.precision >= 0 && digits.size() < static_cast<size_t>(s.precision)) {
    digits = std::string(static_cast<size_t>(s.precision) - digits.size(), '0') + digits;
  }
  if (s.sharp && base == 16) digits = (s.verb == 'X' ? "0X" : "0x") + digits;
  return pad(signed_text(digits, neg, s), s, s.precision < 0);
}

std::string format_float(double f, const Spec& s) {
  std::string body;
  if (!std::isfinite(f)) {
    body = format_go_float(f);
    if (s.plus && body == "NaN") body = "+NaN";
    if (!s.plus && body == "+Inf") body = s.space ? " Inf" : "Inf";
    return pad(body, s, false);
  }
  char verb = s.verb == 'F' ? 'f' : s.verb;
  if (verb == 'v' || (verb == 'g' && s.precision < 0)) {
    body = format_go_float(std::fabs(f));
  } else {
    char fmt[16];
    std::snprintf(fmt, sizeof(fmt), "%%.%d%c", s.precision < 0 ? 6 : s.precision, verb);
    char buf[512];
    std::snprintf(buf, sizeof(buf), fmt, std::fabs(f));
    body = buf;
  }
  return pad(signed_text(body, std::signbit(f), s), s, true);
}

std::string format_string(std::string_view text, const Spec& s) {
  std::string body(text);
  if (s.precision >= 0) {
    size_t i = 0, runes = 0;
    while (i < body.size() && runes < static_cast<size_t>(s.precision)) {
      i += decode_rune(std::string_view(body).substr(i)).size;
      ++runes;
    }
    body.resize(i);
  }
  if (s.verb == 'q') body = go_quote(body);
  if (s.verb == 'x' || s.verb == 'X') {
    static constexpr char kLower[] = "0123456789abcdef";
    static constexpr char kUpper[] = "0123456789ABCDEF";
    const char* hex = s.verb == 'x' ? kLower : kUpper;
    std::string out;
    for (char c : body) {
      out += hex[static_cast<unsigned char>(c) >> 4];
      out += hex[static_cast<unsigned char>(c) & 0xF];
    }
    body = out;
  }
  return pad(body, s, false);
}

std::string format_value(const Value& v, const Spec& s) {
  char verb = s.verb;
  if (verb == 'T') return pad(v.is_nil() ? "<nil>" : detail::go_type_name(v), s, false);
  if (verb == 'v') {
    if (v.is_int())
      return format_int(v, Spec{s.minus, s.plus, s.space, s.zero, false, s.width, -1, 'd'});
    if (v.is_float()) return format_float(v.as_float(), s);
    return pad(v.to_string(), s, false);
  }
  switch (v.kind()) {
    case Kind::kString:
      if (verb == 's' || verb == 'q' || verb == 'x' || verb == 'X')
        return format_string(v.as_string(), s);
      break;
    case Kind::kInt:
      if (verb == 'd' || verb == 'x' || verb == 'X' || verb == 'o' || verb == 'b')
        return format_int(v, s);
      if (verb == 'c') {
        std::string out;
        append_rune(out, static_cast<char32_t>(v.as_int()));
        return pad(out, s, false);
      }
      if (verb == 'q') {
        std::string r;
        append_rune(r, static_cast<char32_t>(v.as_int()));
        return pad("'" + r + "'", s, false);
      }
      break;
    case Kind::kFloat:
      if (verb == 'f' || verb == 'F' || verb == 'e' || verb == 'E' || verb == 'g' || verb == 'G') {
        return format_float(v.as_float(), s);
      }
      break;
    case Kind::kBool:
      if (verb == 't') return pad(v.as_bool() ? "true" : "false", s, false);
      break;
    case Kind::kDuration:
      if (verb == 's') return pad(v.to_string(), s, false);
      if (verb == 'd') return format_int(Value::integer(v.as_duration().count()), s);
      break;
    case Kind::kTime:
    case Kind::kArray:
    case Kind::kMap:
    case Kind::kObject:
      if (verb == 's') return pad(v.to_string(), s, false);
      break;
    default:
      break;
  }
  return bad_verb(verb, v);
}

// Parses flags, width and precision after '%'; returns the position of the verb.
size_t parse_spec(std::string_view f, size_t i, Spec& s, std::span<const Value> args, size_t& arg) {
  for (; i < f.size(); ++i) {
    char c = f[i];
    if (c == '-')
      s.minus = true;
    else if (c == '+')
      s.plus = true;
    else if (c == ' ')
      s.space = true;
    else if (c == '0')
      s.zero = true;
    else if (c == '#')
      s.sharp = true;
    else
      break;
  }
  auto number = [&](int& out) {
    if (i < f.size() && f[i] == '*') {
      ++i;
      if (arg < args.size() && args[arg].is_int()) out = static_cast<int>(args[arg].as_int());
      ++arg;
      return;
    }
    int v = 0;
    bool any = false;
    while (i < f.size() && f[i] >= '0' && f[i] <= '9' && v < 1'000'000) {
      v = v * 10 + (f[i++] - '0');
      any = true;
    }
    if (any) out = v;
  };
  number(s.width);
  if (i < f.size() && f[i] == '.') {
    ++i;
    s.precision = 0;
    number(s.precision);
  }
  if (s.width > 10000) s.width = 10000;  // a hostile format must not allocate gigabytes
  if (s.precision > 1000) s.precision = 1000;
  return i;
}

}  // namespace

std::string go_sprintf(std::string_view format, std::span<const Value> args) {
  std::string out;
  size_t arg = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    Spec spec;
    i = parse_spec(format, i + 1, spec, args, arg);
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    spec.verb = format[i];
    if (spec.verb == '%') {
      out += '%';
      continue;
    }
    if (arg >= args.size()) {
      out += "%!";
      out += spec.verb;
      out += "(MISSING)";
      continue;
    }
    out += format_value(args[arg++], spec);
  }
  if (arg < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = arg; k < args.size(); ++k) {
      if (k > arg) out += ", ";
      out += args[k].is_nil() ? "<nil>" : detail::go_type_name(args[k]) + "=" + args[k].to_string();
    }
    out += ')';
  }
  return out;
}

}  // namespace phalanx::expr

// SPDX-License-Identifier: Apache-2.0
#include "expr/ops.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace phalanx::expr::detail {
namespace {

std::string_view arith_symbol(ArithOp op) {
  switch (op) {
    case ArithOp::kAdd:
      return "+";
    case ArithOp::kSub:
      return "-";
    case ArithOp::kMul:
      return "*";
    case ArithOp::kDiv:
      return "/";
    case ArithOp::kMod:
      return "%";
    case ArithOp::kPow:
      return "**";
  }
  return "?";
}

std::string_view compare_symbol(CompareOp op) {
  switch (op) {
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
  }
  return "?";
}

Error invalid_binary(std::string_view symbol, const Value& a, const Value& b) {
  return Error("invalid operation: " + go_type_name(a) + " " + std::string(symbol) + " " +
               go_type_name(b));
}

// Go integers wrap on overflow; C++ signed overflow is undefined, so go through unsigned.
int64_t wrap(uint64_t v) {
  return static_cast<int64_t>(v);
}

Result<Value> int_arith(ArithOp op, int64_t x, int64_t y) {
  auto ux = static_cast<uint64_t>(x);
  auto uy = static_cast<uint64_t>(y);
  switch (op) {
    case ArithOp::kAdd:
      return Value::integer(wrap(ux + uy));
    case ArithOp::kSub:
      return Value::integer(wrap(ux - uy));
    case ArithOp::kMul:
      return Value::integer(wrap(ux * uy));
    case ArithOp::kMod:
      if (y == 0) return Error("integer divide by zero");
      if (y == -1) return Value::integer(0);  // also avoids INT64_MIN % -1
      return Value::integer(x % y);
    default:
      return Error("unreachable");
  }
}

Result<Value> float_arith(ArithOp op, double x, double y, const Value& a, const Value& b) {
  switch (op) {
    case ArithOp::kAdd:
      return Value::floating(x + y);
    case ArithOp::kSub:
      return Value::floating(x - y);
    case ArithOp::kMul:
      return Value::floating(x * y);
    case ArithOp::kMod:
      return invalid_binary("%", a, b);
    default:
      return Error("unreachable");
  }
}

Result<Value> time_arith(ArithOp op, const Value& a, const Value& b) {
  if (op == ArithOp::kAdd) {
    if (a.is_time() && b.is_duration()) {
      ZonedTime t = a.as_time();
      t.time += b.as_duration();
      return Value::time(t);
    }
    if (a.is_duration() && b.is_time()) return time_arith(op, b, a);
    if (a.is_duration() && b.is_duration())
      return Value::duration(a.as_duration() + b.as_duration());
  }
  if (op == ArithOp::kSub) {
    if (a.is_time() && b.is_time()) return Value::duration(a.as_time().time - b.as_time().time);
    if (a.is_time() && b.is_duration()) {
      ZonedTime t = a.as_time();
      t.time -= b.as_duration();
      return Value::time(t);
    }
    if (a.is_duration() && b.is_duration())
      return Value::duration(a.as_duration() - b.as_duration());
  }
  return invalid_binary(arith_symbol(op), a, b);
}

template <class T>
bool ordered(CompareOp op, const T& x, const T& y) {
  switch (op) {
    case CompareOp::kLt:
      return x < y;
    case CompareOp::kLe:
      return x <= y;
    case CompareOp::kGt:
      return x > y;
    case CompareOp::kGe:
      return x >= y;
  }
  return false;
}

Result<int64_t> normalize_index(int64_t index, size_t size) {
  auto n = static_cast<int64_t>(size);
  int64_t i = index < 0 ? n + index : index;
  if (i < 0 || i >= n) {
    return Error("index out of range: " + std::to_string(i) + " (array length is " +
                 std::to_string(n) + ")");
  }
  return i;
}

Result<Value> fetch_index(const Value& from, const Value& key) {
  PHALANX_TRY(int64_t index, to_int(key, "int"));
  if (from.is_array()) {
    PHALANX_TRY(int64_t i, normalize_index(index, from.as_array().size()));
    return from.as_array()[static_cast<size_t>(i)];
  }
  if (from.is_string()) {
    // Go indexes strings by byte and yields the byte value.
    PHALANX_TRY(int64_t i, normalize_index(index, from.as_string().size()));
    return Value::integer(static_cast<unsigned char>(from.as_string()[static_cast<size_t>(i)]));
  }
  Object& obj = from.as_object();
  PHALANX_TRY(int64_t i, normalize_index(index, obj.size().value_or(0)));
  return obj.at(static_cast<size_t>(i));
}

}  // namespace

std::string go_type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::kNil:
      return "<nil>";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float64";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "[]interface {}";
    case Kind::kMap:
      return v.as_map().string_valued() ? "map[string]string" : "map[string]interface {}";
    case Kind::kObject:
      return std::string(v.as_object().type_name());
    case Kind::kDuration:
      return "time.Duration";
    case Kind::kTime:
      return "time.Time";
  }
  return "?";
}

Result<Value> arith(ArithOp op, const Value& a, const Value& b) {
  if (op == ArithOp::kDiv || op == ArithOp::kPow) {
    if (!a.is_number() || !b.is_number()) return invalid_binary(arith_symbol(op), a, b);
    double x = a.to_double(), y = b.to_double();
    return Value::floating(op == ArithOp::kDiv ? x / y : std::pow(x, y));
  }
  if (a.is_int() && b.is_int()) return int_arith(op, a.as_int(), b.as_int());
  if (a.is_number() && b.is_number()) return float_arith(op, a.to_double(), b.to_double(), a, b);
  if (op == ArithOp::kAdd && a.is_string() && b.is_string()) {
    std::string s;
    s.reserve(a.as_string().size() + b.as_string().size());
    s += a.as_string();
    s += b.as_string();
    return Value::string(std::move(s));
  }
  if (a.is_time() || b.is_time() || a.is_duration() || b.is_duration()) {
    return time_arith(op, a, b);
  }
  return invalid_binary(arith_symbol(op), a, b);
}

Result<bool> compare(CompareOp op, const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return ordered(op, a.as_int(), b.as_int());
  if (a.is_number() && b.is_number()) return ordered(op, a.to_double(), b.to_double());
  if (a.is_string() && b.is_string()) return ordered(op, a.as_string(), b.as_string());
  if (a.is_duration() && b.is_duration()) {
    return ordered(op, a.as_duration().count(), b.as_duration().count());
  }
  if (a.is_time() && b.is_time()) return ordered(op, a.as_time().time, b.as_time().time);
  return invalid_binary(compare_symbol(op), a, b);
}

Result<Value> negate(const Value& v) {
  if (v.is_int()) return Value::integer(wrap(0 - static_cast<uint64_t>(v.as_int())));
  if (v.is_float()) return Value::floating(-v.as_float());
  return Error("invalid operation: - " + go_type_name(v));
}

Result<bool> contains_in(const Value& needle, const Value& haystack) {
  switch (haystack.kind()) {
    case Kind::kNil:
      return false;
    case Kind::kArray:
      for (const Value& item : haystack.as_array()) {
        if (item == needle) return true;
      }
      return false;
    case Kind::kMap:
      if (!needle.is_string()) {
        if (needle.is_nil()) return haystack.as_map().has("");
        return Error("cannot use " + go_type_name(needle) + " as map key of type string");
      }
      return haystack.as_map().has(needle.as_string());
    case Kind::kObject: {
      Object& obj = haystack.as_object();
      if (obj.is_list()) {
        size_t n = obj.size().value_or(0);
        for (size_t i = 0; i < n; ++i) {
          if (obj.at(i) == needle) return true;
        }
        return false;
      }
      if (!needle.is_string()) {
        return Error("cannot use " + go_type_name(needle) + " as field name of " +
                     go_type_name(haystack));
      }
      return obj.has(needle.as_string());
    }
    default:
      return Error("operator \"in\" not defined on " + go_type_name(haystack));
  }
}

Result<Value> fetch_field(const Value& from, std::string_view key, bool optional) {
  switch (from.kind()) {
    case Kind::kObject: {
      Object& obj = from.as_object();
      return obj.get(key);
    }
    case Kind::kMap:
      return from.as_map().get(key);
    case Kind::kNil:
      if (optional) return Value();
      return Error("cannot fetch " + std::string(key) + " from <nil>");
    case Kind::kArray:
    case Kind::kString:
      // Go converts the key to an int index and fails on a string.
      return Error("invalid operation: int(string)");
    default:
      return Error("cannot fetch " + std::string(key) + " from " + go_type_name(from));
  }
}

Result<Value> fetch(const Value& from, const Value& key, bool optional) {
  if (key.is_string() && !from.is_array() && !from.is_string()) {
    if (!(from.is_object() && from.as_object().is_list())) {
      return fetch_field(from, key.as_string(), optional);
    }
  }
  if (from.is_nil()) {
    if (optional) return Value();
    return Error("cannot fetch " + key.to_string() + " from <nil>");
  }
  if (from.is_array() || from.is_string() || (from.is_object() && from.as_object().is_list())) {
    return fetch_index(from, key);
  }
  if (from.is_map()) {
    if (key.is_nil()) return from.as_map().get("");
    return Error("cannot use " + go_type_name(key) + " as map key of type string");
  }
  return Error("cannot fetch " + key.to_string() + " from " + go_type_name(from));
}

Result<Value> slice(const Value& v, const Value* from, const Value* to) {
  size_t size = 0;
  if (v.is_array()) {
    size = v.as_array().size();
  } else if (v.is_string()) {
    size = v.as_string().size();
  } else if (v.is_object() && v.as_object().is_list()) {
    size = v.as_object().size().value_or(0);
  } else {
    return Error("cannot slice " + go_type_name(v));
  }
  auto n = static_cast<int64_t>(size);
  int64_t a = 0, b = n;
  if (from != nullptr) {
    PHALANX_TRY(a, to_int(*from, "int"));
  }
  if (to != nullptr) {
    PHALANX_TRY(b, to_int(*to, "int"));
  }
  // Clamped like expr-lang's runtime.Slice: never an out-of-range error.
  if (a < 0) a = std::max<int64_t>(n + a, 0);
  if (b < 0) b = std::max<int64_t>(n + b, 0);
  b = std::min(b, n);
  a = std::min(a, b);
  auto ua = static_cast<size_t>(a), ub = static_cast<size_t>(b);
  if (v.is_string()) {
    if (v.is_borrowed_string()) return Value::view(v.as_string().substr(ua, ub - ua));
    return Value::string(std::string(v.as_string().substr(ua, ub - ua)));
  }
  Array items;
  items.reserve(ub - ua);
  for (size_t i = ua; i < ub; ++i) {
    items.push_back(v.is_array() ? v.as_array()[i] : v.as_object().at(i));
  }
  return Value::array(std::move(items));
}

Result<int64_t> length(const Value& v) {
  switch (v.kind()) {
    case Kind::kString:
      return static_cast<int64_t>(v.as_string().size());
    case Kind::kArray:
      return static_cast<int64_t>(v.as_array().size());
    case Kind::kMap:
      return static_cast<int64_t>(v.as_map().size());
    case Kind::kObject:
      if (auto n = v.as_object().size()) return static_cast<int64_t>(*n);
      break;
    default:
      break;
  }
  return Error("invalid argument for len (type " + go_type_name(v) + ")");
}

Result<Iterable> iterate(const Value& v, std::string_view builtin) {
  Iterable it;
  if (v.is_array()) {
    it.array = &v.as_array();
    it.size = it.array->size();
    return it;
  }
  if (v.is_object() && v.as_object().is_list()) {
    it.object = &v.as_object();
    it.size = it.object->size().value_or(0);
    return it;
  }
  return Error("cannot iterate " + go_type_name(v) + " in " + std::string(builtin));
}

Result<int64_t> parse_go_int(std::string_view s) {
  std::string_view digits = s;
  bool neg = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  uint64_t magnitude = 0;
  auto res = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  if (digits.empty() || res.ec != std::errc() || res.ptr != digits.data() + digits.size()) {
    return Error("strconv.Atoi: parsing " + std::string(s) + ": invalid syntax");
  }
  uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (magnitude > limit) {
    return Error("strconv.Atoi: parsing " + std::string(s) + ": value out of range");
  }
  return neg ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
}

Result<double> parse_go_float(std::string_view s) {
  auto bad = [&] {
    return Error("strconv.ParseFloat: parsing " + std::string(s) + ": invalid syntax");
  };
  if (s.empty() || s.find_first_of(" \t\n\r\v\f(") != std::string_view::npos) return bad();
  std::string text(s);  // strtod needs a terminator
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return bad();
  if (errno == ERANGE && std::isinf(v)) {
    return Error("strconv.ParseFloat: parsing " + std::string(s) + ": value out of range");
  }
  return v;
}

Result<int64_t> to_int(const Value& v, std::string_view what) {
  if (v.is_int()) return v.as_int();
  if (v.is_float()) {
    double f = v.as_float();
    // Go's int(f) for out-of-range values is implementation-defined; saturate instead of UB.
    if (std::isnan(f)) return int64_t{0};
    if (f >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
    if (f <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(f);
  }
  if (v.is_duration()) return v.as_duration().count();
  return Error("invalid operation: " + std::string(what) + "(" + go_type_name(v) + ")");
}

Result<std::string_view> want_string(const Value& v, std::string_view fn) {
  if (v.is_string()) return v.as_string();
  return Error(std::string(fn) + ": expected string argument, got " + go_type_name(v));
}

}  // namespace phalanx::expr::detail

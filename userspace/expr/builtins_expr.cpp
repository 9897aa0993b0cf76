// SPDX-License-Identifier: Apache-2.0
// expr-lang's own builtin functions (lower-case names), with expr-lang v1.17 semantics.
#include <algorithm>
#include <cmath>

#include "core/duration.h"
#include "expr/builtins.h"
#include "expr/go_format.h"
#include "expr/json.h"
#include "expr/ops.h"
#include "expr/strings_util.h"
#include "expr/utf8.h"

namespace phalanx::expr::detail {
namespace {

using Args = std::span<const Value>;

Result<Value> fn_len(Args a, RunContext&) {
  PHALANX_TRY(int64_t n, length(a[0]));
  return Value::integer(n);
}

Result<Value> fn_type(Args a, RunContext&) {
  switch (a[0].kind()) {
    case Kind::kObject:
      return Value::string(std::string(a[0].as_object().type_name()));
    case Kind::kDuration:
      return Value::view("time.Duration");
    case Kind::kTime:
      return Value::view("time.Time");
    default:
      return Value::view(kind_name(a[0].kind()));
  }
}

Result<Value> fn_abs(Args a, RunContext&) {
  if (a[0].is_int()) {
    auto u = static_cast<uint64_t>(a[0].as_int());
    return Value::integer(static_cast<int64_t>(a[0].as_int() < 0 ? 0 - u : u));
  }
  if (a[0].is_float()) return Value::floating(std::fabs(a[0].as_float()));
  return Error("invalid argument for abs (type " + go_type_name(a[0]) + ")");
}

template <double (*F)(double)>
Result<Value> fn_rounding(Args a, RunContext&) {
  if (a[0].is_int()) return Value::floating(static_cast<double>(a[0].as_int()));
  if (a[0].is_float()) return Value::floating(F(a[0].as_float()));
  return Error("invalid argument (type " + go_type_name(a[0]) + ")");
}

Result<Value> fn_int(Args a, RunContext&) {
  if (a[0].is_string()) {
    auto v = parse_go_int(a[0].as_string());
    if (!v) return Error("invalid operation: int(" + std::string(a[0].as_string()) + ")");
    return Value::integer(*v);
  }
  PHALANX_TRY(int64_t v, to_int(a[0], "int"));
  return Value::integer(v);
}

Result<Value> fn_float(Args a, RunContext&) {
  if (a[0].is_string()) {
    auto v = parse_go_float(a[0].as_string());
    if (!v) return Error("invalid operation: float(" + std::string(a[0].as_string()) + ")");
    return Value::floating(*v);
  }
  if (a[0].is_number()) return Value::floating(a[0].to_double());
  return Error("invalid operation: float(" + go_type_name(a[0]) + ")");
}

Result<Value> fn_string(Args a, RunContext&) {
  if (a[0].is_string()) return a[0];
  return Value::string(a[0].to_string());
}

Result<Value> fn_trim(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "trim"));
  if (a.size() == 1) return Value::string(std::string(go_trim_space(s)));
  PHALANX_TRY(std::string_view cut, want_string(a[1], "trim"));
  return Value::string(std::string(go_trim(s, cut, true, true)));
}

Result<Value> fn_trim_prefix(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "trimPrefix"));
  std::string_view p = " ";
  if (a.size() > 1) {
    PHALANX_TRY(p, want_string(a[1], "trimPrefix"));
  }
  if (s.starts_with(p)) s.remove_prefix(p.size());
  return Value::string(std::string(s));
}

Result<Value> fn_trim_suffix(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "trimSuffix"));
  std::string_view p = " ";
  if (a.size() > 1) {
    PHALANX_TRY(p, want_string(a[1], "trimSuffix"));
  }
  if (s.ends_with(p)) s.remove_suffix(p.size());
  return Value::string(std::string(s));
}

Result<Value> fn_upper(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "upper"));
  return Value::string(go_to_upper(s));
}

Result<Value> fn_lower(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "lower"));
  return Value::string(go_to_lower(s));
}

Result<Value> split_impl(Args a, bool after, std::string_view name) {
  PHALANX_TRY(std::string_view s, want_string(a[0], name));
  PHALANX_TRY(std::string_view sep, want_string(a[1], name));
  int64_t n = -1;
  if (a.size() > 2) {
    PHALANX_TRY(n, to_int(a[2], name));
  }
  return strings_to_array(go_split(s, sep, after, n));
}
Result<Value> fn_split(Args a, RunContext&) {
  return split_impl(a, false, "split");
}
Result<Value> fn_split_after(Args a, RunContext&) {
  return split_impl(a, true, "splitAfter");
}

Result<Value> fn_replace(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "replace"));
  PHALANX_TRY(std::string_view from, want_string(a[1], "replace"));
  PHALANX_TRY(std::string_view to, want_string(a[2], "replace"));
  return Value::string(go_replace(s, from, to, -1));
}

Result<Value> fn_repeat(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "repeat"));
  PHALANX_TRY(int64_t n, to_int(a[1], "repeat"));
  if (n < 0) return Error("strings: negative Repeat count");
  if (s.size() * static_cast<uint64_t>(n) > (64u << 20)) return Error("repeat: result too large");
  std::string out;
  for (int64_t i = 0; i < n; ++i)
    out += s;
  return Value::string(std::move(out));
}

Result<Value> fn_join(Args a, RunContext&) {
  PHALANX_TRY(Iterable it, iterate(a[0], "join"));
  std::string_view sep;
  if (a.size() > 1) {
    PHALANX_TRY(sep, want_string(a[1], "join"));
  }
  std::string out;
  for (size_t i = 0; i < it.size; ++i) {
    Value v = it.at(i);
    PHALANX_TRY(std::string_view s, want_string(v, "join"));
    if (i > 0) out += sep;
    out += s;
  }
  return Value::string(std::move(out));
}

Result<Value> index_impl(Args a, bool last, std::string_view name) {
  PHALANX_TRY(std::string_view s, want_string(a[0], name));
  PHALANX_TRY(std::string_view sub, want_string(a[1], name));
  size_t pos = last ? s.rfind(sub) : s.find(sub);
  return Value::integer(pos == std::string_view::npos ? -1 : static_cast<int64_t>(pos));
}
Result<Value> fn_index_of(Args a, RunContext&) {
  return index_impl(a, false, "indexOf");
}
Result<Value> fn_last_index_of(Args a, RunContext&) {
  return index_impl(a, true, "lastIndexOf");
}

Result<Value> fn_has_prefix(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "hasPrefix"));
  PHALANX_TRY(std::string_view p, want_string(a[1], "hasPrefix"));
  return Value::boolean(s.starts_with(p));
}

Result<Value> fn_has_suffix(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "hasSuffix"));
  PHALANX_TRY(std::string_view p, want_string(a[1], "hasSuffix"));
  return Value::boolean(s.ends_with(p));
}

Result<Value> extreme(Args a, bool want_max, std::string_view name) {
  std::vector<Value> items;
  if (a.size() == 1 && (a[0].is_array() || a[0].is_object())) {
    PHALANX_TRY(Iterable it, iterate(a[0], name));
    for (size_t i = 0; i < it.size; ++i)
      items.push_back(it.at(i));
  } else {
    items.assign(a.begin(), a.end());
  }
  if (items.empty()) return Value();
  Value best = items[0];
  for (const Value& v : items) {
    if (!v.is_number())
      return Error("invalid argument for " + std::string(name) + " (type " + go_type_name(v) + ")");
    PHALANX_TRY(bool better, compare(want_max ? CompareOp::kGt : CompareOp::kLt, v, best));
    if (better) best = v;
  }
  return best;
}
Result<Value> fn_max(Args a, RunContext&) {
  return extreme(a, true, "max");
}
Result<Value> fn_min(Args a, RunContext&) {
  return extreme(a, false, "min");
}

Result<std::vector<double>> numbers(const Value& v, std::string_view name) {
  PHALANX_TRY(Iterable it, iterate(v, name));
  std::vector<double> out;
  for (size_t i = 0; i < it.size; ++i) {
    Value x = it.at(i);
    if (!x.is_number())
      return Error("invalid argument for " + std::string(name) + " (type " + go_type_name(x) + ")");
    out.push_back(x.to_double());
  }
  return out;
}

Result<Value> fn_mean(Args a, RunContext&) {
  PHALANX_TRY(auto xs, numbers(a[0], "mean"));
  if (xs.empty()) return Value::floating(0);
  double sum = 0;
  for (double x : xs)
    sum += x;
  return Value::floating(sum / static_cast<double>(xs.size()));
}

Result<Value> fn_median(Args a, RunContext&) {
  PHALANX_TRY(auto xs, numbers(a[0], "median"));
  if (xs.empty()) return Value::floating(0);
  std::sort(xs.begin(), xs.end());
  size_t n = xs.size();
  return Value::floating(n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2);
}

Result<Value> fn_to_json(Args a, RunContext&) {
  PHALANX_TRY(std::string s, go_json_marshal(a[0]));
  return Value::string(std::move(s));
}

Result<Value> fn_from_json(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "fromJSON"));
  return parse_json(s);
}

Result<Value> fn_to_base64(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "toBase64"));
  return Value::string(base64_encode(s));
}

Result<Value> fn_from_base64(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "fromBase64"));
  PHALANX_TRY(std::string out, base64_decode(s));
  return Value::string(std::move(out));
}

Result<Value> fn_now(Args, RunContext& ctx) {
  const Clock& clock = ctx.clock ? *ctx.clock : SystemClock::instance();
  return Value::time(ZonedTime{clock.now(), 0});
}

Result<Value> fn_duration(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "duration"));
  auto d = parse_go_duration(s);
  if (!d) return Error("time: invalid duration \"" + std::string(s) + "\"");
  return Value::duration(*d);
}

Result<Value> fn_first(Args a, RunContext&) {
  if (a[0].is_nil()) return Value();
  PHALANX_TRY(Iterable it, iterate(a[0], "first"));
  return it.size ? it.at(0) : Value();
}

Result<Value> fn_last(Args a, RunContext&) {
  if (a[0].is_nil()) return Value();
  PHALANX_TRY(Iterable it, iterate(a[0], "last"));
  return it.size ? it.at(it.size - 1) : Value();
}

Result<Value> fn_get(Args a, RunContext&) {
  const Value& from = a[0];
  const Value& key = a[1];
  if (from.is_map()) {
    if (!key.is_string()) return Value();
    const Value* v = from.as_map().find(key.as_string());
    return v ? *v : Value();
  }
  if (from.is_object() && !from.as_object().is_list()) {
    if (!key.is_string() || !from.as_object().has(key.as_string())) return Value();
    return from.as_object().get(key.as_string());
  }
  if (from.is_array() || from.is_string() || from.is_object()) {
    if (!key.is_number()) return Value();
    auto v = fetch(from, key, false);
    return v ? *v : Value();
  }
  return Value();
}

Result<Value> fn_take(Args a, RunContext&) {
  PHALANX_TRY(Iterable it, iterate(a[0], "take"));
  PHALANX_TRY(int64_t n, to_int(a[1], "take"));
  Array out;
  for (size_t i = 0; i < it.size && static_cast<int64_t>(i) < n; ++i)
    out.push_back(it.at(i));
  return Value::array(std::move(out));
}

Result<Value> map_entries(Args a, std::string_view name, int which) {
  Array out;
  if (a[0].is_map()) {
    for (const auto& [k, v] : a[0].as_map().entries()) {
      if (which == 0) out.push_back(Value::string(k));
      if (which == 1) out.push_back(v);
      if (which == 2) out.push_back(Value::array(Array{Value::string(k), v}));
    }
  } else if (a[0].is_object()) {
    for (const std::string& k : a[0].as_object().keys()) {
      Value v = a[0].as_object().get(k);
      if (which == 0) out.push_back(Value::string(k));
      if (which == 1) out.push_back(v);
      if (which == 2) out.push_back(Value::array(Array{Value::string(k), v}));
    }
  } else {
    return Error("cannot get " + std::string(name) + " from " + go_type_name(a[0]));
  }
  return Value::array(std::move(out));
}
Result<Value> fn_keys(Args a, RunContext&) {
  return map_entries(a, "keys", 0);
}
Result<Value> fn_values(Args a, RunContext&) {
  return map_entries(a, "values", 1);
}
Result<Value> fn_to_pairs(Args a, RunContext&) {
  return map_entries(a, "toPairs", 2);
}

Result<Value> fn_from_pairs(Args a, RunContext&) {
  PHALANX_TRY(Iterable it, iterate(a[0], "fromPairs"));
  auto m = std::make_shared<Map>();
  for (size_t i = 0; i < it.size; ++i) {
    Value pair = it.at(i);
    if (!pair.is_array() || pair.as_array().size() != 2 || !pair.as_array()[0].is_string()) {
      return Error("fromPairs: invalid pair");
    }
    m->set(pair.as_array()[0].as_string(), pair.as_array()[1]);
  }
  return Value::map(std::move(m));
}

Result<Value> fn_sort(Args a, RunContext&) {
  PHALANX_TRY(Iterable it, iterate(a[0], "sort"));
  bool desc = false;
  if (a.size() > 1) {
    PHALANX_TRY(std::string_view order, want_string(a[1], "sort"));
    if (order != "asc" && order != "desc") return Error("sort: unknown order, use asc or desc");
    desc = order == "desc";
  }
  Array items;
  for (size_t i = 0; i < it.size; ++i)
    items.push_back(it.at(i));
  std::optional<Error> failure;
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    auto r = compare(CompareOp::kLt, desc ? y : x, desc ? x : y);
    if (!r && !failure) failure = r.error();
    return r && *r;
  });
  if (failure) return *failure;
  return Value::array(std::move(items));
}

Result<Value> fn_concat(Args a, RunContext&) {
  Array out;
  for (const Value& v : a) {
    PHALANX_TRY(Iterable it, iterate(v, "concat"));
    for (size_t i = 0; i < it.size; ++i)
      out.push_back(it.at(i));
  }
  return Value::array(std::move(out));
}

Result<Value> fn_flatten(Args a, RunContext&) {
  if (!a[0].is_array()) return Error("cannot flatten " + go_type_name(a[0]));
  Array out;
  flatten_into(a[0], out);
  return Value::array(std::move(out));
}

Result<Value> fn_uniq(Args a, RunContext&) {
  PHALANX_TRY(Iterable it, iterate(a[0], "uniq"));
  Array out;
  for (size_t i = 0; i < it.size; ++i) {
    Value v = it.at(i);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return Value::array(std::move(out));
}

Result<Value> fn_reverse(Args a, RunContext&) {
  PHALANX_TRY(Iterable it, iterate(a[0], "reverse"));
  Array out;
  for (size_t i = it.size; i > 0; --i)
    out.push_back(it.at(i - 1));
  return Value::array(std::move(out));
}

constexpr FunctionSpec kExprBuiltins[] = {
    {"len", 1, 1, fn_len, true},
    {"type", 1, 1, fn_type, true},
    {"abs", 1, 1, fn_abs, true},
    {"ceil", 1, 1, fn_rounding<std::ceil>, true},
    {"floor", 1, 1, fn_rounding<std::floor>, true},
    {"round", 1, 1, fn_rounding<std::round>, true},
    {"int", 1, 1, fn_int, true},
    {"float", 1, 1, fn_float, true},
    {"string", 1, 1, fn_string, true},
    {"trim", 1, 2, fn_trim, true},
    {"trimPrefix", 1, 2, fn_trim_prefix, true},
    {"trimSuffix", 1, 2, fn_trim_suffix, true},
    {"upper", 1, 1, fn_upper, true},
    {"lower", 1, 1, fn_lower, true},
    {"split", 2, 3, fn_split, true},
    {"splitAfter", 2, 3, fn_split_after, true},
    {"replace", 3, 3, fn_replace, true},
    {"repeat", 2, 2, fn_repeat, true},
    {"join", 1, 2, fn_join, true},
    {"indexOf", 2, 2, fn_index_of, true},
    {"lastIndexOf", 2, 2, fn_last_index_of, true},
    {"hasPrefix", 2, 2, fn_has_prefix, true},
    {"hasSuffix", 2, 2, fn_has_suffix, true},
    {"max", 1, kVariadic, fn_max, true},
    {"min", 1, kVariadic, fn_min, true},
    {"mean", 1, 1, fn_mean, true},
    {"median", 1, 1, fn_median, true},
    {"toJSON", 1, 1, fn_to_json, true},
    {"fromJSON", 1, 1, fn_from_json, true},
    {"toBase64", 1, 1, fn_to_base64, true},
    {"fromBase64", 1, 1, fn_from_base64, true},
    {"now", 0, 0, fn_now, false},
    {"duration", 1, 1, fn_duration, true},
    {"first", 1, 1, fn_first, true},
    {"last", 1, 1, fn_last, true},
    {"get", 2, 2, fn_get, true},
    {"take", 2, 2, fn_take, true},
    {"keys", 1, 1, fn_keys, true},
    {"values", 1, 1, fn_values, true},
    {"toPairs", 1, 1, fn_to_pairs, true},
    {"fromPairs", 1, 1, fn_from_pairs, true},
    {"sort", 1, 2, fn_sort, true},
    {"concat", 1, kVariadic, fn_concat, true},
    {"flatten", 1, 1, fn_flatten, true},
    {"uniq", 1, 1, fn_uniq, true},
    {"reverse", 1, 1, fn_reverse, true},
};

}  // namespace

std::span<const FunctionSpec> expr_builtins() {
  return kExprBuiltins;
}

void flatten_into(const Value& v, Array& out) {
  if (v.is_array()) {
    for (const Value& item : v.as_array())
      flatten_into(item, out);
  } else {
    out.push_back(v);
  }
}

}  // namespace phalanx::expr::detail

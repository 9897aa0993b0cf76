// SPDX-License-Identifier: Apache-2.0
// CrowdSec helpers over strings and simple values (Go's strings, strconv, net/url semantics).
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "expr/builtins.h"
#include "expr/go_format.h"
#include "expr/ops.h"
#include "expr/strings_util.h"
#include "expr/utf8.h"

namespace phalanx::expr::detail {
namespace {

using Args = std::span<const Value>;

#define WANT_STRING(var, index, fn) PHALANX_TRY(std::string_view var, want_string(a[index], fn))

Result<Value> fn_upper(Args a, RunContext&) {
  WANT_STRING(s, 0, "Upper");
  return Value::string(go_to_upper(s));
}
Result<Value> fn_lower(Args a, RunContext&) {
  WANT_STRING(s, 0, "Lower");
  return Value::string(go_to_lower(s));
}

Result<Value> split_n(Args a, bool after, bool with_n, std::string_view name) {
  WANT_STRING(s, 0, name);
  WANT_STRING(sep, 1, name);
  int64_t n = -1;
  if (with_n) {
    PHALANX_TRY(n, to_int(a[2], name));
  }
  return strings_to_array(go_split(s, sep, after, n));
}
Result<Value> fn_split(Args a, RunContext&) {
  return split_n(a, false, false, "Split");
}
Result<Value> fn_split_n(Args a, RunContext&) {
  return split_n(a, false, true, "SplitN");
}
Result<Value> fn_split_after(Args a, RunContext&) {
  return split_n(a, true, false, "SplitAfter");
}
Result<Value> fn_split_after_n(Args a, RunContext&) {
  return split_n(a, true, true, "SplitAfterN");
}

Result<Value> fn_fields(Args a, RunContext&) {
  WANT_STRING(s, 0, "Fields");
  return strings_to_array(go_fields(s));
}

Result<Value> fn_trim_space(Args a, RunContext&) {
  WANT_STRING(s, 0, "TrimSpace");
  return Value::string(std::string(go_trim_space(s)));
}

Result<Value> trim_cutset(Args a, bool left, bool right, std::string_view name) {
  WANT_STRING(s, 0, name);
  WANT_STRING(cut, 1, name);
  return Value::string(std::string(go_trim(s, cut, left, right)));
}
Result<Value> fn_trim(Args a, RunContext&) {
  return trim_cutset(a, true, true, "Trim");
}
Result<Value> fn_trim_left(Args a, RunContext&) {
  return trim_cutset(a, true, false, "TrimLeft");
}
Result<Value> fn_trim_right(Args a, RunContext&) {
  return trim_cutset(a, false, true, "TrimRight");
}

Result<Value> fn_trim_prefix(Args a, RunContext&) {
  WANT_STRING(s, 0, "TrimPrefix");
  WANT_STRING(p, 1, "TrimPrefix");
  if (s.starts_with(p)) s.remove_prefix(p.size());
  return Value::string(std::string(s));
}

Result<Value> fn_trim_suffix(Args a, RunContext&) {
  WANT_STRING(s, 0, "TrimSuffix");
  WANT_STRING(p, 1, "TrimSuffix");
  if (s.ends_with(p)) s.remove_suffix(p.size());
  return Value::string(std::string(s));
}

Result<Value> fn_index(Args a, RunContext&) {
  WANT_STRING(s, 0, "Index");
  WANT_STRING(sub, 1, "Index");
  size_t pos = s.find(sub);
  return Value::integer(pos == std::string_view::npos ? -1 : static_cast<int64_t>(pos));
}

Result<Value> fn_index_any(Args a, RunContext&) {
  WANT_STRING(s, 0, "IndexAny");
  WANT_STRING(chars, 1, "IndexAny");
  size_t i = 0;
  while (i < s.size()) {
    Rune r = decode_rune(s.substr(i));
    if (go_trim(std::string_view(s).substr(i, r.size), chars, true, false).empty()) {
      return Value::integer(static_cast<int64_t>(i));
    }
    i += r.size;
  }
  return Value::integer(-1);
}

Result<Value> fn_join(Args a, RunContext&) {
  PHALANX_TRY(Iterable it, iterate(a[0], "Join"));
  WANT_STRING(sep, 1, "Join");
  std::string out;
  for (size_t i = 0; i < it.size; ++i) {
    Value v = it.at(i);
    PHALANX_TRY(std::string_view s, want_string(v, "Join"));
    if (i > 0) out += sep;
    out += s;
  }
  return Value::string(std::move(out));
}

Result<Value> fn_replace(Args a, RunContext&) {
  WANT_STRING(s, 0, "Replace");
  WANT_STRING(from, 1, "Replace");
  WANT_STRING(to, 2, "Replace");
  PHALANX_TRY(int64_t n, to_int(a[3], "Replace"));
  return Value::string(go_replace(s, from, to, n));
}

Result<Value> fn_replace_all(Args a, RunContext&) {
  WANT_STRING(s, 0, "ReplaceAll");
  WANT_STRING(from, 1, "ReplaceAll");
  WANT_STRING(to, 2, "ReplaceAll");
  return Value::string(go_replace(s, from, to, -1));
}

// CrowdSec returns the input unchanged when it does not unescape.
Result<Value> unescape(Args a, bool query, std::string_view name) {
  WANT_STRING(s, 0, name);
  auto out = url_unescape(s, query);
  if (!out) return Value::string(std::string(s));
  return Value::string(std::move(*out));
}
Result<Value> fn_query_unescape(Args a, RunContext&) {
  return unescape(a, true, "QueryUnescape");
}
Result<Value> fn_path_unescape(Args a, RunContext&) {
  return unescape(a, false, "PathUnescape");
}

Result<Value> fn_query_escape(Args a, RunContext&) {
  WANT_STRING(s, 0, "QueryEscape");
  return Value::string(url_escape(s, true));
}
Result<Value> fn_path_escape(Args a, RunContext&) {
  WANT_STRING(s, 0, "PathEscape");
  return Value::string(url_escape(s, false));
}

// The semantics of CrowdSec's recursive Match, including its quirk that an exhausted name only
// matches the pattern "*" ("a**" does not match "a"), computed by dynamic programming so that a
// pattern with many stars stays polynomial.
bool glob_match(std::string_view p, std::string_view n) {
  size_t P = p.size(), N = n.size();
  if (P * (N + 1) > (64u << 20)) return false;
  // next[j] = M(p[i+1:], n[j:]) while computing cur[j] = M(p[i:], n[j:]), i from P down to 0.
  std::vector<char> next(N + 1), cur(N + 1);
  for (size_t j = 0; j <= N; ++j)
    next[j] = j == N;  // empty pattern matches only ""
  for (size_t i = P; i-- > 0;) {
    cur[N] = p.substr(i) == "*";  // an exhausted name matches only "*"
    bool any_later = next[N];
    for (size_t j = N; j-- > 0;) {
      if (p[i] == '*') {
        any_later = any_later || next[j];  // '*' consumes n[j:k] for some k >= j
        cur[j] = any_later;
      } else {
        cur[j] = (p[i] == '?' || p[i] == n[j]) && next[j + 1];
      }
    }
    std::swap(cur, next);
  }
  return next[0];
}

Result<Value> fn_match(Args a, RunContext&) {
  WANT_STRING(pattern, 0, "Match");
  WANT_STRING(name, 1, "Match");
  return Value::boolean(glob_match(pattern, name));
}

Result<Value> fn_sprintf(Args a, RunContext&) {
  WANT_STRING(format, 0, "Sprintf");
  return Value::string(go_sprintf(format, a.subspan(1)));
}

Result<Value> fn_to_string(Args a, RunContext&) {
  return a[0].is_string() ? a[0] : Value::view("");
}

Result<Value> fn_atof(Args a, RunContext&) {
  WANT_STRING(s, 0, "Atof");
  auto v = parse_go_float(s);
  return Value::floating(v ? *v : 0.0);
}

Result<Value> fn_b64_decode(Args a, RunContext&) {
  WANT_STRING(s, 0, "B64Decode");
  PHALANX_TRY(std::string out, base64_decode(s));
  return Value::string(std::move(out));
}

Result<Value> fn_get(Args a, RunContext&) {
  PHALANX_TRY(Iterable it, iterate(a[0], "Get"));
  PHALANX_TRY(int64_t i, to_int(a[1], "Get"));
  if (i < 0) return Error("Get: index out of range [" + std::to_string(i) + "]");
  if (static_cast<size_t>(i) >= it.size) return Value::view("");
  return it.at(static_cast<size_t>(i));
}

Result<Value> fn_basename(Args a, RunContext&) {
  WANT_STRING(s, 0, "basename");
  // Go's filepath.Base: trailing slashes dropped, "" → ".", all slashes → "/".
  if (s.empty()) return Value::view(".");
  while (s.size() > 1 && s.back() == '/')
    s.remove_suffix(1);
  if (s == "/") return Value::view("/");
  size_t pos = s.rfind('/');
  if (pos != std::string_view::npos) s.remove_prefix(pos + 1);
  return Value::string(std::string(s));
}

Result<Value> fn_float_approx_equal(Args a, RunContext&) {
  if (!a[0].is_number() || !a[1].is_number()) {
    return Error("FloatApproxEqual: expected numbers, got " + go_type_name(a[0]) + " and " +
                 go_type_name(a[1]));
  }
  return Value::boolean(std::fabs(a[0].to_double() - a[1].to_double()) < 1e-6);
}

Result<Value> fn_hostname(Args, RunContext&) {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return Error::from_errno("hostname");
  return Value::string(buf);
}

constexpr FunctionSpec kStringHelpers[] = {
    {"Upper", 1, 1, fn_upper, true},
    {"Lower", 1, 1, fn_lower, true},
    {"Split", 2, 2, fn_split, true},
    {"SplitN", 3, 3, fn_split_n, true},
    {"SplitAfter", 2, 2, fn_split_after, true},
    {"SplitAfterN", 3, 3, fn_split_after_n, true},
    {"Fields", 1, 1, fn_fields, true},
    {"TrimSpace", 1, 1, fn_trim_space, true},
    {"Trim", 2, 2, fn_trim, true},
    {"TrimLeft", 2, 2, fn_trim_left, true},
    {"TrimRight", 2, 2, fn_trim_right, true},
    {"TrimPrefix", 2, 2, fn_trim_prefix, true},
    {"TrimSuffix", 2, 2, fn_trim_suffix, true},
    {"Index", 2, 2, fn_index, true},
    {"IndexAny", 2, 2, fn_index_any, true},
    {"Join", 2, 2, fn_join, true},
    {"Replace", 4, 4, fn_replace, true},
    {"ReplaceAll", 3, 3, fn_replace_all, true},
    {"QueryUnescape", 1, 1, fn_query_unescape, true},
    {"PathUnescape", 1, 1, fn_path_unescape, true},
    {"QueryEscape", 1, 1, fn_query_escape, true},
    {"PathEscape", 1, 1, fn_path_escape, true},
    {"Match", 2, 2, fn_match, true},
    {"Sprintf", 1, kVariadic, fn_sprintf, true},
    {"ToString", 1, 1, fn_to_string, true},
    {"Atof", 1, 1, fn_atof, true},
    {"B64Decode", 1, 1, fn_b64_decode, true},
    {"Get", 2, 2, fn_get, true},
    {"basename", 1, 1, fn_basename, true},
    {"FloatApproxEqual", 2, 2, fn_float_approx_equal, true},
    {"Hostname", 0, 0, fn_hostname, false},
};

}  // namespace

std::span<const FunctionSpec> string_helpers() {
  return kStringHelpers;
}

}  // namespace phalanx::expr::detail

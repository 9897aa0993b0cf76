// SPDX-License-Identifier: Apache-2.0
// CrowdSec helpers: time intervals over bucket queues, XML, URLs, collections and time.
#include <algorithm>
#include <pugixml.hpp>

#include "expr/builtins.h"
#include "expr/go_format.h"
#include "expr/ops.h"
#include "expr/strings_util.h"

namespace phalanx::expr::detail {
namespace {

using Args = std::span<const Value>;

Result<std::vector<TimePoint>> sorted_times(const Value& v, std::string_view fn) {
  PHALANX_TRY(Iterable it, iterate(v, fn));
  std::vector<TimePoint> times;
  times.reserve(it.size);
  for (size_t i = 0; i < it.size; ++i) {
    Value t = it.at(i);
    if (!t.is_time()) {
      return Error(std::string(fn) + ": element at index " + std::to_string(i) + " is not a time");
    }
    times.push_back(t.as_time().time);
  }
  if (times.size() < 2) return Error(std::string(fn) + ": need at least two times");
  std::sort(times.begin(), times.end());
  return times;
}

Result<Value> fn_median_interval(Args a, RunContext&) {
  PHALANX_TRY(auto times, sorted_times(a[0], "MedianInterval"));
  std::vector<Duration> gaps;
  gaps.reserve(times.size() - 1);
  for (size_t i = 1; i < times.size(); ++i)
    gaps.push_back(times[i] - times[i - 1]);
  std::sort(gaps.begin(), gaps.end());
  size_t n = gaps.size();
  return Value::duration(n % 2 ? gaps[n / 2] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2);
}

Result<Value> fn_average_interval(Args a, RunContext&) {
  PHALANX_TRY(auto times, sorted_times(a[0], "AverageInterval"));
  Duration total{0};
  for (size_t i = 1; i < times.size(); ++i)
    total += times[i] - times[i - 1];
  return Value::duration(total / static_cast<int64_t>(times.size() - 1));
}

Result<pugi::xml_node> xml_find(std::string_view xml, std::string_view path,
                                pugi::xml_document& doc, std::string_view fn) {
  auto parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) return Error(std::string(fn) + ": parsing xml: " + parsed.description());
  try {
    pugi::xpath_node found = doc.select_node(std::string(path).c_str());
    return found.node();
  } catch (const pugi::xpath_exception& e) {
    return Error(std::string(fn) + ": invalid path '" + std::string(path) + "': " + e.what());
  }
}

// CrowdSec answers "" (and logs) when the document, path or attribute is not there.
Result<Value> fn_xml_node_value(Args a, RunContext&) {
  PHALANX_TRY(std::string_view xml, want_string(a[0], "XMLGetNodeValue"));
  PHALANX_TRY(std::string_view path, want_string(a[1], "XMLGetNodeValue"));
  pugi::xml_document doc;
  auto node = xml_find(xml, path, doc, "XMLGetNodeValue");
  if (!node || !*node) return Value::view("");
  return Value::string(node->text().get());
}

Result<Value> fn_xml_attribute_value(Args a, RunContext&) {
  PHALANX_TRY(std::string_view xml, want_string(a[0], "XMLGetAttributeValue"));
  PHALANX_TRY(std::string_view path, want_string(a[1], "XMLGetAttributeValue"));
  PHALANX_TRY(std::string_view attr, want_string(a[2], "XMLGetAttributeValue"));
  pugi::xml_document doc;
  auto node = xml_find(xml, path, doc, "XMLGetAttributeValue");
  if (!node || !*node) return Value::view("");
  return Value::string(node->attribute(std::string(attr).c_str()).value());
}

// url.ParseQuery: nullopt on the first malformed pair (Go returns an error with partial data,
// which CrowdSec's ParseUri discards).
std::optional<Value> parse_query(std::string_view query, bool keep_partial) {
  auto m = std::make_shared<Map>();
  std::map<std::string, Array, std::less<>> values;
  bool failed = false;
  for (std::string_view pair : go_split(query, "&", false, -1)) {
    if (pair.empty()) continue;
    if (pair.find(';') != std::string_view::npos) {
      failed = true;
      continue;
    }
    size_t eq = pair.find('=');
    auto key = url_unescape(pair.substr(0, eq), true);
    auto value = url_unescape(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value) {
      failed = true;
      continue;
    }
    values[*key].push_back(Value::string(std::move(*value)));
  }
  if (failed && !keep_partial) return std::nullopt;
  for (auto& [k, v] : values)
    m->set(k, Value::array(std::move(v)));
  return Value::map(std::move(m));
}

std::string_view raw_query(std::string_view uri) {
  size_t hash = uri.find('#');
  if (hash != std::string_view::npos) uri = uri.substr(0, hash);
  size_t q = uri.find('?');
  return q == std::string_view::npos ? std::string_view() : uri.substr(q + 1);
}

Result<Value> fn_parse_uri(Args a, RunContext&) {
  PHALANX_TRY(std::string_view uri, want_string(a[0], "ParseUri"));
  auto m = parse_query(raw_query(uri), false);
  return m ? *m : Value::new_map();
}

Result<Value> fn_parse_query(Args a, RunContext&) {
  PHALANX_TRY(std::string_view query, want_string(a[0], "ParseQuery"));
  auto m = parse_query(query, true);
  return m ? *m : Value::new_map();
}

Result<Value> fn_extract_query_param(Args a, RunContext&) {
  PHALANX_TRY(std::string_view uri, want_string(a[0], "ExtractQueryParam"));
  PHALANX_TRY(std::string_view param, want_string(a[1], "ExtractQueryParam"));
  auto m = parse_query(raw_query(uri), true);
  if (m) {
    if (const Value* v = m->as_map().find(param)) return *v;
  }
  return Value::array(Array{});
}

Result<Value> fn_key_exists(Args a, RunContext&) {
  PHALANX_TRY(std::string_view key, want_string(a[0], "KeyExists"));
  if (a[1].is_map()) return Value::boolean(a[1].as_map().has(key));
  if (a[1].is_object()) return Value::boolean(a[1].as_object().has(key));
  return Error("KeyExists: expected a map, got " + go_type_name(a[1]));
}

Result<Value> fn_distinct(Args a, RunContext&) {
  if (!a[0].is_array()) return Value();
  Array out;
  for (const Value& v : a[0].as_array()) {
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return Value::array(std::move(out));
}

Result<Value> fn_flatten(Args a, RunContext&) {
  Array out;
  for (const Value& v : a)
    flatten_into(v, out);
  return Value::array(std::move(out));
}

Result<Value> fn_flatten_distinct(Args a, RunContext& ctx) {
  PHALANX_TRY(Value flat, fn_flatten(a, ctx));
  Value arg[1] = {flat};
  return fn_distinct(arg, ctx);
}

Result<Value> fn_time_now(Args, RunContext& ctx) {
  const Clock& clock = ctx.clock ? *ctx.clock : SystemClock::instance();
  auto now = std::chrono::floor<std::chrono::seconds>(clock.now());
  return Value::string(format_rfc3339(ZonedTime{now, 0}));
}

Result<Value> fn_parse_unix(Args a, RunContext&) {
  PHALANX_TRY(std::string_view s, want_string(a[0], "ParseUnix"));
  // Fractional seconds are cut off, as CrowdSec splits on '.'.
  auto secs = parse_go_int(s.substr(0, s.find('.')));
  if (!secs || *secs <= 0) return Value::view("");
  return Value::string(format_rfc3339(ZonedTime{TimePoint(std::chrono::seconds(*secs)), 0}));
}

constexpr FunctionSpec kMiscHelpers[] = {
    {"MedianInterval", 1, 1, fn_median_interval, true},
    {"AverageInterval", 1, 1, fn_average_interval, true},
    {"XMLGetNodeValue", 2, 2, fn_xml_node_value, true},
    {"XMLGetAttributeValue", 3, 3, fn_xml_attribute_value, true},
    {"ParseUri", 1, 1, fn_parse_uri, true},
    {"ParseQuery", 1, 1, fn_parse_query, true},
    {"ExtractQueryParam", 2, 2, fn_extract_query_param, true},
    {"KeyExists", 2, 2, fn_key_exists, true},
    {"Distinct", 1, 1, fn_distinct, true},
    {"Flatten", 0, kVariadic, fn_flatten, true},
    {"FlattenDistinct", 0, kVariadic, fn_flatten_distinct, true},
    {"TimeNow", 0, 0, fn_time_now, false},
    {"ParseUnix", 1, 1, fn_parse_unix, true},
};

}  // namespace

std::span<const FunctionSpec> misc_helpers() {
  return kMiscHelpers;
}

}  // namespace phalanx::expr::detail

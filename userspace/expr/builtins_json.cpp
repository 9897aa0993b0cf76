// SPDX-License-Identifier: Apache-2.0
// CrowdSec helpers over JSON and key=value text: JsonExtract*, ToJsonString, UnmarshalJSON,
// ParseKV, ParseKVLax. The last three write into a target map (evt.Unmarshaled) and return nil.
#include "expr/builtins.h"
#include "expr/go_format.h"
#include "expr/json.h"
#include "expr/json_scan.h"
#include "expr/ops.h"
#include "expr/re2_util.h"
#include "expr/utf8.h"

namespace phalanx::expr::detail {
namespace {

using Args = std::span<const Value>;

Result<Value> extract(std::string_view doc, const std::vector<std::string>& path, bool unescape) {
  auto slice = json_get(doc, path);
  if (!slice) return Value::view("");
  if (!unescape) return Value::string(std::string(slice->raw));
  if (slice->type != JsonType::kString) return Value::view("");
  auto text = json_unescape(slice->raw);
  return Value::string(text ? std::move(*text) : std::string());
}

Result<std::vector<std::string>> path_args(Args a, std::string_view fn) {
  std::vector<std::string> path;
  for (size_t i = 1; i < a.size(); ++i) {
    if (a[i].is_array()) {
      for (const Value& v : a[i].as_array()) {
        PHALANX_TRY(std::string_view s, want_string(v, fn));
        path.emplace_back(s);
      }
      continue;
    }
    PHALANX_TRY(std::string_view s, want_string(a[i], fn));
    path.emplace_back(s);
  }
  return path;
}

Result<Value> fn_json_extract(Args a, RunContext&) {
  PHALANX_TRY(std::string_view doc, want_string(a[0], "JsonExtract"));
  PHALANX_TRY(std::string_view target, want_string(a[1], "JsonExtract"));
  return extract(doc, json_split_path(target), false);
}

Result<Value> fn_json_extract_lib(Args a, RunContext&) {
  PHALANX_TRY(std::string_view doc, want_string(a[0], "JsonExtractLib"));
  PHALANX_TRY(auto path, path_args(a, "JsonExtractLib"));
  return extract(doc, path, false);
}

Result<Value> fn_json_extract_unescape(Args a, RunContext&) {
  PHALANX_TRY(std::string_view doc, want_string(a[0], "JsonExtractUnescape"));
  PHALANX_TRY(auto path, path_args(a, "JsonExtractUnescape"));
  return extract(doc, path, true);
}

Result<Value> extract_typed(Args a, JsonType want, std::string_view fn) {
  PHALANX_TRY(std::string_view doc, want_string(a[0], fn));
  PHALANX_TRY(std::string_view target, want_string(a[1], fn));
  auto slice = json_get(doc, json_split_path(target));
  if (!slice || slice->type != want) return Value();
  auto parsed = parse_json(slice->raw);
  if (!parsed) return Value();
  return *parsed;
}

Result<Value> fn_json_extract_slice(Args a, RunContext&) {
  return extract_typed(a, JsonType::kArray, "JsonExtractSlice");
}
Result<Value> fn_json_extract_object(Args a, RunContext&) {
  return extract_typed(a, JsonType::kObject, "JsonExtractObject");
}

Result<Value> fn_to_json_string(Args a, RunContext&) {
  auto s = go_json_marshal(a[0]);
  return Value::string(s ? std::move(*s) : std::string());
}

// The target of UnmarshalJSON/ParseKV: a map value or a host object that accepts set().
Result<Value> target_get(const Value& target, std::string_view key) {
  if (target.is_map()) {
    const Value* v = target.as_map().find(key);
    return v ? *v : Value();
  }
  if (target.is_object()) {
    return target.as_object().has(key) ? target.as_object().get(key) : Value();
  }
  return Error("target is not a map (got " + go_type_name(target) + ")");
}

Result<void> target_set(const Value& target, std::string_view key, const Value& value) {
  if (target.is_map()) {
    target.as_map().set(key, value);
    return ok();
  }
  return target.as_object().set(key, value);
}

Result<Value> fn_unmarshal_json(Args a, RunContext&) {
  PHALANX_TRY(std::string_view doc, want_string(a[0], "UnmarshalJSON"));
  PHALANX_TRY(std::string_view key, want_string(a[2], "UnmarshalJSON"));
  PHALANX_TRY(Value existing, target_get(a[1], key));
  (void)existing;
  auto parsed = parse_json(doc);
  if (!parsed) return Error("UnmarshalJSON: " + parsed.error().message());
  PHALANX_CHECK(target_set(a[1], key, *parsed));
  return Value();
}

// The map[string]string under target[prefix], created when absent.
Result<Value> kv_target(const Value& target, std::string_view prefix, std::string_view fn) {
  PHALANX_TRY(Value existing, target_get(target, prefix));
  if (existing.is_nil()) return Value::new_map(true);
  if (!existing.is_map() || !existing.as_map().string_valued()) {
    return Error(std::string(fn) + ": target is not a map[string]string");
  }
  return existing;
}

const RE2& kv_pattern() {
  static const RE2 re(
      R"re((?P<key>[^=\s]+)=(?:"(?P<quoted_value>[^"\\]*(?:\\.[^"\\]*)*)"|(?P<value>[^=\s]+)|\s*))re");
  return re;
}

Result<Value> fn_parse_kv(Args a, RunContext&) {
  PHALANX_TRY(std::string_view blob, want_string(a[0], "ParseKV"));
  PHALANX_TRY(std::string_view prefix, want_string(a[2], "ParseKV"));
  const RE2& re = kv_pattern();
  std::vector<std::pair<std::string, std::string>> pairs;
  re2::StringPiece groups[4];
  size_t pos = 0;
  while (pos <= blob.size() &&
         re.Match(piece(blob), pos, blob.size(), RE2::UNANCHORED, groups, 4)) {
    std::string value = !groups[2].empty() ? std::string(groups[2]) : std::string(groups[3]);
    pairs.emplace_back(std::string(groups[1]), std::move(value));
    size_t end = static_cast<size_t>(groups[0].data() - blob.data()) + groups[0].size();
    pos = end > pos ? end : pos + 1;
  }
  if (pairs.empty()) return Error("ParseKV: invalid input format");
  PHALANX_TRY(Value map, kv_target(a[1], prefix, "ParseKV"));
  for (auto& [k, v] : pairs)
    map.as_map().set(k, Value::string(std::move(v)));
  PHALANX_CHECK(target_set(a[1], prefix, map));
  return Value();
}

bool inside_quotes(std::string_view s, size_t pos) {
  bool in_quote = false;
  for (size_t i = 0; i <= pos && i < s.size(); ++i) {
    if (s[i] != '"') continue;
    size_t backslashes = 0;
    for (size_t j = i; j > 0 && s[j - 1] == '\\'; --j)
      ++backslashes;
    if (backslashes % 2 == 0) in_quote = !in_quote;
  }
  return in_quote;
}

std::string lax_value(std::string_view s) {
  if (s.empty() || s[0] != '"') return std::string(s);
  if (s.size() >= 2 && s.back() == '"') {
    std::string body(s.substr(1, s.size() - 2));
    std::string out;
    // Go: ReplaceAll(`\\`, `\`) then ReplaceAll(`\"`, `"`), in that order.
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '\\') ++i;
      out += body[i];
    }
    std::string final_out;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i] == '\\' && i + 1 < out.size() && out[i + 1] == '"') continue;
      final_out += out[i];
    }
    return final_out;
  }
  return std::string(s.substr(1));
}

Result<Value> fn_parse_kv_lax(Args a, RunContext&) {
  PHALANX_TRY(std::string_view blob, want_string(a[0], "ParseKVLax"));
  PHALANX_TRY(std::string_view prefix, want_string(a[2], "ParseKVLax"));
  PHALANX_TRY(Value map, kv_target(a[1], prefix, "ParseKVLax"));
  static const RE2 key_start(R"(([a-zA-Z_][a-zA-Z0-9_.-]*)=)");
  struct Hit {
    size_t start, end;
    std::string_view key;
  };
  std::vector<Hit> hits;
  re2::StringPiece groups[2];
  size_t pos = 0;
  while (pos < blob.size() &&
         key_start.Match(piece(blob), pos, blob.size(), RE2::UNANCHORED, groups, 2)) {
    size_t start = static_cast<size_t>(groups[0].data() - blob.data());
    size_t end = start + groups[0].size();
    if (!inside_quotes(blob, start)) {
      hits.push_back({start, end, std::string_view(groups[1].data(), groups[1].size())});
    }
    pos = end;
  }
  PHALANX_CHECK(target_set(a[1], prefix, map));
  if (hits.empty()) return Error("ParseKVLax: invalid input format");
  for (size_t i = 0; i < hits.size(); ++i) {
    size_t value_end = i + 1 < hits.size() ? hits[i + 1].start : blob.size();
    std::string_view raw = go_trim_space(blob.substr(hits[i].end, value_end - hits[i].end));
    map.as_map().set(hits[i].key, Value::string(lax_value(raw)));
  }
  return Value();
}

constexpr FunctionSpec kJsonHelpers[] = {
    {"JsonExtract", 2, 2, fn_json_extract, true},
    {"JsonExtractLib", 1, kVariadic, fn_json_extract_lib, true},
    {"JsonExtractUnescape", 1, kVariadic, fn_json_extract_unescape, true},
    {"JsonExtractSlice", 2, 2, fn_json_extract_slice, true},
    {"JsonExtractObject", 2, 2, fn_json_extract_object, true},
    {"ToJsonString", 1, 1, fn_to_json_string, true},
    {"UnmarshalJSON", 3, 3, fn_unmarshal_json, false},
    {"ParseKV", 3, 3, fn_parse_kv, false},
    {"ParseKVLax", 3, 3, fn_parse_kv_lax, false},
};

}  // namespace

std::span<const FunctionSpec> json_helpers() {
  return kJsonHelpers;
}

}  // namespace phalanx::expr::detail

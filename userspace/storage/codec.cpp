// SPDX-License-Identifier: Apache-2.0
#include "storage/codec.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "core/net.h"

namespace phalanx::storage {
namespace {

using nlohmann::json;

std::array<uint8_t, 16> to_bytes(net::Uint128 v) {
  std::array<uint8_t, 16> b{};
  for (int i = 15; i >= 0; --i) {
    b[static_cast<size_t>(i)] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return b;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Invalid UTF-8 from a log line must not make the insert fail: it is replaced, not thrown on.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json meta_json(const std::vector<parser::MetaItem>& meta) {
  json arr = json::array();
  for (const auto& m : meta)
    arr.push_back(json::array({m.key, m.value}));
  return arr;
}

std::vector<parser::MetaItem> meta_from(const json& arr) {
  std::vector<parser::MetaItem> out;
  if (!arr.is_array()) return out;
  for (const auto& kv : arr) {
    if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string()) {
      out.push_back({kv[0].get<std::string>(), kv[1].get<std::string>()});
    }
  }
  return out;
}

json parse_or_null(std::string_view text) {
  return json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

}  // namespace

Result<IpSpan> ip_span(std::string_view text) {
  auto cidr = net::Cidr::parse(text);
  if (!cidr) return cidr.error();
  return IpSpan{to_bytes(cidr->first()), to_bytes(cidr->last()), cidr->is_v4() ? 4 : 16};
}

std::optional<IpSpan> decision_span(std::string_view scope, std::string_view value) {
  if (!iequals(scope, "ip") && !iequals(scope, "range")) return std::nullopt;
  auto span = ip_span(value);
  if (!span) return std::nullopt;
  return std::move(span).value();
}

std::optional<IpSpan> source_span(const parser::Source& source) {
  for (const std::string* text : {&source.range, &source.ip}) {
    if (text->empty()) continue;
    if (auto span = ip_span(*text)) return std::move(span).value();
  }
  return decision_span(source.scope, source.value);
}

std::string truncate_utf8(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  // Back off continuation bytes (10xxxxxx) so that the cut lands on a sequence boundary.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return std::string(s.substr(0, n));
}

std::string encode_meta(const std::vector<parser::MetaItem>& meta) {
  std::vector<parser::MetaItem> cut;
  cut.reserve(meta.size());
  for (const auto& m : meta) {
    cut.push_back({truncate_utf8(m.key, kMetaKeyMax), truncate_utf8(m.value, kMetaValueMax)});
  }
  return dump(meta_json(cut));
}

std::string encode_events(const std::vector<parser::AlertEvent>& events) {
  json arr = json::array();
  for (const auto& e : events) {
    json meta = meta_json(e.meta);
    if (dump(meta).size() > kEventMetaMax) {
      std::vector<parser::MetaItem> stripped = e.meta;
      for (auto& m : stripped) {
        if (m.value.size() > kEventValueCut) {
          m.value = truncate_utf8(m.value, kEventValueCut) + "<stripped>";
        }
      }
      meta = meta_json(stripped);
      if (dump(meta).size() > kEventMetaMax) meta = json::array();
    }
    arr.push_back(json::array({e.timestamp, std::move(meta)}));
  }
  return dump(arr);
}

std::string encode_labels(const std::vector<std::string>& labels) {
  return dump(json(labels));
}

std::vector<parser::MetaItem> decode_meta(std::string_view text) {
  return meta_from(parse_or_null(text));
}

std::vector<parser::AlertEvent> decode_events(std::string_view text) {
  std::vector<parser::AlertEvent> out;
  json arr = parse_or_null(text);
  if (!arr.is_array()) return out;
  for (const auto& e : arr) {
    if (!e.is_array() || e.size() != 2 || !e[0].is_string()) continue;
    out.push_back({e[0].get<std::string>(), meta_from(e[1])});
  }
  return out;
}

std::vector<std::string> decode_labels(std::string_view text) {
  std::vector<std::string> out;
  json arr = parse_or_null(text);
  if (!arr.is_array()) return out;
  for (const auto& l : arr) {
    if (l.is_string()) out.push_back(l.get<std::string>());
  }
  return out;
}

}  // namespace phalanx::storage

// SPDX-License-Identifier: Apache-2.0
#include "bouncer/decision.h"

#include <fmt/format.h>
#include <strings.h>

#include <nlohmann/json.hpp>

namespace phalanx::bouncer {
namespace {

using nlohmann::json;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string string_field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<Decision> parse_decision(const json& obj) {
  if (!obj.is_object()) return Error("not an object");
  Decision d;
  if (auto it = obj.find("id"); it != obj.end() && it->is_number_integer())
    d.id = it->get<int64_t>();
  d.origin = string_field(obj, "origin");
  d.scenario = string_field(obj, "scenario");
  d.scope = string_field(obj, "scope");
  d.type = string_field(obj, "type");
  d.value = string_field(obj, "value");
  d.uuid = string_field(obj, "uuid");
  auto duration = parse_go_duration(string_field(obj, "duration"));
  if (!duration) return duration.error().context("duration");
  d.duration = *duration;
  auto target = decision_target(d.scope, d.value);
  if (!target) return target.error().context("value");
  d.target = *target;
  return d;
}

Result<std::vector<Decision>> parse_list(const json& root, const char* key) {
  std::vector<Decision> out;
  auto it = root.find(key);
  if (it == root.end() || it->is_null()) return out;
  if (!it->is_array()) return Error(fmt::format("{}: expected an array or null", key));
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const json& item = (*it)[i];
    auto d = parse_decision(item);
    if (!d) {
      const auto id = item.is_object() && item.contains("id") ? item["id"].dump() : "?";
      return d.error().context(fmt::format("{}[{}] (id {})", key, i, id));
    }
    out.push_back(std::move(*d));
  }
  return out;
}

}  // namespace

Result<std::optional<net::Cidr>> decision_target(std::string_view scope, std::string_view value) {
  if (iequals(scope, "ip")) {
    auto addr = net::IpAddress::parse(value);
    if (!addr) return addr.error();
    return std::optional<net::Cidr>(net::Cidr::host(*addr));
  }
  if (iequals(scope, "range")) {
    auto cidr = net::Cidr::parse(value);
    if (!cidr) return cidr.error();
    return std::optional<net::Cidr>(*cidr);
  }
  return std::optional<net::Cidr>();
}

Result<StreamResponse> parse_stream_response(std::string_view body) {
  json root = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Error("parsing decision stream: invalid JSON");
  if (!root.is_object()) return Error("parsing decision stream: expected a JSON object");
  StreamResponse out;
  auto added = parse_list(root, "new");
  if (!added) return added.error().context("parsing decision stream");
  auto deleted = parse_list(root, "deleted");
  if (!deleted) return deleted.error().context("parsing decision stream");
  out.added = std::move(*added);
  out.deleted = std::move(*deleted);
  return out;
}

}  // namespace phalanx::bouncer

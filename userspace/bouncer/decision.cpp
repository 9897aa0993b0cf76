// SPDX-License-Identifier: Apache-2.0
#include "bouncer/decision.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <strings.h>

namespace phalanx::bouncer {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// A million-decision body is ~150 MB. nlohmann's DOM took 3.6 s for it here and its SAX
// interface no less, both bound by its lexer; simdjson parses it in a fraction of that.
std::string_view string_field(const simdjson::dom::object& obj, std::string_view key) {
  std::string_view out;
  if (obj[key].get(out) != simdjson::SUCCESS) return {};
  return out;
}

std::string id_text(const simdjson::dom::element& item) {
  simdjson::dom::object obj;
  int64_t id = 0;
  if (item.get(obj) == simdjson::SUCCESS && obj["id"].get(id) == simdjson::SUCCESS)
    return std::to_string(id);
  return "?";
}

Result<Decision> parse_decision(const simdjson::dom::element& item) {
  simdjson::dom::object obj;
  if (item.get(obj) != simdjson::SUCCESS) return Error("not an object");
  Decision d;
  int64_t id = 0;
  if (obj["id"].get(id) == simdjson::SUCCESS) d.id = id;
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
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(body);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS)
    return Error("parsing decision stream: invalid JSON");
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS)
    return Error("parsing decision stream: expected a JSON object");
  StreamResponse out;
  const std::pair<const char*, std::vector<Decision>*> lists[] = {{"new", &out.added},
                                                                  {"deleted", &out.deleted}};
  for (const auto& [key, list] : lists) {
    simdjson::dom::element value;
    if (obj[key].get(value) != simdjson::SUCCESS || value.is_null()) continue;
    simdjson::dom::array items;
    if (value.get(items) != simdjson::SUCCESS)
      return Error(fmt::format("parsing decision stream: {}: expected an array or null", key));
    list->reserve(items.size());
    size_t i = 0;
    for (simdjson::dom::element item : items) {
      auto d = parse_decision(item);
      if (!d) {
        out.rejected.push_back(
            d.error().context(fmt::format("{}[{}] (id {})", key, i, id_text(item))).message());
      } else {
        list->push_back(std::move(*d));
      }
      ++i;
    }
  }
  return out;
}

}  // namespace phalanx::bouncer

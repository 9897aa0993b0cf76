// SPDX-License-Identifier: Apache-2.0
// /v1/allowlists, /v1/allowlists/:name, /v1/allowlists/check/:ip_or_range and POST
// /v1/allowlists/check (spec §1.3): centralised allowlists, read by machines (JWT). Lists are
// written by `phalanx allowlists` straight into the store.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "lapi/lapi_state.h"

namespace phalanx::lapi {
namespace {

using nlohmann::json;

// The wire's date-time: RFC 3339 in UTC with milliseconds ("2006-01-02T15:04:05.000Z"); a
// missing time is the zero time, as the reference serialises it.
std::string date_time(std::optional<TimePoint> t) {
  if (!t) return "0001-01-01T00:00:00.000Z";
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(*t);
  const auto secs = std::chrono::floor<std::chrono::seconds>(ms);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", secs, (ms - secs).count());
}

json list_json(const storage::Allowlist& l, bool with_content, TimePoint now) {
  json items = json::array();
  if (with_content) {
    for (const auto& i : l.items) {
      if (i.expires_at && *i.expires_at <= now) continue;
      json item = {{"created_at", date_time(i.created_at)},
                   {"expiration", date_time(i.expires_at)},
                   {"value", i.value}};
      if (!i.description.empty()) item["description"] = i.description;
      items.push_back(std::move(item));
    }
  }
  json out = {{"name", l.name},
              {"created_at", date_time(l.created_at)},
              {"updated_at", date_time(l.updated_at)},
              {"items", std::move(items)}};
  if (!l.allowlist_id.empty()) out["allowlist_id"] = l.allowlist_id;
  if (l.console_managed) out["console_managed"] = true;
  if (!l.description.empty()) out["description"] = l.description;
  return out;
}

bool with_content(const Request& req) {
  for (const auto& [k, v] : req.query)
    if (k == "with_content") return v == "true";
  return false;
}

}  // namespace

std::shared_ptr<const AllowlistMatcher> allowlists(Lapi::State& s, bool fresh) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(s.allowlist_mu);
    if (!fresh && s.allowlists && now - s.allowlists_loaded < kAllowlistRefresh)
      return s.allowlists;
  }
  auto lists = s.store.list_allowlists(true);
  std::lock_guard lock(s.allowlist_mu);
  if (!lists) {
    // Keep serving what was read last; the next call tries again.
    logger()->warn("reading the allowlists: {}", lists.error().message());
    if (!s.allowlists) s.allowlists = std::make_shared<const AllowlistMatcher>();
    return s.allowlists;
  }
  s.allowlists = std::make_shared<const AllowlistMatcher>(*lists);
  s.allowlists_loaded = now;
  return s.allowlists;
}

Reply get_allowlists(Lapi::State& s, Request& req) {
  Response err;
  if (!auth_machine(s, req, err)) return with_response(std::move(err));
  const bool content = with_content(req);
  auto lists = s.store.list_allowlists(content);
  if (!lists) return with_response(message(500, lists.error().message()));
  const TimePoint now = s.clock.now();
  json out = json::array();
  for (const auto& l : *lists)
    out.push_back(list_json(l, content, now));
  return with_response(json_response(200, out.dump()));
}

Reply get_allowlist(Lapi::State& s, Request& req, std::string_view name) {
  Response err;
  if (!auth_machine(s, req, err)) return with_response(std::move(err));
  const bool content = with_content(req);
  auto list = s.store.get_allowlist(name, content);
  if (!list) return with_response(message(500, list.error().message()));
  if (!*list) return with_response(message(404, fmt::format("allowlist '{}' not found", name)));
  return with_response(json_response(200, list_json(**list, content, s.clock.now()).dump()));
}

Reply check_allowlist(Lapi::State& s, Request& req, std::string_view value) {
  Response err;
  if (!auth_machine(s, req, err)) return with_response(std::move(err));
  auto cidr = net::Cidr::parse(value);
  if (!cidr) return with_response(message(400, fmt::format("invalid ip or range '{}'", value)));
  const auto reasons = allowlists(s, /*fresh=*/true)->reasons(*cidr, s.clock.now());
  // HEAD answers with the status alone: 200 allowlisted, 204 not.
  if (req.method == "HEAD") return with_response(empty(reasons.empty() ? 204 : 200));
  json out = json::object();
  if (!reasons.empty()) {
    std::string joined;
    for (const auto& r : reasons)
      joined += (joined.empty() ? "" : ", ") + r;
    out = {{"allowlisted", true}, {"reason", joined}};
  }
  return with_response(json_response(200, out.dump()));
}

Reply check_allowlist_bulk(Lapi::State& s, Request& req) {
  Response err;
  if (!auth_machine(s, req, err)) return with_response(std::move(err));
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("targets") || !body["targets"].is_array())
    return with_response(message(400, "invalid request body: expected {\"targets\": [...]}"));
  if (body["targets"].empty()) return with_response(message(400, "targets list cannot be empty"));
  const auto matcher = allowlists(s, /*fresh=*/true);
  const TimePoint now = s.clock.now();
  json results = json::array();
  for (const auto& t : body["targets"]) {
    if (!t.is_string()) return with_response(message(400, "targets must be strings"));
    const std::string target = t.get<std::string>();
    auto cidr = net::Cidr::parse(target);
    if (!cidr) return with_response(message(400, fmt::format("invalid ip or range '{}'", target)));
    auto reasons = matcher->reasons(*cidr, now);
    if (!reasons.empty()) results.push_back({{"target", target}, {"allowlists", reasons}});
  }
  return with_response(json_response(200, json{{"results", std::move(results)}}.dump()));
}

}  // namespace phalanx::lapi

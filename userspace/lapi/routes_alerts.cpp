// SPDX-License-Identifier: Apache-2.0
// /v1/alerts and /v1/alerts/:id (spec §1.3, §1.6).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/uuid.h"
#include "lapi/alert_json.h"
#include "lapi/lapi_state.h"
#include "lapi/profile_hook.h"

namespace phalanx::lapi {
namespace {

std::optional<int64_t> to_int(std::string_view s) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Drops decisions the allow list refuses (logged and counted).
void apply_allow_list(Lapi::State& s, const profiles::AllowList* allow, storage::Alert& a) {
  if (allow == nullptr) return;
  std::erase_if(a.decisions, [&](const storage::Decision& d) {
    const std::string why = allow_list_refusal(*allow, d.scope, d.value);
    if (why.empty()) return false;
    logger()->warn("decision {} on {} {} from scenario {} refused: {}", d.type, d.scope, d.value,
                   d.scenario, why);
    s.metrics.allowlist_refusal();
    return true;
  });
}

// Alerts without decisions whose Ip or Range source a centralised allowlist covers are not
// stored (logged and counted); alerts that carry decisions (an admin's) are kept.
void skip_allowlisted(Lapi::State& s, std::vector<storage::Alert>& alerts, TimePoint now) {
  std::shared_ptr<const AllowlistMatcher> matcher;
  std::erase_if(alerts, [&](const storage::Alert& a) {
    if (!a.decisions.empty()) return false;
    const std::string scope = normalize_scope(a.source.scope);
    if (scope != "Ip" && scope != "Range") return false;
    auto cidr = net::Cidr::parse(a.source.value);
    if (!cidr) return false;
    if (!matcher) matcher = allowlists(s, /*fresh=*/false);
    if (matcher->empty()) return false;
    const auto reasons = matcher->reasons(*cidr, now);
    if (reasons.empty()) return false;
    logger()->info("alert {} on {} {} not stored: allowlisted ({})", a.scenario, scope,
                   a.source.value, reasons.front());
    s.metrics.allowlisted_alert();
    return true;
  });
}

void touch_last_push(Lapi::State& s, const std::string& machine_id, TimePoint now) {
  const auto steady_now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(s.pull_mu);
    auto& last = s.last_push_written[machine_id];
    if (last.time_since_epoch().count() != 0 && steady_now - last < std::chrono::seconds(60))
      return;
    last = steady_now;
  }
  auto m = s.store.get_machine(machine_id);
  if (!m || !*m) return;
  (*m)->last_push = now;
  (*m)->updated_at = now;
  if (auto up = s.store.update_machine(**m); !up)
    logger()->warn("machine {}: writing last_push: {}", machine_id, up.error().message());
}

}  // namespace

namespace {

// What POST /v1/alerts does before the store: allowlisted alerts out, then for each alert its
// owner, creation time, uuid, the profiles' decisions (unless it brought its own) and the
// allow list's refusals.
Result<void> prepare_alerts(Lapi::State& s, const std::string& machine_id,
                            std::vector<storage::Alert>& alerts, TimePoint now) {
  const auto policy = s.policy();
  skip_allowlisted(s, alerts, now);
  for (auto& a : alerts) {
    a.machine_id = machine_id;
    a.created_at = now;
    a.uuid = uuid_v4();
    if (a.kind.empty()) a.kind = "crowdsec";
    if (a.decisions.empty()) {
      PHALANX_TRY(a.decisions, run_profiles(s, policy->profiles.get(), a, now));
    }
    for (auto& d : a.decisions) {
      d.created_at = now;
      if (d.uuid.empty()) d.uuid = uuid_v4();
      if (a.simulated) d.simulated = true;
    }
    apply_allow_list(s, policy->allow_list.get(), a);
  }
  return {};
}

Response created(const std::vector<int64_t>& ids) {
  std::string body = "[";
  for (size_t i = 0; i < ids.size(); ++i)
    body += fmt::format(R"({}"{}")", i == 0 ? "" : ",", ids[i]);
  body += "]";
  return json_response(201, std::move(body));
}

// How long a POST waits for the writer before it is answered 503; far beyond the store's own
// busy timeout, so it only fires when the store hangs.
constexpr auto kWriteWait = std::chrono::minutes(2);

}  // namespace

void index_stored(Lapi::State& s, std::span<const storage::Alert> alerts) {
  std::vector<storage::Decision> decisions;
  for (const auto& a : alerts)
    decisions.insert(decisions.end(), a.decisions.begin(), a.decisions.end());
  if (decisions.empty()) return;
  s.index.apply(decisions);
  // Every writer takes revs from one counter and commits in rev order (sql_store.h), so when
  // these rows are exactly the revs right after synced_rev, every row up to the last of them is
  // in the index now and sync() need not read them back. Otherwise another writer's rows may lie
  // in between, and sync() reads from synced_rev as before.
  int64_t lo = decisions.front().rev;
  int64_t hi = lo;
  for (const auto& d : decisions) {
    lo = std::min(lo, d.rev);
    hi = std::max(hi, d.rev);
  }
  std::lock_guard lock(s.sync_mu);
  if (lo == s.synced_rev + 1 && hi - lo + 1 == static_cast<int64_t>(decisions.size()))
    s.synced_rev = hi;
}

Result<std::vector<int64_t>> ingest_alerts(Lapi::State& s, const std::string& machine_id,
                                           std::vector<storage::Alert>& alerts) {
  const TimePoint now = s.clock.now();
  PHALANX_CHECK(prepare_alerts(s, machine_id, alerts, now));
  if (alerts.empty()) return std::vector<int64_t>{};
  PHALANX_TRY(auto ids, s.store.insert_alerts(alerts));
  index_stored(s, alerts);
  touch_last_push(s, machine_id, now);
  return ids;
}

Reply post_alerts(Lapi::State& s, Request& req) {
  Response err;
  auto who = auth_machine(s, req, err);
  if (!who) return with_response(std::move(err));
  AlertsError why;
  auto alerts = parse_alerts(req.body, why);
  if (!alerts) return with_response(message(why.status, why.message));
  const TimePoint now = s.clock.now();
  if (auto ok = prepare_alerts(s, who->name, *alerts, now); !ok)
    return with_response(message(500, ok.error().message()));
  if (alerts->empty()) return with_response(created({}));

  // The writer thread stores the call (with whatever else is queued) and answers through a
  // held reply, as a long poll is answered: this HTTP thread goes back to other requests.
  struct Outcome {
    std::mutex mu;
    std::optional<Response> response;
    std::function<void()> wake;
  };
  auto outcome = std::make_shared<Outcome>();
  s.writer.submit(std::move(*alerts),
                  [&s, outcome, machine = who->name, now](Result<std::vector<int64_t>> ids) {
                    if (ids) touch_last_push(s, machine, now);
                    std::function<void()> wake;
                    {
                      std::lock_guard lock(outcome->mu);
                      outcome->response = ids ? created(*ids) : message(500, ids.error().message());
                      wake = std::move(outcome->wake);
                    }
                    if (wake) wake();
                  });
  Reply reply;
  reply.deadline = std::chrono::steady_clock::now() + kWriteWait;
  reply.subscribe = [outcome](std::function<void()> wake) -> uint64_t {
    {
      std::lock_guard lock(outcome->mu);
      if (!outcome->response) {
        outcome->wake = std::move(wake);
        return 1;
      }
    }
    wake();
    return 1;
  };
  reply.unsubscribe = [outcome](uint64_t) {
    std::lock_guard lock(outcome->mu);
    outcome->wake = nullptr;
  };
  reply.poll = [outcome, machine = who->name](bool final) -> std::optional<Response> {
    std::lock_guard lock(outcome->mu);
    if (outcome->response) return std::move(*outcome->response);
    if (!final) return std::nullopt;
    logger()->error("alerts from {}: the store has not answered in {} s", machine,
                    std::chrono::duration_cast<std::chrono::seconds>(kWriteWait).count());
    return message(503, "the store did not answer in time; the alerts may still be stored");
  };
  return reply;
}

namespace {

// GET/DELETE /v1/alerts filters (spec §1.6). Unknown keys are CrowdSec's 500.
Result<storage::AlertFilter> alert_filter(const Request& req, TimePoint now) {
  storage::AlertFilter f;
  const auto ago = [&](const std::string& k, const std::string& v) -> Result<TimePoint> {
    auto d = parse_go_duration(v, true);
    if (!d) return Error(fmt::format("while parsing duration of '{}': {}", k, d.error().message()));
    return now - *d;
  };
  const auto boolean = [](const std::string& v) { return v == "true" || v == "1"; };
  for (const auto& [k, v] : req.query) {
    if (k == "scope") {
      f.scope = normalize_scope(v);
    } else if (k == "value") {
      f.value = v;
    } else if (k == "scenario") {
      f.scenario = v;
    } else if (k == "ip") {
      if (!net::IpAddress::parse(v))
        return Error(fmt::format("unable to convert '{}' to int: invalid ip address", v));
      f.ip = v;
    } else if (k == "range") {
      if (!net::Cidr::parse(v))
        return Error(fmt::format("unable to convert '{}' to int: invalid range", v));
      f.range = v;
    } else if (k == "contains") {
      f.contains = v != "false";
    } else if (k == "since") {
      PHALANX_TRY(f.since, ago(k, v));
    } else if (k == "until" || k == "created_before") {
      PHALANX_TRY(f.until, ago(k, v));
    } else if (k == "decision_type") {
      f.decision_type = v;
    } else if (k == "origin") {
      f.origin = v;
    } else if (k == "include_capi") {
      f.include_capi = boolean(v);
    } else if (k == "has_active_decision") {
      f.has_active_decision = boolean(v);
    } else if (k == "kind") {
      f.kind = v;
    } else if (k == "limit") {
      const auto n = to_int(v);
      if (!n || *n < 0) return Error(fmt::format("limit: '{}' is not a valid number", v));
      f.limit = *n;
    } else if (k == "sort") {
      f.ascending = v == "ASC";
    } else if (k == "simulated") {
      f.simulated = boolean(v);
    } else if (k == "with_decisions") {
      f.with_decisions = boolean(v);
    } else {
      return Error(fmt::format("Filter parameter '{}' is unknown (={}): invalid filter", k, v));
    }
  }
  return f;
}

std::vector<int64_t> decision_ids(const std::vector<storage::Alert>& alerts) {
  std::vector<int64_t> ids;
  for (const auto& a : alerts)
    for (const auto& d : a.decisions)
      ids.push_back(d.id);
  return ids;
}

}  // namespace

Reply get_alerts(Lapi::State& s, Request& req) {
  Response err;
  if (!auth_machine(s, req, err)) return with_response(std::move(err));
  const TimePoint now = s.clock.now();
  auto filter = alert_filter(req, now);
  if (!filter) return with_response(message(500, filter.error().message()));
  if (req.method == "HEAD") return with_response(json_response(200, ""));
  auto alerts = s.store.query_alerts(*filter, now);
  if (!alerts) return with_response(message(500, alerts.error().message()));
  if (alerts->empty()) return with_response(json_response(200, "null"));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : *alerts)
    out.push_back(alert_row_to_json(a, now));
  return with_response(json_response(200, out.dump()));
}

Reply get_alert(Lapi::State& s, Request& req, std::string_view id_text) {
  Response err;
  if (!auth_machine(s, req, err)) return with_response(std::move(err));
  const auto id = to_int(id_text);
  if (!id) return with_response(message(400, "alert_id must be valid integer"));
  auto alert = s.store.get_alert(*id);
  if (!alert) return with_response(message(500, alert.error().message()));
  if (!*alert) return with_response(message(404, "object not found"));
  if (req.method == "HEAD") return with_response(json_response(200, ""));
  return with_response(json_response(200, alert_row_to_json(**alert, s.clock.now()).dump()));
}

Reply delete_alerts(Lapi::State& s, Request& req) {
  Response err;
  if (!auth_machine(s, req, err)) return with_response(std::move(err));
  if (!is_trusted(s, req)) {
    return with_response(
        message(403, fmt::format("access forbidden from this IP ({})", req.remote_ip)));
  }
  const TimePoint now = s.clock.now();
  auto filter = alert_filter(req, now);
  if (!filter) return with_response(message(500, filter.error().message()));
  // The alerts' decisions are expired first, so bouncers get them in `deleted`; then the rows
  // go.
  storage::AlertFilter all = *filter;
  all.limit = 0;
  all.with_decisions = true;
  auto doomed = s.store.query_alerts(all, now);
  if (!doomed) return with_response(message(500, doomed.error().message()));
  const auto ids = decision_ids(*doomed);
  if (auto n = expire_decisions(s, ids); !n)
    return with_response(message(500, n.error().message()));
  auto n = s.store.delete_alerts(*filter, now);
  if (!n) return with_response(message(500, n.error().message()));
  return with_response(json_response(200, fmt::format(R"({{"nbDeleted":"{}"}})", *n)));
}

Reply delete_alert(Lapi::State& s, Request& req, std::string_view id_text) {
  Response err;
  if (!auth_machine(s, req, err)) return with_response(std::move(err));
  if (!is_trusted(s, req)) {
    return with_response(
        message(403, fmt::format("access forbidden from this IP ({})", req.remote_ip)));
  }
  const auto id = to_int(id_text);
  if (!id) return with_response(message(400, "alert_id must be valid integer"));
  auto alert = s.store.get_alert(*id);
  if (!alert) return with_response(message(500, alert.error().message()));
  if (!*alert) return with_response(message(404, "object not found"));
  std::vector<storage::Alert> one{**alert};
  const auto ids = decision_ids(one);
  if (auto n = expire_decisions(s, ids); !n)
    return with_response(message(500, n.error().message()));
  storage::AlertFilter f;
  f.id = *id;
  f.limit = 0;
  auto n = s.store.delete_alerts(f, s.clock.now());
  if (!n) return with_response(message(500, n.error().message()));
  return with_response(json_response(200, fmt::format(R"({{"nbDeleted":"{}"}})", *n)));
}

}  // namespace phalanx::lapi

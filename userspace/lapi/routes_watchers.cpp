// SPDX-License-Identifier: Apache-2.0
// Machines (/v1/watchers, login, refresh_token, heartbeat, watchers/self) and
// /v1/usage-metrics (spec §1.2, §1.3).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "lapi/decision_json.h"
#include "lapi/lapi_state.h"

namespace phalanx::lapi {
namespace {

using nlohmann::json;

bool ou_allowed(const PeerCert& peer, const std::vector<std::string>& allowed) {
  for (const auto& ou : peer.organizational_units)
    if (std::find(allowed.begin(), allowed.end(), ou) != allowed.end()) return true;
  return false;
}

Response token_response(Lapi::State& s, const std::string& machine_id) {
  const TimePoint now = s.clock.now();
  JwtClaims claims;
  claims.machine_id = machine_id;
  claims.issued = std::chrono::floor<std::chrono::seconds>(now);
  claims.expires = claims.issued + s.options.token_lifetime;
  const json body = {{"code", 200},
                     {"expire", format_time_rfc3339(claims.expires)},
                     {"token", s.jwt.sign(claims)}};
  return json_response(200, body.dump());
}

std::string join_scenarios(const json& list) {
  std::string out;
  for (const auto& item : list) {
    if (!item.is_string()) continue;
    if (!out.empty()) out += ',';
    out += item.get<std::string>();
  }
  return out;
}

// The machine a TLS agent certificate stands for ("<CN>@<ip>"), created validated on first use.
Result<storage::Machine> tls_machine(Lapi::State& s, const Request& req) {
  const PeerCert& peer = *req.peer;
  if (!peer.verified || !ou_allowed(peer, s.options.agents_allowed_ou))
    return Error("access forbidden");
  const std::string id = peer.common_name + "@" + req.remote_ip;
  PHALANX_TRY(auto existing, s.store.get_machine(id));
  if (existing) {
    if (existing->auth_type != "tls") return Error("machine " + id + " uses another auth type");
    return *existing;
  }
  storage::Machine m;
  m.machine_id = id;
  m.ip_address = req.remote_ip;
  m.auth_type = "tls";
  m.is_validated = true;
  m.created_at = m.updated_at = s.clock.now();
  PHALANX_CHECK(s.store.add_machine(m));
  return m;
}

}  // namespace

Reply register_watcher(Lapi::State& s, Request& req) {
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return with_response(message(400, "invalid JSON body"));
  std::vector<std::string> missing;
  for (const char* key : {"machine_id", "password"}) {
    if (!body.contains(key) || !body[key].is_string() || body[key].get<std::string>().empty())
      missing.push_back(fmt::format("{} in body is required", key));
  }
  if (!missing.empty()) {
    std::string msg = "validation failure list:";
    for (const auto& m : missing)
      msg += "\n" + m;
    return with_response(message(422, msg));
  }
  bool validated = false;
  if (body.contains("registration_token") && req.unix_socket) {
    // A socket client has no address to check against the allowed ranges. As in CrowdSec, the
    // token is then not used: the machine is created unvalidated and waits for
    // `phalanx machines validate`.
    logger()->warn(
        "machine registering over the Unix socket: its registration token is not "
        "used (no address to check); validate it with `phalanx machines validate`");
  } else if (body.contains("registration_token")) {
    const json& token = body["registration_token"];
    if (!token.is_string() || s.options.registration_token.empty() ||
        token.get<std::string>() != s.options.registration_token)
      return with_response(message(401, "invalid registration token"));
    const auto addr = net::IpAddress::parse(req.remote_ip);
    bool allowed = false;
    for (const auto& c : s.options.registration_ranges)
      allowed = allowed || (addr && c.contains(*addr));
    if (!allowed) return with_response(message(401, "IP not in the allowed registration ranges"));
    validated = true;
  }
  storage::Machine m;
  m.machine_id = body["machine_id"].get<std::string>();
  m.password_hash =
      hash_password(body["password"].get<std::string>(), s.options.password_iterations);
  m.ip_address = req.remote_ip;
  m.is_validated = validated;
  m.created_at = m.updated_at = s.clock.now();
  if (auto ua = split_user_agent(req)) m.version = ua->second;
  auto existing = s.store.get_machine(m.machine_id);
  if (!existing) return with_response(message(500, existing.error().message()));
  if (*existing) return with_response(message(403, "user already exist"));
  if (auto added = s.store.add_machine(m); !added)
    return with_response(message(403, "user already exist"));
  return with_response(empty(validated ? 202 : 201));
}

Reply login_watcher(Lapi::State& s, Request& req) {
  const TimePoint now = s.clock.now();
  if (!s.limiter.allowed(req.remote_ip, now)) {
    s.metrics.login_failure(true);
    return with_response(jwt_error(429, "too many failed logins from this address, retry later"));
  }
  const auto ua = split_user_agent(req);
  if (!ua) return with_response(jwt_error(401, "incorrect Username or Password"));
  const json body = json::parse(req.body.empty() ? std::string("{}") : req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return with_response(jwt_error(401, "missing: invalid JSON body"));
  const auto fail = [&](std::string_view why) {
    s.limiter.failed(req.remote_ip, now);
    s.metrics.login_failure(false);
    return with_response(jwt_error(401, why));
  };

  storage::Machine machine;
  if (req.peer) {
    auto m = tls_machine(s, req);
    if (!m) return fail(m.error().message());
    machine = std::move(*m);
  } else {
    std::vector<std::string> missing;
    for (const char* key : {"machine_id", "password"}) {
      if (!body.contains(key) || !body[key].is_string())
        missing.push_back(fmt::format("{} in body is required", key));
    }
    if (!missing.empty()) {
      std::string msg = "validation failure list:";
      for (const auto& m : missing)
        msg += "\n" + m;
      return with_response(jwt_error(401, msg));
    }
    const std::string id = body["machine_id"].get<std::string>();
    auto found = s.store.get_machine(id);
    if (!found) return with_response(jwt_error(500, found.error().message()));
    if (!*found) return fail("ent: machine not found");
    if ((*found)->auth_type != "password" ||
        !verify_password(body["password"].get<std::string>(), (*found)->password_hash))
      return fail("incorrect Username or Password");
    machine = std::move(**found);
  }
  if (!machine.is_validated) return fail("machine " + machine.machine_id + " not validated");

  if (body.contains("scenarios") && body["scenarios"].is_array() && !body["scenarios"].empty())
    machine.scenarios = join_scenarios(body["scenarios"]);
  machine.ip_address = req.remote_ip;
  machine.version = ua->second;
  machine.updated_at = now;
  if (auto up = s.store.update_machine(machine); !up)
    logger()->warn("machine {}: {}", machine.machine_id, up.error().message());
  return with_response(token_response(s, machine.machine_id));
}

Reply refresh_token(Lapi::State& s, Request& req) {
  Response err;
  auto who = auth_machine(s, req, err);
  if (!who) return with_response(std::move(err));
  return with_response(token_response(s, who->name));
}

Reply heartbeat(Lapi::State& s, Request& req) {
  Response err;
  auto who = auth_machine(s, req, err);
  if (!who) return with_response(std::move(err));
  auto m = s.store.get_machine(who->name);
  if (!m) return with_response(message(500, m.error().message()));
  if (*m) {
    (*m)->last_heartbeat = s.clock.now();
    if (auto up = s.store.update_machine(**m); !up)
      return with_response(message(500, up.error().message()));
  }
  return with_response(empty(200));
}

Reply delete_self(Lapi::State& s, Request& req) {
  Response err;
  auto who = auth_machine(s, req, err);
  if (!who) return with_response(std::move(err));
  auto removed = s.store.delete_machine(who->name);
  if (!removed) return with_response(message(500, removed.error().message()));
  {
    std::lock_guard lock(s.cache_mu);
    s.machine_cache.erase(who->name);
  }
  return with_response(empty(204));
}

Reply usage_metrics(Lapi::State& s, Request& req) {
  // Who is calling (spec §1.2): X-Api-Key means a bouncer, Authorization a machine; with
  // neither, a crowdsec/ User-Agent means a TLS agent, anything else a bouncer.
  const std::string* ua = req.header("user-agent");
  bool machine = req.header("authorization") != nullptr;
  if (req.header("x-api-key") == nullptr && !machine && ua != nullptr &&
      ua->rfind("crowdsec/", 0) == 0)
    machine = true;
  if (req.header("x-api-key") != nullptr) machine = false;
  Response err;
  if (machine ? !auth_machine(s, req, err) : !auth_bouncer(s, req, err))
    return with_response(std::move(err));

  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return with_response(message(400, "invalid JSON body"));
  const auto list = [&](const char* key) -> const json* {
    const auto it = body.find(key);
    return it == body.end() || it->is_null() ? nullptr : &*it;
  };
  const json* rc = list("remediation_components");
  const json* lp = list("log_processors");
  if ((rc != nullptr && !rc->is_array()) || (lp != nullptr && !lp->is_array()))
    return with_response(message(422, "remediation_components and log_processors must be arrays"));
  const size_t n_rc = rc != nullptr ? rc->size() : 0, n_lp = lp != nullptr ? lp->size() : 0;
  if (n_rc > 0 && n_lp > 0)
    return with_response(
        message(400, "both remediation_components and log_processors are present"));
  if (n_rc + n_lp == 0)
    return with_response(message(400, "missing remediation component or log processor data"));
  if (n_rc + n_lp > 1)
    return with_response(
        message(400, "only one remediation component or log processor is allowed"));
  if ((machine && n_lp == 0) || (!machine && n_rc == 0))
    return with_response(message(400, "the metrics kind does not match the caller"));
  const json& item = n_rc > 0 ? (*rc)[0] : (*lp)[0];
  if (!item.is_object()) return with_response(message(422, "0 in body must be of type object"));
  if (!item.contains("version") || !item["version"].is_string())
    return with_response(message(422, "validation failure list:\n0.version in body is required"));
  if (item.contains("utc_startup_timestamp") && !item["utc_startup_timestamp"].is_number_integer())
    return with_response(message(422, "0.utc_startup_timestamp in body must be of type integer"));
  if (item.contains("metrics") && !item["metrics"].is_null() && !item["metrics"].is_array())
    return with_response(message(422, "0.metrics in body must be of type array"));
  return with_response(empty(201));
}

}  // namespace phalanx::lapi

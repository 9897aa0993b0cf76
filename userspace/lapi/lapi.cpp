// SPDX-License-Identifier: Apache-2.0
// The router, authentication and the index's upkeep. Route bodies are in routes_*.cpp.
#include "lapi/lapi.h"

#include <fmt/format.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "lapi/decision_json.h"
#include "lapi/lapi_state.h"

namespace phalanx::lapi {
namespace {

constexpr size_t kUnauthenticatedLimit = 2 * 1024 * 1024;
constexpr size_t kAuthenticatedLimit = 50 * 1024 * 1024;

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

struct Route {
  std::string_view pattern;  // metrics label
  std::string_view param;    // the :id part, when the pattern has one
};

// Matches a path to its route pattern; empty pattern: unknown path (404).
Route match(std::string_view path) {
  static constexpr std::string_view kExact[] = {"/health",
                                                "/metrics",
                                                "/v1/decisions",
                                                "/v1/decisions/stream",
                                                "/v1/watchers",
                                                "/v1/watchers/login",
                                                "/v1/watchers/self",
                                                "/v1/refresh_token",
                                                "/v1/heartbeat",
                                                "/v1/alerts",
                                                "/v1/usage-metrics",
                                                "/v1/allowlists",
                                                "/v1/allowlists/check"};
  for (auto p : kExact)
    if (path == p) return {p, {}};
  if (starts_with(path, "/v1/decisions/") && path.size() > 14 &&
      path.find('/', 14) == std::string_view::npos)
    return {"/v1/decisions/:id", path.substr(14)};
  if (starts_with(path, "/v1/alerts/") && path.size() > 11 &&
      path.find('/', 11) == std::string_view::npos)
    return {"/v1/alerts/:id", path.substr(11)};
  // The value is a range as often as an address: its '/' arrives encoded (%2F) or not.
  if (starts_with(path, "/v1/allowlists/check/") && path.size() > 21)
    return {"/v1/allowlists/check/:ip_or_range", path.substr(21)};
  if (starts_with(path, "/v1/allowlists/") && path.size() > 15 &&
      path.find('/', 15) == std::string_view::npos)
    return {"/v1/allowlists/:name", path.substr(15)};
  return {};
}

}  // namespace

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("lapi");
  return log;
}

Reply with_response(Response r) {
  Reply out;
  out.response = std::move(r);
  return out;
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response message(int status, std::string_view text) {
  return json_response(status, nlohmann::json{{"message", text}}.dump());
}

Response jwt_error(int status, std::string_view text) {
  return json_response(status, nlohmann::json{{"code", status}, {"message", text}}.dump());
}

Response empty(int status) {
  Response r;
  r.status = status;
  r.content_type.clear();
  return r;
}

std::optional<std::pair<std::string, std::string>> split_user_agent(const Request& req) {
  const std::string* ua = req.header("user-agent");
  if (ua == nullptr) return std::nullopt;
  const size_t slash = ua->find('/');
  if (slash == std::string::npos || ua->find('/', slash + 1) != std::string::npos)
    return std::nullopt;
  return std::make_pair(ua->substr(0, slash), ua->substr(slash + 1));
}

bool is_trusted(const Lapi::State& s, const Request& req) {
  // A client on the Unix socket is local: the socket file's mode decides who gets there.
  if (req.unix_socket) return true;
  const std::string& ip = req.remote_ip;
  const auto addr = net::IpAddress::parse(ip);
  if (!addr) return false;
  // CrowdSec trusts 127.0.0.1 and ::1 (not all of 127.0.0.0/8), plus trusted_ips.
  if (ip == "127.0.0.1" || ip == "::1") return true;
  for (const auto& c : s.options.trusted_ips)
    if (c.contains(*addr)) return true;
  return false;
}

namespace {

bool ou_allowed(const PeerCert& peer, const std::vector<std::string>& allowed) {
  for (const auto& ou : peer.organizational_units)
    if (std::find(allowed.begin(), allowed.end(), ou) != allowed.end()) return true;
  return false;
}

void bouncer_from_ua(const Request& req, storage::Bouncer& b) {
  if (auto ua = split_user_agent(req)) {
    b.type = ua->first;
    b.version = ua->second;
  } else {
    const std::string* raw = req.header("user-agent");
    b.type = raw != nullptr ? *raw : "";
    b.version = "N/A";
  }
}

// Finds or creates the bouncer a TLS client certificate stands for ("<CN>@<ip>").
std::optional<Principal> tls_bouncer(Lapi::State& s, const Request& req, Response& error) {
  const PeerCert& peer = *req.peer;
  if (!peer.verified || !ou_allowed(peer, s.options.bouncers_allowed_ou)) {
    error = message(403, "access forbidden");
    return std::nullopt;
  }
  const std::string name = peer.common_name + "@" + req.remote_ip;
  auto existing = s.store.get_bouncer(name);
  if (!existing) {
    error = message(500, existing.error().message());
    return std::nullopt;
  }
  if (*existing) {
    if ((*existing)->auth_type != "tls" || (*existing)->revoked) {
      error = message(403, "access forbidden");
      return std::nullopt;
    }
    return Principal{name};
  }
  storage::Bouncer b;
  b.name = name;
  b.ip_address = req.remote_ip;
  b.auth_type = "tls";
  b.created_at = b.updated_at = s.clock.now();
  bouncer_from_ua(req, b);
  if (auto added = s.store.add_bouncer(b); !added) {
    // Another request created it in between.
    logger()->debug("adding tls bouncer {}: {}", name, added.error().message());
  }
  return Principal{name};
}

}  // namespace

std::optional<Principal> auth_bouncer(Lapi::State& s, const Request& req, Response& error) {
  // With a client certificate, only the certificate counts (spec §1.2).
  if (req.peer) return tls_bouncer(s, req, error);
  const std::string* key = req.header("x-api-key");
  if (key == nullptr || key->empty()) {
    error = message(403, "access forbidden");
    return std::nullopt;
  }
  const std::string hash = hash_api_key(*key);
  const bool head = req.method == "HEAD";
  const std::string cache_key = hash + "|" + (head ? std::string() : req.remote_ip);
  const auto steady_now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(s.cache_mu);
    const auto it = s.bouncer_cache.find(cache_key);
    if (it != s.bouncer_cache.end() && it->second.expires > steady_now)
      return Principal{it->second.name};
  }
  auto rows = s.store.bouncers_by_key_hash(hash);
  if (!rows) {
    error = message(500, rows.error().message());
    return std::nullopt;
  }
  std::erase_if(*rows, [](const storage::Bouncer& b) { return b.revoked; });
  if (rows->empty()) {
    error = message(403, "access forbidden");
    return std::nullopt;
  }
  std::string name;
  if (head) {
    name = rows->front().name;  // HEAD: the key's validity only, no IP bookkeeping
  } else {
    const auto same_ip = std::find_if(rows->begin(), rows->end(), [&](const storage::Bouncer& b) {
      return b.ip_address == req.remote_ip;
    });
    if (same_ip != rows->end()) {
      name = same_ip->name;
    } else if (rows->size() == 1 && rows->front().ip_address.empty()) {
      storage::Bouncer b = rows->front();
      b.ip_address = req.remote_ip;
      b.updated_at = s.clock.now();
      bouncer_from_ua(req, b);
      if (auto up = s.store.update_bouncer(b); !up) {
        error = message(500, up.error().message());
        return std::nullopt;
      }
      name = b.name;
    } else {
      // The key is used from a new address: a bouncer of its own, "<name>@<ip>".
      const std::string& base = rows->front().name;
      storage::Bouncer b = rows->front();
      b.name =
          base.substr(0, base.rfind('@') == std::string::npos ? base.size() : base.rfind('@')) +
          "@" + req.remote_ip;
      b.ip_address = req.remote_ip;
      b.created_at = b.updated_at = s.clock.now();
      b.last_pull.reset();
      bouncer_from_ua(req, b);
      if (auto added = s.store.add_bouncer(b); !added) {
        auto again = s.store.get_bouncer(b.name);
        if (!again || !*again) {
          error = message(500, added.error().message());
          return std::nullopt;
        }
      }
      logger()->info("bouncer key of {} used from {}: created {}", base, req.remote_ip, b.name);
      name = b.name;
    }
  }
  std::lock_guard lock(s.cache_mu);
  if (s.bouncer_cache.size() > 100000) s.bouncer_cache.clear();
  s.bouncer_cache[cache_key] = {name, steady_now + s.options.credential_cache_ttl};
  return Principal{name};
}

namespace {

// An agent presents the same token on every call until it refreshes it, and checking the
// signature (base64, HMAC-SHA256, two JSON documents) cost more than the rest of a
// single-alert POST's authentication. A token whose signature was checked once is remembered
// with its claims; its expiry is still checked on every call.
constexpr size_t kMaxVerifiedTokens = 4096;

Result<JwtClaims> verified_claims(Lapi::State& s, const std::string& token) {
  const TimePoint now = s.clock.now();
  {
    std::lock_guard lock(s.cache_mu);
    const auto it = s.verified_tokens.find(token);
    if (it != s.verified_tokens.end()) {
      if (it->second.expires > now) return it->second;
      s.verified_tokens.erase(it);
      return Error("token is expired");
    }
  }
  PHALANX_TRY(auto claims, s.jwt.verify(token, now));
  std::lock_guard lock(s.cache_mu);
  if (s.verified_tokens.size() >= kMaxVerifiedTokens) s.verified_tokens.clear();
  s.verified_tokens.emplace(token, claims);
  return claims;
}

}  // namespace

std::optional<Principal> auth_machine(Lapi::State& s, const Request& req, Response& error) {
  std::string token;
  if (const std::string* h = req.header("authorization")) {
    if (h->size() > 7 && strncasecmp(h->c_str(), "Bearer ", 7) == 0) token = h->substr(7);
  }
  if (token.empty()) {
    if (const std::string* cookie = req.header("cookie")) {
      const size_t at = cookie->find("jwt=");
      if (at != std::string::npos &&
          (at == 0 || (*cookie)[at - 1] == ' ' || (*cookie)[at - 1] == ';')) {
        const size_t end = cookie->find(';', at);
        token = cookie->substr(at + 4, end == std::string::npos ? std::string::npos : end - at - 4);
      }
    }
  }
  if (token.empty()) {
    error = jwt_error(401, "auth header is empty");
    return std::nullopt;
  }
  auto claims = verified_claims(s, token);
  if (!claims) {
    error = jwt_error(401, claims.error().message());
    return std::nullopt;
  }
  const auto steady_now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(s.cache_mu);
    const auto it = s.machine_cache.find(claims->machine_id);
    if (it != s.machine_cache.end() && it->second > steady_now)
      return Principal{claims->machine_id};
  }
  auto machine = s.store.get_machine(claims->machine_id);
  if (!machine) {
    error = jwt_error(500, machine.error().message());
    return std::nullopt;
  }
  if (!*machine || !(*machine)->is_validated) {
    error = jwt_error(401, "machine " + claims->machine_id + " not found or not validated");
    return std::nullopt;
  }
  std::lock_guard lock(s.cache_mu);
  if (s.machine_cache.size() > 100000) s.machine_cache.clear();
  s.machine_cache[claims->machine_id] = steady_now + s.options.credential_cache_ttl;
  return Principal{claims->machine_id};
}

Result<size_t> expire_decisions(Lapi::State& s, std::span<const int64_t> ids) {
  if (ids.empty()) return size_t{0};
  PHALANX_TRY(auto changed, s.store.expire_decisions(ids, s.clock.now()));
  s.index.apply(changed);
  return changed.size();
}

Lapi::Lapi(std::unique_ptr<State> state) : s_(std::move(state)) {}
Lapi::~Lapi() {
  stop_watching();
}

Result<std::unique_ptr<Lapi>> Lapi::create(storage::Store& store, LapiOptions options,
                                           const Clock& clock) {
  JwtSigner signer = JwtSigner::random();
  if (!options.jwt_secret.empty()) {
    auto made = JwtSigner::make(options.jwt_secret);
    if (!made) return made.error().context("lapi");
    signer = std::move(*made);
  }
  auto state = std::make_unique<State>(store, std::move(options), clock, std::move(signer));
  // The rev first: a row written between the two calls is read again by the first sync().
  PHALANX_TRY(state->synced_rev, store.max_rev());
  PHALANX_TRY(auto rows, store.load_decisions(clock.now() - state->options.flush.decision_max_age));
  logger()->info("decision index: {} rows loaded", rows.size());
  state->index.load(std::move(rows));
#ifdef __GLIBC__
  // The rows were read in full and freed while the index was built: hand that heap back
  // instead of keeping it in the daemon's RSS for good.
  malloc_trim(0);
#endif
  return std::unique_ptr<Lapi>(new Lapi(std::move(state)));
}

size_t Lapi::body_limit(std::string_view path) const {
  return path == "/v1/watchers" || path == "/v1/watchers/login" ? kUnauthenticatedLimit
                                                                : kAuthenticatedLimit;
}

const DecisionIndex& Lapi::index() const {
  return s_->index;
}

void Lapi::set_connection_counter(std::function<size_t()> counter) {
  s_->connections = std::move(counter);
}

void Lapi::set_extra_metrics(std::function<std::string()> render) {
  s_->extra_metrics = std::move(render);
}

void Lapi::replace_policy(AlertPolicy policy) {
  s_->set_policy(std::move(policy));
}

Result<std::vector<int64_t>> Lapi::ingest_alerts(const std::string& machine_id,
                                                 std::vector<storage::Alert> alerts) {
  return lapi::ingest_alerts(*s_, machine_id, alerts);
}

Result<size_t> Lapi::sync() {
  std::lock_guard lock(s_->sync_mu);
  PHALANX_TRY(auto rows, s_->store.decisions_after(s_->synced_rev));
  for (const auto& d : rows)
    s_->synced_rev = std::max(s_->synced_rev, d.rev);
  s_->index.apply(rows);
  return rows.size();
}

void Lapi::start_watching() {
  s_->store.watch_decisions([this] {
    if (auto n = sync(); !n) logger()->warn("decision index: {}", n.error().message());
  });
}

void Lapi::stop_watching() {
  s_->store.stop_watching();
}

Result<storage::FlushStats> Lapi::flush() {
  const TimePoint now = s_->clock.now();
  PHALANX_TRY(auto stats, s_->store.flush(s_->options.flush, now));
  s_->index.prune(now - s_->options.flush.decision_max_age);
  return stats;
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Reply dispatch(Lapi::State& s, Request& req, const Route& route, bool& known_method) {
  const std::string& m = req.method;
  const std::string_view p = route.pattern;
  known_method = true;
  const bool get = m == "GET" || m == "HEAD";
  if (p == "/health" && get) return with_response(json_response(200, R"({"status":"up"})"));
  if (p == "/metrics" && m == "GET") {
    Metrics::Gauges g;
    const TimePoint now = s.clock.now();
    g.active_decisions_by_origin = s.index.active_by_origin(now);
    g.decisions_indexed = s.index.size();
    g.stream_waiting = s.index.subscribers();
    g.connections = s.connections ? s.connections() : 0;
    g.alert_calls = s.writer.calls();
    g.alert_commits = s.writer.commits();
    g.alerts_queued = s.writer.queued();
    std::string text = s.metrics.render(g);
    if (s.extra_metrics) text += s.extra_metrics();
    Response r = json_response(200, std::move(text));
    r.content_type = "text/plain; version=0.0.4";
    return with_response(std::move(r));
  }
  if (p == "/v1/decisions" && get) return get_decisions(s, req);
  if (p == "/v1/decisions" && m == "DELETE") return delete_decisions(s, req);
  if (p == "/v1/decisions/stream" && get) return stream_decisions(s, req);
  if (p == "/v1/decisions/:id" && m == "DELETE") return delete_decision(s, req, route.param);
  if (p == "/v1/watchers" && m == "POST") return register_watcher(s, req);
  if (p == "/v1/watchers/login" && m == "POST") return login_watcher(s, req);
  if (p == "/v1/watchers/self" && m == "DELETE") return delete_self(s, req);
  if (p == "/v1/refresh_token" && m == "GET") return refresh_token(s, req);
  if (p == "/v1/heartbeat" && get) return heartbeat(s, req);
  if (p == "/v1/alerts" && m == "POST") return post_alerts(s, req);
  if (p == "/v1/alerts" && get) return get_alerts(s, req);
  if (p == "/v1/alerts" && m == "DELETE") return delete_alerts(s, req);
  if (p == "/v1/alerts/:id" && get) return get_alert(s, req, route.param);
  if (p == "/v1/alerts/:id" && m == "DELETE") return delete_alert(s, req, route.param);
  if (p == "/v1/usage-metrics" && m == "POST") return usage_metrics(s, req);
  if (p == "/v1/allowlists" && m == "GET") return get_allowlists(s, req);
  if (p == "/v1/allowlists/:name" && m == "GET") return get_allowlist(s, req, route.param);
  if (p == "/v1/allowlists/check/:ip_or_range" && get) return check_allowlist(s, req, route.param);
  if (p == "/v1/allowlists/check" && m == "POST") return check_allowlist_bulk(s, req);
  known_method = false;
  return with_response(empty(405));
}

}  // namespace

Reply Lapi::handle(Request& req) {
  const Route route = match(req.path);
  if (route.pattern.empty()) return with_response(empty(404));
  bool known = true;
  Reply reply = dispatch(*s_, req, route, known);
  const std::string_view label = known ? route.pattern : "unmatched";
  if (!reply.poll) {
    s_->metrics.observe(label, req.method, reply.response.status, seconds_since(req.received));
    return reply;
  }
  reply.poll = [inner = std::move(reply.poll), state = s_.get(), label = std::string(label),
                method = req.method, started = req.received](bool final) {
    auto r = inner(final);
    if (r) state->metrics.observe(label, method, r->status, seconds_since(started));
    return r;
  };
  return reply;
}

}  // namespace phalanx::lapi

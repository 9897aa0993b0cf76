// SPDX-License-Identifier: Apache-2.0
// Internal to the LAPI: the state its routes share, and the route handlers, one file per noun
// (routes_decisions.cpp, routes_alerts.cpp, routes_watchers.cpp). Not included outside
// userspace/lapi.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "core/log.h"
#include "lapi/alert_writer.h"
#include "lapi/allowlists.h"
#include "lapi/auth.h"
#include "lapi/decision_index.h"
#include "lapi/http.h"
#include "lapi/lapi.h"
#include "lapi/metrics.h"

namespace phalanx::lapi {

// Puts the decisions of stored alerts into the index.
void index_stored(Lapi::State& s, std::span<const storage::Alert> alerts);

struct Lapi::State {
  State(storage::Store& st, LapiOptions o, const Clock& c, JwtSigner j)
      : store(st),
        options(std::move(o)),
        clock(c),
        jwt(std::move(j)),
        limiter(options.login_burst, options.login_refill) {}

  storage::Store& store;
  LapiOptions options;
  const Clock& clock;
  JwtSigner jwt;
  LoginLimiter limiter;
  DecisionIndex index;
  Metrics metrics;
  std::function<size_t()> connections;
  std::function<std::string()> extra_metrics;

  // Swapped whole by replace_policy(); readers keep the snapshot they took.
  std::shared_ptr<const AlertPolicy> policy() const {
    std::lock_guard lock(policy_mu);
    return policy_;
  }
  void set_policy(AlertPolicy p) {
    auto next = std::make_shared<const AlertPolicy>(std::move(p));
    std::lock_guard lock(policy_mu);
    policy_.swap(next);
  }

  // Rev of the store up to which every decision row is in the index: read by sync(), or
  // written by this LAPI with no other writer's rev in between (index_stored()).
  std::mutex sync_mu;
  int64_t synced_rev = 0;

  // API key (hash|ip) -> bouncer name, and machine id -> validated, with an expiry.
  struct Cached {
    std::string name;
    std::chrono::steady_clock::time_point expires;
  };
  std::mutex cache_mu;
  std::unordered_map<std::string, Cached> bouncer_cache;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> machine_cache;
  // Machine tokens whose signature was checked, with their claims (auth_machine).
  std::unordered_map<std::string, JwtClaims> verified_tokens;

  // Per bouncer: the cursor of its last successful stream answer (deltas without cursor=),
  // and when last_pull was last written to the store.
  std::mutex pull_mu;
  std::unordered_map<std::string, Cursor> bouncer_cursors;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_pull_written;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> last_push_written;

  // Centralised allowlists as last read from the store (allowlists()).
  std::mutex allowlist_mu;
  std::shared_ptr<const AllowlistMatcher> allowlists;
  std::chrono::steady_clock::time_point allowlists_loaded;

 private:
  mutable std::mutex policy_mu;
  std::shared_ptr<const AlertPolicy> policy_ = std::make_shared<const AlertPolicy>();

 public:
  // Stores POST /v1/alerts calls (alert_writer.h). Declared last: it is destroyed first, after
  // storing what is queued, while the state its calls use still exists.
  AlertWriter writer{
      store, [this](std::span<const storage::Alert> stored) { index_stored(*this, stored); }};
};

// The "lapi" logger, shared by the route files.
const std::shared_ptr<spdlog::logger>& logger();

// --- responses
Reply with_response(Response r);  // a complete answer, nothing held
Response json_response(int status, std::string body);
Response message(int status, std::string_view text);    // {"message": text}
Response jwt_error(int status, std::string_view text);  // {"code": n, "message": text}
Response empty(int status);                             // no body, no content type

// --- authentication
struct Principal {
  std::string name;  // bouncer name or machine_id
};
// Bouncer by client certificate or X-Api-Key; on failure `error` holds the 403.
std::optional<Principal> auth_bouncer(Lapi::State& s, const Request& req, Response& error);
// Machine by JWT (Authorization: Bearer, or the jwt cookie); on failure `error` holds the 401.
std::optional<Principal> auth_machine(Lapi::State& s, const Request& req, Response& error);
bool is_trusted(const Lapi::State& s, const Request& req);
// name/version of a User-Agent when it has exactly one '/'.
std::optional<std::pair<std::string, std::string>> split_user_agent(const Request& req);

// Stores alerts from `machine_id` (profiles, allow list, uuids, index), as POST /v1/alerts.
Result<std::vector<int64_t>> ingest_alerts(Lapi::State& s, const std::string& machine_id,
                                           std::vector<storage::Alert>& alerts);

// The centralised allowlists; `fresh` re-reads them from the store first.
std::shared_ptr<const AllowlistMatcher> allowlists(Lapi::State& s, bool fresh);

// --- routes
Reply get_decisions(Lapi::State& s, Request& req);
Reply delete_decisions(Lapi::State& s, Request& req);
Reply delete_decision(Lapi::State& s, Request& req, std::string_view id);
Reply stream_decisions(Lapi::State& s, Request& req);
Reply post_alerts(Lapi::State& s, Request& req);
Reply get_alerts(Lapi::State& s, Request& req);
Reply get_alert(Lapi::State& s, Request& req, std::string_view id);
Reply delete_alerts(Lapi::State& s, Request& req);
Reply delete_alert(Lapi::State& s, Request& req, std::string_view id);
Reply register_watcher(Lapi::State& s, Request& req);
Reply login_watcher(Lapi::State& s, Request& req);
Reply refresh_token(Lapi::State& s, Request& req);
Reply heartbeat(Lapi::State& s, Request& req);
Reply delete_self(Lapi::State& s, Request& req);
Reply usage_metrics(Lapi::State& s, Request& req);
Reply get_allowlists(Lapi::State& s, Request& req);
Reply get_allowlist(Lapi::State& s, Request& req, std::string_view name);
Reply check_allowlist(Lapi::State& s, Request& req, std::string_view value);
Reply check_allowlist_bulk(Lapi::State& s, Request& req);

// Expires active decisions by id in the store and applies the changed rows to the index.
Result<size_t> expire_decisions(Lapi::State& s, std::span<const int64_t> ids);

}  // namespace phalanx::lapi

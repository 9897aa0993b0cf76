// SPDX-License-Identifier: Apache-2.0
// The Local API (spec §1): every /v1 route, /health and /metrics, behind the Handler the HTTP
// server calls. Alerts, machines and bouncers live in the Store; decisions are served from the
// DecisionIndex, which this class keeps current with its own writes and with other writers'
// (sync(), driven by Store::watch_decisions).
//
// Authentication (spec §1.2): bouncers by X-Api-Key (hex SHA-512 in the store, the name@ip
// rule) or a client certificate whose OU is in bouncers_allowed_ou; machines by an HS256 JWT
// from POST /v1/watchers/login (password, or a client certificate whose OU is in
// agents_allowed_ou). Failed logins are limited per source address: past the limit the LAPI
// answers 429 (CrowdSec's agent backs off and retries on 429) without checking the password.
//
// Thread-safety: handle() may be called from any number of server threads at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/net.h"
#include "core/result.h"
#include "lapi/decision_index.h"
#include "lapi/http.h"
#include "storage/store.h"

namespace phalanx::profiles {
class ProfileSet;
class AllowList;
}  // namespace phalanx::profiles

namespace phalanx::lapi {

struct LapiOptions {
  // Besides loopback: who may DELETE /v1/alerts.
  std::vector<net::Cidr> trusted_ips;
  std::vector<std::string> bouncers_allowed_ou{"bouncer-ou"};
  std::vector<std::string> agents_allowed_ou{"agent-ou"};
  // HS256 secret (at least 64 bytes); empty: random per process, so tokens die with it.
  std::string jwt_secret;
  std::chrono::seconds token_lifetime{3600};
  std::chrono::seconds max_refresh{3600};
  // Machines registering with this token (POST /v1/watchers registration_token) from these
  // ranges are validated at once (202); empty token: none.
  std::string registration_token;
  std::vector<net::Cidr> registration_ranges;
  int password_iterations = 100000;
  // Failed-login limiter per source address.
  int login_burst = 10;
  std::chrono::seconds login_refill{6};
  // Longest push wait honoured (a longer wait= is cut to this).
  std::chrono::seconds max_wait{600};
  // API key and machine lookups are cached this long (a revoked key stops working within it).
  std::chrono::seconds credential_cache_ttl{5};
  // last_pull is written to the store at most this often per bouncer (deltas use in-memory
  // cursors; last_pull only matters after a restart).
  std::chrono::seconds last_pull_interval{60};
  storage::FlushPolicy flush;
};

// What storing an alert applies (spec §4.8): the profiles, run for alerts that come without
// decisions (null: they are stored without decisions), and the allow list, whose targets get no
// decision (refusals are logged and counted; null: none).
struct AlertPolicy {
  std::shared_ptr<const profiles::ProfileSet> profiles;
  std::shared_ptr<const profiles::AllowList> allow_list;
};

class Lapi final : public Handler {
 public:
  // Builds the decision index from the store (rows expired within flush.decision_max_age
  // included). Errors: the store's, "lapi: jwt secret: ...".
  static Result<std::unique_ptr<Lapi>> create(storage::Store& store, LapiOptions options,
                                              const Clock& clock = SystemClock::instance());
  ~Lapi() override;

  Reply handle(Request& request) override;
  size_t body_limit(std::string_view path) const override;

  // Applies decisions other writers changed since the last sync (decisions_after). Returns the
  // rows read from the store; this LAPI's own writes are not read back (index_stored()).
  Result<size_t> sync();
  // Starts/stops the store's watcher thread, which calls sync().
  void start_watching();
  void stop_watching();
  // Runs the flush policy on the store and prunes the index to match.
  Result<storage::FlushStats> flush();

  // Stores alerts from the agent in this process exactly as POST /v1/alerts from `machine_id`
  // would (profiles for alerts without decisions, allow list, uuids), and serves their decisions
  // at once. Returns the alert ids.
  Result<std::vector<int64_t>> ingest_alerts(const std::string& machine_id,
                                             std::vector<storage::Alert> alerts);

  // Sets the profiles and the allow list (none until then), and replaces them on SIGHUP. Alerts
  // already being stored finish under the policy they started with.
  void replace_policy(AlertPolicy policy);

  // For /metrics: the server's open connections.
  void set_connection_counter(std::function<size_t()> counter);
  // For /metrics: more Prometheus text appended to the LAPI's own (the agent's, in the same
  // process). Set before the server starts.
  void set_extra_metrics(std::function<std::string()> render);

  const DecisionIndex& index() const;

  struct State;

 private:
  explicit Lapi(std::unique_ptr<State> state);
  std::unique_ptr<State> s_;
};

}  // namespace phalanx::lapi

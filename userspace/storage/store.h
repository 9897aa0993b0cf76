// SPDX-License-Identifier: Apache-2.0
// The Store: where the Local API keeps alerts, decisions, machines and bouncers. Two backends
// implement it, SQLite (embedded default) and PostgreSQL (several LAPIs on one database); one
// conformance suite (tests/unit/storage) runs against both.
//
// Contract for every backend:
// - A call that returns success has committed durably: an alert whose insert returned is never
//   lost, even on kill -9 right after.
// - Methods are safe to call from several threads; writes are serialised by the backend.
// - Decision queries for bouncers are not the store's job: the LAPI serves them from its
//   in-memory index, built from load_decisions() and kept current with decisions_after().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/model.h"

namespace phalanx::storage {

// GET/DELETE /v1/alerts filters (spec §1.6), already validated by the LAPI.
struct AlertFilter {
  std::optional<std::string> scope;     // source scope, exact
  std::optional<std::string> value;     // source value, exact
  std::optional<std::string> scenario;  // exact
  std::optional<std::string> ip;        // source ip/range matching, with `contains`
  std::optional<std::string> range;
  bool contains = true;
  std::optional<TimePoint> since;            // created after
  std::optional<TimePoint> until;            // created before
  std::optional<std::string> decision_type;  // has a decision of this type
  std::optional<std::string> origin;         // has a decision of this origin
  std::optional<std::string> kind;
  bool include_capi = true;
  std::optional<bool> has_active_decision;  // relative to `now`
  std::optional<bool> simulated;
  std::optional<int64_t> id;
  int64_t limit = 100;     // 0 = all
  bool ascending = false;  // by created_at, then id
  bool with_decisions = true;
};

struct FlushPolicy {
  std::chrono::seconds decision_max_age{std::chrono::hours(24 * 7)};  // expired rows kept this long
  std::optional<std::chrono::seconds> alert_max_age{std::chrono::hours(24 * 7)};
  std::optional<int64_t> alert_max_items{5000};
};

struct FlushStats {
  int64_t decisions_removed = 0;
  int64_t alerts_removed = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- alerts and their decisions
  // Inserts alerts and their decisions in one transaction; fills in ids (alerts and decisions),
  // alert_id and rev. Returns the alert ids in input order.
  virtual Result<std::vector<int64_t>> insert_alerts(std::span<Alert> alerts) = 0;
  virtual Result<std::vector<Alert>> query_alerts(const AlertFilter& filter, TimePoint now) = 0;
  virtual Result<std::optional<Alert>> get_alert(int64_t id) = 0;
  // Deletes matching alerts (`limit` is ignored) and their decisions. Returns the count of
  // alerts. Decision rows that were still active are not removed but expired (until = `now`, a
  // new rev, alert_id 0), so that LAPI instances following decisions_after() and the bouncers'
  // streams learn that the ban is gone; flush() removes them later. Other rows are removed.
  virtual Result<int64_t> delete_alerts(const AlertFilter& filter, TimePoint now) = 0;

  // --- decisions
  // Inserts decisions without an alert (community blocklist, imports); fills id and rev.
  virtual Result<void> insert_decisions(std::span<Decision> decisions) = 0;
  // Every decision row with until >= `expired_since` (active ones and recently expired ones),
  // ascending id. The LAPI builds its index from it at startup.
  virtual Result<std::vector<Decision>> load_decisions(TimePoint expired_since) = 0;
  // Rows inserted or changed after `rev`, ascending rev.
  virtual Result<std::vector<Decision>> decisions_after(int64_t rev) = 0;
  // The current highest rev (0 when empty).
  virtual Result<int64_t> max_rev() = 0;
  // Sets until = `now` on the given rows that are still active; returns the rows changed (with
  // their new until and rev).
  virtual Result<std::vector<Decision>> expire_decisions(std::span<const int64_t> ids,
                                                         TimePoint now) = 0;
  // Decision-count helpers for profiles' duration_expr (spec §4.8): decisions on `value`
  // (all, created since `since`, active at `now`).
  virtual Result<int64_t> count_decisions(std::string_view value,
                                          std::optional<TimePoint> since) = 0;
  // Decisions on `value` active at `now` (until > now), and the latest until among them
  // (GetActiveDecisionsCount / GetActiveDecisionsTimeLeft). The defaults scan load_decisions();
  // SqlStore answers them with one query.
  virtual Result<int64_t> count_active_decisions(std::string_view value, TimePoint now);
  virtual Result<std::optional<TimePoint>> active_decision_until(std::string_view value,
                                                                 TimePoint now);

  // Starts a backend thread that calls `callback` when another writer (another LAPI instance,
  // the CLI) may have changed decisions: PostgreSQL LISTEN/NOTIFY; SQLite polls its
  // data_version. The callback should call decisions_after(). At most one watcher per store;
  // stop_watching() joins the thread (the destructor does too).
  virtual void watch_decisions(std::function<void()> callback) = 0;
  virtual void stop_watching() = 0;

  // --- machines
  // Errors: a machine with this id exists ("user already exist").
  virtual Result<void> add_machine(const Machine& machine) = 0;
  virtual Result<std::optional<Machine>> get_machine(std::string_view machine_id) = 0;
  virtual Result<std::vector<Machine>> list_machines() = 0;
  virtual Result<void> update_machine(const Machine& machine) = 0;  // by machine_id
  virtual Result<bool> delete_machine(std::string_view machine_id) = 0;

  // --- bouncers
  virtual Result<void> add_bouncer(const Bouncer& bouncer) = 0;  // errors: name exists
  virtual Result<std::vector<Bouncer>> bouncers_by_key_hash(std::string_view hash) = 0;
  virtual Result<std::optional<Bouncer>> get_bouncer(std::string_view name) = 0;
  virtual Result<std::vector<Bouncer>> list_bouncers() = 0;
  virtual Result<void> update_bouncer(const Bouncer& bouncer) = 0;  // by name
  virtual Result<bool> delete_bouncer(std::string_view name) = 0;

  // --- centralised allowlists (by name)
  virtual Result<void> create_allowlist(const Allowlist& list) = 0;  // errors: name exists
  // Every list, ordered by name; with their items (expired ones too) when `with_items`.
  virtual Result<std::vector<Allowlist>> list_allowlists(bool with_items) = 0;
  virtual Result<std::optional<Allowlist>> get_allowlist(std::string_view name,
                                                         bool with_items) = 0;
  virtual Result<bool> delete_allowlist(std::string_view name) = 0;  // with its items
  // Adds items whose value the list does not hold yet; returns how many were added. Errors:
  // no such list.
  virtual Result<int64_t> add_allowlist_items(std::string_view name,
                                              std::span<const AllowlistItem> items,
                                              TimePoint now) = 0;
  // Removes the items with these values; returns how many were removed.
  virtual Result<int64_t> remove_allowlist_items(std::string_view name,
                                                 std::span<const std::string> values,
                                                 TimePoint now) = 0;

  // --- housekeeping
  virtual Result<FlushStats> flush(const FlushPolicy& policy, TimePoint now) = 0;
};

// Opens a store from a URL: "sqlite:///var/lib/phalanx/phalanx.db" (or a bare path),
// "postgresql://user:pass@host:port/db?sslmode=disable". Runs pending migrations.
Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace phalanx::storage

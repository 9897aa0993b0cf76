// SPDX-License-Identifier: Apache-2.0
// SqlStore: the Store over the Conn layer, one implementation for both backends. Writes go
// through one writer connection under a mutex, each call in one transaction; insert_alerts()
// calls that arrive while a commit is running are grouped into the next transaction (group
// commit: one WAL write or fsync for all of them, each call still all-or-nothing). Reads use a
// second connection under its own mutex; watch_decisions() opens a third for its thread.
//
// Revs: every transaction that inserts or expires decisions first reads the 'rev' counter row
// (SQLite: under BEGIN IMMEDIATE, the file's write lock; PostgreSQL: SELECT … FOR UPDATE, a row
// lock held to commit), hands out counter+1, counter+2, … and writes the counter back. Such
// transactions are therefore serialised across every process on the database and commit in rev
// order, so a reader following decisions_after(rev) never skips a row committed late.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/db.h"
#include "storage/store.h"

namespace phalanx::storage {

class SqlStore final : public Store {
 public:
  using Opener = std::function<Result<std::unique_ptr<Conn>>(ConnRole)>;

  // Opens the writer and reader connections and applies pending migrations.
  static Result<std::unique_ptr<SqlStore>> open(Opener opener);
  ~SqlStore() override;

  Result<std::vector<int64_t>> insert_alerts(std::span<Alert> alerts) override;
  Result<std::vector<Alert>> query_alerts(const AlertFilter& filter, TimePoint now) override;
  Result<std::optional<Alert>> get_alert(int64_t id) override;
  Result<int64_t> delete_alerts(const AlertFilter& filter, TimePoint now) override;

  Result<void> insert_decisions(std::span<Decision> decisions) override;
  Result<std::vector<Decision>> load_decisions(TimePoint expired_since) override;
  Result<std::vector<Decision>> decisions_after(int64_t rev) override;
  Result<int64_t> max_rev() override;
  Result<std::vector<Decision>> expire_decisions(std::span<const int64_t> ids,
                                                 TimePoint now) override;
  Result<int64_t> count_decisions(std::string_view value, std::optional<TimePoint> since) override;
  Result<int64_t> count_active_decisions(std::string_view value, TimePoint now) override;
  Result<std::optional<TimePoint>> active_decision_until(std::string_view value,
                                                         TimePoint now) override;

  void watch_decisions(std::function<void()> callback) override;
  void stop_watching() override;

  Result<void> add_machine(const Machine& machine) override;
  Result<std::optional<Machine>> get_machine(std::string_view machine_id) override;
  Result<std::vector<Machine>> list_machines() override;
  Result<void> update_machine(const Machine& machine) override;
  Result<bool> delete_machine(std::string_view machine_id) override;

  Result<void> add_bouncer(const Bouncer& bouncer) override;
  Result<std::vector<Bouncer>> bouncers_by_key_hash(std::string_view hash) override;
  Result<std::optional<Bouncer>> get_bouncer(std::string_view name) override;
  Result<std::vector<Bouncer>> list_bouncers() override;
  Result<void> update_bouncer(const Bouncer& bouncer) override;
  Result<bool> delete_bouncer(std::string_view name) override;

  Result<void> create_allowlist(const Allowlist& list) override;
  Result<std::vector<Allowlist>> list_allowlists(bool with_items) override;
  Result<std::optional<Allowlist>> get_allowlist(std::string_view name, bool with_items) override;
  Result<bool> delete_allowlist(std::string_view name) override;
  Result<int64_t> add_allowlist_items(std::string_view name, std::span<const AllowlistItem> items,
                                      TimePoint now) override;
  Result<int64_t> remove_allowlist_items(std::string_view name, std::span<const std::string> values,
                                         TimePoint now) override;

  Result<FlushStats> flush(const FlushPolicy& policy, TimePoint now) override;

  // Hands out revs inside one write transaction (see the file comment).
  class Revs {
   public:
    explicit Revs(Conn& conn) : conn_(conn) {}
    // Reads (and on PostgreSQL row-locks) the counter; call it before reading rows that the
    // transaction will change, so that concurrent writers queue here.
    Result<void> lock();
    Result<int64_t> next();
    // Hands out n consecutive revs and returns the first.
    Result<int64_t> reserve(int64_t n);
    Result<void> save();  // writes the counter back if next() was called

   private:
    Conn& conn_;
    bool locked_ = false;
    int64_t value_ = 0;
    int64_t start_ = 0;
  };

 private:
  explicit SqlStore(Opener opener) : opener_(std::move(opener)) {}

  // Runs fn(conn) in one write transaction; rolls back on error. Reopens a broken connection.
  Result<void> write(const std::function<Result<void>(Conn&)>& fn);
  // Runs fn(conn) on the reader connection; `snapshot` wraps it in a read transaction so that
  // several statements see one state.
  Result<void> read(const std::function<Result<void>(Conn&)>& fn, bool snapshot = false);

  // One insert_alerts() call waiting for its group commit.
  struct InsertJob {
    std::span<Alert> alerts;
    Result<std::vector<int64_t>> result;
    bool done = false;
  };
  // Inserts the calls of one group in one transaction (each call alone if that fails).
  void run_insert_group(const std::vector<InsertJob*>& group);
  Result<void> insert_alert_rows(Conn& c, Revs& revs, std::span<Alert> alerts,
                                 std::vector<int64_t>& ids);
  Result<void> insert_decision_rows(Conn& c, Revs& revs, std::span<Decision> decisions,
                                    int64_t alert_id);
  Result<void> attach_decisions(Conn& c, std::vector<Alert>& alerts);
  // Expires the active decisions of these alerts (new rev, detached from the alert), then
  // removes the alerts and their remaining decisions. Returns the alerts removed.
  Result<int64_t> remove_alerts(Conn& c, const std::vector<int64_t>& ids, TimePoint now);
  void watch_loop(std::function<void()> callback, std::unique_ptr<Conn> conn, int64_t last_rev);
  static bool read_rev(Conn& conn, int64_t& rev);

  Opener opener_;
  std::mutex write_mu_;
  std::unique_ptr<Conn> writer_;
  std::mutex group_mu_;  // guards group_queue_, group_busy_ and InsertJob::done
  std::condition_variable group_cv_;
  std::deque<InsertJob*> group_queue_;
  bool group_busy_ = false;
  std::mutex read_mu_;
  std::unique_ptr<Conn> reader_;

  std::mutex watch_mu_;  // guards watcher_ start/stop
  std::thread watcher_;
  std::atomic<bool> watch_stop_{false};
};

}  // namespace phalanx::storage

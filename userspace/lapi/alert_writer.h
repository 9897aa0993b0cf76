// SPDX-License-Identifier: Apache-2.0
// The LAPI's alert writer: one thread that stores the alerts of POST /v1/alerts. Requests that
// arrive while a commit runs are queued and go into the next commit together, so a burst of
// single-alert calls costs one transaction per burst rather than per call, and no HTTP thread
// waits on the store meanwhile. A call is answered only after its commit returned, as before.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "core/result.h"
#include "storage/store.h"

namespace phalanx::lapi {

class AlertWriter {
 public:
  // Called on the writer thread with the outcome of one submitted call.
  using Done = std::function<void(Result<std::vector<int64_t>>)>;
  // Called on the writer thread after each successful commit, with every alert it stored (ids
  // and revs filled in), before any of the calls' Done.
  using Stored = std::function<void(std::span<const storage::Alert>)>;

  // A commit stops taking queued calls once it holds this many alerts (a single call may hold
  // more; it is never split).
  static constexpr size_t kMaxAlertsPerCommit = 1000;

  AlertWriter(storage::Store& store, Stored stored);
  // Stores what is queued, then stops.
  ~AlertWriter();
  AlertWriter(const AlertWriter&) = delete;
  AlertWriter& operator=(const AlertWriter&) = delete;

  // Queues one call's alerts. `done` receives the alert ids in input order, or the store's
  // error for this call alone: when a shared commit fails, each of its calls is retried in a
  // transaction of its own, so one bad call does not fail the others.
  void submit(std::vector<storage::Alert> alerts, Done done);

  // Transactions attempted and calls written so far, and calls waiting for the next commit.
  uint64_t commits() const;
  uint64_t calls() const;
  size_t queued() const;

 private:
  struct Job {
    std::vector<storage::Alert> alerts;
    Done done;
  };
  void loop();
  void write(std::vector<Job>& jobs);
  Result<std::vector<int64_t>> insert(std::span<storage::Alert> alerts);

  storage::Store& store_;
  Stored stored_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stop_ = false;
  uint64_t commits_ = 0;
  uint64_t calls_ = 0;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace phalanx::lapi

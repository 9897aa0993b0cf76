// SPDX-License-Identifier: Apache-2.0
#include "lapi/alert_writer.h"

#include <exception>
#include <iterator>
#include <string>
#include <utility>

namespace phalanx::lapi {

AlertWriter::AlertWriter(storage::Store& store, Stored stored)
    : store_(store), stored_(std::move(stored)), thread_([this] { loop(); }) {}

AlertWriter::~AlertWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void AlertWriter::submit(std::vector<storage::Alert> alerts, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stop_) {
      queue_.push_back({std::move(alerts), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(Error("the Local API is shutting down"));
}

uint64_t AlertWriter::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

uint64_t AlertWriter::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

size_t AlertWriter::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void AlertWriter::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued is written
    std::vector<Job> jobs;
    size_t alerts = 0;
    while (!queue_.empty() && (jobs.empty() || alerts < kMaxAlertsPerCommit)) {
      alerts += queue_.front().alerts.size();
      jobs.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    write(jobs);
    lock.lock();
  }
}

Result<std::vector<int64_t>> AlertWriter::insert(std::span<storage::Alert> alerts) {
  Result<std::vector<int64_t>> ids = Error("not written");
  try {
    ids = store_.insert_alerts(alerts);
  } catch (const std::exception& e) {
    ids = Error(std::string("storing alerts: ") + e.what());
  }
  {
    std::lock_guard lock(mu_);
    ++commits_;
  }
  if (ids && stored_) stored_(alerts);
  return ids;
}

void AlertWriter::write(std::vector<Job>& jobs) {
  {
    std::lock_guard lock(mu_);
    calls_ += jobs.size();
  }
  if (jobs.size() == 1) {
    jobs[0].done(insert(jobs[0].alerts));
    return;
  }
  std::vector<storage::Alert> all;
  for (Job& j : jobs)
    std::move(j.alerts.begin(), j.alerts.end(), std::back_inserter(all));
  auto ids = insert(all);
  if (ids && ids->size() != all.size()) {
    for (Job& j : jobs)
      j.done(Error("the store returned " + std::to_string(ids->size()) + " ids for " +
                   std::to_string(all.size()) + " alerts"));
    return;
  }
  if (ids) {
    size_t at = 0;
    for (Job& j : jobs) {
      const size_t n = j.alerts.size();
      j.done(std::vector<int64_t>(ids->begin() + ptrdiff_t(at), ids->begin() + ptrdiff_t(at + n)));
      at += n;
    }
    return;
  }
  // The shared transaction was rolled back: each call again on its own, so that only the call
  // that cannot be stored fails.
  size_t at = 0;
  for (Job& j : jobs) {
    const size_t n = j.alerts.size();
    std::move(all.begin() + ptrdiff_t(at), all.begin() + ptrdiff_t(at + n), j.alerts.begin());
    at += n;
    j.done(insert(j.alerts));
  }
}

}  // namespace phalanx::lapi

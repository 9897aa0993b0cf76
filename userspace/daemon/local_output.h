// SPDX-License-Identifier: Apache-2.0
// Where the agent's alerts go when the LAPI runs in the same process: a writer thread takes
// them from a bounded queue, in batches, and stores them through Lapi::ingest_alerts (profiles,
// allow list, the decision index, and so the bouncers' push streams) as the machine
// `machine_id`. The first alert of a quiet period goes through at once; under a flood, alerts
// are written many per transaction.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/bounded_queue.h"
#include "core/result.h"
#include "lapi/lapi.h"
#include "parser/overflow.h"
#include "storage/store.h"

namespace phalanx::daemon {

// The agent's alerts as the rows POST /v1/alerts would make of them.
Result<std::vector<storage::Alert>> alerts_to_rows(const std::vector<parser::Alert>& alerts);

// Makes sure the local agent's machine exists and is validated. It gets no usable password:
// the agent in the same process does not log in.
Result<void> ensure_local_machine(storage::Store& store, const std::string& machine_id);

class LocalOutput {
 public:
  LocalOutput(lapi::Lapi& lapi, std::string machine_id, size_t capacity = 65536);
  ~LocalOutput();
  // Blocks while the queue is full. Called on the agent's detector thread.
  void submit(std::vector<parser::Alert>&& alerts);
  // Writes what is queued, then stops. Idempotent.
  void stop();
  uint64_t written() const { return written_.load(); }
  uint64_t failed() const { return failed_.load(); }
  size_t queued() const { return queue_.size(); }

 private:
  void run();
  lapi::Lapi& lapi_;
  std::string machine_id_;
  BoundedQueue<parser::Alert> queue_;
  std::atomic<uint64_t> written_{0}, failed_{0};
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace phalanx::daemon

// SPDX-License-Identifier: Apache-2.0
#include "daemon/local_output.h"

#include "core/log.h"
#include "core/uuid.h"
#include "lapi/alert_json.h"

namespace phalanx::daemon {

Result<std::vector<storage::Alert>> alerts_to_rows(const std::vector<parser::Alert>& alerts) {
  std::string array = "[";
  for (const auto& a : alerts) {
    if (array.size() > 1) array += ',';
    array += lapi::alert_json(a);
  }
  array += ']';
  lapi::AlertsError why;
  auto rows = lapi::parse_alerts(array, why);
  if (!rows) return rows.error().context("agent alert");
  return rows;
}

Result<void> ensure_local_machine(storage::Store& store, const std::string& machine_id) {
  PHALANX_TRY(auto existing, store.get_machine(machine_id));
  const TimePoint now = SystemClock::instance().now();
  if (existing) {
    if (existing->is_validated) return ok();
    existing->is_validated = true;
    existing->updated_at = now;
    return store.update_machine(*existing);
  }
  storage::Machine m;
  m.machine_id = machine_id;
  m.password_hash = "!local-agent-" + uuid_v4();  // never matches a password
  m.ip_address = "127.0.0.1";
  m.auth_type = "password";
  m.is_validated = true;
  m.created_at = now;
  m.updated_at = now;
  return store.add_machine(m);
}

LocalOutput::LocalOutput(lapi::Lapi& lapi, std::string machine_id, size_t capacity)
    : lapi_(lapi), machine_id_(std::move(machine_id)), queue_(capacity) {
  thread_ = std::thread([this] { run(); });
}

LocalOutput::~LocalOutput() {
  stop();
}

void LocalOutput::submit(std::vector<parser::Alert>&& alerts) {
  for (auto& a : alerts)
    queue_.push(std::move(a));
}

void LocalOutput::stop() {
  if (stopped_) return;
  stopped_ = true;
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void LocalOutput::run() {
  auto log = phalanx::log::get("agent");
  std::vector<parser::Alert> batch;
  while (queue_.pop_batch(batch, 500, std::chrono::milliseconds(500))) {
    if (batch.empty()) continue;
    auto rows = alerts_to_rows(batch);
    if (!rows) {
      failed_ += batch.size();
      log->error("{}", rows.error().message());
      batch.clear();
      continue;
    }
    // A store that refuses a write (database restarting, disk briefly full) gets a few more
    // tries, a second apart, before the batch is counted as failed.
    Result<std::vector<int64_t>> ids = Error("not tried");
    for (int attempt = 0; attempt < 5; ++attempt) {
      ids = lapi_.ingest_alerts(machine_id_, *rows);
      if (ids) break;
      log->warn("storing {} alert(s), attempt {}: {}", batch.size(), attempt + 1,
                ids.error().message());
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (ids) {
      written_ += batch.size();
    } else {
      failed_ += batch.size();
      log->error("{} alert(s) not stored: {}", batch.size(), ids.error().message());
    }
    batch.clear();
  }
}

}  // namespace phalanx::daemon

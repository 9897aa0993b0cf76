// SPDX-License-Identifier: Apache-2.0
// SqlStore: watch_decisions(), the thread that tells the LAPI another writer changed decisions.
#include <thread>

#include "core/log.h"
#include "storage/sql_store.h"

namespace phalanx::storage {
namespace {

constexpr auto kWatchInterval = std::chrono::milliseconds(150);
constexpr auto kWatchRetry = std::chrono::seconds(1);

}  // namespace

// --- watching

void SqlStore::watch_decisions(std::function<void()> callback) {
  stop_watching();
  std::lock_guard lock(watch_mu_);
  watch_stop_ = false;
  // Armed before returning, so that every change committed after this call is reported; if the
  // database is unreachable now, the thread keeps trying.
  std::unique_ptr<Conn> conn;
  int64_t rev = -1;
  if (auto opened = opener_(ConnRole::kWatcher)) {
    conn = std::move(opened).value();
    if (!conn->start_watch() || !read_rev(*conn, rev)) conn.reset();
  }
  watcher_ = std::thread([this, cb = std::move(callback), c = std::move(conn), rev]() mutable {
    watch_loop(cb, std::move(c), rev);
  });
}

void SqlStore::stop_watching() {
  std::lock_guard lock(watch_mu_);
  if (!watcher_.joinable()) return;
  watch_stop_ = true;
  watcher_.join();
}

bool SqlStore::read_rev(Conn& conn, int64_t& rev) {
  auto r = conn.run("SELECT value FROM counters WHERE name = 'rev'", {},
                    [&](const Row& row) { rev = row.i64(0); });
  return r.has_value();
}

void SqlStore::watch_loop(std::function<void()> callback, std::unique_ptr<Conn> conn,
                          int64_t last_rev) {
  auto logger = log::get("store");
  auto sleep_retry = [&] {
    for (auto waited = std::chrono::milliseconds(0); waited < kWatchRetry && !watch_stop_;
         waited += kWatchInterval) {
      std::this_thread::sleep_for(kWatchInterval);
    }
  };
  while (!watch_stop_) {
    if (!conn || conn->broken()) {
      auto opened = opener_(ConnRole::kWatcher);
      if (!opened) {
        logger->warn("watching decisions: {}", opened.error().message());
        sleep_retry();
        continue;
      }
      conn = std::move(opened).value();
      if (auto r = conn->start_watch(); !r) {
        logger->warn("watching decisions: {}", r.error().message());
        conn.reset();
        sleep_retry();
        continue;
      }
      // Changes made while the connection was down were not notified: report once.
      int64_t rev = last_rev;
      if (read_rev(*conn, rev) && rev != last_rev) {
        last_rev = rev;
        callback();
      }
    }
    auto changed = conn->wait_change(kWatchInterval);
    if (!changed) {
      logger->warn("watching decisions: {}", changed.error().message());
      conn.reset();
      sleep_retry();
      continue;
    }
    if (!*changed) continue;
    // Alerts without decisions change the SQLite file too; only a new rev is news.
    int64_t rev = last_rev;
    if (!read_rev(*conn, rev)) continue;
    if (rev != last_rev) {
      last_rev = rev;
      callback();
    }
  }
}

}  // namespace phalanx::storage

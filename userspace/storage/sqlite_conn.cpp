// SPDX-License-Identifier: Apache-2.0
// SQLite connection: WAL journal, synchronous=NORMAL, a busy timeout, foreign keys on, and a
// cache of prepared statements keyed by SQL text. The writer connection checkpoints the WAL
// from a thread of its own instead of inside a commit.
#include <fmt/format.h>
#include <sqlite3.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "storage/db.h"
#include "storage/sqlite_vfs.h"

namespace phalanx::storage {
namespace {

// Waits this long for another writer (the CLI, another daemon) to release the file lock.
constexpr int kBusyTimeoutMs = 10000;
// Statements are cached per distinct SQL text; alert filters make a few dozen shapes at most.
constexpr size_t kMaxCachedStatements = 256;
// WAL size (pages) at which the background thread checkpoints, and at which the writer does it
// itself because the thread has not kept up (sustained writes never let a concurrent checkpoint
// catch up, and only a complete one lets the WAL start over).
constexpr int kCheckpointPages = 1000;
constexpr int kInlineCheckpointPages = 8000;

// A checkpoint copies WAL pages into the database file and syncs both: milliseconds on a real
// disk. SQLite does it inside the commit that crosses the threshold; this thread does it beside
// the writer instead (PASSIVE: it never blocks readers or the writer). Durability is unchanged:
// a commit is in the WAL before it returns either way.
class Checkpointer {
 public:
  explicit Checkpointer(sqlite3* db) : db_(db), thread_([this] { loop(); }) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
    sqlite3_close_v2(db_);
  }

  // Called by SQLite after each commit on the writer connection, with the WAL size in pages.
  static int on_commit(void* self, sqlite3* writer, const char* db_name, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    // The WAL starts over after a complete checkpoint: its size drops below the last mark.
    if (pages < c->next_at_ - kCheckpointPages) c->next_at_ = kCheckpointPages;
    if (pages >= kInlineCheckpointPages) {
      sqlite3_wal_checkpoint_v2(writer, db_name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= c->next_at_) {
      // Under sustained writes a passive checkpoint never catches up with the writer, so the
      // WAL stays above the threshold; asking again after every commit kept the thread copying
      // a few frames and syncing the database file each time (a quarter of a busy LAPI's CPU).
      // It runs again once another kCheckpointPages have been written.
      c->next_at_ = pages + kCheckpointPages;
      {
        std::lock_guard lock(c->mu_);
        c->wanted_ = true;
      }
      c->cv_.notify_one();
    }
    return SQLITE_OK;
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || wanted_; });
      if (stop_) return;
      wanted_ = false;
      lock.unlock();
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
  }

  sqlite3* db_;  // the checkpointer's own connection
  // WAL size at which the thread checkpoints next; only the writer's commit hook touches it.
  int next_at_ = kCheckpointPages;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool stop_ = false;
  std::thread thread_;
};

class SqliteRow final : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* stmt) : stmt_(stmt) {}
  bool is_null(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t i64(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double f64(int col) const override { return sqlite3_column_double(stmt_, col); }
  std::string_view text(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    if (p == nullptr) return {};
    return {p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }
  bool boolean(int col) const override { return sqlite3_column_int64(stmt_, col) != 0; }

 private:
  sqlite3_stmt* stmt_;
};

// Binds straight into the statement; text and blobs are SQLITE_STATIC (run_each's contract keeps
// them alive until the row has been stepped). Keeps the first error.
class SqliteBinder final : public Conn::Binder {
 public:
  explicit SqliteBinder(sqlite3_stmt* stmt) : stmt_(stmt) {}
  void null(int idx) override { check(sqlite3_bind_null(stmt_, idx + 1)); }
  void i64(int idx, int64_t v) override { check(sqlite3_bind_int64(stmt_, idx + 1, v)); }
  void boolean(int idx, bool v) override { check(sqlite3_bind_int(stmt_, idx + 1, v ? 1 : 0)); }
  void text(int idx, std::string_view v) override {
    check(sqlite3_bind_text(stmt_, idx + 1, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
  }
  void blob(int idx, std::span<const uint8_t> v) override {
    check(sqlite3_bind_blob(stmt_, idx + 1, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
  }
  int rc() const { return rc_; }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK && rc_ == SQLITE_OK) rc_ = rc;
  }
  sqlite3_stmt* stmt_;
  int rc_ = SQLITE_OK;
};

// Reset on every exit path so that a statement never holds a read snapshot open.
struct ResetOnExit {
  sqlite3_stmt* s;
  ~ResetOnExit() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

// Cache lookups by string_view, without building a std::string key per call.
struct SqlHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class SqliteConn final : public Conn {
 public:
  explicit SqliteConn(sqlite3* db) : db_(db) {}
  ~SqliteConn() override {
    if (checkpointer_) sqlite3_wal_hook(db_, nullptr, nullptr);
    checkpointer_.reset();
    for (auto& [sql, stmt] : cache_)
      sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  // Hands checkpoints to a thread with its own connection (`other`, on the same file).
  void checkpoint_in_background(sqlite3* other) {
    checkpointer_ = std::make_unique<Checkpointer>(other);
    sqlite3_wal_hook(db_, &Checkpointer::on_commit, checkpointer_.get());
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  std::optional<int64_t> last_insert_id() const override { return sqlite3_last_insert_rowid(db_); }
  bool broken() const override { return false; }

  Result<void> exec(std::string_view sql) override {
    std::string text(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Error(msg, sqlite3_extended_errcode(db_));
    }
    return ok();
  }

  Result<int64_t> run(std::string_view sql, std::span<const Value> params,
                      const RowFn& on_row) override {
    PHALANX_TRY(sqlite3_stmt * stmt, prepare(sql));
    ResetOnExit reset{stmt};
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      int rc = std::visit(
          [&](const auto& v) -> int {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              return sqlite3_bind_null(stmt, idx);
            } else if constexpr (std::is_same_v<T, int64_t>) {
              return sqlite3_bind_int64(stmt, idx, v);
            } else if constexpr (std::is_same_v<T, double>) {
              return sqlite3_bind_double(stmt, idx, v);
            } else if constexpr (std::is_same_v<T, std::string>) {
              return sqlite3_bind_text(stmt, idx, v.data(), static_cast<int>(v.size()),
                                       SQLITE_STATIC);
            } else if constexpr (std::is_same_v<T, Blob>) {
              return sqlite3_bind_blob(stmt, idx, v.data(), static_cast<int>(v.size()),
                                       SQLITE_STATIC);
            } else {
              return sqlite3_bind_int(stmt, idx, v ? 1 : 0);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) return Error(fmt::format("binding parameter {}: {}", idx, errmsg()));
    }
    int64_t rows = 0;
    SqliteRow row(stmt);
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) {
        ++rows;
        if (on_row) on_row(row);
        continue;
      }
      if (rc == SQLITE_DONE) break;
      return Error(errmsg(), sqlite3_extended_errcode(db_));
    }
    if (sqlite3_column_count(stmt) == 0) rows = sqlite3_changes64(db_);
    return rows;
  }

  Result<void> run_each(std::string_view sql, size_t n, const BindFn& bind,
                        const EachRowFn& on_row) override {
    PHALANX_TRY(sqlite3_stmt * stmt, prepare(sql));
    ResetOnExit reset{stmt};
    SqliteRow row(stmt);
    for (size_t i = 0; i < n; ++i) {
      SqliteBinder binder(stmt);
      bind(i, binder);
      if (binder.rc() != SQLITE_OK) {
        return Error(fmt::format("binding row {}: {}", i, sqlite3_errstr(binder.rc())),
                     binder.rc());
      }
      for (;;) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
          if (on_row) on_row(i, row);
          continue;
        }
        if (rc == SQLITE_DONE) break;
        return Error(errmsg(), sqlite3_extended_errcode(db_));
      }
      sqlite3_reset(stmt);
    }
    return ok();
  }

  Result<void> start_watch() override {
    PHALANX_TRY(data_version_, read_data_version());
    return ok();
  }

  Result<bool> wait_change(std::chrono::milliseconds timeout) override {
    std::this_thread::sleep_for(timeout);
    PHALANX_TRY(int64_t v, read_data_version());
    if (v == data_version_) return false;
    data_version_ = v;
    return true;
  }

 private:
  std::string errmsg() const { return sqlite3_errmsg(db_); }

  Result<int64_t> read_data_version() {
    int64_t v = 0;
    PHALANX_CHECK(run("PRAGMA data_version", {}, [&](const Row& r) { v = r.i64(0); }));
    return v;
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedStatements) {
      for (auto& [text, stmt] : cache_)
        sqlite3_finalize(stmt);
      cache_.clear();
    }
    std::string key(sql);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
      return Error(fmt::format("preparing statement: {}", errmsg()), sqlite3_extended_errcode(db_));
    }
    cache_.emplace(std::move(key), stmt);
    return stmt;
  }

  sqlite3* db_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
  int64_t data_version_ = 0;
};

Result<sqlite3*> open_db(const std::string& path) {
  // SQLite's allocation statistics take a global mutex around every malloc and free; nothing
  // reads them. Only possible before the library initialises (later calls fail harmlessly).
  static std::once_flag configured;
  std::call_once(configured, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  // One write per WAL commit instead of two per page (sqlite_vfs.h).
  PHALANX_TRY(const char* vfs, wal_batching_vfs());
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Error(fmt::format("opening sqlite database {}: {}", path, msg), rc);
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  return db;
}

}  // namespace

Result<std::unique_ptr<Conn>> open_sqlite(const std::string& path, ConnRole role) {
  PHALANX_TRY(sqlite3 * db, open_db(path));
  auto conn = std::make_unique<SqliteConn>(db);
  // WAL: readers never block the writer. synchronous=NORMAL: a commit is in the WAL file (and in
  // the page cache) before it returns, so it survives the process being killed; only a power
  // loss can drop the last commits. foreign_keys: decisions reference their alert.
  auto r = conn->exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
      "PRAGMA temp_store=MEMORY;");
  if (!r) return r.error().context(fmt::format("configuring sqlite database {}", path));
  if (role == ConnRole::kWriter) {
    PHALANX_TRY(sqlite3 * other, open_db(path));
    // A connection checkpoints only once it has opened the WAL itself.
    if (sqlite3_exec(other, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
      std::string msg = sqlite3_errmsg(other);
      sqlite3_close_v2(other);
      return Error(fmt::format("opening the checkpoint connection to {}: {}", path, msg));
    }
    conn->checkpoint_in_background(other);
  }
  return std::unique_ptr<Conn>(std::move(conn));
}

}  // namespace phalanx::storage

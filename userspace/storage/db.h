// SPDX-License-Identifier: Apache-2.0
// The thin SQL connection layer under SqlStore: one interface, two implementations (SQLite and
// PostgreSQL). SQL text uses `?` placeholders everywhere; the PostgreSQL connection rewrites them
// to `$n`. Statements are prepared once per connection and cached by their text.
//
// A Conn is not thread-safe: SqlStore guards each one with its own mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace phalanx::storage {

enum class Dialect { kSqlite, kPostgres };

using Blob = std::vector<uint8_t>;

// A bound parameter. Booleans stay booleans so that each backend binds its own type (SQLite
// 0/1, PostgreSQL boolean).
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob, bool>;

// One result row, valid only inside the row callback.
class Row {
 public:
  virtual ~Row() = default;
  virtual bool is_null(int col) const = 0;
  virtual int64_t i64(int col) const = 0;
  virtual double f64(int col) const = 0;
  virtual std::string_view text(int col) const = 0;
  virtual bool boolean(int col) const = 0;
  std::string str(int col) const { return std::string(text(col)); }
};

using RowFn = std::function<void(const Row&)>;

class Conn {
 public:
  virtual ~Conn() = default;
  virtual Dialect dialect() const = 0;
  // True when the connection is lost (PostgreSQL server gone) and must be reopened.
  virtual bool broken() const = 0;

  // Runs one or more statements without parameters (DDL, BEGIN, COMMIT).
  virtual Result<void> exec(std::string_view sql) = 0;

  // Runs one statement with parameters; calls `on_row` for every result row. Returns the number
  // of rows changed (INSERT/UPDATE/DELETE) or returned (SELECT).
  virtual Result<int64_t> run(std::string_view sql, std::span<const Value> params,
                              const RowFn& on_row = {}) = 0;

  // Runs statements in order, stopping at the first error. PostgreSQL sends them in pipeline
  // mode (one round trip per few hundred statements); SQLite runs them one by one.
  struct Statement {
    std::string_view sql;
    std::vector<Value> params;
    RowFn on_row;
  };
  virtual Result<void> run_batch(std::span<Statement> batch) {
    for (auto& s : batch)
      PHALANX_CHECK(run(s.sql, s.params, s.on_row));
    return ok();
  }

  // Sets the parameters of one row of run_each() (0-based indexes). Text and blobs are not
  // copied: they must stay valid until the binding function is called for the next row.
  class Binder {
   public:
    virtual ~Binder() = default;
    virtual void null(int idx) = 0;
    virtual void i64(int idx, int64_t v) = 0;
    virtual void boolean(int idx, bool v) = 0;
    virtual void text(int idx, std::string_view v) = 0;
    virtual void blob(int idx, std::span<const uint8_t> v) = 0;
  };
  using BindFn = std::function<void(size_t row, Binder&)>;
  using EachRowFn = std::function<void(size_t row, const Row&)>;

  // Runs one statement `n` times, the i-th time with the parameters bind(i, …) sets, calling
  // on_row(i, …) for its result rows; stops at the first error. For bulk inserts: SQLite steps
  // each row as it is bound (one prepared statement, no per-row allocation); the default
  // collects the rows into run_batch() (PostgreSQL: one pipeline).
  virtual Result<void> run_each(std::string_view sql, size_t n, const BindFn& bind,
                                const EachRowFn& on_row);

  // The id of the last row this connection inserted, where the backend keeps one (SQLite's
  // rowid); nullopt elsewhere (PostgreSQL: INSERT … RETURNING).
  virtual std::optional<int64_t> last_insert_id() const { return std::nullopt; }

  // Change watching for watch_decisions(). start_watch() arms it (SQLite: remembers
  // data_version; PostgreSQL: LISTEN); wait_change() blocks up to `timeout` and returns true when
  // another connection may have committed a change since the last call.
  virtual Result<void> start_watch() = 0;
  virtual Result<bool> wait_change(std::chrono::milliseconds timeout) = 0;
};

// What a connection is for. The SQLite writer moves WAL checkpoints off the commit path.
enum class ConnRole { kWriter, kReader, kWatcher };

// Opens a connection. Errors: the file cannot be opened / the server cannot be reached.
Result<std::unique_ptr<Conn>> open_sqlite(const std::string& path,
                                          ConnRole role = ConnRole::kReader);
Result<std::unique_ptr<Conn>> open_postgres(const std::string& url);

// The PostgreSQL channel that decision changes are notified on (a trigger on `decisions`).
inline constexpr std::string_view kDecisionChannel = "phalanx_decisions";

// A URL with the password replaced by "***", for error messages and logs.
std::string redact_url(std::string_view url);

}  // namespace phalanx::storage

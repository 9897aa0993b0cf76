// SPDX-License-Identifier: Apache-2.0
#include "storage/migrations.h"

#include <fmt/format.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace phalanx::storage {
namespace {

// One migration: SQL common to both backends, written with type placeholders ({id}, {int},
// {bool}, {false}, {real}, {blob}) that each dialect fills in, plus statements for one backend
// only (plain SQL, no placeholders).
struct Migration {
  int64_t version;
  const char* name;
  const char* common;
  const char* sqlite_only;
  const char* postgres_only;
};

// Times are int64 nanoseconds since the Unix epoch (UTC). IP ranges are 16-byte big-endian
// start/end with IPv4 v4-mapped, and ip_size 4 or 16 (0 when the row has no address range);
// comparing the blobs compares the addresses (SQLite memcmp, PostgreSQL bytea order).
constexpr const char* kInitialSchema = R"sql(
CREATE TABLE alerts (
  id {id},
  uuid TEXT NOT NULL DEFAULT '',
  machine_id TEXT NOT NULL DEFAULT '',
  created_at {int} NOT NULL,
  scenario TEXT NOT NULL DEFAULT '',
  scenario_hash TEXT NOT NULL DEFAULT '',
  scenario_version TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  leakspeed TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT '',
  capacity {int} NOT NULL DEFAULT 0,
  events_count {int} NOT NULL DEFAULT 0,
  start_at {int} NOT NULL DEFAULT 0,
  stop_at {int} NOT NULL DEFAULT 0,
  simulated {bool} NOT NULL DEFAULT {false},
  remediation {bool} NOT NULL DEFAULT {false},
  source_scope TEXT NOT NULL DEFAULT '',
  source_value TEXT NOT NULL DEFAULT '',
  source_ip TEXT NOT NULL DEFAULT '',
  source_range TEXT NOT NULL DEFAULT '',
  source_as_name TEXT NOT NULL DEFAULT '',
  source_as_number TEXT NOT NULL DEFAULT '',
  source_cn TEXT NOT NULL DEFAULT '',
  source_latitude {real} NOT NULL DEFAULT 0,
  source_longitude {real} NOT NULL DEFAULT 0,
  source_ip_start {blob},
  source_ip_end {blob},
  source_ip_size {int} NOT NULL DEFAULT 0,
  events TEXT NOT NULL DEFAULT '[]',
  meta TEXT NOT NULL DEFAULT '[]',
  labels TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX alerts_created_at ON alerts (created_at);

CREATE TABLE decisions (
  id {id},
  alert_id {int} REFERENCES alerts (id) ON DELETE CASCADE,
  uuid TEXT NOT NULL DEFAULT '',
  created_at {int} NOT NULL,
  until {int} NOT NULL,
  scenario TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT '',
  scope TEXT NOT NULL DEFAULT '',
  value TEXT NOT NULL DEFAULT '',
  origin TEXT NOT NULL DEFAULT '',
  simulated {bool} NOT NULL DEFAULT {false},
  ip_start {blob},
  ip_end {blob},
  ip_size {int} NOT NULL DEFAULT 0,
  rev {int} NOT NULL
);
CREATE UNIQUE INDEX decisions_rev ON decisions (rev);
CREATE INDEX decisions_alert_id ON decisions (alert_id);
CREATE INDEX decisions_value ON decisions (value);

-- The store-wide change sequence of decisions ('rev'): read and advanced by every transaction
-- that inserts or expires decisions, which therefore commit in rev order.
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value {int} NOT NULL
);
INSERT INTO counters (name, value) VALUES ('rev', 0);

CREATE TABLE machines (
  id {id},
  machine_id TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL DEFAULT '',
  ip_address TEXT NOT NULL DEFAULT '',
  scenarios TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '',
  auth_type TEXT NOT NULL DEFAULT 'password',
  is_validated {bool} NOT NULL DEFAULT {false},
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL,
  last_push {int},
  last_heartbeat {int}
);

CREATE TABLE bouncers (
  id {id},
  name TEXT NOT NULL UNIQUE,
  api_key_hash TEXT NOT NULL DEFAULT '',
  ip_address TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '',
  auth_type TEXT NOT NULL DEFAULT 'api-key',
  revoked {bool} NOT NULL DEFAULT {false},
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL,
  last_pull {int}
);
CREATE INDEX bouncers_api_key_hash ON bouncers (api_key_hash);
)sql";

// Other LAPI instances on the same database LISTEN on this channel (one notification per
// committing transaction: PostgreSQL folds identical ones).
constexpr const char* kPostgresNotify = R"sql(
CREATE FUNCTION phalanx_notify_decisions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('phalanx_decisions', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER decisions_notify AFTER INSERT OR UPDATE ON decisions
  FOR EACH STATEMENT EXECUTE FUNCTION phalanx_notify_decisions();
)sql";

// Centralised allowlists. Values are matched in memory by the LAPI (lists are small), so no
// address columns are kept; a value appears at most once per list.
constexpr const char* kAllowlists = R"sql(
CREATE TABLE allowlists (
  id {id},
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  allowlist_id TEXT NOT NULL DEFAULT '',
  from_console {bool} NOT NULL DEFAULT {false},
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL
);

CREATE TABLE allowlist_items (
  id {id},
  allowlist {int} NOT NULL REFERENCES allowlists (id) ON DELETE CASCADE,
  value TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at {int} NOT NULL,
  expires_at {int},
  UNIQUE (allowlist, value)
);
)sql";

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1, "initial schema", kInitialSchema, "", kPostgresNotify},
      {2, "allowlists", kAllowlists, "", ""},
  };
  return list;
}

std::string render(const char* sql, Dialect d) {
  bool lite = d == Dialect::kSqlite;
  return fmt::format(
      fmt::runtime(sql),
      fmt::arg("id", lite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"),
      fmt::arg("int", lite ? "INTEGER" : "BIGINT"), fmt::arg("bool", lite ? "INTEGER" : "BOOLEAN"),
      fmt::arg("false", lite ? "0" : "false"), fmt::arg("real", lite ? "REAL" : "DOUBLE PRECISION"),
      fmt::arg("blob", lite ? "BLOB" : "BYTEA"));
}

// Arbitrary constant naming the migration lock among PostgreSQL advisory locks.
constexpr int64_t kMigrationLockKey = 0x7068616c616e78;  // "phalanx"

Result<void> apply_locked(Conn& conn) {
  bool lite = conn.dialect() == Dialect::kSqlite;
  PHALANX_CHECK(conn.exec(lite ? "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                 "applied_at INTEGER NOT NULL)"
                               : "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 "version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                                 "applied_at BIGINT NOT NULL)"));
  std::set<int64_t> applied;
  PHALANX_CHECK(conn.run("SELECT version FROM schema_migrations", {},
                         [&](const Row& r) { applied.insert(r.i64(0)); }));
  if (!applied.empty() && *applied.rbegin() > latest_schema_version()) {
    return Error(fmt::format("database schema version {} is newer than this build knows ({})",
                             *applied.rbegin(), latest_schema_version()));
  }
  for (const auto& m : migrations()) {
    if (applied.contains(m.version)) continue;
    auto step = [&]() -> Result<void> {
      PHALANX_CHECK(conn.exec(render(m.common, conn.dialect())));
      const char* extra = lite ? m.sqlite_only : m.postgres_only;
      if (extra[0] != '\0') PHALANX_CHECK(conn.exec(extra));
      int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      std::vector<Value> params{m.version, std::string(m.name), now};
      PHALANX_CHECK(conn.run(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", params));
      return ok();
    };
    if (auto r = step(); !r) {
      return r.error().context(fmt::format("applying migration {} ({})", m.version, m.name));
    }
  }
  return ok();
}

}  // namespace

int64_t latest_schema_version() {
  return migrations().back().version;
}

Result<void> apply_migrations(Conn& conn) {
  bool lite = conn.dialect() == Dialect::kSqlite;
  PHALANX_CHECK(conn.exec(lite ? "BEGIN IMMEDIATE" : "BEGIN"));
  auto r = [&]() -> Result<void> {
    if (!lite) {
      PHALANX_CHECK(conn.exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockKey)));
    }
    PHALANX_CHECK(apply_locked(conn));
    return conn.exec("COMMIT");
  }();
  if (!r) {
    (void)conn.exec("ROLLBACK");
    return r.error().context("migrating the schema");
  }
  return ok();
}

}  // namespace phalanx::storage

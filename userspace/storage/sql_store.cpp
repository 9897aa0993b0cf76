// SPDX-License-Identifier: Apache-2.0
// SqlStore: connections, transactions, revs and alerts. Decisions and flush are in
// sql_store_decisions.cpp, watching in sql_store_watch.cpp, machines and bouncers in
// sql_store_accounts.cpp.
#include "storage/sql_store.h"

#include <fmt/format.h>

#include <unordered_map>

#include "storage/alert_query.h"
#include "storage/codec.h"
#include "storage/migrations.h"
#include "storage/sql_util.h"

namespace phalanx::storage {
namespace {

// A group commit stops taking queued calls once it holds this many alerts.
constexpr size_t kMaxGroupAlerts = 1000;

// SQLite reads a new row's id from the connection (Conn::last_insert_id()): a RETURNING clause
// makes it build and drop a temporary table, with its own b-tree and page cache, per statement.
// PostgreSQL returns it in the same round trip.
#define PHALANX_INSERT_ALERT                                                                   \
  "INSERT INTO alerts (uuid, machine_id, created_at, scenario, scenario_hash, "                \
  "scenario_version, message, leakspeed, kind, capacity, events_count, start_at, stop_at, "    \
  "simulated, remediation, source_scope, source_value, source_ip, source_range, "              \
  "source_as_name, source_as_number, source_cn, source_latitude, source_longitude, "           \
  "source_ip_start, source_ip_end, source_ip_size, events, meta, labels) VALUES (?, ?, ?, ?, " \
  "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
// Every decision column; the first value, alert_id, is the statement's own.
#define PHALANX_INSERT_DECISION_INTO                                                         \
  "INSERT INTO decisions (alert_id, uuid, created_at, until, scenario, type, scope, value, " \
  "origin, simulated, ip_start, ip_end, ip_size, rev) VALUES ("
#define PHALANX_DECISION_VALUES_AFTER_ALERT_ID ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
constexpr const char* kInsertAlert = PHALANX_INSERT_ALERT;
constexpr const char* kInsertAlertReturning = PHALANX_INSERT_ALERT " RETURNING id";
constexpr const char* kInsertDecision =
    PHALANX_INSERT_DECISION_INTO "?" PHALANX_DECISION_VALUES_AFTER_ALERT_ID;
constexpr const char* kInsertDecisionReturning =
    PHALANX_INSERT_DECISION_INTO "?" PHALANX_DECISION_VALUES_AFTER_ALERT_ID " RETURNING id";
// PostgreSQL only: the alert inserted just before, in the same session (see insert_alert_rows).
constexpr const char* kInsertDecisionAfterAlert = PHALANX_INSERT_DECISION_INTO
    "currval('alerts_id_seq')" PHALANX_DECISION_VALUES_AFTER_ALERT_ID " RETURNING id";
#undef PHALANX_INSERT_ALERT
#undef PHALANX_INSERT_DECISION_INTO
#undef PHALANX_DECISION_VALUES_AFTER_ALERT_ID

Alert read_alert(const Row& r) {
  Alert a;
  a.id = r.i64(0);
  a.uuid = r.str(1);
  a.machine_id = r.str(2);
  a.created_at = from_ns(r.i64(3));
  a.scenario = r.str(4);
  a.scenario_hash = r.str(5);
  a.scenario_version = r.str(6);
  a.message = r.str(7);
  a.leakspeed = r.str(8);
  a.kind = r.str(9);
  a.capacity = static_cast<int32_t>(r.i64(10));
  a.events_count = static_cast<int32_t>(r.i64(11));
  a.start_at = from_ns(r.i64(12));
  a.stop_at = from_ns(r.i64(13));
  a.simulated = r.boolean(14);
  a.remediation = r.boolean(15);
  a.source.scope = r.str(16);
  a.source.value = r.str(17);
  a.source.ip = r.str(18);
  a.source.range = r.str(19);
  a.source.as_name = r.str(20);
  a.source.as_number = r.str(21);
  a.source.cn = r.str(22);
  a.source.latitude = static_cast<float>(r.f64(23));
  a.source.longitude = static_cast<float>(r.f64(24));
  a.events = decode_events(r.text(25));
  a.meta = decode_meta(r.text(26));
  a.labels = decode_labels(r.text(27));
  return a;
}

Value span_start(const std::optional<IpSpan>& s) {
  return s ? Value(to_blob(s->start)) : Value(nullptr);
}
Value span_end(const std::optional<IpSpan>& s) {
  return s ? Value(to_blob(s->end)) : Value(nullptr);
}
int64_t span_size(const std::optional<IpSpan>& s) {
  return s ? s->size : 0;
}

}  // namespace

// --- revs

Result<void> SqlStore::Revs::lock() {
  if (locked_) return ok();
  std::string sql = "SELECT value FROM counters WHERE name = 'rev'";
  if (conn_.dialect() == Dialect::kPostgres) sql += " FOR UPDATE";
  bool found = false;
  PHALANX_CHECK(conn_.run(sql, {}, [&](const Row& r) {
    value_ = r.i64(0);
    found = true;
  }));
  if (!found) return Error("reading the rev counter: row missing");
  start_ = value_;
  locked_ = true;
  return ok();
}

Result<int64_t> SqlStore::Revs::next() {
  PHALANX_CHECK(lock());
  return ++value_;
}

Result<int64_t> SqlStore::Revs::reserve(int64_t n) {
  if (!locked_ && conn_.dialect() == Dialect::kPostgres) {
    // Lock, advance and write back in one statement (one round trip). SQLite reads the counter
    // instead (its write lock is the transaction's) and save() writes it back, without the
    // temporary table of a RETURNING clause.
    std::vector<Value> p{n};
    bool found = false;
    PHALANX_CHECK(
        conn_.run("UPDATE counters SET value = value + ? WHERE name = 'rev' RETURNING value", p,
                  [&](const Row& r) {
                    value_ = r.i64(0);
                    found = true;
                  }));
    if (!found) return Error("advancing the rev counter: row missing");
    start_ = value_;
    locked_ = true;
    return value_ - n + 1;
  }
  PHALANX_CHECK(lock());
  int64_t first = value_ + 1;
  value_ += n;
  return first;
}

Result<void> SqlStore::Revs::save() {
  if (!locked_ || value_ == start_) return ok();
  std::vector<Value> params{value_};
  PHALANX_CHECK(conn_.run("UPDATE counters SET value = ? WHERE name = 'rev'", params));
  start_ = value_;
  return ok();
}

// --- connections and transactions

Result<std::unique_ptr<SqlStore>> SqlStore::open(Opener opener) {
  std::unique_ptr<SqlStore> store(new SqlStore(std::move(opener)));
  PHALANX_TRY(store->writer_, store->opener_(ConnRole::kWriter));
  PHALANX_CHECK(apply_migrations(*store->writer_));
  PHALANX_TRY(store->reader_, store->opener_(ConnRole::kReader));
  return store;
}

SqlStore::~SqlStore() {
  stop_watching();
}

Result<void> SqlStore::write(const std::function<Result<void>(Conn&)>& fn) {
  std::lock_guard lock(write_mu_);
  if (writer_->broken()) {
    PHALANX_TRY(writer_, opener_(ConnRole::kWriter));
  }
  Conn& c = *writer_;
  // BEGIN IMMEDIATE takes SQLite's write lock now, so that the transaction cannot fail later
  // on a lock upgrade; busy_timeout makes it wait for another process's writer.
  PHALANX_CHECK(c.exec(c.dialect() == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN"));
  auto r = fn(c);
  if (r) r = c.exec("COMMIT");
  if (!r) (void)c.exec("ROLLBACK");
  return r;
}

Result<void> SqlStore::read(const std::function<Result<void>(Conn&)>& fn, bool snapshot) {
  std::lock_guard lock(read_mu_);
  if (reader_->broken()) {
    PHALANX_TRY(reader_, opener_(ConnRole::kReader));
  }
  Conn& c = *reader_;
  if (!snapshot) return fn(c);
  PHALANX_CHECK(c.exec(c.dialect() == Dialect::kSqlite
                           ? "BEGIN"
                           : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  auto r = fn(c);
  auto end = c.exec(r ? "COMMIT" : "ROLLBACK");
  if (r && !end) return end;
  return r;
}

// --- alerts

namespace {

std::vector<Value> alert_params(const Alert& a) {
  auto span = source_span(a.source);
  return {a.uuid,
          a.machine_id,
          to_ns(a.created_at),
          a.scenario,
          a.scenario_hash,
          a.scenario_version,
          a.message,
          a.leakspeed,
          a.kind,
          int64_t{a.capacity},
          int64_t{a.events_count},
          to_ns(a.start_at),
          to_ns(a.stop_at),
          a.simulated,
          a.remediation,
          a.source.scope,
          a.source.value,
          a.source.ip,
          a.source.range,
          a.source.as_name,
          a.source.as_number,
          a.source.cn,
          double{a.source.latitude},
          double{a.source.longitude},
          span_start(span),
          span_end(span),
          span_size(span),
          encode_events(a.events),
          encode_meta(a.meta),
          encode_labels(a.labels)};
}

// Parameters of kInsertDecision; without the leading alert_id for kInsertDecisionAfterAlert.
std::vector<Value> decision_params(const Decision& d, bool with_alert_id) {
  auto span = decision_span(d.scope, d.value);
  std::vector<Value> p;
  p.reserve(14);
  if (with_alert_id) p.push_back(d.alert_id > 0 ? Value(d.alert_id) : Value(nullptr));
  for (Value v :
       {Value(d.uuid), Value(to_ns(d.created_at)), Value(to_ns(d.until)), Value(d.scenario),
        Value(d.type), Value(d.scope), Value(d.value), Value(d.origin), Value(d.simulated),
        span_start(span), span_end(span), Value(span_size(span)), Value(d.rev)}) {
    p.push_back(std::move(v));
  }
  return p;
}

}  // namespace

// SQLite runs statement after statement in-process, so each decision simply binds the id its
// alert just got. PostgreSQL gets the whole batch in pipeline mode (one round trip), where a
// decision cannot wait for its alert's id: it reads currval() of the alerts' id sequence, which
// within the session is the alert inserted just before it.
//
// The rows go through run_each(): on SQLite each decision is bound straight from its strings and
// stepped, so a bulk import of a million rows builds no statement list and copies no text.
Result<void> SqlStore::insert_decision_rows(Conn& c, Revs& revs, std::span<Decision> decisions,
                                            int64_t alert_id) {
  if (decisions.empty()) return ok();
  PHALANX_TRY(int64_t rev, revs.reserve(static_cast<int64_t>(decisions.size())));
  for (auto& d : decisions) {
    d.alert_id = alert_id;
    d.rev = rev++;
  }
  std::optional<IpSpan> span;  // the bound row's range: lives until the next row is bound
  const bool returning = c.dialect() != Dialect::kSqlite;
  auto bind = [&](size_t i, Conn::Binder& b) {
    // Without RETURNING: run_each has stepped row i - 1 by now, its id is the last one.
    if (!returning && i > 0) decisions[i - 1].id = *c.last_insert_id();
    const Decision& d = decisions[i];
    span = decision_span(d.scope, d.value);
    if (d.alert_id > 0)
      b.i64(0, d.alert_id);
    else
      b.null(0);
    b.text(1, d.uuid);
    b.i64(2, to_ns(d.created_at));
    b.i64(3, to_ns(d.until));
    b.text(4, d.scenario);
    b.text(5, d.type);
    b.text(6, d.scope);
    b.text(7, d.value);
    b.text(8, d.origin);
    b.boolean(9, d.simulated);
    if (span) {
      b.blob(10, span->start);
      b.blob(11, span->end);
    } else {
      b.null(10);
      b.null(11);
    }
    b.i64(12, span_size(span));
    b.i64(13, d.rev);
  };
  if (returning) {
    return c.run_each(kInsertDecisionReturning, decisions.size(), bind,
                      [&](size_t i, const Row& r) { decisions[i].id = r.i64(0); });
  }
  PHALANX_CHECK(c.run_each(kInsertDecision, decisions.size(), bind, {}));
  decisions.back().id = *c.last_insert_id();
  return ok();
}

Result<void> SqlStore::insert_alert_rows(Conn& c, Revs& revs, std::span<Alert> alerts,
                                         std::vector<int64_t>& ids) {
  if (c.dialect() == Dialect::kSqlite) {
    for (auto& a : alerts) {
      PHALANX_CHECK(c.run(kInsertAlert, alert_params(a)));
      a.id = *c.last_insert_id();
      PHALANX_CHECK(insert_decision_rows(c, revs, a.decisions, a.id));
      ids.push_back(a.id);
    }
    return ok();
  }
  int64_t count = 0;
  for (const auto& a : alerts)
    count += static_cast<int64_t>(a.decisions.size());
  int64_t rev = 0;
  if (count > 0) {
    PHALANX_TRY(rev, revs.reserve(count));
  }
  std::vector<Conn::Statement> batch;
  for (auto& a : alerts) {
    batch.push_back(
        {kInsertAlertReturning, alert_params(a), [&a](const Row& r) { a.id = r.i64(0); }});
    for (auto& d : a.decisions) {
      d.rev = rev++;
      batch.push_back({kInsertDecisionAfterAlert, decision_params(d, false),
                       [&d](const Row& r) { d.id = r.i64(0); }});
    }
  }
  PHALANX_CHECK(c.run_batch(batch));
  for (auto& a : alerts) {
    for (auto& d : a.decisions)
      d.alert_id = a.id;
    ids.push_back(a.id);
  }
  return ok();
}

Result<std::vector<int64_t>> SqlStore::insert_alerts(std::span<Alert> alerts) {
  InsertJob job{alerts, Error("not run")};
  std::unique_lock lock(group_mu_);
  group_queue_.push_back(&job);
  // Group commit: the first caller to find no commit running takes every queued call into one
  // transaction; the others wait for it and, if their call was not in that group, one of them
  // leads the next. Concurrent callers (agents pushing at once) share one commit.
  while (!job.done) {
    if (group_busy_) {
      group_cv_.wait(lock);
      continue;
    }
    group_busy_ = true;
    std::vector<InsertJob*> group;
    size_t rows = 0;
    while (!group_queue_.empty() && (group.empty() || rows < kMaxGroupAlerts)) {
      rows += group_queue_.front()->alerts.size();
      group.push_back(group_queue_.front());
      group_queue_.pop_front();
    }
    lock.unlock();
    run_insert_group(group);
    lock.lock();
    for (InsertJob* j : group)
      j->done = true;
    group_busy_ = false;
    group_cv_.notify_all();
  }
  if (!job.result) {
    return job.result.error().context(fmt::format("inserting {} alerts", alerts.size()));
  }
  return std::move(job.result).value();
}

void SqlStore::run_insert_group(const std::vector<InsertJob*>& group) {
  std::vector<std::vector<int64_t>> ids(group.size());
  auto r = write([&](Conn& c) -> Result<void> {
    Revs revs(c);
    for (size_t i = 0; i < group.size(); ++i) {
      ids[i].clear();
      PHALANX_CHECK(insert_alert_rows(c, revs, group[i]->alerts, ids[i]));
    }
    return revs.save();
  });
  if (r) {
    for (size_t i = 0; i < group.size(); ++i)
      group[i]->result = std::move(ids[i]);
    return;
  }
  if (group.size() == 1) {
    group[0]->result = std::move(r).error();
    return;
  }
  // One call's rows failed the shared transaction: give every call its own, so that only the
  // failing one reports the error.
  for (InsertJob* job : group)
    run_insert_group({job});
}

Result<void> SqlStore::attach_decisions(Conn& c, std::vector<Alert>& alerts) {
  std::unordered_map<int64_t, size_t> index;
  std::vector<int64_t> ids;
  for (size_t i = 0; i < alerts.size(); ++i) {
    index.emplace(alerts[i].id, i);
    ids.push_back(alerts[i].id);
  }
  std::string sql = fmt::format("SELECT {} FROM decisions WHERE alert_id IN {} ORDER BY id",
                                kDecisionColumns, in_list(kChunk));
  return for_chunks(ids, [&](std::vector<Value>& params) -> Result<void> {
    PHALANX_CHECK(c.run(sql, params, [&](const Row& r) {
      Decision d = read_decision(r);
      alerts[index.at(d.alert_id)].decisions.push_back(std::move(d));
    }));
    return ok();
  });
}

Result<std::vector<Alert>> SqlStore::query_alerts(const AlertFilter& filter, TimePoint now) {
  std::vector<Alert> alerts;
  auto r = read(
      [&](Conn& c) -> Result<void> {
        alerts.clear();
        PHALANX_TRY(SqlCondition q, alert_select(filter, now));
        PHALANX_CHECK(
            c.run(q.sql, q.params, [&](const Row& row) { alerts.push_back(read_alert(row)); }));
        if (filter.with_decisions && !alerts.empty()) PHALANX_CHECK(attach_decisions(c, alerts));
        return ok();
      },
      /*snapshot=*/true);
  if (!r) return r.error().context("querying alerts");
  return alerts;
}

Result<std::optional<Alert>> SqlStore::get_alert(int64_t id) {
  AlertFilter filter;
  filter.id = id;
  filter.limit = 1;
  auto alerts = query_alerts(filter, TimePoint{});
  if (!alerts) return alerts.error();
  if (alerts->empty()) return std::optional<Alert>();
  return std::optional<Alert>(std::move(alerts->front()));
}

Result<int64_t> SqlStore::remove_alerts(Conn& c, const std::vector<int64_t>& ids, TimePoint now) {
  if (ids.empty()) return int64_t{0};
  Revs revs(c);
  PHALANX_CHECK(revs.lock());
  std::vector<int64_t> active;
  std::string select = fmt::format(
      "SELECT id FROM decisions WHERE until > ? AND alert_id IN {} ORDER BY id", in_list(kChunk));
  PHALANX_CHECK(for_chunks(
      ids,
      [&](std::vector<Value>& params) -> Result<void> {
        auto r = c.run(select, params, [&](const Row& r) { active.push_back(r.i64(0)); });
        if (!r) return r.error();
        return ok();
      },
      to_ns(now)));
  std::vector<Conn::Statement> expire;
  for (int64_t id : active) {
    PHALANX_TRY(int64_t rev, revs.next());
    expire.push_back({"UPDATE decisions SET until = ?, rev = ?, alert_id = NULL WHERE id = ?",
                      {to_ns(now), rev, id},
                      {}});
  }
  PHALANX_CHECK(c.run_batch(expire));
  PHALANX_CHECK(revs.save());
  int64_t removed = 0;
  std::string del_decisions =
      fmt::format("DELETE FROM decisions WHERE alert_id IN {}", in_list(kChunk));
  std::string del_alerts = fmt::format("DELETE FROM alerts WHERE id IN {}", in_list(kChunk));
  PHALANX_CHECK(for_chunks(ids, [&](std::vector<Value>& params) -> Result<void> {
    PHALANX_CHECK(c.run(del_decisions, params));
    PHALANX_TRY(int64_t n, c.run(del_alerts, params));
    removed += n;
    return ok();
  }));
  return removed;
}

Result<int64_t> SqlStore::delete_alerts(const AlertFilter& filter, TimePoint now) {
  int64_t removed = 0;
  auto r = write([&](Conn& c) -> Result<void> {
    PHALANX_TRY(SqlCondition cond, alert_condition(filter, now));
    std::vector<int64_t> ids;
    PHALANX_CHECK(c.run("SELECT a.id FROM alerts a" + cond.sql, cond.params,
                        [&](const Row& row) { ids.push_back(row.i64(0)); }));
    PHALANX_TRY(removed, remove_alerts(c, ids, now));
    return ok();
  });
  if (!r) return r.error().context("deleting alerts");
  return removed;
}

}  // namespace phalanx::storage

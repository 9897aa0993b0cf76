// SPDX-License-Identifier: Apache-2.0
// SqlStore: decisions (inserted without an alert, loaded, followed by rev, expired, counted)
// and the flush policy.
#include <fmt/format.h>

#include <algorithm>

#include "storage/alert_query.h"
#include "storage/codec.h"
#include "storage/sql_store.h"
#include "storage/sql_util.h"

namespace phalanx::storage {
namespace {

Result<std::vector<Decision>> select_decisions(Conn& c, std::string_view sql,
                                               std::span<const Value> params) {
  std::vector<Decision> out;
  PHALANX_CHECK(c.run(sql, params, [&](const Row& r) { out.push_back(read_decision(r)); }));
  return out;
}

}  // namespace

// --- decisions

Result<void> SqlStore::insert_decisions(std::span<Decision> decisions) {
  auto r = write([&](Conn& c) -> Result<void> {
    Revs revs(c);
    PHALANX_CHECK(insert_decision_rows(c, revs, decisions, 0));
    return revs.save();
  });
  if (!r) return r.error().context(fmt::format("inserting {} decisions", decisions.size()));
  return ok();
}

Result<std::vector<Decision>> SqlStore::load_decisions(TimePoint expired_since) {
  std::vector<Decision> out;
  auto r = read([&](Conn& c) -> Result<void> {
    std::vector<Value> p{to_ns(expired_since)};
    PHALANX_TRY(
        out, select_decisions(c,
                              fmt::format("SELECT {} FROM decisions WHERE until >= ? ORDER BY id",
                                          kDecisionColumns),
                              p));
    return ok();
  });
  if (!r) return r.error().context("loading decisions");
  return out;
}

Result<std::vector<Decision>> SqlStore::decisions_after(int64_t rev) {
  std::vector<Decision> out;
  auto r = read([&](Conn& c) -> Result<void> {
    std::vector<Value> p{rev};
    PHALANX_TRY(
        out,
        select_decisions(
            c, fmt::format("SELECT {} FROM decisions WHERE rev > ? ORDER BY rev", kDecisionColumns),
            p));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("reading decisions after rev {}", rev));
  return out;
}

Result<int64_t> SqlStore::max_rev() {
  int64_t rev = 0;
  auto r = read([&](Conn& c) -> Result<void> {
    PHALANX_CHECK(c.run("SELECT value FROM counters WHERE name = 'rev'", {},
                        [&](const Row& row) { rev = row.i64(0); }));
    return ok();
  });
  if (!r) return r.error().context("reading the current rev");
  return rev;
}

Result<std::vector<Decision>> SqlStore::expire_decisions(std::span<const int64_t> ids,
                                                         TimePoint now) {
  std::vector<Decision> changed;
  auto r = write([&](Conn& c) -> Result<void> {
    changed.clear();
    Revs revs(c);
    PHALANX_CHECK(revs.lock());
    std::vector<int64_t> active;
    std::string select = fmt::format(
        "SELECT id FROM decisions WHERE until > ? AND id IN {} ORDER BY id", in_list(kChunk));
    std::vector<int64_t> wanted(ids.begin(), ids.end());
    PHALANX_CHECK(for_chunks(
        wanted,
        [&](std::vector<Value>& params) -> Result<void> {
          auto q = c.run(select, params, [&](const Row& row) { active.push_back(row.i64(0)); });
          if (!q) return q.error();
          return ok();
        },
        to_ns(now)));
    // Chunks may overlap on duplicate input ids; each row changes once.
    std::sort(active.begin(), active.end());
    active.erase(std::unique(active.begin(), active.end()), active.end());
    std::string update = fmt::format(
        "UPDATE decisions SET until = ?, rev = ? WHERE id = ? RETURNING {}", kDecisionColumns);
    std::vector<Conn::Statement> batch;
    for (int64_t id : active) {
      PHALANX_TRY(int64_t rev, revs.next());
      batch.push_back({update, {to_ns(now), rev, id}, [&](const Row& row) {
                         changed.push_back(read_decision(row));
                       }});
    }
    PHALANX_CHECK(c.run_batch(batch));  // one round trip per pipeline chunk on PostgreSQL
    return revs.save();
  });
  if (!r) return r.error().context(fmt::format("expiring {} decisions", ids.size()));
  return changed;
}

Result<int64_t> SqlStore::count_decisions(std::string_view value, std::optional<TimePoint> since) {
  int64_t n = 0;
  auto r = read([&](Conn& c) -> Result<void> {
    std::vector<Value> p{std::string(value)};
    std::string sql = "SELECT count(*) FROM decisions WHERE value = ?";
    if (since) {
      sql += " AND created_at >= ?";
      p.emplace_back(to_ns(*since));
    }
    PHALANX_CHECK(c.run(sql, p, [&](const Row& row) { n = row.i64(0); }));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("counting decisions on '{}'", value));
  return n;
}

Result<int64_t> SqlStore::count_active_decisions(std::string_view value, TimePoint now) {
  int64_t n = 0;
  auto r = read([&](Conn& c) -> Result<void> {
    std::vector<Value> p{std::string(value), to_ns(now)};
    PHALANX_CHECK(c.run("SELECT count(*) FROM decisions WHERE value = ? AND until > ?", p,
                        [&](const Row& row) { n = row.i64(0); }));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("counting active decisions on '{}'", value));
  return n;
}

Result<std::optional<TimePoint>> SqlStore::active_decision_until(std::string_view value,
                                                                 TimePoint now) {
  std::optional<TimePoint> until;
  auto r = read([&](Conn& c) -> Result<void> {
    std::vector<Value> p{std::string(value), to_ns(now)};
    PHALANX_CHECK(c.run("SELECT max(until) FROM decisions WHERE value = ? AND until > ?", p,
                        [&](const Row& row) {
                          if (!row.is_null(0)) until = from_ns(row.i64(0));
                        }));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("reading active decisions on '{}'", value));
  return until;
}

// --- housekeeping

Result<FlushStats> SqlStore::flush(const FlushPolicy& policy, TimePoint now) {
  FlushStats stats;
  auto r = write([&](Conn& c) -> Result<void> {
    stats = {};
    std::vector<Value> p{to_ns(now - policy.decision_max_age)};
    PHALANX_TRY(stats.decisions_removed, c.run("DELETE FROM decisions WHERE until < ?", p));

    std::vector<std::string> reasons;
    std::vector<Value> params{to_ns(now)};
    if (policy.alert_max_age) {
      reasons.push_back("a.created_at < ?");
      params.emplace_back(to_ns(now - *policy.alert_max_age));
    }
    if (policy.alert_max_items) {
      reasons.push_back(
          "a.id NOT IN (SELECT id FROM alerts ORDER BY created_at DESC, id DESC LIMIT ?)");
      params.emplace_back(std::max<int64_t>(*policy.alert_max_items, 0));
    }
    if (reasons.empty()) return ok();
    // Alerts that still carry an active decision are kept whatever their age.
    std::string sql =
        "SELECT a.id FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE "
        "d.alert_id = a.id AND d.until > ?) AND (" +
        reasons[0] + (reasons.size() > 1 ? " OR " + reasons[1] : "") + ")";
    std::vector<int64_t> ids;
    PHALANX_CHECK(c.run(sql, params, [&](const Row& row) { ids.push_back(row.i64(0)); }));
    std::string del_decisions =
        fmt::format("DELETE FROM decisions WHERE alert_id IN {}", in_list(kChunk));
    std::string del_alerts = fmt::format("DELETE FROM alerts WHERE id IN {}", in_list(kChunk));
    return for_chunks(ids, [&](std::vector<Value>& chunk) -> Result<void> {
      PHALANX_TRY(int64_t d, c.run(del_decisions, chunk));
      PHALANX_TRY(int64_t a, c.run(del_alerts, chunk));
      stats.decisions_removed += d;
      stats.alerts_removed += a;
      return ok();
    });
  });
  if (!r) return r.error().context("flushing old rows");
  return stats;
}

}  // namespace phalanx::storage

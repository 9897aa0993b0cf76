// SPDX-License-Identifier: Apache-2.0
#include "storage/alert_query.h"

#include <fmt/format.h>

#include "storage/codec.h"

namespace phalanx::storage {
namespace {

class Builder {
 public:
  void add(std::string cond) { conds_.push_back(std::move(cond)); }
  template <class V>
  void add(std::string cond, V&& v) {
    conds_.push_back(std::move(cond));
    params_.emplace_back(std::forward<V>(v));
  }
  void param(Value v) { params_.push_back(std::move(v)); }

  SqlCondition finish() {
    SqlCondition out;
    for (size_t i = 0; i < conds_.size(); ++i) {
      out.sql += i == 0 ? " WHERE " : " AND ";
      out.sql += conds_[i];
    }
    out.params = std::move(params_);
    return out;
  }

 private:
  std::vector<std::string> conds_;
  std::vector<Value> params_;
};

// The alert's source range, or one of its decisions' ranges, against the query range.
Result<void> add_ip(Builder& b, const std::string& text, bool contains, const char* what) {
  auto span = ip_span(text);
  if (!span) return span.error().context(fmt::format("parsing {} filter '{}'", what, text));
  const char* src =
      contains ? "(a.source_ip_size = ? AND a.source_ip_start <= ? AND a.source_ip_end >= ?)"
               : "(a.source_ip_size = ? AND a.source_ip_start >= ? AND a.source_ip_end <= ?)";
  const char* dec = contains ? "EXISTS (SELECT 1 FROM decisions d WHERE d.alert_id = a.id AND "
                               "d.ip_size = ? AND d.ip_start <= ? AND d.ip_end >= ?)"
                             : "EXISTS (SELECT 1 FROM decisions d WHERE d.alert_id = a.id AND "
                               "d.ip_size = ? AND d.ip_start >= ? AND d.ip_end <= ?)";
  b.add(fmt::format("({} OR {})", src, dec));
  for (int i = 0; i < 2; ++i) {
    b.param(span->size);
    b.param(to_blob(span->start));
    b.param(to_blob(span->end));
  }
  return ok();
}

}  // namespace

Result<SqlCondition> alert_condition(const AlertFilter& f, TimePoint now) {
  Builder b;
  if (f.id) b.add("a.id = ?", *f.id);
  if (f.scope) b.add("a.source_scope = ?", *f.scope);
  if (f.value) b.add("a.source_value = ?", *f.value);
  if (f.scenario) b.add("a.scenario = ?", *f.scenario);
  if (f.kind) b.add("a.kind = ?", *f.kind);
  if (f.simulated) b.add("a.simulated = ?", *f.simulated);
  if (f.since) b.add("a.created_at >= ?", to_ns(*f.since));
  if (f.until) b.add("a.created_at <= ?", to_ns(*f.until));
  if (f.ip) PHALANX_CHECK(add_ip(b, *f.ip, f.contains, "ip"));
  if (f.range) PHALANX_CHECK(add_ip(b, *f.range, f.contains, "range"));
  if (f.decision_type) {
    b.add("EXISTS (SELECT 1 FROM decisions d WHERE d.alert_id = a.id AND d.type = ?)",
          *f.decision_type);
  }
  if (f.origin) {
    b.add("EXISTS (SELECT 1 FROM decisions d WHERE d.alert_id = a.id AND d.origin = ?)", *f.origin);
  }
  if (!f.include_capi) {
    b.add(
        "NOT EXISTS (SELECT 1 FROM decisions d WHERE d.alert_id = a.id AND "
        "d.origin IN ('CAPI', 'lists'))");
  }
  if (f.has_active_decision) {
    b.add(fmt::format("{}EXISTS (SELECT 1 FROM decisions d WHERE d.alert_id = a.id AND "
                      "d.until >= ?)",
                      *f.has_active_decision ? "" : "NOT "),
          to_ns(now));
  }
  return b.finish();
}

Result<SqlCondition> alert_select(const AlertFilter& f, TimePoint now) {
  PHALANX_TRY(SqlCondition cond, alert_condition(f, now));
  const char* dir = f.ascending ? "ASC" : "DESC";
  cond.sql = fmt::format("SELECT {} FROM alerts a{} ORDER BY a.created_at {}, a.id {}",
                         kAlertColumns, cond.sql, dir, dir);
  if (f.limit > 0) {
    cond.sql += " LIMIT ?";
    cond.params.emplace_back(f.limit);
  }
  return cond;
}

}  // namespace phalanx::storage

// SPDX-License-Identifier: Apache-2.0
// AlertFilter → SQL. The condition refers to the alerts table as `a` and uses `?` placeholders.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "storage/db.h"
#include "storage/store.h"

namespace phalanx::storage {

struct SqlCondition {
  std::string sql;  // "" or " WHERE …"
  std::vector<Value> params;
};

// Semantics (spec §1.6):
// - scope, value, scenario, kind, id: exact match on the alert (source scope and value).
// - ip / range: the alert's source range, or the range of one of its decisions, is compared with
//   the query range of the same address size: with `contains` it must contain the query range,
//   without it must lie inside it.
// - since / until: created_at >= since, created_at <= until.
// - decision_type / origin: the alert has a decision of that type / origin.
// - include_capi = false: alerts with a decision of origin CAPI or lists are left out.
// - has_active_decision: the alert has (true) or has not (false) a decision with until >= now.
// - simulated: the alert's simulated flag equals it.
// Errors: ip or range does not parse.
Result<SqlCondition> alert_condition(const AlertFilter& filter, TimePoint now);

// The SELECT for query_alerts (columns of kAlertColumns, sorted, limited).
Result<SqlCondition> alert_select(const AlertFilter& filter, TimePoint now);

// Alert columns in the order SqlStore reads them.
inline constexpr const char* kAlertColumns =
    "a.id, a.uuid, a.machine_id, a.created_at, a.scenario, a.scenario_hash, a.scenario_version, "
    "a.message, a.leakspeed, a.kind, a.capacity, a.events_count, a.start_at, a.stop_at, "
    "a.simulated, a.remediation, a.source_scope, a.source_value, a.source_ip, a.source_range, "
    "a.source_as_name, a.source_as_number, a.source_cn, a.source_latitude, a.source_longitude, "
    "a.events, a.meta, a.labels";

// Decision columns in the order SqlStore reads them.
inline constexpr const char* kDecisionColumns =
    "id, alert_id, uuid, created_at, until, scenario, type, scope, value, origin, simulated, rev";

}  // namespace phalanx::storage

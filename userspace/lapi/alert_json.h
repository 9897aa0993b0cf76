// SPDX-License-Identifier: Apache-2.0
// The alert as JSON, in the LAPI's wire shape (spec §1.6): the one place that knows the field
// names of an alert, its source, its events and its decisions. `decisions` and `labels` are
// always present (null when empty), `remediation` only when true, empty source fields are left
// out.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "parser/overflow.h"
#include "storage/model.h"

namespace phalanx::lapi {

nlohmann::json source_to_json(const parser::Source& source);
// The alert as the agent pushes it, one JSON object written straight into a string (the agent's
// push bodies, `phalanx replay -o json`): keys in sorted order, invalid UTF-8 replaced by U+FFFD,
// the same text nlohmann::json's dump() gives for the same document.
std::string alert_json(const parser::Alert& alert);

// A stored alert as GET /v1/alerts returns it: id, uuid, machine_id, created_at, and its
// decisions with until and the duration left at `now`; event timestamps in Go's time.String()
// form (spec §1.6).
nlohmann::json alert_row_to_json(const storage::Alert& alert, TimePoint now);

// "ip" -> "Ip", "range" -> "Range", "country" -> "Country", "as" -> "AS" (any case); other
// scopes are kept as given.
std::string normalize_scope(std::string_view scope);

// Why a POST /v1/alerts body was refused. `status` follows CrowdSec: 400 for a body that does
// not decode into alerts (bad JSON, wrong types, bad times or durations, an Ip/Range decision
// whose value is not an address), 500 for the schema validation ("validation failure
// list:\n0.scenario in body is required").
struct AlertsError {
  int status = 400;
  std::string message;
};

// Decodes a POST /v1/alerts body (a JSON array of alerts) into rows, with their decisions
// (until = stop_at + duration, scope normalised, uuid left empty). Fills nothing the LAPI
// assigns (ids, uuids, machine_id, created_at).
Result<std::vector<storage::Alert>> parse_alerts(std::string_view body, AlertsError& why);

}  // namespace phalanx::lapi

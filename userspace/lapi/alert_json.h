// SPDX-License-Identifier: Apache-2.0
// The alert as JSON, in the LAPI's wire shape (spec §1.6): the one place that knows the field
// names of an alert, its source and its events. `decisions` and `labels` are always present
// (null when empty), `remediation` only when true, empty source fields are left out.
#pragma once

#include <nlohmann/json.hpp>

#include "parser/overflow.h"

namespace phalanx::lapi {

nlohmann::json source_to_json(const parser::Source& source);
nlohmann::json alert_to_json(const parser::Alert& alert);

}  // namespace phalanx::lapi

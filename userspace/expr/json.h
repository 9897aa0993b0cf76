// SPDX-License-Identifier: Apache-2.0
// Conversions between expr::Value and nlohmann::json.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/result.h"
#include "expr/value.h"

namespace phalanx::expr {

// How JSON numbers become values. Go's encoding/json, which CrowdSec's UnmarshalJSON uses,
// decodes every number into float64; kPreserveIntegers keeps integral numbers as int (what a
// YAML round-trip of a dump produces).
enum class JsonNumbers { kFloat64, kPreserveIntegers };

// Value → JSON, as Go's json.Marshal would render it: maps as objects (sorted keys), arrays,
// strings, numbers, bool, null; durations as integer nanoseconds; times as RFC 3339 strings
// with nanoseconds; objects through Object::to_value(). Non-finite floats become null.
nlohmann::json to_json(const Value& value);

// JSON → Value (owned strings; objects become Map values with string_valued = false).
Value from_json(const nlohmann::json& json, JsonNumbers numbers = JsonNumbers::kFloat64);

// Parses text and converts it. Errors: "parsing json: <cause>".
Result<Value> parse_json(std::string_view text, JsonNumbers numbers = JsonNumbers::kFloat64);

}  // namespace phalanx::expr

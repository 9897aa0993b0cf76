// SPDX-License-Identifier: Apache-2.0
// Internal: raw JSON path lookup with the semantics of buger/jsonparser.Get, which CrowdSec's
// JsonExtract* helpers use: the document is scanned, not parsed, and the raw bytes of the value
// are returned (a string's content without quotes and still escaped; other values as written).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace phalanx::expr::detail {

enum class JsonType { kString, kNumber, kObject, kArray, kBoolean, kNull };

struct JsonSlice {
  std::string_view raw;
  JsonType type;
};

// The value at path (object keys, or "[N]" array indexes); nullopt when absent or malformed.
std::optional<JsonSlice> json_get(std::string_view doc, const std::vector<std::string>& path);
// Unescapes the raw content of a JSON string (\n, \uXXXX with surrogate pairs, ...).
std::optional<std::string> json_unescape(std::string_view raw);
// CrowdSec's JsonExtract path syntax "a.b[0].c" split into components.
std::vector<std::string> json_split_path(std::string_view target);

}  // namespace phalanx::expr::detail

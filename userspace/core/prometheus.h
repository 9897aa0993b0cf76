// SPDX-License-Identifier: Apache-2.0
// Prometheus text exposition helpers shared by every /metrics page (LAPI, agent, bouncers).
#pragma once

#include <string>
#include <string_view>

namespace phalanx::prometheus {

// A label value with backslash, double quote and newline escaped.
inline std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace phalanx::prometheus

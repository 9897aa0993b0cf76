// SPDX-License-Identifier: Apache-2.0
// Internal: adapts std::string_view to the RE2 API of the installed version.
#pragma once

#include <re2/re2.h>

#include <string_view>

namespace phalanx::expr::detail {

inline re2::StringPiece piece(std::string_view s) {
  return re2::StringPiece(s.data(), s.size());
}

}  // namespace phalanx::expr::detail

// SPDX-License-Identifier: Apache-2.0
// DecisionCounter: what the profile helpers GetDecisionsCount, GetDecisionsSinceCount,
// GetActiveDecisionsCount and GetActiveDecisionsTimeLeft ask of the decision store. The LAPI
// injects an implementation through RunContext; without one the helpers fail at run time.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/duration.h"
#include "core/result.h"

namespace phalanx::expr {

// Implementations must be thread-safe.
class DecisionCounter {
 public:
  virtual ~DecisionCounter() = default;
  // Decisions ever taken on value (an IP or range).
  virtual Result<int64_t> count(std::string_view value) = 0;
  // Decisions on value created within the last `since`.
  virtual Result<int64_t> count_since(std::string_view value, Duration since) = 0;
  // Decisions on value that have not expired.
  virtual Result<int64_t> count_active(std::string_view value) = 0;
  // Time left on the longest active decision on value (zero when none).
  virtual Result<Duration> active_time_left(std::string_view value) = 0;
};

}  // namespace phalanx::expr

// SPDX-License-Identifier: Apache-2.0
// Reading the program's per-CPU counters (phx_counters), summed over CPUs.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "bpf/xdp_blocklist.h"
#include "core/result.h"

namespace phalanx::xdp {

// One snapshot of every counter, indexed like the map (phx_counter_index). Immutable.
class Counters {
 public:
  explicit Counters(std::vector<phx_counter> totals) : totals_(std::move(totals)) {}

  // Packets and bytes for one (origin, family, verdict); origins >= PHX_ORIGIN_COUNT read as
  // PHX_ORIGIN_OTHER, as the program counts them.
  phx_counter at(uint32_t origin, uint32_t family, uint32_t verdict) const;
  // Sum over every origin and family of one verdict.
  phx_counter verdict_total(uint32_t verdict) const;
  // Sum of everything (every packet the program saw).
  phx_counter total() const;

 private:
  std::vector<phx_counter> totals_;
};

// Reads and sums all PHX_COUNTER_COUNT entries of the counters map. Errors: "reading xdp
// counters: ..." with errno.
Result<Counters> read_counters(int counters_fd);

// Zeroes every counter (tests and benchmarks; production keeps them monotonic).
Result<void> reset_counters(int counters_fd);

}  // namespace phalanx::xdp

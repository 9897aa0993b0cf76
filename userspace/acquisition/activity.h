// SPDX-License-Identifier: Apache-2.0
// Internal to userspace/acquisition: how every source counts the lines the sink took and
// watches for silence (idle_warning), so the three sources count and warn alike.
#pragma once

#include <chrono>

#include "acquisition/source.h"
#include "core/duration.h"
#include "core/log.h"

namespace phalanx::acquisition {

// Starts the silence clock; a source calls it when it starts.
inline void start_activity(SourceStats& stats) {
  stats.last_line_ns.store(std::chrono::system_clock::now().time_since_epoch().count(),
                           std::memory_order_relaxed);
}

// A line of `bytes` the sink took at `now`; clears the idle flag (saying so once).
inline void count_line(const SourceConfig& config, SourceStats& stats, size_t bytes,
                       TimePoint now) {
  stats.lines.fetch_add(1, std::memory_order_relaxed);
  stats.bytes.fetch_add(bytes, std::memory_order_relaxed);
  stats.last_line_ns.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  if (stats.idle.exchange(false, std::memory_order_relaxed))
    log::get("acquis")->info("source {}: lines again", config.name);
}

// Raises the idle flag, with one warning, once nothing came for idle_warning.
inline void check_idle(const SourceConfig& config, SourceStats& stats) {
  if (config.idle_warning.count() == 0 || stats.idle.load(std::memory_order_relaxed)) return;
  const auto last = std::chrono::nanoseconds(stats.last_line_ns.load(std::memory_order_relaxed));
  if (std::chrono::system_clock::now().time_since_epoch() - last < config.idle_warning) return;
  stats.idle.store(true, std::memory_order_relaxed);
  log::get("acquis")->warn("source {}: no lines for {}", config.name,
                           format_go_duration(config.idle_warning));
}

}  // namespace phalanx::acquisition

// SPDX-License-Identifier: Apache-2.0
// Builds scenarios from YAML text and events with explicit times, so bucket tests state time
// instead of sleeping.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "expr/go_format.h"
#include "scenario/detector.h"
#include "scenario/engine.h"

namespace phalanx::scenario::testing {

// 2026-11-23T10:00:00Z plus `seconds`.
inline ZonedTime at(double seconds) {
  const auto base =
      std::chrono::sys_days(std::chrono::year(2026) / 11 / 23) + std::chrono::hours(10);
  return ZonedTime{TimePoint(std::chrono::duration_cast<Duration>(base.time_since_epoch())) +
                       std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds)),
                   0};
}

// A parsed time-machine log event from `ip` at `seconds` after 10:00:00.
inline parser::Event log_event(std::string_view ip, double seconds,
                               std::string_view log_type = "ssh_failed-auth") {
  parser::Event evt;
  evt.expect_mode = parser::ExpectMode::kTimeMachine;
  evt.process = true;
  evt.meta.set("log_type", log_type);
  evt.meta.set("service", "ssh");
  if (!ip.empty()) evt.meta.set("source_ip", ip);
  evt.time = at(seconds);
  evt.marshaled_time = expr::format_rfc3339_nano(evt.time);
  return evt;
}

class ScenarioTest : public ::testing::Test {
 protected:
  // Loads scenarios from YAML text; fails the test on any load error.
  void load(const std::string& yaml) {
    Diagnostics diags;
    set_ = ScenarioSet::load({.items = {{"test.yaml", yaml}},
                              .data_files = std::make_shared<expr::DataFiles>(),
                              .functions = {}},
                             diags);
    for (const auto& d : diags.items())
      ASSERT_NE(d.severity, Diagnostic::Severity::kError) << d.to_string();
    ASSERT_GT(set_->size(), 0u);
    engine_ = std::make_unique<Engine>(
        *set_, EngineOptions{.max_buckets = max_buckets_, .clock = &clock_}, expr::RunContext{});
  }
  // Pours events; returns the overflow events they caused.
  std::vector<parser::Event> pour(const std::vector<parser::Event>& events) {
    std::vector<parser::Event> out;
    for (const auto& e : events)
      engine_->pour(e, out);
    return out;
  }
  static const parser::Alert& alert(const parser::Event& overflow) {
    return *overflow.overflow->alert();
  }

  ManualClock clock_{at(0).time};
  size_t max_buckets_ = 0;
  std::unique_ptr<ScenarioSet> set_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace phalanx::scenario::testing

// SPDX-License-Identifier: Apache-2.0
// The output half of detection: parsed events go into the bucket engine; each overflow runs
// through the postoverflow stages (enrichment, whitelists), whitelisted overflows are dropped,
// `reprocess` overflows go back into the scenarios, and the rest come out as alerts.
#pragma once

#include <functional>
#include <vector>

#include "parser/event.h"
#include "parser/pipeline.h"
#include "scenario/engine.h"

namespace phalanx::scenario {

struct DetectorStats {
  uint64_t alerts = 0;       // overflows that came out as alerts
  uint64_t whitelisted = 0;  // overflows dropped by a postoverflow whitelist
  uint64_t reprocessed = 0;  // overflows fed back into the scenarios
};

// Where a reprocessed overflow is poured back; what overflows in turn goes to the second argument.
using Repour = std::function<void(const parser::Event&, std::vector<parser::Event>&)>;

// The overflow handling every detector shares: each overflow, in order, runs the postoverflows
// (`postoverflows` and `post_ctx` may be null), goes to `dump` when given, is dropped when
// whitelisted, is poured back through `repour` when it asks for reprocess (the overflows that
// causes are appended and handled in turn), and comes out in `alerts`. Counts into `stats`.
void drain_overflows(std::vector<parser::Event>& overflows, const parser::Pipeline* postoverflows,
                     parser::ParseContext* post_ctx, const Repour& repour, DetectorStats& stats,
                     std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump);

class Detector {
 public:
  // `postoverflows` and `post_ctx` may be null (no postoverflow stages).
  Detector(const ScenarioSet& scenarios, const parser::Pipeline* postoverflows,
           parser::ParseContext* post_ctx, EngineOptions options, expr::RunContext run);

  // Pours one parsed, non-whitelisted event. Alerts are appended to `alerts`; every overflow
  // that carried an alert, after the postoverflows and whitelisted ones included, is appended
  // to `dump` when given (the hub's bucket dump).
  void feed(const parser::Event& evt, std::vector<parser::Event>& alerts,
            std::vector<parser::Event>* dump = nullptr);
  // Live mode: fires due lifetime timers, with the same output handling.
  void tick(std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump = nullptr);

  const Engine& engine() const { return engine_; }
  Engine& engine() { return engine_; }
  const DetectorStats& stats() const { return stats_; }

 private:
  void drain(std::vector<parser::Event>& overflows, std::vector<parser::Event>& alerts,
             std::vector<parser::Event>* dump);

  Engine engine_;
  const parser::Pipeline* postoverflows_;
  parser::ParseContext* post_ctx_;
  DetectorStats stats_;
  std::vector<parser::Event> pending_;
};

}  // namespace phalanx::scenario

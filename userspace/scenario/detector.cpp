// SPDX-License-Identifier: Apache-2.0
#include "scenario/detector.h"

#include "core/log.h"

namespace phalanx::scenario {

Detector::Detector(const ScenarioSet& scenarios, const parser::Pipeline* postoverflows,
                   parser::ParseContext* post_ctx, EngineOptions options, expr::RunContext run)
    : engine_(scenarios, options, run), postoverflows_(postoverflows), post_ctx_(post_ctx) {}

void Detector::feed(const parser::Event& evt, std::vector<parser::Event>& alerts,
                    std::vector<parser::Event>* dump) {
  pending_.clear();
  engine_.pour(evt, pending_);
  if (!pending_.empty()) drain(pending_, alerts, dump);
}

void Detector::tick(std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump) {
  pending_.clear();
  engine_.tick(pending_);
  if (!pending_.empty()) drain(pending_, alerts, dump);
}

void Detector::drain(std::vector<parser::Event>& overflows, std::vector<parser::Event>& alerts,
                     std::vector<parser::Event>* dump) {
  drain_overflows(
      overflows, postoverflows_, post_ctx_,
      [this](const parser::Event& evt, std::vector<parser::Event>& more) {
        engine_.pour(evt, more);
      },
      stats_, alerts, dump);
}

void drain_overflows(std::vector<parser::Event>& overflows, const parser::Pipeline* postoverflows,
                     parser::ParseContext* post_ctx, const Repour& repour, DetectorStats& stats,
                     std::vector<parser::Event>& alerts, std::vector<parser::Event>* dump) {
  // Reprocessed overflows may overflow other buckets in turn: work through them in order.
  for (size_t i = 0; i < overflows.size(); ++i) {
    parser::Event evt = std::move(overflows[i]);
    if (postoverflows != nullptr && post_ctx != nullptr) {
      if (auto r = postoverflows->parse(evt, *post_ctx); !r) {
        log::get("scenario")->warn("postoverflow failed: {}", r.error().message());
      }
    }
    if (dump != nullptr) dump->push_back(evt);
    if (evt.whitelisted || evt.overflow->whitelisted) {
      ++stats.whitelisted;
      log::get("scenario")->info("{} is whitelisted, skip", evt.overflow->alert()->message);
      continue;
    }
    if (evt.overflow->reprocess) {
      ++stats.reprocessed;
      std::vector<parser::Event> more;
      repour(evt, more);
      for (auto& m : more)
        overflows.push_back(std::move(m));
    }
    ++stats.alerts;
    alerts.push_back(std::move(evt));
  }
}

}  // namespace phalanx::scenario

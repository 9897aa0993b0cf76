// SPDX-License-Identifier: Apache-2.0
#include "lapi/profile_hook.h"

#include "profiles/profiles.h"

namespace phalanx::lapi {

namespace {

// duration_expr's decision helpers: counts over every row from the store, active figures from
// the index.
class Counter final : public expr::DecisionCounter {
 public:
  Counter(Lapi::State& s, TimePoint now) : s_(s), now_(now) {}
  Result<int64_t> count(std::string_view value) override {
    return s_.store.count_decisions(value, std::nullopt);
  }
  Result<int64_t> count_since(std::string_view value, Duration since) override {
    return s_.store.count_decisions(value, now_ - since);
  }
  Result<int64_t> count_active(std::string_view value) override {
    return s_.index.active_count(value, now_);
  }
  Result<Duration> active_time_left(std::string_view value) override {
    return s_.index.active_time_left(value, now_);
  }

 private:
  Lapi::State& s_;
  TimePoint now_;
};

}  // namespace

Result<std::vector<storage::Decision>> run_profiles(Lapi::State& s,
                                                    const profiles::ProfileSet* profiles,
                                                    const storage::Alert& alert, TimePoint now) {
  if (profiles == nullptr) return std::vector<storage::Decision>{};
  Counter counter(s, now);
  PHALANX_TRY(auto decided, profiles->decide(alert, &counter));
  return std::move(decided.decisions);
}

std::string allow_list_refusal(const profiles::AllowList& allow, std::string_view scope,
                               std::string_view value) {
  return allow.refusal(scope, value);
}

}  // namespace phalanx::lapi

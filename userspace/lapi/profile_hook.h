// SPDX-License-Identifier: Apache-2.0
// Internal to the LAPI: what POST /v1/alerts asks of profiles (spec §4.8) and of the allow list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "lapi/lapi_state.h"

namespace phalanx::lapi {

// The decisions `profiles` give an alert that came without any; empty when there are none.
// Errors: a profile expression failed under on_error's default (the LAPI answers 500).
Result<std::vector<storage::Decision>> run_profiles(Lapi::State& s,
                                                    const profiles::ProfileSet* profiles,
                                                    const storage::Alert& alert, TimePoint now);

// Why the allow list refuses a decision on (scope, value); empty when allowed.
std::string allow_list_refusal(const profiles::AllowList& allow, std::string_view scope,
                               std::string_view value);

}  // namespace phalanx::lapi

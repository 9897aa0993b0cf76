// SPDX-License-Identifier: Apache-2.0
// The YAML shape of a scenario (hub format, spec §3.1), decoded strictly: an unknown key is an
// error naming it, as the hub's loader does. Decoding checks shapes and the per-type rules
// (capacity, leakspeed, duration); expressions and data files are compiled by the loader.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/duration.h"
#include "parser/node_config.h"

namespace phalanx::scenario {

enum class BucketType { kLeaky, kTrigger, kCounter, kConditional, kBayesian };
std::string_view bucket_type_name(BucketType type);

struct BayesianConditionConfig {
  std::string condition;
  double prob_given_evil = 0;
  double prob_given_benign = 0;
  bool guillotine = false;
  int line = 0;
};

struct ScenarioConfig {
  std::string file;
  int line = 0;
  std::string name;
  std::string description;
  BucketType type = BucketType::kLeaky;
  std::string filter;
  std::string groupby;
  std::string distinct;
  std::string overflow_filter;
  std::string cancel_on;
  std::string condition;
  long long capacity = 0;
  Duration leakspeed{0};
  Duration duration{0};
  std::optional<Duration> blackhole;
  bool reprocess = false;
  long long cache_size = 0;
  std::string scope_type = "Ip";
  std::string scope_expression;
  // labels.remediation is YAML `true` (or the string "true", as older releases compared).
  bool remediation = false;
  YAML::Node labels;  // every label, as written
  double bayesian_prior = 0;
  double bayesian_threshold = 0;
  std::vector<BayesianConditionConfig> bayesian_conditions;
  std::vector<parser::DataFileConfig> data;
  std::string version;
  bool debug = false;
};

// Decodes every document of a scenario file. Each problem is reported with file, line and
// scenario name; documents that decode without error are returned, the others are skipped.
// Documents whose `format` is outside [1.0, 3.0] are skipped with a warning.
std::vector<ScenarioConfig> decode_scenarios(const std::string& file, const std::string& text,
                                             Diagnostics& diags);

}  // namespace phalanx::scenario

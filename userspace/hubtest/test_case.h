// SPDX-License-Identifier: Apache-2.0
// A hub test directory (.tests/<name>/, spec §6.1): its config.yaml, log and assertion files.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "parser/node_config.h"

namespace phalanx::hubtest {

struct TestCase {
  std::string name;
  std::string dir;
  std::vector<std::string> parsers;
  std::vector<std::string> scenarios;      // empty entries dropped
  std::vector<std::string> postoverflows;  // empty entries dropped
  std::string log_file;                    // absolute
  std::string log_type;
  std::vector<std::pair<std::string, std::string>> labels;
  bool ignore_parsers = false;
  std::vector<parser::StaticConfig> override_statics;
  bool appsec = false;                      // appsec-rules / nuclei_template: needs the WAF engine
  std::vector<std::string> parser_asserts;  // non-empty lines
  std::vector<std::string> scenario_asserts;  // non-empty lines
};

// Loads <dir>/config.yaml (unknown keys ignored, as the hub's runner does) and the assertion
// files. Errors: missing or malformed config.yaml.
Result<TestCase> load_test_case(const std::string& dir);

// The test directories below <hub>/.tests that have a config.yaml, sorted by name.
Result<std::vector<std::string>> list_test_dirs(const std::string& hub_dir);

}  // namespace phalanx::hubtest

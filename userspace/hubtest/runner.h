// SPDX-License-Identifier: Apache-2.0
// Runs hub tests the way spec §6.2 describes: builds the parser pipeline, the scenarios and the
// postoverflows from the test's items (hub names through .index.json, or paths relative to the
// test or the hub), replays the log in time-machine mode, records the parser dump (stage →
// node → [{Idx, Evt, Success}], plus the "success" key) and the bucket dump (every overflow
// after the postoverflows), and evaluates parser.assert and scenario.assert with the
// expression engine.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hub/index.h"
#include "hubtest/test_case.h"

namespace phalanx::hubtest {

struct RunOptions {
  std::string hub_dir;
  // Year given to year-less log timestamps. The hub re-bases its asserts every January, so a
  // snapshot is checked with the year it was written for.
  std::optional<int> year;
  std::string geoip_city_path{};  // optional GeoLite2 databases
  std::string geoip_asn_path{};
};

enum class Status { kPass, kFail, kSkip, kError };
std::string_view status_name(Status status);

struct AssertFailure {
  std::string file;  // "parser.assert" or "scenario.assert"
  std::string line;
  std::string actual;  // the value of the left-hand side, or the evaluation error
};

struct TestResult {
  std::string name;
  Status status = Status::kPass;
  std::string reason;           // skip reason or error message
  size_t lines = 0;             // log lines replayed
  size_t parser_asserts = 0;    // parser assertions evaluated
  size_t scenario_asserts = 0;  // scenario assertions evaluated
  size_t alerts = 0;            // overflows in the bucket dump
  std::vector<AssertFailure> failures;
};

class Runner {
 public:
  explicit Runner(RunOptions options, const hub::Index& index)
      : options_(std::move(options)), index_(index) {}

  // Runs one test directory. Never throws; problems are reported in the result.
  TestResult run(const std::string& test_dir) const;

 private:
  RunOptions options_;
  const hub::Index& index_;
};

}  // namespace phalanx::hubtest

// SPDX-License-Identifier: Apache-2.0
// Runs every tests/golden/scenarios/<case>/ through Phalanx's own content (scenarios/): the
// input log is replayed in time-machine mode through the parsers and the scenarios, and the
// alerts (scenario, scope, value, events_count) must be exactly the expected ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <tuple>

#include "cli/content.h"
#include "core/yaml.h"
#include "scenario/detector.h"
#include "scenario/sharded_detector.h"

namespace phalanx {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> case_dirs() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(PHALANX_SOURCE_DIR "/tests/golden/scenarios")) {
    if (fs::exists(e.path() / "case.yaml")) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

using AlertKey = std::tuple<std::string, std::string, std::string, int>;

std::string show(const std::vector<AlertKey>& alerts) {
  std::string out;
  for (const auto& [scenario, scope, value, count] : alerts)
    out += "  " + scenario + " " + scope + ":" + value + " events=" + std::to_string(count) + "\n";
  return out.empty() ? "  (none)\n" : out;
}

class GoldenScenarios : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenScenarios, AlertsAreExactlyTheExpectedOnes) {
  auto docs = yaml::load_file(GetParam() + "/case.yaml");
  ASSERT_TRUE(docs) << docs.error().message();
  const YAML::Node root = (*docs)[0].root;
  const int year = root["year"] ? root["year"].as<int>() : 2026;
  auto content = cli::load_content({.config_dir = PHALANX_SOURCE_DIR "/scenarios", .year = year});
  ASSERT_TRUE(content) << content.error().message();
  for (const auto& d : content->diagnostics.items()) {
    ASSERT_NE(d.severity, Diagnostic::Severity::kError) << d.to_string();
  }
  ASSERT_GT(content->scenarios->size(), 0u);
  std::vector<AlertKey> want;
  for (const auto& a : root["expect"]) {
    want.emplace_back(a["scenario"].as<std::string>(), a["scope"].as<std::string>(),
                      a["value"].as<std::string>(), a["events_count"].as<int>());
  }

  cli::LineParser lp(*content);
  expr::RunContext run{.data_files = content->data_files.get(), .stash = content->stash.get()};
  parser::ParseContext post_ctx{.run = &run, .enrichers = content->enrichers.get()};
  scenario::Detector detector(*content->scenarios, content->postoverflows.get(), &post_ctx, {},
                              run);
  // The same input over three scenario threads must give the same alerts in the same order.
  parser::ParseContext sharded_post_ctx{.run = &run, .enrichers = content->enrichers.get()};
  scenario::ShardedDetector sharded(*content->scenarios, content->postoverflows.get(),
                                    &sharded_post_ctx, {}, run, 3);
  std::vector<parser::Event> sharded_alerts;
  std::ifstream in(GetParam() + "/input.log", std::ios::binary);
  ASSERT_TRUE(in) << "no input.log in " << GetParam();
  const std::string type = root["type"].as<std::string>();
  const ZonedTime now{SystemClock::instance().now(), 0};
  std::vector<parser::Event> alerts;
  for (std::string raw; std::getline(in, raw);) {
    if (raw.empty()) continue;
    parser::Event evt = parser::make_line_event(raw, type, "input.log", now);
    auto ok = lp.parse(evt);
    ASSERT_TRUE(ok) << ok.error().message();
    if (*ok && !evt.whitelisted) {
      detector.feed(evt, alerts);
      sharded.feed(std::move(evt), sharded_alerts);
    }
  }
  sharded.flush(sharded_alerts);
  std::vector<AlertKey> got;
  for (const auto& evt : alerts) {
    for (const auto& a : evt.overflow->api_alerts) {
      got.emplace_back(a.scenario, a.source.scope, a.source.value, a.events_count);
      // Every alert of our content is remediable and says what happened.
      EXPECT_TRUE(a.remediation) << a.scenario;
      EXPECT_NE(a.message.find("performed '" + a.scenario + "'"), std::string::npos) << a.message;
      EXPECT_FALSE(a.events.empty());
    }
  }
  std::vector<AlertKey> got_sharded;
  for (const auto& evt : sharded_alerts) {
    for (const auto& a : evt.overflow->api_alerts)
      got_sharded.emplace_back(a.scenario, a.source.scope, a.source.value, a.events_count);
  }
  EXPECT_EQ(got_sharded, got) << "one thread:\n" << show(got) << "3 shards:\n" << show(got_sharded);
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want) << "want:\n" << show(want) << "got:\n" << show(got);
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenScenarios, ::testing::ValuesIn(case_dirs()),
                         [](const auto& info) {
                           std::string name = fs::path(info.param).filename().string();
                           for (char& c : name)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace phalanx

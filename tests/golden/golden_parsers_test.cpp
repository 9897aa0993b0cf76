// SPDX-License-Identifier: Apache-2.0
// Runs every tests/golden/parsers/<case>.yaml through Phalanx's own parsers (scenarios/) and
// checks the expected Parsed/Meta/Enriched fields, whitelisting and drops, line by line.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/content.h"
#include "core/yaml.h"

namespace phalanx {
namespace {
namespace fs = std::filesystem;

std::vector<std::string> case_files() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(PHALANX_SOURCE_DIR "/tests/golden/parsers")) {
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_subset(const YAML::Node& want, const parser::StringMap& got, const char* what) {
  if (!want) return;
  for (const auto& kv : want) {
    const std::string key = kv.first.as<std::string>();
    const std::string* value = got.find(key);
    if (value == nullptr) {
      ADD_FAILURE() << what << "." << key << " is missing; want '" << kv.second.as<std::string>()
                    << "'";
      continue;
    }
    EXPECT_EQ(*value, kv.second.as<std::string>()) << what << "." << key;
  }
}

class GoldenParsers : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenParsers, LinesParseAsExpected) {
  auto docs = yaml::load_file(GetParam());
  ASSERT_TRUE(docs) << docs.error().message();
  const YAML::Node root = (*docs)[0].root;
  const int year = root["year"] ? root["year"].as<int>() : 2026;
  auto content = cli::load_content({.config_dir = PHALANX_SOURCE_DIR "/scenarios", .year = year});
  ASSERT_TRUE(content) << content.error().message();
  for (const auto& d : content->diagnostics.items()) {
    EXPECT_NE(d.severity, Diagnostic::Severity::kError) << d.to_string();
  }
  cli::LineParser lp(*content);
  const std::string type = root["type"].as<std::string>();
  const ZonedTime now{SystemClock::instance().now(), 0};
  int index = 0;
  for (const auto& line : root["lines"]) {
    // Lines holding bytes YAML text cannot carry are written as !!binary (base64).
    const YAML::Node raw_node = line["raw"];
    std::string raw;
    if (raw_node.Tag() == "tag:yaml.org,2002:binary") {
      const auto bin = raw_node.as<YAML::Binary>();
      raw.assign(reinterpret_cast<const char*>(bin.data()), bin.size());
    } else {
      raw = raw_node.as<std::string>();
    }
    SCOPED_TRACE("line " + std::to_string(index++) + ": " + raw.substr(0, 200));
    parser::Event evt = parser::make_line_event(raw, type, "/var/log/golden.log", now);
    auto ok = lp.parse(evt);
    ASSERT_TRUE(ok) << ok.error().message();
    const YAML::Node expect = line["expect"];
    const bool want_dropped = expect && expect["dropped"] && expect["dropped"].as<bool>();
    const bool want_whitelisted =
        expect && expect["whitelisted"] && expect["whitelisted"].as<bool>();
    EXPECT_EQ(!*ok, want_dropped) << "stage reached: " << evt.stage;
    if (!want_dropped) {
      EXPECT_EQ(evt.whitelisted, want_whitelisted);
    }
    if (!expect) continue;
    expect_subset(expect["parsed"], evt.parsed, "Parsed");
    expect_subset(expect["meta"], evt.meta, "Meta");
    expect_subset(expect["enriched"], evt.enriched, "Enriched");
  }
}

INSTANTIATE_TEST_SUITE_P(Content, GoldenParsers, ::testing::ValuesIn(case_files()),
                         [](const auto& info) {
                           std::string name = fs::path(info.param).stem().string();
                           for (auto& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace phalanx

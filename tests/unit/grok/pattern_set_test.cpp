// SPDX-License-Identifier: Apache-2.0
#include "grok/pattern_set.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace phalanx::grok {
namespace {

TEST(PatternSetTest, CandidatesAreExactlyThePatternsThatMatch) {
  PatternLibrary lib;
  std::vector<Pattern> patterns;
  for (const char* text : {
           "Failed password for %{USERNAME:user} from %{IP:ip}",  // 0
           "Accepted %{WORD:method} for %{USERNAME:user}",        // 1
           "%{INT}",                                              // 2: no semantic, never
           "from %{IP:ip} port %{INT:port}",                      // 3
           "^%{WORD:first}$",                                     // 4
       }) {
    auto p = Pattern::compile(lib, text);
    ASSERT_TRUE(p) << p.error().message();
    patterns.push_back(std::move(p).value());
  }
  auto set = PatternSet::build(patterns);
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(set->size(), 5u);

  const std::vector<std::string> lines = {
      "Failed password for root from 10.0.0.1 port 22 ssh2",
      "Accepted publickey for bob from 10.0.0.2 port 2222",
      "12345",
      "single",
      "",
      "Failed password for \xFF\xFE from 10.0.0.3 port 1",  // invalid UTF-8
  };
  std::vector<int> got;
  Captures caps;
  for (const std::string& line : lines) {
    EXPECT_TRUE(set->candidates(line, got));
    std::vector<int> want;
    for (size_t i = 0; i < patterns.size(); ++i)
      if (patterns[i].match(line, caps)) want.push_back(static_cast<int>(i));
    EXPECT_EQ(got, want) << line;
  }
  EXPECT_TRUE(set->candidates(lines[0], got));
  EXPECT_EQ(got, (std::vector<int>{0, 3}));
}

TEST(PatternSetTest, EmptySet) {
  auto set = PatternSet::build({});
  ASSERT_TRUE(set);
  std::vector<int> got{7};
  EXPECT_TRUE(set->candidates("anything", got));
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace phalanx::grok

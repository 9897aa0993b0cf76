// SPDX-License-Identifier: Apache-2.0
// The hubtest runner on a small hub of our own (fixture/): item resolution by name and by
// path, the parser dump shape, passing and failing assertions, override_statics, skips.
#include "hubtest/runner.h"

#include <gtest/gtest.h>

namespace phalanx::hubtest {
namespace {

const std::string kHub = PHALANX_SOURCE_DIR "/tests/unit/hubtest/fixture";

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto index = hub::Index::load(kHub);
    ASSERT_TRUE(index) << index.error().message();
    index_ = std::make_unique<hub::Index>(std::move(*index));
    RunOptions opts;
    opts.hub_dir = kHub;
    opts.year = 2026;
    runner_ = std::make_unique<Runner>(opts, *index_);
  }
  TestResult run(const std::string& name) { return runner_->run(kHub + "/.tests/" + name); }

  std::unique_ptr<hub::Index> index_;
  std::unique_ptr<Runner> runner_;
};

TEST_F(RunnerTest, PassingAssertions) {
  const auto r = run("app-ok");
  EXPECT_EQ(r.status, Status::kPass) << r.reason;
  EXPECT_EQ(r.lines, 3u);  // the empty line is skipped, as cat mode does
  EXPECT_EQ(r.parser_asserts, 9u);
  EXPECT_TRUE(r.failures.empty()) << r.failures[0].line << " -> " << r.failures[0].actual;
}

TEST_F(RunnerTest, FailingAssertionsReportTheActualValue) {
  const auto r = run("app-bad");
  EXPECT_EQ(r.status, Status::kFail);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].actual, "192.0.2.7");
  EXPECT_NE(r.failures[1].actual.find("not a boolean"), std::string::npos) << r.failures[1].actual;
}

TEST_F(RunnerTest, OverrideStaticsRunFirstAndLabelsApply) {
  const auto r = run("app-override");
  EXPECT_EQ(r.status, Status::kPass)
      << r.reason << (r.failures.empty() ? "" : " " + r.failures[0].line);
}

TEST_F(RunnerTest, AppsecTestsAreSkippedWithAReason) {
  const auto r = run("waf");
  EXPECT_EQ(r.status, Status::kSkip);
  EXPECT_NE(r.reason.find("AppSec"), std::string::npos);
}

TEST_F(RunnerTest, MissingTestIsAnError) {
  const auto r = run("does-not-exist");
  EXPECT_EQ(r.status, Status::kError);
}

TEST(HubIndexTest, ResolvesItemsAndCollections) {
  auto index = hub::Index::load(kHub);
  ASSERT_TRUE(index);
  auto item = index->find(hub::ItemType::kParser, "test/app");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->stage, "s01-parse");
  EXPECT_FALSE(index->find(hub::ItemType::kParser, "test/none"));
  auto sel = index->resolve_collections({"test/app"});
  ASSERT_TRUE(sel) << sel.error().message();
  ASSERT_EQ(sel->parsers.size(), 2u);
  EXPECT_EQ(sel->parsers[0].name, "test/raw");
  EXPECT_FALSE(index->resolve_collections({"test/unknown"}));
}

}  // namespace
}  // namespace phalanx::hubtest

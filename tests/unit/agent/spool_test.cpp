// SPDX-License-Identifier: Apache-2.0
// The on-disk alert queue: order, bounds, reopening, damaged files.
#include "agent/spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace phalanx::agent {
namespace {

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phalanx-spool-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::vector<std::string> alerts(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i)
      out.push_back("{\"n\":" + std::to_string(i) + "}");
    return out;
  }
  size_t files() const {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_))
      n += e.path().extension() == ".jsonl" ? 1 : 0;
    return n;
  }
  std::string dir_;
};

TEST_F(SpoolTest, KeepsOrderAcrossSegmentsAndReopen) {
  {
    auto spool = Spool::open(dir_ + "/s", 1 << 20);
    ASSERT_TRUE(spool) << spool.error().message();
    auto dropped = (*spool)->append(alerts(0, 7), 3);  // segments of 3, 3, 1
    ASSERT_TRUE(dropped) << dropped.error().message();
    EXPECT_EQ(*dropped, 0u);
    ASSERT_TRUE((*spool)->append(alerts(7, 9), 3));  // fills the third segment
    EXPECT_EQ((*spool)->alerts(), 9u);
    EXPECT_EQ(files(), 3u);
  }
  auto spool = Spool::open(dir_ + "/s", 1 << 20);
  ASSERT_TRUE(spool) << spool.error().message();
  EXPECT_EQ((*spool)->alerts(), 9u);
  std::vector<std::string> seen;
  while (!(*spool)->empty()) {
    auto batch = (*spool)->peek(5);
    ASSERT_TRUE(batch) << batch.error().message();
    ASSERT_FALSE(batch->alerts.empty());
    EXPECT_LE(batch->alerts.size(), 5u);
    seen.insert(seen.end(), batch->alerts.begin(), batch->alerts.end());
    ASSERT_TRUE((*spool)->pop(batch->last_seq));
  }
  EXPECT_EQ(seen, alerts(0, 9));
  // One alert at a time still fills a segment before starting the next.
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE((*spool)->append(alerts(i, i + 1), 3));
  EXPECT_EQ(files(), 3u);
  auto batch = (*spool)->peek(100);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->alerts, alerts(0, 7));
  ASSERT_TRUE((*spool)->pop(batch->last_seq));
  EXPECT_EQ((*spool)->bytes(), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(dir_ + "/s"));
}

TEST_F(SpoolTest, BoundDropsTheOldest) {
  const auto a = alerts(0, 4);  // 8 bytes a line ("{"n":0}\n")
  auto spool = Spool::open(dir_, 48);
  ASSERT_TRUE(spool);
  ASSERT_EQ(*(*spool)->append(std::span(a).subspan(0, 2), 2), 0u);  // 16 bytes
  ASSERT_EQ(*(*spool)->append(std::span(a).subspan(2, 2), 2), 0u);  // a second segment, 32
  auto more = alerts(10, 13);                                       // 3 × 9 bytes
  auto dropped = (*spool)->append(more, 10);
  ASSERT_TRUE(dropped);
  EXPECT_EQ(*dropped, 2u);  // the first segment went
  auto batch = (*spool)->peek(100);
  ASSERT_TRUE(batch);
  std::vector<std::string> expect = {a[2], a[3]};
  expect.insert(expect.end(), more.begin(), more.end());
  EXPECT_EQ(batch->alerts, expect);
  EXPECT_LE((*spool)->bytes(), 48u);

  // New alerts alone over the bound: everything older goes, then the oldest new ones.
  auto big = alerts(100, 110);  // 10 × 10 bytes
  dropped = (*spool)->append(big, 10);
  ASSERT_TRUE(dropped);
  EXPECT_EQ(*dropped, 5u + 6u);
  batch = (*spool)->peek(100);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->alerts, std::vector<std::string>(big.begin() + 6, big.end()));
}

TEST_F(SpoolTest, DiscardsUnfinishedWritesAndDamagedLines) {
  std::ofstream(dir_ + "/0000000000000001.jsonl") << "{\"n\":1}\nnot json\n{\"n\":2}\n{\"cut";
  std::ofstream(dir_ + "/0000000000000002.jsonl.tmp") << "{\"n\":3}\n";
  std::ofstream(dir_ + "/README") << "not a segment\n";
  auto spool = Spool::open(dir_, 1 << 20);
  ASSERT_TRUE(spool) << spool.error().message();
  EXPECT_EQ((*spool)->alerts(), 2u);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/0000000000000002.jsonl.tmp"));
  auto batch = (*spool)->peek(10);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->alerts, (std::vector<std::string>{"{\"n\":1}", "{\"n\":2}"}));
  // New segments continue after the existing ones.
  ASSERT_TRUE((*spool)->append(alerts(5, 6), 10));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/0000000000000002.jsonl"));
}

TEST_F(SpoolTest, SegmentRemovedBehindItsBackIsSkipped) {
  auto spool = Spool::open(dir_, 1 << 20);
  ASSERT_TRUE(spool);
  ASSERT_TRUE((*spool)->append(alerts(0, 4), 2));
  std::filesystem::remove(dir_ + "/0000000000000001.jsonl");
  auto batch = (*spool)->peek(10);
  ASSERT_TRUE(batch) << batch.error().message();
  EXPECT_EQ(batch->alerts, alerts(2, 4));
  ASSERT_TRUE((*spool)->pop(batch->last_seq));
  EXPECT_TRUE((*spool)->empty());
  EXPECT_EQ((*spool)->alerts(), 0u);
}

}  // namespace
}  // namespace phalanx::agent

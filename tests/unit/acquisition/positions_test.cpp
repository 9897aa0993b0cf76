// SPDX-License-Identifier: Apache-2.0
#include "acquisition/positions.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace phalanx::acquisition {
namespace {

class PositionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phalanx-positions-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(PositionsTest, RoundTripAndAtomicWrite) {
  std::map<std::string, Position> all;
  all["/var/log/a.log"] = {.dev = 2049,
                           .inode = 1234567,
                           .offset = 99,
                           .head_len = 12,
                           .head_hash = 0xfedcba9876543210ULL};
  all["/var/log/b.log"] = {.dev = 1, .inode = 2, .offset = 0, .head_len = 0, .head_hash = 0};
  const std::string path = dir_ + "/positions.json";
  ASSERT_TRUE(write_positions(path, all));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto back = read_positions(path);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, all);
}

TEST_F(PositionsTest, MissingIsEmptyAndGarbageIsAnError) {
  auto none = read_positions(dir_ + "/nope.json");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  std::ofstream(dir_ + "/bad.json") << "{not json";
  EXPECT_FALSE(read_positions(dir_ + "/bad.json"));
  std::ofstream(dir_ + "/wrong.json") << R"({"files": {"/a": {"offset": "ten"}}})";
  EXPECT_FALSE(read_positions(dir_ + "/wrong.json"));
}

TEST_F(PositionsTest, HeadFingerprintTellsFilesApart) {
  const std::string a = dir_ + "/a";
  std::ofstream(a) << "first line\nsecond\n";
  const int fd = ::open(a.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  Position p;
  ASSERT_TRUE(fingerprint(fd, p));
  EXPECT_EQ(p.head_len, 18u);
  EXPECT_TRUE(same_head(fd, p));
  ::close(fd);
  // Growing keeps the head; rewriting it does not.
  std::ofstream(a, std::ios::app) << "third\n";
  int fd2 = ::open(a.c_str(), O_RDONLY);
  EXPECT_TRUE(same_head(fd2, p));
  ::close(fd2);
  std::ofstream(a) << "other line\nsecond\nthird\n";
  fd2 = ::open(a.c_str(), O_RDONLY);
  EXPECT_FALSE(same_head(fd2, p));
  ::close(fd2);
}

TEST_F(PositionsTest, StoreIsSharedAndFlushesWhenDirty) {
  auto store = PositionStore::open(dir_ + "/state");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(PositionStore::open(dir_ + "/state"), store);
  EXPECT_EQ(PositionStore::open(""), nullptr);
  store->set("/x", {.dev = 1, .inode = 2, .offset = 3, .head_len = 0, .head_hash = 0});
  EXPECT_TRUE(store->dirty());
  store->flush(std::chrono::milliseconds(0));
  EXPECT_FALSE(store->dirty());
  auto back = read_positions(store->path());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->at("/x").offset, 3u);
  // Within the minimum gap nothing is written.
  store->set("/x", {.dev = 1, .inode = 2, .offset = 4, .head_len = 0, .head_hash = 0});
  store->flush(std::chrono::hours(1));
  EXPECT_TRUE(store->dirty());
  EXPECT_EQ(read_positions(store->path())->at("/x").offset, 3u);
  store->forget("/x");
  store->flush(std::chrono::milliseconds(0));
  EXPECT_TRUE(read_positions(store->path())->empty());
}

}  // namespace
}  // namespace phalanx::acquisition

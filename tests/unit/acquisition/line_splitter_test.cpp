// SPDX-License-Identifier: Apache-2.0
#include "acquisition/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace phalanx::acquisition {
namespace {

struct Got {
  std::string line;
  uint64_t end;
  bool cut;
  bool operator==(const Got&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{'" << g.line << "', " << g.end << ", " << g.cut << "}";
}

// Feeds `chunks` in order from offset `base`; collects every callback.
std::vector<Got> split(LineSplitter& s, const std::vector<std::string>& chunks, uint64_t base = 0) {
  std::vector<Got> out;
  for (const auto& c : chunks) {
    EXPECT_TRUE(s.feed(c.data(), c.size(), base, [&](std::string line, uint64_t end, bool cut) {
      out.push_back({std::move(line), end, cut});
      return true;
    }));
    base += c.size();
  }
  return out;
}

TEST(LineSplitterTest, LinesAcrossChunksWithOffsets) {
  LineSplitter s(100);
  auto got = split(s, {"ab\ncd", "e\n\nf", "g\n", "tail"});
  EXPECT_EQ(got, (std::vector<Got>{
                     {"ab", 3, false}, {"cde", 7, false}, {"", 8, false}, {"fg", 11, false}}));
  EXPECT_TRUE(s.has_partial());
  EXPECT_EQ(s.take_partial(), "tail");
  EXPECT_FALSE(s.has_partial());
}

TEST(LineSplitterTest, OverLongLinesAreCutOnceAndSkippedToTheirNewline) {
  LineSplitter s(4);
  s.reset(10);  // resuming at offset 10
  auto got = split(s, {"ok\n0123456", "789", "abc\nxyz\n", "0123456789\n"}, 10);
  EXPECT_EQ(got, (std::vector<Got>{{"ok", 13, false},
                                   {"0123", 13, true},  // head first; the position stays put
                                   {"", 27, false},     // ...until the newline is passed
                                   {"xyz", 31, false},
                                   {"0123", 42, true}}));
  EXPECT_EQ(s.take_partial(), "");
}

TEST(LineSplitterTest, StopsWhenTheCallbackRefuses) {
  LineSplitter s(100);
  const std::string data = "a\nb\nc\n";
  int calls = 0;
  EXPECT_FALSE(s.feed(data.data(), data.size(), 0,
                      [&](std::string, uint64_t, bool) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

TEST(LineSplitterTest, ResetForgetsTheUnfinishedLine) {
  LineSplitter s(100);
  split(s, {"partial"});
  s.reset(0);
  auto got = split(s, {"new\n"});
  EXPECT_EQ(got, (std::vector<Got>{{"new", 4, false}}));
}

}  // namespace
}  // namespace phalanx::acquisition

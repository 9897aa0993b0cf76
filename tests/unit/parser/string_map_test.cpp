// SPDX-License-Identifier: Apache-2.0
// StringMap: set_sorted() gives the map one set() per key would give, in key order.
#include "parser/string_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace phalanx::parser {
namespace {

using Items = std::vector<std::pair<std::string, std::string>>;

Items items(const StringMap& m) {
  return {m.begin(), m.end()};
}

std::vector<uint32_t> by_name(const std::vector<std::string>& keys) {
  std::vector<uint32_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
  return order;
}

TEST(StringMap, SetSortedMatchesOneSetPerKey) {
  const std::vector<std::string> keys = {"program", "pid", "zz", "aa", "message", "host", "mid"};
  const std::vector<std::string_view> values = {"sshd", "1", "", "first", "hello", "h", "new"};
  // Existing keys before, between, equal to and after the new ones.
  for (const Items& start : {Items{}, Items{{"a", "0"}}, Items{{"zzz", "9"}},
                             Items{{"message", "old"}, {"mid", "kept"}, {"n", "x"}},
                             Items{{"aa", "1"},
                                   {"host", "2"},
                                   {"message", "3"},
                                   {"mid", "4"},
                                   {"pid", "5"},
                                   {"program", "6"},
                                   {"zz", "7"}}}) {
    StringMap bulk;
    for (const auto& [k, v] : start)
      bulk.set(k, v);
    StringMap one = bulk;
    bulk.set_sorted(keys, values, by_name(keys));
    for (size_t i = 0; i < keys.size(); ++i)
      one.set(keys[i], values[i]);
    EXPECT_EQ(items(bulk), items(one)) << start.size() << " keys before";
  }
}

TEST(StringMap, SetSortedWithNothingToSet) {
  StringMap m;
  m.set("k", "v");
  m.set_sorted({}, {}, {});
  EXPECT_EQ(items(m), (Items{{"k", "v"}}));
}

TEST(StringMap, FindWithAHintAnswersAsFindAndLeavesThePosition) {
  StringMap m;
  for (const char* k : {"a", "b", "c", "d"})
    m.set(k, std::string("v") + k);
  uint32_t hint = 99;  // out of range: searched
  ASSERT_NE(m.find("c", hint), nullptr);
  EXPECT_EQ(*m.find("c", hint), "vc");
  EXPECT_EQ(hint, 2u);
  hint = 0;  // pointing at another key: searched, then moved
  EXPECT_EQ(*m.find("d", hint), "vd");
  EXPECT_EQ(hint, 3u);
  EXPECT_EQ(m.find("zz", hint), nullptr);  // absent: the hint stays
  EXPECT_EQ(hint, 3u);
  m.set("bb", "new");  // "d" moves to 4; the stale hint still finds it
  EXPECT_EQ(*m.find("d", hint), "vd");
  EXPECT_EQ(hint, 4u);
}

TEST(StringMap, SharedHintAnswersAsFindFromEveryThread) {
  // Two layouts of the same keys, as events from two parsers: the hint keeps moving.
  StringMap a, b;
  for (const char* k : {"a", "c", "d"})
    a.set(k, std::string("a") + k);
  for (const char* k : {"b", "c", "x", "y"})
    b.set(k, std::string("b") + k);
  StringMap::SharedHint hint;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        if (a.get("c", hint) != "ac" || b.get("c", hint) != "bc" || !a.get("b", hint).empty() ||
            b.find("zz", hint) != nullptr) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(wrong.load(), 0);
  StringMap::SharedHint copy = hint;  // copies the position; both still answer
  EXPECT_EQ(a.get("d", copy), "ad");
  EXPECT_EQ(b.get("y", hint), "by");
}

}  // namespace
}  // namespace phalanx::parser

// SPDX-License-Identifier: Apache-2.0
#include "lapi/string_pool.h"

#include <gtest/gtest.h>

namespace phalanx::lapi {
namespace {

TEST(StringPool, InternsAndCountsReferences) {
  StringPool pool;
  const auto a = pool.acquire("crowdsecurity/ssh-bf");
  const auto b = pool.acquire("crowdsecurity/ssh-bf");
  const auto c = pool.acquire("ban");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(pool.get(a), "crowdsecurity/ssh-bf");
  EXPECT_EQ(pool.get(c), "ban");
  EXPECT_EQ(pool.size(), 2u);
  pool.release(a);
  EXPECT_EQ(pool.get(b), "crowdsecurity/ssh-bf");  // one reference left
  EXPECT_EQ(pool.find("crowdsecurity/ssh-bf"), a);
  pool.release(b);
  EXPECT_FALSE(pool.find("crowdsecurity/ssh-bf"));
  EXPECT_EQ(pool.size(), 1u);
}

TEST(StringPool, ReusesFreedIdsAndKeepsViewsStable) {
  StringPool pool;
  const auto first = pool.acquire("short");
  // Many more strings, long and short: earlier views must survive the pool growing.
  std::vector<StringPool::Id> ids;
  for (int i = 0; i < 1000; ++i)
    ids.push_back(pool.acquire(std::string(static_cast<size_t>(i % 40), 'x') + std::to_string(i)));
  EXPECT_EQ(pool.get(first), "short");
  EXPECT_EQ(pool.get(ids[999]), std::string(39, 'x') + "999");
  pool.release(ids[10]);
  const auto again = pool.acquire("another");
  EXPECT_EQ(again, ids[10]);  // the freed slot
  EXPECT_EQ(pool.get(again), "another");
  EXPECT_EQ(pool.find(std::string(10, 'x') + "10"), std::nullopt);
  EXPECT_EQ(pool.size(), 1001u);
}

TEST(StringPool, EmptyStringIsAString) {
  StringPool pool;
  const auto e = pool.acquire("");
  EXPECT_EQ(pool.get(e), "");
  EXPECT_EQ(pool.find(""), e);
}

}  // namespace
}  // namespace phalanx::lapi

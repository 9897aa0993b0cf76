// SPDX-License-Identifier: Apache-2.0
#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>

namespace phalanx {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0) return Error("halving " + std::to_string(v) + ": odd number", EINVAL);
  return v / 2;
}

Result<int> quarter(int v) {
  PHALANX_TRY(int h, half(v));
  PHALANX_TRY(int q, half(h));
  return q;
}

Result<void> check_even(int v) {
  PHALANX_CHECK(half(v));
  return ok();
}

TEST(ResultTest, ValueAndError) {
  auto good = half(8);
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 4);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "halving 3: odd number");
  EXPECT_EQ(bad.error().code(), EINVAL);
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(ResultTest, TryPropagates) {
  EXPECT_EQ(*quarter(8), 2);
  auto bad = quarter(6);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "halving 3: odd number");
  EXPECT_TRUE(check_even(2));
  EXPECT_FALSE(check_even(1));
}

TEST(ResultTest, ContextAndErrno) {
  Error e = Error::from_errno("opening /x", ENOENT).context("loading config");
  EXPECT_EQ(e.code(), ENOENT);
  EXPECT_EQ(e.message(), "loading config: opening /x: No such file or directory");
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace phalanx

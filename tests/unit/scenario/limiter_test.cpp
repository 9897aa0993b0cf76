// SPDX-License-Identifier: Apache-2.0
#include "scenario/limiter.h"

#include <gtest/gtest.h>

#include "scenario_fixture.h"

namespace phalanx::scenario {
namespace {

using testing::at;
using namespace std::chrono_literals;

TEST(TokenBucket, StartsFullAndRejectsTheCapacityPlusOnethPour) {
  TokenBucket tb(10s, 5);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(tb.allow(at(i * 0.1).time)) << i;
  EXPECT_FALSE(tb.allow(at(0.5).time));
}

TEST(TokenBucket, APourExactlyWhenATokenIsBackIsAccepted) {
  TokenBucket tb(10s, 1);
  EXPECT_TRUE(tb.allow(at(0).time));
  EXPECT_FALSE(tb.allow(at(9.999).time));
  TokenBucket exact(10s, 1);
  EXPECT_TRUE(exact.allow(at(0).time));
  EXPECT_TRUE(exact.allow(at(10).time));
}

TEST(TokenBucket, TimeGoingBackwardsRefillsNothing) {
  TokenBucket tb(1s, 2);
  EXPECT_TRUE(tb.allow(at(100).time));
  EXPECT_TRUE(tb.allow(at(100).time));
  // One second earlier: no refill, and no token left.
  EXPECT_FALSE(tb.allow(at(99).time));
  // The rejected pour moved `last` back to 99 s, so at 100 s one token is back.
  EXPECT_TRUE(tb.allow(at(100).time));
}

TEST(TokenBucket, RefillIsCappedAtTheBurst) {
  TokenBucket tb(1s, 3);
  EXPECT_TRUE(tb.allow(at(0).time));
  // An hour later the bucket holds 3 tokens, not 3600.
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(tb.allow(at(3600).time));
  EXPECT_FALSE(tb.allow(at(3600).time));
}

}  // namespace
}  // namespace phalanx::scenario

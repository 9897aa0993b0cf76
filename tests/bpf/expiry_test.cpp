// SPDX-License-Identifier: Apache-2.0
// Deadline conversions between decision lifetimes and CLOCK_MONOTONIC map values (pure).
#include "bouncer-xdp/expiry.h"

#include <gtest/gtest.h>

#include "bpf/xdp_blocklist.h"

namespace phalanx::xdp {
namespace {

using std::chrono::hours;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(Expiry, AfterAddsRemainingToBootNow) {
  struct Row {
    nanoseconds remaining;
    uint64_t clock_now;
    uint64_t want;
  };
  const Row rows[] = {
      {seconds(10), 1'000, 10'000'001'000ULL},
      {nanoseconds(0), 5'000, 5'000},  // expired on arrival
      {seconds(-3), 5'000, 5'000},     // negative: expired
      {nanoseconds::max(), 5'000, 5'000 + static_cast<uint64_t>(nanoseconds::max().count())},
      {nanoseconds(1), PHX_EXPIRY_NEVER - 1, PHX_EXPIRY_NEVER - 1},  // saturates below "never"
      {seconds(1), PHX_EXPIRY_NEVER - 10, PHX_EXPIRY_NEVER - 1},
  };
  for (const auto& r : rows)
    EXPECT_EQ(expiry_after(r.remaining, r.clock_now), r.want) << r.remaining.count();
}

TEST(Expiry, AtConvertsWallClockDeadline) {
  const TimePoint wall_now{seconds(1'700'000'000)};
  EXPECT_EQ(expiry_at(wall_now + hours(4), wall_now, 7), 7 + 4ULL * 3600 * 1'000'000'000ULL);
  EXPECT_EQ(expiry_at(wall_now - hours(1), wall_now, 7), 7U);
}

TEST(Expiry, TimeLeft) {
  EXPECT_EQ(time_left(1'500, 1'000), nanoseconds(500));
  EXPECT_EQ(time_left(1'000, 1'000), nanoseconds(0));
  EXPECT_EQ(time_left(0, 1'000), nanoseconds(0));
  EXPECT_EQ(time_left(PHX_EXPIRY_NEVER, 1'000), nanoseconds::max());
}

TEST(Expiry, ClockMovesForward) {
  const uint64_t a = expiry_clock_now_ns();
  const uint64_t b = expiry_clock_now_ns();
  EXPECT_GT(a, 0U);
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace phalanx::xdp

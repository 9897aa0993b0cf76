// SPDX-License-Identifier: Apache-2.0
#include "bouncer/daemon_loop.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <algorithm>

namespace phalanx::bouncer {
namespace {

using std::chrono::seconds;

const SteadyClock::time_point t0{seconds(1000)};

TEST(PeriodicTest, FirstRunIsDueOnePeriodAfterStart) {
  Periodic p(seconds(10), t0);
  EXPECT_EQ(p.next(), t0 + seconds(10));
  EXPECT_FALSE(p.due(t0));
  EXPECT_FALSE(p.due(t0 + seconds(9)));
  EXPECT_TRUE(p.due(t0 + seconds(10)));
  EXPECT_EQ(p.next(), t0 + seconds(20));
  EXPECT_FALSE(p.due(t0 + seconds(10)));
}

TEST(PeriodicTest, ALateWakeRunsOnceAndTheNextIsAPeriodLater) {
  Periodic p(seconds(1), t0);
  EXPECT_TRUE(p.due(t0 + seconds(35)));
  EXPECT_FALSE(p.due(t0 + seconds(35)));
  EXPECT_EQ(p.next(), t0 + seconds(36));
}

TEST(PeriodicTest, ZeroPeriodIsNeverDue) {
  Periodic off(SteadyClock::duration::zero(), t0);
  EXPECT_EQ(off.next(), SteadyClock::time_point::max());
  EXPECT_FALSE(off.due(t0 + seconds(1'000'000)));
  Periodic negative(seconds(-1), t0);
  EXPECT_FALSE(negative.due(t0 + seconds(1'000'000)));
}

// The loop waits for the nearer of two jobs: a short usage-metrics period is honoured even when
// the sweep's period is longer (the sweep used to set the only wake-up).
TEST(PeriodicTest, TheNearerOfTwoJobsSetsTheWake) {
  Periodic sweep(seconds(10), t0);
  Periodic usage(seconds(1), t0);
  int usage_runs = 0;
  int sweep_runs = 0;
  SteadyClock::time_point now = t0;
  for (int i = 0; i < 20; ++i) {
    now = std::min(sweep.next(), usage.next());
    if (usage.due(now)) ++usage_runs;
    if (sweep.due(now)) ++sweep_runs;
  }
  EXPECT_EQ(now, t0 + seconds(20));
  EXPECT_EQ(usage_runs, 20);
  EXPECT_EQ(sweep_runs, 2);
}

class WaitForStopTest : public ::testing::Test {
 protected:
  void SetUp() override { pthread_sigmask(SIG_SETMASK, nullptr, &saved_); }
  void TearDown() override {
    // Drop whatever the test left pending before the mask is restored.
    const sigset_t set = stop_set();
    timespec zero{0, 0};
    while (sigtimedwait(&set, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }
  static sigset_t stop_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
  }
  sigset_t saved_{};
};

TEST_F(WaitForStopTest, APassedDeadlineReturnsAtOnce) {
  const sigset_t set = block_stop_signals();
  EXPECT_EQ(wait_for_stop(set, SteadyClock::now() - seconds(1)), 0);
}

TEST_F(WaitForStopTest, ReturnsZeroWhenTheDeadlineComes) {
  const sigset_t set = block_stop_signals();
  const auto until = SteadyClock::now() + std::chrono::milliseconds(20);
  EXPECT_EQ(wait_for_stop(set, until), 0);
  EXPECT_GE(SteadyClock::now(), until);
}

TEST_F(WaitForStopTest, APendingStopSignalIsReturned) {
  const sigset_t set = block_stop_signals();
  ASSERT_EQ(pthread_kill(pthread_self(), SIGTERM), 0);  // blocked: stays pending
  EXPECT_EQ(wait_for_stop(set, SteadyClock::time_point::max()), SIGTERM);
  ASSERT_EQ(pthread_kill(pthread_self(), SIGINT), 0);
  EXPECT_EQ(wait_for_stop(set, SteadyClock::now() + seconds(60)), SIGINT);
}

}  // namespace
}  // namespace phalanx::bouncer

// SPDX-License-Identifier: Apache-2.0
// The clock is injected wherever "now" matters, so replays and tests are exact.
#pragma once

#include <atomic>

#include "core/time.h"

namespace phalanx {

// Source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// The system wall clock.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  }
  // A process-wide instance for callers that have nothing better to inject.
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
};

// A clock that only moves when told to; for tests and pinned replays.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{}) : now_(start.time_since_epoch().count()) {}
  TimePoint now() const override {
    return TimePoint(std::chrono::nanoseconds(now_.load(std::memory_order_relaxed)));
  }
  void set(TimePoint t) { now_.store(t.time_since_epoch().count(), std::memory_order_relaxed); }
  void advance(std::chrono::nanoseconds d) { now_.fetch_add(d.count(), std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace phalanx

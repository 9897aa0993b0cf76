// SPDX-License-Identifier: Apache-2.0
// The leaky bucket's token bucket, with the exact arithmetic of the reference limiter (spec
// §3.3): burst = capacity, one token back per leakspeed, full at start, no refill when time goes
// backwards, and a rejected pour leaves the tokens alone but may move `last` back.
#pragma once

#include <cstdint>

#include "core/duration.h"
#include "core/time.h"

namespace phalanx::scenario {

class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(Duration leakspeed, int64_t burst)
      : limit_(leakspeed.count() > 0 ? 1.0 / seconds(leakspeed) : 0), burst_(burst) {}

  // Takes one token at `now`; false when none is available (the bucket overflows).
  bool allow(TimePoint now) {
    // advance(): a limiter that never ran has last = the zero time, so the elapsed time is
    // capped and the bucket starts full.
    TimePoint last = started_ ? last_ : now;
    if (now < last) last = now;
    const Duration max_elapsed = duration_from_tokens(double(burst_) - tokens_);
    Duration elapsed = started_ ? now - last : max_elapsed;
    if (elapsed > max_elapsed) elapsed = max_elapsed;
    double tokens = tokens_ + tokens_from_duration(elapsed);
    if (tokens > double(burst_)) tokens = double(burst_);
    tokens -= 1;
    Duration wait{0};
    if (tokens < 0) wait = duration_from_tokens(-tokens);
    const bool ok = 1 <= burst_ && wait.count() <= 0;
    if (ok) {
      last_ = now;
      tokens_ = tokens;
      started_ = true;
    } else if (started_) {
      last_ = last;
    }
    return ok;
  }

  double tokens() const { return tokens_; }

 private:
  static double seconds(Duration d) {
    const int64_t sec = d.count() / 1'000'000'000;
    const int64_t nsec = d.count() % 1'000'000'000;
    return double(sec) + double(nsec) / 1e9;
  }
  Duration duration_from_tokens(double tokens) const {
    const double secs = tokens / limit_;
    return Duration(int64_t(1e9 * secs));
  }
  double tokens_from_duration(Duration d) const {
    const double sec = double(d.count() / 1'000'000'000) * limit_;
    const double nsec = double(d.count() % 1'000'000'000) * limit_;
    return sec + nsec / 1e9;
  }

  double limit_ = 0;  // tokens per second
  int64_t burst_ = 0;
  double tokens_ = 0;
  TimePoint last_{};
  bool started_ = false;
};

}  // namespace phalanx::scenario

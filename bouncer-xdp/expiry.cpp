// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/expiry.h"

#include <time.h>

#include "bpf/xdp_blocklist.h"

namespace phalanx::xdp {

uint64_t expiry_clock_now_ns() {
  timespec ts{};
  // CLOCK_MONOTONIC cannot fail on Linux with a valid pointer.
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t expiry_after(std::chrono::nanoseconds remaining, uint64_t clock_now) {
  if (remaining.count() <= 0) return clock_now;
  const uint64_t add = static_cast<uint64_t>(remaining.count());
  const uint64_t cap = PHX_EXPIRY_NEVER - 1;
  return add >= cap - clock_now ? cap : clock_now + add;
}

uint64_t expiry_at(TimePoint until, TimePoint wall_now, uint64_t clock_now) {
  return expiry_after(until - wall_now, clock_now);
}

std::chrono::nanoseconds time_left(uint64_t expiry, uint64_t clock_now) {
  if (expiry == PHX_EXPIRY_NEVER) return std::chrono::nanoseconds::max();
  if (expiry <= clock_now) return std::chrono::nanoseconds::zero();
  const uint64_t left = expiry - clock_now;
  const auto max = static_cast<uint64_t>(std::chrono::nanoseconds::max().count());
  return std::chrono::nanoseconds(static_cast<int64_t>(left > max ? max : left));
}

}  // namespace phalanx::xdp

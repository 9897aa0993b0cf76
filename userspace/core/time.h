// SPDX-License-Identifier: Apache-2.0
// Points in time. Event times keep the UTC offset they were written with, because the hub's
// contracts print them back that way (a log line stamped +02:00 is marshaled as +02:00).
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>

namespace phalanx {

using TimePoint = std::chrono::sys_time<std::chrono::nanoseconds>;

// An instant plus the UTC offset (in seconds east of UTC) it is displayed in.
struct ZonedTime {
  TimePoint time{};
  int32_t utc_offset_s = 0;

  bool operator==(const ZonedTime& other) const { return time == other.time; }
  auto operator<=>(const ZonedTime& other) const { return time <=> other.time; }
  bool is_zero() const { return time.time_since_epoch().count() == 0; }
};

}  // namespace phalanx

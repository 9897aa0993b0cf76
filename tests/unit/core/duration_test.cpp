// SPDX-License-Identifier: Apache-2.0
#include "core/duration.h"

#include <gtest/gtest.h>

namespace phalanx {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

struct ParseCase {
  const char* text;
  bool allow_days;
  bool ok;
  Duration want;
};

TEST(DurationTest, ParsesGoDurations) {
  const ParseCase cases[] = {
      {"4h", false, true, hours(4)},
      {"1h30m", false, true, hours(1) + minutes(30)},
      {"90s", false, true, seconds(90)},
      {"1.5h", false, true, minutes(90)},
      {"-1m", false, true, -minutes(1)},
      {"+2s", false, true, seconds(2)},
      {"0", false, true, nanoseconds(0)},
      {"0s", false, true, nanoseconds(0)},
      {"300ms", false, true, milliseconds(300)},
      {"2us", false, true, microseconds(2)},
      {"2\xC2\xB5s", false, true, microseconds(2)},
      {"1h2m3s4ms5us6ns", false, true,
       hours(1) + minutes(2) + seconds(3) + milliseconds(4) + microseconds(5) + nanoseconds(6)},
      {".5s", false, true, milliseconds(500)},
      {"1.s", false, true, seconds(1)},
      {"2d", true, true, hours(48)},
      {"1d12h", true, true, hours(36)},
      {"2d", false, false, {}},
      {"", false, false, {}},
      {"4", false, false, {}},
      {"h", false, false, {}},
      {"4x", false, false, {}},
      {"-", false, false, {}},
      {".s", false, false, {}},
      {"1h 2m", false, false, {}},
      {"9999999999999h", false, false, {}},
  };
  for (const auto& c : cases) {
    auto got = parse_go_duration(c.text, c.allow_days);
    EXPECT_EQ(got.has_value(), c.ok) << c.text;
    if (c.ok && got) {
      EXPECT_EQ(got->count(), c.want.count()) << c.text;
    }
  }
}

TEST(DurationTest, FormatsLikeGo) {
  const std::pair<Duration, const char*> cases[] = {
      {nanoseconds(0), "0s"},
      {hours(4), "4h0m0s"},
      {minutes(59) + seconds(59), "59m59s"},
      {-(hours(1) + minutes(2) + seconds(3)), "-1h2m3s"},
      {milliseconds(1500), "1.5s"},
      {milliseconds(1), "1ms"},
      {microseconds(2), "2\xC2\xB5s"},
      {nanoseconds(1), "1ns"},
      {nanoseconds(1100), "1.1\xC2\xB5s"},
      {milliseconds(2200), "2.2s"},
      {hours(100), "100h0m0s"},
      {seconds(60), "1m0s"},
      {hours(3) + nanoseconds(1), "3h0m0.000000001s"},
      {nanoseconds(INT64_MIN), "-2562047h47m16.854775808s"},
      {nanoseconds(INT64_MAX), "2562047h47m16.854775807s"},
  };
  for (const auto& [d, want] : cases)
    EXPECT_EQ(format_go_duration(d), want);
}

TEST(DurationTest, RoundTrips) {
  for (const char* text : {"4h0m0s", "1m0s", "59m59s", "1.5s", "-3h0m0.5s", "1ms"}) {
    auto d = parse_go_duration(text);
    ASSERT_TRUE(d) << text;
    EXPECT_EQ(format_go_duration(*d), text);
  }
}

}  // namespace
}  // namespace phalanx

// SPDX-License-Identifier: Apache-2.0
// ParseDate: the order of attempts, the year-less rule, the epoch and "now" fallbacks. Expected
// values are those of CrowdSec's ParseDate run by Go (TZ=UTC) with "now" at the clock below.
#include "enrich/date.h"

#include <gtest/gtest.h>

#include <string>

#include "enrich/go_time.h"

namespace phalanx::enrich {
namespace {

// 2026-03-04T05:06:07.89Z
constexpr int64_t kNowNs = 1772600767890000000;
constexpr const char* kNowText = "2026-03-04T05:06:07.89Z";

struct DateCase {
  const char* format;  // StrTimeFormat
  const char* str;     // StrTime
  bool parsed;
  const char* marshaled;
  int64_t unix_ns;
  int32_t offset;
};

// clang-format off
const DateCase kDateCases[] = {
    // One real example per built-in layout, in their order.
    {"", "2023-10-10T13:55:36.120+02:00", true, "2023-10-10T13:55:36.12+02:00", 1696938936120000000, 7200},  // RFC3339
    {"", "10/Oct/2023:13:55:36 +0200", true, "2023-10-10T13:55:36+02:00", 1696938936000000000, 7200},  // nginx
    {"", "Tue Oct 10 13:55:36 2023", true, "2023-10-10T13:55:36Z", 1696946136000000000, 0},
    {"", "10-Oct-2023 13:55:36 europe/paris", true, "2023-10-10T13:55:36Z", 1696946136000000000, 0},
    {"", "10/31/2023 13:55:36", true, "2023-10-31T13:55:36Z", 1698760536000000000, 0},
    {"", "2023-10-10 13:55:36.123 +0200 CEST", true, "2023-10-10T13:55:36.123+02:00", 1696938936123000000, 7200},
    {"", "Nov 23 10:07:14", true, "2026-11-23T10:07:14Z", 1795428434000000000, 0},  // syslog
    {"", "Wed Jul 05 09:19:24.428126 2023", true, "2023-07-05T09:19:24.428126Z", 1688548764428126000, 0},
    {"", "2023-10-10T13:55:36Z", true, "2023-10-10T13:55:36Z", 1696946136000000000, 0},
    {"", "2023/10/10", true, "2023-10-10T00:00:00Z", 1696896000000000000, 0},
    {"", "2023/10/10 13:55", true, "2023-10-10T13:55:00Z", 1696946100000000000, 0},
    {"", "2023-10-10", true, "2023-10-10T00:00:00Z", 1696896000000000000, 0},
    {"", "2023-10-10 13:55", true, "2023-10-10T13:55:00Z", 1696946100000000000, 0},
    {"", "2023/10/10 13:55:36", true, "2023-10-10T13:55:36Z", 1696946136000000000, 0},
    {"", "2023-10-10 13:55:36", true, "2023-10-10T13:55:36Z", 1696946136000000000, 0},
    {"", "2023-03-13T09:25:23.245316", true, "2023-03-13T09:25:23.245316Z", 1678699523245316000, 0},
    // More shapes seen in hub tests.
    {"", "2023-04-06T09:05:54,991Z", true, "2023-04-06T09:05:54.991Z", 1680771954991000000, 0},
    {"", "10/Oct/2023:13:55:36 +0000", true, "2023-10-10T13:55:36Z", 1696946136000000000, 0},
    {"", "2023-10-10 13:55:36.123456789 +0000 UTC", true, "2023-10-10T13:55:36.123456789Z", 1696946136123456789, 0},
    {"", "Jan  2 15:04:05", true, "2026-01-02T15:04:05Z", 1767366245000000000, 0},
    {"", "Feb 29 10:00:00", true, "2026-03-01T10:00:00Z", 1772359200000000000, 0},  // Go's AddDate
    {"", "Dec 31 23:59:59", true, "2026-12-31T23:59:59Z", 1798761599000000000, 0},
    {"", "2021-11-09  5:13:12", true, "2021-11-09T05:13:12Z", 1636434792000000000, 0},  // mariadb
    {"", "2023-05-25 22:24:19,357", true, "2023-05-25T22:24:19.357Z", 1685053459357000000, 0},
    {"", "0000-01-01", true, "2026-01-01T00:00:00Z", 1767225600000000000, 0},
    {"", "1900-01-01T00:00:00Z", true, "1900-01-01T00:00:00Z", -2208988800000000000, 0},
    // Epochs: integer seconds, anything after '.' dropped, formatted without fraction.
    {"", "1700000000", true, "2023-11-14T22:13:20Z", 1700000000000000000, 0},
    {"", "1700000000.987", true, "2023-11-14T22:13:20Z", 1700000000000000000, 0},
    {"", "+1700000000", true, "2023-11-14T22:13:20Z", 1700000000000000000, 0},
    // Nothing parses: now, not parsed.
    {"", "-1700000000", false, kNowText, kNowNs, 0},
    {"", "0", false, kNowText, kNowNs, 0},
    {"", ".5", false, kNowText, kNowNs, 0},
    {"", "17e8", false, kNowText, kNowNs, 0},
    {"", "garbage", false, kNowText, kNowNs, 0},
    {"", "", false, kNowText, kNowNs, 0},
    {"", "0001-01-01", false, kNowText, kNowNs, 0},  // Go's zero time counts as a failure
    {"", "2023-10-10T13:55:36+24:00", false, kNowText, kNowNs, 0},  // MarshalText refuses it
    // StrTimeFormat first, from hub parsers; a failing one falls through to the built-ins.
    {"0102 15:04:05", "0213 10:09:11", true, "2026-02-13T10:09:11Z", 1770977351000000000, 0},
    {"060102 15:04:05", "211109 05:13:12", true, "2021-11-09T05:13:12Z", 1636434792000000000, 0},
    {"060102 15:04:05", "2021-11-09  5:13:12", true, "2021-11-09T05:13:12Z", 1636434792000000000, 0},
    {"01/02/2006, 3:04:05 PM", "08/02/2023, 7:32:47 PM", true, "2023-08-02T19:32:47Z", 1691004767000000000, 0},
    {"2006-01-02 15:04:05,999999999", "2023-05-25 22:24:19,357", true, "2023-05-25T22:24:19.357Z", 1685053459357000000, 0},
    {"2006-01-02 15:04:05.000-0700", "2022-02-03 16:10:11.219+0100", true, "2022-02-03T16:10:11.219+01:00", 1643901011219000000, 3600},
    {"Mon Jan _2 15:04:05 2006", "Mon Jun  8 12:08:44 2020", true, "2020-06-08T12:08:44Z", 1591618124000000000, 0},
    {"2006-01-02T15:04:05.999Z", "2024-01-12T22:54:56.307Z", true, "2024-01-12T22:54:56.307Z", 1705100096307000000, 0},
    {"2006 2 15.04.05 Jan", "2023 5 10.11.12 Mar", true, "2023-03-05T10:11:12Z", 1678011072000000000, 0},
    {"Jan 2 15:04:05 MST", "Feb 29 10:00:00 CEST", true, "2026-03-01T10:00:00Z", 1772359200000000000, 0},
    {"Jan 2 15:04:05 -0700", "Jan 1 00:30:00 +0100", true, "2026-01-01T00:30:00+01:00", 1767223800000000000, 3600},
    {"15:04:05", "05:34:01", true, "2026-01-01T05:34:01Z", 1767245641000000000, 0},
    {"bogus layout", "Nov 23 10:07:14", true, "2026-11-23T10:07:14Z", 1795428434000000000, 0},
};
// clang-format on

class ParseDateTest : public ::testing::TestWithParam<DateCase> {};

TEST_P(ParseDateTest, MatchesCrowdSec) {
  const DateCase& c = GetParam();
  ManualClock clock{TimePoint(std::chrono::nanoseconds(kNowNs))};
  DateOptions options;
  options.clock = &clock;
  ParseDateResult r = parse_date(c.str, c.format, options);
  EXPECT_EQ(r.parsed, c.parsed);
  EXPECT_EQ(r.marshaled, c.marshaled);
  EXPECT_EQ(r.time.time.time_since_epoch().count(), c.unix_ns);
  EXPECT_EQ(r.time.utc_offset_s, c.offset);
}

INSTANTIATE_TEST_SUITE_P(Table, ParseDateTest, ::testing::ValuesIn(kDateCases));

TEST(ParseDate, PinnedYearReplacesTheCurrentYearOnlyForYearLessDates) {
  ManualClock clock{TimePoint(std::chrono::nanoseconds(kNowNs))};
  DateOptions options;
  options.clock = &clock;
  options.pinned_year = 2024;
  EXPECT_EQ(parse_date("Nov 23 10:07:14", "", options).marshaled, "2024-11-23T10:07:14Z");
  EXPECT_EQ(parse_date("Feb 29 10:00:00", "", options).marshaled, "2024-02-29T10:00:00Z");
  EXPECT_EQ(parse_date("2021-11-09 05:13:12", "", options).marshaled, "2021-11-09T05:13:12Z");
  EXPECT_EQ(parse_date("garbage", "", options).marshaled, kNowText);
}

TEST(ParseDate, CurrentYearComesFromTheClock) {
  ManualClock clock;  // 1970
  DateOptions options;
  options.clock = &clock;
  EXPECT_EQ(parse_date("Nov 23 10:07:14", "", options).marshaled, "1970-11-23T10:07:14Z");
  clock.set(TimePoint(std::chrono::seconds(4102444800)));  // 2100-01-01
  EXPECT_EQ(parse_date("Nov 23 10:07:14", "", options).marshaled, "2100-11-23T10:07:14Z");
}

TEST(ParseDate, RepeatedTextsParseAsTheFirstTimeWhateverTheFormat) {
  ManualClock clock{TimePoint(std::chrono::nanoseconds(kNowNs))};
  DateOptions options;
  options.clock = &clock;
  const char* text = "01/02/2026 10:00:00";
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    EXPECT_EQ(parse_date(text, "", options).marshaled, "2026-01-02T10:00:00Z");
    EXPECT_EQ(parse_date(text, "02/01/2006 15:04:05", options).marshaled, "2026-02-01T10:00:00Z");
    EXPECT_EQ(parse_date(text, "", options).marshaled, "2026-01-02T10:00:00Z");
    // More texts than are remembered, so later rounds parse some of them again.
    for (int h = 10; h < 17; ++h) {
      const std::string t = "Nov 23 " + std::to_string(h) + ":07:14";
      ParseDateResult r = parse_date(t, "", options);
      EXPECT_TRUE(r.parsed);
      EXPECT_EQ(r.marshaled, "2026-11-23T" + std::to_string(h) + ":07:14Z");
    }
    // A failure is not remembered: it is the clock's time, which moves.
    clock.set(clock.now() + std::chrono::seconds(1));
    EXPECT_EQ(parse_date("garbage", "", options).time.time, clock.now());
  }
}

TEST(ParseDate, WithoutAClockUsesTheSystemClock) {
  ParseDateResult r = parse_date("not a date", "", DateOptions{});
  EXPECT_FALSE(r.parsed);
  auto now = SystemClock::instance().now();
  auto delta = now - r.time.time;
  EXPECT_GE(delta.count(), 0);
  EXPECT_LT(delta, std::chrono::minutes(1));
  EXPECT_EQ(r.marshaled.back(), 'Z');
}

TEST(ParseDate, DatesBeyondTimePointSaturateButMarshalExactly) {
  ManualClock clock{TimePoint(std::chrono::nanoseconds(kNowNs))};
  DateOptions options;
  options.clock = &clock;
  ParseDateResult far = parse_date("9999-12-31T23:59:59Z", "", options);
  EXPECT_TRUE(far.parsed);
  EXPECT_EQ(far.marshaled, "9999-12-31T23:59:59Z");
  EXPECT_EQ(far.time.time, TimePoint::max());
  ParseDateResult epoch = parse_date("9999999999", "", options);
  EXPECT_TRUE(epoch.parsed);
  EXPECT_EQ(epoch.marshaled, "2286-11-20T17:46:39Z");
  EXPECT_EQ(epoch.time.time, TimePoint::max());
}

}  // namespace
}  // namespace phalanx::enrich

// SPDX-License-Identifier: Apache-2.0
// Go's Time.Format and MarshalText, and the civil-time helpers. The format table was produced by
// Go's time package: four times (an unnamed +02:00 zone, UTC, -03:30, and a zone named CEST)
// formatted with every reference element and a few whole layouts.
#include <gtest/gtest.h>

#include <string>

#include "enrich/go_time.h"

namespace phalanx::enrich {
namespace {

GoTime sample(int index) {
  switch (index) {
    case 0:
      return go_date(2023, 10, 10, 13, 55, 36, 123456789, 2 * 3600, "");
    case 1:
      return go_date(2024, 1, 5, 0, 7, 9, 0, 0, "UTC");
    case 2:
      return go_date(1999, 12, 31, 12, 0, 0, 500000000, -(3 * 3600 + 30 * 60), "");
    default:
      return go_date(2020, 4, 29, 23, 4, 5, 120000000, 2 * 3600, "CEST");
  }
}

struct FormatCase {
  int time;
  const char* layout;
  const char* want;
};

// clang-format off
const FormatCase kFormatCases[] = {
    {0, "2006", "2023"},
    {0, "06", "23"},
    {0, "01", "10"},
    {0, "1", "10"},
    {0, "Jan", "Oct"},
    {0, "January", "October"},
    {0, "02", "10"},
    {0, "2", "10"},
    {0, "_2", "10"},
    {0, "__2", "283"},
    {0, "002", "283"},
    {0, "Mon", "Tue"},
    {0, "Monday", "Tuesday"},
    {0, "15", "13"},
    {0, "3", "1"},
    {0, "03", "01"},
    {0, "4", "55"},
    {0, "04", "55"},
    {0, "5", "36"},
    {0, "05", "36"},
    {0, "PM", "PM"},
    {0, "pm", "pm"},
    {0, "MST", "+0200"},
    {0, "Z07:00", "+02:00"},
    {0, "Z0700", "+0200"},
    {0, "Z07", "+02"},
    {0, "Z070000", "+020000"},
    {0, "Z07:00:00", "+02:00:00"},
    {0, "-07:00", "+02:00"},
    {0, "-0700", "+0200"},
    {0, "-07", "+02"},
    {0, "-070000", "+020000"},
    {0, "-07:00:00", "+02:00:00"},
    {0, ".000", ".123"},
    {0, ".999", ".123"},
    {0, ",000", ",123"},
    {0, ",999", ",123"},
    {0, ".0", ".1"},
    {0, ".9", ".1"},
    {0, ".000000000", ".123456789"},
    {0, ".999999999", ".123456789"},
    {0, "2006-01-02T15:04:05.999999999Z07:00", "2023-10-10T13:55:36.123456789+02:00"},
    {0, "2006-01-02 15:04:05.999999999 -0700 MST", "2023-10-10 13:55:36.123456789 +0200 +0200"},
    {0, "Mon Jan _2 15:04:05 2006", "Tue Oct 10 13:55:36 2023"},
    {0, "02/Jan/2006:15:04:05 -0700", "10/Oct/2023:13:55:36 +0200"},
    {0, "3:04PM", "1:55PM"},
    {0, "Janet Monthly 2006", "Janet Monthly 2023"},
    {0, "_2006", "_2023"},
    {0, "2006-002", "2023-283"},
    {1, "2006", "2024"},
    {1, "06", "24"},
    {1, "01", "01"},
    {1, "1", "1"},
    {1, "Jan", "Jan"},
    {1, "January", "January"},
    {1, "02", "05"},
    {1, "2", "5"},
    {1, "_2", " 5"},
    {1, "__2", "  5"},
    {1, "002", "005"},
    {1, "Mon", "Fri"},
    {1, "Monday", "Friday"},
    {1, "15", "00"},
    {1, "3", "12"},
    {1, "03", "12"},
    {1, "4", "7"},
    {1, "04", "07"},
    {1, "5", "9"},
    {1, "05", "09"},
    {1, "PM", "AM"},
    {1, "pm", "am"},
    {1, "MST", "UTC"},
    {1, "Z07:00", "Z"},
    {1, "Z0700", "Z"},
    {1, "Z07", "Z"},
    {1, "Z070000", "Z"},
    {1, "Z07:00:00", "Z"},
    {1, "-07:00", "+00:00"},
    {1, "-0700", "+0000"},
    {1, "-07", "+00"},
    {1, "-070000", "+000000"},
    {1, "-07:00:00", "+00:00:00"},
    {1, ".000", ".000"},
    {1, ".999", ""},
    {1, ",000", ",000"},
    {1, ",999", ""},
    {1, ".0", ".0"},
    {1, ".9", ""},
    {1, ".000000000", ".000000000"},
    {1, ".999999999", ""},
    {1, "2006-01-02T15:04:05.999999999Z07:00", "2024-01-05T00:07:09Z"},
    {1, "2006-01-02 15:04:05.999999999 -0700 MST", "2024-01-05 00:07:09 +0000 UTC"},
    {1, "Mon Jan _2 15:04:05 2006", "Fri Jan  5 00:07:09 2024"},
    {1, "02/Jan/2006:15:04:05 -0700", "05/Jan/2024:00:07:09 +0000"},
    {1, "3:04PM", "12:07AM"},
    {1, "Janet Monthly 2006", "Janet Monthly 2024"},
    {1, "_2006", "_2024"},
    {1, "2006-002", "2024-005"},
    {2, "2006", "1999"},
    {2, "06", "99"},
    {2, "01", "12"},
    {2, "1", "12"},
    {2, "Jan", "Dec"},
    {2, "January", "December"},
    {2, "02", "31"},
    {2, "2", "31"},
    {2, "_2", "31"},
    {2, "__2", "365"},
    {2, "002", "365"},
    {2, "Mon", "Fri"},
    {2, "Monday", "Friday"},
    {2, "15", "12"},
    {2, "3", "12"},
    {2, "03", "12"},
    {2, "4", "0"},
    {2, "04", "00"},
    {2, "5", "0"},
    {2, "05", "00"},
    {2, "PM", "PM"},
    {2, "pm", "pm"},
    {2, "MST", "-0330"},
    {2, "Z07:00", "-03:30"},
    {2, "Z0700", "-0330"},
    {2, "Z07", "-03"},
    {2, "Z070000", "-033000"},
    {2, "Z07:00:00", "-03:30:00"},
    {2, "-07:00", "-03:30"},
    {2, "-0700", "-0330"},
    {2, "-07", "-03"},
    {2, "-070000", "-033000"},
    {2, "-07:00:00", "-03:30:00"},
    {2, ".000", ".500"},
    {2, ".999", ".5"},
    {2, ",000", ",500"},
    {2, ",999", ",5"},
    {2, ".0", ".5"},
    {2, ".9", ".5"},
    {2, ".000000000", ".500000000"},
    {2, ".999999999", ".5"},
    {2, "2006-01-02T15:04:05.999999999Z07:00", "1999-12-31T12:00:00.5-03:30"},
    {2, "2006-01-02 15:04:05.999999999 -0700 MST", "1999-12-31 12:00:00.5 -0330 -0330"},
    {2, "Mon Jan _2 15:04:05 2006", "Fri Dec 31 12:00:00 1999"},
    {2, "02/Jan/2006:15:04:05 -0700", "31/Dec/1999:12:00:00 -0330"},
    {2, "3:04PM", "12:00PM"},
    {2, "Janet Monthly 2006", "Janet Monthly 1999"},
    {2, "_2006", "_1999"},
    {2, "2006-002", "1999-365"},
    {3, "2006", "2020"},
    {3, "06", "20"},
    {3, "01", "04"},
    {3, "1", "4"},
    {3, "Jan", "Apr"},
    {3, "January", "April"},
    {3, "02", "29"},
    {3, "2", "29"},
    {3, "_2", "29"},
    {3, "__2", "120"},
    {3, "002", "120"},
    {3, "Mon", "Wed"},
    {3, "Monday", "Wednesday"},
    {3, "15", "23"},
    {3, "3", "11"},
    {3, "03", "11"},
    {3, "4", "4"},
    {3, "04", "04"},
    {3, "5", "5"},
    {3, "05", "05"},
    {3, "PM", "PM"},
    {3, "pm", "pm"},
    {3, "MST", "CEST"},
    {3, "Z07:00", "+02:00"},
    {3, "Z0700", "+0200"},
    {3, "Z07", "+02"},
    {3, "Z070000", "+020000"},
    {3, "Z07:00:00", "+02:00:00"},
    {3, "-07:00", "+02:00"},
    {3, "-0700", "+0200"},
    {3, "-07", "+02"},
    {3, "-070000", "+020000"},
    {3, "-07:00:00", "+02:00:00"},
    {3, ".000", ".120"},
    {3, ".999", ".12"},
    {3, ",000", ",120"},
    {3, ",999", ",12"},
    {3, ".0", ".1"},
    {3, ".9", ".1"},
    {3, ".000000000", ".120000000"},
    {3, ".999999999", ".12"},
    {3, "2006-01-02T15:04:05.999999999Z07:00", "2020-04-29T23:04:05.12+02:00"},
    {3, "2006-01-02 15:04:05.999999999 -0700 MST", "2020-04-29 23:04:05.12 +0200 CEST"},
    {3, "Mon Jan _2 15:04:05 2006", "Wed Apr 29 23:04:05 2020"},
    {3, "02/Jan/2006:15:04:05 -0700", "29/Apr/2020:23:04:05 +0200"},
    {3, "3:04PM", "11:04PM"},
    {3, "Janet Monthly 2006", "Janet Monthly 2020"},
    {3, "_2006", "_2020"},
    {3, "2006-002", "2020-120"},
};
// clang-format on

class GoFormatTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(GoFormatTest, MatchesGo) {
  const FormatCase& c = GetParam();
  EXPECT_EQ(format_go(sample(c.time), c.layout), c.want);
}

INSTANTIATE_TEST_SUITE_P(Table, GoFormatTest, ::testing::ValuesIn(kFormatCases));

TEST(GoDate, NormalisesLikeGo) {
  struct Case {
    GoTime t;
    const char* want;
  };
  const Case cases[] = {
      {go_date(2023, 2, 29, 10, 0, 0, 0, 0, "UTC"), "2023-03-01T10:00:00Z"},
      {go_date(2023, 13, 1, 0, 0, 0, 0, 0, "UTC"), "2024-01-01T00:00:00Z"},
      {go_date(2023, 0, 1, 0, 0, 0, 0, 0, "UTC"), "2022-12-01T00:00:00Z"},
      {go_date(2023, 1, 1, 24, 0, 0, 0, 0, "UTC"), "2023-01-02T00:00:00Z"},
      {go_date(2023, 1, 1, 0, 0, -1, 0, 0, "UTC"), "2022-12-31T23:59:59Z"},
      {go_date(2023, 1, 1, 0, 0, 0, 1500000000, 0, "UTC"), "2023-01-01T00:00:01.5Z"},
      {go_date(2023, 1, 1, 0, 0, 0, -1, 0, "UTC"), "2022-12-31T23:59:59.999999999Z"},
      {go_date(0, 2, 29, 0, 0, 0, 0, 3600, ""), "0000-02-29T00:00:00+01:00"},
      {go_date(1, 1, 1, 0, 0, 0, 0, 0, "UTC"), "0001-01-01T00:00:00Z"},
  };
  for (const auto& c : cases) {
    auto text = marshal_text(c.t);
    ASSERT_TRUE(text.has_value()) << c.want;
    EXPECT_EQ(*text, c.want);
  }
  EXPECT_TRUE(go_date(1, 1, 1, 0, 0, 0, 0, 0, "UTC").is_zero());
  EXPECT_TRUE(go_date(1, 1, 1, 1, 0, 0, 0, 3600, "").is_zero());  // the same instant
  EXPECT_FALSE(go_date(0, 1, 1, 0, 0, 0, 0, 0, "UTC").is_zero());
}

TEST(GoDate, AddDateKeepsTheZoneAndRollsFebruary29) {
  // What CrowdSec does to year-less dates: AddDate(current year, 0, 0) from year 0 (a leap year).
  GoTime feb29 = go_date(0, 2, 29, 10, 0, 0, 0, 3600, "");
  EXPECT_EQ(*marshal_text(add_date(feb29, 2026, 0, 0)), "2026-03-01T10:00:00+01:00");
  EXPECT_EQ(*marshal_text(add_date(feb29, 2028, 0, 0)), "2028-02-29T10:00:00+01:00");
  EXPECT_EQ(*marshal_text(add_date(go_date(2024, 1, 31, 0, 0, 0, 0, 0, "UTC"), 0, 1, 0)),
            "2024-03-02T00:00:00Z");
}

TEST(GoCivil, FieldsInTheTimesOwnZone) {
  CivilTime c = civil(go_date(2023, 12, 31, 23, 30, 0, 7, -3600, ""));
  EXPECT_EQ(c.year, 2023);
  EXPECT_EQ(c.month, 12);
  EXPECT_EQ(c.day, 31);
  EXPECT_EQ(c.hour, 23);
  EXPECT_EQ(c.minute, 30);
  EXPECT_EQ(c.nsec, 7);
  EXPECT_EQ(c.yday, 365);
  EXPECT_EQ(c.weekday, 0);  // a Sunday
  CivilTime before_epoch = civil(go_date(1969, 12, 31, 23, 59, 59, 0, 0, "UTC"));
  EXPECT_EQ(before_epoch.weekday, 3);  // a Wednesday
  EXPECT_EQ(before_epoch.second, 59);
}

// marshal_text writes RFC 3339 with nanoseconds field by field; Format with the same layout is
// the reference, over years, fractions with and without trailing zeros, and zones with odd
// minutes and seconds (Z07:00 truncates the offset to minutes, toward zero).
TEST(GoMarshal, SameTextAsFormatWithTheLayout) {
  const int years[] = {0, 1, 9, 99, 999, 1969, 1970, 2026, 9999};
  const int32_t nsecs[] = {0, 1, 10, 500000000, 123456789, 120000000, 999999999};
  const int32_t offsets[] = {0, 30, -30, 59, -61, 3600, -3600, 19800, -34200, 86399 - 3600};
  int checked = 0;
  for (int year : years) {
    for (int32_t nsec : nsecs) {
      for (int32_t offset : offsets) {
        GoTime t = go_date(year, 7, 4, 13, 5, 9, nsec, offset, offset == 0 ? "UTC" : "");
        auto text = marshal_text(t);
        ASSERT_TRUE(text.has_value()) << year << " " << nsec << " " << offset;
        EXPECT_EQ(*text, format_go(t, "2006-01-02T15:04:05.999999999Z07:00"))
            << year << " " << nsec << " " << offset;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 9 * 7 * 10);
  EXPECT_EQ(*marshal_text(go_date(2026, 1, 2, 3, 4, 5, 120000000, -30, "")),
            "2026-01-02T03:04:05.12+00:00");
}

TEST(GoMarshal, RefusesWhatGoRefuses) {
  EXPECT_FALSE(marshal_text(go_date(10000, 1, 1, 0, 0, 0, 0, 0, "UTC")).has_value());
  EXPECT_FALSE(marshal_text(go_date(-1, 1, 1, 0, 0, 0, 0, 0, "UTC")).has_value());
  EXPECT_FALSE(marshal_text(go_date(2023, 1, 1, 0, 0, 0, 0, 24 * 3600, "")).has_value());
  EXPECT_FALSE(marshal_text(go_date(2023, 1, 1, 0, 0, 0, 0, -24 * 3600, "")).has_value());
  EXPECT_TRUE(marshal_text(go_date(2023, 1, 1, 0, 0, 0, 0, 23 * 3600 + 59 * 60, "")).has_value());
  EXPECT_TRUE(marshal_text(go_date(9999, 12, 31, 23, 59, 59, 0, 0, "UTC")).has_value());
}

TEST(GoMarshal, ZonedTimeRoundTrip) {
  struct Case {
    int64_t ns;
    int32_t offset;
    const char* want;
  };
  const Case cases[] = {
      {0, 0, "1970-01-01T00:00:00Z"},
      {1696938936120000000, 7200, "2023-10-10T13:55:36.12+02:00"},
      {1696946136000000001, 0, "2023-10-10T13:55:36.000000001Z"},
      {-1, 0, "1969-12-31T23:59:59.999999999Z"},
      {1696946136500000000, -(3 * 3600 + 30 * 60), "2023-10-10T10:25:36.5-03:30"},
  };
  for (const auto& c : cases) {
    ZonedTime z{TimePoint(std::chrono::nanoseconds(c.ns)), c.offset};
    EXPECT_EQ(format_rfc3339_nano(z), c.want);
    GoTime g = to_go_time(z);
    EXPECT_EQ(g.zone_name, c.offset == 0 ? "UTC" : "");
    auto back = to_zoned_time(g);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->time, z.time);
    EXPECT_EQ(back->utc_offset_s, c.offset);
  }
  ZonedTime utc{TimePoint(std::chrono::nanoseconds(1696946136000000000)), 0};
  EXPECT_EQ(format_go_time(utc, "Mon Jan _2 15:04:05 MST 2006"), "Tue Oct 10 13:55:36 UTC 2023");
  EXPECT_FALSE(to_zoned_time(go_date(2300, 1, 1, 0, 0, 0, 0, 0, "UTC")).has_value());
  EXPECT_FALSE(to_zoned_time(go_date(1600, 1, 1, 0, 0, 0, 0, 0, "UTC")).has_value());
}

}  // namespace
}  // namespace phalanx::enrich

// SPDX-License-Identifier: Apache-2.0
#include "acquisition/syslog_message.h"

#include <gtest/gtest.h>

#include <chrono>

namespace phalanx::acquisition {
namespace {

using namespace std::chrono;

// 2024-07-09T08:07:06Z: the clock for messages without a timestamp.
const TimePoint kNow = sys_days(year(2024) / July / 9) + hours(8) + minutes(7) + seconds(6);

struct Case {
  std::string name;
  std::string in;
  std::string out;
};

class SyslogLineTest : public ::testing::TestWithParam<Case> {};

TEST_P(SyslogLineTest, Reserialised) {
  const Case& c = GetParam();
  auto line = syslog_to_line(c.in, false, kNow);
  ASSERT_TRUE(line) << c.in << ": " << line.error().message();
  EXPECT_EQ(*line, c.out) << c.in;
}

INSTANTIATE_TEST_SUITE_P(
    Forms, SyslogLineTest,
    ::testing::Values(
        // RFC 3164, its examples and what real senders write
        Case{"rfc3164_example", "<34>Oct 11 22:14:15 mymachine su: 'su root' failed on /dev/pts/8",
             "Oct 11 22:14:15 mymachine su: 'su root' failed on /dev/pts/8"},
        Case{"space_padded_day",
             "<38>Feb  5 17:32:18 10.0.0.99 sshd[1234]: Failed password for root from 1.2.3.4",
             "Feb 5 17:32:18 10.0.0.99 sshd[1234]: Failed password for root from 1.2.3.4"},
        Case{"zero_padded_day", "<13>Oct 01 22:14:15 h app: m", "Oct 1 22:14:15 h app: m"},
        Case{"unpadded_day", "<13>Oct 1 22:14:15 h app: m", "Oct 1 22:14:15 h app: m"},
        Case{"no_pri", "Dec  3 09:05:01 web CRON[77]: (root) CMD (run-parts)",
             "Dec 3 09:05:01 web CRON[77]: (root) CMD (run-parts)"},
        Case{"no_host", "<13>Oct 11 22:14:15 sshd[12]: hello",
             "Oct 11 22:14:15 unknownhost sshd[12]: hello"},
        Case{"no_host_no_pid", "<13>Oct 11 22:14:15 kernel: boot",
             "Oct 11 22:14:15 unknownhost kernel: boot"},
        Case{"no_pri_no_host", "Oct 11 22:14:15 nginx: up",
             "Oct 11 22:14:15 unknownhost nginx: up"},
        Case{"with_year", "<13>Oct 11 22:14:15 2024 host app: m", "Oct 11 22:14:15 host app: m"},
        Case{"fractional_seconds", "<13>Oct 11 22:14:15.123 host app[9]: m",
             "Oct 11 22:14:15 host app[9]: m"},
        Case{"rfc3339_stamp", "<13>2024-03-05T10:00:01.123456+01:00 web nginx[77]: GET / 200",
             "Mar 5 10:00:01 web nginx[77]: GET / 200"},
        Case{"slash_tag", "<22>Jan 15 08:00:00 mail postfix/smtpd[999]: connect from x[1.2.3.4]",
             "Jan 15 08:00:00 mail postfix/smtpd[999]: connect from x[1.2.3.4]"},
        Case{"kernel_brackets", "<4>Jan 15 08:00:00 fw kernel: [ 123.456] IN=eth0 SRC=1.2.3.4",
             "Jan 15 08:00:00 fw kernel: [ 123.456] IN=eth0 SRC=1.2.3.4"},
        Case{"tag_without_colon", "<13>Oct 11 22:14:15 host app message text",
             "Oct 11 22:14:15 host app: message text"},
        Case{"empty_message", "<13>Oct 11 22:14:15 host app[1]:", "Oct 11 22:14:15 host app[1]: "},
        Case{"colon_no_space", "<13>Oct 11 22:14:15 host app:msg", "Oct 11 22:14:15 host app: msg"},
        Case{"ipv6_host", "<13>Oct 11 22:14:15 2001:db8::1 sshd[3]: x",
             "Oct 11 22:14:15 2001:db8::1 sshd[3]: x"},
        // RFC 5424
        Case{"rfc5424_example",
             "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
             "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] "
             "An application event log entry...",
             "Oct 11 22:14:15 mymachine.example.com evntslog: An application event log entry..."},
        Case{"rfc5424_pid_offset", "<34>1 2003-10-11T22:14:15.003-07:00 host sshd 4242 - - Failed",
             "Oct 11 22:14:15 host sshd[4242]: Failed"},
        Case{"rfc5424_bom",
             "<34>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - "
             "\xEF\xBB\xBF%% It's time to make the do-nuts.",
             "Aug 24 05:14:15 192.0.2.1 myproc[8710]: %% It's time to make the do-nuts."},
        Case{"rfc5424_nil_host_app", "<13>1 2024-01-02T03:04:05Z - - - - - msg",
             "Jan 2 03:04:05 unknownhost: msg"},
        Case{"rfc5424_nil_timestamp", "<13>1 - host app - - - m", "Jul 9 08:07:06 host app: m"},
        Case{"rfc5424_sd_escapes",
             "<13>1 2024-01-02T03:04:05Z h a 1 m [id k=\"a\\]b\" x=\"y\"][id2 z=\"1\"] text",
             "Jan 2 03:04:05 h a[1]: text"},
        Case{"rfc5424_no_msg", "<13>1 2024-01-02T03:04:05Z h a - - -", "Jan 2 03:04:05 h a: "},
        Case{"rfc5424_sd_no_msg", "<13>1 2024-01-02T03:04:05Z h a - - [x y=\"1\"]",
             "Jan 2 03:04:05 h a: "}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(SyslogMessageTest, FieldsOfRfc5424) {
  std::string text =
      "<165>1 2003-10-11T22:14:15.003Z mymachine evntslog 77 ID47 [a b=\"c\"][d] hi there";
  auto m = parse_syslog_message(text);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->format, SyslogMessage::Format::kRfc5424);
  EXPECT_EQ(m->priority, 165);
  ASSERT_TRUE(m->timestamp);
  EXPECT_EQ(m->timestamp->month, 10);
  EXPECT_EQ(m->timestamp->day, 11);
  EXPECT_EQ(m->timestamp->hour, 22);
  EXPECT_EQ(m->hostname, "mymachine");
  EXPECT_EQ(m->app, "evntslog");
  EXPECT_EQ(m->procid, "77");
  EXPECT_EQ(m->msgid, "ID47");
  EXPECT_EQ(m->structured_data, "[a b=\"c\"][d]");
  EXPECT_EQ(m->message, "hi there");
}

TEST(SyslogMessageTest, FieldsOfRfc3164) {
  auto m = parse_syslog_message("Feb  5 17:32:18 host sshd[12]: x y");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->format, SyslogMessage::Format::kRfc3164);
  EXPECT_EQ(m->priority, -1);
  EXPECT_EQ(m->timestamp->month, 2);
  EXPECT_EQ(m->timestamp->day, 5);
  EXPECT_EQ(m->hostname, "host");
  EXPECT_EQ(m->app, "sshd");
  EXPECT_EQ(m->procid, "12");
  EXPECT_EQ(m->message, "x y");
}

TEST(SyslogMessageTest, InvalidMessagesAreRejected) {
  for (const char* bad : {
           "",
           "<>",
           "<abc>Oct 11 22:14:15 h a: m",
           "<1000>Oct 11 22:14:15 h a: m",
           "<192>Oct 11 22:14:15 h a: m",
           "<13",
           "<13>",
           "<13>garbage here",
           "hello world",
           "<13>Foo 11 22:14:15 h a: m",
           "<13>Oct 11 25:14:15 h a: m",
           "<13>Oct 32 22:14:15 h a: m",
           "<13>Oct 11 22:14 h a: m",
           "<13>Oct 11 22:14:15",
           "<13>Oct 11 22:14:15 host [123]: m",
           "<13>Oct 11 22:14:15 host app[12: m",
           "<13>1 2024-13-02T03:04:05Z h a - - - m",
           "<13>1 2024-01-02 03:04:05 h a - - - m",
           "<13>1 2024-01-02T03:04:05Z h",
           "<13>1 2024-01-02T03:04:05Z h a - - [unterminated",
           "<13>1 2024-01-02T03:04:05Z h a - - nosd m",
           "<13>1 2024-01-02T03:04:05Z h aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa - - - m",
       }) {
    auto line = syslog_to_line(bad, false, kNow);
    EXPECT_FALSE(line) << "accepted '" << bad << "' as '" << (line ? *line : "") << "'";
  }
}

TEST(SyslogMessageTest, DisabledParserPassesTheMessageMinusPri) {
  EXPECT_EQ(*syslog_to_line("<13>anything goes here", true, kNow), "anything goes here");
  EXPECT_EQ(*syslog_to_line("no pri at all", true, kNow), "no pri at all");
  EXPECT_EQ(*syslog_to_line("<abc>x", true, kNow), "<abc>x");
  EXPECT_EQ(*syslog_to_line("<13>1 2024-01-02T03:04:05Z h a - - - m", true, kNow),
            "1 2024-01-02T03:04:05Z h a - - - m");
  EXPECT_FALSE(syslog_to_line("<13>", true, kNow));
  EXPECT_FALSE(syslog_to_line("", true, kNow));
}

TEST(SyslogMessageTest, MissingTimestampUsesNowInUtc) {
  SyslogMessage m;
  m.hostname = "h";
  m.app = "a";
  m.procid = "1";
  m.message = "x";
  EXPECT_EQ(format_syslog_line(m, kNow), "Jul 9 08:07:06 h a[1]: x");
  m.timestamp = SyslogTimestamp{12, 31, 23, 59, 60};
  EXPECT_EQ(format_syslog_line(m, kNow), "Dec 31 23:59:60 h a[1]: x");
}

}  // namespace
}  // namespace phalanx::acquisition

// SPDX-License-Identifier: Apache-2.0
#include "grok/base_patterns.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "grok/pattern.h"
#include "grok/syntax.h"

namespace phalanx::grok {
namespace {

TEST(BasePatternsTest, EightyEightUniqueNamesReferencingEarlierOnes) {
  EXPECT_EQ(base_patterns().size(), 88u);
  std::set<std::string_view> seen;
  for (const BasePattern& p : base_patterns()) {
    for (const Reference& r : find_references(p.regex))
      EXPECT_TRUE(seen.contains(r.name)) << p.name << " refers to " << r.name;
    EXPECT_TRUE(seen.insert(p.name).second) << "duplicate " << p.name;
  }
}

TEST(BasePatternsTest, EveryPatternCompilesInBothEncodings) {
  PatternLibrary lib;
  for (const BasePattern& p : base_patterns()) {
    auto named = Pattern::compile_named(lib, p.name);
    EXPECT_TRUE(named) << p.name << ": " << named.error().message();
    auto wrapped = Pattern::compile(lib, "%{" + std::string(p.name) + ":v}");
    EXPECT_TRUE(wrapped) << p.name << ": " << wrapped.error().message();
  }
}

struct Example {
  std::string name;
  std::string line;
  std::string value;  // what %{NAME:v} captures
};

// One typical example per base pattern; together they cover all 88 names.
const Example kExamples[] = {
    {"USERNAME", "john.doe-1 ok", "john.doe-1"},
    {"USER", "root", "root"},
    {"EMAILLOCALPART", "first.last+tag", "first.last+tag"},
    {"HOSTNAME", "www.example.com up", "www.example.com"},
    {"EMAILADDRESS", "mail a.b@example.org", "a.b@example.org"},
    {"HTTPDUSER", "bob@example.org", "bob@example.org"},
    {"INT", "x=-42;", "-42"},
    {"BASE10NUM", "t=3.14s", "3.14"},
    {"NUMBER", "+1.5", "+1.5"},
    {"BASE16NUM", "0x1F", "0x1F"},
    {"BASE16FLOAT", "v 0x1F.8 ", "0x1F.8"},
    {"POSINT", "pid 42", "42"},
    {"NONNEGINT", "n=0", "0"},
    {"WORD", "  hello world", "hello"},
    {"NOTSPACE", "get a/b?c d", "get"},
    {"SPACE", "   x", "   "},
    {"DATA", "abc", ""},
    {"GREEDYDATA", "abc def", "abc def"},
    {"QUOTEDSTRING", R"(say "hi \"you\"" now)", R"("hi \"you\"")"},
    {"UUID", "id=123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000"},
    {"CISCOMAC", "0123.4567.89ab", "0123.4567.89ab"},
    {"WINDOWSMAC", "01-23-45-67-89-AB", "01-23-45-67-89-AB"},
    {"COMMONMAC", "mac 01:23:45:67:89:ab", "01:23:45:67:89:ab"},
    {"MAC", "mac 01:23:45:67:89:ab", "01:23:45:67:89:ab"},
    {"IPV6", "from 2001:db8::1 port", "2001:db8::1"},
    {"IPV4", "from 192.168.0.1 port", "192.168.0.1"},
    {"IP", "from 10.0.0.1 port", "10.0.0.1"},
    {"IPORHOST", "example.com", "example.com"},
    {"HOSTPORT", "example.com:8080", "example.com:8080"},
    {"UNIXPATH", "open /var/log/syslog", "/var/log/syslog"},
    {"TTY", "on /dev/pts/0", "/dev/pts/0"},
    {"WINPATH", R"(C:\Windows\System32)", R"(C:\Windows\System32)"},
    {"PATH", "/usr/bin/env", "/usr/bin/env"},
    {"URIPROTO", "https", "https"},
    {"URIHOST", "example.com:443", "example.com:443"},
    {"URIPATH", "/a/b.html", "/a/b.html"},
    {"URIPARAM", "?a=1&b=2", "?a=1&b=2"},
    {"URIPATHPARAM", "/a?x=1", "/a?x=1"},
    {"URI", "https://user@example.com:8443/path?q=1", "https://user@example.com:8443/path?q=1"},
    {"MONTH", "March", "March"},
    {"MONTHNUM", "07", "07"},
    {"MONTHNUM2", "11", "11"},
    {"MONTHDAY", "31", "31"},
    {"DAY", "Tuesday", "Tuesday"},
    {"YEAR", "2024", "2024"},
    {"HOUR", "23", "23"},
    {"MINUTE", "59", "59"},
    {"SECOND", "59.123", "59.123"},
    {"TIME", "at 13:55:36", "13:55:36"},
    {"DATE_US", "10/31/2024", "10/31/2024"},
    {"DATE_EU", "31.10.2024", "31.10.2024"},
    {"DATE_X", "2024/10/31", "2024/10/31"},
    {"ISO8601_TIMEZONE", "+02:00", "+02:00"},
    {"ISO8601_SECOND", "07", "07"},
    {"TIMESTAMP_ISO8601", "2024-10-31T13:55:36.123+02:00", "2024-10-31T13:55:36.123+02:00"},
    {"DATE", "10/31/2024", "10/31/2024"},
    {"DATESTAMP", "10/31/2024 13:55:36", "10/31/2024 13:55:36"},
    {"TZ", "UTC", "UTC"},
    {"NUMTZ", "+0200", "+0200"},
    {"DATESTAMP_RFC822", "Thu Oct 31 2024 13:55:36 UTC", "Thu Oct 31 2024 13:55:36 UTC"},
    {"DATESTAMP_RFC2822", "Thu, 31 Oct 2024 13:55:36 +0200", "Thu, 31 Oct 2024 13:55:36 +0200"},
    {"DATESTAMP_OTHER", "Thu Oct 31 13:55:36 UTC 2024", "Thu Oct 31 13:55:36 UTC 2024"},
    {"DATESTAMP_EVENTLOG", "20241031135536", "20241031135536"},
    {"HTTPDERROR_DATE", "Thu Oct 31 13:55:36 2024", "Thu Oct 31 13:55:36 2024"},
    {"ANSIC", "Thu Oct 31 13:55:36 2024\"", "Thu Oct 31 13:55:36 2024\""},  // stray quote
    {"UNIXDATE", "Thu Oct 31 13:55:36 UTC 2024", "Thu Oct 31 13:55:36 UTC 2024"},
    {"RUBYDATE", "Thu Oct 31 13:55:36 +0200 2024", "Thu Oct 31 13:55:36 +0200 2024"},
    {"RFC822Z", "31 Oct 24 13:55:36 +0200", "31 Oct 24 13:55:36 +0200"},
    {"RFC850", "Thursday, 31-Oct-24 13:55:36 UTC", "Thursday, 31-Oct-24 13:55:36 UTC"},
    {"RFC1123", "Thu, 31 Oct 2024 13:55:36 UTC", "Thu, 31 Oct 2024 13:55:36 UTC"},
    {"RFC1123Z", "Thu, 31 Oct 2024 13:55:36 +0200", "Thu, 31 Oct 2024 13:55:36 +0200"},
    {"RFC3339", "2024-10-31T13:55:36Z", "2024-10-31T13:55:36Z"},
    {"RFC3339NANO", "2024-10-31T13:55:36.123456789+02:00", "2024-10-31T13:55:36.123456789+02:00"},
    {"KITCHEN", "at 3:04PM", "3:04PM"},
    {"SYSLOGTIMESTAMP", "Oct  3 13:55:36 host", "Oct  3 13:55:36"},
    {"PROG", "sshd[12]", "sshd"},
    {"SYSLOGPROG", "sshd[1234]: x", "sshd[1234]"},
    {"SYSLOGHOST", "myhost", "myhost"},
    {"SYSLOGFACILITY", "<4.6>", "<4.6>"},
    {"HTTPDATE", "[10/Oct/2000:13:55:36 -0700]", "10/Oct/2000:13:55:36 -0700"},
    {"QS", "'single'", "'single'"},
    {"LOGLEVEL", "WARNING", "WARNING"},
    {"SYSLOGBASE", "Oct 10 13:55:36 myhost sshd[1234]: hi", "Oct 10 13:55:36 myhost sshd[1234]:"},
    {"COMMONAPACHELOG",
     "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326",
     "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326"},
    {"COMBINEDAPACHELOG",
     "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 2326 "
     "\"http://example.com/\" \"Mozilla/5.0 (X11)\"",
     "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 2326 "
     "\"http://example.com/\" \"Mozilla/5.0 (X11)\""},
    {"HTTPD20_ERRORLOG", "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied",
     "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied"},
    {"HTTPD24_ERRORLOG",
     "[Wed Oct 11 14:32:52.123 2000] [core:error] [pid 1234:tid 5678] [client 1.2.3.4:5555] "
     "AH00126: Invalid URI",
     "[Wed Oct 11 14:32:52.123 2000] [core:error] [pid 1234:tid 5678] [client 1.2.3.4:5555] "
     "AH00126: Invalid URI"},
    {"HTTPD_ERRORLOG", "[Wed Oct 11 14:32:52 2000] [error] denied",
     "[Wed Oct 11 14:32:52 2000] [error] denied"},
};

TEST(BasePatternsTest, TypicalExamples) {
  PatternLibrary lib;
  std::set<std::string> covered;
  for (const Example& e : kExamples) {
    covered.insert(e.name);
    auto p = Pattern::compile(lib, "%{" + e.name + ":v}");
    ASSERT_TRUE(p) << e.name << ": " << p.error().message();
    Captures caps;
    ASSERT_TRUE(p->match(e.line, caps)) << e.name << " on " << e.line;
    EXPECT_EQ(caps[0], e.value) << e.name;
  }
  for (const BasePattern& p : base_patterns())
    EXPECT_TRUE(covered.contains(std::string(p.name))) << "no example for " << p.name;
}

TEST(BasePatternsTest, AddressesAndRejects) {
  struct Case {
    std::string pattern;
    std::string line;
    bool full;  // the whole line is captured
  };
  const Case cases[] = {
      {"IPV6", "::1", true},
      {"IPV6", "::", true},
      {"IPV6", "fe80::1%eth0", true},
      {"IPV6", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", true},
      {"IPV6", "::ffff:192.0.2.128", true},
      {"IPV6", "1:2:3:4:5:6:7::", true},
      {"IPV4", "255.255.255.255", true},
      {"IPV4", "256.1.1.1", false},
      {"IP", "2001:db8::8:800:200c:417a", true},
      {"HOSTNAME", "a-b.c-d.example", true},
      {"SYSLOGTIMESTAMP", "Jan  1 00:00:00", true},
      {"SYSLOGTIMESTAMP", "Dec 31 23:59:60", true},
      {"HTTPDATE", "01/Jan/2024:00:00:00 +0000", true},
      {"ANSIC", "Thu Oct 31 13:55:36 2024", false},  // the stray '"' is required
      {"EMAILADDRESS", "<a@b.c", true},              // '<' is inside "+-=" of EMAILLOCALPART
      {"MONTHNUM", "12", true},
  };
  PatternLibrary lib;
  for (const Case& c : cases) {
    auto p = Pattern::compile(lib, "^%{" + c.pattern + ":v}$");
    ASSERT_TRUE(p) << p.error().message();
    Captures caps;
    EXPECT_EQ(p->match(c.line, caps), c.full) << c.pattern << " on " << c.line;
  }
}

TEST(BasePatternsTest, CompositeSemantics) {
  PatternLibrary lib;
  auto p = Pattern::compile(lib, "%{COMBINEDAPACHELOG}");
  ASSERT_TRUE(p) << p.error().message();
  Captures caps;
  ASSERT_TRUE(
      p->match("10.1.2.3 - alice [10/Oct/2000:13:55:36 -0700] \"POST /login?u=1 HTTP/1.1\" 401 - "
               "\"-\" \"curl/8.0\"",
               caps));
  std::map<std::string, std::string> got;
  for (size_t i = 0; i < caps.size(); ++i)
    got[p->semantics()[i]] = std::string(caps[i]);
  EXPECT_EQ(got["clientip"], "10.1.2.3");
  EXPECT_EQ(got["auth"], "alice");
  EXPECT_EQ(got["timestamp"], "10/Oct/2000:13:55:36 -0700");
  EXPECT_EQ(got["verb"], "POST");
  EXPECT_EQ(got["request"], "/login?u=1");
  EXPECT_EQ(got["httpversion"], "1.1");
  EXPECT_EQ(got["rawrequest"], "");
  EXPECT_EQ(got["response"], "401");
  EXPECT_EQ(got["bytes"], "");
  EXPECT_EQ(got["referrer"], "\"-\"");
  EXPECT_EQ(got["agent"], "\"curl/8.0\"");
  EXPECT_EQ(got.size(), p->semantics().size());
  // URIHOST's inner %{POSINT:port} is exposed through URI.
  auto uri = Pattern::compile(lib, "%{URI:url}");
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->semantics(), (std::vector<std::string>{"url", "port"}));
  ASSERT_TRUE(uri->match("see http://h.example:8080/x", caps));
  EXPECT_EQ(caps[1], "8080");
}

}  // namespace
}  // namespace phalanx::grok

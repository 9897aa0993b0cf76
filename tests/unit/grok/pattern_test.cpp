// SPDX-License-Identifier: Apache-2.0
#include "grok/pattern.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace phalanx::grok {
namespace {

using Fields = std::map<std::string, std::string>;

const PatternLibrary& base() {
  static const PatternLibrary lib;
  return lib;
}

Pattern compile(std::string_view text) {
  auto p = Pattern::compile(base(), text);
  EXPECT_TRUE(p) << text << ": " << p.error().message();
  return std::move(p).value();
}

// Runs a pattern; nullopt-like empty map plus matched flag.
bool run(const Pattern& p, std::string_view line, Fields& fields) {
  Captures caps;
  fields.clear();
  if (!p.match(line, caps)) return false;
  EXPECT_EQ(caps.size(), p.semantics().size());
  for (size_t i = 0; i < caps.size(); ++i)
    fields[p.semantics()[i]] = std::string(caps[i]);
  return true;
}

struct MatchCase {
  const char* what;
  std::string pattern;
  std::string line;
  bool matched;
  Fields fields;
};

TEST(PatternTest, Match) {
  const MatchCase cases[] = {
      {"unanchored search", "%{INT:n}", "abc 42 def", true, {{"n", "42"}}},
      {"anchors still work", "^%{INT:n}$", "abc 42", false, {}},
      {"leftmost match wins", "%{WORD:w}", "foo bar", true, {{"w", "foo"}}},
      {"leftmost-first, not leftmost-longest",
       "(?:%{INT:short}|%{INT:long}\\.%{INT:frac})",
       "pi=3.14",
       true,
       {{"short", "3"}, {"long", ""}, {"frac", ""}}},
      {"empty capture", "a%{DATA:x}b", "ab", true, {{"x", ""}}},
      {"DATA is non-greedy",
       "%{DATA:a} %{GREEDYDATA:b}",
       "x y z",
       true,
       {{"a", "x"}, {"b", "y z"}}},
      {"GREEDYDATA is greedy",
       "%{GREEDYDATA:a} %{DATA:b}$",
       "x y z",
       true,
       {{"a", "x y"}, {"b", "z"}}},
      {"non-participating group gives empty",
       "%{INT:a}(?: %{WORD:b})?",
       "7",
       true,
       {{"a", "7"}, {"b", ""}}},
      {"repeated name takes the last group even when it did not participate",
       "(?:%{INT:n}|%{WORD:n})",
       "123",
       true,
       {{"n", ""}}},
      {"repeated name, last alternative taken",
       "(?:%{INT:n}|%{WORD:n})",
       "abc",
       true,
       {{"n", "abc"}}},
      {"literal leftover never matches", "%{INT:bytes:int}", "5", false, {}},
      {"literal leftover matches itself",
       "x%{INT:bytes:int}%{INT:n}",
       "x%{INT:bytes:int}7",
       true,
       {{"n", "7"}}},
      {"no semantic never matches", "%{INT}", "123", false, {}},
      {"plain groups are not semantics", "(\\d+)", "123", false, {}},
      {"inner semantics",
       "%{SYSLOGPROG}",
       "sshd[42]: hi",
       true,
       {{"program", "sshd"}, {"pid", "42"}}},
      {"empty line", "^%{DATA:x}$", "", true, {{"x", ""}}},
  };
  for (const auto& c : cases) {
    Pattern p = compile(c.pattern);
    Fields got;
    EXPECT_EQ(run(p, c.line, got), c.matched) << c.what;
    EXPECT_EQ(p.matches(c.line), c.matched) << c.what;
    if (c.matched) {
      EXPECT_EQ(got, c.fields) << c.what;
    }
  }
}

TEST(PatternTest, Encoding) {
  const MatchCase cases[] = {
      // Valid UTF-8 is matched per character, like Go: "." takes the whole "é".
      {"valid utf-8, dot is one character",
       "^%{WORD:a}.%{WORD:b}$",
       "foo\xC3\xA9"
       "bar",
       true,
       {{"a", "foo"}, {"b", "bar"}}},
      {"valid utf-8 in captures",
       "user=%{NOTSPACE:u}",
       "user=J\xC3\xBCrgen x",
       true,
       {{"u", "J\xC3\xBCrgen"}}},
      {"MONTH knows M\xC3\xA4rz",
       "%{MONTH:m} %{MONTHDAY:d}",
       "M\xC3\xA4rz 3",
       true,
       {{"m", "M\xC3\xA4rz"}, {"d", "3"}}},
      // Invalid UTF-8: every byte is a character, as Go's U+FFFD substitution gives.
      {"invalid byte matches dot",
       "^%{WORD:a}.%{WORD:b}$",
       "foo\xFF"
       "bar",
       true,
       {{"a", "foo"}, {"b", "bar"}}},
      {"invalid bytes in NOTSPACE",
       "user=%{NOTSPACE:u} name=%{WORD:n}",
       "user=\xFF\xFE\xC3 name=bob",
       true,
       {{"u", "\xFF\xFE\xC3"}, {"n", "bob"}}},
      {"GREEDYDATA spans invalid bytes",
       "msg=%{GREEDYDATA:m}",
       "msg=a\x80"
       "b\xC0\xAF"
       "c",
       true,
       {{"m",
         "a\x80"
         "b\xC0\xAF"
         "c"}}},
      {"NUL and control bytes",
       "%{IPV4:ip}",
       std::string("\0\x01\x02 10.0.0.1 \0", 15),
       true,
       {{"ip", "10.0.0.1"}}},
      {"quoted string with latin-1 user agent",
       "%{QS:agent}$",
       "GET / \"Mozilla \xE9t\xE9\"",
       true,
       {{"agent", "\"Mozilla \xE9t\xE9\""}}},
  };
  for (const auto& c : cases) {
    Pattern p = compile(c.pattern);
    Fields got;
    EXPECT_EQ(run(p, c.line, got), c.matched) << c.what;
    if (c.matched) {
      EXPECT_EQ(got, c.fields) << c.what;
    }
  }
}

TEST(PatternTest, HugeLines) {
  std::string line(1 << 20, 'x');
  line += " from 192.168.1.20 port 22";
  line += std::string(1 << 20, 'y');
  Pattern p = compile("from %{IP:ip} port %{INT:port}%{GREEDYDATA:rest}");
  Captures caps;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(p.match(line, caps));
  EXPECT_EQ(caps[0], "192.168.1.20");
  EXPECT_EQ(caps[1], "22");
  EXPECT_EQ(caps[2].size(), size_t{1} << 20);
  // A hostile 2 MB line that never matches stays linear (no backtracking blow-up).
  std::string junk(2 << 20, 'a');
  Pattern q = compile("^(%{WORD:w} ?)+%{INT:n}$");
  EXPECT_FALSE(q.match(junk, caps));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, std::chrono::seconds(20));
}

TEST(PatternTest, CapturesBufferIsReusable) {
  Pattern big = compile("%{COMBINEDAPACHELOG}");
  Pattern small = compile("%{INT:n}");
  Captures caps;
  const std::string line =
      "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 10 \"-\" \"ua\"";
  ASSERT_TRUE(big.match(line, caps));
  EXPECT_EQ(caps.size(), big.semantics().size());
  ASSERT_TRUE(small.match("n=5", caps));
  ASSERT_EQ(caps.size(), 1u);
  EXPECT_EQ(caps[0], "5");
  ASSERT_TRUE(big.match(line, caps));
  EXPECT_EQ(caps.size(), big.semantics().size());
}

TEST(PatternTest, CompileErrors) {
  struct Case {
    std::string pattern;
    std::string error;
  };
  const Case cases[] = {
      {"", "compiling grok pattern '': expanding grok pattern: empty pattern"},
      {"%{NOPE:x}", "compiling grok pattern '%{NOPE:x}': unknown grok pattern 'NOPE'"},
      {"(%{INT:n}", "compiling grok pattern '(%{INT:n}': missing )"},
      {"%{INT:n}(?=x)", "compiling grok pattern '%{INT:n}(?=x)': invalid perl operator: (?="},
      {"%{INT:n}\\1", "invalid escape sequence: \\1"},
  };
  for (const auto& c : cases) {
    auto p = Pattern::compile(base(), c.pattern);
    ASSERT_FALSE(p) << c.pattern;
    EXPECT_NE(p.error().message().find(c.error), std::string::npos)
        << c.pattern << " gave: " << p.error().message();
  }
  auto named = Pattern::compile_named(base(), "NOPE");
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().message(), "compiling grok pattern 'NOPE': unknown grok pattern 'NOPE'");
}

TEST(PatternTest, CompileNamedAndAccessors) {
  auto p = Pattern::compile_named(base(), "SYSLOGPROG");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->source(), "SYSLOGPROG");
  EXPECT_EQ(p->semantics(), (std::vector<std::string>{"program", "pid"}));
  EXPECT_EQ(p->regex().find("%{"), std::string::npos);
  Pattern copy = *p;  // copies share the compiled regexes
  Captures caps;
  ASSERT_TRUE(copy.match("cron[7]", caps));
  EXPECT_EQ(caps[0], "cron");
  EXPECT_EQ(caps[1], "7");
}

// A line without the pattern's required literal is refused before the regex runs; the check
// must not refuse what the regex would match.
TEST(PatternTest, RequiredLiteralNeverRefusesAMatch) {
  Fields f;
  Pattern failed = compile("Failed %{WORD:method} for %{USER:user}");
  EXPECT_TRUE(run(failed, "sshd[1]: Failed password for root", f));
  EXPECT_EQ(f["user"], "root");
  EXPECT_FALSE(run(failed, "sshd[1]: Accepted password for root", f));
  EXPECT_FALSE(run(failed, "sshd[1]: failed password for root", f));  // the regex is exact
  // Case-insensitive: the upper-case line has the literal once lowered.
  Pattern folded = compile("(?i)kelvin=%{WORD:w}");
  EXPECT_TRUE(run(folded, "KELVIN=273", f));
  EXPECT_EQ(f["w"], "273");
  // (?i)k also matches the Kelvin sign U+212A, which ASCII lowering does not turn into 'k':
  // lines outside ASCII go to the regex unjudged.
  EXPECT_TRUE(run(folded,
                  "\xe2\x84\xaa"
                  "elvin=0",
                  f));
  EXPECT_EQ(f["w"], "0");
}

TEST(PatternTest, ConcurrentMatching) {
  Pattern p = compile("%{SYSLOGBASE} %{GREEDYDATA:message}");
  const auto& names = p.semantics();
  const size_t host_at = std::find(names.begin(), names.end(), "logsource") - names.begin();
  const size_t pid_at = std::find(names.begin(), names.end(), "pid") - names.begin();
  ASSERT_LT(pid_at, names.size());
  ASSERT_LT(host_at, names.size());
  auto worker = [&](int id, int* failures) {
    Captures caps;
    for (int i = 1; i <= 300; ++i) {  // POSINT: pid 0 does not parse
      std::string line = "Oct 10 13:55:36 host" + std::to_string(id) + " sshd[" +
                         std::to_string(i) + "]: msg " + std::to_string(i);
      if (!p.match(line, caps) || caps[host_at] != "host" + std::to_string(id) ||
          caps[pid_at] != std::to_string(i))
        ++*failures;
      if (p.match("garbage", caps)) ++*failures;
    }
  };
  int failures[4] = {};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back(worker, t, &failures[t]);
  for (auto& t : threads)
    t.join();
  for (int f : failures)
    EXPECT_EQ(f, 0);
}

Pattern compile_with(std::string_view text, bool fast) {
  CompileOptions options;
  options.fast_extraction = fast;
  auto p = Pattern::compile(base(), text, options);
  EXPECT_TRUE(p) << text << ": " << p.error().message();
  return std::move(p).value();
}

// The PCRE2 extraction path must give exactly RE2's groups: each case runs with it and without
// it (RE2 alone, the reference) and compares every field.
TEST(PatternFastExtractionTest, SameGroupsAsRe2) {
  struct Case {
    std::string pattern;
    std::string line;
  };
  const std::vector<Case> cases = {
      {"%{COMBINEDAPACHELOG}",
       R"(198.51.100.7 - - [23/Nov/2026:00:03:53 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "curl/8.5.0")"},
      {"%{COMBINEDAPACHELOG}",
       R"L(2001:db8:bad:65a2::b17 - bob [23/Nov/2026:00:03:53 +0000] "POST /a?b=c HTTP/2.0" 200 1 "https://ex.example/é" "Mozilla/5.0 (X11)")L"},
      {"(%{IPORHOST:target_fqdn}(:%{INT:port})? )?%{IPORHOST:remote_addr} - %{USER:user} "
       "\\[%{HTTPDATE:time}\\]",
       "www.example.org:8443 203.0.113.9 - - [01/Dec/2026:10:00:00 +0100] trailing"},
      {"(%{IPORHOST:target_fqdn}(:%{INT:port})? )?%{IPORHOST:remote_addr} - %{USER:user} "
       "\\[%{HTTPDATE:time}\\]",
       "::ffff:203.0.113.9 - alice [01/Dec/2026:10:00:00 +0100]"},
      {"%{SYSLOGBASE} %{GREEDYDATA:message}",
       "Dec  3 10:00:01 host sshd[1234]: Failed password for invalid user admin from "
       "198.51.100.7 port 22 ssh2"},
      {"Failed %{WORD:method} for (invalid user )?%{USERNAME:user} from %{IP:ip}( port "
       "%{INT:port})?",
       "sshd[1]: Failed password for root from 198.51.100.8 port 4242 ssh2"},
      {"%{DATA:a}(?P<sep>[:;])%{GREEDYDATA:b}", "key;value: more"},    // hand-written named group
      {"%{NOTSPACE:x}(%{SPACE}%{NUMBER:n})?$", "abc"},                 // optional group unset
      {"(?i)user=%{WORD:u} name=%{DATA:n};", "USER=bob NAME=Ärger;"},  // case folding, UTF-8
  };
  for (const Case& c : cases) {
    Pattern fast = compile_with(c.pattern, true);
    Pattern reference = compile_with(c.pattern, false);
    Fields got, want;
    // The fast path is compiled by the first matching line, here the first line.
    bool matched = run(fast, c.line, got);
    EXPECT_TRUE(fast.has_fast_extraction()) << c.pattern;
    EXPECT_FALSE(reference.has_fast_extraction());
    EXPECT_EQ(matched, run(reference, c.line, want)) << c.pattern << " on " << c.line;
    EXPECT_TRUE(matched) << c.pattern << " on " << c.line;
    EXPECT_EQ(got, want) << c.pattern << " on " << c.line;
  }
}

// A pattern is matched anchored at the line's start behind a lazy prefix; that must find what an
// unanchored search of the expansion finds: the leftmost start, then the first alternative and
// the greedy or lazy lengths the expansion asks for. The reference here is RE2 itself, searching
// the plain expansion unanchored, with every group capturing.
TEST(PatternFastExtractionTest, AnchoredSearchFindsTheUnanchoredMatch) {
  struct Case {
    std::string pattern;
    std::string line;
  };
  const std::vector<Case> cases = {
      {"from %{IP:ip}", "Failed password for root from 198.51.100.8 port 4242 ssh2"},
      {"%{WORD:w}=%{INT:n}", "skip=x then a=1 b=2"},  // the leftmost start wins, not a=1's
      {"(?:a|ab)%{DATA:y}d", "zz abcd"},              // the first alternative, not the longest
      {"%{DATA:lazy}:%{GREEDYDATA:rest}", "p q:r:s"},
      {"user %{USERNAME:u}( port %{INT:p})?", "user bob and user carol port 22"},
      {"^%{WORD:first}", "anchored here"},
      {"%{WORD:last}$", "ends with word"},
      {"\\b%{INT:n}\\b", "x12y 34 56"},  // word boundaries look at the text before the match
      {"(?i)ssh%{INT:v}", "banner SSH2 then ssh3"},
  };
  for (const Case& c : cases) {
    auto expansion = base().expand(c.pattern);
    ASSERT_TRUE(expansion) << c.pattern;
    RE2 plain(expansion->regex);
    ASSERT_TRUE(plain.ok()) << plain.error();
    std::vector<re2::StringPiece> groups(static_cast<size_t>(expansion->group_count) + 1);
    ASSERT_TRUE(plain.Match(c.line, 0, c.line.size(), RE2::UNANCHORED, groups.data(),
                            static_cast<int>(groups.size())))
        << c.pattern << " on " << c.line;
    Fields want;
    for (const Semantic& s : expansion->semantics) {
      const re2::StringPiece& g = groups[static_cast<size_t>(s.group)];
      want[s.name] = g.data() == nullptr ? "" : std::string(g.data(), g.size());
    }
    for (bool fast : {true, false}) {
      Fields got;
      EXPECT_TRUE(run(compile_with(c.pattern, fast), c.line, got)) << c.pattern;
      EXPECT_EQ(got, want) << c.pattern << " on " << c.line << (fast ? " (PCRE2)" : " (RE2)");
    }
  }
}

// Where PCRE2 and RE2 could disagree, the fast path stands aside.
TEST(PatternFastExtractionTest, DeclinesWhereEnginesDiffer) {
  // PCRE2's \s matches a vertical tab, RE2's does not: here PCRE2 alone would give b = "y".
  Pattern p = compile_with("%{DATA:a}\\s*%{GREEDYDATA:b}", true);
  Fields f;
  ASSERT_TRUE(run(p, "\vy", f));
  EXPECT_EQ(f["a"], "");
  EXPECT_EQ(f["b"], "\vy");
  // Not valid UTF-8: RE2's Latin-1 copy matches, a byte per character.
  ASSERT_TRUE(run(p, std::string("\xff\xfe z"), f));
  EXPECT_EQ(f["b"], "\xff\xfe z");
  // A digit escape would be a back-reference in PCRE2.
  EXPECT_FALSE(compile_with("%{WORD:w}\\0", true).has_fast_extraction());
  // A capture in a repeated group: PCRE2 keeps the empty last iteration of (.*)*, RE2 does not.
  Pattern loop = compile_with("%{GREEDYDATA:g}*", true);
  EXPECT_FALSE(loop.has_fast_extraction());
  Pattern loop_reference = compile_with("%{GREEDYDATA:g}*", false);
  Fields want;
  ASSERT_TRUE(run(loop, "x", f));
  ASSERT_TRUE(run(loop_reference, "x", want));
  EXPECT_EQ(f, want);
}

// A line that makes a backtracker explore exponentially many paths before the one that
// matches: PCRE2 gives up at its step budget and RE2 extracts, in linear time. Without the
// budget this test would not finish.
TEST(PatternFastExtractionTest, BacktrackingBudgetFallsBackToRe2) {
  Pattern p = compile_with("^(?:(?:a+)+b|%{GREEDYDATA:rest})$", true);
  ASSERT_TRUE(p.has_fast_extraction());
  std::string line(64, 'a');
  Fields f;
  ASSERT_TRUE(run(p, line, f));
  EXPECT_EQ(f["rest"], line);
}

// An empty line may be a view with no storage: both paths take it without touching a pointer.
TEST(PatternFastExtractionTest, EmptyLineWithoutStorage) {
  Pattern data = compile_with("%{DATA:x}", true);
  ASSERT_TRUE(data.has_fast_extraction());
  Captures caps;
  ASSERT_TRUE(data.match(std::string_view(), caps));
  EXPECT_EQ(caps[0], "");
  EXPECT_FALSE(compile_with("%{WORD:w}", true).match(std::string_view(), caps));
}

}  // namespace
}  // namespace phalanx::grok

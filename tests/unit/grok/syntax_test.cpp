// SPDX-License-Identifier: Apache-2.0
#include "grok/syntax.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>
#include <vector>

namespace phalanx::grok {
namespace {

struct RefCase {
  std::string pattern;
  std::vector<std::string> refs;  // "NAME" or "NAME:sem", in order
};

TEST(SyntaxTest, FindReferences) {
  const RefCase cases[] = {
      {"", {}},
      {"plain text", {}},
      {"%{INT}", {"INT"}},
      {"%{INT:n}", {"INT:n"}},
      {"a %{IP:src} b %{WORD:w}c", {"IP:src", "WORD:w"}},
      // Not references: left as literal text.
      {"%{INT:bytes:int}", {}},
      {"%{IP:src-ip}", {}},
      {"%{DATA:amavis_message-id}", {}},
      {"%{}", {}},
      {"%{:x}", {}},
      {"%{INT:}", {}},
      {"%{INT", {}},
      {"%{IN T}", {}},
      {"%INT}", {}},
      // A broken reference does not hide a good one right after it.
      {"%{%{INT:n}}", {"INT:n"}},
      {"%{INT:a:b}%{WORD}", {"WORD"}},
      {"\\%{INT}", {"INT"}},  // grok does not honour a backslash before %
      {"%{A_1:b_2}%{_}", {"A_1:b_2", "_"}},
  };
  for (const auto& c : cases) {
    std::vector<std::string> got;
    for (const Reference& r : find_references(c.pattern)) {
      got.push_back(r.semantic.empty() ? std::string(r.name)
                                       : std::string(r.name) + ":" + std::string(r.semantic));
      EXPECT_EQ(c.pattern.substr(r.begin, 2), "%{");
      EXPECT_EQ(c.pattern[r.end - 1], '}');
    }
    EXPECT_EQ(got, c.refs) << c.pattern;
  }
}

TEST(SyntaxTest, CaptureGroupOffsetsAgreeWithRe2) {
  struct Case {
    std::string regex;
    std::vector<size_t> offsets;
  };
  const Case cases[] = {
      {"abc", {}},
      {"(a)(b)", {0, 3}},
      {"(?:a)(b)", {5}},
      {"(?i)(a)", {4}},
      {"(?P<x>a)(b)", {0, 8}},
      {R"(\(a\)(b))", {5}},
      {"[(](a)", {3}},
      {"[^(](a)", {4}},
      {"[]()](a)", {5}},
      {"[^]()](a)", {6}},
      {R"([\]()](a))", {6}},
      {"[[:alpha:](](a)", {12}},
      {R"(\Q(x)\E(a))", {7}},
      {R"(\Q(x))", {}},
      {"((a)|(b))*", {0, 1, 5}},
      {R"([\\](a))", {4}},
      {"a{2}(b)", {4}},
      {"(?s:.)(a)", {6}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(capture_group_offsets(c.regex), c.offsets) << c.regex;
    RE2 re(c.regex);
    ASSERT_TRUE(re.ok()) << c.regex << ": " << re.error();
    EXPECT_EQ(static_cast<size_t>(re.NumberOfCapturingGroups()), c.offsets.size()) << c.regex;
  }
}

TEST(SyntaxTest, EmptyRepeatedCapture) {
  struct Case {
    const char* regex;
    bool found;
  };
  // clang-format off
  const Case cases[] = {
      {"(a*)", false},
      {"(a*)?", false},  // not repeated more than once
      {"(a*){0,1}", false},
      {"(a*){1}", false},
      {"(a)*", false},  // repeated, but an iteration cannot be empty
      {"(a*)*", true},
      {"(.*)+", true},
      {"(a?){2}", true},
      {"(a|){0,}", true},
      {"(a*){1,3}", true},
      {"(?:x(a)y)*", false},
      {"(?:x?(a*)y?)*", true},
      {"(?:x(?:a*)y)*", false},  // nothing captures inside
      {"(?:(a)|b*)*?", true},
      {"(?P<n>a*)+", true},
      {R"((\b\w*\b)+)", true},  // assertions do not make a group non-empty
      {R"((\w+\b)+)", false},
      {R"(\((a*)\)*)", false},  // the '*' repeats an escaped ')'
      {"[(](a*)[)]*", false},   // parentheses inside classes are literals
      {"(a*){x}", false},       // not a repetition: RE2 reads "{x}" literally
      {R"((?:(\w+) )+)", false},
  };
  // clang-format on
  for (const auto& c : cases) {
    EXPECT_EQ(has_empty_repeated_capture(c.regex), c.found) << c.regex;
    RE2 re(c.regex);
    EXPECT_TRUE(re.ok()) << c.regex << ": " << re.error();
  }
}

TEST(SyntaxTest, ValidUtf8) {
  struct Case {
    std::string text;
    bool valid;
  };
  const Case cases[] = {
      {"", true},
      {"plain ascii line, longer than eight bytes", true},
      {"caf\xC3\xA9", true},           // é
      {"\xE2\x82\xAC 12", true},       // €
      {"\xF0\x9F\x98\x80", true},      // U+1F600
      {"\xF4\x8F\xBF\xBF", true},      // U+10FFFF
      {std::string("a\0b", 3), true},  // NUL is valid
      {"\xFF", false},                 // never valid
      {"abcdefgh\x80", false},         // lone continuation after the fast path
      {"\xC3", false},                 // truncated
      {"\xC3(", false},                // bad continuation
      {"\xC0\xAF", false},             // overlong '/'
      {"\xE0\x80\xAF", false},         // overlong
      {"\xED\xA0\x80", false},         // surrogate U+D800
      {"\xF4\x90\x80\x80", false},     // above U+10FFFF
      {"\xF0\x8F\xBF\xBF", false},     // overlong 4-byte
      {"0123456\xE2\x82", false},      // truncated at the end
  };
  for (const auto& c : cases)
    EXPECT_EQ(is_valid_utf8(c.text), c.valid) << c.text;
}

TEST(SyntaxTest, RequiredLiteral) {
  struct Case {
    const char* regex;
    const char* literal;
  };
  const Case cases[] = {
      {"Failed (?P<m>\\w+) for (invalid user )?(?P<u>\\S+) from", "Failed "},
      {"ab?cde", "cde"},            // 'b' is optional
      {"abc+", ""},                 // "ab" once 'c' is dropped: too short
      {"\\d+ foo{2}barx", "barx"},  // {2} quantifies 'o': " fo", then "barx"
      {"xy{2,}zzz", "zzz"},         // {2,} quantifies 'y'
      {"a{b}cd", "b}cd"},           // not a repetition: '{' is left out
      {"abc|defgh", ""},            // alternation at the top
      {"x(abc|def)yz", ""},         // runs of 1 and 2
      {"\\[Warn\\] Auth-Failure ip", "[Warn] Auth-Failure ip"},
      {"[]abc]defg", "defg"},  // ']' first in a class is a member
      {"[[:alpha:]]+ hello", " hello"},
      {"(?i)HELLO world", "HELLO world"},  // as written; may_fold_case() says fold
      {"caf\xc3\xa9 bar", " bar"},         // non-ASCII ends a run
      {"\\x41BCDEF", ""},                  // escapes not followed: give up
      {"abc\\Qxyz\\E", ""},
      {"^user=(?P<u>\\w+)$", "user="},
      {"a.bcd\\.e?", "bcd."},  // '.' is any; "\\.e?" leaves '.'
      {"", ""},
  };
  for (const auto& c : cases)
    EXPECT_EQ(required_literal(c.regex), c.literal) << c.regex;
}

TEST(SyntaxTest, MayFoldCase) {
  EXPECT_TRUE(may_fold_case("(?i)hello"));
  EXPECT_TRUE(may_fold_case("a(?i:b)c"));
  EXPECT_TRUE(may_fold_case("(?si)x"));
  EXPECT_TRUE(may_fold_case("(?-i)x"));  // a scan, not a parse: true is always safe
  EXPECT_FALSE(may_fold_case("(?P<ip>\\d+) (?:x|y)"));
  EXPECT_TRUE(may_fold_case("\\(?i\\)"));  // escaped, but erring towards folding is safe
  EXPECT_FALSE(may_fold_case("Failed (?P<m>\\w+)"));
}

}  // namespace
}  // namespace phalanx::grok

// SPDX-License-Identifier: Apache-2.0
// Low-level text helpers of the grok module: finding %{NAME:semantic} references, locating the
// capture groups of an RE2 regex, and classifying log lines as valid UTF-8 or not.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace phalanx::grok {

// One %{NAME} or %{NAME:semantic} reference inside a grok pattern.
struct Reference {
  size_t begin = 0;           // offset of '%'
  size_t end = 0;             // offset just past '}'
  std::string_view name;      // NAME, [0-9A-Za-z_]+
  std::string_view semantic;  // semantic, empty for %{NAME}
};

// Every reference of `pattern`, left to right, without overlap. Only %{\w+} and %{\w+:\w+}
// (ASCII word characters) are references; anything else (%{INT:n:int}, %{IP:src-ip}, %{}) is
// not, and stays literal regex text. Never fails. Views point into `pattern`.
std::vector<Reference> find_references(std::string_view pattern);

// Offsets of the '(' of every capturing group of an RE2 regex, in group-number order (the
// first offset is group 1), following RE2's parser: escapes, \Q...\E, character classes
// (including "[]...]" and "[[:alpha:]]"), and (?...) forms, of which only (?P<name>...) and
// (?<name>...) capture. The regex is assumed to be RE2 syntax; on malformed input the result
// is unspecified but the function still terminates. Thread-safe (pure).
std::vector<size_t> capture_group_offsets(std::string_view regex);

// True when a capturing group sits inside (or is) a group that repeats more than once (*, +,
// {n,}, {n,m} with m >= 2) and whose text can match the empty string, assertions aside
// ("(.*)*", "(?:(a)|)+"). On such an empty iteration backtracking engines keep the empty
// capture where RE2 keeps the previous one, so captures of these regexes are only taken from
// RE2. Same scanning rules as capture_group_offsets(); compiles the groups it checks with RE2.
bool has_empty_repeated_capture(std::string_view regex);

// The longest run of plain characters (3 or more, ASCII) that every match of an RE2 regex
// contains, as written; "" when there is none or the regex is beyond this scan. Only the top
// level counts: groups, classes, escapes like \d and anything quantified end a run, a
// top-level '|' means nothing is required, and rarer escapes (\x, \p, \Q, …) give up. Where
// may_fold_case() is true, compare ASCII lower cases instead, and only for ASCII lines ((?i)k
// also matches the Kelvin sign). Thread-safe (pure).
std::string required_literal(std::string_view regex);

// True when a flag group of the regex ("(?i)", "(?i:", "(?si)") turns on case folding. A
// scan of the text: it may say true for a regex that does not fold, never the reverse.
bool may_fold_case(std::string_view regex);

// True when `text` is well-formed UTF-8 as Go's utf8.Valid defines it: no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. Pure ASCII is
// checked eight bytes at a time. Thread-safe (pure).
bool is_valid_utf8(std::string_view text);

}  // namespace phalanx::grok

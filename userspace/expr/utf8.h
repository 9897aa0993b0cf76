// SPDX-License-Identifier: Apache-2.0
// UTF-8 helpers with Go's semantics (unicode/utf8, strings.ToUpper/ToLower/TrimSpace): invalid
// bytes decode as U+FFFD of width 1, and the string functions that map runes re-encode them as
// U+FFFD, exactly as Go's strings.Map does.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace phalanx::expr {

struct Rune {
  char32_t code = 0;
  size_t size = 0;  // bytes consumed, >= 1 for non-empty input
  bool invalid = false;
};

// Decodes the first rune of s (s must not be empty).
Rune decode_rune(std::string_view s);
// Decodes the last rune of s (s must not be empty).
Rune decode_last_rune(std::string_view s);
void append_rune(std::string& out, char32_t code);
size_t rune_count(std::string_view s);
bool is_ascii(std::string_view s);
// unicode.IsSpace.
bool is_go_space(char32_t code);
// strings.ToUpper / strings.ToLower (full Unicode simple case mapping).
std::string go_to_upper(std::string_view s);
std::string go_to_lower(std::string_view s);
// strings.TrimSpace (a view into s).
std::string_view go_trim_space(std::string_view s);

}  // namespace phalanx::expr

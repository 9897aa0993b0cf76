// SPDX-License-Identifier: Apache-2.0
#include "grok/syntax.h"

#include <cstdint>
#include <cstring>

namespace phalanx::grok {
namespace {

// Go's \w: ASCII only, whatever the locale.
bool is_word(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Length of the run of word characters starting at `pos`.
size_t word_run(std::string_view s, size_t pos) {
  size_t n = 0;
  while (pos + n < s.size() && is_word(s[pos + n]))
    ++n;
  return n;
}

// Skips a character class whose '[' is at `pos`; returns the offset just past its ']' (or
// the end of the text when it is unterminated, which RE2 rejects anyway).
size_t skip_class(std::string_view re, size_t pos) {
  size_t i = pos + 1;
  if (i < re.size() && re[i] == '^') ++i;
  // A ']' right after "[" or "[^" is a literal member, as in RE2 and Go.
  if (i < re.size() && re[i] == ']') ++i;
  while (i < re.size()) {
    char c = re[i];
    if (c == ']') return i + 1;
    if (c == '\\') {
      i += 2;
      continue;
    }
    if (c == '[' && i + 1 < re.size() && re[i + 1] == ':') {
      // "[:alpha:]" inside a class: its ']' does not close the class.
      size_t close = re.find(":]", i + 2);
      if (close != std::string_view::npos) {
        i = close + 2;
        continue;
      }
    }
    ++i;
  }
  return re.size();
}

// True when the '(' at `pos` opens a capturing group.
bool is_capturing(std::string_view re, size_t pos) {
  if (pos + 1 >= re.size() || re[pos + 1] != '?') return true;
  // (?P<name>...) captures; (?<name>...) too in RE2 releases that accept it. (?<= and (?<!
  // are lookbehinds, which RE2 rejects; they are not counted.
  if (pos + 3 < re.size() && re[pos + 2] == 'P' && re[pos + 3] == '<') return true;
  if (pos + 3 < re.size() && re[pos + 2] == '<' && re[pos + 3] != '=' && re[pos + 3] != '!')
    return true;
  return false;
}

}  // namespace

std::vector<Reference> find_references(std::string_view pattern) {
  std::vector<Reference> refs;
  size_t pos = 0;
  while ((pos = pattern.find("%{", pos)) != std::string_view::npos) {
    size_t name_len = word_run(pattern, pos + 2);
    size_t after = pos + 2 + name_len;
    if (name_len == 0 || after >= pattern.size()) {
      ++pos;
      continue;
    }
    Reference ref{pos, 0, pattern.substr(pos + 2, name_len), {}};
    if (pattern[after] == '}') {
      ref.end = after + 1;
    } else if (pattern[after] == ':') {
      size_t sem_len = word_run(pattern, after + 1);
      size_t close = after + 1 + sem_len;
      if (sem_len == 0 || close >= pattern.size() || pattern[close] != '}') {
        ++pos;
        continue;
      }
      ref.semantic = pattern.substr(after + 1, sem_len);
      ref.end = close + 1;
    } else {
      ++pos;
      continue;
    }
    refs.push_back(ref);
    pos = ref.end;
  }
  return refs;
}

std::vector<size_t> capture_group_offsets(std::string_view re) {
  std::vector<size_t> offsets;
  size_t i = 0;
  while (i < re.size()) {
    char c = re[i];
    if (c == '\\') {
      if (i + 1 < re.size() && re[i + 1] == 'Q') {
        // \Q...\E quotes everything up to \E (or the end of the regex).
        size_t end = re.find("\\E", i + 2);
        i = end == std::string_view::npos ? re.size() : end + 2;
      } else {
        i += 2;
      }
      continue;
    }
    if (c == '[') {
      i = skip_class(re, i);
      continue;
    }
    if (c == '(' && is_capturing(re, i)) offsets.push_back(i);
    ++i;
  }
  return offsets;
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* end = p + text.size();
  while (p < end) {
    // Fast path: eight ASCII bytes at a time (the common case for log lines).
    if (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) < len) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (size_t k = 2; k < len; ++k)
      if (p[k] < 0x80 || p[k] > 0xBF) return false;
    p += len;
  }
  return true;
}

}  // namespace phalanx::grok

// SPDX-License-Identifier: Apache-2.0
#include "expr/utf8.h"

#include <locale.h>
#include <wctype.h>

namespace phalanx::expr {
namespace {

constexpr char32_t kRuneError = 0xFFFD;

// glibc's C.UTF-8 locale carries the full Unicode case tables; the "C" locale only maps ASCII.
// Created once; towupper_l with an explicit locale is thread-safe and ignores the global locale.
locale_t utf8_locale() {
  static locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (l == static_cast<locale_t>(nullptr)) {
      l = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", static_cast<locale_t>(nullptr));
    }
    return l;
  }();
  return loc;
}

char32_t map_case(char32_t c, bool upper) {
  if (c < 0x80) {
    if (upper && c >= 'a' && c <= 'z') return c - 32;
    if (!upper && c >= 'A' && c <= 'Z') return c + 32;
    return c;
  }
  locale_t loc = utf8_locale();
  if (loc == static_cast<locale_t>(nullptr)) return c;
  auto w = static_cast<wint_t>(c);
  return static_cast<char32_t>(upper ? towupper_l(w, loc) : towlower_l(w, loc));
}

std::string map_runes(std::string_view s, bool upper) {
  if (is_ascii(s)) {
    // In place on a copy: a loop the compiler vectorises, where appending char by char was not.
    std::string out(s);
    const char from = upper ? 'a' : 'A';
    for (char& c : out) {
      if (static_cast<unsigned char>(c - from) < 26) c = static_cast<char>(c ^ 0x20);
    }
    return out;
  }
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    Rune r = decode_rune(s.substr(i));
    append_rune(out, r.invalid ? kRuneError : map_case(r.code, upper));
    i += r.size;
  }
  return out;
}

}  // namespace

Rune decode_rune(std::string_view s) {
  auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {b0, 1, false};
  size_t need = 0;
  char32_t code = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    need = 1, code = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    need = 2, code = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    need = 3, code = b0 & 0x07, min = 0x10000;
  } else {
    return {kRuneError, 1, true};
  }
  if (s.size() < need + 1) return {kRuneError, 1, true};
  for (size_t k = 1; k <= need; ++k) {
    auto b = static_cast<unsigned char>(s[k]);
    if ((b & 0xC0) != 0x80) return {kRuneError, 1, true};
    code = (code << 6) | (b & 0x3F);
  }
  // Overlong forms, surrogates and out-of-range code points are invalid, as in Go.
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return {kRuneError, 1, true};
  }
  return {code, need + 1, false};
}

Rune decode_last_rune(std::string_view s) {
  size_t start = s.size() - 1;
  size_t lim = s.size() >= 4 ? s.size() - 4 : 0;
  while (start > lim && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
    --start;
  Rune r = decode_rune(s.substr(start));
  if (start + r.size != s.size()) return {kRuneError, 1, true};
  return r;
}

void append_rune(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

size_t rune_count(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++n)
    i += decode_rune(s.substr(i)).size;
  return n;
}

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool is_go_space(char32_t c) {
  switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

std::string go_to_upper(std::string_view s) {
  return map_runes(s, true);
}
std::string go_to_lower(std::string_view s) {
  return map_runes(s, false);
}

std::string_view go_trim_space(std::string_view s) {
  while (!s.empty()) {
    Rune r = decode_rune(s);
    if (r.invalid || !is_go_space(r.code)) break;
    s.remove_prefix(r.size);
  }
  while (!s.empty()) {
    Rune r = decode_last_rune(s);
    if (r.invalid || !is_go_space(r.code)) break;
    s.remove_suffix(r.size);
  }
  return s;
}

}  // namespace phalanx::expr

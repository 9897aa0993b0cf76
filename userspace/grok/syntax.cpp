// SPDX-License-Identifier: Apache-2.0
#include "grok/syntax.h"

#include <re2/re2.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace phalanx::grok {
namespace {

// Go's \w: ASCII only, whatever the locale.
bool is_word(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// RE2 reads a backslash before anything else in ASCII as that character itself.
bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
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

namespace {

// Walks an RE2 regex, skipping escapes, \Q...\E and character classes, and calls open(pos) at
// every '(' and close(pos) at every ')' that is syntax.
template <class Open, class Close>
void walk_parens(std::string_view re, Open open, Close close) {
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
    if (c == '(') open(i);
    if (c == ')') close(i);
    ++i;
  }
}

// Whether the text at `pos` (just after a ')') repeats the group more than once: *, +, {n,},
// {n} or {n,m} with a maximum of at least 2. Anything else ('?', {0,1}, a '{' that is not a
// repetition, which RE2 reads as a literal) is not.
bool repeats(std::string_view re, size_t pos) {
  if (pos >= re.size()) return false;
  if (re[pos] == '*' || re[pos] == '+') return true;
  if (re[pos] != '{') return false;
  size_t i = pos + 1;
  auto number = [&](long& out) {
    size_t start = i;
    out = 0;
    while (i < re.size() && re[i] >= '0' && re[i] <= '9' && i - start < 6)
      out = out * 10 + (re[i++] - '0');
    return i > start;
  };
  long lo = 0, hi = 0;
  if (!number(lo)) return false;
  if (i < re.size() && re[i] == '}') return lo >= 2;
  if (i >= re.size() || re[i] != ',') return false;
  ++i;
  if (i < re.size() && re[i] == '}') return true;  // {n,}
  if (!number(hi) || i >= re.size() || re[i] != '}') return false;
  return hi >= 2;
}

}  // namespace

std::vector<size_t> capture_group_offsets(std::string_view re) {
  std::vector<size_t> offsets;
  walk_parens(
      re,
      [&](size_t pos) {
        if (is_capturing(re, pos)) offsets.push_back(pos);
      },
      [](size_t) {});
  return offsets;
}

namespace {

// `re` without its empty-width assertions (^ $ \A \z \b \B outside classes and quotes), so
// that whether it can match the empty string no longer depends on the surrounding text.
std::string without_assertions(std::string_view re) {
  std::string out;
  out.reserve(re.size());
  size_t i = 0;
  while (i < re.size()) {
    char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      char e = re[i + 1];
      if (e == 'Q') {
        size_t end = re.find("\\E", i + 2);
        end = end == std::string_view::npos ? re.size() : end + 2;
        out.append(re, i, end - i);
        i = end;
        continue;
      }
      if (e != 'A' && e != 'z' && e != 'b' && e != 'B') out.append(re, i, 2);
      i += 2;
      continue;
    }
    if (c == '[') {
      size_t end = skip_class(re, i);
      out.append(re, i, end - i);
      i = end;
      continue;
    }
    if (c != '^' && c != '$') out += c;
    ++i;
  }
  return out;
}

// Whether the group text `group` ("(...)") can match the empty string, assertions aside.
bool nullable(std::string_view group) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(without_assertions(group), options);
  return !re.ok() || RE2::FullMatch("", re);  // unsure counts as nullable
}

}  // namespace

bool has_empty_repeated_capture(std::string_view re) {
  struct Open {
    size_t pos;
    bool captures;  // it is or contains a capturing group
  };
  std::vector<Open> open;
  bool found = false;
  walk_parens(
      re,
      [&](size_t pos) {
        open.push_back({pos, is_capturing(re, pos)});
      },
      [&](size_t pos) {
        if (open.empty()) return;  // unbalanced; RE2 rejects it anyway
        Open group = open.back();
        open.pop_back();
        if (group.captures && !found && repeats(re, pos + 1) &&
            nullable(re.substr(group.pos, pos + 1 - group.pos)))
          found = true;
        if (group.captures && !open.empty()) open.back().captures = true;
      });
  return found;
}

std::string required_literal(std::string_view re) {
  std::string best;
  std::string run;
  const auto end_run = [&] {
    if (run.size() > best.size()) best = run;
    run.clear();
  };
  int depth = 0;  // inside a group: only its extent matters
  size_t i = 0;
  while (i < re.size()) {
    const char c = re[i];
    if (c == '\\') {
      if (i + 1 >= re.size()) return {};
      const char d = re[i + 1];
      if (static_cast<unsigned char>(d) < 0x80 && !is_ascii_alnum(d)) {
        if (depth == 0) run += d;  // an escaped punctuation character is itself
      } else if (std::string_view("dDsSwWbBAztnrfv").find(d) != std::string_view::npos) {
        if (depth == 0) end_run();
      } else {
        return {};  // \x, \p, \Q…\E, \C, digits: not worth following
      }
      i += 2;
      continue;
    }
    if (c == '[') {
      if (depth == 0) end_run();
      i = skip_class(re, i);
      continue;
    }
    if (c == '(') {
      if (depth == 0) end_run();
      ++depth;
      ++i;
      continue;
    }
    if (c == ')') {
      if (depth == 0) return {};  // unbalanced
      --depth;
      ++i;
      continue;
    }
    if (depth > 0) {
      ++i;
      continue;
    }
    switch (c) {
      case '|':
        return {};
      case '?':
      case '*':
      case '+':
        // Quantifies the item before: if that was the run's last character, it is not
        // required.
        if (!run.empty()) run.pop_back();
        end_run();
        break;
      case '{': {
        // {n}, {n,} or {n,m} quantify like the above; any other '{' is a literal, left out.
        size_t j = i + 1;
        while (j < re.size() && re[j] >= '0' && re[j] <= '9')
          ++j;
        bool repeat = j > i + 1;
        if (repeat && j < re.size() && re[j] == ',') {
          ++j;
          while (j < re.size() && re[j] >= '0' && re[j] <= '9')
            ++j;
        }
        repeat = repeat && j < re.size() && re[j] == '}';
        if (repeat) {
          if (!run.empty()) run.pop_back();
          i = j;  // the '}'; the ++i below steps past it
        }
        end_run();
        break;
      }
      case '.':
      case '^':
      case '$':
        end_run();
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x80) {
          end_run();
        } else {
          run += c;
        }
    }
    ++i;
  }
  end_run();
  if (best.size() < 3) return {};
  return best;
}

bool may_fold_case(std::string_view re) {
  for (size_t at = re.find("(?"); at != std::string_view::npos; at = re.find("(?", at + 2)) {
    for (size_t j = at + 2; j < re.size() && re[j] != ')' && re[j] != ':'; ++j) {
      if (re[j] == 'i') return true;
      if (!((re[j] >= 'a' && re[j] <= 'z') || (re[j] >= 'A' && re[j] <= 'Z') || re[j] == '-'))
        break;  // not a flag group: (?P<name>, (?:
    }
  }
  return false;
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

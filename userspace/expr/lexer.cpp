// SPDX-License-Identifier: Apache-2.0
#include "expr/lexer.h"

#include <array>

#include "expr/utf8.h"

namespace phalanx::expr::detail {
namespace {

constexpr std::array<std::string_view, 11> kWordOperators = {
    "not", "and", "or", "in", "matches", "contains", "startsWith", "endsWith", "let", "if", "else"};

// Longest first, so "**" wins over "*" and "?." over "?".
constexpr std::array<std::string_view, 27> kOperators = {
    "**", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "..", "!", "<", ">", "+",
    "-",  "*",  "/",  "%",  "^",  "?",  ":",  ".",  ",",  "|",  "=", ";", "#"};

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string at_column(std::string what, size_t pos) {
  return what + " at column " + std::to_string(pos + 1);
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// Scans a number starting at pos: decimal/hex/octal/binary integers with '_' separators, and
// decimals with fraction and exponent. A '.' only starts a fraction when a digit follows, so
// "1..3" is 1, "..", 3.
size_t scan_number(std::string_view s, size_t pos) {
  size_t i = pos;
  if (s[i] == '0' && i + 1 < s.size() &&
      (s[i + 1] == 'x' || s[i + 1] == 'X' || s[i + 1] == 'o' || s[i + 1] == 'O' ||
       s[i + 1] == 'b' || s[i + 1] == 'B')) {
    i += 2;
    while (i < s.size() && (is_hex(s[i]) || s[i] == '_'))
      ++i;
    return i;
  }
  while (i < s.size() && (is_digit(s[i]) || s[i] == '_'))
    ++i;
  if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
    ++i;
    while (i < s.size() && (is_digit(s[i]) || s[i] == '_'))
      ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    if (j < s.size() && is_digit(s[j])) {
      i = j;
      while (i < s.size() && is_digit(s[i]))
        ++i;
    }
  }
  return i;
}

Result<size_t> scan_quoted(std::string_view s, size_t pos, Token& tok) {
  char quote = s[pos];
  size_t i = pos + 1;
  while (i < s.size() && s[i] != quote) {
    if (s[i] == '\\' && quote != '`') ++i;
    ++i;
  }
  if (i >= s.size()) return Error(at_column("unterminated string", pos));
  std::string_view body = s.substr(pos + 1, i - pos - 1);
  if (quote == '`') {
    tok.text = std::string(body);
  } else {
    auto text = unescape_go(body, quote);
    if (!text) return Error(at_column(text.error().message(), pos));
    tok.text = std::move(*text);
  }
  return i + 1;
}

bool match_operator(std::string_view s, size_t pos, Token& tok) {
  for (std::string_view op : kOperators) {
    if (s.substr(pos, op.size()) != op) continue;
    // "?.5" is a ternary followed by a number, not optional chaining.
    if (op == "?." && pos + 2 < s.size() && is_digit(s[pos + 2])) continue;
    tok.kind = TokenKind::kOperator;
    tok.text = std::string(op);
    return true;
  }
  return false;
}

Result<size_t> scan_token(std::string_view s, size_t i, Token& tok) {
  char c = s[i];
  if (is_digit(c)) {
    size_t end = scan_number(s, i);
    tok.kind = TokenKind::kNumber;
    tok.text = std::string(s.substr(i, end - i));
    return end;
  }
  if (is_ident_start(c)) {
    size_t end = i;
    while (end < s.size() && is_ident_char(s[end]))
      ++end;
    tok.text = std::string(s.substr(i, end - i));
    tok.kind = TokenKind::kIdent;
    for (std::string_view w : kWordOperators) {
      if (tok.text == w) tok.kind = TokenKind::kOperator;
    }
    return end;
  }
  if (c == '\'' || c == '"' || c == '`') {
    tok.kind = TokenKind::kString;
    return scan_quoted(s, i, tok);
  }
  if (c == '#') {
    size_t end = i + 1;
    while (end < s.size() && is_ident_char(s[end]))
      ++end;
    tok.kind = TokenKind::kPointer;
    tok.text = std::string(s.substr(i + 1, end - i - 1));
    return end;
  }
  if (c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}') {
    tok.kind = TokenKind::kBracket;
    tok.text = std::string(1, c);
    return i + 1;
  }
  if (match_operator(s, i, tok)) return i + tok.text.size();
  return Error(at_column("unexpected character '" + std::string(1, c) + "'", i));
}

}  // namespace

Result<std::string> unescape_go(std::string_view body, char /*quote*/) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out += body[i];
      continue;
    }
    if (++i >= body.size()) return Error("invalid escape at end of string");
    char c = body[i];
    switch (c) {
      case 'a':
        out += '\a';
        continue;
      case 'b':
        out += '\b';
        continue;
      case 'f':
        out += '\f';
        continue;
      case 'n':
        out += '\n';
        continue;
      case 'r':
        out += '\r';
        continue;
      case 't':
        out += '\t';
        continue;
      case 'v':
        out += '\v';
        continue;
      case '\\':
      case '\'':
      case '"':
        out += c;
        continue;
      default:
        break;
    }
    size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    if (digits > 0) {
      uint32_t v = 0;
      for (size_t k = 1; k <= digits; ++k) {
        if (i + k >= body.size() || !is_hex(body[i + k])) {
          return Error("invalid escape \\" + std::string(1, c));
        }
        v = v * 16 + static_cast<uint32_t>(hex_value(body[i + k]));
      }
      i += digits;
      if (c == 'x') {
        out += static_cast<char>(v);
      } else {
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return Error("invalid unicode escape");
        append_rune(out, v);
      }
      continue;
    }
    if (c >= '0' && c <= '7') {
      uint32_t v = 0;
      for (size_t k = 0; k < 3; ++k) {
        if (i + k >= body.size() || body[i + k] < '0' || body[i + k] > '7') {
          return Error("invalid octal escape");
        }
        v = v * 8 + static_cast<uint32_t>(body[i + k] - '0');
      }
      if (v > 255) return Error("invalid octal escape");
      out += static_cast<char>(v);
      i += 2;
      continue;
    }
    return Error("invalid escape \\" + std::string(1, c));
  }
  return out;
}

Result<std::vector<Token>> tokenize(std::string_view source) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < source.size() &&
           (source[i] == ' ' || source[i] == '\t' || source[i] == '\n' || source[i] == '\r')) {
      ++i;
    }
    Token tok;
    tok.column = static_cast<int>(i) + 1;
    if (i >= source.size()) {
      tokens.push_back(std::move(tok));
      return tokens;
    }
    // Comments: // to end of line and /* ... */, as expr-lang allows.
    if (source.substr(i, 2) == "//") {
      while (i < source.size() && source[i] != '\n')
        ++i;
      continue;
    }
    if (source.substr(i, 2) == "/*") {
      size_t end = source.find("*/", i + 2);
      if (end == std::string_view::npos) return Error(at_column("unterminated comment", i));
      i = end + 2;
      continue;
    }
    PHALANX_TRY(i, scan_token(source, i, tok));
    tokens.push_back(std::move(tok));
  }
}

}  // namespace phalanx::expr::detail

// SPDX-License-Identifier: Apache-2.0
// Internal: tokenizer for the expression language.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace phalanx::expr::detail {

enum class TokenKind { kEof, kIdent, kNumber, kString, kOperator, kBracket, kPointer };

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;  // identifier, operator, bracket, raw number, unescaped string, pointer name
  int column = 0;    // 1-based

  bool is(TokenKind k, std::string_view t) const { return kind == k && text == t; }
  bool is_op(std::string_view t) const { return is(TokenKind::kOperator, t); }
  bool is_bracket(std::string_view t) const { return is(TokenKind::kBracket, t); }
};

// Splits source into tokens, ending with kEof. Word operators (not, and, or, in, matches,
// contains, startsWith, endsWith, let, if, else) are kOperator. Errors: "unterminated string
// at column N", "invalid escape ...", "unexpected character 'x' at column N".
Result<std::vector<Token>> tokenize(std::string_view source);

// Go string-literal unescaping of the body between quotes (\n, \t, \xHH, \u, \U, octal, \\,
// \', \"). Errors name the bad escape.
Result<std::string> unescape_go(std::string_view body, char quote);

}  // namespace phalanx::expr::detail

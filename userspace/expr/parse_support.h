// SPDX-License-Identifier: Apache-2.0
// Internal: the parser's tables (operator precedences as expr-lang v1.17 defines them) and
// syntax-tree helpers.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "expr/ast.h"
#include "expr/lexer.h"

namespace phalanx::expr::detail {

enum class Assoc { kLeft, kRight };
struct BinaryOp {
  int precedence;
  Assoc assoc;
};

// Infix operators: "|" 0, or/|| 10, and/&& 15, comparisons and in/matches/contains/
// startsWith/endsWith 20, ".." 25, + - 30, * / % 60, ** ^ 100 (right), ?? 500.
const std::unordered_map<std::string_view, BinaryOp>& binary_ops();
// not/! 50, unary -/+ 90; -1 for anything else.
int unary_precedence(std::string_view op);
// < > <= >=, which chain (a < b < c).
bool is_comparison(std::string_view op);
// Operators that "not" may precede (a not in b).
bool negatable(std::string_view op);
// A token as error messages quote it.
std::string token_text(const Token& t);

AstPtr make(AstKind kind, int column, std::string text = {});
AstPtr make2(AstKind kind, int column, std::string text, AstPtr a, AstPtr b);
AstPtr clone_ast(const Ast& a);
// An integer (decimal, 0x, 0o, 0b, '_' separators) or float literal. Errors: out of range.
Result<AstPtr> parse_number(const Token& t);

}  // namespace phalanx::expr::detail

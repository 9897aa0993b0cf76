// SPDX-License-Identifier: Apache-2.0
#include "expr/parse_support.h"

#include <charconv>
#include <cstdlib>

namespace phalanx::expr::detail {

const std::unordered_map<std::string_view, BinaryOp>& binary_ops() {
  static const std::unordered_map<std::string_view, BinaryOp> ops = {
      {"|", {0, Assoc::kLeft}},           {"or", {10, Assoc::kLeft}},
      {"||", {10, Assoc::kLeft}},         {"and", {15, Assoc::kLeft}},
      {"&&", {15, Assoc::kLeft}},         {"==", {20, Assoc::kLeft}},
      {"!=", {20, Assoc::kLeft}},         {"<", {20, Assoc::kLeft}},
      {">", {20, Assoc::kLeft}},          {">=", {20, Assoc::kLeft}},
      {"<=", {20, Assoc::kLeft}},         {"in", {20, Assoc::kLeft}},
      {"matches", {20, Assoc::kLeft}},    {"contains", {20, Assoc::kLeft}},
      {"startsWith", {20, Assoc::kLeft}}, {"endsWith", {20, Assoc::kLeft}},
      {"..", {25, Assoc::kLeft}},         {"+", {30, Assoc::kLeft}},
      {"-", {30, Assoc::kLeft}},          {"*", {60, Assoc::kLeft}},
      {"/", {60, Assoc::kLeft}},          {"%", {60, Assoc::kLeft}},
      {"**", {100, Assoc::kRight}},       {"^", {100, Assoc::kRight}},
      {"??", {500, Assoc::kLeft}},
  };
  return ops;
}

int unary_precedence(std::string_view op) {
  if (op == "not" || op == "!") return 50;
  if (op == "-" || op == "+") return 90;
  return -1;
}

bool is_comparison(std::string_view op) {
  return op == "<" || op == ">" || op == "<=" || op == ">=";
}

bool negatable(std::string_view op) {
  return op == "in" || op == "matches" || op == "contains" || op == "startsWith" ||
         op == "endsWith";
}

std::string token_text(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEof:
      return "end of expression";
    case TokenKind::kString:
      return "string \"" + t.text + "\"";
    case TokenKind::kPointer:
      return "'#" + t.text + "'";
    default:
      return "'" + t.text + "'";
  }
}

AstPtr make(AstKind kind, int column, std::string text) {
  auto n = std::make_unique<Ast>();
  n->kind = kind;
  n->column = column;
  n->text = std::move(text);
  return n;
}

AstPtr make2(AstKind kind, int column, std::string text, AstPtr a, AstPtr b) {
  auto n = make(kind, column, std::move(text));
  n->kids.push_back(std::move(a));
  n->kids.push_back(std::move(b));
  return n;
}

AstPtr clone_ast(const Ast& a) {
  auto n = std::make_unique<Ast>();
  n->kind = a.kind;
  n->column = a.column;
  n->text = a.text;
  n->int_value = a.int_value;
  n->float_value = a.float_value;
  n->bool_value = a.bool_value;
  n->optional = a.optional;
  for (const auto& k : a.kids)
    n->kids.push_back(k ? clone_ast(*k) : nullptr);
  return n;
}

Result<AstPtr> parse_number(const Token& t) {
  std::string digits;
  for (char c : t.text) {
    if (c != '_') digits += c;
  }
  bool is_float = digits.find_first_of(".eE") != std::string::npos &&
                  !(digits.size() > 1 && (digits[1] == 'x' || digits[1] == 'X'));
  if (is_float) {
    auto n = make(AstKind::kFloat, t.column);
    n->float_value = std::strtod(digits.c_str(), nullptr);
    return n;
  }
  int base = 10;
  std::string_view body = digits;
  if (body.size() > 2 && body[0] == '0') {
    char p = body[1];
    if (p == 'x' || p == 'X') base = 16;
    if (p == 'o' || p == 'O') base = 8;
    if (p == 'b' || p == 'B') base = 2;
    if (base != 10) body.remove_prefix(2);
  }
  int64_t value = 0;
  auto res = std::from_chars(body.data(), body.data() + body.size(), value, base);
  if (res.ec != std::errc() || res.ptr != body.data() + body.size()) {
    return Error("invalid number " + t.text + " at column " + std::to_string(t.column));
  }
  auto n = make(AstKind::kInt, t.column);
  n->int_value = value;
  return n;
}

}  // namespace phalanx::expr::detail

// SPDX-License-Identifier: Apache-2.0
// Pratt parser with expr-lang v1.17's precedences and quirks: comparison chains (a < b < c),
// negated infix operators (not in, not matches, ...), '??' that may not be mixed with other
// operators without parentheses, predicates with or without braces, pipes, let and if/else.
#include <cctype>

#include "expr/ast.h"
#include "expr/lexer.h"
#include "expr/parse_support.h"

namespace phalanx::expr::detail {
namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<AstPtr> parse_all() {
    PHALANX_TRY(AstPtr root, sequence());
    if (cur().kind != TokenKind::kEof) return unexpected();
    return root;
  }

 private:
  const Token& cur() const { return tokens_[pos_]; }
  const Token& peek(size_t n = 1) const { return tokens_[std::min(pos_ + n, tokens_.size() - 1)]; }
  void next() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  Error unexpected() const {
    return Error("unexpected token " + token_text(cur()) + " at column " +
                 std::to_string(cur().column));
  }
  Result<void> expect(TokenKind kind, std::string_view text) {
    if (!cur().is(kind, text)) return unexpected();
    next();
    return ok();
  }

  // expr (';' expr)*
  Result<AstPtr> sequence() {
    int column = cur().column;
    std::vector<AstPtr> items;
    PHALANX_TRY(AstPtr first, expression(0));
    items.push_back(std::move(first));
    while (cur().is_op(";")) {
      next();
      if (cur().kind == TokenKind::kEof || cur().is_bracket("}")) break;
      PHALANX_TRY(AstPtr item, expression(0));
      items.push_back(std::move(item));
    }
    if (items.size() == 1) return std::move(items[0]);
    auto seq = make(AstKind::kSequence, column);
    seq->kids = std::move(items);
    return seq;
  }

  Result<AstPtr> expression(int precedence) {
    // Hostile or generated input must not exhaust the stack of the recursive descent.
    if (++depth_ > kMaxDepth) {
      return Error("expression nested too deeply at column " + std::to_string(cur().column));
    }
    auto result = expression_inner(precedence);
    --depth_;
    return result;
  }

  Result<AstPtr> expression_inner(int precedence) {
    if (precedence == 0 && cur().is_op("let")) return let_declaration();
    if (precedence == 0 && cur().is_op("if")) return if_else();
    PHALANX_TRY(AstPtr left, primary());
    std::string prev_op;
    int chain = 0;
    while (cur().kind == TokenKind::kOperator) {
      // A long operator chain (a + b + c ...) builds a deep left-leaning tree without
      // recursing here, so it counts toward the depth limit; && and || chains are flattened.
      const std::string& t = cur().text;
      bool logic = t == "&&" || t == "||" || t == "and" || t == "or";
      if (!logic && depth_ + ++chain > kMaxDepth) {
        return Error("expression nested too deeply at column " + std::to_string(cur().column));
      }
      Token op = cur();
      bool negate = false;
      if (op.text == "not") {
        // "a not in b": only a negatable operator may follow.
        const Token& after = peek();
        if (after.kind != TokenKind::kOperator || !negatable(after.text)) break;
        if (binary_ops().at(after.text).precedence < precedence) break;
        next();
        negate = true;
        op = cur();
      }
      auto it = binary_ops().find(op.text);
      if (it == binary_ops().end() || it->second.precedence < precedence) break;
      next();
      if (prev_op == "??" && op.text != "??") {
        return Error("operator (" + op.text +
                     ") and coalesce expressions (?\?) cannot be mixed; wrap either by "
                     "parentheses at column " +
                     std::to_string(op.column));
      }
      PHALANX_TRY(left, binary_tail(std::move(left), op, it->second));
      if (negate) {
        auto n = make(AstKind::kUnary, op.column, "not");
        n->kids.push_back(std::move(left));
        left = std::move(n);
      }
      prev_op = op.text;
    }
    if (precedence == 0) return conditional(std::move(left));
    return left;
  }

  Result<AstPtr> binary_tail(AstPtr left, const Token& op, BinaryOp info) {
    if (op.text == "|") {
      if (cur().kind != TokenKind::kIdent) return unexpected();
      Token name = cur();
      next();
      std::vector<AstPtr> args;
      args.push_back(std::move(left));
      return call(name, std::move(args));
    }
    if (is_comparison(op.text)) return comparison_chain(std::move(left), op, info.precedence);
    int next_prec = info.assoc == Assoc::kLeft ? info.precedence + 1 : info.precedence;
    PHALANX_TRY(AstPtr right, expression(next_prec));
    std::string name = op.text == "and" ? "&&" : op.text == "or" ? "||" : op.text;
    if (name == "^") name = "**";
    if ((name == "&&" || name == "||") && left->kind == AstKind::kBinary && left->text == name) {
      left->kids.push_back(std::move(right));  // flatten the chain (see AstKind::kBinary)
      return left;
    }
    return make2(AstKind::kBinary, op.column, name, std::move(left), std::move(right));
  }

  // a < b <= c  ==>  (a < b) && (b <= c), with b evaluated once per comparison as expr-lang.
  Result<AstPtr> comparison_chain(AstPtr left, Token op, int precedence) {
    AstPtr root;
    const Ast* prev_right = nullptr;
    while (true) {
      PHALANX_TRY(AstPtr right, expression(precedence + 1));
      AstPtr lhs = prev_right ? clone_ast(*prev_right) : std::move(left);
      prev_right = right.get();
      auto cmp = make2(AstKind::kBinary, op.column, op.text, std::move(lhs), std::move(right));
      root = root ? make2(AstKind::kBinary, op.column, "&&", std::move(root), std::move(cmp))
                  : std::move(cmp);
      if (cur().kind != TokenKind::kOperator || !is_comparison(cur().text)) break;
      op = cur();
      next();
    }
    return root;
  }

  Result<AstPtr> conditional(AstPtr node) {
    while (cur().is_op("?")) {
      int column = cur().column;
      next();
      AstPtr then_branch, else_branch;
      if (cur().is_op(":")) {
        // a ?: b  (elvis): the condition itself is the "then" value.
        next();
        then_branch = clone_ast(*node);
        PHALANX_TRY(else_branch, expression(0));
      } else {
        PHALANX_TRY(then_branch, expression(0));
        PHALANX_CHECK(expect(TokenKind::kOperator, ":"));
        PHALANX_TRY(else_branch, expression(0));
      }
      auto n = make(AstKind::kConditional, column);
      n->kids.push_back(std::move(node));
      n->kids.push_back(std::move(then_branch));
      n->kids.push_back(std::move(else_branch));
      node = std::move(n);
    }
    return node;
  }

  Result<AstPtr> let_declaration() {
    int column = cur().column;
    next();
    if (cur().kind != TokenKind::kIdent) return unexpected();
    std::string name = cur().text;
    next();
    PHALANX_CHECK(expect(TokenKind::kOperator, "="));
    PHALANX_TRY(AstPtr value, expression(0));
    PHALANX_CHECK(expect(TokenKind::kOperator, ";"));
    PHALANX_TRY(AstPtr body, sequence());
    return make2(AstKind::kLet, column, name, std::move(value), std::move(body));
  }

  Result<AstPtr> block() {
    PHALANX_CHECK(expect(TokenKind::kBracket, "{"));
    PHALANX_TRY(AstPtr body, sequence());
    PHALANX_CHECK(expect(TokenKind::kBracket, "}"));
    return body;
  }

  Result<AstPtr> if_else() {
    int column = cur().column;
    next();
    PHALANX_TRY(AstPtr cond, expression(0));
    PHALANX_TRY(AstPtr then_branch, block());
    PHALANX_CHECK(expect(TokenKind::kOperator, "else"));
    AstPtr else_branch;
    if (cur().is_op("if")) {
      PHALANX_TRY(else_branch, if_else());
    } else {
      PHALANX_TRY(else_branch, block());
    }
    auto n = make(AstKind::kConditional, column);
    n->kids.push_back(std::move(cond));
    n->kids.push_back(std::move(then_branch));
    n->kids.push_back(std::move(else_branch));
    return n;
  }

  Result<AstPtr> primary() {
    const Token& t = cur();
    if (t.kind == TokenKind::kOperator) {
      int prec = unary_precedence(t.text);
      if (prec >= 0) {
        std::string op = t.text == "!" ? "not" : t.text;
        int column = t.column;
        next();
        PHALANX_TRY(AstPtr operand, expression(prec));
        auto n = make(AstKind::kUnary, column, op);
        n->kids.push_back(std::move(operand));
        return postfix(std::move(n));
      }
    }
    if (t.is_bracket("(")) {
      next();
      PHALANX_TRY(AstPtr inner, sequence());
      PHALANX_CHECK(expect(TokenKind::kBracket, ")"));
      return postfix(std::move(inner));
    }
    if (closure_depth_ > 0 && t.kind == TokenKind::kPointer) {
      auto n = make(AstKind::kPointer, t.column, t.text);
      next();
      return postfix(std::move(n));
    }
    if (closure_depth_ > 0 && t.is_op(".") && peek().kind == TokenKind::kIdent) {
      // ".field" inside a closure is "#.field".
      int column = t.column;
      next();
      auto n = make(AstKind::kPointer, column);
      return postfix(std::move(n), /*dot_consumed=*/true);
    }
    return secondary();
  }

  Result<AstPtr> secondary() {
    Token t = cur();
    switch (t.kind) {
      case TokenKind::kIdent: {
        next();
        if (t.text == "true" || t.text == "false") {
          auto n = make(AstKind::kBool, t.column);
          n->bool_value = t.text == "true";
          return postfix(std::move(n));
        }
        if (t.text == "nil") return postfix(make(AstKind::kNil, t.column));
        if (cur().is_bracket("(")) {
          PHALANX_TRY(AstPtr c, call(t, {}));
          return postfix(std::move(c));
        }
        return postfix(make(AstKind::kIdent, t.column, t.text));
      }
      case TokenKind::kNumber: {
        next();
        PHALANX_TRY(AstPtr n, parse_number(t));
        return postfix(std::move(n));
      }
      case TokenKind::kString: {
        next();
        return postfix(make(AstKind::kString, t.column, t.text));
      }
      case TokenKind::kBracket:
        if (t.text == "[") return array_literal();
        if (t.text == "{") return map_literal();
        return unexpected();
      default:
        return unexpected();
    }
  }

  Result<AstPtr> array_literal() {
    int column = cur().column;
    next();
    auto n = make(AstKind::kArray, column);
    while (!cur().is_bracket("]")) {
      PHALANX_TRY(AstPtr item, expression(0));
      n->kids.push_back(std::move(item));
      if (cur().is_op(",")) {
        next();
        continue;
      }
      if (!cur().is_bracket("]")) return unexpected();
    }
    next();
    return postfix(std::move(n));
  }

  Result<AstPtr> map_key() {
    const Token& t = cur();
    if (t.kind == TokenKind::kIdent || t.kind == TokenKind::kString ||
        (t.kind == TokenKind::kOperator && std::isalpha(static_cast<unsigned char>(t.text[0])))) {
      auto k = make(AstKind::kString, t.column, t.text);
      next();
      return k;
    }
    if (t.kind == TokenKind::kNumber) {
      Token copy = t;
      next();
      return parse_number(copy);
    }
    if (t.is_bracket("(")) {
      next();
      PHALANX_TRY(AstPtr k, expression(0));
      PHALANX_CHECK(expect(TokenKind::kBracket, ")"));
      return k;
    }
    return unexpected();
  }

  Result<AstPtr> map_literal() {
    int column = cur().column;
    next();
    auto n = make(AstKind::kMap, column);
    while (!cur().is_bracket("}")) {
      PHALANX_TRY(AstPtr key, map_key());
      PHALANX_CHECK(expect(TokenKind::kOperator, ":"));
      PHALANX_TRY(AstPtr value, expression(0));
      n->kids.push_back(std::move(key));
      n->kids.push_back(std::move(value));
      if (cur().is_op(",")) {
        next();
        continue;
      }
      if (!cur().is_bracket("}")) return unexpected();
    }
    next();
    return postfix(std::move(n));
  }

  // {body} or a bare expression, as predicate of a builtin.
  Result<AstPtr> closure() {
    int column = cur().column;
    bool braces = cur().is_bracket("{");
    if (braces) next();
    ++closure_depth_;
    auto body = sequence();
    --closure_depth_;
    if (!body) return std::move(body).error();
    if (braces) PHALANX_CHECK(expect(TokenKind::kBracket, "}"));
    auto n = make(AstKind::kClosure, column);
    n->kids.push_back(std::move(*body));
    return n;
  }

  Result<AstPtr> call(const Token& name, std::vector<AstPtr> args) {
    PHALANX_CHECK(expect(TokenKind::kBracket, "("));
    auto n = make(AstKind::kCall, name.column, name.text);
    n->kids = std::move(args);
    bool predicate = takes_predicate(name.text);
    while (!cur().is_bracket(")")) {
      AstPtr arg;
      if (predicate && n->kids.size() == 1) {
        PHALANX_TRY(arg, closure());
      } else {
        PHALANX_TRY(arg, expression(0));
      }
      n->kids.push_back(std::move(arg));
      if (cur().is_op(",")) {
        next();
        continue;
      }
      if (!cur().is_bracket(")")) return unexpected();
    }
    next();
    return n;
  }

  Result<AstPtr> member_name_or_method(AstPtr object, bool optional, int column) {
    const Token& t = cur();
    bool word =
        t.kind == TokenKind::kIdent ||
        (t.kind == TokenKind::kOperator && std::isalpha(static_cast<unsigned char>(t.text[0])));
    if (!word) return unexpected();
    Token name = t;
    next();
    if (cur().is_bracket("(")) {
      PHALANX_TRY(AstPtr c, call(name, {}));
      auto m = make(AstKind::kMethod, name.column, name.text);
      m->optional = optional;
      m->kids.push_back(std::move(object));
      for (auto& a : c->kids)
        m->kids.push_back(std::move(a));
      return m;
    }
    auto key = make(AstKind::kString, name.column, name.text);
    auto m = make2(AstKind::kMember, column, "", std::move(object), std::move(key));
    m->optional = optional;
    return m;
  }

  Result<AstPtr> index_or_slice(AstPtr object, bool optional, int column) {
    next();  // '['
    AstPtr from, to;
    if (!cur().is_op(":")) {
      PHALANX_TRY(from, expression(0));
    }
    if (cur().is_op(":")) {
      next();
      if (!cur().is_bracket("]")) {
        PHALANX_TRY(to, expression(0));
      }
      PHALANX_CHECK(expect(TokenKind::kBracket, "]"));
      auto s = make(AstKind::kSlice, column);
      s->kids.push_back(std::move(object));
      s->kids.push_back(std::move(from));
      s->kids.push_back(std::move(to));
      return s;
    }
    PHALANX_CHECK(expect(TokenKind::kBracket, "]"));
    auto m = make2(AstKind::kMember, column, "", std::move(object), std::move(from));
    m->optional = optional;
    return m;
  }

  Result<AstPtr> postfix(AstPtr node, bool dot_consumed = false) {
    if (dot_consumed) {
      PHALANX_TRY(node, member_name_or_method(std::move(node), false, cur().column));
    }
    while (true) {
      const Token& t = cur();
      int column = t.column;
      if (t.is_op(".") || t.is_op("?.")) {
        bool optional = t.text == "?.";
        next();
        if (optional && cur().is_bracket("[")) {
          PHALANX_TRY(node, index_or_slice(std::move(node), true, column));
          continue;
        }
        PHALANX_TRY(node, member_name_or_method(std::move(node), optional, column));
        continue;
      }
      if (t.is_bracket("[")) {
        PHALANX_TRY(node, index_or_slice(std::move(node), false, column));
        continue;
      }
      return node;
    }
  }

  static constexpr int kMaxDepth = 500;

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int closure_depth_ = 0;
  int depth_ = 0;
};

}  // namespace

bool takes_predicate(std::string_view f) {
  return f == "all" || f == "none" || f == "any" || f == "one" || f == "filter" || f == "map" ||
         f == "count" || f == "sum" || f == "find" || f == "findIndex" || f == "findLast" ||
         f == "findLastIndex" || f == "groupBy" || f == "sortBy" || f == "reduce";
}

Result<AstPtr> parse(std::string_view source) {
  PHALANX_TRY(auto tokens, tokenize(source));
  Parser parser(std::move(tokens));
  return parser.parse_all();
}

}  // namespace phalanx::expr::detail

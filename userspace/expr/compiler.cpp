// SPDX-License-Identifier: Apache-2.0
// Syntax tree → evaluator nodes: name resolution (variables, let-bindings, closure pointers),
// function binding, constant folding, and the specialised nodes for the hot shapes
// (`x == 'lit'`, `x in [...]`, `x matches 'const'`, data-file lookups).
#include "expr/compiler.h"

#include <algorithm>
#include <array>

#include "expr/builtins.h"
#include "expr/data_index.h"
#include "expr/incremental.h"

namespace phalanx::expr::detail {
namespace {

std::string at(const Ast& a) {
  return " at column " + std::to_string(a.column);
}

struct ClosureInfo {
  std::string_view name;
  ClosureKind kind;
  size_t min_args, max_args;
};

constexpr std::array<ClosureInfo, 15> kClosures = {{
    {"all", ClosureKind::kAll, 2, 2},
    {"any", ClosureKind::kAny, 2, 2},
    {"none", ClosureKind::kNone, 2, 2},
    {"one", ClosureKind::kOne, 2, 2},
    {"filter", ClosureKind::kFilter, 2, 2},
    {"map", ClosureKind::kMap, 2, 2},
    {"count", ClosureKind::kCount, 1, 2},
    {"sum", ClosureKind::kSum, 1, 2},
    {"find", ClosureKind::kFind, 2, 2},
    {"findIndex", ClosureKind::kFindIndex, 2, 2},
    {"findLast", ClosureKind::kFindLast, 2, 2},
    {"findLastIndex", ClosureKind::kFindLastIndex, 2, 2},
    {"groupBy", ClosureKind::kGroupBy, 2, 2},
    {"sortBy", ClosureKind::kSortBy, 2, 3},
    {"reduce", ClosureKind::kReduce, 2, 3},
}};

const ClosureInfo* find_closure(std::string_view name) {
  for (const ClosureInfo& c : kClosures) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

struct BinaryInfo {
  std::string_view op;
  BinOp bin;
  bool pure;
};

constexpr std::array<BinaryInfo, 19> kBinaries = {{
    {"==", BinOp::kEq, true},
    {"!=", BinOp::kNe, true},
    {"<", BinOp::kLt, true},
    {"<=", BinOp::kLe, true},
    {">", BinOp::kGt, true},
    {">=", BinOp::kGe, true},
    {"+", BinOp::kAdd, true},
    {"-", BinOp::kSub, true},
    {"*", BinOp::kMul, true},
    {"/", BinOp::kDiv, true},
    {"%", BinOp::kMod, true},
    {"**", BinOp::kPow, true},
    {"in", BinOp::kIn, true},
    {"contains", BinOp::kContains, true},
    {"startsWith", BinOp::kStartsWith, true},
    {"endsWith", BinOp::kEndsWith, true},
    {"matches", BinOp::kMatches, true},
    {"..", BinOp::kRange, true},
    {"??", BinOp::kCoalesce, true},
}};

}  // namespace

Compiler::Compiler(const CompileOptions& options, CompiledProgram& out)
    : options_(options), out_(out) {
  for (const HostFunction& fn : options.functions) {
    out_.host_functions.push_back(std::make_unique<HostFunction>(fn));
  }
}

size_t Compiler::new_slot() {
  size_t slot = out_.slot_count++;
  return slot;
}

bool holds_map(const Value& v) {
  if (v.is_map()) return true;
  if (!v.is_array()) return false;
  for (const Value& item : v.as_array()) {
    if (holds_map(item)) return true;
  }
  return false;
}

Result<NodePtr> Compiler::fold(NodePtr node) {
  if (!options_.optimize || node->constant() != nullptr) return node;
  RunContext ctx;
  Frame frame{{}, &ctx, nullptr};
  auto value = node->eval(frame);
  // A constant expression that fails keeps failing at run time, where the caller decides what
  // an error means (false for a parser filter).
  if (!value) return node;
  // Maps are mutable (UnmarshalJSON writes into them): a map shared by every run of the
  // program would be a data race, so an expression producing one stays an expression.
  if (holds_map(*value)) return node;
  return make_const(std::move(*value), node->column());
}

Result<NodePtr> Compiler::compile(const Ast& a) {
  if (worth_precomputing(a)) return precompute(a);
  return compile_node(a);
}

Result<NodePtr> Compiler::compile_node(const Ast& a) {
  switch (a.kind) {
    case AstKind::kNil:
      return make_const(Value(), a.column);
    case AstKind::kBool:
      return make_const(Value::boolean(a.bool_value), a.column);
    case AstKind::kInt:
      return make_const(Value::integer(a.int_value), a.column);
    case AstKind::kFloat:
      return make_const(Value::floating(a.float_value), a.column);
    case AstKind::kString:
      return make_const(Value::string(a.text), a.column);
    case AstKind::kIdent:
      return identifier(a);
    case AstKind::kPointer:
      return pointer(a);
    case AstKind::kUnary:
      return unary(a);
    case AstKind::kBinary:
      return binary(a);
    case AstKind::kMember:
      return member(a);
    case AstKind::kSlice:
      return slice(a);
    case AstKind::kCall:
      return call(a);
    case AstKind::kMethod:
      return method(a);
    case AstKind::kClosure:
      return Error("unexpected closure" + at(a));
    case AstKind::kConditional:
      return conditional(a);
    case AstKind::kLet:
      return let(a);
    case AstKind::kSequence:
      return sequence(a);
    case AstKind::kArray:
      return array(a);
    case AstKind::kMap:
      return map(a);
  }
  return Error("unsupported syntax" + at(a));
}

Result<NodePtr> Compiler::identifier(const Ast& a) {
  for (auto it = lets_.rbegin(); it != lets_.rend(); ++it) {
    if (it->first == a.text) return make_slot(it->second, a.column);
  }
  for (size_t i = 0; i < options_.variables.size(); ++i) {
    if (options_.variables[i] == a.text) return make_var(i, a.column);
  }
  return Error("unknown name " + a.text + at(a));
}

Result<NodePtr> Compiler::pointer(const Ast& a) {
  if (closures_.empty()) return Error("unexpected pointer #" + a.text + at(a));
  const ClosureSlots& slots = closures_.back().slots;
  if (a.text.empty()) return make_slot(slots.element, a.column);
  if (a.text == "index") return make_slot(slots.index, a.column);
  if (a.text == "acc") return make_slot(slots.acc, a.column);
  return Error("unknown pointer #" + a.text + at(a));
}

Result<NodePtr> Compiler::unary(const Ast& a) {
  PHALANX_TRY(NodePtr operand, compile(*a.kids[0]));
  bool constant = operand->constant() != nullptr;
  NodePtr node;
  if (a.text == "not") {
    node = make_not(std::move(operand), a.column);
  } else if (a.text == "-") {
    node = make_negate(std::move(operand), a.column);
  } else {
    return operand;  // unary plus
  }
  if (constant) return fold(std::move(node));
  return node;
}

Result<NodePtr> Compiler::binary(const Ast& a) {
  if (a.text == "&&" || a.text == "||") return logic(a);
  PHALANX_TRY(NodePtr left, compile(*a.kids[0]));
  PHALANX_TRY(NodePtr right, compile(*a.kids[1]));
  bool constant = left->constant() && right->constant();
  const BinaryInfo* info = nullptr;
  for (const BinaryInfo& b : kBinaries) {
    if (b.op == a.text) info = &b;
  }
  if (info == nullptr) return Error("unknown operator " + a.text + at(a));
  if (constant) {
    if (info->bin == BinOp::kMatches && right->constant()->is_string()) {
      PHALANX_CHECK(check_regexp(*right->constant(), a));
    }
    return fold(make_binary(info->bin, std::move(left), std::move(right), a.column));
  }
  return specialised_binary(a, info->bin, std::move(left), std::move(right));
}

Result<void> Compiler::check_regexp(const Value& pattern, const Ast& a) {
  auto re = compile_regexp(pattern.as_string());
  if (!re) {
    return Error("invalid regexp '" + std::string(pattern.as_string()) + "'" + at(a) + ": " +
                 re.error().message());
  }
  return ok();
}

Result<NodePtr> Compiler::specialised_binary(const Ast& a, BinOp op, NodePtr left, NodePtr right) {
  const Value* rc = right->constant();
  const Value* lc = left->constant();
  if ((op == BinOp::kEq || op == BinOp::kNe) && (rc || lc)) {
    const Value* c = rc ? rc : lc;
    if (c->is_string()) {
      std::string literal(c->as_string());
      return make_eq_string(rc ? std::move(left) : std::move(right), std::move(literal),
                            op == BinOp::kNe, a.column);
    }
  }
  if (op == BinOp::kIn && rc && rc->is_array()) {
    return make_in_const(std::move(left), *rc, a.column);
  }
  if (op == BinOp::kMatches && rc && rc->is_string()) {
    auto re = compile_regexp(rc->as_string());
    if (!re) {
      return Error("invalid regexp '" + std::string(rc->as_string()) + "'" + at(a) + ": " +
                   re.error().message());
    }
    return make_matches_const(std::move(left), std::move(*re), a.column);
  }
  return make_binary(op, std::move(left), std::move(right), a.column);
}

Result<NodePtr> Compiler::member(const Ast& a) {
  PHALANX_TRY(NodePtr object, compile(*a.kids[0]));
  const Ast& key = *a.kids[1];
  if (key.kind == AstKind::kString) {
    bool constant = object->constant() != nullptr;
    NodePtr node = make_field(std::move(object), key.text, a.optional, a.column);
    return constant ? fold(std::move(node)) : std::move(node);
  }
  PHALANX_TRY(NodePtr k, compile(key));
  bool constant = object->constant() && k->constant();
  NodePtr node = make_member(std::move(object), std::move(k), a.optional, a.column);
  return constant ? fold(std::move(node)) : std::move(node);
}

Result<NodePtr> Compiler::slice(const Ast& a) {
  PHALANX_TRY(NodePtr object, compile(*a.kids[0]));
  NodePtr from, to;
  bool constant = object->constant() != nullptr;
  if (a.kids[1]) {
    PHALANX_TRY(from, compile(*a.kids[1]));
    constant = constant && from->constant();
  }
  if (a.kids[2]) {
    PHALANX_TRY(to, compile(*a.kids[2]));
    constant = constant && to->constant();
  }
  NodePtr node = make_slice(std::move(object), std::move(from), std::move(to), a.column);
  return constant ? fold(std::move(node)) : std::move(node);
}

Result<std::vector<NodePtr>> Compiler::compile_all(const Ast& a, size_t first, bool* constant) {
  std::vector<NodePtr> out;
  *constant = true;
  for (size_t i = first; i < a.kids.size(); ++i) {
    PHALANX_TRY(NodePtr n, compile(*a.kids[i]));
    *constant = *constant && n->constant() != nullptr;
    out.push_back(std::move(n));
  }
  return out;
}

Result<NodePtr> Compiler::call(const Ast& a) {
  for (const auto& fn : out_.host_functions) {
    if (fn->name != a.text) continue;
    PHALANX_CHECK(check_arity(a, fn->min_args, fn->max_args));
    bool constant = false;
    PHALANX_TRY(auto args, compile_all(a, 0, &constant));
    return make_host_call(fn.get(), std::move(args), a.column);
  }
  if (const ClosureInfo* c = find_closure(a.text))
    return closure(a, c->kind, c->min_args, c->max_args);
  const FunctionSpec* spec = find_builtin(a.text);
  if (spec == nullptr) return Error("unknown function " + a.text + at(a));
  PHALANX_CHECK(check_arity(a, spec->min_args, spec->max_args));
  bool constant = false;
  PHALANX_TRY(auto args, compile_all(a, 0, &constant));
  if (options_.optimize && options_.data_files != nullptr) {
    PHALANX_TRY(NodePtr bound, bind_data_call(a.text, args, *options_.data_files, out_, a.column));
    if (bound) return bound;
  }
  NodePtr node = make_call(spec, std::move(args), a.column);
  return constant && spec->pure ? fold(std::move(node)) : std::move(node);
}

Result<void> Compiler::check_arity(const Ast& a, size_t min, size_t max) {
  if (a.kids.size() < min) return Error("not enough arguments to call " + a.text + at(a));
  if (a.kids.size() > max) return Error("too many arguments to call " + a.text + at(a));
  return ok();
}

Result<NodePtr> Compiler::closure(const Ast& a, ClosureKind kind, size_t min, size_t max) {
  PHALANX_CHECK(check_arity(a, min, max));
  PHALANX_TRY(NodePtr array, compile(*a.kids[0]));
  if (a.kids.size() < 2) {
    return make_closure(kind, std::move(array), nullptr, nullptr, {}, false, a.column);
  }
  const Ast& body_ast = *a.kids[1];
  const Ast& body = body_ast.kind == AstKind::kClosure ? *body_ast.kids[0] : body_ast;
  ClosureSlots slots{new_slot(), new_slot(), new_slot()};
  if (kind == ClosureKind::kAny && options_.optimize && array->constant() != nullptr) {
    PHALANX_TRY(NodePtr indexed, index_any(*array->constant(), body, slots, a.column));
    if (indexed) return indexed;
  }
  const Value* constant = options_.optimize ? array->constant() : nullptr;
  closures_.push_back({slots, constant && constant->is_array() ? &constant->as_array() : nullptr});
  auto compiled_body = compile(body);
  closures_.pop_back();
  if (!compiled_body) return std::move(compiled_body).error();
  NodePtr extra;
  if (a.kids.size() > 2) {
    PHALANX_TRY(extra, compile(*a.kids[2]));
  }
  // Incremental evaluation is an optimisation: without `optimize` every closure runs in full,
  // which gives the reference the cached runs are tested against.
  const bool pure_body =
      options_.optimize && constant == nullptr && is_pure_element_body(body, out_.host_functions);
  return make_closure(kind, std::move(array), std::move(*compiled_body), std::move(extra), slots,
                      pure_body, a.column);
}

Result<NodePtr> Compiler::index_any(const Value& array, const Ast& body, ClosureSlots slots,
                                    int column) {
  closures_.push_back({slots, array.is_array() ? &array.as_array() : nullptr});
  auto node = try_index_any(array, body, *this, slots, column);
  closures_.pop_back();
  return node;
}

Result<NodePtr> Compiler::method(const Ast& a) {
  PHALANX_TRY(NodePtr receiver, compile(*a.kids[0]));
  bool constant = false;
  PHALANX_TRY(auto args, compile_all(a, 1, &constant));
  return make_method(std::move(receiver), a.text, std::move(args), a.optional, a.column);
}

Result<NodePtr> Compiler::conditional(const Ast& a) {
  PHALANX_TRY(NodePtr cond, compile(*a.kids[0]));
  PHALANX_TRY(NodePtr then_node, compile(*a.kids[1]));
  PHALANX_TRY(NodePtr else_node, compile(*a.kids[2]));
  if (const Value* c = cond->constant(); c && c->is_bool() && options_.optimize) {
    return c->as_bool() ? std::move(then_node) : std::move(else_node);
  }
  return make_conditional(std::move(cond), std::move(then_node), std::move(else_node), a.column);
}

Result<NodePtr> Compiler::let(const Ast& a) {
  PHALANX_TRY(NodePtr value, compile(*a.kids[0]));
  size_t slot = new_slot();
  lets_.emplace_back(a.text, slot);
  auto body = compile(*a.kids[1]);
  lets_.pop_back();
  if (!body) return std::move(body).error();
  return make_let(slot, std::move(value), std::move(*body), a.column);
}

Result<NodePtr> Compiler::sequence(const Ast& a) {
  bool constant = false;
  PHALANX_TRY(auto items, compile_all(a, 0, &constant));
  return make_sequence(std::move(items), a.column);
}

Result<NodePtr> Compiler::array(const Ast& a) {
  bool constant = false;
  PHALANX_TRY(auto items, compile_all(a, 0, &constant));
  NodePtr node = make_array(std::move(items), a.column);
  return constant ? fold(std::move(node)) : std::move(node);
}

Result<NodePtr> Compiler::map(const Ast& a) {
  std::vector<NodePtr> keys, values;
  bool constant = true;
  for (size_t i = 0; i + 1 < a.kids.size(); i += 2) {
    PHALANX_TRY(NodePtr k, compile(*a.kids[i]));
    PHALANX_TRY(NodePtr v, compile(*a.kids[i + 1]));
    constant = constant && k->constant() && v->constant();
    keys.push_back(std::move(k));
    values.push_back(std::move(v));
  }
  // A map literal is mutable at run time (UnmarshalJSON may write into it): never folded.
  (void)constant;
  return make_map(std::move(keys), std::move(values), a.column);
}

}  // namespace phalanx::expr::detail

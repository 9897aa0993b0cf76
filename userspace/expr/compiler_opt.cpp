// SPDX-License-Identifier: Apache-2.0
// The compiler's optimisations that go beyond folding: and/or chains (literal runs, string
// comparisons or IpInRange over literal ranges, become one lookup) and per-element precomputation
// inside closures over constant arrays.
#include <algorithm>

#include "expr/compiler.h"
#include "expr/data_index.h"

namespace phalanx::expr::detail {

namespace {

// The operator of a disjunct `X op 'literal'` (or `IpInRange(X, 'literal')`, the built-in, when
// no host function takes its name) that may join a literal run, or nullopt.
std::optional<MatchKind> literal_disjunct(const Ast& a, bool builtin_in_range) {
  if (a.kids.size() != 2 || a.kids[1]->kind != AstKind::kString || !pure_ast(*a.kids[0])) {
    return std::nullopt;
  }
  if (a.kind == AstKind::kCall) {
    if (builtin_in_range && a.text == "IpInRange") return MatchKind::kInRange;
    return std::nullopt;
  }
  if (a.kind != AstKind::kBinary) return std::nullopt;
  if (a.text == "contains") return MatchKind::kContains;
  if (a.text == "startsWith") return MatchKind::kStartsWith;
  if (a.text == "endsWith") return MatchKind::kEndsWith;
  if (a.text == "==") return MatchKind::kEquals;
  return std::nullopt;
}

// End (exclusive) of the run of disjuncts starting at `begin` that share X and the operator.
size_t literal_run_end(const Ast& a, size_t begin, bool builtin_in_range) {
  auto kind = literal_disjunct(*a.kids[begin], builtin_in_range);
  if (!kind) return begin;
  size_t end = begin + 1;
  while (end < a.kids.size() && literal_disjunct(*a.kids[end], builtin_in_range) == kind &&
         same_ast(*a.kids[end]->kids[0], *a.kids[begin]->kids[0])) {
    ++end;
  }
  return end;
}

constexpr size_t kMinLiteralRun = 3;

}  // namespace

Result<NodePtr> Compiler::logic(const Ast& a) {
  bool is_and = a.text == "&&";
  const bool builtin_in_range =
      std::none_of(out_.host_functions.begin(), out_.host_functions.end(),
                   [](const auto& fn) { return fn->name == "IpInRange"; });
  std::vector<NodePtr> operands;
  for (size_t i = 0; i < a.kids.size();) {
    size_t end = !is_and && options_.optimize ? literal_run_end(a, i, builtin_in_range) : i;
    if (end - i >= kMinLiteralRun) {
      PHALANX_TRY(NodePtr x, compile(*a.kids[i]->kids[0]));
      std::vector<std::string> literals;
      for (size_t k = i; k < end; ++k)
        literals.push_back(a.kids[k]->kids[1]->text);
      PHALANX_TRY(NodePtr run,
                  make_literal_match(*literal_disjunct(*a.kids[i], builtin_in_range), std::move(x),
                                     std::move(literals), a.kids[i]->column));
      if (run) {
        operands.push_back(std::move(run));
        i = end;
        continue;
      }
    }
    PHALANX_TRY(NodePtr operand, compile(*a.kids[i]));
    operands.push_back(std::move(operand));
    ++i;
  }
  // Leading constants decide statically (when they are bools, as the runtime requires).
  while (options_.optimize && operands.size() > 1 && operands.front()->constant() &&
         operands.front()->constant()->is_bool()) {
    if (operands.front()->constant()->as_bool() != is_and) return std::move(operands.front());
    operands.erase(operands.begin());
  }
  if (operands.size() == 1) return std::move(operands.front());
  bool constant = std::all_of(operands.begin(), operands.end(),
                              [](const NodePtr& n) { return n->constant() != nullptr; });
  NodePtr node = make_logic(is_and, std::move(operands), a.column);
  return constant ? fold(std::move(node)) : std::move(node);
}

// Inside a closure over a constant array (File(...) lines, a literal list), a pure
// subexpression of '#' alone (JsonExtract(#, "uri"), Upper(#), len(#) > 0) has one value per
// element: compute the table once instead of once per element per event.
bool Compiler::worth_precomputing(const Ast& a) const {
  if (precomputing_ || !options_.optimize || closures_.empty() || !closures_.back().elements) {
    return false;
  }
  switch (a.kind) {
    case AstKind::kCall:
    case AstKind::kBinary:
    case AstKind::kUnary:
    case AstKind::kMember:
    case AstKind::kSlice:
    case AstKind::kConditional:
      return element_only_ast(a);
    default:
      return false;
  }
}

Result<NodePtr> Compiler::precompute(const Ast& a) {
  precomputing_ = true;
  auto node = compile_node(a);
  precomputing_ = false;
  if (!node) return node;
  const Scope& scope = closures_.back();
  RunContext ctx;
  std::vector<Value> slots(out_.slot_count);
  Frame frame{{}, &ctx, slots.data()};
  Array table;
  table.reserve(scope.elements->size());
  for (size_t i = 0; i < scope.elements->size(); ++i) {
    slots[scope.slots.element] = (*scope.elements)[i];
    slots[scope.slots.index] = Value::integer(static_cast<int64_t>(i));
    auto value = (*node)->eval(frame);
    // An element that fails keeps failing at run time; maps must not be shared (see fold()).
    if (!value || holds_map(*value)) return node;
    table.push_back(value->to_owned());
  }
  return make_table(scope.slots.index, Value::array(std::move(table)), a.column);
}

}  // namespace phalanx::expr::detail

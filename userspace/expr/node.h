// SPDX-License-Identifier: Apache-2.0
// Internal: the evaluator. compile() turns the syntax tree into a tree of Nodes; each node
// evaluates itself against a Frame (the bound variables, the run context and the local slots
// used by let-bindings and closure pointers). Nodes are immutable after compilation, so one
// tree serves concurrent runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "expr/program.h"
#include "expr/value.h"

namespace re2 {
class RE2;
}

namespace phalanx::expr::detail {

struct Frame {
  std::span<const Value> vars;
  RunContext* ctx = nullptr;
  Value* slots = nullptr;
};

class Node {
 public:
  explicit Node(int column) : column_(column) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual Result<Value> eval(Frame& frame) const = 0;
  // The value of a constant node; nullptr otherwise.
  virtual const Value* constant() const { return nullptr; }
  // Appends the canonical form of a node whose value depends only on the variables (a
  // variable, a plain path from one, a pure call over those) and returns true; false for any
  // other node. Keys the per-event memo (event_memo.h).
  virtual bool memo_form(std::string& /*out*/) const { return false; }
  int column() const { return column_; }

 private:
  int column_;
};
using NodePtr = std::unique_ptr<Node>;

enum class BinOp {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kIn,
  kContains,
  kStartsWith,
  kEndsWith,
  kMatches,
  kRange,
  kCoalesce,
};

enum class ClosureKind {
  kAll,
  kAny,
  kNone,
  kOne,
  kFilter,
  kMap,
  kCount,
  kSum,
  kFind,
  kFindIndex,
  kFindLast,
  kFindLastIndex,
  kGroupBy,
  kSortBy,
  kReduce,
};

// Slots a closure writes while it iterates.
struct ClosureSlots {
  size_t element = 0;
  size_t index = 0;
  size_t acc = 0;
};

NodePtr make_const(Value value, int column);
// A constant whose payload the program keeps alive by other means (a data file): not copied.
NodePtr make_const_kept(Value value, int column);
NodePtr make_var(size_t index, int column);
NodePtr make_slot(size_t slot, int column);
// a.key (constant key); consecutive fields are merged into one path node.
NodePtr make_field(NodePtr object, std::string key, bool optional, int column);
NodePtr make_member(NodePtr object, NodePtr key, bool optional, int column);
NodePtr make_slice(NodePtr object, NodePtr from, NodePtr to, int column);
NodePtr make_not(NodePtr operand, int column);
NodePtr make_negate(NodePtr operand, int column);
// a && b && ... (is_and) or a || b || ...; at least two operands.
NodePtr make_logic(bool is_and, std::vector<NodePtr> operands, int column);
NodePtr make_binary(BinOp op, NodePtr left, NodePtr right, int column);
// left == "literal" (negate: !=), without materialising the constant.
NodePtr make_eq_string(NodePtr left, std::string literal, bool negate, int column);
// left in <constant array>: a hash set for strings.
NodePtr make_in_const(NodePtr left, Value array, int column);
// left matches <compiled pattern>.
NodePtr make_matches_const(NodePtr left, std::shared_ptr<const re2::RE2> re, int column);
NodePtr make_conditional(NodePtr cond, NodePtr then_node, NodePtr else_node, int column);
NodePtr make_let(size_t slot, NodePtr value, NodePtr body, int column);
NodePtr make_sequence(std::vector<NodePtr> items, int column);
NodePtr make_array(std::vector<NodePtr> items, int column);
NodePtr make_map(std::vector<NodePtr> keys, std::vector<NodePtr> values, int column);
NodePtr make_method(NodePtr receiver, std::string name, std::vector<NodePtr> args, bool optional,
                    int column);
// table[#index]: a per-element value computed at compile time.
NodePtr make_table(size_t index_slot, Value table, int column);
// "all", "filter", ...: the builtin's name, for messages.
std::string_view closure_name(ClosureKind kind);
// pure_body: the body is a pure function of the element (is_pure_element_body), so over a
// list that keeps a ListCache the closure reuses earlier runs' results (incremental.h).
NodePtr make_closure(ClosureKind kind, NodePtr array, NodePtr body, NodePtr extra,
                     ClosureSlots slots, bool pure_body, int column);

// Compiles a Go/RE2 pattern the way the `matches` operator does. Errors: the RE2 message.
Result<std::shared_ptr<const re2::RE2>> compile_regexp(std::string_view pattern);

}  // namespace phalanx::expr::detail

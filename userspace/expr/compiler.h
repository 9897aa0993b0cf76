// SPDX-License-Identifier: Apache-2.0
// Internal: the compiler from syntax tree to evaluator nodes. One Compiler per compile() call.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "expr/ast.h"
#include "expr/compiled.h"
#include "expr/node.h"
#include "expr/program.h"

namespace phalanx::expr::detail {

// Whether a value is or contains a map (mutable, so never a shared constant).
bool holds_map(const Value& v);

class Compiler {
 public:
  Compiler(const CompileOptions& options, CompiledProgram& out);

  // Compiles a (sub)tree in the current scope. Errors: unknown names and functions, arity,
  // invalid constant regexps — each with its column.
  Result<NodePtr> compile(const Ast& a);
  // Replaces a node whose inputs are all constant by its value (when it evaluates).
  Result<NodePtr> fold(NodePtr node);

  const CompileOptions& options() const { return options_; }
  CompiledProgram& program() { return out_; }

 private:
  size_t new_slot();
  Result<NodePtr> compile_node(const Ast& a);
  bool worth_precomputing(const Ast& a) const;
  Result<NodePtr> precompute(const Ast& a);
  Result<NodePtr> identifier(const Ast& a);
  Result<NodePtr> pointer(const Ast& a);
  Result<NodePtr> unary(const Ast& a);
  Result<NodePtr> binary(const Ast& a);
  Result<NodePtr> logic(const Ast& a);
  Result<NodePtr> specialised_binary(const Ast& a, BinOp op, NodePtr left, NodePtr right);
  Result<void> check_regexp(const Value& pattern, const Ast& a);
  Result<NodePtr> member(const Ast& a);
  Result<NodePtr> slice(const Ast& a);
  Result<NodePtr> call(const Ast& a);
  Result<void> check_arity(const Ast& a, size_t min, size_t max);
  Result<NodePtr> closure(const Ast& a, ClosureKind kind, size_t min, size_t max);
  Result<NodePtr> index_any(const Value& array, const Ast& body, ClosureSlots slots, int column);
  Result<NodePtr> method(const Ast& a);
  Result<NodePtr> conditional(const Ast& a);
  Result<NodePtr> let(const Ast& a);
  Result<NodePtr> sequence(const Ast& a);
  Result<NodePtr> array(const Ast& a);
  Result<NodePtr> map(const Ast& a);
  Result<std::vector<NodePtr>> compile_all(const Ast& a, size_t first, bool* constant);

  const CompileOptions& options_;
  CompiledProgram& out_;
  std::vector<std::pair<std::string, size_t>> lets_;
  // Closures being compiled, innermost last; `elements` is set when the closure iterates a
  // constant array, so per-element subexpressions can be computed once per element.
  struct Scope {
    ClosureSlots slots;
    const Array* elements = nullptr;
  };
  std::vector<Scope> closures_;
  bool precomputing_ = false;
};

}  // namespace phalanx::expr::detail

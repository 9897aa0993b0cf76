// SPDX-License-Identifier: Apache-2.0
// Internal: what compile() produces, shared by Program copies.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "expr/node.h"
#include "expr/program.h"

namespace phalanx::expr::detail {

struct CompiledProgram {
  std::string source;
  NodePtr root;
  size_t var_count = 0;
  size_t slot_count = 0;
  std::vector<EqualityConstraint> constraints;
  // Host functions copied out of the options, so call nodes may point at them.
  std::vector<std::unique_ptr<HostFunction>> host_functions;
  // Data files (and their indexes) the nodes refer to.
  std::vector<std::shared_ptr<const void>> keep_alive;
};

// The equality constraints of the top-level conjuncts of a syntax tree (see program.h).
struct Ast;
std::vector<EqualityConstraint> extract_constraints(const Ast& root,
                                                    const std::vector<std::string>& variables);
// The literal constraints of the top-level conjuncts that are not equality constraints.
std::vector<LiteralConstraint> extract_literal_constraints(const Ast& root,
                                                           const CompileOptions& options);

}  // namespace phalanx::expr::detail

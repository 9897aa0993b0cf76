// SPDX-License-Identifier: Apache-2.0
// Internal: compile-time specialisation of data-file idioms, so that matching an event against
// the hundreds of lines of a data file is one lookup, not a loop per event:
//   - RegexpInFile(x, 'f') and LookupFile(x, 'f') with a constant file are bound to the file;
//   - any(<constant string array>, {<pred>}) where pred is a conjunction of conditions on '#'
//     alone (pre-evaluated per line) and one of
//       X == G(#), G(#) == X, X contains G(#), X startsWith G(#), X endsWith G(#),
//       IpInRange(X, G(#))  (X free of '#' and pure; G pure)
//     becomes a hash set, an automaton (one RE2::Set) or a CIDR table over the G(line) values;
//   - a run of disjuncts `X contains 'a' || X contains 'b' || ...` (same X, same operator:
//     contains, startsWith, endsWith, ==), as generated rules write them, becomes one lookup.
#pragma once

#include <string_view>
#include <vector>

#include "expr/ast.h"
#include "expr/compiled.h"
#include "expr/data_files.h"
#include "expr/node.h"

namespace phalanx::expr::detail {

class Compiler;

enum class MatchKind { kEquals, kContains, kStartsWith, kEndsWith, kInRange };

// Whether evaluating the subtree once instead of several times is unobservable: no method
// call, no closure, no impure function.
bool pure_ast(const Ast& a);
// Whether the subtree reads the closure element '#' and nothing else that varies (no variable,
// let name, #index, method or impure call): its value is a function of the element.
bool element_only_ast(const Ast& a);
// Structural equality of two subtrees.
bool same_ast(const Ast& a, const Ast& b);
// x <kind> any of literals (a run `x contains 'a' || x contains 'b' || ...`), as one lookup.
Result<NodePtr> make_literal_match(MatchKind kind, NodePtr x, std::vector<std::string> literals,
                                   int column);

// A node for a data-file call with a constant file name, or nullptr when not applicable.
Result<NodePtr> bind_data_call(std::string_view function, std::vector<NodePtr>& args,
                               const DataFiles& files, CompiledProgram& program, int column);

// An indexed node for any(array, {body}), or nullptr when the body has no indexable shape.
// The compiler has the closure scope (slots) pushed while this runs.
Result<NodePtr> try_index_any(const Value& array, const Ast& body, Compiler& compiler,
                              ClosureSlots slots, int column);

}  // namespace phalanx::expr::detail

// SPDX-License-Identifier: Apache-2.0
// Internal: the syntax tree the parser produces and the compiler consumes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace phalanx::expr::detail {

enum class AstKind {
  kNil,
  kBool,
  kInt,
  kFloat,
  kString,
  kIdent,        // text: name
  kPointer,      // text: "" for #, "index"/"acc"/... for #index
  kUnary,        // text: "not" | "-" | "+"; kids[0]
  kBinary,       // text: operator; kids[0], kids[1]. "&&" and "||" (normalised from and/or)
                 // are n-ary: a chain a || b || c is one node with three kids, so the
                 // thousand-term chains of generated rules do not make deep trees
  kMember,       // kids[0]: object, kids[1]: key expression; optional: ?.
  kSlice,        // kids[0]: object, kids[1]: from or null, kids[2]: to or null
  kCall,         // text: function name; kids: arguments (closures are kClosure)
  kMethod,       // text: method name; kids[0]: receiver, kids[1..]: arguments; optional: ?.
  kClosure,      // kids[0]: body
  kConditional,  // kids[0]: condition, kids[1]: then, kids[2]: else
  kLet,          // text: name; kids[0]: value, kids[1]: body
  kSequence,     // kids: expressions, the last one is the value
  kArray,        // kids: elements
  kMap,          // kids: key0, value0, key1, value1, ...
};

struct Ast {
  AstKind kind = AstKind::kNil;
  int column = 0;  // 1-based
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
  bool bool_value = false;
  bool optional = false;
  std::vector<std::unique_ptr<Ast>> kids;
};
using AstPtr = std::unique_ptr<Ast>;

// Parses source into a tree. Errors: "<what> at column N".
Result<AstPtr> parse(std::string_view source);

// Builtins whose second argument is a predicate ({...} closure or a bare expression).
bool takes_predicate(std::string_view function);

}  // namespace phalanx::expr::detail

// SPDX-License-Identifier: Apache-2.0
// Internal: the function table. Every function callable by name (expr-lang builtins without a
// predicate, and the CrowdSec helpers) has a spec: arity, implementation, and whether it is
// pure (same arguments, same result, no side effect), which allows constant folding and the
// data-file indexes.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "expr/node.h"
#include "expr/program.h"
#include "expr/value.h"

namespace phalanx::expr::detail {

using BuiltinFn = Result<Value> (*)(std::span<const Value> args, RunContext& ctx);

inline constexpr size_t kVariadic = SIZE_MAX;

struct FunctionSpec {
  std::string_view name;
  size_t min_args;
  size_t max_args;
  BuiltinFn fn;
  bool pure;
};

// Per-area tables (builtins_*.cpp).
std::span<const FunctionSpec> expr_builtins();
std::span<const FunctionSpec> string_helpers();
std::span<const FunctionSpec> json_helpers();
std::span<const FunctionSpec> net_helpers();
std::span<const FunctionSpec> data_helpers();
std::span<const FunctionSpec> misc_helpers();

// nullptr when unknown.
const FunctionSpec* find_builtin(std::string_view name);

// Appends v to out, recursing into arrays (shared by the flatten builtin and Flatten helper).
void flatten_into(const Value& v, Array& out);

// A call node for a builtin or a host function.
NodePtr make_call(const FunctionSpec* spec, std::vector<NodePtr> args, int column);
NodePtr make_host_call(const HostFunction* fn, std::vector<NodePtr> args, int column);

}  // namespace phalanx::expr::detail

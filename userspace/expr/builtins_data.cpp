// SPDX-License-Identifier: Apache-2.0
// CrowdSec helpers that reach state outside the expression: data files, the stash, and the
// decision store (profiles).
#include "core/duration.h"
#include "expr/builtins.h"
#include "expr/data_files.h"
#include "expr/decision_counter.h"
#include "expr/ops.h"
#include "expr/stash.h"

namespace phalanx::expr::detail {
namespace {

using Args = std::span<const Value>;

// File(name): the lines of a string data file; [] when not loaded (CrowdSec logs and goes on).
Result<Value> fn_file(Args a, RunContext& ctx) {
  PHALANX_TRY(std::string_view name, want_string(a[0], "File"));
  if (ctx.data_files != nullptr) {
    if (auto file = ctx.data_files->strings(name)) return file->array().borrowed();
  }
  return Value::array(Array{});
}

Result<Value> fn_regexp_in_file(Args a, RunContext& ctx) {
  PHALANX_TRY(std::string_view text, want_string(a[0], "RegexpInFile"));
  PHALANX_TRY(std::string_view name, want_string(a[1], "RegexpInFile"));
  if (ctx.data_files != nullptr) {
    if (auto file = ctx.data_files->regexps(name)) return Value::boolean(file->matches(text));
  }
  return Value::boolean(false);
}

Result<Value> fn_lookup_file(Args a, RunContext& ctx) {
  PHALANX_TRY(std::string_view haystack, want_string(a[0], "LookupFile"));
  PHALANX_TRY(std::string_view name, want_string(a[1], "LookupFile"));
  if (ctx.data_files != nullptr) {
    if (auto file = ctx.data_files->map(name)) return Value::view(file->lookup(haystack));
  }
  return Value::view("");
}

Result<Value> fn_file_map(Args a, RunContext& ctx) {
  PHALANX_TRY(std::string_view name, want_string(a[0], "FileMap"));
  if (ctx.data_files != nullptr) {
    if (auto file = ctx.data_files->map(name)) return file->array().borrowed();
  }
  return Value::array(Array{});
}

Result<Value> fn_get_from_stash(Args a, RunContext& ctx) {
  PHALANX_TRY(std::string_view name, want_string(a[0], "GetFromStash"));
  PHALANX_TRY(std::string_view key, want_string(a[1], "GetFromStash"));
  if (ctx.stash == nullptr) return Value::view("");
  auto value = ctx.stash->get(name, key);
  return value ? Value::string(std::move(*value)) : Value::view("");
}

Result<Value> fn_set_in_stash(Args a, RunContext& ctx) {
  PHALANX_TRY(std::string_view name, want_string(a[0], "SetInStash"));
  PHALANX_TRY(std::string_view key, want_string(a[1], "SetInStash"));
  PHALANX_TRY(std::string_view value, want_string(a[2], "SetInStash"));
  Duration ttl{0};
  if (a.size() > 3 && a[3].is_duration()) ttl = a[3].as_duration();
  if (ctx.stash == nullptr) return Error("SetInStash: no stash configured");
  ctx.stash->set(name, key, value, ttl);
  return Value();
}

Result<DecisionCounter*> counter(RunContext& ctx, std::string_view fn) {
  if (ctx.decisions == nullptr) {
    return Error(std::string(fn) + ": no decision store available in this context");
  }
  return ctx.decisions;
}

Result<Value> fn_decisions_count(Args a, RunContext& ctx) {
  PHALANX_TRY(std::string_view value, want_string(a[0], "GetDecisionsCount"));
  PHALANX_TRY(DecisionCounter * c, counter(ctx, "GetDecisionsCount"));
  PHALANX_TRY(int64_t n, c->count(value));
  return Value::integer(n);
}

Result<Value> fn_decisions_since_count(Args a, RunContext& ctx) {
  PHALANX_TRY(std::string_view value, want_string(a[0], "GetDecisionsSinceCount"));
  PHALANX_TRY(std::string_view since, want_string(a[1], "GetDecisionsSinceCount"));
  PHALANX_TRY(DecisionCounter * c, counter(ctx, "GetDecisionsSinceCount"));
  auto d = parse_go_duration(since, /*allow_days=*/true);
  if (!d) return Value::integer(0);  // CrowdSec logs the bad duration and answers 0
  PHALANX_TRY(int64_t n, c->count_since(value, *d));
  return Value::integer(n);
}

Result<Value> fn_active_decisions_count(Args a, RunContext& ctx) {
  PHALANX_TRY(std::string_view value, want_string(a[0], "GetActiveDecisionsCount"));
  PHALANX_TRY(DecisionCounter * c, counter(ctx, "GetActiveDecisionsCount"));
  PHALANX_TRY(int64_t n, c->count_active(value));
  return Value::integer(n);
}

Result<Value> fn_active_decisions_time_left(Args a, RunContext& ctx) {
  PHALANX_TRY(std::string_view value, want_string(a[0], "GetActiveDecisionsTimeLeft"));
  PHALANX_TRY(DecisionCounter * c, counter(ctx, "GetActiveDecisionsTimeLeft"));
  PHALANX_TRY(Duration d, c->active_time_left(value));
  return Value::duration(d);
}

constexpr FunctionSpec kDataHelpers[] = {
    {"File", 1, 1, fn_file, false},
    {"RegexpInFile", 2, 2, fn_regexp_in_file, false},
    {"LookupFile", 2, 2, fn_lookup_file, false},
    {"FileMap", 1, 1, fn_file_map, false},
    {"GetFromStash", 2, 2, fn_get_from_stash, false},
    {"SetInStash", 3, 4, fn_set_in_stash, false},
    {"GetDecisionsCount", 1, 1, fn_decisions_count, false},
    {"GetDecisionsSinceCount", 2, 2, fn_decisions_since_count, false},
    {"GetActiveDecisionsCount", 1, 1, fn_active_decisions_count, false},
    {"GetActiveDecisionsTimeLeft", 1, 1, fn_active_decisions_time_left, false},
};

}  // namespace

std::span<const FunctionSpec> data_helpers() {
  return kDataHelpers;
}

}  // namespace phalanx::expr::detail

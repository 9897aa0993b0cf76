// SPDX-License-Identifier: Apache-2.0
// The expression language (expr-lang v1.17 as used by CrowdSec hub content): compile() turns
// source text into an immutable Program; Program::run() evaluates it against variables bound
// by position.
//
//   CompileOptions opts{.variables = {"evt"}, .data_files = &files};
//   PHALANX_TRY(auto prog, expr::compile("evt.Meta.log_type == 'ssh_failed-auth'", opts));
//   expr::RunContext ctx{.data_files = &files};
//   Value evt = Value::object(&event);
//   PHALANX_TRY(Value v, prog.run({&evt, 1}, ctx));
//
// Typical environments: parsers and scenario filter/groupby/distinct {"evt"}; condition
// {"evt", "queue", "leaky"}; overflow_filter {"queue", "signal", "leaky"}; profiles {"Alert"};
// hubtest asserts {"results"}.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "expr/value.h"

namespace phalanx::expr {

class DataFiles;
class DecisionCounter;
class EventMemo;
class Stash;

// What a run may reach besides its variables. Every pointer is optional; helpers that need a
// missing one fail at run time (GetFromStash without a stash reads ""; File() without data
// files returns []). Not owned; must outlive the run.
struct RunContext {
  const DataFiles* data_files = nullptr;
  Stash* stash = nullptr;
  const Clock* clock = nullptr;  // now(), TimeNow(); null: the system clock
  DecisionCounter* decisions = nullptr;
  // Cache of pure calls shared by the runs on one event (event_memo.h); null: no caching.
  EventMemo* memo = nullptr;
};

// A function supplied by the embedder, callable by name from expressions.
struct HostFunction {
  std::string name{};
  size_t min_args = 0;
  size_t max_args = 0;  // SIZE_MAX: variadic
  std::function<Result<Value>(std::span<const Value> args, RunContext& ctx)> fn{};
};

struct CompileOptions {
  // The names an expression may use as variables, in binding order. Any other identifier
  // (that is not a let-binding) is a compile error.
  std::vector<std::string> variables{};
  // When set, File()/RegexpInFile()/LookupFile() calls with a constant file name are bound at
  // compile time, and any(File(C), {pred}) idioms are compiled to indexes (hash set, one
  // automaton, CIDR table). Must outlive compile(); the program keeps the files it uses.
  const DataFiles* data_files = nullptr;
  // Extra functions; they shadow built-ins of the same name.
  std::vector<HostFunction> functions{};
  // Constant folding and the data-file indexes (off only to measure what they bring).
  bool optimize = true;
};

// A top-level conjunct `<var>.<path> == "literal"` or `<var>.<path> in ["a", "b"]`: the
// program can only be true when the value at path is one of values.
struct EqualityConstraint {
  std::vector<std::string> path;    // {"evt", "Meta", "log_type"}
  std::vector<std::string> values;  // {"ssh_failed-auth"}
  size_t conjunct = 0;              // which top-level conjunct, counted from 0 (see compile())
};

// A top-level conjunct that can only hold when a literal occurs in the text of an expression
// S over the variables: `S contains "lit"` (or startsWith, endsWith, ==, `in [...]`),
// `S matches "re"`, or `any(File("f"), {S contains #})` (startsWith, endsWith, ==; # may be
// folded by Upper or Lower) over a data file the compiler binds, whose lines are then the
// literals. S is a variable's path or calls of pure built-ins over paths and literals
// (Upper(PathUnescape(evt.Meta.http_path))). A `||` of such tests holds when one of them
// does. Leading `let` bindings of such expressions are seen through, and literals written as
// Upper("...") or Lower("...") are folded. The scenario router matches every scenario's
// literals against an event at once and skips the filters that cannot be true.
struct LiteralConstraint {
  struct Test {
    std::string subject;                          // S as source text, compiles as S
    std::vector<std::vector<std::string>> reads;  // the paths S reads: {"evt", "Meta", "x"}
    // The test can only hold when one of these occurs in S's text (none: it never holds).
    // None is empty. With `regex`, the one literal is a regexp (`S matches literals[0]`).
    std::vector<std::string> literals;
    bool regex = false;
  };
  std::vector<Test> any;
};

namespace detail {
struct CompiledProgram;
}

// An immutable compiled expression. Cheap to copy (shared); run() may be called from several
// threads at once, each with its own RunContext and variables.
class Program {
 public:
  Program() = default;

  // Evaluates with vars bound to CompileOptions::variables by index. Errors: wrong number of
  // variables, and runtime errors ("cannot fetch x from <nil>", "invalid operation: int +
  // string", ...); callers decide whether an error means false.
  Result<Value> run(std::span<const Value> vars, RunContext& ctx) const;
  Result<Value> run(std::span<const Value> vars) const {
    RunContext ctx;
    return run(vars, ctx);
  }

  // True when the expression folded to a constant at compile time ("1==1").
  bool is_constant() const;
  // The folded value when is_constant().
  std::optional<Value> constant_value() const;
  // Equality constraints of the top-level conjuncts, for routing indexes. Empty when none.
  const std::vector<EqualityConstraint>& equality_constraints() const;
  const std::string& source() const;
  // Whether the program was compiled (a default-constructed Program was not).
  bool valid() const { return impl_ != nullptr; }

 private:
  friend Result<Program> compile(std::string_view, const CompileOptions&, std::span<const size_t>);
  std::shared_ptr<const detail::CompiledProgram> impl_;
};

// Compiles source. Errors carry the offending token and its 1-based column, e.g.
// "unknown function Foo at column 12", "unknown name foo at column 1", "unexpected token ')'
// at column 7", "invalid regexp '(' at column 10: missing )"; the caller adds file and item.
// Thread-safe.
Result<Program> compile(std::string_view source, const CompileOptions& options);
// compile(), with the top-level conjuncts numbered in `established` (EqualityConstraint::
// conjunct of the full program) taken as true and left out. For a caller that has tested them
// itself: the scenario router finds a scenario by the field values its filter requires, and
// then runs the rest of the filter only. Dropping a conjunct that holds changes no result; a
// number past the last conjunct is ignored.
Result<Program> compile(std::string_view source, const CompileOptions& options,
                        std::span<const size_t> established);

// The literal constraints of the top-level conjuncts of `source` that are not equality
// constraints, for the scenario router. Computed on request rather than kept by every compiled
// program: a data file's lines become literals, and only the router wants them. Errors: as
// compile() where the source does not parse.
Result<std::vector<LiteralConstraint>> literal_constraints(std::string_view source,
                                                           const CompileOptions& options);

// The names of every built-in function (expr-lang builtins and CrowdSec helpers).
std::vector<std::string> builtin_function_names();

}  // namespace phalanx::expr

// SPDX-License-Identifier: Apache-2.0
#include "expr/program.h"

#include <cstddef>
#include <memory>
#include <new>

#include "expr/builtins.h"
#include "expr/compiler.h"

namespace phalanx::expr {
namespace detail {
namespace {

// A path var.a.b["c"] rooted at a variable, as a list of names; empty when not a path.
std::vector<std::string> path_of(const Ast& a, const std::vector<std::string>& variables) {
  if (a.kind == AstKind::kIdent) {
    for (const std::string& v : variables) {
      if (v == a.text) return {a.text};
    }
    return {};
  }
  if (a.kind != AstKind::kMember || a.optional || a.kids[1]->kind != AstKind::kString) return {};
  std::vector<std::string> path = path_of(*a.kids[0], variables);
  if (!path.empty()) path.push_back(a.kids[1]->text);
  return path;
}

// The top-level conjuncts of a, in order (const Ast or Ast).
template <typename A, typename Out>
void collect_conjuncts(A& a, std::vector<Out*>& out) {
  if (a.kind == AstKind::kBinary && a.text == "&&") {
    for (const auto& kid : a.kids)
      collect_conjuncts(*kid, out);
    return;
  }
  out.push_back(&a);
}

std::optional<EqualityConstraint> constraint_of(const Ast& a,
                                                const std::vector<std::string>& variables) {
  if (a.kind != AstKind::kBinary) return std::nullopt;
  const Ast& l = *a.kids[0];
  const Ast& r = *a.kids[1];
  EqualityConstraint c;
  if (a.text == "==") {
    if (r.kind == AstKind::kString) {
      c.path = path_of(l, variables);
      c.values = {r.text};
    } else if (l.kind == AstKind::kString) {
      c.path = path_of(r, variables);
      c.values = {l.text};
    }
  } else if (a.text == "in" && r.kind == AstKind::kArray) {
    for (const auto& item : r.kids) {
      if (item->kind != AstKind::kString) return std::nullopt;
      c.values.push_back(item->text);
    }
    c.path = path_of(l, variables);
  }
  // A bare variable (evt == 'x') is no routing key: require at least one field.
  if (c.path.size() < 2) return std::nullopt;
  return c;
}

}  // namespace

std::vector<EqualityConstraint> extract_constraints(const Ast& root,
                                                    const std::vector<std::string>& variables) {
  std::vector<const Ast*> conjuncts;
  collect_conjuncts(root, conjuncts);
  std::vector<EqualityConstraint> out;
  for (size_t i = 0; i < conjuncts.size(); ++i) {
    if (auto constraint = constraint_of(*conjuncts[i], variables)) {
      constraint->conjunct = i;
      out.push_back(std::move(*constraint));
    }
  }
  return out;
}

const FunctionSpec* find_builtin(std::string_view name) {
  for (auto table : {expr_builtins(), string_helpers(), json_helpers(), net_helpers(),
                     data_helpers(), misc_helpers()}) {
    for (const FunctionSpec& spec : table) {
      if (spec.name == name) return &spec;
    }
  }
  return nullptr;
}

}  // namespace detail

Result<Program> compile(std::string_view source, const CompileOptions& options) {
  return compile(source, options, {});
}

Result<Program> compile(std::string_view source, const CompileOptions& options,
                        std::span<const size_t> established) {
  PHALANX_TRY(detail::AstPtr ast, detail::parse(source));
  std::vector<detail::Ast*> conjuncts;
  detail::collect_conjuncts(*ast, conjuncts);
  for (size_t i : established) {
    if (i >= conjuncts.size()) continue;
    // The literal true in its place. The compiler drops it where it leads the chain, as in
    // `true && x`, and keeps it elsewhere.
    detail::Ast& c = *conjuncts[i];
    c.kind = detail::AstKind::kBool;
    c.bool_value = true;
    c.text.clear();
    c.kids.clear();
  }
  auto compiled = std::make_shared<detail::CompiledProgram>();
  compiled->source = std::string(source);
  compiled->var_count = options.variables.size();
  detail::Compiler compiler(options, *compiled);
  PHALANX_TRY(compiled->root, compiler.compile(*ast));
  compiled->constraints = detail::extract_constraints(*ast, options.variables);
  Program program;
  program.impl_ = std::move(compiled);
  return program;
}

Result<Value> Program::run(std::span<const Value> vars, RunContext& ctx) const {
  if (!impl_) return Error("running expression: not compiled");
  if (vars.size() != impl_->var_count) {
    return Error("running expression: expected " + std::to_string(impl_->var_count) +
                 " variables, got " + std::to_string(vars.size()));
  }
  // Locals live on the stack for the common case, so a run does not allocate. Only the slots
  // the program uses are constructed: most filters and statics use none, and building and
  // destroying a dozen Values for them was about 3% of a replay's instructions.
  constexpr size_t kInlineSlots = 12;
  const size_t count = impl_->slot_count;
  if (count > kInlineSlots) {
    std::vector<Value> heap_slots(count);
    detail::Frame frame{vars, &ctx, heap_slots.data()};
    return impl_->root->eval(frame);
  }
  struct InlineSlots {
    alignas(Value) std::byte storage[kInlineSlots * sizeof(Value)];
    size_t n;
    explicit InlineSlots(size_t count) : n(count) {
      std::uninitialized_default_construct_n(reinterpret_cast<Value*>(storage), n);
    }
    ~InlineSlots() { std::destroy_n(data(), n); }
    // The Values exist only once constructed; with none, there is nothing to point at.
    Value* data() { return n == 0 ? nullptr : std::launder(reinterpret_cast<Value*>(storage)); }
  } inline_slots(count);
  detail::Frame frame{vars, &ctx, inline_slots.data()};
  return impl_->root->eval(frame);
}

bool Program::is_constant() const {
  return impl_ && impl_->root->constant() != nullptr;
}

std::optional<Value> Program::constant_value() const {
  if (!is_constant()) return std::nullopt;
  return *impl_->root->constant();
}

const std::vector<EqualityConstraint>& Program::equality_constraints() const {
  static const std::vector<EqualityConstraint> kNone;
  return impl_ ? impl_->constraints : kNone;
}

const std::string& Program::source() const {
  static const std::string kEmpty;
  return impl_ ? impl_->source : kEmpty;
}

std::vector<std::string> builtin_function_names() {
  std::vector<std::string> names = {"all",      "any",           "none",    "one",    "filter",
                                    "map",      "count",         "sum",     "find",   "findIndex",
                                    "findLast", "findLastIndex", "groupBy", "sortBy", "reduce"};
  for (auto table : {detail::expr_builtins(), detail::string_helpers(), detail::json_helpers(),
                     detail::net_helpers(), detail::data_helpers(), detail::misc_helpers()}) {
    for (const auto& spec : table)
      names.emplace_back(spec.name);
  }
  return names;
}

}  // namespace phalanx::expr

// SPDX-License-Identifier: Apache-2.0
#include "expr/program.h"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>

#include "expr/builtins.h"
#include "expr/compiler.h"
#include "expr/data_files.h"
#include "expr/go_format.h"
#include "expr/utf8.h"

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

// Prints subjects of literal constraints (see LiteralConstraint) as source text.
class SubjectPrinter {
 public:
  explicit SubjectPrinter(const CompileOptions& options)
      : variables_(options.variables),
        functions_(options.functions),
        builtin_case_(!hosted("Upper") && !hosted("Lower")),
        files_(options.data_files) {}

  struct Printed {
    std::string text;
    std::vector<std::vector<std::string>> reads;
  };

  // A `let` in front of the conjuncts: its name stands for the printed value from now on, or
  // for nothing printable (it may hide a variable).
  void bind(const std::string& name, std::optional<Printed> value) {
    lets_.emplace_back(name, std::move(value));
  }

  std::optional<Printed> subject(const Ast& a) const {
    Printed out;
    if (!print(a, out, true)) return std::nullopt;
    return out;
  }

  // The lines of File("name") when the compiler binds it to a loaded string file.
  std::shared_ptr<const StringFile> file(const Ast& a) const {
    if (a.kind != AstKind::kCall || a.text != "File" || a.kids.size() != 1 ||
        a.kids[0]->kind != AstKind::kString || files_ == nullptr || hosted("File")) {
      return nullptr;
    }
    return files_->strings(a.kids[0]->text);
  }

  // #, Upper(#) or Lower(#): how the element is folded; nullopt for anything else.
  std::optional<std::string (*)(std::string_view)> element(const Ast& a) const {
    auto is_element = [](const Ast& e) { return e.kind == AstKind::kPointer && e.text.empty(); };
    if (is_element(a)) return [](std::string_view v) { return std::string(v); };
    if (a.kind == AstKind::kCall && a.kids.size() == 1 && is_element(*a.kids[0]) && builtin_case_) {
      if (a.text == "Upper") return &go_to_upper;
      if (a.text == "Lower") return &go_to_lower;
    }
    return std::nullopt;
  }

  // The text of a string literal, folded when written as Upper("...") or Lower("...").
  std::optional<std::string> literal(const Ast& a) const {
    if (a.kind == AstKind::kString) return a.text;
    if (a.kind == AstKind::kCall && a.kids.size() == 1 && a.kids[0]->kind == AstKind::kString &&
        builtin_case_) {
      if (a.text == "Upper") return go_to_upper(a.kids[0]->text);
      if (a.text == "Lower") return go_to_lower(a.kids[0]->text);
    }
    return std::nullopt;
  }

 private:
  bool print(const Ast& a, Printed& out, bool top) const {
    switch (a.kind) {
      case AstKind::kIdent: {
        for (auto it = lets_.rbegin(); it != lets_.rend(); ++it) {
          if (it->first != a.text) continue;
          if (!it->second) return false;
          out.text += it->second->text;  // a path or a call: no parentheses needed
          out.reads.insert(out.reads.end(), it->second->reads.begin(), it->second->reads.end());
          return true;
        }
        return false;  // a bare variable is no field
      }
      case AstKind::kMember: {
        std::vector<std::string> path = path_of(a, variables_);
        if (path.size() < 2 || shadowed(path[0])) return false;
        out.text += path[0];
        for (size_t i = 1; i < path.size(); ++i)
          out.text += "[" + go_quote(path[i]) + "]";
        out.reads.push_back(std::move(path));
        return true;
      }
      case AstKind::kString:
        if (top) return false;
        out.text += go_quote(a.text);
        return true;
      case AstKind::kCall: {
        const FunctionSpec* spec = find_builtin(a.text);
        if (spec == nullptr || !spec->pure || a.kids.empty() || hosted(a.text)) return false;
        out.text += a.text + "(";
        for (size_t i = 0; i < a.kids.size(); ++i) {
          if (i != 0) out.text += ", ";
          if (!print(*a.kids[i], out, false)) return false;
        }
        out.text += ")";
        return true;
      }
      default:
        return false;
    }
  }
  bool shadowed(const std::string& name) const {
    return std::any_of(lets_.begin(), lets_.end(), [&](const auto& l) { return l.first == name; });
  }
  bool hosted(std::string_view name) const {
    return std::any_of(functions_.begin(), functions_.end(),
                       [&](const HostFunction& f) { return f.name == name; });
  }

  const std::vector<std::string>& variables_;
  const std::vector<HostFunction>& functions_;
  bool builtin_case_;
  const DataFiles* files_;
  std::vector<std::pair<std::string, std::optional<Printed>>> lets_;
};

bool implies_substring(const std::string& op) {
  return op == "==" || op == "contains" || op == "startsWith" || op == "endsWith";
}

// any(File("f"), {S op #}): S must contain one of the file's lines (folded as # is).
bool file_test(const Ast& a, const SubjectPrinter& printer,
               std::vector<LiteralConstraint::Test>& any) {
  if (a.kids.size() != 2 || a.kids[1]->kind != AstKind::kClosure) return false;
  auto file = printer.file(*a.kids[0]);
  const Ast& body = *a.kids[1]->kids[0];
  if (!file || body.kind != AstKind::kBinary || !implies_substring(body.text)) return false;
  auto s = printer.subject(*body.kids[0]);
  auto fold = printer.element(*body.kids[1]);
  if ((!s || !fold) && body.text == "==") {
    s = printer.subject(*body.kids[1]);
    fold = printer.element(*body.kids[0]);
  }
  if (!s || !fold) return false;
  LiteralConstraint::Test test{s->text, s->reads, {}, false};
  for (const std::string& line : file->lines()) {
    test.literals.push_back((*fold)(line));
    if (test.literals.back().empty()) return false;  // every text contains ""
  }
  any.push_back(std::move(test));
  return true;
}

// Adds to `any` the tests of a || chain of literal tests; false when a is not one (or one of
// its literals is empty, which every text contains).
bool literal_tests(const Ast& a, const SubjectPrinter& printer,
                   std::vector<LiteralConstraint::Test>& any) {
  if (a.kind == AstKind::kCall && a.text == "any") return file_test(a, printer, any);
  if (a.kind != AstKind::kBinary) return false;
  if (a.text == "||") {
    for (const auto& kid : a.kids) {
      if (!literal_tests(*kid, printer, any)) return false;
    }
    return true;
  }
  const std::string& op = a.text;
  if (!implies_substring(op) && op != "in" && op != "matches") return false;
  const Ast& l = *a.kids[0];
  const Ast& r = *a.kids[1];
  if (op == "in") {
    auto s = printer.subject(l);
    if (!s || r.kind != AstKind::kArray || r.kids.empty()) return false;
    LiteralConstraint::Test test{s->text, s->reads, {}, false};
    for (const auto& item : r.kids) {
      auto literal = printer.literal(*item);
      if (!literal || literal->empty()) return false;
      test.literals.push_back(std::move(*literal));
    }
    any.push_back(std::move(test));
    return true;
  }
  auto s = printer.subject(l);
  auto literal = printer.literal(r);
  if ((!s || !literal) && op == "==") {
    s = printer.subject(r);
    literal = printer.literal(l);
  }
  if (!s || !literal || literal->empty()) return false;
  any.push_back({s->text, s->reads, {std::move(*literal)}, op == "matches"});
  return true;
}

}  // namespace

std::vector<LiteralConstraint> extract_literal_constraints(const Ast& root,
                                                           const CompileOptions& options) {
  SubjectPrinter printer(options);
  const Ast* body = &root;
  while (body->kind == AstKind::kLet) {
    printer.bind(body->text, printer.subject(*body->kids[0]));
    body = body->kids[1].get();
  }
  std::vector<const Ast*> conjuncts;
  collect_conjuncts(*body, conjuncts);
  std::vector<LiteralConstraint> out;
  for (const Ast* conjunct : conjuncts) {
    // An equality constraint routes the scenario already.
    if (body == &root && constraint_of(*conjunct, options.variables)) continue;
    LiteralConstraint c;
    if (literal_tests(*conjunct, printer, c.any)) out.push_back(std::move(c));
  }
  return out;
}

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

Result<std::vector<LiteralConstraint>> literal_constraints(std::string_view source,
                                                           const CompileOptions& options) {
  PHALANX_TRY(detail::AstPtr ast, detail::parse(source));
  return detail::extract_literal_constraints(*ast, options);
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

// SPDX-License-Identifier: Apache-2.0
#include "expr/data_index.h"

#include <re2/set.h>

#include <cmath>
#include <functional>
#include <set>
#include <unordered_set>

#include "expr/builtins.h"
#include "expr/compiler.h"
#include "expr/net_util.h"
#include "expr/ops.h"
#include "expr/re2_util.h"

namespace phalanx::expr::detail {
namespace {

class RegexpFileNode final : public Node {
 public:
  RegexpFileNode(NodePtr text, std::shared_ptr<const RegexpFile> file, int column)
      : Node(column), text_(std::move(text)), file_(std::move(file)) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value v, text_->eval(f));
    PHALANX_TRY(std::string_view s, want_string(v, "RegexpInFile"));
    return Value::boolean(file_->matches(s));
  }

 private:
  NodePtr text_;
  std::shared_ptr<const RegexpFile> file_;
};

class MapFileNode final : public Node {
 public:
  MapFileNode(NodePtr text, std::shared_ptr<const MapFile> file, int column)
      : Node(column), text_(std::move(text)), file_(std::move(file)) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value v, text_->eval(f));
    PHALANX_TRY(std::string_view s, want_string(v, "LookupFile"));
    return Value::view(file_->lookup(s));
  }

 private:
  NodePtr text_;
  std::shared_ptr<const MapFile> file_;
};

std::optional<std::string> constant_string(const NodePtr& node) {
  const Value* v = node ? node->constant() : nullptr;
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

// --- any(<constant strings>, {pred}) -------------------------------------------------------

// What a subtree reads.
struct Uses {
  bool element = false;  // '#' (or .field)
  bool other = false;    // variables, let names, #index, #acc, methods, impure calls, closures
};

void scan(const Ast& a, Uses& u) {
  switch (a.kind) {
    case AstKind::kPointer:
      (a.text.empty() ? u.element : u.other) = true;
      break;
    case AstKind::kIdent:
    case AstKind::kMethod:
    case AstKind::kClosure:
    case AstKind::kLet:
      u.other = true;
      break;
    case AstKind::kCall: {
      const FunctionSpec* spec = find_builtin(a.text);
      if (spec == nullptr || !spec->pure) u.other = true;
      break;
    }
    default:
      break;
  }
  for (const auto& k : a.kids) {
    if (k) scan(*k, u);
  }
}

Uses uses(const Ast& a) {
  Uses u;
  scan(a, u);
  return u;
}

// X: free of the element, and safe to evaluate once instead of once per element.
bool is_free(const Ast& a) {
  Uses u = uses(a);
  if (u.element) return false;
  // Variables are fine; what must not be there is anything with a side effect.
  std::function<bool(const Ast&)> pure = [&](const Ast& n) {
    if (n.kind == AstKind::kMethod || n.kind == AstKind::kClosure || n.kind == AstKind::kPointer) {
      return false;
    }
    if (n.kind == AstKind::kCall) {
      const FunctionSpec* spec = find_builtin(n.text);
      if (spec == nullptr || !spec->pure) return false;
    }
    for (const auto& k : n.kids) {
      if (k && !pure(*k)) return false;
    }
    return true;
  };
  return pure(a);
}

bool element_only(const Ast& a) {
  Uses u = uses(a);
  return !u.other;
}

struct Matcher {
  MatchKind kind;
  const Ast* x;  // the per-event side
  const Ast* g;  // the per-line side
};

std::optional<Matcher> matcher_of(const Ast& a) {
  if (a.kind == AstKind::kCall && a.text == "IpInRange" && a.kids.size() == 2) {
    if (is_free(*a.kids[0]) && element_only(*a.kids[1]) && uses(*a.kids[1]).element) {
      return Matcher{MatchKind::kInRange, a.kids[0].get(), a.kids[1].get()};
    }
    return std::nullopt;
  }
  if (a.kind != AstKind::kBinary) return std::nullopt;
  const Ast& l = *a.kids[0];
  const Ast& r = *a.kids[1];
  bool r_elem = element_only(r) && uses(r).element;
  if (a.text == "==") {
    if (is_free(l) && r_elem) return Matcher{MatchKind::kEquals, &l, &r};
    if (is_free(r) && element_only(l) && uses(l).element) {
      return Matcher{MatchKind::kEquals, &r, &l};
    }
    return std::nullopt;
  }
  if (!is_free(l) || !r_elem) return std::nullopt;
  if (a.text == "contains") return Matcher{MatchKind::kContains, &l, &r};
  if (a.text == "startsWith") return Matcher{MatchKind::kStartsWith, &l, &r};
  if (a.text == "endsWith") return Matcher{MatchKind::kEndsWith, &l, &r};
  return std::nullopt;
}

void conjuncts(const Ast& a, std::vector<const Ast*>& out) {
  if (a.kind == AstKind::kBinary && a.text == "&&") {
    for (const auto& kid : a.kids)
      conjuncts(*kid, out);
  } else {
    out.push_back(&a);
  }
}

struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The precomputed lines and the index over them; shared by the node.
struct LineIndex {
  MatchKind kind;
  std::vector<std::string> values;
  std::unordered_set<std::string_view, ViewHash, std::equal_to<>> set;
  std::set<size_t> lengths;  // startsWith / endsWith: distinct lengths, probed per event
  std::unique_ptr<RE2::Set> automaton;
  bool has_empty = false;
  CidrTable cidrs;
};

Result<bool> probe(const LineIndex& idx, const Value& x) {
  if (idx.kind == MatchKind::kEquals) {
    return x.is_string() && idx.set.find(x.as_string()) != idx.set.end();
  }
  PHALANX_TRY(std::string_view s,
              want_string(x, idx.kind == MatchKind::kInRange ? "IpInRange" : "any"));
  switch (idx.kind) {
    case MatchKind::kContains:
      return idx.has_empty || idx.automaton->Match(piece(s), nullptr);
    case MatchKind::kStartsWith:
    case MatchKind::kEndsWith:
      for (size_t len : idx.lengths) {
        if (len > s.size()) break;
        std::string_view part =
            idx.kind == MatchKind::kStartsWith ? s.substr(0, len) : s.substr(s.size() - len);
        if (idx.set.find(part) != idx.set.end()) return true;
      }
      return false;
    case MatchKind::kInRange: {
      auto addr = net::IpAddress::parse(s);
      return addr && idx.cidrs.contains(*addr);
    }
    default:
      return false;
  }
}

class IndexedAnyNode final : public Node {
 public:
  IndexedAnyNode(NodePtr x, std::shared_ptr<const LineIndex> index, int column)
      : Node(column), x_(std::move(x)), index_(std::move(index)) {}
  Result<Value> eval(Frame& f) const override {
    // No line passed the per-line conditions: the loop would never evaluate the event side.
    if (index_->values.empty()) return Value::boolean(false);
    PHALANX_TRY(Value x, x_->eval(f));
    PHALANX_TRY(bool hit, probe(*index_, x));
    return Value::boolean(hit);
  }

 private:
  NodePtr x_;
  std::shared_ptr<const LineIndex> index_;
};

Result<bool> build_index(LineIndex& idx) {
  for (const std::string& v : idx.values) {
    idx.set.insert(v);
    idx.lengths.insert(v.size());
    if (v.empty()) idx.has_empty = true;
  }
  if (idx.kind == MatchKind::kContains && !idx.values.empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(256 << 20);
    idx.automaton = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
    for (const std::string& v : idx.values) {
      if (idx.automaton->Add(RE2::QuoteMeta(piece(v)), nullptr) < 0) return false;
    }
    if (!idx.automaton->Compile()) return false;
  }
  if (idx.kind == MatchKind::kInRange) {
    for (const std::string& v : idx.values) {
      // IpInRange answers false for a line that is not a CIDR: such lines never match.
      if (auto cidr = parse_go_cidr(v)) idx.cidrs.add(*cidr);
    }
    idx.cidrs.finish();
  }
  return true;
}

}  // namespace

Result<NodePtr> bind_data_call(std::string_view function, std::vector<NodePtr>& args,
                               const DataFiles& files, CompiledProgram& program, int column) {
  if (function == "File") {
    auto name = constant_string(args[0]);
    if (!name) return NodePtr();
    auto file = files.strings(*name);
    if (!file) return NodePtr();
    program.keep_alive.push_back(file);
    return make_const_kept(file->array(), column);
  }
  if (function == "RegexpInFile" || function == "LookupFile") {
    auto name = constant_string(args[1]);
    if (!name) return NodePtr();
    if (function == "RegexpInFile") {
      auto file = files.regexps(*name);
      if (!file) return NodePtr();
      return std::make_unique<RegexpFileNode>(std::move(args[0]), std::move(file), column);
    }
    auto file = files.map(*name);
    if (!file) return NodePtr();
    return std::make_unique<MapFileNode>(std::move(args[0]), std::move(file), column);
  }
  return NodePtr();
}

bool element_only_ast(const Ast& a) {
  Uses u = uses(a);
  return u.element && !u.other;
}

bool pure_ast(const Ast& a) {
  if (a.kind == AstKind::kMethod || a.kind == AstKind::kClosure) return false;
  if (a.kind == AstKind::kCall) {
    const FunctionSpec* spec = find_builtin(a.text);
    if (spec == nullptr || !spec->pure) return false;
  }
  for (const auto& k : a.kids) {
    if (k && !pure_ast(*k)) return false;
  }
  return true;
}

bool same_ast(const Ast& a, const Ast& b) {
  if (a.kind != b.kind || a.text != b.text || a.int_value != b.int_value ||
      a.bool_value != b.bool_value || a.optional != b.optional || a.kids.size() != b.kids.size() ||
      !(a.float_value == b.float_value ||
        (std::isnan(a.float_value) && std::isnan(b.float_value)))) {
    return false;
  }
  for (size_t i = 0; i < a.kids.size(); ++i) {
    if (!a.kids[i] || !b.kids[i]) {
      if (a.kids[i] || b.kids[i]) return false;
      continue;
    }
    if (!same_ast(*a.kids[i], *b.kids[i])) return false;
  }
  return true;
}

Result<NodePtr> make_literal_match(MatchKind kind, NodePtr x, std::vector<std::string> literals,
                                   int column) {
  auto index = std::make_shared<LineIndex>();
  index->kind = kind;
  index->values = std::move(literals);
  PHALANX_TRY(bool built, build_index(*index));
  if (!built) return NodePtr();
  return std::make_unique<IndexedAnyNode>(std::move(x), std::move(index), column);
}

Result<NodePtr> try_index_any(const Value& array, const Ast& body, Compiler& compiler,
                              ClosureSlots slots, int column) {
  if (!array.is_array()) return NodePtr();
  for (const Value& v : array.as_array()) {
    if (!v.is_string()) return NodePtr();
  }
  std::vector<const Ast*> parts;
  conjuncts(body, parts);
  std::optional<Matcher> matcher;
  std::vector<const Ast*> filters;
  for (const Ast* part : parts) {
    if (element_only(*part)) {
      filters.push_back(part);
    } else if (!matcher && (matcher = matcher_of(*part))) {
      continue;
    } else {
      return NodePtr();
    }
  }
  if (!matcher) return NodePtr();

  std::vector<NodePtr> filter_nodes;
  for (const Ast* part : filters) {
    PHALANX_TRY(NodePtr n, compiler.compile(*part));
    filter_nodes.push_back(std::move(n));
  }
  PHALANX_TRY(NodePtr g, compiler.compile(*matcher->g));
  PHALANX_TRY(NodePtr x, compiler.compile(*matcher->x));

  // Evaluate the per-line side for every line now, keeping lines that pass the filters.
  auto index = std::make_shared<LineIndex>();
  index->kind = matcher->kind;
  RunContext ctx;
  std::vector<Value> frame_slots(compiler.program().slot_count);
  Frame frame{{}, &ctx, frame_slots.data()};
  const Array& lines = array.as_array();
  for (size_t i = 0; i < lines.size(); ++i) {
    frame_slots[slots.element] = lines[i];
    frame_slots[slots.index] = Value::integer(static_cast<int64_t>(i));
    bool keep = true;
    for (const NodePtr& filter : filter_nodes) {
      auto r = filter->eval(frame);
      if (!r || !r->is_bool()) return NodePtr();  // let the loop report it at run time
      keep = keep && r->as_bool();
    }
    if (!keep) continue;
    auto value = g->eval(frame);
    if (!value || !value->is_string()) return NodePtr();
    index->values.emplace_back(value->as_string());
  }
  PHALANX_TRY(bool built, build_index(*index));
  if (!built) return NodePtr();
  return std::make_unique<IndexedAnyNode>(std::move(x), std::move(index), column);
}

}  // namespace phalanx::expr::detail

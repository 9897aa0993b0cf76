// SPDX-License-Identifier: Apache-2.0
// Evaluator nodes for values, access paths and operators.
#include <unordered_set>

#include "expr/node.h"
#include "expr/ops.h"
#include "expr/re2_util.h"

namespace phalanx::expr::detail {
namespace {

class ConstNode final : public Node {
 public:
  ConstNode(Value value, int column, bool copy)
      : Node(column), owned_(copy ? value.to_owned() : value), view_(owned_.borrowed()) {}
  // Constants hand out borrowed copies: copying them touches no reference count, so
  // concurrent runs of one program do not contend on a shared cache line.
  Result<Value> eval(Frame&) const override { return view_; }
  const Value* constant() const override { return &owned_; }

 private:
  Value owned_;
  Value view_;
};

class VarNode final : public Node {
 public:
  VarNode(size_t index, int column) : Node(column), index_(index) {}
  Result<Value> eval(Frame& f) const override { return f.vars[index_]; }
  bool memo_form(std::string& out) const override {
    out += 'v';
    out += std::to_string(index_);
    return true;
  }

 private:
  size_t index_;
};

class SlotNode final : public Node {
 public:
  SlotNode(size_t slot, int column) : Node(column), slot_(slot) {}
  Result<Value> eval(Frame& f) const override { return f.slots[slot_]; }

 private:
  size_t slot_;
};

// a.b.c: one node for a chain of constant keys. After an optional step (a?.b), a nil on the
// rest of the chain yields nil as well, like expr-lang's chain short-circuit.
class PathNode final : public Node {
 public:
  PathNode(NodePtr base, int column) : Node(column), base_(std::move(base)) {}
  void add(std::string key, bool optional) {
    keys_.push_back(std::move(key));
    optional_.push_back(optional || (!optional_.empty() && optional_.back()));
  }
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value v, base_->eval(f));
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (v.is_object()) {
        v = v.as_object().get(keys_[i]);  // the common case: event fields, string maps
        continue;
      }
      PHALANX_TRY(v, fetch_field(v, keys_[i], optional_[i]));
    }
    return v;
  }
  bool all_plain() const {
    for (bool o : optional_) {
      if (o) return false;
    }
    return true;
  }
  bool memo_form(std::string& out) const override {
    if (!all_plain() || !base_->memo_form(out)) return false;
    for (const std::string& k : keys_) {
      out += '.';
      out += k;
    }
    return true;
  }

 private:
  NodePtr base_;
  std::vector<std::string> keys_;
  std::vector<bool> optional_;
};

class MemberNode final : public Node {
 public:
  MemberNode(NodePtr object, NodePtr key, bool optional, int column)
      : Node(column), object_(std::move(object)), key_(std::move(key)), optional_(optional) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value obj, object_->eval(f));
    if (obj.is_nil() && optional_) return Value();
    PHALANX_TRY(Value key, key_->eval(f));
    return fetch(obj, key, optional_);
  }

 private:
  NodePtr object_, key_;
  bool optional_;
};

class SliceNode final : public Node {
 public:
  SliceNode(NodePtr object, NodePtr from, NodePtr to, int column)
      : Node(column), object_(std::move(object)), from_(std::move(from)), to_(std::move(to)) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value obj, object_->eval(f));
    Value from, to;
    if (from_) {
      PHALANX_TRY(from, from_->eval(f));
    }
    if (to_) {
      PHALANX_TRY(to, to_->eval(f));
    }
    return slice(obj, from_ ? &from : nullptr, to_ ? &to : nullptr);
  }

 private:
  NodePtr object_, from_, to_;
};

Error not_bool(std::string_view op, const Value& v) {
  return Error("invalid operation: " + std::string(op) + " on " + go_type_name(v) +
               " (expected bool)");
}

class NotNode final : public Node {
 public:
  NotNode(NodePtr operand, int column) : Node(column), operand_(std::move(operand)) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value v, operand_->eval(f));
    if (!v.is_bool()) return not_bool("not", v);
    return Value::boolean(!v.as_bool());
  }

 private:
  NodePtr operand_;
};

class NegateNode final : public Node {
 public:
  NegateNode(NodePtr operand, int column) : Node(column), operand_(std::move(operand)) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value v, operand_->eval(f));
    return negate(v);
  }

 private:
  NodePtr operand_;
};

// and/or over n operands: every operand but the last must be a bool (expr-lang's jump
// instructions assert it); the last operand's value is the result as is.
class LogicNode final : public Node {
 public:
  LogicNode(bool is_and, std::vector<NodePtr> operands, int column)
      : Node(column), is_and_(is_and), operands_(std::move(operands)) {}
  Result<Value> eval(Frame& f) const override {
    size_t last = operands_.size() - 1;
    for (size_t i = 0; i < last; ++i) {
      PHALANX_TRY(Value v, operands_[i]->eval(f));
      if (!v.is_bool()) return not_bool(is_and_ ? "&&" : "||", v);
      if (v.as_bool() != is_and_) return v;
    }
    return operands_[last]->eval(f);
  }

 private:
  bool is_and_;
  std::vector<NodePtr> operands_;
};

Result<bool> string_op(BinOp op, const Value& a, const Value& b) {
  if (!a.is_string() || !b.is_string()) {
    std::string_view name = op == BinOp::kContains     ? "contains"
                            : op == BinOp::kStartsWith ? "startsWith"
                                                       : "endsWith";
    return Error("invalid operation: " + go_type_name(a) + " " + std::string(name) + " " +
                 go_type_name(b));
  }
  std::string_view x = a.as_string(), y = b.as_string();
  switch (op) {
    case BinOp::kContains:
      return x.find(y) != std::string_view::npos;
    case BinOp::kStartsWith:
      return x.starts_with(y);
    default:
      return x.ends_with(y);
  }
}

Result<Value> make_range(const Value& a, const Value& b) {
  if (!a.is_int() || !b.is_int()) {
    return Error("invalid operation: " + go_type_name(a) + ".." + go_type_name(b));
  }
  int64_t lo = a.as_int(), hi = b.as_int();
  if (hi >= lo && static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) >= 1'000'000) {
    return Error("range " + std::to_string(lo) + ".." + std::to_string(hi) + " is too large");
  }
  Array items;
  for (int64_t i = lo; i <= hi; ++i)
    items.push_back(Value::integer(i));
  return Value::array(std::move(items));
}

Result<Value> match_dynamic(const Value& a, const Value& b) {
  if (!a.is_string() || !b.is_string()) {
    return Error("invalid operation: " + go_type_name(a) + " matches " + go_type_name(b));
  }
  PHALANX_TRY(auto re, compile_regexp(b.as_string()));
  std::string_view text = a.as_string();
  return Value::boolean(RE2::PartialMatch(piece(text), *re));
}

Result<Value> apply(BinOp op, const Value& a, const Value& b) {
  switch (op) {
    case BinOp::kEq:
      return Value::boolean(a == b);
    case BinOp::kNe:
      return Value::boolean(!(a == b));
    case BinOp::kLt:
    case BinOp::kLe:
    case BinOp::kGt:
    case BinOp::kGe: {
      auto cop = op == BinOp::kLt   ? CompareOp::kLt
                 : op == BinOp::kLe ? CompareOp::kLe
                 : op == BinOp::kGt ? CompareOp::kGt
                                    : CompareOp::kGe;
      PHALANX_TRY(bool r, compare(cop, a, b));
      return Value::boolean(r);
    }
    case BinOp::kAdd:
      return arith(ArithOp::kAdd, a, b);
    case BinOp::kSub:
      return arith(ArithOp::kSub, a, b);
    case BinOp::kMul:
      return arith(ArithOp::kMul, a, b);
    case BinOp::kDiv:
      return arith(ArithOp::kDiv, a, b);
    case BinOp::kMod:
      return arith(ArithOp::kMod, a, b);
    case BinOp::kPow:
      return arith(ArithOp::kPow, a, b);
    case BinOp::kIn: {
      PHALANX_TRY(bool r, contains_in(a, b));
      return Value::boolean(r);
    }
    case BinOp::kContains:
    case BinOp::kStartsWith:
    case BinOp::kEndsWith: {
      PHALANX_TRY(bool r, string_op(op, a, b));
      return Value::boolean(r);
    }
    case BinOp::kMatches:
      return match_dynamic(a, b);
    case BinOp::kRange:
      return make_range(a, b);
    case BinOp::kCoalesce:
      return a.is_nil() ? b : a;
  }
  return Error("unreachable");
}

class BinaryNode final : public Node {
 public:
  BinaryNode(BinOp op, NodePtr l, NodePtr r, int column)
      : Node(column), op_(op), left_(std::move(l)), right_(std::move(r)) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value a, left_->eval(f));
    if (op_ == BinOp::kCoalesce && !a.is_nil()) return a;
    PHALANX_TRY(Value b, right_->eval(f));
    return apply(op_, a, b);
  }

 private:
  BinOp op_;
  NodePtr left_, right_;
};

class EqStringNode final : public Node {
 public:
  EqStringNode(NodePtr left, std::string literal, bool negate, int column)
      : Node(column), left_(std::move(left)), literal_(std::move(literal)), negate_(negate) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value v, left_->eval(f));
    bool eq = v.is_string() && v.as_string() == literal_;
    return Value::boolean(eq != negate_);
  }

 private:
  NodePtr left_;
  std::string literal_;
  bool negate_;
};

struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class InConstNode final : public Node {
 public:
  InConstNode(NodePtr left, Value array, int column)
      : Node(column), left_(std::move(left)), array_(array.to_owned()) {
    all_strings_ = true;
    for (const Value& v : array_.as_array()) {
      if (!v.is_string()) all_strings_ = false;
    }
    // Small lists compare faster than they hash.
    if (all_strings_ && array_.as_array().size() > 6) {
      for (const Value& v : array_.as_array())
        set_.insert(v.as_string());
    }
  }
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value v, left_->eval(f));
    if (v.is_string() && all_strings_) {
      std::string_view s = v.as_string();
      if (!set_.empty()) return Value::boolean(set_.find(s) != set_.end());
      for (const Value& item : array_.as_array()) {
        if (item.as_string() == s) return Value::boolean(true);
      }
      return Value::boolean(false);
    }
    for (const Value& item : array_.as_array()) {
      if (item == v) return Value::boolean(true);
    }
    return Value::boolean(false);
  }

 private:
  NodePtr left_;
  Value array_;
  bool all_strings_ = false;
  std::unordered_set<std::string_view, ViewHash, std::equal_to<>> set_;
};

class MatchesConstNode final : public Node {
 public:
  MatchesConstNode(NodePtr left, std::shared_ptr<const RE2> re, int column)
      : Node(column), left_(std::move(left)), re_(std::move(re)) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value v, left_->eval(f));
    if (!v.is_string()) {
      return Error("invalid operation: " + go_type_name(v) + " matches string");
    }
    std::string_view text = v.as_string();
    return Value::boolean(RE2::PartialMatch(piece(text), *re_));
  }

 private:
  NodePtr left_;
  std::shared_ptr<const RE2> re_;
};

}  // namespace

NodePtr make_const(Value value, int column) {
  return std::make_unique<ConstNode>(std::move(value), column, true);
}
NodePtr make_const_kept(Value value, int column) {
  return std::make_unique<ConstNode>(std::move(value), column, false);
}
NodePtr make_var(size_t index, int column) {
  return std::make_unique<VarNode>(index, column);
}
NodePtr make_slot(size_t slot, int column) {
  return std::make_unique<SlotNode>(slot, column);
}

NodePtr make_field(NodePtr object, std::string key, bool optional, int column) {
  if (auto* path = dynamic_cast<PathNode*>(object.get())) {
    path->add(std::move(key), optional);
    return object;
  }
  auto path = std::make_unique<PathNode>(std::move(object), column);
  path->add(std::move(key), optional);
  return path;
}

NodePtr make_member(NodePtr object, NodePtr key, bool optional, int column) {
  return std::make_unique<MemberNode>(std::move(object), std::move(key), optional, column);
}
NodePtr make_slice(NodePtr object, NodePtr from, NodePtr to, int column) {
  return std::make_unique<SliceNode>(std::move(object), std::move(from), std::move(to), column);
}
NodePtr make_not(NodePtr operand, int column) {
  return std::make_unique<NotNode>(std::move(operand), column);
}
NodePtr make_negate(NodePtr operand, int column) {
  return std::make_unique<NegateNode>(std::move(operand), column);
}
NodePtr make_logic(bool is_and, std::vector<NodePtr> operands, int column) {
  return std::make_unique<LogicNode>(is_and, std::move(operands), column);
}
NodePtr make_binary(BinOp op, NodePtr l, NodePtr r, int column) {
  return std::make_unique<BinaryNode>(op, std::move(l), std::move(r), column);
}
NodePtr make_eq_string(NodePtr left, std::string literal, bool negate, int column) {
  return std::make_unique<EqStringNode>(std::move(left), std::move(literal), negate, column);
}
NodePtr make_in_const(NodePtr left, Value array, int column) {
  return std::make_unique<InConstNode>(std::move(left), std::move(array), column);
}
NodePtr make_matches_const(NodePtr left, std::shared_ptr<const RE2> re, int column) {
  return std::make_unique<MatchesConstNode>(std::move(left), std::move(re), column);
}

Result<std::shared_ptr<const RE2>> compile_regexp(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  // Go's regexp has no default memory cap comparable to RE2's 8 MiB; hub patterns are small,
  // but raise it so large alternations compile as they do in Go.
  options.set_max_mem(64 << 20);
  auto re = std::make_shared<const RE2>(piece(pattern), options);
  if (!re->ok()) return Error(re->error());
  return std::shared_ptr<const RE2>(std::move(re));
}

}  // namespace phalanx::expr::detail

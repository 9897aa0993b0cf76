// SPDX-License-Identifier: Apache-2.0
// Evaluator nodes for control flow and literals: ?:, let, sequences, array and map literals.
#include "expr/node.h"
#include "expr/ops.h"

namespace phalanx::expr::detail {
namespace {

Error not_bool(std::string_view op, const Value& v) {
  return Error("invalid operation: " + std::string(op) + " on " + go_type_name(v) +
               " (expected bool)");
}

class ConditionalNode final : public Node {
 public:
  ConditionalNode(NodePtr c, NodePtr a, NodePtr b, int column)
      : Node(column), cond_(std::move(c)), then_(std::move(a)), else_(std::move(b)) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value c, cond_->eval(f));
    if (!c.is_bool()) return not_bool("?:", c);
    return c.as_bool() ? then_->eval(f) : else_->eval(f);
  }

 private:
  NodePtr cond_, then_, else_;
};

class LetNode final : public Node {
 public:
  LetNode(size_t slot, NodePtr value, NodePtr body, int column)
      : Node(column), slot_(slot), value_(std::move(value)), body_(std::move(body)) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(f.slots[slot_], value_->eval(f));
    return body_->eval(f);
  }

 private:
  size_t slot_;
  NodePtr value_, body_;
};

class SequenceNode final : public Node {
 public:
  SequenceNode(std::vector<NodePtr> items, int column) : Node(column), items_(std::move(items)) {}
  Result<Value> eval(Frame& f) const override {
    Value last;
    for (const NodePtr& item : items_) {
      PHALANX_TRY(last, item->eval(f));
    }
    return last;
  }

 private:
  std::vector<NodePtr> items_;
};

class ArrayNode final : public Node {
 public:
  ArrayNode(std::vector<NodePtr> items, int column) : Node(column), items_(std::move(items)) {}
  Result<Value> eval(Frame& f) const override {
    Array out;
    out.reserve(items_.size());
    for (const NodePtr& item : items_) {
      PHALANX_TRY(Value v, item->eval(f));
      out.push_back(std::move(v));
    }
    return Value::array(std::move(out));
  }

 private:
  std::vector<NodePtr> items_;
};

class MapNode final : public Node {
 public:
  MapNode(std::vector<NodePtr> keys, std::vector<NodePtr> values, int column)
      : Node(column), keys_(std::move(keys)), values_(std::move(values)) {}
  Result<Value> eval(Frame& f) const override {
    auto m = std::make_shared<Map>();
    for (size_t i = 0; i < keys_.size(); ++i) {
      PHALANX_TRY(Value k, keys_[i]->eval(f));
      PHALANX_TRY(Value v, values_[i]->eval(f));
      m->set(k.is_string() ? k.as_string() : std::string_view(k.to_string()), v);
    }
    return Value::map(std::move(m));
  }

 private:
  std::vector<NodePtr> keys_, values_;
};

class TableNode final : public Node {
 public:
  TableNode(size_t index_slot, Value table, int column)
      : Node(column), index_slot_(index_slot), table_(std::move(table)) {}
  Result<Value> eval(Frame& f) const override {
    auto i = static_cast<size_t>(f.slots[index_slot_].as_int());
    return table_.as_array()[i].borrowed();
  }

 private:
  size_t index_slot_;
  Value table_;
};

}  // namespace

NodePtr make_table(size_t index_slot, Value table, int column) {
  return std::make_unique<TableNode>(index_slot, std::move(table), column);
}

NodePtr make_conditional(NodePtr c, NodePtr a, NodePtr b, int column) {
  return std::make_unique<ConditionalNode>(std::move(c), std::move(a), std::move(b), column);
}
NodePtr make_let(size_t slot, NodePtr value, NodePtr body, int column) {
  return std::make_unique<LetNode>(slot, std::move(value), std::move(body), column);
}
NodePtr make_sequence(std::vector<NodePtr> items, int column) {
  return std::make_unique<SequenceNode>(std::move(items), column);
}
NodePtr make_array(std::vector<NodePtr> items, int column) {
  return std::make_unique<ArrayNode>(std::move(items), column);
}
NodePtr make_map(std::vector<NodePtr> keys, std::vector<NodePtr> values, int column) {
  return std::make_unique<MapNode>(std::move(keys), std::move(values), column);
}

}  // namespace phalanx::expr::detail

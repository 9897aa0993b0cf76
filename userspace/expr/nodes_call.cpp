// SPDX-License-Identifier: Apache-2.0
// Evaluator nodes for function calls, method calls and the closure builtins
// (any/all/none/one/filter/map/count/sum/find*/groupBy/sortBy/reduce).
#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

#include "expr/builtins.h"
#include "expr/event_memo.h"
#include "expr/incremental.h"
#include "expr/node.h"
#include "expr/ops.h"

namespace phalanx::expr::detail {
namespace {

// Arguments are evaluated into a small on-stack buffer: most calls take one to three.
constexpr size_t kInlineArgs = 6;

class ArgBuffer {
 public:
  explicit ArgBuffer(size_t n) : n_(n) {
    if (n > kInlineArgs) heap_.resize(n);
  }
  Value* data() { return n_ > kInlineArgs ? heap_.data() : inline_.data(); }
  std::span<const Value> span() { return {data(), n_}; }

 private:
  size_t n_;
  std::array<Value, kInlineArgs> inline_;
  std::vector<Value> heap_;
};

Result<void> eval_args(const std::vector<NodePtr>& nodes, Frame& f, ArgBuffer& buf) {
  Value* out = buf.data();
  for (size_t i = 0; i < nodes.size(); ++i) {
    PHALANX_TRY(out[i], nodes[i]->eval(f));
  }
  return ok();
}

class CallNode final : public Node {
 public:
  CallNode(const FunctionSpec* spec, std::vector<NodePtr> args, int column)
      : Node(column), spec_(spec), args_(std::move(args)) {}
  Result<Value> eval(Frame& f) const override {
    ArgBuffer buf(args_.size());
    PHALANX_CHECK(eval_args(args_, f, buf));
    return spec_->fn(buf.span(), *f.ctx);
  }

 private:
  const FunctionSpec* spec_;
  std::vector<NodePtr> args_;
};

// A pure built-in over variable paths: its value is kept in the run's EventMemo, if any.
class MemoCallNode final : public Node {
 public:
  MemoCallNode(const FunctionSpec* spec, std::vector<NodePtr> args, std::string form, int column)
      : Node(column),
        spec_(spec),
        args_(std::move(args)),
        form_(std::move(form)),
        key_(memo_key(form_)) {}
  Result<Value> eval(Frame& f) const override {
    EventMemo* memo = f.ctx->memo;
    if (memo != nullptr) {
      if (const Value* v = memo->find(key_)) return *v;
    }
    ArgBuffer buf(args_.size());
    PHALANX_CHECK(eval_args(args_, f, buf));
    PHALANX_TRY(Value v, spec_->fn(buf.span(), *f.ctx));
    if (memo != nullptr) memo->put(key_, v);
    return v;
  }
  bool memo_form(std::string& out) const override {
    out += form_;
    return true;
  }

 private:
  const FunctionSpec* spec_;
  std::vector<NodePtr> args_;
  std::string form_;
  uint32_t key_;
};

class HostCallNode final : public Node {
 public:
  HostCallNode(const HostFunction* fn, std::vector<NodePtr> args, int column)
      : Node(column), fn_(fn), args_(std::move(args)) {}
  Result<Value> eval(Frame& f) const override {
    ArgBuffer buf(args_.size());
    PHALANX_CHECK(eval_args(args_, f, buf));
    return fn_->fn(buf.span(), *f.ctx);
  }

 private:
  const HostFunction* fn_;
  std::vector<NodePtr> args_;
};

class MethodNode final : public Node {
 public:
  MethodNode(NodePtr receiver, std::string name, std::vector<NodePtr> args, bool optional,
             int column)
      : Node(column),
        receiver_(std::move(receiver)),
        name_(std::move(name)),
        args_(std::move(args)),
        optional_(optional),
        pure_(is_pure_method(name_)) {}
  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value receiver, receiver_->eval(f));
    if (receiver.is_nil() && optional_) return Value();
    ArgBuffer buf(args_.size());
    PHALANX_CHECK(eval_args(args_, f, buf));
    // A method that may change its receiver (SetMeta, SetParsed) invalidates the values
    // cached from the event.
    if (f.ctx->memo != nullptr && !pure_) f.ctx->memo->reset();
    return call_method(receiver, name_, buf.span(), optional_);
  }

 private:
  NodePtr receiver_;
  std::string name_;
  std::vector<NodePtr> args_;
  bool optional_;
  bool pure_;  // only reads its receiver: the per-event memo survives it
};

// Identifies a cacheable closure in the lists' caches. Never reused, so a cache entry left by
// a program that has since been destroyed is never mistaken for another closure's.
uint64_t next_closure_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

class ClosureNode final : public Node {
 public:
  ClosureNode(ClosureKind kind, NodePtr array, NodePtr body, NodePtr extra, ClosureSlots slots,
              bool cacheable, int column)
      : Node(column),
        kind_(kind),
        array_(std::move(array)),
        body_(std::move(body)),
        extra_(std::move(extra)),
        slots_(slots),
        cache_id_(cacheable && body_ && incremental_kind(kind) ? next_closure_id() : 0) {}

  Result<Value> eval(Frame& f) const override {
    PHALANX_TRY(Value source, array_->eval(f));
    PHALANX_TRY(Iterable it, iterate(source, closure_name(kind_)));
    if (cache_id_ != 0 && it.object != nullptr) {
      if (ListCache* cache = it.object->list_cache()) {
        auto result = eval_incremental(kind_, cache_id_, *body_, slots_, f, it, *cache);
        if (result) return std::move(*result);
      }
    }
    switch (kind_) {
      case ClosureKind::kAll:
      case ClosureKind::kAny:
      case ClosureKind::kNone:
      case ClosureKind::kOne:
        return quantifier(f, it);
      case ClosureKind::kFilter:
      case ClosureKind::kMap:
        return collect(f, it);
      case ClosureKind::kCount:
      case ClosureKind::kSum:
        return aggregate(f, it);
      case ClosureKind::kFind:
      case ClosureKind::kFindIndex:
      case ClosureKind::kFindLast:
      case ClosureKind::kFindLastIndex:
        return find(f, it);
      case ClosureKind::kGroupBy:
        return group_by(f, it);
      case ClosureKind::kSortBy:
        return sort_by(f, it);
      case ClosureKind::kReduce:
        return reduce(f, it);
    }
    return Error("unreachable");
  }

 private:
  Result<Value> body(Frame& f, const Iterable& it, size_t i) const {
    f.slots[slots_.element] = it.at(i);
    f.slots[slots_.index] = Value::integer(static_cast<int64_t>(i));
    return body_->eval(f);
  }
  Result<bool> predicate(Frame& f, const Iterable& it, size_t i) const {
    PHALANX_TRY(Value v, body(f, it, i));
    if (!v.is_bool()) {
      return Error(std::string(closure_name(kind_)) + ": predicate returned " + go_type_name(v) +
                   ", expected bool");
    }
    return v.as_bool();
  }

  Result<Value> quantifier(Frame& f, const Iterable& it) const {
    size_t hits = 0;
    for (size_t i = 0; i < it.size; ++i) {
      PHALANX_TRY(bool p, predicate(f, it, i));
      if (kind_ == ClosureKind::kAll && !p) return Value::boolean(false);
      if (kind_ == ClosureKind::kAny && p) return Value::boolean(true);
      if (kind_ == ClosureKind::kNone && p) return Value::boolean(false);
      if (p && ++hits > 1 && kind_ == ClosureKind::kOne) return Value::boolean(false);
    }
    if (kind_ == ClosureKind::kOne) return Value::boolean(hits == 1);
    return Value::boolean(kind_ != ClosureKind::kAny);
  }

  Result<Value> collect(Frame& f, const Iterable& it) const {
    Array out;
    for (size_t i = 0; i < it.size; ++i) {
      if (kind_ == ClosureKind::kMap) {
        PHALANX_TRY(Value v, body(f, it, i));
        out.push_back(std::move(v));
        continue;
      }
      PHALANX_TRY(bool p, predicate(f, it, i));
      if (p) out.push_back(it.at(i));
    }
    return Value::array(std::move(out));
  }

  Result<Value> aggregate(Frame& f, const Iterable& it) const {
    int64_t count = 0;
    Value sum = Value::integer(0);
    for (size_t i = 0; i < it.size; ++i) {
      Value v = it.at(i);
      if (body_) {
        PHALANX_TRY(v, body(f, it, i));
      }
      if (kind_ == ClosureKind::kSum) {
        PHALANX_TRY(sum, arith(ArithOp::kAdd, sum, v));
      } else if (!v.is_bool()) {
        return Error("count: predicate returned " + go_type_name(v) + ", expected bool");
      } else if (v.as_bool()) {
        ++count;
      }
    }
    return kind_ == ClosureKind::kSum ? sum : Value::integer(count);
  }

  Result<Value> find(Frame& f, const Iterable& it) const {
    bool last = kind_ == ClosureKind::kFindLast || kind_ == ClosureKind::kFindLastIndex;
    bool index = kind_ == ClosureKind::kFindIndex || kind_ == ClosureKind::kFindLastIndex;
    for (size_t k = 0; k < it.size; ++k) {
      size_t i = last ? it.size - 1 - k : k;
      PHALANX_TRY(bool p, predicate(f, it, i));
      if (p) return index ? Value::integer(static_cast<int64_t>(i)) : it.at(i);
    }
    return index ? Value::integer(-1) : Value();
  }

  Result<Value> group_by(Frame& f, const Iterable& it) const {
    std::map<std::string, Array, std::less<>> groups;
    for (size_t i = 0; i < it.size; ++i) {
      PHALANX_TRY(Value key, body(f, it, i));
      groups[key.to_string()].push_back(it.at(i));
    }
    auto m = std::make_shared<Map>();
    for (auto& [key, items] : groups)
      m->set(key, Value::array(std::move(items)));
    return Value::map(std::move(m));
  }

  Result<Value> sort_by(Frame& f, const Iterable& it) const {
    bool desc = false;
    if (extra_) {
      PHALANX_TRY(Value order, extra_->eval(f));
      if (!order.is_string() || (order.as_string() != "asc" && order.as_string() != "desc")) {
        return Error("sortBy: unknown order, use asc or desc");
      }
      desc = order.as_string() == "desc";
    }
    std::vector<std::pair<Value, Value>> keyed;
    for (size_t i = 0; i < it.size; ++i) {
      PHALANX_TRY(Value key, body(f, it, i));
      keyed.emplace_back(std::move(key), it.at(i));
    }
    std::optional<Error> failure;
    std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
      auto less = compare(CompareOp::kLt, desc ? b.first : a.first, desc ? a.first : b.first);
      if (!less) {
        if (!failure) failure = less.error();
        return false;
      }
      return *less;
    });
    if (failure) return *failure;
    Array out;
    for (auto& [key, item] : keyed)
      out.push_back(std::move(item));
    return Value::array(std::move(out));
  }

  Result<Value> reduce(Frame& f, const Iterable& it) const {
    Value acc;
    size_t start = 0;
    if (extra_) {
      PHALANX_TRY(acc, extra_->eval(f));
    } else {
      if (it.size == 0) return Error("reduce of empty array with no initial value");
      acc = it.at(0);
      start = 1;
    }
    for (size_t i = start; i < it.size; ++i) {
      f.slots[slots_.acc] = acc;
      PHALANX_TRY(acc, body(f, it, i));
    }
    return acc;
  }

  ClosureKind kind_;
  NodePtr array_, body_, extra_;
  ClosureSlots slots_;
  uint64_t cache_id_;  // 0: evaluated in full on every run
};

}  // namespace

std::string_view closure_name(ClosureKind kind) {
  static constexpr std::array<std::string_view, 15> kNames = {
      "all",  "any",       "none",     "one",           "filter",  "map",    "count", "sum",
      "find", "findIndex", "findLast", "findLastIndex", "groupBy", "sortBy", "reduce"};
  return kNames[static_cast<size_t>(kind)];
}

uint32_t memo_key(const std::string& canonical) {
  static std::mutex mu;
  static auto* keys = new std::unordered_map<std::string, uint32_t>();
  std::lock_guard lock(mu);
  return keys->try_emplace(canonical, static_cast<uint32_t>(keys->size())).first->second;
}

NodePtr make_call(const FunctionSpec* spec, std::vector<NodePtr> args, int column) {
  if (spec->pure && !args.empty()) {
    std::string form(spec->name);
    form += '(';
    bool memo = true;
    for (size_t i = 0; i < args.size() && memo; ++i) {
      if (i) form += ',';
      memo = args[i]->memo_form(form);
    }
    if (memo) {
      form += ')';
      return std::make_unique<MemoCallNode>(spec, std::move(args), std::move(form), column);
    }
  }
  return std::make_unique<CallNode>(spec, std::move(args), column);
}
NodePtr make_host_call(const HostFunction* fn, std::vector<NodePtr> args, int column) {
  return std::make_unique<HostCallNode>(fn, std::move(args), column);
}
NodePtr make_method(NodePtr receiver, std::string name, std::vector<NodePtr> args, bool optional,
                    int column) {
  return std::make_unique<MethodNode>(std::move(receiver), std::move(name), std::move(args),
                                      optional, column);
}
NodePtr make_closure(ClosureKind kind, NodePtr array, NodePtr body, NodePtr extra,
                     ClosureSlots slots, bool pure_body, int column) {
  return std::make_unique<ClosureNode>(kind, std::move(array), std::move(body), std::move(extra),
                                       slots, pure_body, column);
}

}  // namespace phalanx::expr::detail

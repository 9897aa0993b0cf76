// SPDX-License-Identifier: Apache-2.0
// Incremental closures: per-element results kept in a list's ListCache between runs.
//
// Why the results equal a full evaluation: the body is a pure function of its element and the
// list's elements do not change, so a kept result is what the body would return again. Only
// successful results are kept, always for a prefix of the list, so the first element that
// fails is still evaluated (and fails) in list order, after the same elements that precede it
// in a full run. The short-circuits (any, all, none, one) stop at the same element a full run
// stops at, since every kept result before it is known.
#include "expr/incremental.h"

#include <algorithm>

namespace phalanx::expr {

ListCache::ListCache() = default;
ListCache::~ListCache() = default;

void ListCache::clear() {
  closures_.clear();
}

detail::ClosureCache& ListCache::closure(uint64_t closure_id) {
  for (auto& [id, cache] : closures_) {
    if (id == closure_id) return *cache;
  }
  closures_.emplace_back(closure_id, std::make_unique<detail::ClosureCache>());
  detail::ClosureCache& cache = *closures_.back().second;
  cache.base = front_;
  return cache;
}

}  // namespace phalanx::expr

namespace phalanx::expr::detail {
namespace {

void forget(ClosureCache& c, uint64_t front) {
  c.base = front;
  c.count = 0;
  c.hits.clear();
  c.trues = 0;
  c.out.reset();
  c.last = Value();
}

// The result array is shared with the values earlier runs returned: it is changed in place
// only when no such value is left, and copied otherwise.
Array& own_out(ClosureCache& c) {
  if (!c.out) {
    c.out = std::make_shared<Array>();
  } else if (c.out.use_count() > 1) {
    c.out = std::make_shared<Array>(*c.out);
  }
  return *c.out;
}

// Drops the results of the elements the list removed at the front; forgets everything when
// the list no longer looks like the one the results were computed for.
void sync(ClosureCache& c, ClosureKind kind, uint64_t front, const Iterable& it) {
  if (front < c.base) return forget(c, front);
  const size_t drop = static_cast<size_t>(std::min<uint64_t>(front - c.base, c.count));
  if (drop > 0) {
    if (kind == ClosureKind::kMap) {
      Array& out = own_out(c);
      out.erase(out.begin(), out.begin() + static_cast<ptrdiff_t>(drop));
    } else {
      const auto end = c.hits.begin() + static_cast<ptrdiff_t>(drop);
      const auto dropped_hits = static_cast<size_t>(std::count(c.hits.begin(), end, 1));
      c.hits.erase(c.hits.begin(), end);
      c.trues -= dropped_hits;
      if (kind == ClosureKind::kFilter) {
        Array& out = own_out(c);
        out.erase(out.begin(), out.begin() + static_cast<ptrdiff_t>(dropped_hits));
      }
    }
    c.count -= drop;
  }
  c.base = front;
  if (c.count > it.size || (c.count > 0 && !(it.at(c.count - 1) == c.last))) forget(c, front);
}

// A mapper result that stays valid and equal for the element's life: scalars as they are,
// strings as an owned copy (a borrowed view may point into per-run storage). Arrays, maps and
// objects may be mutable or borrowed from the run: not kept.
std::optional<Value> keepable(const Value& v) {
  switch (v.kind()) {
    case Kind::kNil:
    case Kind::kBool:
    case Kind::kInt:
    case Kind::kFloat:
    case Kind::kDuration:
    case Kind::kTime:
      return v;
    case Kind::kString:
      return v.is_borrowed_string() ? Value::string(std::string(v.as_string())) : v;
    case Kind::kArray:
    case Kind::kMap:
    case Kind::kObject:
      return std::nullopt;
  }
  return std::nullopt;
}

class Incremental {
 public:
  Incremental(ClosureKind kind, const Node& body, ClosureSlots slots, Frame& f, const Iterable& it,
              ClosureCache& c)
      : kind_(kind), body_(body), slots_(slots), f_(f), it_(it), c_(c) {}

  std::optional<Result<Value>> run() {
    switch (kind_) {
      case ClosureKind::kAny:
        return quantifier(/*stop_on=*/true, /*result_if_stopped=*/true);
      case ClosureKind::kAll:
        return quantifier(false, false);
      case ClosureKind::kNone:
        return quantifier(true, false);
      case ClosureKind::kOne:
        return one();
      case ClosureKind::kCount:
        return count();
      case ClosureKind::kFilter:
        return filter();
      case ClosureKind::kMap:
        return map();
      default:
        return std::nullopt;
    }
  }

 private:
  // Evaluates the body for the first uncached element (kept in current_).
  Result<Value> next_element() {
    const size_t i = c_.count;
    current_ = it_.at(i);
    f_.slots[slots_.element] = current_;
    f_.slots[slots_.index] = Value::integer(static_cast<int64_t>(i));
    return body_.eval(f_);
  }
  // current_ has its result kept.
  void commit() {
    c_.last = current_;
    ++c_.count;
  }
  // Evaluates the next uncached element as a predicate and keeps its result.
  Result<bool> next_predicate() {
    PHALANX_TRY(Value v, next_element());
    if (!v.is_bool()) {
      return Error(std::string(closure_name(kind_)) + ": predicate returned " + go_type_name(v) +
                   ", expected bool");
    }
    const bool hit = v.as_bool();
    c_.hits.push_back(hit ? 1 : 0);
    c_.trues += hit ? 1 : 0;
    commit();
    return hit;
  }
  size_t misses() const { return c_.count - c_.trues; }

  // any (stop on true → true), none (stop on true → false), all (stop on false → false).
  Result<Value> quantifier(bool stop_on, bool result_if_stopped) {
    if ((stop_on ? c_.trues : misses()) > 0) return Value::boolean(result_if_stopped);
    while (c_.count < it_.size) {
      PHALANX_TRY(bool hit, next_predicate());
      if (hit == stop_on) return Value::boolean(result_if_stopped);
    }
    return Value::boolean(!result_if_stopped);
  }

  Result<Value> one() {
    if (c_.trues > 1) return Value::boolean(false);
    while (c_.count < it_.size) {
      PHALANX_TRY(bool hit, next_predicate());
      if (hit && c_.trues > 1) return Value::boolean(false);
    }
    return Value::boolean(c_.trues == 1);
  }

  Result<Value> count() {
    while (c_.count < it_.size) {
      PHALANX_CHECK(next_predicate());
    }
    return Value::integer(static_cast<int64_t>(c_.trues));
  }

  Result<Value> filter() {
    Array& out = own_out(c_);
    while (c_.count < it_.size) {
      PHALANX_TRY(bool hit, next_predicate());
      if (hit) out.push_back(c_.last);
    }
    return Value::array(std::shared_ptr<const Array>(c_.out));
  }

  std::optional<Result<Value>> map() {
    Array& out = own_out(c_);
    while (c_.count < it_.size) {
      Result<Value> v = next_element();
      if (!v) return std::move(v).error();
      std::optional<Value> kept = keepable(*v);
      if (!kept) {
        forget(c_, c_.base);
        c_.disabled = true;
        return std::nullopt;
      }
      out.push_back(std::move(*kept));
      commit();
    }
    return Value::array(std::shared_ptr<const Array>(c_.out));
  }

  ClosureKind kind_;
  const Node& body_;
  ClosureSlots slots_;
  Frame& f_;
  const Iterable& it_;
  ClosureCache& c_;
  Value current_;
};

}  // namespace

bool incremental_kind(ClosureKind kind) {
  switch (kind) {
    case ClosureKind::kAll:
    case ClosureKind::kAny:
    case ClosureKind::kNone:
    case ClosureKind::kOne:
    case ClosureKind::kCount:
    case ClosureKind::kFilter:
    case ClosureKind::kMap:
      return true;
    default:
      return false;
  }
}

std::optional<Result<Value>> eval_incremental(ClosureKind kind, uint64_t closure_id,
                                              const Node& body, ClosureSlots slots, Frame& f,
                                              const Iterable& it, ListCache& cache) {
  ClosureCache& c = cache.closure(closure_id);
  if (c.disabled) return std::nullopt;
  sync(c, kind, cache.front(), it);
  return Incremental(kind, body, slots, f, it, c).run();
}

}  // namespace phalanx::expr::detail

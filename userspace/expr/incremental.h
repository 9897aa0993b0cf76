// SPDX-License-Identifier: Apache-2.0
// Internal: incremental closures over host lists that keep a ListCache (see list_cache.h).
// The compiler decides which closure bodies are pure functions of their element; the closure
// node then evaluates such a closure over an opted-in list through eval_incremental(), which
// reuses the per-element results of earlier runs and evaluates only the new elements.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>

#include "core/result.h"
#include "expr/ast.h"
#include "expr/list_cache.h"
#include "expr/node.h"
#include "expr/ops.h"

namespace phalanx::expr::detail {

// Whether the closure kind can reuse per-element results: all, any, none, one, count, filter,
// map. The others (sum, find*, groupBy, sortBy, reduce) always evaluate every element.
bool incremental_kind(ClosureKind kind);

// Whether a method only reads its receiver (the event's getters, time and duration accessors).
bool is_pure_method(std::string_view name);

// Whether a closure body is a pure function of its element: it uses only `#` (and `.field`),
// literals, field/member access and slices, operators, `?:`, array literals, the built-in
// functions and methods of an explicit list of side-effect-free, clock-free ones, and no
// `#index`/`#acc`, variables, let-bindings, map literals, nested closures, or functions that
// read state (stash, data files, decisions, time). A call to one of `host_functions` (the
// embedder's, which shadow built-ins) is never pure. When in doubt: false.
bool is_pure_element_body(const Ast& body,
                          std::span<const std::unique_ptr<HostFunction>> host_functions);

// The store of one closure over one list.
struct ClosureCache {
  uint64_t base = 0;           // list position (ListCache::front() numbering) of the first element
  size_t count = 0;            // how many elements, from base on, have a result
  std::deque<uint8_t> hits;    // predicates: each cached element's result
  size_t trues = 0;            // predicates: how many of hits are true
  std::shared_ptr<Array> out;  // filter: the matching cached elements; map: the results
  Value last;                  // the last cached element, to check the list kept its word
  bool disabled = false;       // a mapper gave a value that is not safe to keep
};

// Evaluates closure `closure_id` (of a kind incremental_kind() accepts, with a pure body) over
// the list `it` that owns `cache`, with the same result, error included, as evaluating every
// element in order. nullopt when this closure cannot be cached for this list (a mapper
// returned an array, map or object): the caller then evaluates it as usual.
std::optional<Result<Value>> eval_incremental(ClosureKind kind, uint64_t closure_id,
                                              const Node& body, ClosureSlots slots, Frame& f,
                                              const Iterable& it, ListCache& cache);

}  // namespace phalanx::expr::detail

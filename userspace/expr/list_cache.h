// SPDX-License-Identifier: Apache-2.0
// expr::ListCache — where closures keep per-element results between runs over a host list.
//
// A condition such as `filter(queue.Queue, {#.Meta.log_type == 'ssh_failed-auth'})` runs after
// every pour of a bucket whose queue only grows at the back (and, when bounded, shrinks at the
// front). When a closure body is a pure function of its element (decided at compile time: it
// reads only `#` and constants, calls only side-effect-free built-ins), its result for an
// element never changes, so a run only needs to evaluate the elements appended since the last
// run. A host list opts in by returning a ListCache from Object::list_cache(); closures then
// keep their per-element results (and the filter/map result array) in it, keyed by closure.
//
// What a list promises by returning a cache:
//  * it changes only by appending at the back and by removing at the front, and it calls
//    pop_front() once per removed element (or clear() after any other kind of change);
//  * an element does not change while it is in the list, and at(i) returns the same value for
//    the same element (for an object: the same object) for as long as it stays in the list.
//
// Thread-safety: none, like the list that owns it (one evaluation uses a list at a time).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace phalanx::expr {

namespace detail {
struct ClosureCache;
}

class ListCache {
 public:
  ListCache();
  ~ListCache();
  ListCache(const ListCache&) = delete;
  ListCache& operator=(const ListCache&) = delete;

  // The list removed its first element.
  void pop_front() { ++front_; }
  // The list changed in a way pop_front() does not describe: forget every cached result.
  void clear();

  // Internal (the evaluator): the position of the list's first element in the numbering that
  // starts at 0 for the first element ever appended, and the store of one closure (created
  // empty on first use).
  uint64_t front() const { return front_; }
  detail::ClosureCache& closure(uint64_t closure_id);

 private:
  uint64_t front_ = 0;
  // A handful of closures use a list at most: a vector beats a hash map.
  std::vector<std::pair<uint64_t, std::unique_ptr<detail::ClosureCache>>> closures_;
};

}  // namespace phalanx::expr

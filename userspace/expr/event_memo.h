// SPDX-License-Identifier: Apache-2.0
// A per-event cache of pure built-in calls over variable paths, shared by the programs that
// run on one event: the hub's http scenarios compute Upper(evt.Meta.http_path),
// Upper(evt.Parsed.http_args) or PathUnescape(...) in dozens of filters, each on the same event.
//
// The compiler gives every call of a pure built-in whose arguments are plain variable paths
// (or such calls) a key from its canonical form ("Upper(v0.Meta.http_path)"), shared by every
// program in the process. A run whose RunContext carries a memo reads the value from it or
// computes and stores it. The embedder owns the memo's validity:
// - set it only for runs that bind the same variables to the same values (the scenario
//   engine: the filters and groupby of the scenarios one event is poured into);
// - reset() it when the event changes. Runs reset it themselves after a method that may
//   change an object (SetMeta, SetParsed).
// Not thread-safe: one per thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "expr/value.h"

namespace phalanx::expr {

class EventMemo {
 public:
  // The cached value of `key`, or nullptr.
  const Value* find(uint32_t key) const {
    return key < stamps_.size() && stamps_[key] == generation_ ? &values_[key] : nullptr;
  }
  void put(uint32_t key, Value value) {
    if (key >= stamps_.size()) {
      stamps_.resize(key + 1, 0);
      values_.resize(key + 1);
    }
    stamps_[key] = generation_;
    values_[key] = std::move(value);
  }
  // Forgets every value (O(1); the values themselves are released when overwritten).
  void reset() {
    if (++generation_ == 0) {  // wrapped: stamps from 2^32 resets ago must not match
      std::fill(stamps_.begin(), stamps_.end(), 0);
      generation_ = 1;
    }
  }

 private:
  uint32_t generation_ = 1;
  std::vector<uint32_t> stamps_;
  std::vector<Value> values_;
};

namespace detail {
// The process-wide key of a canonical call form; the same text always gives the same key.
// Thread-safe.
uint32_t memo_key(const std::string& canonical);
}  // namespace detail

}  // namespace phalanx::expr

// SPDX-License-Identifier: Apache-2.0
// Interned strings for the decision index. A million decisions carry a handful of distinct
// scenarios, origins, types and scopes: each row keeps a 4-byte id instead of a std::string (32
// bytes, plus a heap block past 15 characters). Entries are reference counted, so strings that
// no row uses any more (an agent sending a new scenario name per alert) are freed and their ids
// reused; memory follows the live rows.
//
// Thread-safety: none; the DecisionIndex calls it under its own lock.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace phalanx::lapi {

class StringPool {
 public:
  using Id = uint32_t;

  // The id of `s`, adding it when new; each call takes one reference.
  Id acquire(std::string_view s);
  // Drops one reference taken by acquire(); the string is freed with its last reference.
  void release(Id id);
  // The string of a live id. The view stays valid until its last reference is released.
  std::string_view get(Id id) const { return slots_[id].text; }
  // The id of `s` when some row uses it (no reference taken).
  std::optional<Id> find(std::string_view s) const;
  // Distinct strings held.
  size_t size() const { return lookup_.size(); }
  void clear();

 private:
  struct Slot {
    std::string text;
    uint32_t refs = 0;
  };
  // A deque: slots never move, so the views in lookup_ stay valid.
  std::deque<Slot> slots_;
  std::vector<Id> free_;
  std::unordered_map<std::string_view, Id> lookup_;
};

}  // namespace phalanx::lapi

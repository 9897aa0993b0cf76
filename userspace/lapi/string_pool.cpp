// SPDX-License-Identifier: Apache-2.0
#include "lapi/string_pool.h"

#include <cassert>

namespace phalanx::lapi {

StringPool::Id StringPool::acquire(std::string_view s) {
  if (const auto it = lookup_.find(s); it != lookup_.end()) {
    ++slots_[it->second].refs;
    return it->second;
  }
  Id id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<Id>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[id];
  slot.text.assign(s);
  slot.refs = 1;
  lookup_.emplace(std::string_view(slot.text), id);
  return id;
}

void StringPool::release(Id id) {
  Slot& slot = slots_[id];
  assert(slot.refs > 0);
  if (--slot.refs > 0) return;
  lookup_.erase(std::string_view(slot.text));
  std::string().swap(slot.text);
  free_.push_back(id);
}

std::optional<StringPool::Id> StringPool::find(std::string_view s) const {
  const auto it = lookup_.find(s);
  if (it == lookup_.end()) return std::nullopt;
  return it->second;
}

void StringPool::clear() {
  lookup_.clear();
  slots_.clear();
  free_.clear();
}

}  // namespace phalanx::lapi

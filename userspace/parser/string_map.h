// SPDX-License-Identifier: Apache-2.0
// A small string → string map kept sorted by key in one vector. Events carry a dozen or two
// keys per map, where a sorted vector beats node-based maps on lookups and allocations, and
// iteration in key order matches how the hub's tooling prints maps.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace phalanx::parser {

class StringMap {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;

  // The value for key, or nullptr.
  const std::string* find(std::string_view key) const {
    auto it = lower(key);
    return it != items_.end() && it->first == key ? &it->second : nullptr;
  }
  // find() that first tries position `hint` and leaves the key's position there when found.
  // Events from one parser hold the same keys in the same places, so a caller that keeps a hint
  // per key it looks up usually pays one comparison instead of a binary search.
  const std::string* find(std::string_view key, uint32_t& hint) const {
    if (hint < items_.size() && items_[hint].first == key) return &items_[hint].second;
    auto it = lower(key);
    if (it == items_.end() || it->first != key) return nullptr;
    hint = static_cast<uint32_t>(it - items_.begin());
    return &it->second;
  }
  // A find() hint kept by a compiled rule that every worker thread runs (a static, a routing
  // field). Any position is safe, since find() checks it, so relaxed loads and stores suffice.
  // Copying copies the position.
  class SharedHint {
   public:
    SharedHint() = default;
    SharedHint(const SharedHint& o) : at_(o.at_.load(std::memory_order_relaxed)) {}
    SharedHint& operator=(const SharedHint& o) {
      at_.store(o.at_.load(std::memory_order_relaxed), std::memory_order_relaxed);
      return *this;
    }

   private:
    friend class StringMap;
    mutable std::atomic<uint32_t> at_{0};
  };
  const std::string* find(std::string_view key, const SharedHint& hint) const {
    uint32_t at = hint.at_.load(std::memory_order_relaxed);
    const uint32_t was = at;
    const std::string* v = find(key, at);
    if (at != was) hint.at_.store(at, std::memory_order_relaxed);
    return v;
  }
  // get() with a shared hint.
  std::string_view get(std::string_view key, const SharedHint& hint) const {
    const std::string* v = find(key, hint);
    return v != nullptr ? std::string_view(*v) : std::string_view();
  }
  // The value for key, or "" when absent (the hub's map[string]string semantics).
  std::string_view get(std::string_view key) const {
    const std::string* v = find(key);
    return v != nullptr ? std::string_view(*v) : std::string_view();
  }
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  void set(std::string_view key, std::string_view value) {
    auto it = lower(key);
    if (it != items_.end() && it->first == key) {
      it->second.assign(value.data(), value.size());
    } else {
      items_.emplace(it, std::string(key), std::string(value));
    }
  }
  // set(keys[i], values[i]) for every i, where `order` lists the indexes of keys in strictly
  // increasing key order (so no key repeats). One merge walk instead of a set() per key, each
  // of which would shift the larger keys along: a grok sets a dozen captures or more at once.
  void set_sorted(std::span<const std::string> keys, std::span<const std::string_view> values,
                  std::span<const uint32_t> order) {
    // Existing keys take their new value; the others are counted.
    size_t added = 0;
    auto it = items_.begin();
    for (uint32_t k : order) {
      it = std::lower_bound(it, items_.end(), keys[k], by_key);
      if (it != items_.end() && it->first == keys[k]) {
        it->second.assign(values[k].data(), values[k].size());
      } else {
        ++added;
      }
    }
    if (added == 0) return;
    // Merge from the back, so that each item moves at most once.
    ptrdiff_t i = static_cast<ptrdiff_t>(items_.size()) - 1;
    items_.resize(items_.size() + added);
    ptrdiff_t w = static_cast<ptrdiff_t>(items_.size()) - 1;
    for (ptrdiff_t j = static_cast<ptrdiff_t>(order.size()) - 1; j >= 0; --w) {
      const uint32_t k = order[static_cast<size_t>(j)];
      if (i >= 0 && items_[size_t(i)].first >= keys[k]) {
        if (items_[size_t(i)].first == keys[k]) --j;  // already set above
        if (w != i) items_[size_t(w)] = std::move(items_[size_t(i)]);
        --i;
      } else {
        items_[size_t(w)] = value_type(keys[k], std::string(values[k]));
        --j;
      }
    }
  }
  bool erase(std::string_view key) {
    auto it = lower(key);
    if (it == items_.end() || it->first != key) return false;
    items_.erase(it);
    return true;
  }
  void clear() { items_.clear(); }
  // Room for n keys, so that a map filled key by key is not reallocated on the way.
  void reserve(size_t n) { items_.reserve(n); }
  // Gives back the room reserved beyond the keys held.
  void shrink_to_fit() { items_.shrink_to_fit(); }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }

  bool operator==(const StringMap&) const = default;

 private:
  static bool by_key(const value_type& a, std::string_view k) { return a.first < k; }
  std::vector<value_type>::iterator lower(std::string_view key) {
    return std::lower_bound(items_.begin(), items_.end(), key, by_key);
  }
  std::vector<value_type>::const_iterator lower(std::string_view key) const {
    return std::lower_bound(items_.begin(), items_.end(), key, by_key);
  }

  std::vector<value_type> items_;
};

}  // namespace phalanx::parser

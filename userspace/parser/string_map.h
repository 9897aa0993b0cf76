// SPDX-License-Identifier: Apache-2.0
// A small string → string map: the items in one vector in the order they were added, and a
// vector of their indexes sorted by key. Events carry a dozen or two keys per map, where a
// sorted vector beats node-based maps on lookups and allocations; adding a key shifts four-byte
// indexes rather than pairs of strings, and an item never moves, so find() hints stay good.
// Iteration is in key order, as the hub's tooling prints maps.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace phalanx::parser {

class StringMap {
 public:
  using value_type = std::pair<std::string, std::string>;

  // Walks the items in key order.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = StringMap::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return items_[*at_]; }
    pointer operator->() const { return &items_[*at_]; }
    const_iterator& operator++() {
      ++at_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator was = *this;
      ++at_;
      return was;
    }
    bool operator==(const const_iterator& o) const { return at_ == o.at_; }

   private:
    friend class StringMap;
    const_iterator(const value_type* items, const uint32_t* at) : items_(items), at_(at) {}
    const value_type* items_ = nullptr;
    const uint32_t* at_ = nullptr;
  };

  // The value for key, or nullptr.
  const std::string* find(std::string_view key) const {
    auto it = lower(key);
    return it != order_.end() && key_at(*it) == key ? &items_[*it].second : nullptr;
  }
  // find() that first tries the item at `hint` and leaves the key's place there when found.
  // Items keep the place they were added at, and events from one parser add the same keys in
  // the same order, so a caller that keeps a hint per key it looks up usually pays one
  // comparison instead of a binary search.
  const std::string* find(std::string_view key, uint32_t& hint) const {
    if (hint < items_.size() && items_[hint].first == key) return &items_[hint].second;
    auto it = lower(key);
    if (it == order_.end() || key_at(*it) != key) return nullptr;
    hint = *it;
    return &items_[*it].second;
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

  void set(std::string_view key, std::string_view value) { set_from(order_.begin(), key, value); }
  // set(keys[i], values[i]) for every i, where `order` lists the indexes of keys in strictly
  // increasing key order (so no key repeats): each key is searched for from where the one
  // before it was found.
  void set_sorted(std::span<const std::string> keys, std::span<const std::string_view> values,
                  std::span<const uint32_t> order) {
    auto from = order_.begin();
    for (uint32_t k : order)
      from = set_from(from, keys[k], values[k]) + 1;
  }
  bool erase(std::string_view key) {
    auto it = lower(key);
    if (it == order_.end() || key_at(*it) != key) return false;
    // The last item takes the place of the erased one.
    const uint32_t gone = *it;
    const auto last = uint32_t(items_.size() - 1);
    order_.erase(it);
    if (gone != last) {
      items_[gone] = std::move(items_[last]);
      *std::find(order_.begin(), order_.end(), last) = gone;
    }
    items_.pop_back();
    return true;
  }
  void clear() {
    items_.clear();
    order_.clear();
  }
  // Room for n keys, so that a map filled key by key is not reallocated on the way.
  void reserve(size_t n) {
    items_.reserve(n);
    order_.reserve(n);
  }
  // Gives back the room reserved beyond the items held (not the few bytes of their order:
  // moving that would cost more than it frees).
  void shrink_to_fit() { items_.shrink_to_fit(); }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const_iterator begin() const { return {items_.data(), order_.data()}; }
  const_iterator end() const { return {items_.data(), order_.data() + order_.size()}; }

  // The same keys with the same values.
  bool operator==(const StringMap& o) const {
    return size() == o.size() && std::equal(begin(), end(), o.begin());
  }

 private:
  using Order = std::vector<uint32_t>;
  const std::string& key_at(uint32_t i) const { return items_[i].first; }
  Order::const_iterator lower(std::string_view key) const {
    return std::lower_bound(order_.begin(), order_.end(), key,
                            [&](uint32_t i, std::string_view k) { return key_at(i) < k; });
  }
  // set(), searching from `from`, below which every key is smaller; returns where key is.
  Order::iterator set_from(Order::iterator from, std::string_view key, std::string_view value) {
    auto it = std::lower_bound(from, order_.end(), key,
                               [&](uint32_t i, std::string_view k) { return key_at(i) < k; });
    if (it != order_.end() && key_at(*it) == key) {
      items_[*it].second.assign(value.data(), value.size());
      return it;
    }
    // A new item goes at the end of the items; only its place in the key order shifts others.
    items_.emplace_back(std::string(key), std::string(value));
    return order_.insert(it, uint32_t(items_.size() - 1));
  }

  std::vector<value_type> items_;  // in the order they were added
  Order order_;                    // indexes into items_, by key
};

}  // namespace phalanx::parser

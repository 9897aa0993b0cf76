// SPDX-License-Identifier: Apache-2.0
// A small string → string map kept sorted by key in one vector. Events carry a dozen or two
// keys per map, where a sorted vector beats node-based maps on lookups and allocations, and
// iteration in key order matches how the hub's tooling prints maps.
#pragma once

#include <algorithm>
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
  bool erase(std::string_view key) {
    auto it = lower(key);
    if (it == items_.end() || it->first != key) return false;
    items_.erase(it);
    return true;
  }
  void clear() { items_.clear(); }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }

  bool operator==(const StringMap&) const = default;

 private:
  std::vector<value_type>::iterator lower(std::string_view key) {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& a, std::string_view k) { return a.first < k; });
  }
  std::vector<value_type>::const_iterator lower(std::string_view key) const {
    return std::lower_bound(items_.begin(), items_.end(), key,
                            [](const value_type& a, std::string_view k) { return a.first < k; });
  }

  std::vector<value_type> items_;
};

}  // namespace phalanx::parser

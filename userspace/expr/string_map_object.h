// SPDX-License-Identifier: Apache-2.0
// StringMapView: a read-only Object over a caller-owned string→string map (the event's Meta,
// Parsed, Enriched, Line.Labels), with Go map[string]string semantics: a missing key reads "".
// Lookups borrow the stored strings, so evaluating `evt.Meta.log_type == 'x'` does not allocate
// when the map supports heterogeneous lookup by string_view (std::map<std::string, std::string,
// std::less<>> does).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "expr/value.h"

namespace phalanx::expr {

template <class MapT>
class StringMapView final : public Object {
 public:
  explicit StringMapView(const MapT* map = nullptr) : map_(map) {}

  // Points the view at another map (or none: every key then reads "").
  void reset(const MapT* map) { map_ = map; }
  const MapT* map() const { return map_; }

  std::string_view type_name() const override { return "map[string]string"; }
  Value get(std::string_view key) const override {
    if (map_ == nullptr) return Value::view("");
    auto it = find(key);
    if (it == map_->end()) return Value::view("");
    return Value::view(it->second);
  }
  bool has(std::string_view key) const override {
    return map_ != nullptr && find(key) != map_->end();
  }
  std::optional<size_t> size() const override { return map_ ? map_->size() : 0; }
  std::vector<std::string> keys() const override {
    std::vector<std::string> out;
    if (map_ == nullptr) return out;
    for (const auto& [k, v] : *map_)
      out.emplace_back(k);
    return out;
  }
  Value to_value() const override {
    auto m = std::make_shared<Map>(true);
    if (map_ != nullptr) {
      for (const auto& [k, v] : *map_)
        m->set(k, Value::view(v));
    }
    return Value::map(std::move(m));
  }

 private:
  auto find(std::string_view key) const {
    if constexpr (requires(const MapT& m) { m.find(key); }) {
      return map_->find(key);
    } else {
      return map_->find(std::string(key));  // the map has no heterogeneous lookup
    }
  }

  const MapT* map_;
};

using StringMap = std::map<std::string, std::string, std::less<>>;
using StringMapObject = StringMapView<StringMap>;

}  // namespace phalanx::expr

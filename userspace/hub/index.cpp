// SPDX-License-Identifier: Apache-2.0
#include "hub/index.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

namespace phalanx::hub {

namespace {

constexpr std::string_view kSections[] = {"parsers", "scenarios", "postoverflows", "collections"};

std::vector<std::string> string_list(const nlohmann::json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

void append_unique(std::vector<Item>& list, Item item) {
  for (const auto& existing : list) {
    if (existing.name == item.name) return;
  }
  list.push_back(std::move(item));
}

}  // namespace

std::string_view item_type_name(ItemType type) {
  switch (type) {
    case ItemType::kParser:
      return "parser";
    case ItemType::kScenario:
      return "scenario";
    case ItemType::kPostoverflow:
      return "postoverflow";
    case ItemType::kCollection:
      return "collection";
  }
  return "item";
}

Result<Index> Index::load(const std::string& dir) {
  const std::string path = dir + "/.index.json";
  std::ifstream in(path);
  if (!in) return Error::from_errno("opening hub index " + path);
  Index index;
  index.dir_ = dir;
  try {
    const auto json = nlohmann::json::parse(in);
    for (size_t t = 0; t < std::size(kSections); ++t) {
      auto section = json.find(std::string(kSections[t]));
      if (section == json.end() || !section->is_object()) continue;
      for (const auto& [name, obj] : section->items()) {
        Entry e;
        e.path = obj.value("path", "");
        e.stage = obj.value("stage", "");
        if (t == 3) {
          e.parsers = string_list(obj, "parsers");
          e.scenarios = string_list(obj, "scenarios");
          e.postoverflows = string_list(obj, "postoverflows");
          e.collections = string_list(obj, "collections");
        }
        index.by_type_[t].emplace(name, std::move(e));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Error("reading hub index " + path + ": " + e.what());
  }
  return index;
}

Result<Item> Index::find(ItemType type, std::string_view name) const {
  const auto& table = by_type_[static_cast<int>(type)];
  auto it = table.find(name);
  if (it == table.end()) {
    return Error("unknown " + std::string(item_type_name(type)) + " '" + std::string(name) + "'");
  }
  return Item{type, std::string(name), dir_ + "/" + it->second.path, it->second.stage};
}

Result<void> Index::expand(std::string_view name, Selection& out,
                           std::vector<std::string>& seen) const {
  if (std::find(seen.begin(), seen.end(), name) != seen.end()) return ok();
  seen.emplace_back(name);
  const auto& collections = by_type_[static_cast<int>(ItemType::kCollection)];
  auto it = collections.find(name);
  if (it == collections.end()) return Error("unknown collection '" + std::string(name) + "'");
  const Entry& c = it->second;
  const std::pair<const std::vector<std::string>*, ItemType> lists[] = {
      {&c.parsers, ItemType::kParser},
      {&c.scenarios, ItemType::kScenario},
      {&c.postoverflows, ItemType::kPostoverflow},
  };
  for (const auto& [names, type] : lists) {
    for (const auto& item_name : *names) {
      auto item = find(type, item_name);
      if (!item) return item.error().context("collection '" + std::string(name) + "'");
      auto& target = type == ItemType::kParser     ? out.parsers
                     : type == ItemType::kScenario ? out.scenarios
                                                   : out.postoverflows;
      append_unique(target, std::move(*item));
    }
  }
  for (const auto& nested : c.collections)
    PHALANX_CHECK(expand(nested, out, seen));
  return ok();
}

Result<Selection> Index::resolve_collections(const std::vector<std::string>& names) const {
  Selection out;
  std::vector<std::string> seen;
  for (const auto& name : names)
    PHALANX_CHECK(expand(name, out, seen));
  return out;
}

}  // namespace phalanx::hub

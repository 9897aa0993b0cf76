// SPDX-License-Identifier: Apache-2.0
// A hub directory (the layout of the public hub: parsers/, scenarios/, postoverflows/,
// collections/, patterns/, data/, .index.json) and name resolution through its index:
// "crowdsecurity/sshd-logs" → parsers/s01-parse/crowdsecurity/sshd-logs.yaml, and collections
// expanded to the items they pull in, recursively.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace phalanx::hub {

enum class ItemType { kParser, kScenario, kPostoverflow, kCollection };

struct Item {
  ItemType type = ItemType::kParser;
  std::string name;   // "crowdsecurity/sshd-logs"
  std::string path;   // absolute path of the item file
  std::string stage;  // parsers and postoverflows: "s01-parse" (from the index); else empty
};

// The items a set of collections resolves to, each list in dependency order without duplicates.
struct Selection {
  std::vector<Item> parsers;
  std::vector<Item> scenarios;
  std::vector<Item> postoverflows;
};

class Index {
 public:
  // Reads <dir>/.index.json. Errors: missing or malformed index.
  static Result<Index> load(const std::string& dir);

  const std::string& dir() const { return dir_; }
  std::string patterns_dir() const { return dir_ + "/patterns"; }
  std::string data_dir() const { return dir_ + "/data"; }

  // Looks an item up by hub name. Errors: "unknown parser 'x'".
  Result<Item> find(ItemType type, std::string_view name) const;
  // Expands collections (their parsers, scenarios, postoverflows and nested collections).
  // Errors: an unknown collection or item, naming the collection that referenced it.
  Result<Selection> resolve_collections(const std::vector<std::string>& names) const;

 private:
  struct Entry {
    std::string path;  // relative to dir_
    std::string stage;
    std::vector<std::string> parsers, scenarios, postoverflows, collections;  // collections only
  };
  Result<void> expand(std::string_view name, Selection& out, std::vector<std::string>& seen) const;

  std::string dir_;
  std::map<std::string, Entry, std::less<>> by_type_[4];
};

std::string_view item_type_name(ItemType type);

}  // namespace phalanx::hub

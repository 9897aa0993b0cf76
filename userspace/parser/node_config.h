// SPDX-License-Identifier: Apache-2.0
// The YAML shape of a parser node (hub format, spec §4.2), decoded strictly: an unknown key is
// an error naming it, as in the hub's own loader. Decoding only checks shapes; expressions,
// grok patterns and data files are compiled later by the loader, which reports every problem.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/diagnostics.h"

namespace phalanx::parser {

// Where a static writes its result. Declaration order is the hub's precedence when one entry
// names several targets: method > parsed > meta > enriched > target.
enum class StaticKind { kMethod, kParsed, kMeta, kEnriched, kTarget };

struct StaticConfig {
  StaticKind kind = StaticKind::kMeta;
  std::string key;         // method name, Parsed/Meta/Enriched key, or target path
  std::string value;       // literal value (used when expression is empty)
  std::string expression;  // expr returning string/int/float
  int line = 0;
};

struct GrokConfig {
  std::string pattern;     // inline pattern, or
  std::string name;        // a named pattern of the library
  std::string apply_on;    // "Line.Raw" or a key of Parsed
  std::string expression;  // alternative to apply_on
  std::vector<StaticConfig> statics;
  int line = 0;
};

struct WhitelistConfig {
  std::string reason;
  std::vector<std::string> ips;
  std::vector<std::string> cidrs;
  std::vector<std::string> expressions;
  int line = 0;
};

struct StashConfig {
  std::string name;
  std::string key;    // expr
  std::string value;  // expr
  std::string ttl;    // Go duration
  long long size = 100;
  std::string strategy = "LRU";
  int line = 0;
};

struct DataFileConfig {
  std::string source_url;
  std::string dest_file;
  std::string type;  // string, regexp, map
};

struct NodeConfig {
  std::string file;
  int line = 0;
  std::string name;
  std::string description;
  std::string filter;
  bool next_stage = false;  // onsuccess: next_stage (default continue)
  bool debug = false;
  std::vector<std::pair<std::string, std::string>> pattern_syntax;  // in file order
  std::optional<GrokConfig> grok;
  std::vector<NodeConfig> nodes;
  std::vector<StaticConfig> statics;
  std::vector<StashConfig> stash;
  std::optional<WhitelistConfig> whitelist;
  std::vector<DataFileConfig> data;
};

// Decodes every document of a parser file. Documents with none of name/description/author are
// skipped, as the hub does. Problems are added to `diags`; a document with an error is left out
// and the others are returned.
std::vector<NodeConfig> decode_parser_documents(const std::vector<YAML::Node>& docs,
                                                const std::string& file, Diagnostics& diags);

// Decodes one node (recursively). Returns nullopt after adding diagnostics on error.
std::optional<NodeConfig> decode_node(const YAML::Node& node, const std::string& file,
                                      Diagnostics& diags);

// Decodes a list of statics (used for nodes, groks and hubtest override_statics).
bool decode_statics(const YAML::Node& list, const std::string& file, const std::string& item,
                    std::vector<StaticConfig>& out, Diagnostics& diags);

// Decodes a `data:` list (parsers and scenarios share the shape).
bool decode_data_list(const YAML::Node& list, const std::string& file, const std::string& item,
                      std::vector<DataFileConfig>& out, Diagnostics& diags);

// Reports every key of `map` that is not in `known` ("unknown key 'x' in <what>"); false if any.
bool check_known_keys(const YAML::Node& map, std::initializer_list<std::string_view> known,
                      const std::string& file, const std::string& item, std::string_view what,
                      Diagnostics& diags);

}  // namespace phalanx::parser

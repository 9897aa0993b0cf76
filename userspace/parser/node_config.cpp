// SPDX-License-Identifier: Apache-2.0
#include "parser/node_config.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "core/yaml.h"

namespace phalanx::parser {
namespace {

using yaml::line_of;

// Reports keys that are not in `known`; returns false if any. Strict decoding catches typos
// such as "onsucess" that would otherwise silently change behaviour.
bool check_keys(const YAML::Node& map, std::initializer_list<std::string_view> known,
                const std::string& file, const std::string& item, std::string_view what,
                Diagnostics& diags) {
  bool ok = true;
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>("");
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      diags.error(file, line_of(kv.first), item,
                  "unknown key '" + key + "' in " + std::string(what));
      ok = false;
    }
  }
  return ok;
}

// Reads a scalar child as a string, reporting a type error.
bool read_string(const YAML::Node& parent, std::string_view key, const std::string& file,
                 const std::string& item, std::string& out, Diagnostics& diags) {
  auto value = yaml::get_string(parent, key, file, out);
  if (!value) {
    diags.error(file, line_of(parent[std::string(key)]), item, value.error().message());
    return false;
  }
  out = std::move(*value);
  return true;
}

bool decode_static(const YAML::Node& node, const std::string& file, const std::string& item,
                   StaticConfig& out, Diagnostics& diags) {
  out.line = line_of(node);
  if (!node.IsMap()) {
    diags.error(file, out.line, item, "a static must be a map");
    return false;
  }
  bool ok =
      check_keys(node, {"method", "parsed", "meta", "enriched", "target", "value", "expression"},
                 file, item, "static", diags);
  // The first present key in precedence order decides the target.
  const std::pair<std::string_view, StaticKind> kinds[] = {
      {"method", StaticKind::kMethod}, {"parsed", StaticKind::kParsed},
      {"meta", StaticKind::kMeta},     {"enriched", StaticKind::kEnriched},
      {"target", StaticKind::kTarget},
  };
  bool found = false;
  for (const auto& [key, kind] : kinds) {
    if (!node[std::string(key)]) continue;
    out.kind = kind;
    ok = read_string(node, key, file, item, out.key, diags) && ok;
    found = true;
    break;
  }
  if (!found) {
    diags.error(file, out.line, item,
                "static has no target (one of method, parsed, meta, enriched, target)");
    return false;
  }
  ok = read_string(node, "value", file, item, out.value, diags) && ok;
  ok = read_string(node, "expression", file, item, out.expression, diags) && ok;
  return ok;
}

bool decode_grok(const YAML::Node& node, const std::string& file, const std::string& item,
                 GrokConfig& out, Diagnostics& diags) {
  out.line = line_of(node);
  if (!node.IsMap()) {
    diags.error(file, out.line, item, "grok must be a map");
    return false;
  }
  bool ok = check_keys(node, {"pattern", "name", "apply_on", "expression", "statics"}, file, item,
                       "grok", diags);
  ok = read_string(node, "pattern", file, item, out.pattern, diags) && ok;
  ok = read_string(node, "name", file, item, out.name, diags) && ok;
  ok = read_string(node, "apply_on", file, item, out.apply_on, diags) && ok;
  ok = read_string(node, "expression", file, item, out.expression, diags) && ok;
  if (ok && out.pattern.empty() && out.name.empty()) {
    diags.error(file, out.line, item, "grok needs 'pattern' or 'name'");
    ok = false;
  }
  if (ok && out.apply_on.empty() && out.expression.empty()) {
    diags.error(file, out.line, item, "grok needs 'apply_on' or 'expression'");
    ok = false;
  }
  if (node["statics"]) ok = decode_statics(node["statics"], file, item, out.statics, diags) && ok;
  return ok;
}

bool decode_whitelist(const YAML::Node& node, const std::string& file, const std::string& item,
                      WhitelistConfig& out, Diagnostics& diags) {
  out.line = line_of(node);
  if (!node.IsMap()) {
    diags.error(file, out.line, item, "whitelist must be a map");
    return false;
  }
  bool ok =
      check_keys(node, {"reason", "ip", "cidr", "expression"}, file, item, "whitelist", diags);
  ok = read_string(node, "reason", file, item, out.reason, diags) && ok;
  const std::pair<std::string_view, std::vector<std::string>*> lists[] = {
      {"ip", &out.ips}, {"cidr", &out.cidrs}, {"expression", &out.expressions}};
  for (const auto& [key, target] : lists) {
    auto values = yaml::get_string_list(node, key, file);
    if (!values) {
      diags.error(file, line_of(node[std::string(key)]), item, values.error().message());
      ok = false;
      continue;
    }
    *target = std::move(*values);
  }
  return ok;
}

bool decode_stash(const YAML::Node& list, const std::string& file, const std::string& item,
                  std::vector<StashConfig>& out, Diagnostics& diags) {
  if (!list.IsSequence()) {
    diags.error(file, line_of(list), item, "stash must be a list");
    return false;
  }
  bool ok = true;
  for (const auto& node : list) {
    StashConfig s;
    s.line = line_of(node);
    if (!node.IsMap()) {
      diags.error(file, s.line, item, "a stash entry must be a map");
      ok = false;
      continue;
    }
    ok = check_keys(node, {"name", "key", "value", "ttl", "size", "strategy"}, file, item, "stash",
                    diags) &&
         ok;
    ok = read_string(node, "name", file, item, s.name, diags) && ok;
    ok = read_string(node, "key", file, item, s.key, diags) && ok;
    ok = read_string(node, "value", file, item, s.value, diags) && ok;
    ok = read_string(node, "ttl", file, item, s.ttl, diags) && ok;
    ok = read_string(node, "strategy", file, item, s.strategy, diags) && ok;
    auto size = yaml::get_int(node, "size", file, s.size);
    if (!size) {
      diags.error(file, s.line, item, size.error().message());
      ok = false;
    } else {
      s.size = *size;
    }
    if (s.name.empty() || s.key.empty() || s.value.empty()) {
      diags.error(file, s.line, item, "stash entry needs name, key and value");
      ok = false;
    }
    out.push_back(std::move(s));
  }
  return ok;
}

bool decode_data(const YAML::Node& list, const std::string& file, const std::string& item,
                 std::vector<DataFileConfig>& out, Diagnostics& diags) {
  if (!list.IsSequence()) {
    diags.error(file, line_of(list), item, "data must be a list");
    return false;
  }
  bool ok = true;
  for (const auto& node : list) {
    DataFileConfig d;
    if (!node.IsMap()) {
      diags.error(file, line_of(node), item, "a data entry must be a map");
      ok = false;
      continue;
    }
    ok = check_keys(node, {"source_url", "dest_file", "type", "strategy", "cache", "size", "ttl"},
                    file, item, "data", diags) &&
         ok;
    ok = read_string(node, "source_url", file, item, d.source_url, diags) && ok;
    ok = read_string(node, "dest_file", file, item, d.dest_file, diags) && ok;
    ok = read_string(node, "type", file, item, d.type, diags) && ok;
    out.push_back(std::move(d));
  }
  return ok;
}

bool decode_pattern_syntax(const YAML::Node& map, const std::string& file, const std::string& item,
                           NodeConfig& out, Diagnostics& diags) {
  if (!map.IsMap()) {
    diags.error(file, line_of(map), item, "pattern_syntax must be a map of name: pattern");
    return false;
  }
  bool ok = true;
  for (const auto& kv : map) {
    if (!kv.second.IsScalar()) {
      diags.error(file, line_of(kv.second), item,
                  "pattern_syntax '" + kv.first.as<std::string>("") + "' must be a string");
      ok = false;
      continue;
    }
    out.pattern_syntax.emplace_back(kv.first.as<std::string>(""), kv.second.Scalar());
  }
  return ok;
}

}  // namespace

bool decode_statics(const YAML::Node& list, const std::string& file, const std::string& item,
                    std::vector<StaticConfig>& out, Diagnostics& diags) {
  if (!list.IsSequence()) {
    diags.error(file, line_of(list), item, "statics must be a list");
    return false;
  }
  bool ok = true;
  for (const auto& node : list) {
    StaticConfig s;
    if (decode_static(node, file, item, s, diags)) {
      out.push_back(std::move(s));
    } else {
      ok = false;
    }
  }
  return ok;
}

std::optional<NodeConfig> decode_node(const YAML::Node& node, const std::string& file,
                                      Diagnostics& diags) {
  NodeConfig out;
  out.file = file;
  out.line = line_of(node);
  if (!node.IsMap()) {
    diags.error(file, out.line, "", "a parser node must be a map");
    return std::nullopt;
  }
  std::string item;
  read_string(node, "name", file, "", out.name, diags);
  item = out.name;
  bool ok = check_keys(node,
                       {"name", "description", "author", "references", "format", "debug",
                        "profiling", "filter", "onsuccess", "pattern_syntax", "grok", "nodes",
                        "statics", "stash", "whitelist", "data", "labels"},
                       file, item, "parser node", diags);
  ok = read_string(node, "description", file, item, out.description, diags) && ok;
  ok = read_string(node, "filter", file, item, out.filter, diags) && ok;
  std::string onsuccess;
  ok = read_string(node, "onsuccess", file, item, onsuccess, diags) && ok;
  if (onsuccess == "next_stage") {
    out.next_stage = true;
  } else if (!onsuccess.empty() && onsuccess != "continue") {
    diags.error(file, line_of(node["onsuccess"]), item,
                "onsuccess must be 'next_stage' or 'continue', not '" + onsuccess + "'");
    ok = false;
  }
  auto debug = yaml::get_bool(node, "debug", file);
  if (debug) out.debug = *debug;
  if (node["pattern_syntax"]) {
    ok = decode_pattern_syntax(node["pattern_syntax"], file, item, out, diags) && ok;
  }
  if (node["grok"]) {
    out.grok.emplace();
    ok = decode_grok(node["grok"], file, item, *out.grok, diags) && ok;
  }
  if (node["statics"]) ok = decode_statics(node["statics"], file, item, out.statics, diags) && ok;
  if (node["stash"]) ok = decode_stash(node["stash"], file, item, out.stash, diags) && ok;
  if (node["whitelist"]) {
    out.whitelist.emplace();
    ok = decode_whitelist(node["whitelist"], file, item, *out.whitelist, diags) && ok;
  }
  if (node["data"]) ok = decode_data(node["data"], file, item, out.data, diags) && ok;
  if (const YAML::Node children = node["nodes"]) {
    if (!children.IsSequence()) {
      diags.error(file, line_of(children), item, "nodes must be a list");
      ok = false;
    } else {
      for (const auto& child : children) {
        auto decoded = decode_node(child, file, diags);
        if (!decoded) {
          ok = false;
          continue;
        }
        // An unnamed child is known by its parent's name, as in the hub's own tooling.
        if (decoded->name.empty()) decoded->name = "child-" + out.name;
        out.nodes.push_back(std::move(*decoded));
      }
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::vector<NodeConfig> decode_parser_documents(const std::vector<YAML::Node>& docs,
                                                const std::string& file, Diagnostics& diags) {
  std::vector<NodeConfig> out;
  for (const auto& doc : docs) {
    if (!doc || doc.IsNull()) continue;
    if (doc.IsMap() && !doc["name"] && !doc["description"] && !doc["author"]) continue;
    if (auto node = decode_node(doc, file, diags)) out.push_back(std::move(*node));
  }
  return out;
}

bool decode_data_list(const YAML::Node& list, const std::string& file, const std::string& item,
                      std::vector<DataFileConfig>& out, Diagnostics& diags) {
  return decode_data(list, file, item, out, diags);
}

bool check_known_keys(const YAML::Node& map, std::initializer_list<std::string_view> known,
                      const std::string& file, const std::string& item, std::string_view what,
                      Diagnostics& diags) {
  return check_keys(map, known, file, item, what, diags);
}

}  // namespace phalanx::parser

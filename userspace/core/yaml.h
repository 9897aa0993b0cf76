// SPDX-License-Identifier: Apache-2.0
// YAML helpers over yaml-cpp whose errors name the file, the line and the key. yaml-cpp throws;
// these functions catch at once and return Result, so no exception leaves this module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace phalanx::yaml {

// One document of a (possibly multi-document) YAML file, with the file it came from.
struct Document {
  std::string file;
  YAML::Node root;
};

// Loads every document of a file ("---"-separated). A syntax error returns
// "file:line:col: message".
Result<std::vector<Document>> load_file(const std::string& path);
// Same, for text held in memory; `name` is used in messages.
Result<std::vector<Document>> load_string(std::string_view text, const std::string& name);

// 1-based line of a node, or 0 when yaml-cpp does not know it.
int line_of(const YAML::Node& node);

// "file:line" of a node.
std::string where(const std::string& file, const YAML::Node& node);

// Reads a scalar child `key` as a string. Missing → fallback. A child that is not a scalar is
// an error "file:line: key 'x': expected a string".
Result<std::string> get_string(const YAML::Node& parent, std::string_view key,
                               const std::string& file, std::string fallback = {});
// Reads an optional boolean child.
Result<bool> get_bool(const YAML::Node& parent, std::string_view key, const std::string& file,
                      bool fallback = false);
// Reads an optional integer child.
Result<long long> get_int(const YAML::Node& parent, std::string_view key, const std::string& file,
                          long long fallback = 0);
// Reads a child that is a single string or a list of strings.
Result<std::vector<std::string>> get_string_list(const YAML::Node& parent, std::string_view key,
                                                 const std::string& file);

// Expands ${VAR} from the environment ("$${" escapes a literal "${"); unset variables expand to
// "" and are listed in `missing` when given.
std::string expand_env(std::string_view text, std::vector<std::string>* missing = nullptr);

}  // namespace phalanx::yaml

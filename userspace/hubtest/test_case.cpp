// SPDX-License-Identifier: Apache-2.0
#include "hubtest/test_case.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/diagnostics.h"
#include "core/yaml.h"

namespace phalanx::hubtest {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> non_empty(std::vector<std::string> list) {
  list.erase(std::remove(list.begin(), list.end(), std::string()), list.end());
  return list;
}

}  // namespace

Result<TestCase> load_test_case(const std::string& dir) {
  const std::string config_path = dir + "/config.yaml";
  PHALANX_TRY(auto docs, yaml::load_file(config_path));
  if (docs.empty() || !docs[0].root.IsMap()) {
    return Error(config_path + ": expected a map");
  }
  const YAML::Node& root = docs[0].root;
  TestCase tc;
  tc.dir = dir;
  tc.name = fs::path(dir).filename().string();
  PHALANX_TRY(tc.parsers, yaml::get_string_list(root, "parsers", config_path));
  PHALANX_TRY(auto scenarios, yaml::get_string_list(root, "scenarios", config_path));
  PHALANX_TRY(auto postoverflows, yaml::get_string_list(root, "postoverflows", config_path));
  tc.scenarios = non_empty(std::move(scenarios));
  tc.postoverflows = non_empty(std::move(postoverflows));
  PHALANX_TRY(auto log_file, yaml::get_string(root, "log_file", config_path));
  tc.log_file = dir + "/" + log_file;
  PHALANX_TRY(tc.log_type, yaml::get_string(root, "log_type", config_path));
  PHALANX_TRY(tc.ignore_parsers, yaml::get_bool(root, "ignore_parsers", config_path));
  if (const YAML::Node labels = root["labels"]; labels && labels.IsMap()) {
    for (const auto& kv : labels) {
      tc.labels.emplace_back(kv.first.as<std::string>(""), kv.second.as<std::string>(""));
    }
  }
  if (const YAML::Node statics = root["override_statics"]; statics && statics.IsSequence()) {
    Diagnostics diags;
    if (!parser::decode_statics(statics, config_path, "override_statics", tc.override_statics,
                                diags)) {
      return Error(diags.items().front().to_string());
    }
  }
  tc.appsec = root["appsec-rules"].IsDefined() || root["nuclei_template"].IsDefined();
  tc.parser_asserts = read_lines(dir + "/parser.assert");
  tc.scenario_asserts = read_lines(dir + "/scenario.assert");
  return tc;
}

Result<std::vector<std::string>> list_test_dirs(const std::string& hub_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(hub_dir + "/.tests", ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "config.yaml")) {
      out.push_back(entry.path().string());
    }
  }
  if (ec) return Error("listing " + hub_dir + "/.tests: " + ec.message(), ec.value());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace phalanx::hubtest

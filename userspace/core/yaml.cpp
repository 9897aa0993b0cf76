// SPDX-License-Identifier: Apache-2.0
#include "core/yaml.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/diagnostics.h"

namespace phalanx {

std::string Diagnostic::to_string() const {
  // fmt rather than chained operator+: g++ 12 at -O3 reports a false -Wrestrict on the latter.
  std::string out;
  if (!file.empty()) {
    out = line > 0 ? fmt::format("{}:{}: ", file, line) : fmt::format("{}: ", file);
  }
  if (!item.empty()) out += fmt::format("'{}': ", item);
  out += message;
  return out;
}

}  // namespace phalanx

namespace phalanx::yaml {
namespace {

Result<std::vector<Document>> load_stream(std::istream& in, const std::string& name) {
  try {
    std::vector<Document> docs;
    for (auto& node : YAML::LoadAll(in))
      docs.push_back({name, node});
    return docs;
  } catch (const YAML::Exception& e) {
    // e.mark is 0-based; e.msg has no position.
    return Error(name + ":" + std::to_string(e.mark.line + 1) + ":" +
                 std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

Error type_error(const std::string& file, const YAML::Node& node, std::string_view key,
                 std::string_view expected) {
  return Error(where(file, node) + ": key '" + std::string(key) + "': expected " +
               std::string(expected));
}

}  // namespace

Result<std::vector<Document>> load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::from_errno("opening " + path);
  return load_stream(in, path);
}

Result<std::vector<Document>> load_string(std::string_view text, const std::string& name) {
  std::istringstream in{std::string(text)};
  return load_stream(in, name);
}

int line_of(const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

std::string where(const std::string& file, const YAML::Node& node) {
  const int line = line_of(node);
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

Result<std::string> get_string(const YAML::Node& parent, std::string_view key,
                               const std::string& file, std::string fallback) {
  const YAML::Node child = parent[std::string(key)];
  if (!child || child.IsNull()) return fallback;
  if (!child.IsScalar()) return type_error(file, child, key, "a string");
  return child.Scalar();
}

Result<bool> get_bool(const YAML::Node& parent, std::string_view key, const std::string& file,
                      bool fallback) {
  const YAML::Node child = parent[std::string(key)];
  if (!child || child.IsNull()) return fallback;
  bool value = false;
  if (!child.IsScalar() || !YAML::convert<bool>::decode(child, value)) {
    return type_error(file, child, key, "a boolean");
  }
  return value;
}

Result<long long> get_int(const YAML::Node& parent, std::string_view key, const std::string& file,
                          long long fallback) {
  const YAML::Node child = parent[std::string(key)];
  if (!child || child.IsNull()) return fallback;
  long long value = 0;
  if (!child.IsScalar() || !YAML::convert<long long>::decode(child, value)) {
    return type_error(file, child, key, "an integer");
  }
  return value;
}

Result<std::vector<std::string>> get_string_list(const YAML::Node& parent, std::string_view key,
                                                 const std::string& file) {
  const YAML::Node child = parent[std::string(key)];
  std::vector<std::string> out;
  if (!child || child.IsNull()) return out;
  if (child.IsScalar()) {
    out.push_back(child.Scalar());
    return out;
  }
  if (!child.IsSequence()) return type_error(file, child, key, "a string or a list of strings");
  for (const auto& item : child) {
    if (!item.IsScalar()) return type_error(file, item, key, "a list of strings");
    out.push_back(item.Scalar());
  }
  return out;
}

std::string expand_env(std::string_view text, std::vector<std::string>* missing) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 2;
      continue;
    }
    if (text.compare(i, 2, "${") == 0) {
      const size_t end = text.find('}', i + 2);
      if (end != std::string_view::npos) {
        const std::string name(text.substr(i + 2, end - i - 2));
        if (const char* value = std::getenv(name.c_str())) {
          out += value;
        } else if (missing != nullptr) {
          missing->push_back(name);
        }
        i = end;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

}  // namespace phalanx::yaml

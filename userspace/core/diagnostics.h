// SPDX-License-Identifier: Apache-2.0
// Load diagnostics: loaders of parsers, scenarios and profiles collect every problem with its
// file, line and item instead of stopping at the first one, so `phalanx scenarios lint` shows
// everything in one run.
#pragma once

#include <string>
#include <vector>

namespace phalanx {

struct Diagnostic {
  enum class Severity { kWarning, kError };
  Severity severity = Severity::kError;
  std::string file;
  int line = 0;      // 1-based; 0 when unknown
  std::string item;  // node / scenario / pattern name, may be empty
  std::string message;

  // "file:line: item 'x': message" (parts that are unknown are left out).
  std::string to_string() const;
};

class Diagnostics {
 public:
  void error(std::string file, int line, std::string item, std::string message) {
    items_.push_back(
        {Diagnostic::Severity::kError, std::move(file), line, std::move(item), std::move(message)});
  }
  void warning(std::string file, int line, std::string item, std::string message) {
    items_.push_back({Diagnostic::Severity::kWarning, std::move(file), line, std::move(item),
                      std::move(message)});
  }
  void append(const Diagnostics& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  }
  bool has_errors() const {
    for (const auto& d : items_)
      if (d.severity == Diagnostic::Severity::kError) return true;
    return false;
  }
  size_t error_count() const {
    size_t n = 0;
    for (const auto& d : items_)
      n += d.severity == Diagnostic::Severity::kError;
    return n;
  }
  const std::vector<Diagnostic>& items() const { return items_; }
  // The most recent diagnostic; there must be one.
  Diagnostic& last() { return items_.back(); }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace phalanx

// SPDX-License-Identifier: Apache-2.0
// Output helpers shared by the CLI commands: exit codes (0 ok, 1 failure, 2 usage), safe
// rendering of log text that may hold control bytes or invalid UTF-8, diagnostics.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.h"

namespace phalanx::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Prints "phalanx: <message>" to stderr and returns kExitFailure.
int fail(std::string_view message);
// Prints "phalanx: <message>" to stderr and returns kExitUsage.
int usage_error(std::string_view message);

// Log text for a terminal: control bytes as \xNN, invalid UTF-8 bytes as \xNN, and lines
// longer than max_len cut with "…(N bytes)".
std::string printable(std::string_view text, size_t max_len = 400);

// Text made valid UTF-8 for JSON (invalid bytes become U+FFFD), so hostile log lines never make
// the JSON writer fail.
std::string json_string(std::string_view text);

// Prints load diagnostics to stderr ("error: file:line: 'item': message"): every error, and
// the warnings when `warnings` is set (otherwise one line counting them). Returns the number
// of errors.
size_t report_diagnostics(const Diagnostics& diags, bool warnings);

}  // namespace phalanx::cli

namespace phalanx::cli {

// A text table: columns as wide as their widest cell, two spaces apart, a header row.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t size() const { return rows_.size() - 1; }
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace phalanx::cli

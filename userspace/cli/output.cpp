// SPDX-License-Identifier: Apache-2.0
#include "cli/output.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

namespace phalanx::cli {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are not one.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

}  // namespace

int fail(std::string_view message) {
  std::cerr << "phalanx: " << message << "\n";
  return kExitFailure;
}

int usage_error(std::string_view message) {
  std::cerr << "phalanx: " << message << "\n";
  return kExitUsage;
}

std::string printable(std::string_view text, size_t max_len) {
  std::string out;
  const size_t n = std::min(text.size(), max_len);
  for (size_t i = 0; i < n;) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = utf8_sequence(text, i);
    if (len == 0 || c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  if (text.size() > max_len) out += fmt::format("\u2026({} bytes)", text.size());
  return out;
}

std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_sequence(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

size_t report_diagnostics(const Diagnostics& diags, bool warnings) {
  size_t hidden = 0;
  for (const auto& d : diags.items()) {
    const bool error = d.severity == Diagnostic::Severity::kError;
    if (!error && !warnings) {
      ++hidden;
      continue;
    }
    std::cerr << (error ? "error: " : "warning: ") << d.to_string() << "\n";
  }
  if (hidden > 0) {
    std::cerr << fmt::format("{} warning(s) while loading content (--log-level info lists them)\n",
                             hidden);
  }
  return diags.error_count();
}

}  // namespace phalanx::cli

namespace phalanx::cli {

std::string Table::render() const {
  std::vector<size_t> width;
  for (const auto& row : rows_) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace phalanx::cli

// SPDX-License-Identifier: Apache-2.0
#include "grok/pattern_library.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "grok/base_patterns.h"
#include "grok/expander.h"

namespace phalanx::grok {
namespace {

// Go's \s, which CrowdSec's pattern-file reader uses between the name and the regex.
bool is_go_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

bool is_word(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Splits one pattern-file line into name and regex the way the reference reader's
// ^(\w+)\s+(.+)$ does; returns false for lines that define nothing.
bool parse_line(std::string_view line, std::string_view& name, std::string_view& regex) {
  size_t n = 0;
  while (n < line.size() && is_word(line[n]))
    ++n;
  size_t ws = 0;
  while (n + ws < line.size() && is_go_space(line[n + ws]))
    ++ws;
  if (n == 0 || ws == 0) return false;
  name = line.substr(0, n);
  regex = line.substr(n + ws);
  if (regex.empty()) {
    // \s+ gives back one whitespace character to (.+) when nothing else follows.
    if (ws < 2) return false;
    regex = line.substr(n + ws - 1, 1);
  }
  return true;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::from_errno("reading grok pattern file " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Error::from_errno("reading grok pattern file " + path);
  return buf.str();
}

}  // namespace

PatternLibrary::PatternLibrary() {
  for (const BasePattern& p : base_patterns()) {
    patterns_.emplace(std::string(p.name), Definition{std::string(p.regex), "built-in"});
  }
}

PatternLibrary PatternLibrary::empty() {
  return PatternLibrary(EmptyTag{});
}

Result<bool> PatternLibrary::add(std::string_view name, std::string_view regex,
                                 std::string_view origin) {
  if (name.empty()) return Error("adding grok pattern: empty name");
  if (regex.empty()) {
    return Error("adding grok pattern '" + std::string(name) + "': empty expression");
  }
  auto [it, inserted] =
      patterns_.try_emplace(std::string(name), Definition{std::string(regex), std::string(origin)});
  if (!inserted) {
    std::string first = it->second.origin.empty() ? "" : " (" + it->second.origin + ")";
    diagnostics_.warning(std::string(origin), 0, std::string(name),
                         "grok pattern '" + std::string(name) + "' already exists" + first +
                             "; the first definition is kept");
  }
  return inserted;
}

void PatternLibrary::load_text(std::string_view text, std::string_view file) {
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view name, regex;
    if (!parse_line(line, name, regex)) continue;
    std::string origin = std::string(file) + ":" + std::to_string(line_no);
    auto added = add(name, regex, origin);
    // parse_line never yields an empty name or regex, so add() cannot fail here.
    (void)added;
  }
}

Result<void> PatternLibrary::load_file(const std::string& path) {
  PHALANX_TRY(std::string text, read_file(path));
  load_text(text, path);
  return ok();
}

Result<void> PatternLibrary::load_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return Error("reading grok pattern directory " + dir + ": " + ec.message(), ec.value());
  std::vector<std::string> files;
  for (const fs::directory_entry& entry : it) {
    std::string name = entry.path().filename().string();
    if (name.find('.') != std::string::npos) continue;
    if (entry.is_directory(ec)) continue;
    files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& file : files)
    PHALANX_CHECK(load_file(file));
  return ok();
}

bool PatternLibrary::contains(std::string_view name) const {
  return find(name) != nullptr;
}

const std::string* PatternLibrary::find(std::string_view name) const {
  auto it = patterns_.find(std::string(name));
  return it == patterns_.end() ? nullptr : &it->second.regex;
}

std::vector<std::string> PatternLibrary::names() const {
  std::vector<std::string> out;
  out.reserve(patterns_.size());
  for (const auto& [name, def] : patterns_)
    out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

Result<Expansion> PatternLibrary::expand(std::string_view pattern) const {
  if (pattern.empty()) return Error("expanding grok pattern: empty pattern");
  Expander expander([this](std::string_view name) { return find(name); });
  PHALANX_TRY(Fragment fragment, expander.expand_text(pattern));
  return number_groups(std::move(fragment));
}

Result<Expansion> PatternLibrary::expand_named(std::string_view name) const {
  Expander expander([this](std::string_view n) { return find(n); });
  PHALANX_TRY(const Fragment* fragment, expander.expand_name(name));
  return number_groups(*fragment);
}

}  // namespace phalanx::grok

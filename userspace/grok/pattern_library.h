// SPDX-License-Identifier: Apache-2.0
// The grok pattern library: named regex fragments (the built-in base patterns, pattern files
// such as the hub's patterns/ directory, and parsers' `pattern_syntax` entries), and the
// expansion of %{NAME} / %{NAME:semantic} references into one RE2 regex.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/diagnostics.h"
#include "core/result.h"

namespace phalanx::grok {

// One semantic (output field) of an expanded pattern.
struct Semantic {
  std::string name;
  int group = 0;  // RE2 capture group number (1-based) whose text is the field's value
};

// A grok pattern turned into plain RE2 syntax.
struct Expansion {
  std::string regex;
  int group_count = 0;              // capturing groups in `regex`
  std::vector<Semantic> semantics;  // unique names, in order of first appearance
};

// Named grok patterns. One global namespace: the first definition of a name wins and later
// ones are ignored with a warning in diagnostics(), as CrowdSec does for its pattern files and
// for `pattern_syntax` (load order = pattern files, then parser files in path order).
//
// Expansion is lazy: definitions are stored as text and only expanded (and their references
// resolved) when a pattern that uses them is expanded, so a definition may refer to a name
// defined later, and a broken definition only fails the patterns that use it.
//
// Thread-safety: const member functions may run concurrently; add()/load_*() need exclusive
// access.
class PatternLibrary {
 public:
  // A library holding the 88 built-in base patterns (see base_patterns.h).
  PatternLibrary();
  // A library with no pattern at all (for tests and tools).
  static PatternLibrary empty();

  // Defines `name`. Returns true when added, false when the name already exists (the first
  // definition is kept and a warning naming both places is recorded). `origin` says where the
  // definition comes from ("file:line", a parser name) for messages. Errors: an empty name or
  // an empty regex ("adding grok pattern 'x': empty expression").
  Result<bool> add(std::string_view name, std::string_view regex, std::string_view origin = {});

  // Reads pattern-file text: each line "NAME<whitespace>REGEX" where NAME is [0-9A-Za-z_]+ at
  // the very start of the line; every other line (comments "#…", blank or indented lines) is
  // ignored. A trailing "\r" is dropped. `file` names the source in diagnostics. Never fails.
  void load_text(std::string_view text, std::string_view file);
  // Reads one pattern file. Errors: the file cannot be read.
  Result<void> load_file(const std::string& path);
  // Reads every regular file of `dir` in file-name order, skipping names that contain a '.'
  // (README.md and the like) and subdirectories, as CrowdSec does. Errors: the directory or
  // one of its files cannot be read.
  Result<void> load_directory(const std::string& dir);

  bool contains(std::string_view name) const;
  // The stored (unexpanded) text of a pattern, or nullptr.
  const std::string* find(std::string_view name) const;
  size_t size() const { return patterns_.size(); }
  // Every defined name, sorted.
  std::vector<std::string> names() const;
  // Warnings collected while loading (duplicate names).
  const Diagnostics& diagnostics() const { return diagnostics_; }

  // Expands a grok pattern: %{X:s} becomes "(" + expansion of X + ")" and %{X} becomes
  // "(?:" + expansion of X + ")"; any other text, including malformed references such as
  // %{INT:n:int}, is copied as is. Semantics of inner patterns are exposed too, unless the
  // same name is referenced directly in `pattern`; a name that occurs several times maps to
  // its last occurrence (see README.md). Errors: an empty pattern, an unknown name ("unknown
  // grok pattern 'X' (via A -> B)"), a recursive reference ("recursive grok pattern: A -> B
  // -> A"), a semantic whose group is not a capture group (inside a character class).
  Result<Expansion> expand(std::string_view pattern) const;
  // Expands the definition of `name` (a parser's `grok: name:`). Errors: as expand(), and an
  // unknown name.
  Result<Expansion> expand_named(std::string_view name) const;

 private:
  struct Definition {
    std::string regex;
    std::string origin;
  };
  struct EmptyTag {};
  explicit PatternLibrary(EmptyTag) {}

  std::unordered_map<std::string, Definition> patterns_;
  Diagnostics diagnostics_;
};

}  // namespace phalanx::grok

// SPDX-License-Identifier: Apache-2.0
// Internal to the grok module: recursive expansion of %{…} references with memoisation and
// cycle detection. PatternLibrary::expand() is the public entry point.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "grok/pattern_library.h"

namespace phalanx::grok {

// An expanded pattern before group numbering: each semantic is located by the offset of the
// '(' that opens its group in `regex`, so that nesting only shifts offsets.
struct Fragment {
  struct Sem {
    std::string name;
    size_t paren = 0;
  };
  std::string regex;
  std::vector<Sem> semantics;  // unique names, first-appearance order
};

// Expands patterns against a lookup function (name → stored text, or nullptr). One Expander
// serves one top-level expansion; sub-patterns are expanded once and reused. Not thread-safe.
class Expander {
 public:
  using Lookup = std::function<const std::string*(std::string_view)>;
  explicit Expander(Lookup lookup) : lookup_(std::move(lookup)) {}

  // Expands grok text. Errors: unknown or recursive references below it.
  Result<Fragment> expand_text(std::string_view pattern);
  // Expands the definition of a named pattern; the pointer stays valid for the Expander's
  // lifetime. Errors: unknown name, recursion, errors below it.
  Result<const Fragment*> expand_name(std::string_view name);

 private:
  std::string via() const;

  Lookup lookup_;
  std::unordered_map<std::string, Fragment> done_;
  std::vector<std::string> stack_;  // names being expanded, outermost first
};

// Numbers the groups of a fragment as RE2 will: each semantic gets the number of the capture
// group its '(' opens. Errors: a semantic whose '(' is not a capture group (it was expanded
// inside a character class or \Q…\E).
Result<Expansion> number_groups(const Fragment& fragment);

}  // namespace phalanx::grok

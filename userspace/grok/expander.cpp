// SPDX-License-Identifier: Apache-2.0
#include "grok/expander.h"

#include <algorithm>
#include <unordered_set>

#include "grok/syntax.h"

namespace phalanx::grok {
namespace {

// The semantics of one level of expansion, keyed by name; assigning a name again moves it to
// the new group but keeps its first position in the list.
class SemanticList {
 public:
  void set(std::string_view name, size_t paren) {
    auto it = index_.find(std::string(name));
    if (it != index_.end()) {
      list_[it->second].paren = paren;
      return;
    }
    index_.emplace(std::string(name), list_.size());
    list_.push_back({std::string(name), paren});
  }
  std::vector<Fragment::Sem> take() { return std::move(list_); }

 private:
  std::vector<Fragment::Sem> list_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace

std::string Expander::via() const {
  if (stack_.empty()) return {};
  std::string chain = " (via ";
  for (size_t i = 0; i < stack_.size(); ++i) {
    if (i) chain += " -> ";
    chain += stack_[i];
  }
  return chain + ")";
}

Result<Fragment> Expander::expand_text(std::string_view pattern) {
  std::vector<Reference> refs = find_references(pattern);
  // Names referenced directly at this level hide same-named semantics of inner patterns,
  // wherever they occur in the text.
  std::unordered_set<std::string_view> direct;
  for (const Reference& ref : refs)
    if (!ref.semantic.empty()) direct.insert(ref.semantic);

  Fragment out;
  out.regex.reserve(pattern.size());
  SemanticList semantics;
  size_t pos = 0;
  for (const Reference& ref : refs) {
    out.regex.append(pattern.substr(pos, ref.begin - pos));
    pos = ref.end;
    PHALANX_TRY(const Fragment* sub, expand_name(ref.name));
    if (ref.semantic.empty()) {
      out.regex += "(?:";
    } else {
      semantics.set(ref.semantic, out.regex.size());
      out.regex += '(';
    }
    size_t base = out.regex.size();
    out.regex += sub->regex;
    out.regex += ')';
    // Later occurrences win: an inner name seen again further right moves to that group.
    for (const Fragment::Sem& s : sub->semantics)
      if (!direct.contains(s.name)) semantics.set(s.name, base + s.paren);
  }
  out.regex.append(pattern.substr(pos));
  out.semantics = semantics.take();
  return out;
}

Result<const Fragment*> Expander::expand_name(std::string_view name) {
  std::string key(name);
  if (auto it = done_.find(key); it != done_.end()) return &it->second;
  if (std::find(stack_.begin(), stack_.end(), key) != stack_.end()) {
    std::string cycle = "recursive grok pattern: ";
    auto first = std::find(stack_.begin(), stack_.end(), key);
    for (auto it = first; it != stack_.end(); ++it)
      cycle += *it + " -> ";
    return Error(cycle + key);
  }
  const std::string* text = lookup_(name);
  if (text == nullptr) return Error("unknown grok pattern '" + key + "'" + via());
  stack_.push_back(key);
  auto fragment = expand_text(*text);
  stack_.pop_back();
  if (!fragment) return std::move(fragment).error();
  auto [it, inserted] = done_.emplace(std::move(key), std::move(fragment).value());
  return &it->second;
}

Result<Expansion> number_groups(const Fragment& fragment) {
  std::vector<size_t> parens = capture_group_offsets(fragment.regex);
  Expansion out;
  out.regex = fragment.regex;
  out.group_count = static_cast<int>(parens.size());
  out.semantics.reserve(fragment.semantics.size());
  for (const Fragment::Sem& s : fragment.semantics) {
    auto it = std::lower_bound(parens.begin(), parens.end(), s.paren);
    if (it == parens.end() || *it != s.paren) {
      return Error("semantic '" + s.name +
                   "' does not open a capture group (expanded inside a character class?)");
    }
    out.semantics.push_back({s.name, static_cast<int>(it - parens.begin()) + 1});
  }
  return out;
}

}  // namespace phalanx::grok

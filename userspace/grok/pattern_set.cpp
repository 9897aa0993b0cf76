// SPDX-License-Identifier: Apache-2.0
#include "grok/pattern_set.h"

#include <algorithm>

#include "grok/syntax.h"

namespace phalanx::grok {
namespace {

std::unique_ptr<RE2::Set> make_set(RE2::Options::Encoding encoding, const CompileOptions& options) {
  return std::make_unique<RE2::Set>(re2_options(encoding, options), RE2::UNANCHORED);
}

}  // namespace

Result<PatternSet> PatternSet::build(std::span<const Pattern> patterns,
                                     const CompileOptions& options) {
  PatternSet set;
  set.utf8_ = make_set(RE2::Options::EncodingUTF8, options);
  set.latin1_ = make_set(RE2::Options::EncodingLatin1, options);
  set.size_ = patterns.size();
  for (size_t i = 0; i < patterns.size(); ++i) {
    const Pattern& p = patterns[i];
    if (p.semantics().empty()) continue;
    std::string error;
    if (set.utf8_->Add(p.impl_->compiled, &error) < 0 ||
        set.latin1_->Add(p.impl_->compiled, &error) < 0) {
      return Error("building grok pattern set: pattern '" + p.source() + "': " + error);
    }
    set.index_.push_back(static_cast<int>(i));
  }
  if (!set.utf8_->Compile() || !set.latin1_->Compile()) {
    return Error("building grok pattern set: RE2 could not compile " +
                 std::to_string(set.index_.size()) + " patterns into one automaton");
  }
  return set;
}

bool PatternSet::candidates(std::string_view line, std::vector<int>& out) const {
  out.clear();
  if (index_.empty()) return true;
  const RE2::Set& set = is_valid_utf8(line) ? *utf8_ : *latin1_;
  RE2::Set::ErrorInfo info{};
  if (!set.Match(line, &out, &info)) {
    out.clear();
    if (info.kind == RE2::Set::kNoError) return true;  // nothing matched
    // Out of DFA memory (or similar): fall back to "everything may match".
    out = index_;
    return false;
  }
  for (int& member : out)
    member = index_[static_cast<size_t>(member)];
  std::sort(out.begin(), out.end());
  return true;
}

}  // namespace phalanx::grok

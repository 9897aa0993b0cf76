// SPDX-License-Identifier: Apache-2.0
// A prefilter over several grok patterns: one RE2::Set pass (a single DFA over all of them)
// tells which patterns match a line, so a parser with many groks only runs the submatch
// extraction of the ones that will succeed.
#pragma once

#include <re2/set.h>

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "grok/pattern.h"

namespace phalanx::grok {

// Immutable; all const member functions may be called concurrently.
class PatternSet {
 public:
  // Builds the set over `patterns` (indices below refer to this span). Patterns without any
  // semantic are left out, since they never match. `options.max_mem` bounds the set's DFA.
  // Errors: RE2 cannot build the set (too large for its memory budget).
  //
  // Meant for the few groks of one parser node and its children: measured on the hub's test
  // logs, one set over a parser's 4-16 groks costs about 1 us per line where trying each
  // grok costs 2-70 us. A set over hundreds of large patterns is slower than trying them.
  static Result<PatternSet> build(std::span<const Pattern> patterns,
                                  const CompileOptions& options = {});

  // Fills `out` (cleared first) with the ascending indices of the patterns whose match()
  // returns true for `line`, and returns true. If RE2 gives up on this line (DFA out of
  // memory), fills `out` with every index that has a semantic instead (a superset, so callers
  // stay correct) and returns false. RE2 allocates a small scratch set per call.
  bool candidates(std::string_view line, std::vector<int>& out) const;

  size_t size() const { return size_; }

 private:
  PatternSet() = default;

  std::unique_ptr<RE2::Set> utf8_;
  std::unique_ptr<RE2::Set> latin1_;
  std::vector<int> index_;  // set member → pattern index
  size_t size_ = 0;
};

}  // namespace phalanx::grok

// SPDX-License-Identifier: Apache-2.0
// Fast capture extraction for grok patterns with PCRE2's JIT, behind RE2's linear-time DFA.
//
// RE2 decides whether a line matches and where the match ends (Pattern compiles both engines'
// regex behind a lazy prefix and matches it from the line's start, so one forward pass of RE2's
// DFA finds the end); that takes about 1 us on an nginx access line. RE2's own submatch engines are
// what cost: the hub's access log patterns (IPORHOST's exact IPv6 grammar, bounded HOSTNAME
// repeats) compile to programs of thousands of instructions, too large for its one-pass engine, so
// it backtracks with a bitmap over (instruction, position) pairs that is allocated and cleared for
// every line (30-35 us per nginx line). PCRE2's JIT-compiled backtracker, run on the same regex
// from the same start, extracts the same groups in under 1 us.
//
// Both engines implement leftmost-first ("Perl") semantics, and for the subset of syntax where
// they agree the submatches are the same. Where they might not, the extractor is not used:
// - patterns PCRE2 or its JIT cannot compile, with a digit escape (`\1` is a back-reference
//   in PCRE2, an octal or an error in RE2), or with a capture inside a repeated group that can
//   match the empty string (on such an empty iteration, as in `(.*)*`, PCRE2 keeps the empty
//   capture where RE2 keeps the previous one);
// - lines that are not valid UTF-8 (RE2's Latin-1 copy handles those) or contain a vertical tab
//   (PCRE2's `\s` matches it, Go's and RE2's do not).
// Every extraction is also checked: the match must end exactly where RE2's did, within a step
// budget (PCRE2's match limit), or the caller falls back to RE2's submatch engines. A hostile
// line therefore costs at most the budget plus RE2's linear-time extraction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace phalanx::grok {

// Per-thread PCRE2 match state (match data, match context, JIT stack), created on first use.
// Not thread-safe; one per thread, like Captures which owns it.
class PcreScratch {
 public:
  PcreScratch();
  ~PcreScratch();
  // Copies and moves give a fresh, empty scratch: the state is a cache, never shared.
  PcreScratch(const PcreScratch&) : PcreScratch() {}
  PcreScratch& operator=(const PcreScratch&) { return *this; }

 private:
  friend class PcreExtractor;
  struct State;
  State& state(uint32_t pairs);
  std::unique_ptr<State> state_;
};

// One compiled, JIT-ed copy of a grok regex. Immutable after creation; extract() may be called
// from several threads, each with its own PcreScratch.
class PcreExtractor {
 public:
  // Compiles `regex` (RE2 syntax, as Pattern compiles it) anchored, in UTF mode, with
  // `capture_groups` capturing groups. Returns nullptr where the extractor must not be used
  // (see above): that is not an error, the pattern simply runs on RE2 alone.
  static std::unique_ptr<PcreExtractor> create(const std::string& regex, int capture_groups);
  ~PcreExtractor();
  PcreExtractor(const PcreExtractor&) = delete;
  PcreExtractor& operator=(const PcreExtractor&) = delete;

  // Whether `line` may go through extract(): valid UTF-8 (checked by the caller) and no
  // vertical tab.
  static bool line_supported(std::string_view line);

  // Matches anchored at `start`; on success the match must end at `end`. Fills
  // offsets[2*g], offsets[2*g+1] for groups g in [0, capture_groups] (PCRE2's unset groups as
  // SIZE_MAX), and returns true. False when PCRE2 finds no match, exhausts its step budget, or
  // ends elsewhere: the caller then extracts with RE2.
  bool extract(std::string_view line, size_t start, size_t end, PcreScratch& scratch,
               const size_t*& offsets) const;

 private:
  struct Code;
  explicit PcreExtractor(std::unique_ptr<Code> code, int groups);
  std::unique_ptr<Code> code_;
  int groups_ = 0;
};

}  // namespace phalanx::grok

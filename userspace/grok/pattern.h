// SPDX-License-Identifier: Apache-2.0
// A compiled grok pattern: one RE2 regex plus the mapping from semantic names to capture
// groups. Matching is an unanchored, leftmost-first search, as CrowdSec's grok does.
#pragma once

#include <re2/re2.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "grok/pattern_library.h"
#include "grok/pcre_extractor.h"

namespace phalanx::grok {

// The output of Pattern::match: one value per semantic of the pattern, in the order of
// Pattern::semantics(); a group that did not take part in the match gives "". Values point
// into the matched line and are valid while it is. Reuse one Captures across calls (one per
// thread): once its buffers have grown to the largest pattern, matching does not allocate.
class Captures {
 public:
  size_t size() const { return values_.size(); }
  std::string_view operator[](size_t i) const { return values_[i]; }
  std::span<const std::string_view> values() const { return values_; }
  // Points the captures that lie in `from` (the text they were matched in) at the same offsets
  // of `to`, a copy of that text.
  void rebase(std::string_view from, const char* to) {
    for (std::string_view& v : values_) {
      if (v.data() == nullptr || v.data() < from.data() || v.data() > from.data() + from.size())
        continue;
      v = std::string_view(to + (v.data() - from.data()), v.size());
    }
  }

 private:
  friend class Pattern;
  std::vector<re2::StringPiece> groups_;  // RE2's submatch buffer
  std::vector<std::string_view> values_;
  PcreScratch pcre_;     // PCRE2's match state for the fast extraction path
  std::string lowered_;  // the line in ASCII lower case, for the required-literal check
};

// Tuning of compiled patterns.
struct CompileOptions {
  // RE2 memory budget per compiled regex: its program plus its lazily built DFA cache, which
  // only grows as lines need it. Patterns with wide bounded repeats (HOSTNAME's {0,62}, hence
  // IPORHOST, nginx and apache access-log groks) need many DFA states; below their working
  // set RE2 keeps resetting the cache and falls back to its NFA, 10-25x slower (nginx access
  // pattern on the hub's test logs: 25 us/line at RE2's 8 MiB default, 1 us/line from 24 MiB).
  // It is also the most a hostile stream of lines can make one pattern's cache grow to.
  int64_t max_mem = int64_t{32} << 20;
  // Extract captures with PCRE2's JIT where it gives the same groups as RE2 (see
  // pcre_extractor.h). Off: RE2 alone, as a reference for differential tests.
  bool fast_extraction = true;
};

// An immutable compiled grok pattern. Copies share the compiled regexes.
//
// Text encoding: a line that is valid UTF-8 is matched by a UTF-8 RE2 regex, which behaves
// exactly like Go's regexp on valid UTF-8. Any other line (binary, Latin-1, truncated
// sequences) is matched by a second, Latin-1 compiled copy of the same regex, in which every
// byte is one character: an invalid byte then matches ".", "\S", "[^x]" like the U+FFFD that
// Go's regexp substitutes for it, so garbage bytes never make a line unparseable (with RE2's
// UTF-8 mode, "." would not match them at all). See README.md for the trade-offs.
//
// Thread-safety: all const member functions may be called concurrently.
class Pattern {
 public:
  // Compiles a grok pattern (a parser's `grok: pattern:`) against the library. Errors:
  // expansion errors (unknown or recursive names, empty pattern) and regexes RE2 rejects,
  // as "compiling grok pattern '<pattern>': <RE2 message>: <offending text>".
  static Result<Pattern> compile(const PatternLibrary& library, std::string_view pattern,
                                 const CompileOptions& options = {});
  // Compiles the library's definition of `name` (a parser's `grok: name:`). Errors: as
  // compile(), and an unknown name.
  static Result<Pattern> compile_named(const PatternLibrary& library, std::string_view name,
                                       const CompileOptions& options = {});

  // The pattern as written (or the name for compile_named).
  const std::string& source() const { return impl_->source; }
  // The expanded RE2 regex.
  const std::string& regex() const { return impl_->regex; }
  // The semantic names, in order of first appearance; Captures follow this order.
  const std::vector<std::string>& semantics() const { return impl_->names; }
  // The indexes of semantics() in increasing name order (the names are distinct).
  const std::vector<uint32_t>& semantics_by_name() const { return impl_->by_name; }

  // Searches `line` (unanchored, leftmost-first) and fills `out`. Returns false when the
  // regex does not match, and always when the pattern has no semantic at all (such a grok
  // never counts as a match in CrowdSec). `out` is unspecified after a false return.
  // RE2 decides the match and its span; the groups come from PCRE2's JIT where it is exact
  // (pcre_extractor.h), else from RE2's submatch engines.
  bool match(std::string_view line, Captures& out) const;
  // Same answer as match() without extracting captures (DFA only; cheaper).
  bool matches(std::string_view line) const;
  // Whether captures may come from the PCRE2 fast path (for tests and diagnostics).
  // Compiles the fast path if no line has done so yet.
  bool has_fast_extraction() const { return extractor() != nullptr; }

 private:
  struct Impl {
    std::string source;
    std::string regex;     // the expansion, as regex() shows it
    std::string compiled;  // `regex` with only the semantics capturing
    // What RE2 and PCRE2 compile: `compiled` behind a lazy (?s:.*?). Matched anchored at the
    // start of the line, it finds the match an unanchored search of `compiled` finds (the
    // leftmost start, then the same leftmost-first choices), in RE2's one forward DFA pass; an
    // unanchored RE2 search asked for the match's span runs a second, backward pass for its
    // start. Group 0 then spans from the line's start; only groups 1 and up are read.
    std::string search;
    std::vector<std::string> names;
    std::vector<uint32_t> by_name;  // indexes of names, sorted by name
    std::vector<int> groups;        // capture group of each semantic
    int submatches = 0;             // groups RE2 must report: the highest semantic group + 1
    std::unique_ptr<RE2> utf8;
    // Extracts captures from valid UTF-8 lines once RE2 has found the match span; null when
    // the regex is outside what it handles exactly (see pcre_extractor.h) or fast extraction
    // is off (pcre_ready is then set from the start). Compiled on the first line the pattern
    // matches: on a given host most hub patterns never match a line, and the JIT code of all
    // of them is about 10 MB.
    int lean_group_count = 0;  // the capture groups of `compiled`, as the extractor checks
    mutable std::atomic<bool> pcre_ready{false};  // `pcre` is final; read it without the lock
    mutable std::mutex pcre_mutex;
    mutable std::unique_ptr<PcreExtractor> pcre;
    // required_literal() of `compiled` (in lower case when literal_fold): a line without it
    // is refused before any regex search. Parsers try their groks in turn, and most fail.
    std::string literal;
    bool literal_fold = false;  // may_fold_case(): look it up in the ASCII-lowered line
    // Compiled on the first line that is not valid UTF-8: most patterns never see one, and a
    // second compiled copy of every hub regex would cost megabytes at load.
    RE2::Options latin1_options;
    mutable std::once_flag latin1_once;
    mutable std::unique_ptr<RE2> latin1;
  };
  explicit Pattern(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  static Result<Pattern> build(std::string source, Expansion expansion,
                               const CompileOptions& options);
  const RE2& regex_for(std::string_view line) const;
  const RE2& latin1() const;
  const PcreExtractor* extractor() const;
  bool extract_with_re2(const RE2& re, std::string_view line, Captures& out) const;

  std::shared_ptr<const Impl> impl_;
  friend class PatternSet;
};

// A grok regex prepared for RE2: every capture group that no semantic reads (the pattern
// library's own grouping, e.g. the dozens of groups of IPV6) becomes non-capturing. Matching is
// unchanged (RE2 has no back-references); the submatch engines only track what is extracted,
// which keeps their per-line state small. `groups[i]` is the new group number of
// expansion.semantics[i]; hand-written named groups keep capturing.
struct LeanRegex {
  std::string regex;
  int group_count = 0;
  std::vector<int> groups;
};
LeanRegex lean_captures(const Expansion& expansion);

// The RE2 options every grok regex (and pattern set) is compiled with.
RE2::Options re2_options(RE2::Options::Encoding encoding, const CompileOptions& options);

}  // namespace phalanx::grok

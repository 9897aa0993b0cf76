// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the grok module. The first byte chooses how many fragments (0..4) to
// assemble, the next bytes choose the fragments from a small fixed list (with 0, a whole
// pattern from a fixed list); the rest of the input is the log line. Each grok is compiled
// once and cached. Checked invariants: compile errors are Results, never crashes; match()
// and matches() agree; every capture lies inside the line; the PCRE2 extraction path gives
// the same groups as RE2 alone; the PatternSet prefilter returns exactly the patterns that match.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grok/pattern.h"
#include "grok/pattern_set.h"

namespace {

using phalanx::grok::Captures;
using phalanx::grok::CompileOptions;
using phalanx::grok::Pattern;
using phalanx::grok::PatternLibrary;
using phalanx::grok::PatternSet;

constexpr std::string_view kWhole[] = {
    "%{SYSLOGBASE} %{GREEDYDATA:message}",
    "%{COMBINEDAPACHELOG}",
    "%{HTTPD_ERRORLOG}",
    "^%{TIMESTAMP_ISO8601:ts} %{LOGLEVEL:level} %{DATA:msg}$",
    "(?:%{INT:n}|%{WORD:n})",
    "%{URI:url}",
    "%{IP:ip}",
    "Failed password for (invalid user )?%{USERNAME:user} from %{IP:ip} port %{INT:port}",
};

constexpr std::string_view kFragments[] = {
    "%{IP:ip}",
    " ",
    "%{DATA:d}",
    "%{GREEDYDATA:g}",
    "%{INT:n:int}",
    "(?:%{WORD:w}|%{NUMBER:w})",
    "%{SYSLOGBASE}",
    "%{QS:q}",
    "^",
    "$",
    "[",
    "]",
    "(",
    ")",
    "\\",
    "%{NOPE:x}",
    "%{LOOP:l}",
    ".",
    "%{TIMESTAMP_ISO8601:ts}",
    "%{IPV6:v6}",
    "\\Q(\\E",
    "[(]",
    "%{HTTPDATE:t}",
    "%{MONTH}",
    "(?i)",
    "*",
    "%{",
    "}",
    "%{INT",
    ":s}",
    "\xC3\xA4",
    "\xFF",
    "%{PAIR}",
    "%{PAIR:p}",
};

const PatternLibrary& library() {
  static const PatternLibrary* lib = [] {
    auto* l = new PatternLibrary();
    (void)l->add("LOOP", "a%{LOOP}");  // recursive: must be an error, not a crash
    (void)l->add("PAIR", "%{INT:n}-%{WORD:n}");
    return l;
  }();
  return *lib;
}

// A grok compiled twice: as used (PCRE2 extraction where it applies) and with RE2 alone.
struct Compiled {
  std::optional<Pattern> fast;
  std::optional<Pattern> reference;
};

const Compiled& compiled(const std::string& grok) {
  static auto* cache = new std::map<std::string, Compiled>();
  if (auto it = cache->find(grok); it != cache->end()) return it->second;
  if (cache->size() > 4096) cache->clear();  // bound memory on long runs
  Compiled value;
  if (auto p = Pattern::compile(library(), grok)) value.fast = std::move(p).value();
  CompileOptions reference;
  reference.fast_extraction = false;
  if (auto p = Pattern::compile(library(), grok, reference)) value.reference = std::move(p).value();
  if (value.fast.has_value() != value.reference.has_value()) __builtin_trap();
  return cache->emplace(grok, std::move(value)).first->second;
}

const std::vector<Pattern>& whole_patterns() {
  static auto* patterns = [] {
    auto* v = new std::vector<Pattern>();
    for (std::string_view text : kWhole)
      v->push_back(*compiled(std::string(text)).fast);
    return v;
  }();
  return *patterns;
}

const PatternSet& whole_set() {
  static auto* set = new PatternSet(*PatternSet::build(whole_patterns()));
  return *set;
}

void check_match(const Compiled& c, std::string_view line) {
  const Pattern& p = *c.fast;
  Captures caps, want;
  bool matched = p.match(line, caps);
  if (matched != p.matches(line)) __builtin_trap();
  if (matched != c.reference->match(line, want)) __builtin_trap();
  if (!matched) return;
  if (caps.size() != p.semantics().size()) __builtin_trap();
  for (size_t i = 0; i < caps.size(); ++i) {
    std::string_view v = caps[i];
    if (v != want[i]) __builtin_trap();
    if (v.empty()) continue;
    if (v.data() < line.data() || v.data() + v.size() > line.data() + line.size()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t count = data[0] % 5;
  size_t used = 1;
  std::string grok;
  if (count == 0) {
    if (size < 2) return 0;
    grok = kWhole[data[1] % std::size(kWhole)];
    used = 2;
  } else {
    for (size_t i = 0; i < count && used < size; ++i, ++used)
      grok += kFragments[data[used] % std::size(kFragments)];
  }
  std::string_view line(reinterpret_cast<const char*>(data) + used, size - used);
  if (const Compiled& c = compiled(grok); c.fast) check_match(c, line);

  // The prefilter must agree with the patterns it covers.
  std::vector<int> candidates;
  if (!whole_set().candidates(line, candidates)) return 0;  // RE2 gave up: superset, fine
  Captures caps;
  size_t next = 0;
  const auto& patterns = whole_patterns();
  for (size_t i = 0; i < patterns.size(); ++i) {
    bool listed = next < candidates.size() && candidates[next] == static_cast<int>(i);
    if (listed) ++next;
    if (listed != patterns[i].match(line, caps)) __builtin_trap();
  }
  return 0;
}

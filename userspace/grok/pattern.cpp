// SPDX-License-Identifier: Apache-2.0
#include "grok/pattern.h"

#include <algorithm>
#include <cstring>

#include "grok/syntax.h"

namespace phalanx::grok {

RE2::Options re2_options(RE2::Options::Encoding encoding, const CompileOptions& compile) {
  RE2::Options opts;
  opts.set_encoding(encoding);
  // Errors are returned to the caller; RE2 must not print them (nor DFA budget notices on
  // hostile lines).
  opts.set_log_errors(false);
  opts.set_max_mem(compile.max_mem);
  return opts;
}

namespace {

Error re2_error(const std::string& source, const RE2& re) {
  std::string msg = "compiling grok pattern '" + source + "': " + re.error();
  if (!re.error_arg().empty() && re.error().find(re.error_arg()) == std::string::npos)
    msg += ": " + re.error_arg();
  return Error(std::move(msg));
}

// Writes `in` in ASCII lower case to `out`; false (out unspecified) when a byte is not ASCII.
bool ascii_lower(std::string_view in, std::string& out) {
  out.resize(in.size());
  const char* src = in.data();
  char* dst = out.data();
  size_t i = 0;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  for (; i + 8 <= in.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, src + i, sizeof w);
    if ((w & kHigh) != 0) return false;
    // Per byte b < 0x80: b + 0x3f sets the high bit from 'A' on, b + 0x25 from '[' on.
    const uint64_t upper = ((w + 0x3f3f3f3f3f3f3f3fULL) & ~(w + 0x2525252525252525ULL)) & kHigh;
    w |= upper >> 2;  // 0x80 >> 2 = 0x20, the case bit
    std::memcpy(dst + i, &w, sizeof w);
  }
  for (; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(src[i]);
    if (c >= 0x80) return false;
    dst[i] = static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
  }
  return true;
}

}  // namespace

Result<Pattern> Pattern::compile(const PatternLibrary& library, std::string_view pattern,
                                 const CompileOptions& options) {
  auto expansion = library.expand(pattern);
  if (!expansion) {
    return expansion.error().context("compiling grok pattern '" + std::string(pattern) + "'");
  }
  return build(std::string(pattern), std::move(expansion).value(), options);
}

Result<Pattern> Pattern::compile_named(const PatternLibrary& library, std::string_view name,
                                       const CompileOptions& options) {
  auto expansion = library.expand_named(name);
  if (!expansion) {
    return expansion.error().context("compiling grok pattern '" + std::string(name) + "'");
  }
  return build(std::string(name), std::move(expansion).value(), options);
}

LeanRegex lean_captures(const Expansion& expansion) {
  std::vector<size_t> parens = capture_group_offsets(expansion.regex);
  std::vector<bool> wanted(parens.size(), false);
  for (const Semantic& s : expansion.semantics)
    if (s.group >= 1 && static_cast<size_t>(s.group) <= parens.size())
      wanted[static_cast<size_t>(s.group) - 1] = true;
  LeanRegex out;
  out.regex.reserve(expansion.regex.size() + 2 * parens.size());
  std::vector<int> renumbered(parens.size() + 1, 0);
  size_t pos = 0;
  for (size_t i = 0; i < parens.size(); ++i) {
    size_t p = parens[i];
    // Named groups written by hand ((?P<x>...), (?<x>...)) keep capturing: only the plain '('
    // of the pattern library's own grouping is rewritten.
    bool plain = p + 1 >= expansion.regex.size() || expansion.regex[p + 1] != '?';
    if (wanted[i] || !plain) {
      renumbered[i + 1] = ++out.group_count;
      continue;
    }
    out.regex.append(expansion.regex, pos, p - pos);
    out.regex += "(?:";
    pos = p + 1;
  }
  out.regex.append(expansion.regex, pos);
  for (const Semantic& s : expansion.semantics)
    out.groups.push_back(s.group >= 1 && static_cast<size_t>(s.group) <= parens.size()
                             ? renumbered[static_cast<size_t>(s.group)]
                             : s.group);
  return out;
}

Result<Pattern> Pattern::build(std::string source, Expansion expansion,
                               const CompileOptions& options) {
  auto impl = std::make_shared<Impl>();
  impl->source = std::move(source);
  // The group numbering was computed from the text; RE2 must agree or captures would be
  // attributed to the wrong fields.
  if (std::vector<size_t> parens = capture_group_offsets(expansion.regex);
      static_cast<int>(parens.size()) != expansion.group_count) {
    return Error("compiling grok pattern '" + impl->source + "': counted " +
                 std::to_string(expansion.group_count) + " capture groups, found " +
                 std::to_string(parens.size()));
  }
  LeanRegex lean = lean_captures(expansion);
  impl->regex = std::move(expansion.regex);
  impl->compiled = std::move(lean.regex);
  impl->search = "(?s:.*?)(?:" + impl->compiled + ")";
  for (size_t i = 0; i < expansion.semantics.size(); ++i) {
    impl->names.push_back(expansion.semantics[i].name);
    impl->groups.push_back(lean.groups[i]);
    impl->submatches = std::max(impl->submatches, lean.groups[i] + 1);
    impl->by_name.push_back(static_cast<uint32_t>(i));
  }
  std::sort(impl->by_name.begin(), impl->by_name.end(),
            [&](uint32_t a, uint32_t b) { return impl->names[a] < impl->names[b]; });
  impl->utf8 =
      std::make_unique<RE2>(impl->search, re2_options(RE2::Options::EncodingUTF8, options));
  if (!impl->utf8->ok()) return re2_error(impl->source, *impl->utf8);
  if (impl->utf8->NumberOfCapturingGroups() != lean.group_count) {
    return Error("compiling grok pattern '" + impl->source + "': counted " +
                 std::to_string(lean.group_count) + " capture groups, RE2 counts " +
                 std::to_string(impl->utf8->NumberOfCapturingGroups()));
  }
  // Every regex RE2 accepts in UTF-8 mode it accepts in Latin-1 mode (a byte is a character),
  // so the Latin-1 copy is left for the first line that needs it.
  impl->latin1_options = re2_options(RE2::Options::EncodingLatin1, options);
  impl->literal = required_literal(impl->compiled);
  impl->literal_fold = may_fold_case(impl->compiled);
  if (impl->literal_fold) {
    for (char& c : impl->literal)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  }
  impl->lean_group_count = lean.group_count;
  if (!options.fast_extraction) impl->pcre_ready.store(true, std::memory_order_relaxed);
  return Pattern(std::move(impl));
}

const PcreExtractor* Pattern::extractor() const {
  const Impl& impl = *impl_;
  if (impl.pcre_ready.load(std::memory_order_acquire)) return impl.pcre.get();
  std::lock_guard lock(impl.pcre_mutex);
  if (!impl.pcre_ready.load(std::memory_order_relaxed)) {
    impl.pcre = PcreExtractor::create(impl.search, impl.lean_group_count);
    impl.pcre_ready.store(true, std::memory_order_release);
  }
  return impl.pcre.get();
}

const RE2& Pattern::latin1() const {
  std::call_once(impl_->latin1_once, [&] {
    impl_->latin1 = std::make_unique<RE2>(impl_->search, impl_->latin1_options);
  });
  return *impl_->latin1;
}

const RE2& Pattern::regex_for(std::string_view line) const {
  return is_valid_utf8(line) ? *impl_->utf8 : latin1();
}

bool Pattern::match(std::string_view line, Captures& out) const {
  const Impl& impl = *impl_;
  if (impl.names.empty()) return false;
  bool ascii = false;  // ASCII is valid UTF-8
  if (!impl.literal.empty()) {
    if (!impl.literal_fold) {
      // Byte for byte, whatever the encoding: the literal is ASCII.
      if (line.find(impl.literal) == std::string_view::npos) return false;
    } else if (ascii_lower(line, out.lowered_)) {
      if (out.lowered_.find(impl.literal) == std::string::npos) return false;
      ascii = true;
    }
  }
  if (!ascii && !is_valid_utf8(line)) return extract_with_re2(latin1(), line, out);
  // An empty line may have no storage at all; RE2 takes it without a pointer.
  const bool known = impl.pcre_ready.load(std::memory_order_acquire);
  if ((known && impl.pcre == nullptr) || line.empty() || !PcreExtractor::line_supported(line))
    return extract_with_re2(*impl.utf8, line, out);
  // RE2's DFA decides, in linear time, and finds where the match ends.
  re2::StringPiece span;
  if (!impl.utf8->Match(line, 0, line.size(), RE2::ANCHOR_START, &span, 1)) return false;
  const PcreExtractor* pcre = known ? impl.pcre.get() : extractor();
  if (pcre == nullptr) return extract_with_re2(*impl.utf8, line, out);
  const size_t* ov = nullptr;
  if (!pcre->extract(line, 0, span.size(), out.pcre_, ov))
    return extract_with_re2(*impl.utf8, line, out);
  out.values_.resize(impl.groups.size());
  for (size_t i = 0; i < impl.groups.size(); ++i) {
    size_t g = static_cast<size_t>(impl.groups[i]);
    out.values_[i] = ov[2 * g] == SIZE_MAX ? std::string_view()
                                           : line.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
  }
  return true;
}

bool Pattern::extract_with_re2(const RE2& re, std::string_view line, Captures& out) const {
  const Impl& impl = *impl_;
  // RE2::Match already runs the DFA first and hands only the matched span to the submatch
  // engine, so a separate DFA pre-check would only add a pass (measured: +5% on matching
  // lines, +15% on non-matching ones). Asking for no more groups than the highest semantic
  // one keeps the submatch engine's per-thread state small.
  out.groups_.resize(static_cast<size_t>(impl.submatches));
  if (!re.Match(line, 0, line.size(), RE2::ANCHOR_START, out.groups_.data(), impl.submatches))
    return false;
  out.values_.resize(impl.groups.size());
  for (size_t i = 0; i < impl.groups.size(); ++i) {
    const re2::StringPiece& g = out.groups_[static_cast<size_t>(impl.groups[i])];
    out.values_[i] =
        g.data() == nullptr ? std::string_view() : std::string_view(g.data(), g.size());
  }
  return true;
}

bool Pattern::matches(std::string_view line) const {
  if (impl_->names.empty()) return false;
  return regex_for(line).Match(line, 0, line.size(), RE2::ANCHOR_START, nullptr, 0);
}

}  // namespace phalanx::grok

// SPDX-License-Identifier: Apache-2.0
#define PCRE2_CODE_UNIT_WIDTH 8
#include "grok/pcre_extractor.h"

#include <pcre2.h>

#include <cstring>

#include "grok/syntax.h"

namespace phalanx::grok {
namespace {

// PCRE2's step budget per extraction. Lines that match the hub's patterns take a few hundred
// steps; a line built to make the backtracker explode stops here and goes to RE2.
constexpr uint32_t kMatchLimit = 20000;
// JIT stack per thread: deep enough for long lines through nested optional groups; a line that
// needs more falls back to RE2 (PCRE2_ERROR_JIT_STACKLIMIT).
constexpr size_t kJitStackMin = 32 * 1024;
constexpr size_t kJitStackMax = 512 * 1024;

// A backslash followed by a digit: PCRE2 reads \1..\9 as back-references.
bool has_digit_escape(const std::string& regex) {
  for (size_t i = 0; i + 1 < regex.size(); ++i) {
    if (regex[i] != '\\') continue;
    if (regex[i + 1] >= '0' && regex[i + 1] <= '9') return true;
    ++i;  // skip the escaped character ("\\\\1" is a backslash then '1')
  }
  return false;
}

}  // namespace

struct PcreExtractor::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

struct PcreScratch::State {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;
  uint32_t pairs = 0;
  ~State() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
  }
};

PcreScratch::PcreScratch() = default;
PcreScratch::~PcreScratch() = default;

PcreScratch::State& PcreScratch::state(uint32_t pairs) {
  if (!state_) {
    state_ = std::make_unique<State>();
    state_->context = pcre2_match_context_create(nullptr);
    state_->stack = pcre2_jit_stack_create(kJitStackMin, kJitStackMax, nullptr);
    pcre2_set_match_limit(state_->context, kMatchLimit);
    pcre2_jit_stack_assign(state_->context, nullptr, state_->stack);
  }
  if (state_->pairs < pairs) {
    pcre2_match_data_free(state_->data);
    state_->data = pcre2_match_data_create(pairs, nullptr);
    state_->pairs = pairs;
  }
  return *state_;
}

PcreExtractor::PcreExtractor(std::unique_ptr<Code> code, int groups)
    : code_(std::move(code)), groups_(groups) {}
PcreExtractor::~PcreExtractor() = default;

std::unique_ptr<PcreExtractor> PcreExtractor::create(const std::string& regex, int capture_groups) {
  if (has_digit_escape(regex) || has_empty_repeated_capture(regex)) return nullptr;
  pcre2_compile_context* cc = pcre2_compile_context_create(nullptr);
  if (cc == nullptr) return nullptr;
  // Lines never contain a newline, but `$` and `.` must not depend on how PCRE2 was built.
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  auto code = std::make_unique<Code>();
  code->code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex.data()), regex.size(),
                    PCRE2_UTF | PCRE2_ANCHORED | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C,
                    &error, &error_offset, cc);
  pcre2_compile_context_free(cc);
  if (code->code == nullptr) return nullptr;
  uint32_t groups = 0;
  if (pcre2_pattern_info(code->code, PCRE2_INFO_CAPTURECOUNT, &groups) != 0 ||
      groups != static_cast<uint32_t>(capture_groups))
    return nullptr;
  if (pcre2_jit_compile(code->code, PCRE2_JIT_COMPLETE) != 0) return nullptr;
  return std::unique_ptr<PcreExtractor>(new PcreExtractor(std::move(code), capture_groups));
}

bool PcreExtractor::line_supported(std::string_view line) {
  // An empty view may carry a null pointer, which memchr must not see.
  return line.empty() || std::memchr(line.data(), '\v', line.size()) == nullptr;
}

bool PcreExtractor::extract(std::string_view line, size_t start, size_t end, PcreScratch& scratch,
                            const size_t*& offsets) const {
  PcreScratch::State& st = scratch.state(static_cast<uint32_t>(groups_) + 1);
  // The line was checked as UTF-8 by the caller (it chose the UTF-8 regex for it).
  int rc = pcre2_jit_match(code_->code, reinterpret_cast<PCRE2_SPTR>(line.data()), line.size(),
                           start, PCRE2_NO_UTF_CHECK, st.data, st.context);
  if (rc <= 0) return false;
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.data);
  if (ov[0] != start || ov[1] != end) return false;
  // Groups beyond the highest one that matched are not set by PCRE2 when rc is smaller.
  static_assert(sizeof(PCRE2_SIZE) == sizeof(size_t));
  PCRE2_SIZE* mutable_ov = pcre2_get_ovector_pointer(st.data);
  for (uint32_t g = static_cast<uint32_t>(rc); g <= static_cast<uint32_t>(groups_); ++g)
    mutable_ov[2 * g] = mutable_ov[2 * g + 1] = PCRE2_UNSET;
  offsets = ov;
  return true;
}

}  // namespace phalanx::grok

// SPDX-License-Identifier: Apache-2.0
// Compile-time purity of closure bodies: which bodies are functions of their element alone,
// so their per-element results may be kept between runs (incremental.h).
#include <algorithm>
#include <array>
#include <string_view>

#include "expr/builtins.h"
#include "expr/incremental.h"

namespace phalanx::expr::detail {
namespace {

// Built-ins whose result depends only on their arguments and that change nothing: string and
// number conversions and tests. Deliberately short; a function missing here only means its
// closures are evaluated in full. Each must also be marked pure in its FunctionSpec.
constexpr std::array<std::string_view, 36> kPureFunctions = {
    "len",        "abs",           "int",          "float",      "string",      "lower",
    "upper",      "trim",          "trimPrefix",   "trimSuffix", "hasPrefix",   "hasSuffix",
    "indexOf",    "lastIndexOf",   "duration",     "ceil",       "floor",       "round",
    "Lower",      "Upper",         "TrimSpace",    "Trim",       "TrimLeft",    "TrimRight",
    "TrimPrefix", "TrimSuffix",    "Index",        "IndexAny",   "Atof",        "IsIP",
    "IpInRange",  "QueryUnescape", "PathUnescape", "Match",      "JsonExtract", "Distance",
};

// Methods that only read: the event's getters and the accessors of times and durations.
// SetMeta/SetParsed are absent on purpose.
constexpr std::array<std::string_view, 17> kPureMethods = {
    "GetMeta",  "GetType", "Hour",    "Minute",  "Second", "Day",
    "Month",    "Year",    "YearDay", "Weekday", "Unix",   "UnixMilli",
    "UnixNano", "IsZero",  "Seconds", "Minutes", "Hours",
};

template <size_t N>
bool listed(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

class PurityCheck {
 public:
  explicit PurityCheck(std::span<const std::unique_ptr<HostFunction>> host) : host_(host) {}

  bool pure(const Ast* a) const {
    if (a == nullptr) return true;  // an absent slice bound
    switch (a->kind) {
      case AstKind::kNil:
      case AstKind::kBool:
      case AstKind::kInt:
      case AstKind::kFloat:
      case AstKind::kString:
        return true;
      case AstKind::kPointer:
        return a->text.empty();  // `#` itself; #index and #acc are not the element
      case AstKind::kUnary:
      case AstKind::kBinary:
      case AstKind::kMember:
      case AstKind::kSlice:
      case AstKind::kConditional:
      case AstKind::kArray:
        return all_kids_pure(*a);
      case AstKind::kCall:
        return pure_function(a->text) && all_kids_pure(*a);
      case AstKind::kMethod:
        return listed(kPureMethods, a->text) && all_kids_pure(*a);
      case AstKind::kIdent:    // a variable or a let-binding from outside the body
      case AstKind::kClosure:  // nested closures: not analysed
      case AstKind::kLet:
      case AstKind::kSequence:
      case AstKind::kMap:  // map literals are mutable values
        return false;
    }
    return false;
  }

 private:
  bool all_kids_pure(const Ast& a) const {
    return std::all_of(a.kids.begin(), a.kids.end(),
                       [&](const AstPtr& k) { return pure(k.get()); });
  }

  bool pure_function(std::string_view name) const {
    for (const auto& fn : host_) {
      if (fn->name == name) return false;
    }
    if (!listed(kPureFunctions, name)) return false;
    const FunctionSpec* spec = find_builtin(name);
    return spec != nullptr && spec->pure;
  }

  std::span<const std::unique_ptr<HostFunction>> host_;
};

}  // namespace

bool is_pure_method(std::string_view name) {
  return listed(kPureMethods, name);
}

bool is_pure_element_body(const Ast& body,
                          std::span<const std::unique_ptr<HostFunction>> host_functions) {
  return PurityCheck(host_functions).pure(&body);
}

}  // namespace phalanx::expr::detail

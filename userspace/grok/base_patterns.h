// SPDX-License-Identifier: Apache-2.0
// The built-in grok base patterns: the standard logstash set as CrowdSec's grok engine ships it
// in code (88 names), so that hub content finds them without a pattern file.
#pragma once

#include <span>
#include <string_view>

namespace phalanx::grok {

struct BasePattern {
  std::string_view name;
  std::string_view regex;  // grok text; may reference other base patterns
};

// The 88 base patterns in definition order. Every name is unique and every reference is to an
// earlier entry. Thread-safe (static data).
std::span<const BasePattern> base_patterns();

}  // namespace phalanx::grok

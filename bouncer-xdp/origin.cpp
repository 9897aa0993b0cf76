// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/origin.h"

#include "bpf/xdp_blocklist.h"

namespace phalanx::xdp {
namespace {

struct Known {
  std::string_view name;
  uint16_t id;
};

constexpr Known kKnown[] = {
    {"crowdsec", PHX_ORIGIN_CROWDSEC},
    {"cscli", PHX_ORIGIN_CSCLI},
    {"CAPI", PHX_ORIGIN_CAPI},
    {"lists", PHX_ORIGIN_LISTS},
    {"console", PHX_ORIGIN_CONSOLE},
    {"cscli-import", PHX_ORIGIN_CSCLI_IMPORT},
    {"remediation_sync", PHX_ORIGIN_REMEDIATION_SYNC},
    {"local", PHX_ORIGIN_LOCAL},
};

}  // namespace

uint16_t origin_id(std::string_view origin) {
  for (const auto& k : kKnown)
    if (origin == k.name) return k.id;
  if (origin.starts_with("crowdsec/")) return PHX_ORIGIN_CROWDSEC;
  if (origin.starts_with("lists:")) return PHX_ORIGIN_LISTS;
  return PHX_ORIGIN_OTHER;
}

std::string origin_name(uint32_t id) {
  for (const auto& k : kKnown)
    if (id == k.id) return std::string(k.name);
  if (id == PHX_ORIGIN_NONE) return "none";
  if (id == PHX_ORIGIN_OTHER) return "other";
  return std::to_string(id);
}

}  // namespace phalanx::xdp

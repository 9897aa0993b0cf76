// SPDX-License-Identifier: Apache-2.0
// Decision origins (LAPI strings) to the origin ids stored in map entries and counters
// (enum phx_origin in bpf/xdp_blocklist.h), and back for display.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace phalanx::xdp {

// "crowdsec" (and "crowdsec/<x>" from a profile), "cscli", "CAPI", "lists" (and "lists:<name>"),
// "console", "cscli-import", "remediation_sync"; anything else is PHX_ORIGIN_OTHER.
uint16_t origin_id(std::string_view origin);

// The LAPI name of an id ("crowdsec", ...), "local" for PHX_ORIGIN_LOCAL, "none", "other", or
// the number for dynamic ids.
std::string origin_name(uint32_t id);

}  // namespace phalanx::xdp

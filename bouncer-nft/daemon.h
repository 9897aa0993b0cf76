// SPDX-License-Identifier: Apache-2.0
// The phalanx-nft daemon's steps: create (or re-assert) the table, chain, rules and sets, watch
// nf_tables notifications and repair what others delete, follow the LAPI decision stream into
// the sets, drop expired entries from the mirror, serve metrics and audits, report usage.
#pragma once

#include <vector>

#include "bouncer-nft/config.h"
#include "core/net.h"

namespace phalanx::nft {

// Runs until SIGINT or SIGTERM. A plain stop leaves the table and its sets (every element
// expires on its own); flush_on_stop deletes the table (set-only: flushes our sets). Returns a
// process exit code; errors are logged once here.
int run_daemon(const NftBouncerConfig& config);

// Loopback, this host's addresses (allow_own_addresses) and config.allow.
std::vector<net::Cidr> safety_allow_list(const NftBouncerConfig& config);

}  // namespace phalanx::nft

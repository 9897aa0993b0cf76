// SPDX-License-Identifier: Apache-2.0
// The phalanx-xdp daemon's steps: load (or reuse) the pinned blocklist, fill the allow list,
// attach to the interfaces, follow the LAPI decision stream into the maps, sweep expired entries,
// serve metrics; and the --detach uninstall.
#pragma once

#include "bouncer-xdp/blocklist_maps.h"
#include "bouncer-xdp/config.h"

namespace phalanx::xdp {

// Runs until SIGINT or SIGTERM. A plain stop leaves the program attached and the maps pinned, so
// the last state keeps being enforced (and expires on time) until the next start reuses it.
// Returns a process exit code; errors are logged once here.
int run_daemon(const XdpBouncerConfig& config);

// Detaches the program from the configured interfaces and removes the pins (and the pin
// directory when empty). Works whether or not a daemon is running (stop it first).
int run_detach(const XdpBouncerConfig& config);

// Allow-list entries every bouncer keeps: loopback, plus this host's interface addresses when
// config.allow_own_addresses, plus config.allow.
std::vector<net::Cidr> safety_allow_list(const XdpBouncerConfig& config);

// Writes safety_allow_list(config) into the allow maps (origin local, no expiry).
Result<void> install_allow_list(BlocklistMaps& maps, const XdpBouncerConfig& config);

}  // namespace phalanx::xdp

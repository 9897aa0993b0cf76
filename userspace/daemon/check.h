// SPDX-License-Identifier: Apache-2.0
// `phalanxd --check`: validates the configuration and everything it names (database, profiles,
// allow list, TLS files, detection content, acquisition, the state directory, the remote LAPI
// credentials) without starting anything, and prints every problem at once.
#pragma once

#include <string>

#include "daemon/config.h"

namespace phalanx::daemon {

// Prints the problems and a summary on stdout; returns 0 when there is no error (warnings
// allowed), 1 otherwise.
int run_check(const Config& config, const std::string& config_path);

// The machine name the agent's alerts carry by default: the host name.
std::string default_machine_id();

}  // namespace phalanx::daemon

// SPDX-License-Identifier: Apache-2.0
// Prometheus text for where the agent's alerts go: the remote-LAPI client (agent only), or the
// writer into the LAPI of the same process.
#pragma once

#include <string>

#include "agent/lapi_client.h"

namespace phalanx::daemon {

std::string render_client_metrics(const agent::LapiClientStats& stats);
std::string render_local_output_metrics(uint64_t stored, uint64_t failed, size_t queued);

}  // namespace phalanx::daemon

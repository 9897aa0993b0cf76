// SPDX-License-Identifier: Apache-2.0
// Prometheus text for the agent's remote-LAPI client (agent only).
#pragma once

#include <string>

#include "agent/lapi_client.h"

namespace phalanx::daemon {

std::string render_client_metrics(const agent::LapiClientStats& stats);

}  // namespace phalanx::daemon

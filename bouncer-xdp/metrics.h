// SPDX-License-Identifier: Apache-2.0
// Prometheus text exposition of the blocklist's counters and the bouncer's state. Names follow
// CrowdSec's firewall bouncer (dropped / processed by origin and ip_type, active decisions),
// prefixed phalanx_xdp_.
#pragma once

#include <string>

#include "bouncer-xdp/counters.h"
#include "bouncer-xdp/xdp_backend.h"
#include "bouncer/stream_client.h"

namespace phalanx::xdp {

// One scrape body. Pure: tests feed it snapshots.
std::string render_metrics(const Counters& counters, const BackendStats& backend, size_t active,
                           const bouncer::StreamStats& stream);

}  // namespace phalanx::xdp

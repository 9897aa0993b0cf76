// SPDX-License-Identifier: Apache-2.0
// Prometheus text for phalanx-nft: drops by set and by origin (the kernel's named counters),
// processed packets, active decisions by origin and ip_type (from the mirror), writes, refusals,
// repairs, and the drift the last audit found. Prefixed phalanx_nft_.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bouncer-nft/kernel_state.h"
#include "bouncer-nft/nft_backend.h"
#include "bouncer/stream_client.h"

namespace phalanx::nft {

struct Drift {
  bool audited = false;
  uint64_t missing = 0;
  uint64_t extra = 0;
};

// One scrape body. Pure: tests feed it snapshots.
std::string render_metrics(const std::vector<CounterValue>& counters, const BackendStats& backend,
                           const std::map<std::pair<std::string, std::string>, uint64_t>& active,
                           const bouncer::StreamStats& stream, const Drift& drift);

// "ipv4" for the v4 sets' and origins' counters ("ban4", "range4", "o41"), "ipv6" for the v6
// ones, "" otherwise.
std::string ip_type_of_counter(const std::string& name);

}  // namespace phalanx::nft

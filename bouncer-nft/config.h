// SPDX-License-Identifier: Apache-2.0
// phalanx-nft's configuration file (YAML): the decision-stream keys of userspace/bouncer at the
// top level, as CrowdSec's firewall bouncer has them, plus the nftables side. ${VAR} is expanded
// from the environment before parsing. Example:
//
//   api_url: http://127.0.0.1:8080/   # or /run/phalanx/lapi.sock: phalanxd's Unix socket
//   api_key: ${PHALANX_NFT_API_KEY}
//   deny_action: drop            # drop or reject (CrowdSec's DROP / REJECT also accepted)
//   disable_ipv6: false
//   nftables:
//     family: inet               # inet, or netdev (ingress hook on `devices`)
//     table: phalanx
//     chain: prerouting
//     hook: prerouting           # prerouting, input, forward; netdev: ingress
//     priority: raw              # raw (-300), mangle (-150), filter (0) or a number
//     devices: []                # netdev only
//     set_only: false            # fill sets in an existing table (the admin's rules use them)
//     set_prefix: ""             # set names: <prefix>ban4, <prefix>range4, ...
//   flush_on_stop: false         # default: stop leaves the sets (elements expire on their own)
//   allow: [192.0.2.0/24]        # never dropped (loopback and this host's addresses always are)
//   prometheus: {enabled: true, listen_addr: 127.0.0.1, listen_port: 60602}  # also /audit
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "bouncer-nft/ruleset.h"
#include "bouncer/stream_config.h"
#include "core/duration.h"
#include "core/net.h"
#include "core/result.h"

namespace phalanx::nft {

struct NftBouncerConfig {
  bouncer::StreamConfig stream;
  Layout layout;
  bool flush_on_stop = false;
  std::vector<net::Cidr> allow;
  bool allow_own_addresses = true;
  size_t chunk_size = 25000;                            // elements per transaction for big loads
  Duration expire_interval = std::chrono::seconds(10);  // mirror clean-up of expired entries
  Duration usage_metrics_interval = std::chrono::minutes(15);
  std::string log_level = "info";
  bool prometheus = false;
  std::string prometheus_addr = "127.0.0.1";
  int prometheus_port = 60602;
};

// Loads and validates the file; every error names the file (and line where known).
Result<NftBouncerConfig> load_config(const std::string& path);
// Same, from text (tests).
Result<NftBouncerConfig> parse_config(std::string_view text, const std::string& name);

// "raw", "mangle", "filter", "security" or an integer.
Result<int> parse_priority(const std::string& text);

}  // namespace phalanx::nft

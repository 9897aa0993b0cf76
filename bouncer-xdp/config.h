// SPDX-License-Identifier: Apache-2.0
// phalanx-xdp's configuration file (YAML): the decision-stream keys of userspace/bouncer at the
// top level, as CrowdSec's firewall bouncer has them, plus the XDP side. ${VAR} is expanded
// from the environment before parsing (API keys stay out of the file). Example:
//
//   api_url: http://127.0.0.1:8080/   # or /run/phalanx/lapi.sock: phalanxd's Unix socket
//   api_key: ${PHALANX_XDP_API_KEY}
//   interfaces: [eth0]
//   xdp_mode: auto            # auto (native, else generic), native, generic
//   pin_dir: /sys/fs/bpf/phalanx
//   allow: [192.0.2.0/24]     # never dropped (loopback and this host's addresses always are)
//   prometheus: {enabled: true, listen_addr: 127.0.0.1, listen_port: 60601}
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bouncer-xdp/attach.h"
#include "bouncer-xdp/xdp_object.h"
#include "bouncer/stream_config.h"
#include "core/net.h"
#include "core/result.h"

namespace phalanx::xdp {

struct XdpBouncerConfig {
  bouncer::StreamConfig stream;
  std::vector<std::string> interfaces;
  XdpMode mode = XdpMode::kAuto;
  LoadOptions maps;  // pin_dir and map sizes (max_ban_v4, max_ban_v6, max_range_v4, ...)
  Duration sweep_interval = std::chrono::seconds(10);  // expired-entry sweep
  std::vector<net::Cidr> allow;
  bool allow_own_addresses = true;  // allow-list this host's interface addresses
  // POST /v1/usage-metrics this often (0: never), as CrowdSec's bouncers do every 15 min.
  Duration usage_metrics_interval = std::chrono::minutes(15);
  std::string log_level = "info";
  bool prometheus = false;
  std::string prometheus_addr = "127.0.0.1";
  int prometheus_port = 60601;
};

// Loads and validates the file; every error names the file (and line where known).
Result<XdpBouncerConfig> load_config(const std::string& path);
// Same, from text (tests).
Result<XdpBouncerConfig> parse_config(std::string_view text, const std::string& name);

}  // namespace phalanx::xdp

// SPDX-License-Identifier: Apache-2.0
// Settings of the decision-stream client, with the key names of CrowdSec's firewall bouncer
// (api_url, api_key, cert_path, key_path, ca_cert_path, insecure_skip_verify, update_frequency,
// scopes, origins, scenarios_containing, scenarios_not_containing, supported_decisions_types)
// plus Phalanx's push extension (push_wait) and retry timing.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/duration.h"
#include "core/result.h"

namespace phalanx::bouncer {

struct StreamConfig {
  // http(s)://host:port/, or a path starting with '/': the LAPI's Unix socket (Host: unix).
  std::string api_url = "http://127.0.0.1:8080/";
  std::string api_key;       // X-Api-Key; empty when a client certificate authenticates
  std::string cert_path;     // client certificate (PEM) for mutual TLS
  std::string key_path;      // its private key
  std::string ca_cert_path;  // CA bundle to verify the LAPI with; empty: the system store
  bool insecure_skip_verify = false;
  std::string user_agent;  // "<name>/<version>", set by the bouncer (phalanx-xdp/0.1.0)
  Duration update_frequency = std::chrono::seconds(10);  // poll interval without push
  // Push extension: each delta request asks the LAPI to hold it up to this long until something
  // changes (wait=<duration>&cursor=<c>). Zero disables it. A LAPI without the extension ignores
  // both parameters and answers at once without a cursor header; the client then polls.
  Duration push_wait = std::chrono::seconds(30);
  std::vector<std::string> scopes;  // empty: the LAPI default (ip, range)
  std::vector<std::string> origins;
  std::vector<std::string> scenarios_containing;
  std::vector<std::string> scenarios_not_containing;
  std::vector<std::string> supported_decisions_types{"ban"};
  // Full startup=true resync this often (0: never). A CrowdSec LAPI can miss a decision in its
  // deltas for good: `new` holds rows created after the bouncer's last pull, and a decision
  // whose transaction commits after a pull that began later than its creation time is never
  // sent. A periodic resync bounds how long such a decision goes unenforced.
  Duration resync_interval = std::chrono::minutes(10);
  Duration retry_initial = std::chrono::seconds(1);  // backoff while the LAPI is unreachable
  Duration retry_max = std::chrono::seconds(30);
  Duration connect_timeout = std::chrono::seconds(5);
};

// Reads the stream settings from the top level of a bouncer config file (`node`); missing keys
// keep their defaults. Errors name the file, line and key. Needs api_url, and api_key or
// cert_path + key_path (not both, as CrowdSec's bouncers).
Result<StreamConfig> load_stream_config(const YAML::Node& node, const std::string& file);

}  // namespace phalanx::bouncer

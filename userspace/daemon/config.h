// SPDX-License-Identifier: Apache-2.0
// phalanxd's configuration file (YAML, ${ENV} expanded). Every key is optional:
//
//   db: sqlite:///var/lib/phalanx/phalanx.db   # or postgresql://user:pass@host/db
//   profiles: /etc/phalanx/profiles.yaml
//   allow_list: [192.0.2.0/24]        # never banned (loopback and host addresses always)
//   flush: {max_age: 7d, max_items: 5000, decision_max_age: 7d, interval: 1h}
//   log_level: info
//   lapi:
//     listen: 127.0.0.1:8080          # address:port ([::1]:8080 for IPv6)
//     threads: 2                      # server threads
//     trusted_ips: [10.0.0.0/8]       # may DELETE /v1/alerts (127.0.0.1 and ::1 always may)
//     jwt_secret: ${PHALANX_JWT_SECRET}   # >= 64 bytes; default: $PHALANX_JWT_SECRET, else
//                                         # $CS_LAPI_SECRET, else random per start
//     tls:
//       cert_file: /etc/phalanx/lapi.crt
//       key_file: /etc/phalanx/lapi.key
//       ca_file: /etc/phalanx/ca.crt  # CA for client certificates
//       client_verification: VerifyClientCertIfGiven
//       bouncers_allowed_ou: [bouncer-ou]
//       agents_allowed_ou: [agent-ou]
//     auto_registration: {token: ${REGISTRATION_TOKEN}, allowed_ranges: [10.0.0.0/8]}
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "lapi/lapi.h"
#include "lapi/server.h"

namespace phalanx::daemon {

struct Config {
  lapi::ServerOptions server;
  std::string db_url = "sqlite:///var/lib/phalanx/phalanx.db";
  std::string profiles_path;  // empty: the default for this install (see default_profiles_path)
  std::vector<std::string> allow_list;
  lapi::LapiOptions lapi;
  std::chrono::seconds flush_interval{3600};
  std::string log_level = "info";
};

// The profiles file used when the config names none: scenarios/profiles/profiles.yaml of the
// source tree when phalanxd runs from its build directory, else /etc/phalanx/profiles.yaml.
std::string default_profiles_path();

// Reads and validates a config file; every problem is reported at once, "file:line: key: ...".
// An empty path gives the defaults (with the JWT secret from PHALANX_JWT_SECRET or
// CS_LAPI_SECRET when set).
Result<Config> load_config(const std::string& path);
// Same, from text (tests).
Result<Config> parse_config(std::string_view text, const std::string& name);

}  // namespace phalanx::daemon

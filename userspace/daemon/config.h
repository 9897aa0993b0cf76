// SPDX-License-Identifier: Apache-2.0
// phalanxd's configuration file (YAML, ${ENV} expanded). Every key is optional:
//
//   db: sqlite:///var/lib/phalanx/phalanx.db   # or postgresql://user:pass@host/db
//   profiles: /etc/phalanx/profiles.yaml
//   allow_list: [192.0.2.0/24]        # never banned (loopback and host addresses always)
//   flush: {max_age: 7d, max_items: 5000, decision_max_age: 7d, interval: 1h}
//   log_level: info
//   data_dir: /var/lib/phalanx         # state: read positions, journald cursors, agent spool
//   agent:
//     enabled: true                    # false (or --no-agent): LAPI only
//     acquis: /etc/phalanx/acquis.yaml
//     acquis_dir: /etc/phalanx/acquis.d
//     content: /etc/phalanx            # parsers/, scenarios/, postoverflows/, patterns/, data/;
//                                      # default: Phalanx's own content
//     hub: /path/to/crowdsec/hub       # or CrowdSec hub content, with
//     collections: [crowdsecurity/sshd]
//     workers: 0                       # parser threads (0: one per core)
//     shards: 1                        # scenario threads, each owning some scenarios'
//                                      # buckets (0: one per core); same alerts for any count
//     queue: 16384                     # lines waiting before sources are slowed down
//     max_buckets: 1000000
//     machine_id: myhost               # the name alerts carry (default: the host name)
//     lapi:                            # a remote LAPI: the agent pushes its alerts there
//       credentials: /etc/phalanx/local_api_credentials.yaml   # url, login, password
//       url: https://lapi.example:8080
//       login: myhost
//       password: ${PHALANX_AGENT_PASSWORD}
//       ca_file: /etc/phalanx/ca.crt
//       cert_file: /etc/phalanx/agent.crt   # mutual TLS instead of a password
//       key_file: /etc/phalanx/agent.key
//       insecure_skip_verify: false
//     metrics_listen: 127.0.0.1:6060   # agent only: where /metrics is served
//   lapi:
//     enabled: true                    # false (or --no-api): agent only
//     listen: 127.0.0.1:8080          # address:port ([::1]:8080 for IPv6); "": no TCP
//     listen_socket: /run/phalanx/lapi.sock   # also (or only) a Unix socket; its clients are
//                                     # trusted like loopback
//     listen_socket_mode: "0660"      # octal mode of the socket file
//     threads: 0                      # server threads (0: one per core)
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

#include "agent/agent.h"
#include "core/result.h"
#include "lapi/lapi.h"
#include "lapi/server.h"

namespace phalanx::daemon {

// A remote LAPI for the agent to push to (agent only).
struct RemoteLapi {
  std::string credentials_file;  // CrowdSec's local_api_credentials.yaml: url, login, password
  std::string url;
  std::string login;
  std::string password;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure_skip_verify = false;
  bool configured() const { return !credentials_file.empty() || !url.empty(); }
};

struct AgentSection {
  bool enabled = true;
  agent::AgentConfig agent;
  std::string machine_id;  // empty: the host name
  RemoteLapi remote;
  std::optional<lapi::ServerOptions> metrics;  // agent only: the /metrics listener
};

struct Config {
  lapi::ServerOptions server;
  std::string db_url = "sqlite:///var/lib/phalanx/phalanx.db";
  std::string profiles_path;  // empty: the default for this install (see default_profiles_path)
  std::vector<std::string> allow_list;
  lapi::LapiOptions lapi;
  std::chrono::seconds flush_interval{3600};
  std::string log_level = "info";
  std::string data_dir = "/var/lib/phalanx";
  bool lapi_enabled = true;
  AgentSection agent;
};

// The profiles file used when the config names none: scenarios/profiles/profiles.yaml of the
// source tree when phalanxd runs from its build directory, else <sysconfdir>/phalanx/
// profiles.yaml (/etc/phalanx with an install prefix of /usr).
std::string default_profiles_path();
// <sysconfdir>/phalanx/config.yaml: read when phalanxd is started without -c and it exists.
std::string default_config_path();

// Reads and validates a config file; every problem is reported at once, "file:line: key: ...".
// An empty path gives the defaults (with the JWT secret from PHALANX_JWT_SECRET or
// CS_LAPI_SECRET when set).
Result<Config> load_config(const std::string& path);
// Same, from text (tests).
Result<Config> parse_config(std::string_view text, const std::string& name);

}  // namespace phalanx::daemon

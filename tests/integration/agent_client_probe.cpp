// SPDX-License-Identifier: Apache-2.0
// A command-line driver of the agent's LAPI client, for tests against other LAPIs
// (agent_crowdsec_lapi_test.sh):
//
//   agent_client_probe register URL CREDENTIALS_OUT
//       New machine id and password, POST /v1/watchers, credentials file written; prints the
//       machine id.
//   agent_client_probe push CREDENTIALS SPOOL_DIR FIRST COUNT [TIMEOUT_S]
//       Starts the client (the spool a previous run left goes first), submits COUNT alerts on
//       198.51.100.FIRST.., waits up to TIMEOUT_S (default 20) for everything to be delivered,
//       stops. Prints the counters; exits 0 when nothing is left undelivered, 3 otherwise.
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "agent/credentials.h"
#include "agent/lapi_client.h"
#include "core/clock.h"
#include "lapi/alert_json.h"
#include "lapi/decision_json.h"

namespace {

using namespace phalanx;
using namespace std::chrono_literals;

int usage() {
  std::cerr << "usage: agent_client_probe register URL CREDENTIALS_OUT\n"
               "       agent_client_probe push CREDENTIALS SPOOL_DIR FIRST COUNT [TIMEOUT_S]\n";
  return 2;
}

std::string alert(const std::string& ip) {
  const std::string now = lapi::format_time_rfc3339(SystemClock::instance().now());
  parser::Alert a;
  a.scenario = "phalanx/probe";
  a.scenario_hash = "probe-hash";
  a.scenario_version = "0.1";
  a.message = "Ip " + ip + " performed 'phalanx/probe' (3 events over 1s)";
  a.leakspeed = "10s";
  a.start_at = a.stop_at = now;
  a.capacity = 2;
  a.events_count = 3;
  a.remediation = true;  // the default profile bans Ip alerts with remediation
  a.source.scope = "Ip";
  a.source.value = ip;
  a.source.ip = ip;
  parser::AlertEvent ev;
  ev.timestamp = now;
  ev.meta = {{"log_type", "probe"}, {"source_ip", ip}};
  a.events.push_back(ev);
  return lapi::alert_json(a);
}

int do_register(const std::string& url, const std::string& out) {
  auto id = agent::generate_machine_id();
  auto password = agent::generate_password();
  if (!id || !password) return 1;
  agent::LapiClientOptions o;
  o.url = url;
  o.machine_id = *id;
  o.password = *password;
  auto validated = agent::register_machine(o);
  if (!validated) {
    std::cerr << validated.error().message() << "\n";
    return 1;
  }
  agent::Credentials c;
  c.url = url;
  c.login = *id;
  c.password = *password;
  if (auto saved = agent::save_credentials(out, c); !saved) {
    std::cerr << saved.error().message() << "\n";
    return 1;
  }
  std::cout << *id << "\n";
  return 0;
}

int do_push(const std::string& credentials, const std::string& spool, int first, int count,
            int timeout_s) {
  auto c = agent::load_credentials(credentials);
  if (!c) {
    std::cerr << c.error().message() << "\n";
    return 1;
  }
  agent::LapiClientOptions o;
  agent::use_credentials(o, *c);
  o.scenarios = {"phalanx/probe"};
  o.spool_dir = spool;
  o.push_interval = 100ms;
  o.backoff_base = 50ms;
  o.connect_timeout = 1s;
  o.stop_timeout = 2s;
  auto client = agent::LapiClient::create(o);
  if (!client) {
    std::cerr << client.error().message() << "\n";
    return 1;
  }
  if (auto started = (*client)->start(); !started) {
    std::cerr << started.error().message() << "\n";
    return 1;
  }
  const uint64_t backlog = (*client)->stats().spooled;
  for (int i = 0; i < count; ++i)
    (*client)->submit({alert(fmt::format("198.51.100.{}", first + i))});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto s = (*client)->stats();
    if (s.alerts_pushed >= backlog + static_cast<uint64_t>(count) && s.spooled == 0 &&
        s.queued == 0)
      break;
    std::this_thread::sleep_for(20ms);
  }
  (*client)->stop();
  const auto s = (*client)->stats();
  std::cout << fmt::format(
      "backlog={} pushed={} requests={} push_failures={} logins={} login_failures={} "
      "spooled={} queued={} dropped={} rejected={}\n",
      backlog, s.alerts_pushed, s.push_requests, s.push_failures, s.logins, s.login_failures,
      s.spooled, s.queued, s.dropped, s.rejected);
  return s.spooled == 0 && s.queued == 0 && s.dropped == 0 && s.rejected == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "register" && argc == 4) return do_register(argv[2], argv[3]);
  if (cmd == "push" && (argc == 6 || argc == 7))
    return do_push(argv[2], argv[3], std::atoi(argv[4]), std::atoi(argv[5]),
                   argc == 7 ? std::atoi(argv[6]) : 20);
  return usage();
}

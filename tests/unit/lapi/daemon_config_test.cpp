// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <stdlib.h>

#include "daemon/config.h"
#include "daemon/reload.h"
#include "profiles/profiles.h"

namespace phalanx::daemon {
namespace {

TEST(DaemonConfig, Defaults) {
  unsetenv("PHALANX_JWT_SECRET");
  unsetenv("CS_LAPI_SECRET");
  auto c = parse_config("", "empty");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server.address, "127.0.0.1");
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->db_url, "sqlite:///var/lib/phalanx/phalanx.db");
  EXPECT_FALSE(c->server.tls);
  EXPECT_EQ(c->server.threads, 0);  // one per core
  EXPECT_TRUE(c->lapi.jwt_secret.empty());
  setenv("CS_LAPI_SECRET", std::string(64, 'c').c_str(), 1);
  c = parse_config("", "empty");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->lapi.jwt_secret, std::string(64, 'c'));
  unsetenv("CS_LAPI_SECRET");
}

TEST(DaemonConfig, EveryKey) {
  setenv("PHALANX_TEST_SECRET", std::string(64, 's').c_str(), 1);
  auto c = parse_config(R"(
db: sqlite:///tmp/x.db
profiles: /etc/phalanx/profiles.yaml
allow_list: [192.0.2.0/24]
log_level: debug
flush: {max_age: 2d, max_items: 100, decision_max_age: 1d, interval: 10m}
lapi:
  listen: "[::1]:9090"
  threads: 4
  trusted_ips: [10.0.0.0/8]
  jwt_secret: ${PHALANX_TEST_SECRET}
  tls:
    cert_file: /c.pem
    key_file: /k.pem
    ca_file: /ca.pem
    client_verification: RequireAndVerifyClientCert
    bouncers_allowed_ou: [b]
    agents_allowed_ou: [a]
  auto_registration: {token: t0k3n, allowed_ranges: [127.0.0.1/32]}
)",
                        "test.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->server.address, "::1");
  EXPECT_EQ(c->server.port, 9090);
  EXPECT_EQ(c->server.threads, 4);
  EXPECT_EQ(c->db_url, "sqlite:///tmp/x.db");
  EXPECT_EQ(c->profiles_path, "/etc/phalanx/profiles.yaml");
  EXPECT_EQ(c->allow_list, std::vector<std::string>{"192.0.2.0/24"});
  EXPECT_EQ(c->lapi.trusted_ips.size(), 1u);
  EXPECT_EQ(c->lapi.jwt_secret, std::string(64, 's'));
  ASSERT_TRUE(c->server.tls);
  EXPECT_EQ(c->server.tls->verification, lapi::ClientVerification::kRequireAndVerifyClientCert);
  EXPECT_EQ(c->lapi.bouncers_allowed_ou, std::vector<std::string>{"b"});
  EXPECT_EQ(c->lapi.registration_token, "t0k3n");
  EXPECT_EQ(c->flush_interval, std::chrono::minutes(10));
  EXPECT_EQ(c->lapi.flush.alert_max_items, 100);
  EXPECT_EQ(c->lapi.flush.decision_max_age, std::chrono::hours(24));
}

TEST(DaemonConfig, AgentMetricsListenerHasOneThread) {
  auto c = parse_config("agent:\n  metrics_listen: 127.0.0.1:6060\n", "agent.yaml");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_TRUE(c->agent.metrics);
  EXPECT_EQ(c->agent.metrics->port, 6060);
  EXPECT_EQ(c->agent.metrics->threads, 1);
}

TEST(DaemonConfig, AllProblemsAtOnce) {
  auto c = parse_config(R"(
lapi:
  listen: nowhere
  threads: -1
  trusted_ips: [not-an-ip]
  jwt_secret: short
  tls: {cert_file: /c.pem, client_verification: Sometimes}
flush: {interval: soon}
)",
                        "bad.yaml");
  ASSERT_FALSE(c);
  const std::string& m = c.error().message();
  for (const char* part : {"listen", "threads", "not-an-ip", "jwt_secret", "client_verification",
                           "cert_file and key_file", "interval"})
    EXPECT_NE(m.find(part), std::string::npos) << part << " missing from: " << m;
}

TEST(DaemonConfig, ListenSocket) {
  auto c = parse_config("lapi:\n  listen_socket: /run/phalanx/lapi.sock\n", "sock.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_TRUE(c->server.tcp);  // beside the TCP listener
  EXPECT_EQ(c->server.address, "127.0.0.1");
  EXPECT_EQ(c->server.socket_path, "/run/phalanx/lapi.sock");
  EXPECT_EQ(c->server.socket_mode, 0660u);

  c = parse_config(R"(
lapi:
  listen: ""
  listen_socket: /run/phalanx/lapi.sock
  listen_socket_mode: "0600"
)",
                   "alone.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_FALSE(c->server.tcp);
  EXPECT_EQ(c->server.socket_mode, 0600u);

  c = parse_config(R"(
lapi:
  listen: ""
  listen_socket: relative.sock
  listen_socket_mode: "0999"
)",
                   "bad.yaml");
  ASSERT_FALSE(c);
  const std::string& m = c.error().message();
  for (const char* part : {"not an absolute path", "listen_socket_mode"})
    EXPECT_NE(m.find(part), std::string::npos) << part << " missing from: " << m;

  c = parse_config("lapi:\n  listen: \"\"\n", "nothing.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("nothing to listen on"), std::string::npos);
  c = parse_config("lapi:\n  listen_socket: /" + std::string(120, 'x') + "\n", "long.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("bytes long"), std::string::npos);
  // The agent's remote LAPI may be a socket path too.
  c = parse_config("agent:\n  lapi: {url: /run/phalanx/lapi.sock, login: a, password: b}\n",
                   "agent.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->agent.remote.url, "/run/phalanx/lapi.sock");
}

// SIGHUP: what a reload cannot apply is named by its key; the agent's identity only counts where
// an agent runs.
TEST(DaemonReload, RestartOnlyChangesAreNamedByKey) {
  auto a = parse_config("db: sqlite:///tmp/a.db\nlapi: {listen: 127.0.0.1:8080}\n", "a");
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_TRUE(restart_only_changes(*a, *a).empty());
  auto b = parse_config(
      "db: sqlite:///tmp/b.db\nallow_list: [203.0.113.0/24]\nlog_level: debug\n"
      "lapi: {listen: 127.0.0.1:8081}\n",
      "b");
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(restart_only_changes(*a, *b), (std::vector<std::string>{"lapi.listen", "db"}));
  auto c = *a;
  c.agent.machine_id = "other";
  EXPECT_EQ(restart_only_changes(*a, c), (std::vector<std::string>{"agent.machine_id"}));
  auto no_agent = *a;
  no_agent.agent.enabled = false;
  auto no_agent_renamed = no_agent;
  no_agent_renamed.agent.machine_id = "other";
  EXPECT_TRUE(restart_only_changes(no_agent, no_agent_renamed).empty());
  EXPECT_EQ(restart_only_changes(*a, no_agent), (std::vector<std::string>{"agent.enabled"}));
}

TEST(DaemonReload, AlertPolicyLoadsTheProfilesAndTheAllowList) {
  Config c;  // the shipped profiles
  c.allow_list = {"203.0.113.0/24"};
  auto policy = load_alert_policy(c);
  ASSERT_TRUE(policy) << policy.error().message();
  EXPECT_EQ(policy->profiles->size(), 2u);
  EXPECT_FALSE(policy->allow_list->refusal("Ip", "203.0.113.5").empty());
  EXPECT_TRUE(policy->allow_list->refusal("Ip", "198.51.100.5").empty());
  c.allow_list = {"not-an-address"};
  policy = load_alert_policy(c);
  ASSERT_FALSE(policy);
  EXPECT_NE(policy.error().message().find("allow_list"), std::string::npos);
  c.allow_list.clear();
  c.profiles_path = "/nonexistent/profiles.yaml";
  EXPECT_FALSE(load_alert_policy(c));
}

}  // namespace
}  // namespace phalanx::daemon

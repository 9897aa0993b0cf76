// SPDX-License-Identifier: Apache-2.0
// phalanx-xdp's configuration file, the safety allow list and the Prometheus rendering: pure
// userspace, no bpf() needed (label unit).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "bouncer-xdp/config.h"
#include "bouncer-xdp/daemon.h"
#include "bouncer-xdp/metrics.h"
#include "bouncer-xdp/origin.h"
#include "bouncer-xdp/usage.h"

namespace phalanx::xdp {
namespace {

using namespace std::chrono_literals;

TEST(XdpConfig, ReadsEveryKeyAndExpandsEnvironment) {
  setenv("PHX_TEST_KEY", "s3cret", 1);
  auto c = parse_config(R"(
api_url: http://127.0.0.1:8080/
api_key: ${PHX_TEST_KEY}
update_frequency: 2s
interfaces: [eth0, eth1]
xdp_mode: generic
pin_dir: /sys/fs/bpf/px
max_ban_v4: 4096
sweep_interval: 30s
allow: [192.0.2.0/24, 2001:db8::1]
allow_own_addresses: false
prometheus: {enabled: true, listen_addr: 127.0.0.2, listen_port: 9100}
)",
                        "xdp.yaml");
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->stream.api_key, "s3cret");
  EXPECT_EQ(c->stream.update_frequency, 2s);
  EXPECT_EQ(c->interfaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(c->mode, XdpMode::kGeneric);
  EXPECT_EQ(c->maps.pin_dir, "/sys/fs/bpf/px");
  EXPECT_EQ(c->maps.max_ban_v4, 4096u);
  EXPECT_EQ(c->sweep_interval, 30s);
  ASSERT_EQ(c->allow.size(), 2u);
  EXPECT_EQ(c->allow[1].to_string(), "2001:db8::1/128");
  EXPECT_TRUE(c->prometheus);
  EXPECT_EQ(c->prometheus_port, 9100);

  // Loopback is always allowed; own addresses only when asked; then the configured entries.
  const auto allow = safety_allow_list(*c);
  ASSERT_EQ(allow.size(), 4u);
  EXPECT_EQ(allow[0].to_string(), "127.0.0.0/8");
  EXPECT_EQ(allow[1].to_string(), "::1/128");
}

TEST(XdpConfig, Refusals) {
  struct Case {
    const char* yaml;
    const char* expect;
  } cases[] = {
      {"api_key: k", "interfaces"},
      {"api_key: k\ninterfaces: [eth0]\nxdp_mode: turbo", "xdp.yaml:3: unknown xdp mode 'turbo'"},
      {"api_key: k\ninterfaces: [eth0]\nmax_ban_v4: 0", "max_ban_v4"},
      {"api_key: k\ninterfaces: [eth0]\nallow: [10.0.0.0/40]", "allow"},
      {"api_key: k\ninterfaces: [eth0]\nsweep_interval: never", "sweep_interval"},
      {"interfaces: [eth0]", "api_key is required"},
      {"- a list", "expected a YAML mapping"},
  };
  for (const auto& k : cases) {
    auto r = parse_config(k.yaml, "xdp.yaml");
    ASSERT_FALSE(r.has_value()) << k.yaml;
    EXPECT_NE(r.error().message().find(k.expect), std::string::npos) << r.error().message();
  }
}

TEST(XdpOrigin, RoundTrips) {
  EXPECT_EQ(origin_id("crowdsec"), PHX_ORIGIN_CROWDSEC);
  EXPECT_EQ(origin_id("crowdsec/custom-profile"), PHX_ORIGIN_CROWDSEC);
  EXPECT_EQ(origin_id("lists:firehol"), PHX_ORIGIN_LISTS);
  EXPECT_EQ(origin_id("CAPI"), PHX_ORIGIN_CAPI);
  EXPECT_EQ(origin_id("capi"), PHX_ORIGIN_OTHER);  // origins are case-sensitive
  EXPECT_EQ(origin_name(PHX_ORIGIN_CSCLI), "cscli");
  EXPECT_EQ(origin_name(PHX_ORIGIN_OTHER), "other");
  EXPECT_EQ(origin_name(40), "40");
}

TEST(XdpMetrics, RendersDropsByOriginAndType) {
  std::vector<phx_counter> raw(PHX_COUNTER_COUNT);
  raw[phx_counter_index(PHX_ORIGIN_CSCLI, PHX_FAMILY_V4, PHX_VERDICT_DROP)] = {5, 320};
  raw[phx_counter_index(PHX_ORIGIN_CAPI, PHX_FAMILY_V6, PHX_VERDICT_DROP)] = {2, 172};
  raw[phx_counter_index(PHX_ORIGIN_NONE, PHX_FAMILY_V4, PHX_VERDICT_PASS_PREFILTER)] = {100, 6400};
  BackendStats backend;
  backend.expired = 3;
  bouncer::StreamStats stream;
  stream.requests = 9;
  stream.failures = 1;
  const std::string text = render_metrics(Counters(raw), backend, 42, stream);
  for (const char* line : {
           "phalanx_xdp_dropped_packets_total{origin=\"cscli\",ip_type=\"ipv4\"} 5\n",
           "phalanx_xdp_dropped_bytes_total{origin=\"cscli\",ip_type=\"ipv4\"} 320\n",
           "phalanx_xdp_dropped_packets_total{origin=\"CAPI\",ip_type=\"ipv6\"} 2\n",
           "phalanx_xdp_processed_packets_total 107\n",
           "phalanx_xdp_active_decisions 42\n",
           "phalanx_xdp_entries_expired_total 3\n",
           "phalanx_xdp_lapi_failures_total 1\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  EXPECT_EQ(text.find("origin=\"none\""), std::string::npos);  // only drops are labelled
}

TEST(XdpUsage, FirewallBouncerShapeWithWindowIncreases) {
  std::vector<phx_counter> before(PHX_COUNTER_COUNT), now(PHX_COUNTER_COUNT);
  before[phx_counter_index(PHX_ORIGIN_CSCLI, PHX_FAMILY_V4, PHX_VERDICT_DROP)] = {10, 640};
  now[phx_counter_index(PHX_ORIGIN_CSCLI, PHX_FAMILY_V4, PHX_VERDICT_DROP)] = {15, 960};
  now[phx_counter_index(PHX_ORIGIN_NONE, PHX_FAMILY_V4, PHX_VERDICT_PASS_PREFILTER)] = {100, 6400};
  ActiveCounts active{{{PHX_ORIGIN_CSCLI, PHX_FAMILY_V4}, 3},
                      {{PHX_ORIGIN_CAPI, PHX_FAMILY_V6}, 7}};
  UsageWindow w{"0.1.0", "6.18.0", 1000, 1900, 900};
  const auto body =
      nlohmann::json::parse(usage_metrics_body(w, Counters(now), Counters(before), active));
  const auto& rc = body["remediation_components"][0];
  EXPECT_EQ(rc["type"], "phalanx-xdp");
  EXPECT_EQ(rc["utc_startup_timestamp"], 1000);
  EXPECT_EQ(rc["metrics"][0]["meta"]["window_size_seconds"], 900);
  std::map<std::string, uint64_t> got;
  for (const auto& item : rc["metrics"][0]["items"]) {
    std::string key = item["name"].get<std::string>() + "/" + item["unit"].get<std::string>();
    for (const auto& [k, v] : item["labels"].items())
      key += "/" + v.get<std::string>();
    got[key] = item["value"].get<uint64_t>();
  }
  EXPECT_EQ(got["dropped/packet/ipv4/cscli"], 5u);  // labels sorted: ip_type, origin
  EXPECT_EQ(got["dropped/byte/ipv4/cscli"], 320u);
  EXPECT_EQ(got["processed/packet/ipv4"], 105u);
  EXPECT_EQ(got["active_decisions/ip/ipv4/cscli"], 3u);
  EXPECT_EQ(got["active_decisions/ip/ipv6/CAPI"], 7u);
}

}  // namespace
}  // namespace phalanx::xdp

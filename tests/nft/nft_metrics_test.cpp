// SPDX-License-Identifier: Apache-2.0
// Prometheus text and the usage-metrics body of phalanx-nft: pure functions fed snapshots.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bouncer-nft/metrics.h"
#include "bouncer-nft/usage.h"

namespace phalanx::nft {
namespace {

const std::vector<CounterValue> kCounters = {
    {"processed", 100, 6400}, {"ban4", 7, 420}, {"range4", 3, 180}, {"ban6", 2, 160}};

TEST(NftMetrics, DropsBySetActiveByOriginAndDrift) {
  BackendStats b;
  b.repairs = 2;
  b.rejected = 1;
  const std::string text = render_metrics(kCounters, b, {{{"CAPI", "ipv4"}, 5}},
                                          bouncer::StreamStats{}, Drift{true, 3, 0});
  for (const char* want : {
           "phalanx_nft_dropped_packets_total{set=\"ban4\",ip_type=\"ipv4\"} 7\n",
           "phalanx_nft_dropped_bytes_total{set=\"ban6\",ip_type=\"ipv6\"} 160\n",
           "phalanx_nft_processed_packets_total 100\n",
           "phalanx_nft_active_decisions{origin=\"CAPI\",ip_type=\"ipv4\"} 5\n",
           "phalanx_nft_repairs_total 2\n",
           "phalanx_nft_elements_rejected_total 1\n",
           "phalanx_nft_drift_elements{kind=\"missing\"} 3\n",
       })
    EXPECT_NE(text.find(want), std::string::npos) << want;
  // No audit yet: no drift series (not a misleading 0).
  EXPECT_EQ(render_metrics(kCounters, b, {}, {}, Drift{}).find("drift"), std::string::npos);
}

TEST(NftUsage, IncreasesOverTheWindowAndResets) {
  const std::vector<CounterValue> before = {
      {"processed", 40, 2560}, {"ban4", 5, 300}, {"range4", 1, 60}, {"ban6", 9, 720}};
  UsageWindow w{"0.1.0", "6.18", 1000, 1900, 900};
  auto body =
      nlohmann::json::parse(usage_metrics_body(w, kCounters, before, {{{"crowdsec", "ipv6"}, 4}}));
  const auto& c = body["remediation_components"][0];
  EXPECT_EQ(c["type"], "phalanx-nft");
  EXPECT_EQ(c["metrics"][0]["meta"]["window_size_seconds"], 900);
  std::map<std::string, uint64_t> got;
  for (const auto& i : c["metrics"][0]["items"]) {
    std::string key = i["name"].get<std::string>() + "/" + i["unit"].get<std::string>();
    if (i.contains("labels") && i["labels"].contains("ip_type"))
      key += "/" + i["labels"]["ip_type"].get<std::string>();
    got[key] = i["value"].get<uint64_t>();
  }
  EXPECT_EQ(got["processed/packet"], 60u);
  EXPECT_EQ(got["dropped/packet/ipv4"], 4u);  // ban4 +2, range4 +2
  EXPECT_EQ(got["dropped/packet/ipv6"], 2u);  // 9 -> 2: counters were recreated, count anew
  EXPECT_EQ(got["active_decisions/ip/ipv6"], 4u);
}

TEST(NftMetrics, DropsByOriginSumTheOriginsCounters) {
  std::vector<CounterValue> counters = kCounters;
  counters.push_back({"o41", 5, 300, "crowdsec"});
  counters.push_back({"o42", 2, 120, "CAPI"});
  counters.push_back({"o61", 2, 160, "crowdsec"});
  counters.push_back({"o47", 1, 60, "crowdsec"});  // numbered by an earlier run: summed
  counters.push_back({"o43", 0, 0, "lists:a \"b\""});
  const std::string text = render_metrics(counters, BackendStats{}, {}, {}, Drift{});
  for (const char* want : {
           "phalanx_nft_dropped_by_origin_packets_total{origin=\"crowdsec\",ip_type=\"ipv4\"} 6\n",
           "phalanx_nft_dropped_by_origin_packets_total{origin=\"CAPI\",ip_type=\"ipv4\"} 2\n",
           "phalanx_nft_dropped_by_origin_bytes_total{origin=\"crowdsec\",ip_type=\"ipv6\"} 160\n",
           "phalanx_nft_dropped_by_origin_packets_total{origin=\"lists:a "
           "\\\"b\\\"\",ip_type=\"ipv4\"} 0\n",
           "phalanx_nft_dropped_packets_total{set=\"ban4\",ip_type=\"ipv4\"} 7\n",
       })
    EXPECT_NE(text.find(want), std::string::npos) << want;
  // Origin counters are not sets.
  EXPECT_EQ(text.find("set=\"o41\""), std::string::npos);
}

TEST(NftUsage, DropsAreReportedByOriginWhenTheTableCountsThem) {
  std::vector<CounterValue> before = {{"processed", 40, 2560},
                                      {"ban4", 5, 300},
                                      {"o41", 4, 240, "crowdsec"},
                                      {"o42", 1, 60, "CAPI"}};
  std::vector<CounterValue> now = {{"processed", 100, 6400},
                                   {"ban4", 9, 540},
                                   {"o41", 7, 420, "crowdsec"},
                                   {"o42", 2, 120, "CAPI"},
                                   {"o61", 3, 240, "crowdsec"}};
  UsageWindow w{"0.1.0", "6.18", 1000, 1900, 900};
  auto body = nlohmann::json::parse(usage_metrics_body(w, now, before, {}));
  std::map<std::string, uint64_t> got;
  for (const auto& i : body["remediation_components"][0]["metrics"][0]["items"]) {
    if (i["name"] != "dropped") continue;
    ASSERT_TRUE(i["labels"].contains("origin"));
    got[i["labels"]["origin"].get<std::string>() + "/" + i["labels"]["ip_type"].get<std::string>() +
        "/" + i["unit"].get<std::string>()] = i["value"].get<uint64_t>();
  }
  EXPECT_EQ(got.size(), 6u);  // crowdsec v4 and v6, CAPI v4; packets and bytes
  EXPECT_EQ(got["crowdsec/ipv4/packet"], 3u);
  EXPECT_EQ(got["crowdsec/ipv6/packet"], 3u);  // new since the last report: all of it
  EXPECT_EQ(got["CAPI/ipv4/byte"], 60u);
}

}  // namespace
}  // namespace phalanx::nft

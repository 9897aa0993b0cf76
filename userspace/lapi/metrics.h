// SPDX-License-Identifier: Apache-2.0
// Prometheus metrics of the LAPI (GET /metrics, text exposition format 0.0.4): requests by
// route, method and code; a latency histogram per route; and gauges the caller samples at
// scrape time (active decisions by origin, stream clients, open connections, the alert writer).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace phalanx::lapi {

class Metrics {
 public:
  // Counts one answered request. `route` is the route pattern ("/v1/alerts/:id"), never the
  // raw path, so the label set stays bounded. Thread-safe.
  void observe(std::string_view route, std::string_view method, int status, double seconds);
  // Counts a decision refused by the allow list.
  void allowlist_refusal() { ++allowlist_refusals_; }
  // Counts an alert not stored because a centralised allowlist covers its source.
  void allowlisted_alert() { ++allowlisted_alerts_; }
  // Counts a failed login, and one refused by the limiter.
  void login_failure(bool limited);

  struct Gauges {
    std::map<std::string, int64_t> active_decisions_by_origin;
    size_t decisions_indexed = 0;
    size_t stream_waiting = 0;  // held long polls
    size_t connections = 0;
    // The alert writer (alert_writer.h): POST /v1/alerts calls stored, the transactions they
    // shared (calls / commits is the batching), and the calls waiting for the next one.
    uint64_t alert_calls = 0;
    uint64_t alert_commits = 0;
    size_t alerts_queued = 0;
  };
  std::string render(const Gauges& gauges) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  // Transparent comparators: a request is counted without building strings (only a new label
  // set allocates).
  std::map<std::tuple<std::string, std::string, int>, uint64_t, std::less<>> requests_;
  std::map<std::string, Histogram, std::less<>> latency_;
  std::atomic<uint64_t> allowlist_refusals_{0};
  std::atomic<uint64_t> allowlisted_alerts_{0};
  std::atomic<uint64_t> login_failures_{0};
  std::atomic<uint64_t> login_limited_{0};
};

}  // namespace phalanx::lapi

// SPDX-License-Identifier: Apache-2.0
#include "lapi/metrics.h"

#include <fmt/format.h>

#include "core/prometheus.h"

namespace phalanx::lapi {
using prometheus::escape_label;

void Metrics::observe(std::string_view route, std::string_view method, int status, double seconds) {
  std::lock_guard lock(mu_);
  auto req = requests_.find(std::make_tuple(route, method, status));
  if (req == requests_.end())
    req = requests_.emplace(std::make_tuple(std::string(route), std::string(method), status), 0)
              .first;
  ++req->second;
  auto lat = latency_.find(route);
  if (lat == latency_.end()) lat = latency_.emplace(std::string(route), Histogram{}).first;
  auto& h = lat->second;
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.counts[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::login_failure(bool limited) {
  ++(limited ? login_limited_ : login_failures_);
}

std::string Metrics::render(const Gauges& g) const {
  std::string out;
  auto it = std::back_inserter(out);
  out += "# HELP phalanx_lapi_requests_total LAPI requests answered, by route, method and code.\n";
  out += "# TYPE phalanx_lapi_requests_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, code] = key;
    fmt::format_to(it, "phalanx_lapi_requests_total{{route=\"{}\",method=\"{}\",code=\"{}\"}} {}\n",
                   escape_label(route), method, code, n);
  }
  out += "# HELP phalanx_lapi_request_duration_seconds Time to answer (first byte), by route.\n";
  out += "# TYPE phalanx_lapi_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    const std::string r = escape_label(route);
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      fmt::format_to(it,
                     "phalanx_lapi_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                     r, kBuckets[i], h.counts[i]);
    }
    fmt::format_to(it,
                   "phalanx_lapi_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                   r, h.count);
    fmt::format_to(it, "phalanx_lapi_request_duration_seconds_sum{{route=\"{}\"}} {}\n", r, h.sum);
    fmt::format_to(it, "phalanx_lapi_request_duration_seconds_count{{route=\"{}\"}} {}\n", r,
                   h.count);
  }
  out += "# HELP phalanx_lapi_active_decisions Active decisions, by origin.\n";
  out += "# TYPE phalanx_lapi_active_decisions gauge\n";
  for (const auto& [origin, n] : g.active_decisions_by_origin)
    fmt::format_to(it, "phalanx_lapi_active_decisions{{origin=\"{}\"}} {}\n", escape_label(origin),
                   n);
  out += "# HELP phalanx_lapi_decisions_indexed Decision rows in the in-memory index.\n";
  out += "# TYPE phalanx_lapi_decisions_indexed gauge\n";
  fmt::format_to(it, "phalanx_lapi_decisions_indexed {}\n", g.decisions_indexed);
  out += "# HELP phalanx_lapi_stream_clients_waiting Decision-stream requests held (push).\n";
  out += "# TYPE phalanx_lapi_stream_clients_waiting gauge\n";
  fmt::format_to(it, "phalanx_lapi_stream_clients_waiting {}\n", g.stream_waiting);
  out += "# HELP phalanx_lapi_connections Open HTTP connections.\n";
  out += "# TYPE phalanx_lapi_connections gauge\n";
  fmt::format_to(it, "phalanx_lapi_connections {}\n", g.connections);
  out +=
      "# HELP phalanx_lapi_alert_writer_calls_total POST /v1/alerts calls the alert writer "
      "stored or refused.\n";
  out += "# TYPE phalanx_lapi_alert_writer_calls_total counter\n";
  fmt::format_to(it, "phalanx_lapi_alert_writer_calls_total {}\n", g.alert_calls);
  out +=
      "# HELP phalanx_lapi_alert_writer_commits_total Transactions of the alert writer (calls "
      "queued together share one).\n";
  out += "# TYPE phalanx_lapi_alert_writer_commits_total counter\n";
  fmt::format_to(it, "phalanx_lapi_alert_writer_commits_total {}\n", g.alert_commits);
  out += "# HELP phalanx_lapi_alert_writer_queued POST /v1/alerts calls waiting to be stored.\n";
  out += "# TYPE phalanx_lapi_alert_writer_queued gauge\n";
  fmt::format_to(it, "phalanx_lapi_alert_writer_queued {}\n", g.alerts_queued);
  out += "# HELP phalanx_lapi_allowlist_refusals_total Decisions refused by the allow list.\n";
  out += "# TYPE phalanx_lapi_allowlist_refusals_total counter\n";
  fmt::format_to(it, "phalanx_lapi_allowlist_refusals_total {}\n", allowlist_refusals_.load());
  out +=
      "# HELP phalanx_lapi_allowlisted_alerts_total Alerts not stored: a centralised allowlist "
      "covers their source.\n";
  out += "# TYPE phalanx_lapi_allowlisted_alerts_total counter\n";
  fmt::format_to(it, "phalanx_lapi_allowlisted_alerts_total {}\n", allowlisted_alerts_.load());
  out +=
      "# HELP phalanx_lapi_login_failures_total Failed machine logins (limited: refused by the "
      "rate limiter).\n";
  out += "# TYPE phalanx_lapi_login_failures_total counter\n";
  fmt::format_to(it, "phalanx_lapi_login_failures_total{{limited=\"false\"}} {}\n",
                 login_failures_.load());
  fmt::format_to(it, "phalanx_lapi_login_failures_total{{limited=\"true\"}} {}\n",
                 login_limited_.load());
  return out;
}

}  // namespace phalanx::lapi

// SPDX-License-Identifier: Apache-2.0
#include "bouncer-nft/metrics.h"

#include <fmt/format.h>

#include "bouncer-nft/ruleset.h"
#include "core/prometheus.h"

namespace phalanx::nft {

std::string ip_type_of_counter(const std::string& name) {
  if (const auto origin = parse_origin_counter(name)) return origin->first ? "ipv6" : "ipv4";
  if (name.ends_with("4")) return "ipv4";
  if (name.ends_with("6")) return "ipv6";
  return "";
}

std::string render_metrics(const std::vector<CounterValue>& counters, const BackendStats& b,
                           const std::map<std::pair<std::string, std::string>, uint64_t>& active,
                           const bouncer::StreamStats& stream, const Drift& drift) {
  std::string out =
      "# HELP phalanx_nft_dropped_packets_total Packets dropped, by set.\n"
      "# TYPE phalanx_nft_dropped_packets_total counter\n";
  std::string bytes =
      "# HELP phalanx_nft_dropped_bytes_total Bytes dropped, by set.\n"
      "# TYPE phalanx_nft_dropped_bytes_total counter\n";
  std::string by_origin =
      "# HELP phalanx_nft_dropped_by_origin_packets_total Packets dropped, by the origin of the "
      "decision.\n"
      "# TYPE phalanx_nft_dropped_by_origin_packets_total counter\n";
  std::string by_origin_bytes =
      "# HELP phalanx_nft_dropped_by_origin_bytes_total Bytes dropped, by the origin of the "
      "decision.\n"
      "# TYPE phalanx_nft_dropped_by_origin_bytes_total counter\n";
  // Several counters may share an origin (one per family, and a restart may meet counters an
  // earlier run numbered): sum them.
  std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint64_t>> origins;
  uint64_t processed_p = 0, processed_b = 0;
  for (const auto& c : counters) {
    if (c.name == "processed") {
      processed_p = c.packets;
      processed_b = c.bytes;
      continue;
    }
    if (parse_origin_counter(c.name)) {
      auto& v = origins[{c.comment, ip_type_of_counter(c.name)}];
      v.first += c.packets;
      v.second += c.bytes;
      continue;
    }
    const std::string labels =
        fmt::format("{{set=\"{}\",ip_type=\"{}\"}}", c.name, ip_type_of_counter(c.name));
    out += fmt::format("phalanx_nft_dropped_packets_total{} {}\n", labels, c.packets);
    bytes += fmt::format("phalanx_nft_dropped_bytes_total{} {}\n", labels, c.bytes);
  }
  for (const auto& [key, v] : origins) {
    const std::string labels = fmt::format("{{origin=\"{}\",ip_type=\"{}\"}}",
                                           prometheus::escape_label(key.first), key.second);
    by_origin += fmt::format("phalanx_nft_dropped_by_origin_packets_total{} {}\n", labels, v.first);
    by_origin_bytes +=
        fmt::format("phalanx_nft_dropped_by_origin_bytes_total{} {}\n", labels, v.second);
  }
  out += bytes;
  out += by_origin;
  out += by_origin_bytes;
  out +=
      "# HELP phalanx_nft_active_decisions Targets in force, by origin.\n"
      "# TYPE phalanx_nft_active_decisions gauge\n";
  for (const auto& [key, n] : active)
    out += fmt::format("phalanx_nft_active_decisions{{origin=\"{}\",ip_type=\"{}\"}} {}\n",
                       prometheus::escape_label(key.first), key.second, n);
  out += fmt::format(
      "# HELP phalanx_nft_processed_packets_total Packets our chain saw.\n"
      "# TYPE phalanx_nft_processed_packets_total counter\n"
      "phalanx_nft_processed_packets_total {}\n"
      "# HELP phalanx_nft_processed_bytes_total Bytes our chain saw.\n"
      "# TYPE phalanx_nft_processed_bytes_total counter\n"
      "phalanx_nft_processed_bytes_total {}\n"
      "# HELP phalanx_nft_transactions_total Netlink transactions committed.\n"
      "# TYPE phalanx_nft_transactions_total counter\n"
      "phalanx_nft_transactions_total {}\n"
      "# HELP phalanx_nft_elements_written_total Elements added or refreshed.\n"
      "# TYPE phalanx_nft_elements_written_total counter\n"
      "phalanx_nft_elements_written_total {}\n"
      "# HELP phalanx_nft_elements_deleted_total Elements deleted.\n"
      "# TYPE phalanx_nft_elements_deleted_total counter\n"
      "phalanx_nft_elements_deleted_total {}\n"
      "# HELP phalanx_nft_elements_rejected_total Elements the kernel refused (logged).\n"
      "# TYPE phalanx_nft_elements_rejected_total counter\n"
      "phalanx_nft_elements_rejected_total {}\n"
      "# HELP phalanx_nft_repairs_total Reloads after our table, chain or sets were deleted.\n"
      "# TYPE phalanx_nft_repairs_total counter\n"
      "phalanx_nft_repairs_total {}\n"
      "# HELP phalanx_nft_elements_restored_total Elements put back after others deleted them.\n"
      "# TYPE phalanx_nft_elements_restored_total counter\n"
      "phalanx_nft_elements_restored_total {}\n"
      "# HELP phalanx_nft_last_commit_seconds Duration of the last transaction.\n"
      "# TYPE phalanx_nft_last_commit_seconds gauge\n"
      "phalanx_nft_last_commit_seconds {}\n"
      "# HELP phalanx_nft_lapi_requests_total Decision stream requests.\n"
      "# TYPE phalanx_nft_lapi_requests_total counter\n"
      "phalanx_nft_lapi_requests_total {}\n"
      "# HELP phalanx_nft_lapi_failures_total Decision stream requests that failed.\n"
      "# TYPE phalanx_nft_lapi_failures_total counter\n"
      "phalanx_nft_lapi_failures_total {}\n",
      processed_p, processed_b, b.transactions, b.written, b.deleted, b.rejected, b.repairs,
      b.restored, b.last_commit_ms / 1000.0, stream.requests, stream.failures);
  if (drift.audited) {
    out += fmt::format(
        "# HELP phalanx_nft_drift_elements Kernel vs mirror mismatch found by the last audit.\n"
        "# TYPE phalanx_nft_drift_elements gauge\n"
        "phalanx_nft_drift_elements{{kind=\"missing\"}} {}\n"
        "phalanx_nft_drift_elements{{kind=\"extra\"}} {}\n",
        drift.missing, drift.extra);
  }
  return out;
}

}  // namespace phalanx::nft

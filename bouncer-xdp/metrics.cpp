// SPDX-License-Identifier: Apache-2.0
#include "bouncer-xdp/metrics.h"

#include <fmt/format.h>

#include "bouncer-xdp/origin.h"

namespace phalanx::xdp {
namespace {

const char* ip_type(uint32_t family) {
  return family == PHX_FAMILY_V4 ? "ipv4" : family == PHX_FAMILY_V6 ? "ipv6" : "other";
}

}  // namespace

std::string render_metrics(const Counters& counters, const BackendStats& backend, size_t active,
                           const bouncer::StreamStats& stream) {
  std::string out;
  out +=
      "# HELP phalanx_xdp_dropped_packets_total Packets dropped by the XDP blocklist.\n"
      "# TYPE phalanx_xdp_dropped_packets_total counter\n";
  std::string bytes =
      "# HELP phalanx_xdp_dropped_bytes_total Bytes dropped by the XDP blocklist.\n"
      "# TYPE phalanx_xdp_dropped_bytes_total counter\n";
  for (uint32_t o = 0; o < PHX_ORIGIN_COUNT; ++o) {
    for (uint32_t f = PHX_FAMILY_V4; f <= PHX_FAMILY_V6; ++f) {
      const phx_counter c = counters.at(o, f, PHX_VERDICT_DROP);
      if (c.packets == 0) continue;
      const std::string labels =
          fmt::format("{{origin=\"{}\",ip_type=\"{}\"}}", origin_name(o), ip_type(f));
      out += fmt::format("phalanx_xdp_dropped_packets_total{} {}\n", labels, c.packets);
      bytes += fmt::format("phalanx_xdp_dropped_bytes_total{} {}\n", labels, c.bytes);
    }
  }
  out += bytes;
  const phx_counter all = counters.total();
  out += fmt::format(
      "# HELP phalanx_xdp_processed_packets_total Packets the XDP program saw.\n"
      "# TYPE phalanx_xdp_processed_packets_total counter\n"
      "phalanx_xdp_processed_packets_total {}\n"
      "# HELP phalanx_xdp_processed_bytes_total Bytes the XDP program saw.\n"
      "# TYPE phalanx_xdp_processed_bytes_total counter\n"
      "phalanx_xdp_processed_bytes_total {}\n"
      "# HELP phalanx_xdp_active_decisions Ban entries in the maps.\n"
      "# TYPE phalanx_xdp_active_decisions gauge\n"
      "phalanx_xdp_active_decisions {}\n"
      "# HELP phalanx_xdp_entries_expired_total Entries removed by the expiry sweep.\n"
      "# TYPE phalanx_xdp_entries_expired_total counter\n"
      "phalanx_xdp_entries_expired_total {}\n"
      "# HELP phalanx_xdp_lapi_requests_total Decision stream requests.\n"
      "# TYPE phalanx_xdp_lapi_requests_total counter\n"
      "phalanx_xdp_lapi_requests_total {}\n"
      "# HELP phalanx_xdp_lapi_failures_total Decision stream requests that failed.\n"
      "# TYPE phalanx_xdp_lapi_failures_total counter\n"
      "phalanx_xdp_lapi_failures_total {}\n",
      all.packets, all.bytes, active, backend.expired, stream.requests, stream.failures);
  return out;
}

}  // namespace phalanx::xdp

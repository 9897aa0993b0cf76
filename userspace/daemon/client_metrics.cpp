// SPDX-License-Identifier: Apache-2.0
#include "daemon/client_metrics.h"

#include <fmt/format.h>

namespace phalanx::daemon {

std::string render_client_metrics(const agent::LapiClientStats& s) {
  std::string out;
  auto put = [&out](std::string_view name, std::string_view type, std::string_view help,
                    uint64_t value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
  };
  put("phalanx_agent_alerts_pushed_total", "counter", "Alerts the remote LAPI acknowledged.",
      s.alerts_pushed);
  put("phalanx_agent_push_failures_total", "counter", "POST /v1/alerts attempts that failed.",
      s.push_failures);
  put("phalanx_agent_alerts_queued", "gauge", "Alerts waiting in memory.", s.queued);
  put("phalanx_agent_alerts_spooled", "gauge", "Alerts waiting on disk.", s.spooled);
  put("phalanx_agent_alerts_dropped_total", "counter",
      "Alerts given up (spool or memory bound reached).", s.dropped);
  put("phalanx_agent_alerts_rejected_total", "counter", "Alerts the LAPI refused for good.",
      s.rejected);
  put("phalanx_agent_logged_in", "gauge", "1 while holding a token.", s.logged_in ? 1 : 0);
  return out;
}

std::string render_local_output_metrics(uint64_t stored, uint64_t failed, size_t queued) {
  return fmt::format(
      "# HELP phalanx_agent_alerts_pushed_total Alerts the agent stored through the local API.\n"
      "# TYPE phalanx_agent_alerts_pushed_total counter\n"
      "phalanx_agent_alerts_pushed_total {}\n"
      "# HELP phalanx_agent_push_failures_total Alerts the local API could not store.\n"
      "# TYPE phalanx_agent_push_failures_total counter\n"
      "phalanx_agent_push_failures_total {}\n"
      "# HELP phalanx_agent_alerts_queued Alerts waiting to be stored.\n"
      "# TYPE phalanx_agent_alerts_queued gauge\n"
      "phalanx_agent_alerts_queued {}\n",
      stored, failed, queued);
}

}  // namespace phalanx::daemon

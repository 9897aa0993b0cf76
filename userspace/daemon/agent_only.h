// SPDX-License-Identifier: Apache-2.0
// phalanxd as an agent only: the client that pushes its alerts to a remote LAPI, and the small
// listener that serves its /metrics (there is no LAPI in the process to serve them).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/lapi_client.h"
#include "core/result.h"
#include "daemon/config.h"
#include "lapi/http.h"

namespace phalanx::daemon {

// The client for agent.lapi: the credentials file, then the keys that override it; spool in
// <data_dir>/spool. Started. `scenarios` are sent at login; `usage` describes the agent for its
// usage metrics.
Result<std::unique_ptr<agent::LapiClient>> remote_client(
    const Config& config, std::vector<std::string> scenarios,
    std::function<agent::LogProcessorUsage()> usage);

// What `agent` runs, for its usage metrics: its data sources by type, its scenarios, parsers and
// postoverflows by name; only the OS and start time when `agent` is null (between reloads).
agent::LogProcessorUsage describe_usage(const agent::Agent* agent, int64_t startup_unix);

// GET /metrics (the text `render` gives) and /health; anything else 404/405.
class MetricsHandler final : public lapi::Handler {
 public:
  explicit MetricsHandler(std::function<std::string()> render) : render_(std::move(render)) {}
  lapi::Reply handle(lapi::Request& req) override;
  size_t body_limit(std::string_view) const override { return 0; }

 private:
  std::function<std::string()> render_;
};

}  // namespace phalanx::daemon

// SPDX-License-Identifier: Apache-2.0
// The agent half of phalanxd: detection content, the acquisition sources of acquis.yaml and
// acquis.d/, and the live pipeline between them. Alerts go to a callback: the LAPI in the same
// process, or the client of a remote one.
//
// Stopping is ordered so that nothing is lost: the sources stop first (each saves the position
// of the last line the pipeline took), then the pipeline processes every line it took and
// delivers their alerts.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "acquisition/source.h"
#include "agent/pipeline.h"
#include "cli/content.h"
#include "core/diagnostics.h"
#include "core/result.h"

namespace phalanx::agent {

struct AgentConfig {
  std::string acquis_file = "/etc/phalanx/acquis.yaml";
  std::string acquis_dir = "/etc/phalanx/acquis.d";
  cli::ContentOptions content;                 // config_dir empty and no hub: Phalanx's own content
  std::string state_dir = "/var/lib/phalanx";  // read positions, journald cursors
  PipelineOptions pipeline;
};

class Agent {
 public:
  // Loads content and acquisition. Problems that leave the agent able to run (a parser or an
  // acquisition item with an error, skipped) are added to `diag`; errors that do not
  // (unreadable content directory) are returned.
  static Result<std::unique_ptr<Agent>> create(const AgentConfig& config, AlertCallback on_alerts,
                                               Diagnostics& diag);
  ~Agent();

  // Starts the pipeline, then the sources. A source that cannot start (port in use, no
  // journal) is an error: the agent is then stopped.
  Result<void> start();
  void stop();  // idempotent

  // A new, unstarted agent with this one's content and acquisition as they were loaded, nothing
  // read again: brings a stopped agent back when its replacement cannot start.
  Result<std::unique_ptr<Agent>> again() const;

  // SIGHUP: the stopped agent's live buckets go to the next one, which keeps those of the
  // scenarios that did not change. Call on a stopped agent, and before the next one starts.
  void hand_buckets_to(Agent& next);

  // Prometheus text: acquisition, parsing, buckets, overflows, queues, latency.
  std::string render_metrics() const;
  const Pipeline& pipeline() const { return *pipeline_; }
  const std::vector<std::unique_ptr<acquisition::Source>>& sources() const { return sources_; }
  const cli::Content& content() const { return *content_; }

 private:
  Agent() = default;
  AgentConfig config_;
  std::shared_ptr<cli::Content> content_;  // shared with again()'s agent
  AlertCallback on_alerts_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<std::unique_ptr<acquisition::Source>> sources_;
  bool started_ = false;
};

}  // namespace phalanx::agent

// SPDX-License-Identifier: Apache-2.0
// What phalanxd's SIGHUP can change while it runs, and what takes a restart.
//
// On SIGHUP phalanxd reads its configuration file again (with the same command-line overrides)
// and applies, each only when it loads without error: the LAPI's profiles and allow list, the
// agent's content and acquisition (live buckets of unchanged scenarios carried over), and the
// log level. Listeners, the database, the state directory and which halves run stay as they
// started; a change to them is logged as needing a restart.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "core/result.h"
#include "daemon/config.h"
#include "lapi/lapi.h"

namespace phalanx::daemon {

// The profiles file `config` names (or the default) and its allow list, loaded.
// Errors: the profiles file's (with file and line), "allow_list: ...".
Result<lapi::AlertPolicy> load_alert_policy(const Config& config);

// The settings that differ between the running configuration and a reloaded one and that only
// a restart applies, by their configuration key ("lapi.listen", "db", ...).
std::vector<std::string> restart_only_changes(const Config& running, const Config& reloaded);

// The running agent, replaced as a whole on SIGHUP; /metrics reads it from server threads.
class AgentSlot {
 public:
  void set(std::shared_ptr<agent::Agent> a) {
    std::lock_guard lock(mu_);
    agent_ = std::move(a);
  }
  std::shared_ptr<agent::Agent> get() const {
    std::lock_guard lock(mu_);
    return agent_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<agent::Agent> agent_;
};

// The configuration file as read now, with the command line's overrides.
using ConfigLoader = std::function<Result<Config>()>;

// Replaces the agent in `slot` with one loaded from `agent_config`; false (logged) when that
// fails. A configuration that does not load leaves the running agent untouched; one that loads
// but cannot start (a source's port in use) brings the running content and acquisition back in
// a new agent that keeps the live buckets and resumes the sources where they stopped.
bool reload_agent(const agent::AgentConfig& agent_config, const agent::AlertCallback& on_alerts,
                  AgentSlot& slot);

// SIGHUP: reads the configuration through `load` and applies each part that loads without
// error (see above); `config` is updated with what was applied. `lapi` is null without a LAPI.
void reload(Config& config, const ConfigLoader& load, lapi::Lapi* lapi,
            const agent::AlertCallback& on_alerts, AgentSlot& slot);

}  // namespace phalanx::daemon

// SPDX-License-Identifier: Apache-2.0
#include "daemon/reload.h"

#include "core/log.h"
#include "daemon/check.h"
#include "profiles/profiles.h"

namespace phalanx::daemon {

Result<lapi::AlertPolicy> load_alert_policy(const Config& config) {
  const std::string path =
      config.profiles_path.empty() ? default_profiles_path() : config.profiles_path;
  PHALANX_TRY(auto profile_set, profiles::ProfileSet::load_file(path));
  auto allow = profiles::AllowList::make(config.allow_list, true);
  if (!allow) return allow.error().context("allow_list");
  return lapi::AlertPolicy{std::make_shared<profiles::ProfileSet>(std::move(profile_set)),
                           std::make_shared<profiles::AllowList>(std::move(*allow))};
}

std::vector<std::string> restart_only_changes(const Config& running, const Config& reloaded) {
  std::vector<std::string> out;
  const auto& a = running.server;
  const auto& b = reloaded.server;
  if (a.tcp != b.tcp || (a.tcp && (a.address != b.address || a.port != b.port)))
    out.emplace_back("lapi.listen");
  if (a.socket_path != b.socket_path || a.socket_mode != b.socket_mode)
    out.emplace_back("lapi.listen_socket");
  if (a.tls.has_value() != b.tls.has_value()) out.emplace_back("lapi.tls");
  if (running.db_url != reloaded.db_url) out.emplace_back("db");
  if (running.data_dir != reloaded.data_dir) out.emplace_back("data_dir");
  if (running.lapi_enabled != reloaded.lapi_enabled) out.emplace_back("lapi.enabled");
  if (running.agent.enabled != reloaded.agent.enabled) out.emplace_back("agent.enabled");
  // The agent's identity matters only where an agent runs.
  if (running.agent.enabled && reloaded.agent.enabled) {
    if (running.agent.machine_id != reloaded.agent.machine_id) out.emplace_back("agent.machine_id");
    const auto& ra = running.agent.remote;
    const auto& rb = reloaded.agent.remote;
    if (ra.credentials_file != rb.credentials_file || ra.url != rb.url || ra.login != rb.login ||
        ra.password != rb.password)
      out.emplace_back("agent.lapi");
  }
  return out;
}

bool reload_agent(const agent::AgentConfig& agent_config, const agent::AlertCallback& on_alerts,
                  AgentSlot& slot) {
  auto log = phalanx::log::get("phalanxd");
  // The new agent is loaded before the old one stops, so a broken file leaves the running
  // agent untouched. Sources resume from the positions the old ones saved.
  Diagnostics diag;
  auto fresh = agent::Agent::create(agent_config, on_alerts, diag);
  if (!fresh || diag.has_errors()) {
    log->error("reload refused, the running agent is kept: {}",
               fresh ? diag.items().front().to_string() : fresh.error().message());
    return false;
  }
  std::shared_ptr<agent::Agent> next = std::move(*fresh);
  const std::shared_ptr<agent::Agent> old = slot.get();
  if (old) {
    old->stop();
    old->hand_buckets_to(*next);
  }
  auto started = next->start();
  if (started) {
    slot.set(std::move(next));
    return true;
  }
  // A source of the new configuration could not start (a port in use, no journal). The old
  // agent has stopped and released its sources, so the same content and acquisition come back
  // in a new agent, with the live buckets, resuming where the stopped one saved.
  log->error("reload refused, the running configuration is restored: {}",
             started.error().message());
  if (!old) return false;
  auto restored = old->again();
  if (restored) {
    next->hand_buckets_to(**restored);
    if (auto r = (*restored)->start(); !r) restored = r.error();
  }
  if (!restored) {
    log->critical("reload: the running configuration no longer starts, no agent runs: {}",
                  restored.error().message());
    slot.set(nullptr);
    return false;
  }
  slot.set(std::move(*restored));
  return false;
}

void reload(Config& config, const ConfigLoader& load, lapi::Lapi* lapi,
            const agent::AlertCallback& on_alerts, AgentSlot& slot) {
  auto log = phalanx::log::get("phalanxd");
  auto fresh = load();
  if (!fresh) {
    log->error("reload refused, nothing changed: {}", fresh.error().message());
    return;
  }
  // As at start: an agent without a machine id goes by the host's.
  if (fresh->agent.enabled && fresh->agent.machine_id.empty())
    fresh->agent.machine_id = default_machine_id();
  for (const auto& key : restart_only_changes(config, *fresh))
    log->warn("reload: {} changed; that takes a restart", key);
  bool complete = true;
  if (fresh->log_level != config.log_level && phalanx::log::set_level(fresh->log_level))
    config.log_level = fresh->log_level;
  if (lapi) {
    auto policy = load_alert_policy(*fresh);
    if (!policy) {
      log->error("reload refused for the profiles and allow list, the running ones are kept: {}",
                 policy.error().message());
      complete = false;
    } else {
      log->info("reload: {} profiles, {} allow list entries", policy->profiles->size(),
                fresh->allow_list.size());
      lapi->replace_policy(std::move(*policy));
      config.profiles_path = fresh->profiles_path;
      config.allow_list = fresh->allow_list;
    }
  }
  if (config.agent.enabled) {
    log->info("reload: the agent's content and acquisition");
    if (reload_agent(fresh->agent.agent, on_alerts, slot)) {
      config.agent.agent = fresh->agent.agent;
    } else {
      complete = false;
    }
  }
  if (complete) log->info("reload done");
}

}  // namespace phalanx::daemon

// SPDX-License-Identifier: Apache-2.0
#include "daemon/reload.h"

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

}  // namespace phalanx::daemon

// SPDX-License-Identifier: Apache-2.0
#include "daemon/agent_only.h"

#include <sys/utsname.h>

#include <set>

#include "agent/credentials.h"

namespace phalanx::daemon {

Result<std::unique_ptr<agent::LapiClient>> remote_client(
    const Config& config, std::vector<std::string> scenarios,
    std::function<agent::LogProcessorUsage()> usage) {
  const RemoteLapi& r = config.agent.remote;
  agent::LapiClientOptions o;
  if (!r.credentials_file.empty()) {
    PHALANX_TRY(auto creds, agent::load_credentials(r.credentials_file));
    agent::use_credentials(o, creds);
  }
  if (!r.url.empty()) o.url = r.url;
  if (!r.login.empty()) o.machine_id = r.login;
  if (!r.password.empty()) o.password = r.password;
  if (!r.ca_file.empty()) o.ca_file = r.ca_file;
  if (!r.cert_file.empty()) o.cert_file = r.cert_file;
  if (!r.key_file.empty()) o.key_file = r.key_file;
  o.insecure_skip_verify = o.insecure_skip_verify || r.insecure_skip_verify;
  o.scenarios = std::move(scenarios);
  o.usage = std::move(usage);
  o.spool_dir = config.data_dir + "/spool";
  PHALANX_TRY(auto client, agent::LapiClient::create(std::move(o)));
  PHALANX_CHECK(client->start());
  return client;
}

agent::LogProcessorUsage describe_usage(const agent::Agent* a, int64_t startup_unix) {
  agent::LogProcessorUsage u;
  struct utsname un {};
  if (uname(&un) == 0) u.os_version = un.release;
  u.startup_unix = startup_unix;
  if (a == nullptr) return u;
  for (const auto& source : a->sources())
    ++u.datasources[source->config().source];
  const cli::Content& c = a->content();
  auto& scenarios = u.hub_items["scenarios"];
  for (const auto& sc : c.scenarios->scenarios())
    scenarios.push_back({sc.name(), sc.config.version});
  const auto parsers = [&](const parser::Pipeline* p, const char* type) {
    if (p == nullptr) return;
    std::set<std::string> names;  // a parser's nodes share its name
    for (const auto& node : p->counted_nodes())
      if (!node.name.empty() && names.insert(node.name).second)
        u.hub_items[type].push_back({node.name, ""});
  };
  parsers(c.pipeline.get(), "parsers");
  parsers(c.postoverflows.get(), "postoverflows");
  return u;
}

lapi::Reply MetricsHandler::handle(lapi::Request& req) {
  lapi::Reply r;
  if (req.method != "GET" && req.method != "HEAD") {
    r.response.status = 405;
    r.response.content_type.clear();
  } else if (req.path == "/metrics") {
    r.response.body = render_();
    r.response.content_type = "text/plain; version=0.0.4";
  } else if (req.path == "/health") {
    r.response.body = R"({"status":"up"})";
  } else {
    r.response.status = 404;
    r.response.content_type.clear();
  }
  return r;
}

}  // namespace phalanx::daemon

// SPDX-License-Identifier: Apache-2.0
#include "daemon/agent_only.h"

#include "agent/credentials.h"

namespace phalanx::daemon {

Result<std::unique_ptr<agent::LapiClient>> remote_client(const Config& config,
                                                         std::vector<std::string> scenarios) {
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
  o.spool_dir = config.data_dir + "/spool";
  PHALANX_TRY(auto client, agent::LapiClient::create(std::move(o)));
  PHALANX_CHECK(client->start());
  return client;
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

// SPDX-License-Identifier: Apache-2.0
#include "cli/lapi_cmd.h"

#include <fmt/format.h>

#include <iostream>

#include "agent/credentials.h"
#include "agent/lapi_client.h"
#include "cli/output.h"

namespace phalanx::cli {

void setup_lapi(CLI::App& app, LapiOptions& o) {
  auto* lapi = app.add_subcommand("lapi", "Work with a remote Local API from an agent-only host");
  lapi->require_subcommand(1);
  o.register_cmd = lapi->add_subcommand(
      "register", "Register this host as a machine at a LAPI and write the credentials file");
  o.register_cmd
      ->add_option("-u,--url", o.url,
                   "LAPI URL (http://, https://, or the path of its Unix socket)")
      ->required();
  o.register_cmd->add_option("--machine", o.machine_id,
                             "Machine id (default: from /etc/machine-id plus random)");
  o.register_cmd->add_option("--password", o.password, "Password (default: 64 random characters)");
  o.register_cmd->add_option("--token", o.token, "Registration token (validated at once)");
  o.register_cmd->add_option("-f,--file", o.file, "Credentials file to write")
      ->capture_default_str();
  o.register_cmd->add_option("--ca", o.ca_file, "CA of the LAPI's certificate");
  o.register_cmd->add_flag("--insecure", o.insecure, "Do not verify the LAPI's certificate");
}

std::optional<int> run_lapi(const LapiOptions& o) {
  if (o.register_cmd == nullptr || !o.register_cmd->parsed()) return std::nullopt;
  agent::LapiClientOptions client;
  client.url = o.url;
  client.ca_file = o.ca_file;
  client.insecure_skip_verify = o.insecure;
  if (o.machine_id.empty()) {
    auto id = agent::generate_machine_id();
    if (!id) return fail("lapi register: " + id.error().message());
    client.machine_id = *id;
  } else {
    client.machine_id = o.machine_id;
  }
  if (o.password.empty()) {
    auto pw = agent::generate_password();
    if (!pw) return fail("lapi register: " + pw.error().message());
    client.password = *pw;
  } else {
    client.password = o.password;
  }
  auto validated = agent::register_machine(client, o.token);
  if (!validated) return fail("lapi register: " + validated.error().message());
  agent::Credentials creds;
  creds.url = o.url;
  creds.login = client.machine_id;
  creds.password = client.password;
  creds.ca_cert_path = o.ca_file;
  if (auto saved = agent::save_credentials(o.file, creds); !saved)
    return fail("lapi register: " + saved.error().message());
  std::cout << fmt::format("registered as {} at {}; credentials in {}\n", client.machine_id, o.url,
                           o.file);
  if (*validated) {
    std::cout << "the LAPI validated the machine (registration token)\n";
  } else {
    std::cout << fmt::format("on the LAPI host: phalanx machines validate {}\n", client.machine_id);
  }
  return kExitOk;
}

}  // namespace phalanx::cli

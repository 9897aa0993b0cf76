// SPDX-License-Identifier: Apache-2.0
// `phalanx lapi register`: an agent-only host registers itself as a machine at a Local API
// (Phalanx's or CrowdSec's) and writes the credentials file phalanxd reads (agent.lapi.
// credentials). The machine then waits for `phalanx machines validate` (or `cscli machines
// validate`) on the LAPI host, unless a registration token validated it at once.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace phalanx::cli {

struct LapiOptions {
  CLI::App* register_cmd = nullptr;
  std::string url;
  std::string machine_id;  // empty: generated as CrowdSec does
  std::string password;    // empty: generated
  std::string token;       // registration token (auto-validation)
  std::string file = "/etc/phalanx/local_api_credentials.yaml";
  std::string ca_file;
  bool insecure = false;
};

void setup_lapi(CLI::App& app, LapiOptions& options);
// nullopt when no `lapi` subcommand was given.
std::optional<int> run_lapi(const LapiOptions& options);

}  // namespace phalanx::cli

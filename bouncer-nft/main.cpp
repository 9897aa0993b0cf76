// SPDX-License-Identifier: Apache-2.0
// phalanx-nft: the nftables bouncer. Flags only; the steps are in daemon.cpp.
#include <CLI/CLI.hpp>
#include <iostream>

#include "bouncer-nft/config.h"
#include "bouncer-nft/daemon.h"
#include "core/log.h"

int main(int argc, char** argv) {
  CLI::App app{"phalanx-nft: drop packets from banned sources with nftables sets, fed by a LAPI"};
  std::string config_path = "/etc/phalanx/phalanx-nft.yaml";
  std::string log_level;
  app.add_option("-c,--config", config_path, "Configuration file");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (overrides the file)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto config = phalanx::nft::load_config(config_path);
  if (!config) {
    std::cerr << "phalanx-nft: " << config.error().message() << "\n";
    return 1;
  }
  const std::string level = log_level.empty() ? config->log_level : log_level;
  if (!phalanx::log::set_level(level)) {
    std::cerr << "phalanx-nft: unknown log level '" << level << "'\n";
    return 2;
  }
  return phalanx::nft::run_daemon(*config);
}

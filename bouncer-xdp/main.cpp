// SPDX-License-Identifier: Apache-2.0
// phalanx-xdp: the XDP bouncer. Flags only; the steps are in daemon.cpp.
#include <CLI/CLI.hpp>
#include <iostream>

#include "bouncer-xdp/config.h"
#include "bouncer-xdp/daemon.h"
#include "core/log.h"

int main(int argc, char** argv) {
  CLI::App app{"phalanx-xdp: drop packets from banned sources at the NIC, fed by a LAPI"};
  std::string config_path = "/etc/phalanx/phalanx-xdp.yaml";
  bool detach = false;
  std::string log_level;
  app.add_option("-c,--config", config_path, "Configuration file");
  app.add_flag("--detach", detach,
               "Detach from the configured interfaces, unpin the maps and exit");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (overrides the file)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto config = phalanx::xdp::load_config(config_path);
  if (!config) {
    std::cerr << "phalanx-xdp: " << config.error().message() << "\n";
    return 1;
  }
  const std::string level = log_level.empty() ? config->log_level : log_level;
  if (!phalanx::log::set_level(level)) {
    std::cerr << "phalanx-xdp: unknown log level '" << level << "'\n";
    return 2;
  }
  return detach ? phalanx::xdp::run_detach(*config) : phalanx::xdp::run_daemon(*config);
}

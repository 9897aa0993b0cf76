// SPDX-License-Identifier: Apache-2.0
// `phalanx xdp status|list|lookup|stats|allow add|allow del`: reads and changes the XDP
// bouncer's pinned maps directly, so it works whether or not phalanx-xdp is running.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace phalanx::cli {

struct XdpOptions {
  std::string pin_dir = "/sys/fs/bpf/phalanx";
  std::string output = "human";  // human or json
  std::string address;           // lookup
  std::string cidr;              // allow add/del
  std::string duration;          // allow add: empty = never expires
  CLI::App* status = nullptr;
  CLI::App* list = nullptr;
  CLI::App* lookup = nullptr;
  CLI::App* stats = nullptr;
  CLI::App* allow_add = nullptr;
  CLI::App* allow_del = nullptr;
};

// Adds the `xdp` noun and its verbs to app, binding flags into opts.
CLI::App* setup_xdp(CLI::App& app, XdpOptions& opts);

// Runs the parsed verb; returns the exit code (0 ok, 1 failure, 2 usage).
int run_xdp(const XdpOptions& opts);

}  // namespace phalanx::cli

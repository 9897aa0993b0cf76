// SPDX-License-Identifier: Apache-2.0
// `phalanx nft status|list|lookup|stats|audit`: reads phalanx-nft's table straight from the
// kernel (netlink), so it works whether or not phalanx-nft is running. `audit` asks the running
// daemon (its metrics listener) to compare the kernel with its mirror of the decisions.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace phalanx::cli {

struct NftOptions {
  std::string family = "inet";
  std::string table = "phalanx";
  std::string set_prefix;
  std::string output = "human";                // human or json
  std::string address;                         // lookup
  std::string url = "http://127.0.0.1:60602";  // audit: the daemon's listener
  CLI::App* status = nullptr;
  CLI::App* list = nullptr;
  CLI::App* lookup = nullptr;
  CLI::App* stats = nullptr;
  CLI::App* audit = nullptr;
};

// Adds the `nft` noun and its verbs to app, binding flags into opts.
CLI::App* setup_nft(CLI::App& app, NftOptions& opts);

// Runs the parsed verb; returns the exit code (0 ok, 1 failure, 2 usage).
int run_nft(const NftOptions& opts);

}  // namespace phalanx::cli

// SPDX-License-Identifier: Apache-2.0
// phalanx: the admin CLI, `phalanx <noun> <verb>` as cscli users know it. This file only binds
// flags to option structs; each command lives in its own file of the phalanx_cli library.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/admin.h"
#include "cli/explain.h"
#include "cli/hubtest_cmd.h"
#include "cli/lapi_cmd.h"
#include "cli/lint.h"
#include "cli/output.h"
#include "cli/replay.h"
#ifdef PHALANX_WITH_XDP
#include "cli/xdp_cmd.h"
#endif
#ifdef PHALANX_WITH_NFT
#include "cli/nft_cmd.h"
#endif
#include "core/log.h"

namespace {

using phalanx::cli::ContentOptions;

std::string default_hub_dir() {
  const char* env = std::getenv("PHALANX_HUB_DIR");
  return env != nullptr && *env != '\0' ? env : "";
}

void add_content_flags(CLI::App* cmd, ContentOptions& c, std::optional<int>& year) {
  cmd->add_option("--hub", c.hub_dir, "Load content from a hub directory (CrowdSec hub layout)");
  cmd->add_option("--config", c.config_dir,
                  "Load content from a config directory (parsers/, patterns/, data/)");
  cmd->add_option("--collection", c.collections, "Hub collections to load (with --hub)");
  cmd->add_option("--year", year, "Year for year-less timestamps (default: the current year)");
  cmd->add_option("--geoip-city", c.geoip_city_path, "GeoLite2-City database");
  cmd->add_option("--geoip-asn", c.geoip_asn_path, "GeoLite2-ASN database");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"phalanx: run detection content and manage the Local API's data"};
  app.require_subcommand(1);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off");

  phalanx::cli::ExplainOptions explain;
  std::optional<int> explain_year;
  std::string explain_output = "human";
  auto* explain_cmd =
      app.add_subcommand("explain", "Show how each parser stage and node handled log lines");
  explain_cmd->add_option("--type", explain.type, "Log type (labels.type), e.g. syslog, nginx")
      ->required();
  explain_cmd->add_option("--line", explain.line, "One log line");
  explain_cmd->add_option("--file", explain.file, "A log file");
  explain_cmd->add_option("-o,--output", explain_output, "human or json")
      ->check(CLI::IsMember({"human", "json"}));
  add_content_flags(explain_cmd, explain.content, explain_year);

  phalanx::cli::ReplayOptions replay;
  std::optional<int> replay_year;
  std::string replay_output = "human";
  auto* replay_cmd =
      app.add_subcommand("replay", "Replay a log file through the parsers and scenarios");
  replay_cmd->add_option("--file", replay.file, "The log file")->required();
  replay_cmd->add_option("--type", replay.type, "Log type (labels.type)")->required();
  replay_cmd->add_option("-o,--output", replay_output, "human (alert table) or json (alert lines)")
      ->check(CLI::IsMember({"human", "json"}));
  replay_cmd->add_option("--workers", replay.workers, "Parser threads (0: one per core)");
  replay_cmd
      ->add_option("--shards", replay.shards,
                   "Scenario threads, each owning some scenarios' buckets (0: one per core); the "
                   "alerts are the same for any count")
      ->check(CLI::Range(0, 256));
  replay_cmd->add_option("--max-buckets", replay.max_buckets,
                         "Evict the least recently fed buckets above this many (0: no cap)");
  add_content_flags(replay_cmd, replay.content, replay_year);

  phalanx::cli::LintOptions lint;
  std::optional<int> lint_year;
  auto* scenarios_cmd = app.add_subcommand("scenarios", "Work with scenarios");
  scenarios_cmd->require_subcommand(1);
  auto* lint_cmd = scenarios_cmd->add_subcommand(
      "lint", "Load scenarios (or, without paths, all content) and print every problem");
  lint_cmd->add_option("paths", lint.paths, "Scenario files or directories");
  add_content_flags(lint_cmd, lint.content, lint_year);

  phalanx::cli::HubtestOptions hubtest;
  hubtest.hub_dir = default_hub_dir();
  std::string hubtest_output = "human";
  auto* hubtest_cmd = app.add_subcommand("hubtest", "Run hub test directories");
  hubtest_cmd->require_subcommand(1);
  auto* hubtest_run = hubtest_cmd->add_subcommand("run", "Run tests and check their assertions");
  hubtest_run->add_option("--hub", hubtest.hub_dir, "Hub directory (default: $PHALANX_HUB_DIR)");
  hubtest_run->add_option("names", hubtest.names, "Test names");
  hubtest_run->add_flag("--all", hubtest.all, "Run every test");
  hubtest_run->add_flag("-v,--verbose", hubtest.verbose, "Print every failing assertion");
  hubtest_run->add_option("--year", hubtest.year, "Year for year-less timestamps");
  hubtest_run->add_option("--geoip-city", hubtest.geoip_city_path, "GeoLite2-City database");
  hubtest_run->add_option("--geoip-asn", hubtest.geoip_asn_path, "GeoLite2-ASN database");
  hubtest_run->add_option("-o,--output", hubtest_output, "human or json")
      ->check(CLI::IsMember({"human", "json"}));

  phalanx::cli::AdminOptions admin;
  phalanx::cli::setup_admin(app, admin);
  phalanx::cli::LapiOptions lapi;
  phalanx::cli::setup_lapi(app, lapi);

#ifdef PHALANX_WITH_XDP
  phalanx::cli::XdpOptions xdp;
  auto* xdp_cmd = phalanx::cli::setup_xdp(app, xdp);
#endif
#ifdef PHALANX_WITH_NFT
  phalanx::cli::NftOptions nft;
  auto* nft_cmd = phalanx::cli::setup_nft(app, nft);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : phalanx::cli::kExitUsage;
  }
  if (!phalanx::log::set_level(log_level)) {
    return phalanx::cli::usage_error("unknown log level '" + log_level + "'");
  }
  const bool verbose_load = log_level == "info" || log_level == "debug" || log_level == "trace";
  explain.content.show_warnings = verbose_load;
  replay.content.show_warnings = verbose_load;
#ifdef PHALANX_WITH_XDP
  if (xdp_cmd->parsed()) return phalanx::cli::run_xdp(xdp);
#endif
#ifdef PHALANX_WITH_NFT
  if (nft_cmd->parsed()) return phalanx::cli::run_nft(nft);
#endif
  if (auto rc = phalanx::cli::run_admin(admin)) return *rc;
  if (auto rc = phalanx::cli::run_lapi(lapi)) return *rc;
  if (explain_cmd->parsed()) {
    explain.json = explain_output == "json";
    explain.content.year = explain_year;
    return phalanx::cli::run_explain(explain);
  }
  if (replay_cmd->parsed()) {
    replay.json = replay_output == "json";
    replay.content.year = replay_year;
    return phalanx::cli::run_replay(replay);
  }
  if (lint_cmd->parsed()) {
    lint.content.year = lint_year;
    return phalanx::cli::run_lint(lint);
  }
  if (hubtest_run->parsed()) {
    if (hubtest.hub_dir.empty()) {
      return phalanx::cli::usage_error("hubtest: give --hub or set PHALANX_HUB_DIR");
    }
    hubtest.json = hubtest_output == "json";
    return phalanx::cli::run_hubtest(hubtest);
  }
  return phalanx::cli::kExitUsage;
}

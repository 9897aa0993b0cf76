// SPDX-License-Identifier: Apache-2.0
// phalanxd: the agent (acquisition → parsers → scenarios) and the Local API in one process,
// either half switchable (--no-agent: LAPI only; --no-api: agent only, pushing to a remote
// LAPI). Signals are taken by the main thread: SIGTERM/SIGINT drain and stop, SIGHUP reloads
// what can change while running (daemon/reload.h).
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "agent/agent.h"
#include "agent/lapi_client.h"
#include "core/log.h"
#include "daemon/agent_only.h"
#include "daemon/check.h"
#include "daemon/client_metrics.h"
#include "daemon/config.h"
#include "daemon/local_output.h"
#include "daemon/reload.h"
#include "lapi/alert_json.h"
#include "lapi/lapi.h"
#include "lapi/server.h"
#include "profiles/profiles.h"
#include "storage/store.h"

namespace {

using namespace phalanx;

// The directory of a sqlite:// database, created when missing.
void ensure_sqlite_dir(const std::string& url) {
  std::string path = url;
  if (path.rfind("postgres", 0) == 0) return;
  if (path.rfind("sqlite://", 0) == 0) path = path.substr(9);
  const auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
}

// Loads an agent (not started); problems that leave it able to run are logged.
Result<std::shared_ptr<agent::Agent>> load_agent(const daemon::Config& config,
                                                 agent::AlertCallback on_alerts) {
  auto log = phalanx::log::get("phalanxd");
  Diagnostics diag;
  auto created = agent::Agent::create(config.agent.agent, std::move(on_alerts), diag);
  for (const auto& d : diag.items()) {
    if (d.severity == Diagnostic::Severity::kError) {
      log->error("{}", d.to_string());
    } else {
      log->warn("{}", d.to_string());
    }
  }
  if (!created) return created.error();
  return std::shared_ptr<agent::Agent>(std::move(*created));
}

int run(daemon::Config config, const daemon::ConfigLoader& load_config) {
  auto log = phalanx::log::get("phalanxd");
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<lapi::Lapi> lapi;
  std::unique_ptr<lapi::Server> server;
  daemon::AgentSlot slot;
  std::unique_ptr<daemon::LocalOutput> local_output;

  if (config.lapi_enabled) {
    ensure_sqlite_dir(config.db_url);
    auto opened = storage::open_store(config.db_url);
    if (!opened) {
      log->error("{}", opened.error().message());
      return 1;
    }
    store = std::move(*opened);
    auto policy = daemon::load_alert_policy(config);
    if (!policy) {
      log->error("{}", policy.error().message());
      return 1;
    }
    log->info(
        "{} profiles from {}", policy->profiles->size(),
        config.profiles_path.empty() ? daemon::default_profiles_path() : config.profiles_path);
    auto created = lapi::Lapi::create(*store, config.lapi);
    if (!created) {
      log->error("{}", created.error().message());
      return 1;
    }
    lapi = std::move(*created);
    lapi->replace_policy(std::move(*policy));
    if (config.agent.enabled) {
      lapi->set_extra_metrics([&slot, &local_output] {
        auto a = slot.get();
        std::string text = a ? a->render_metrics() : std::string();
        if (local_output)
          text += daemon::render_local_output_metrics(
              local_output->written(), local_output->failed(), local_output->queued());
        return text;
      });
    }
    lapi->start_watching();
    auto started = lapi::Server::start(config.server, *lapi);
    if (!started) {
      log->error("{}", started.error().message());
      return 1;
    }
    server = std::move(*started);
    lapi->set_connection_counter([s = server.get()] { return s->connections(); });
    // One line on stdout, so that scripts and tests using port 0 learn the port:
    // "ADDR:PORT[ (tls)][, unix:PATH]", or "unix:PATH" alone.
    std::string where;
    if (config.server.tcp)
      where = config.server.address + ":" + std::to_string(server->port()) +
              (config.server.tls ? " (tls)" : "");
    if (!config.server.socket_path.empty())
      where += (where.empty() ? "unix:" : ", unix:") + config.server.socket_path;
    std::printf("phalanxd: listening on %s\n", where.c_str());
    std::fflush(stdout);
    log->info("local api listening on {}", where);
  }

  std::unique_ptr<agent::LapiClient> remote;
  std::unique_ptr<daemon::MetricsHandler> metrics_handler;
  std::unique_ptr<lapi::Server> metrics_server;
  agent::AlertCallback on_alerts;
  if (config.agent.enabled) {
    if (config.agent.machine_id.empty()) config.agent.machine_id = daemon::default_machine_id();
    if (config.lapi_enabled && !config.agent.remote.configured()) {
      if (auto r = daemon::ensure_local_machine(*store, config.agent.machine_id); !r) {
        log->error("local machine {}: {}", config.agent.machine_id, r.error().message());
        return 1;
      }
      local_output = std::make_unique<daemon::LocalOutput>(*lapi, config.agent.machine_id);
      on_alerts = [out = local_output.get()](std::vector<parser::Alert>&& a) {
        out->submit(std::move(a));
      };
    } else {
      // Alerts only flow once the agent starts, after the client below exists.
      on_alerts = [&remote](std::vector<parser::Alert>&& alerts) {
        std::vector<std::string> bodies;
        bodies.reserve(alerts.size());
        for (const auto& a : alerts)
          bodies.push_back(lapi::alert_json(a));
        remote->submit(std::move(bodies));
      };
    }
    auto loaded = load_agent(config, on_alerts);
    if (!loaded) {
      log->error("agent: {}", loaded.error().message());
      return 1;
    }
    std::shared_ptr<agent::Agent> started = std::move(*loaded);
    if (!local_output) {
      // The scenarios the agent runs are sent at login; the remote LAPI records them.
      std::vector<std::string> names;
      for (const auto& sc : started->content().scenarios->scenarios())
        names.push_back(sc.name());
      const int64_t startup = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
      auto client = daemon::remote_client(config, std::move(names), [&slot, startup] {
        return daemon::describe_usage(slot.get().get(), startup);
      });
      if (!client) {
        log->error("agent: {}", client.error().message());
        return 1;
      }
      remote = std::move(*client);
      log->info("agent: alerts go to the remote LAPI (spool in {}/spool)", config.data_dir);
    }
    if (auto r = started->start(); !r) {
      log->error("agent: {}", r.error().message());
      return 1;
    }
    slot.set(std::move(started));
    if (!config.lapi_enabled && config.agent.metrics) {
      metrics_handler = std::make_unique<daemon::MetricsHandler>([&slot, &remote] {
        auto a = slot.get();
        std::string text = a ? a->render_metrics() : std::string();
        if (remote) text += daemon::render_client_metrics(remote->stats());
        return text;
      });
      auto m = lapi::Server::start(*config.agent.metrics, *metrics_handler);
      if (!m) {
        log->error("metrics: {}", m.error().message());
        return 1;
      }
      metrics_server = std::move(*m);
      std::printf("phalanxd: metrics on %s:%u\n", config.agent.metrics->address.c_str(),
                  static_cast<unsigned>(metrics_server->port()));
    }
    std::printf("phalanxd: agent running as %s\n", config.agent.machine_id.c_str());
    std::fflush(stdout);
  }

  // Under systemd (Type=notify), units ordered after phalanxd start once the LAPI listens.
  sd_notify(0, "READY=1");
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  const timespec every{static_cast<time_t>(config.flush_interval.count()), 0};
  while (true) {
    const int sig = sigtimedwait(&set, nullptr, &every);
    if (sig == SIGTERM || sig == SIGINT) {
      log->info("signal {}: shutting down", sig);
      sd_notify(0, "STOPPING=1");
      break;
    }
    if (sig == SIGHUP) {
      sd_notify(0, "RELOADING=1");
      daemon::reload(config, load_config, lapi.get(), on_alerts, slot);
      sd_notify(0, "READY=1");
      continue;
    }
    if (sig < 0 && errno == EAGAIN && lapi) {
      if (auto stats = lapi->flush(); !stats) {
        log->warn("flush: {}", stats.error().message());
      } else if (stats->alerts_removed + stats->decisions_removed > 0) {
        log->info("flush: {} alerts, {} decisions removed", stats->alerts_removed,
                  stats->decisions_removed);
      }
    }
  }
  // Drain in order: sources stop and save positions, the pipeline finishes the lines it took,
  // their alerts are stored; then the LAPI stops (watcher first: its wake-ups post to
  // connections, which need a live server).
  if (auto a = slot.get()) a->stop();
  slot.set(nullptr);
  if (local_output) local_output->stop();
  if (remote) remote->stop();  // a last push, then the rest is spooled for the next run
  if (metrics_server) metrics_server->stop();
  if (lapi) lapi->stop_watching();
  if (server) server->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Signals are taken synchronously by the main thread (sigtimedwait); block them before any
  // thread starts so that none of the other threads receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"phalanxd: the Phalanx daemon (agent and Local API)"};
  std::string config_path, listen, db_url, log_level, acquis, data_dir;
  bool check = false, no_api = false, no_agent = false;
  app.add_option("-c,--config", config_path, "config file (YAML)");
  app.add_option("--listen", listen, "LAPI address:port, overrides the config");
  app.add_option("--db", db_url, "database URL, overrides the config");
  app.add_option("--acquis", acquis, "acquisition file, overrides the config");
  app.add_option("--data-dir", data_dir, "state directory, overrides the config");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  app.add_flag("--no-api", no_api, "agent only (needs agent.lapi in the config)");
  app.add_flag("--no-agent", no_agent, "Local API only");
  app.add_flag("--check", check, "validate the configuration and everything it names, then exit");
  CLI11_PARSE(app, argc, argv);

  if (config_path.empty() && std::filesystem::exists(daemon::default_config_path()))
    config_path = daemon::default_config_path();
  // The file with the command line's overrides; SIGHUP reads it again the same way.
  const daemon::ConfigLoader load = [=]() -> Result<daemon::Config> {
    PHALANX_TRY(auto c, daemon::load_config(config_path));
    if (!listen.empty()) {
      PHALANX_TRY(auto over,
                  daemon::parse_config("lapi: {listen: \"" + listen + "\"}\n", "--listen"));
      c.server.address = over.server.address;
      c.server.port = over.server.port;
      c.server.tcp = true;
    }
    if (!db_url.empty()) c.db_url = db_url;
    if (!log_level.empty()) c.log_level = log_level;
    if (!acquis.empty()) {
      c.agent.agent.acquis_file = acquis;
      c.agent.agent.acquis_dir.clear();
    }
    if (!data_dir.empty()) {
      c.data_dir = data_dir;
      c.agent.agent.state_dir = data_dir;
    }
    if (no_api) c.lapi_enabled = false;
    if (no_agent) c.agent.enabled = false;
    return c;
  };
  auto config = load();
  if (!config) {
    std::fprintf(stderr, "phalanxd: %s\n", config.error().message().c_str());
    return 1;
  }
  if (!config->lapi_enabled && !config->agent.enabled) {
    std::fprintf(stderr, "phalanxd: --no-api and --no-agent leave nothing to run\n");
    return 2;
  }
  if (!config->lapi_enabled && config->agent.enabled && !config->agent.remote.configured()) {
    std::fprintf(stderr, "phalanxd: agent only needs agent.lapi (a remote LAPI) in the config\n");
    return 2;
  }
  if (!phalanx::log::set_level(config->log_level)) {
    std::fprintf(stderr, "phalanxd: unknown log level '%s'\n", config->log_level.c_str());
    return 2;
  }
  if (check) return daemon::run_check(*config, config_path);
  return run(std::move(*config), load);
}

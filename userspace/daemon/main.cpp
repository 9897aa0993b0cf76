// SPDX-License-Identifier: Apache-2.0
// phalanxd: for now the Local API alone (LAPI-only mode). Reads its config, opens the store,
// loads the profiles, serves until SIGTERM/SIGINT, and runs the flush policy periodically.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "core/log.h"
#include "daemon/config.h"
#include "lapi/lapi.h"
#include "lapi/server.h"
#include "storage/store.h"
#ifdef PHALANX_DAEMON_PROFILES
#include "profiles/profiles.h"
#endif

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

int run(daemon::Config config) {
  auto log = phalanx::log::get("phalanxd");
  ensure_sqlite_dir(config.db_url);
  auto store = storage::open_store(config.db_url);
  if (!store) {
    log->error("{}", store.error().message());
    return 1;
  }
#ifdef PHALANX_DAEMON_PROFILES
  const std::string profiles_path =
      config.profiles_path.empty() ? daemon::default_profiles_path() : config.profiles_path;
  auto profiles = profiles::ProfileSet::load_file(profiles_path);
  if (!profiles) {
    log->error("{}", profiles.error().message());
    return 1;
  }
  auto allow = profiles::AllowList::make(config.allow_list, true);
  if (!allow) {
    log->error("allow_list: {}", allow.error().message());
    return 1;
  }
  log->info("{} profiles from {}", profiles->size(), profiles_path);
  config.lapi.profiles = &*profiles;
  config.lapi.allow_list = &*allow;
#else
  log->warn("profiles are not part of this build: alerts keep only the decisions they carry");
#endif
  auto lapi = lapi::Lapi::create(**store, config.lapi);
  if (!lapi) {
    log->error("{}", lapi.error().message());
    return 1;
  }
  (*lapi)->start_watching();
  auto server = lapi::Server::start(config.server, **lapi);
  if (!server) {
    log->error("{}", server.error().message());
    return 1;
  }
  (*lapi)->set_connection_counter([s = server->get()] { return s->connections(); });
  // One line on stdout, so that scripts and tests using port 0 learn the port.
  std::printf("phalanxd: listening on %s:%u%s\n", config.server.address.c_str(),
              static_cast<unsigned>((*server)->port()), config.server.tls ? " (tls)" : "");
  std::fflush(stdout);
  log->info("local api listening on {}:{}", config.server.address, (*server)->port());

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  const timespec every{static_cast<time_t>(config.flush_interval.count()), 0};
  while (true) {
    const int sig = sigtimedwait(&set, nullptr, &every);
    if (sig == SIGTERM || sig == SIGINT) {
      log->info("signal {}: shutting down", sig);
      break;
    }
    if (sig < 0 && errno == EAGAIN) {
      if (auto stats = (*lapi)->flush(); !stats) {
        log->warn("flush: {}", stats.error().message());
      } else if (stats->alerts_removed + stats->decisions_removed > 0) {
        log->info("flush: {} alerts, {} decisions removed", stats->alerts_removed,
                  stats->decisions_removed);
      }
    }
  }
  // The watcher first: its wake-ups post to connections, which must still have a live server.
  (*lapi)->stop_watching();
  (*server)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Signals are taken synchronously by the main thread (sigtimedwait); block them before any
  // thread starts so that none of the server threads receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"phalanxd: the Phalanx daemon (Local API)"};
  std::string config_path, listen, db_url, log_level;
  app.add_option("-c,--config", config_path, "config file (YAML)");
  app.add_option("--listen", listen, "address:port, overrides the config");
  app.add_option("--db", db_url, "database URL, overrides the config");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
  CLI11_PARSE(app, argc, argv);

  auto config = daemon::load_config(config_path);
  if (!config) {
    std::fprintf(stderr, "phalanxd: %s\n", config.error().message().c_str());
    return 1;
  }
  if (!listen.empty()) {
    auto over = daemon::parse_config("lapi: {listen: \"" + listen + "\"}\n", "--listen");
    if (!over) {
      std::fprintf(stderr, "phalanxd: %s\n", over.error().message().c_str());
      return 2;
    }
    config->server.address = over->server.address;
    config->server.port = over->server.port;
  }
  if (!db_url.empty()) config->db_url = db_url;
  if (!log_level.empty()) config->log_level = log_level;
  if (!phalanx::log::set_level(config->log_level)) {
    std::fprintf(stderr, "phalanxd: unknown log level '%s'\n", config->log_level.c_str());
    return 2;
  }
  return run(std::move(*config));
}

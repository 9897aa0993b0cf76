// SPDX-License-Identifier: Apache-2.0
#include "daemon/check.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "acquisition/source.h"
#include "cli/content.h"
#include "lapi/unix_socket.h"
#include "profiles/profiles.h"
#include "storage/store.h"

namespace phalanx::daemon {
namespace {

namespace fs = std::filesystem;

// A directory phalanxd must write in: it exists and is writable, or its nearest existing
// parent is (so it can be created).
std::string writable_dir_problem(const std::string& dir) {
  fs::path p(dir);
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec))
    p = p.parent_path();
  if (p.empty()) p = ".";
  if (!fs::is_directory(p, ec)) return p.string() + " is not a directory";
  if (access(p.c_str(), W_OK) != 0) return p.string() + " is not writable";
  return "";
}

std::string readable_problem(const std::string& file) {
  if (access(file.c_str(), R_OK) != 0) return file + ": " + std::strerror(errno);
  return "";
}

// lapi.listen_socket: its directory exists and is writable, and nothing but a stale socket
// is in the way. A live server there (phalanxd itself, checked before a restart) is a warning.
template <class ErrorFn>
void check_socket(const std::string& path, const std::string& cfg, Diagnostics& diag,
                  ErrorFn& error) {
  if (auto ok = lapi::check_socket_path(path); !ok) return error("lapi." + ok.error().message());
  const std::string dir = fs::path(path).parent_path().string();
  if (access(dir.c_str(), W_OK | X_OK) != 0)
    return error("lapi.listen_socket: directory " + dir + " is not writable");
  auto state = lapi::probe_socket_path(path);
  if (!state) return error("lapi." + state.error().message());
  if (*state == lapi::SocketPathState::kNotASocket)
    return error("lapi.listen_socket: " + path + " exists and is not a socket");
  if (*state == lapi::SocketPathState::kLive)
    diag.warning(cfg, 0, "",
                 "lapi.listen_socket: a server is listening on " + path +
                     " now; phalanxd would refuse to start while it runs");
}

}  // namespace

std::string default_machine_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "phalanx-agent";
  return host;
}

int run_check(const Config& c, const std::string& config_path) {
  Diagnostics diag;
  const std::string cfg = config_path.empty() ? "(defaults)" : config_path;
  auto error = [&](std::string what) { diag.error(cfg, 0, "", std::move(what)); };
  std::vector<std::string> summary;

  if (c.lapi_enabled) {
    if (c.db_url.rfind("postgres", 0) == 0) {
      auto store = storage::open_store(c.db_url);
      if (!store) error("db: " + store.error().message());
    } else {
      std::string path = c.db_url.rfind("sqlite://", 0) == 0 ? c.db_url.substr(9) : c.db_url;
      if (auto p = writable_dir_problem(fs::path(path).parent_path().string()); !p.empty())
        error("db " + c.db_url + ": " + p);
    }
    const std::string profiles_path =
        c.profiles_path.empty() ? default_profiles_path() : c.profiles_path;
    if (auto p = profiles::ProfileSet::load_file(profiles_path); !p) {
      error(p.error().message());
    } else {
      summary.push_back(fmt::format("{} profile(s)", p->size()));
    }
    if (auto a = profiles::AllowList::make(c.allow_list, true); !a)
      error("allow_list: " + a.error().message());
    if (c.server.tls) {
      for (const auto* f :
           {&c.server.tls->cert_file, &c.server.tls->key_file, &c.server.tls->ca_file})
        if (!f->empty())
          if (auto p = readable_problem(*f); !p.empty()) error("lapi.tls: " + p);
    }
    if (c.server.tcp)
      summary.push_back(fmt::format("local api on {}:{}", c.server.address, c.server.port));
    if (!c.server.socket_path.empty()) {
      check_socket(c.server.socket_path, cfg, diag, error);
      summary.push_back(fmt::format("local api on unix:{} (mode {:04o})", c.server.socket_path,
                                    c.server.socket_mode));
    }
  }

  if (c.agent.enabled) {
    const auto& a = c.agent.agent;
    auto content = cli::load_content(a.content);
    if (!content) {
      error("agent content: " + content.error().message());
    } else {
      diag.append(content->diagnostics);
      summary.push_back(fmt::format("{} parser node(s), {} scenario(s) from {}",
                                    content->pipeline->node_count(), content->scenarios->size(),
                                    content->description));
    }
    const auto items = acquisition::load_acquis(a.acquis_file, a.acquis_dir, diag);
    size_t sources = 0;
    for (const auto& item : items) {
      auto s = acquisition::make_source(item, {.state_dir = a.state_dir});
      if (!s) {
        diag.error(item.file, item.line, item.name, s.error().message());
      } else {
        ++sources;
      }
    }
    if (items.empty())
      diag.warning(a.acquis_file, 0, "", "no acquisition items: the agent would read nothing");
    summary.push_back(fmt::format("{} acquisition source(s)", sources));
    if (auto p = writable_dir_problem(a.state_dir); !p.empty()) error("data_dir: " + p);
    const auto& r = c.agent.remote;
    if (!r.credentials_file.empty())
      if (auto p = readable_problem(r.credentials_file); !p.empty())
        error("agent.lapi.credentials: " + p);
    for (const auto* f : {&r.ca_file, &r.cert_file, &r.key_file})
      if (!f->empty())
        if (auto p = readable_problem(*f); !p.empty()) error("agent.lapi: " + p);
    summary.push_back(r.configured() ? "alerts pushed to a remote LAPI"
                                     : "alerts stored by the local API");
  }

  for (const auto& d : diag.items())
    std::printf("%s: %s\n", d.severity == Diagnostic::Severity::kError ? "error" : "warning",
                d.to_string().c_str());
  for (const auto& s : summary)
    std::printf("  %s\n", s.c_str());
  const size_t errors = diag.error_count();
  if (errors == 0) {
    std::printf("phalanxd --check: %s is valid (%zu warning(s))\n", cfg.c_str(),
                diag.items().size());
    return 0;
  }
  std::printf("phalanxd --check: %zu error(s), %zu warning(s)\n", errors,
              diag.items().size() - errors);
  return 1;
}

}  // namespace phalanx::daemon

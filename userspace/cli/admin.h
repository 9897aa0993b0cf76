// SPDX-License-Identifier: Apache-2.0
// `phalanx decisions|alerts|bouncers|machines|allowlists ...`: the Local API's data, read and
// changed straight in its store (the same database phalanxd uses; SQLite or PostgreSQL). A running
// phalanxd sees the changes within a fraction of a second (Store::watch_decisions), so
// bouncers receive decisions added here as they would receive the LAPI's own.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/store.h"

namespace phalanx::cli {

struct AdminOptions {
  std::string db;  // store URL; default from $PHALANX_DB, else the packaged SQLite path
  std::string output = "human";    // human, json or raw (CSV)
  std::vector<std::string> allow;  // extra never-ban entries for decisions add/import

  // Filters shared by the list/delete verbs.
  std::string ip, range, scope, value, scenario, type, origin, since, until;
  std::optional<int64_t> id;
  bool contains = true;
  bool all = false;
  int64_t limit = -1;  // -1: the verb's default

  // decisions add / import
  std::string duration = "4h";
  std::string reason;
  std::string file;
  std::string format;  // import: csv, json, values (default: by extension)

  // bouncers / machines
  std::vector<std::string> names;
  std::string key;       // bouncers add -k
  std::string password;  // machines add
  bool auto_password = false;
  std::string credentials_file;  // machines add -f
  std::string api_url = "http://127.0.0.1:8080/";

  // allowlists: the list's name, and the IPs and ranges
  std::string allowlist;
  std::vector<std::string> values;
  std::string description;
  std::string expiration;  // add -e: Go duration, d allowed

  CLI::App* decisions_list = nullptr;
  CLI::App* decisions_add = nullptr;
  CLI::App* decisions_delete = nullptr;
  CLI::App* decisions_import = nullptr;
  CLI::App* alerts_list = nullptr;
  CLI::App* alerts_inspect = nullptr;
  CLI::App* alerts_delete = nullptr;
  CLI::App* bouncers_add = nullptr;
  CLI::App* bouncers_list = nullptr;
  CLI::App* bouncers_delete = nullptr;
  CLI::App* machines_add = nullptr;
  CLI::App* machines_list = nullptr;
  CLI::App* machines_validate = nullptr;
  CLI::App* machines_delete = nullptr;
  CLI::App* allowlists_create = nullptr;
  CLI::App* allowlists_delete = nullptr;
  CLI::App* allowlists_add = nullptr;
  CLI::App* allowlists_remove = nullptr;
  CLI::App* allowlists_list = nullptr;
  CLI::App* allowlists_inspect = nullptr;
  CLI::App* allowlists_check = nullptr;
};

// Adds the five nouns and their verbs to app.
void setup_admin(CLI::App& app, AdminOptions& opts);
// Runs the parsed verb; returns the exit code, or nullopt when none of the admin verbs ran.
std::optional<int> run_admin(const AdminOptions& opts);

// Internals shared by the verbs' files.
Result<std::unique_ptr<storage::Store>> open_admin_store(const AdminOptions& opts);
int run_decisions(const AdminOptions& opts, storage::Store& store);
int run_alerts(const AdminOptions& opts, storage::Store& store);
int run_identities(const AdminOptions& opts, storage::Store& store);
int run_allowlists(const AdminOptions& opts, storage::Store& store);

}  // namespace phalanx::cli

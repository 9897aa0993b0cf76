// SPDX-License-Identifier: Apache-2.0
#include "cli/admin.h"

#include <cstdlib>

#include "cli/output.h"

namespace phalanx::cli {
namespace {

constexpr const char* kDefaultDb = "sqlite:///var/lib/phalanx/phalanx.db";

void add_common(CLI::App* cmd, AdminOptions& o) {
  cmd->add_option("--db", o.db,
                  "Store URL (default: $PHALANX_DB, else " + std::string(kDefaultDb) + ")");
  cmd->add_option("-o,--output", o.output, "human, json or raw (CSV)")
      ->check(CLI::IsMember({"human", "json", "raw"}));
}

void add_filters(CLI::App* cmd, AdminOptions& o) {
  cmd->add_option("-i,--ip", o.ip, "Source IP (and the ranges that contain it)");
  cmd->add_option("-r,--range", o.range, "Source range (and the ranges that contain it)");
  cmd->add_option("-s,--scope", o.scope, "Scope (Ip, Range, Country, AS, or custom)");
  cmd->add_option("-v,--value", o.value, "Value, exactly");
  cmd->add_option("--scenario", o.scenario, "Scenario (reason), exactly");
  cmd->add_option("-t,--type", o.type, "Decision type (ban, captcha, ...)");
  cmd->add_option("--origin", o.origin, "Origin (crowdsec, cscli, cscli-import, CAPI, lists)");
  cmd->add_option("--contains", o.contains,
                  "With --ip/--range: true = ranges containing it, false = ranges inside it");
}

}  // namespace

void setup_admin(CLI::App& app, AdminOptions& o) {
  auto* decisions = app.add_subcommand("decisions", "List, add, delete and import decisions");
  decisions->require_subcommand(1);
  o.decisions_list = decisions->add_subcommand("list", "Active decisions, newest first");
  add_common(o.decisions_list, o);
  add_filters(o.decisions_list, o);
  o.decisions_list->add_option("-l,--limit", o.limit, "At most this many (0: all; default 100)");
  o.decisions_list->add_flag("-a,--all", o.all, "Include expired decisions still stored");

  o.decisions_add = decisions->add_subcommand("add", "Add a decision (an alert of kind cscli)");
  add_common(o.decisions_add, o);
  o.decisions_add->add_option("-i,--ip", o.ip, "IP to act on");
  o.decisions_add->add_option("-r,--range", o.range, "Range to act on");
  o.decisions_add->add_option("-s,--scope", o.scope, "Custom scope (with --value)");
  o.decisions_add->add_option("-v,--value", o.value, "Value for a custom scope");
  o.decisions_add->add_option("-d,--duration", o.duration, "Duration (Go format, d allowed)");
  o.decisions_add->add_option("-t,--type", o.type, "Decision type (default ban)");
  o.decisions_add->add_option("-R,--reason", o.reason, "Reason (stored as the scenario)");
  o.decisions_add->add_option("--allow", o.allow, "Extra never-ban IPs or ranges");

  o.decisions_delete = decisions->add_subcommand("delete", "Expire active decisions");
  add_common(o.decisions_delete, o);
  add_filters(o.decisions_delete, o);
  o.decisions_delete->add_option("--id", o.id, "Decision id");
  o.decisions_delete->add_flag("--all", o.all, "Every active decision");

  o.decisions_import = decisions->add_subcommand(
      "import", "Import decisions from a CSV, JSON or plain file (one value per line)");
  add_common(o.decisions_import, o);
  o.decisions_import->add_option("-i,--input", o.file, "The file ('-' for stdin)")->required();
  o.decisions_import->add_option("--format", o.format, "csv, json or values (default: extension)")
      ->check(CLI::IsMember({"csv", "json", "values"}));
  o.decisions_import->add_option("-d,--duration", o.duration, "Default duration");
  o.decisions_import->add_option("-t,--type", o.type, "Default type (ban)");
  o.decisions_import->add_option("-s,--scope", o.scope, "Default scope (Ip)");
  o.decisions_import->add_option("-R,--reason", o.reason, "Default reason");
  o.decisions_import->add_option("--allow", o.allow, "Extra never-ban IPs or ranges");

  auto* alerts = app.add_subcommand("alerts", "List, inspect and delete alerts");
  alerts->require_subcommand(1);
  o.alerts_list = alerts->add_subcommand("list", "Alerts, newest first");
  add_common(o.alerts_list, o);
  add_filters(o.alerts_list, o);
  o.alerts_list->add_option("--since", o.since, "Created within this long (e.g. 4h, 2d)");
  o.alerts_list->add_option("--until", o.until, "Created longer ago than this");
  o.alerts_list->add_option("-l,--limit", o.limit, "At most this many (0: all; default 50)");
  o.alerts_inspect = alerts->add_subcommand("inspect", "One alert with its events and decisions");
  add_common(o.alerts_inspect, o);
  o.alerts_inspect->add_option("id", o.id, "Alert id")->required();
  o.alerts_delete = alerts->add_subcommand("delete", "Delete alerts and their decisions");
  add_common(o.alerts_delete, o);
  add_filters(o.alerts_delete, o);
  o.alerts_delete->add_option("--id", o.id, "Alert id");
  o.alerts_delete->add_flag("-a,--all", o.all, "Every alert");

  auto* bouncers = app.add_subcommand("bouncers", "Manage bouncers (API keys)");
  bouncers->require_subcommand(1);
  o.bouncers_add = bouncers->add_subcommand("add", "Add a bouncer and print its API key");
  add_common(o.bouncers_add, o);
  o.bouncers_add->add_option("name", o.names, "Bouncer name")->required()->expected(1);
  o.bouncers_add->add_option("-k,--key", o.key, "Use this API key instead of a random one");
  o.bouncers_list = bouncers->add_subcommand("list", "List bouncers");
  add_common(o.bouncers_list, o);
  o.bouncers_delete = bouncers->add_subcommand("delete", "Delete bouncers");
  add_common(o.bouncers_delete, o);
  o.bouncers_delete->add_option("names", o.names, "Bouncer names")->required();

  auto* machines = app.add_subcommand("machines", "Manage machines (agents)");
  machines->require_subcommand(1);
  o.machines_add = machines->add_subcommand("add", "Add a validated machine");
  add_common(o.machines_add, o);
  o.machines_add->add_option("name", o.names, "Machine id")->required()->expected(1);
  o.machines_add->add_option("-p,--password", o.password, "Password");
  o.machines_add->add_flag("-a,--auto", o.auto_password, "Generate a random password");
  o.machines_add->add_option("-f,--file", o.credentials_file,
                             "Write the credentials (url, login, password) to this YAML file");
  o.machines_add->add_option("-u,--url", o.api_url, "LAPI URL written to the credentials file");
  o.machines_list = machines->add_subcommand("list", "List machines");
  add_common(o.machines_list, o);
  o.machines_validate = machines->add_subcommand("validate", "Validate a registered machine");
  add_common(o.machines_validate, o);
  o.machines_validate->add_option("name", o.names, "Machine id")->required()->expected(1);
  o.machines_delete = machines->add_subcommand("delete", "Delete machines");
  add_common(o.machines_delete, o);
  o.machines_delete->add_option("names", o.names, "Machine ids")->required();

  auto* allowlists = app.add_subcommand(
      "allowlists", "Centralised allowlists: sources whose alerts are never stored");
  allowlists->require_subcommand(1);
  const auto list_name = [&](CLI::App* cmd) {
    add_common(cmd, o);
    cmd->add_option("name", o.allowlist, "Allowlist name")->required();
  };
  o.allowlists_create = allowlists->add_subcommand("create", "Create an empty allowlist");
  list_name(o.allowlists_create);
  o.allowlists_create->add_option("-d,--description", o.description, "What the list is for")
      ->required();
  o.allowlists_delete = allowlists->add_subcommand("delete", "Delete an allowlist and its values");
  list_name(o.allowlists_delete);
  o.allowlists_add = allowlists->add_subcommand(
      "add", "Add IPs or ranges (and expire the active decisions they cover)");
  list_name(o.allowlists_add);
  o.allowlists_add->add_option("values", o.values, "IPs or ranges")->required();
  o.allowlists_add->add_option("-e,--expiration", o.expiration,
                               "Remove them after this long (e.g. 12h, 7d; default: never)");
  o.allowlists_add->add_option("-d,--description", o.description, "Why they are allowed");
  o.allowlists_remove = allowlists->add_subcommand("remove", "Remove IPs or ranges");
  list_name(o.allowlists_remove);
  o.allowlists_remove->add_option("values", o.values, "IPs or ranges, as added")->required();
  o.allowlists_list = allowlists->add_subcommand("list", "List allowlists");
  add_common(o.allowlists_list, o);
  o.allowlists_inspect = allowlists->add_subcommand("inspect", "One allowlist with its values");
  list_name(o.allowlists_inspect);
  o.allowlists_check =
      allowlists->add_subcommand("check", "Which allowlists cover these IPs or ranges");
  add_common(o.allowlists_check, o);
  o.allowlists_check->add_option("values", o.values, "IPs or ranges")->required();
}

Result<std::unique_ptr<storage::Store>> open_admin_store(const AdminOptions& o) {
  std::string url = o.db;
  if (url.empty()) {
    const char* env = std::getenv("PHALANX_DB");
    url = env != nullptr && *env != '\0' ? env : kDefaultDb;
  }
  auto store = storage::open_store(url);
  if (!store) return store.error().context("opening the store '" + url + "'");
  return store;
}

std::optional<int> run_admin(const AdminOptions& o) {
  const bool decisions = o.decisions_list->parsed() || o.decisions_add->parsed() ||
                         o.decisions_delete->parsed() || o.decisions_import->parsed();
  const bool alerts =
      o.alerts_list->parsed() || o.alerts_inspect->parsed() || o.alerts_delete->parsed();
  const bool identities = o.bouncers_add->parsed() || o.bouncers_list->parsed() ||
                          o.bouncers_delete->parsed() || o.machines_add->parsed() ||
                          o.machines_list->parsed() || o.machines_validate->parsed() ||
                          o.machines_delete->parsed();
  const bool allowlists = o.allowlists_create->parsed() || o.allowlists_delete->parsed() ||
                          o.allowlists_add->parsed() || o.allowlists_remove->parsed() ||
                          o.allowlists_list->parsed() || o.allowlists_inspect->parsed() ||
                          o.allowlists_check->parsed();
  if (!decisions && !alerts && !identities && !allowlists) return std::nullopt;
  auto store = open_admin_store(o);
  if (!store) return fail(store.error().message());
  if (decisions) return run_decisions(o, **store);
  if (alerts) return run_alerts(o, **store);
  if (allowlists) return run_allowlists(o, **store);
  return run_identities(o, **store);
}

}  // namespace phalanx::cli

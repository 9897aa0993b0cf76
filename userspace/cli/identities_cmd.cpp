// SPDX-License-Identifier: Apache-2.0
// `phalanx bouncers add|list|delete` and `phalanx machines add|list|validate|delete`.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/admin.h"
#include "cli/output.h"
#include "core/clock.h"
#include "expr/go_format.h"
#include "lapi/auth.h"

namespace phalanx::cli {
namespace {

using json = nlohmann::json;

std::string when(const std::optional<TimePoint>& t) {
  return t ? expr::format_rfc3339(ZonedTime{*t, 0}) : "";
}

int bouncers_add(const AdminOptions& o, storage::Store& store) {
  const TimePoint now = SystemClock::instance().now();
  const std::string key = o.key.empty() ? lapi::generate_api_key() : o.key;
  storage::Bouncer b;
  b.name = o.names.at(0);
  b.api_key_hash = lapi::hash_api_key(key);
  b.created_at = b.updated_at = now;
  if (auto r = store.add_bouncer(b); !r) return fail("bouncers add: " + r.error().message());
  if (o.output == "json") {
    std::cout << json(key).dump() << "\n";
  } else if (o.output == "raw") {
    std::cout << key << "\n";
  } else {
    std::cout << "API key for '" << b.name << "':\n\n   " << key
              << "\n\nPlease keep it safe: it cannot be shown again.\n";
  }
  return kExitOk;
}

int bouncers_list(const AdminOptions& o, storage::Store& store) {
  auto rows = store.list_bouncers();
  if (!rows) return fail(rows.error().message());
  if (o.output == "json") {
    json arr = json::array();
    for (const auto& b : *rows)
      arr.push_back({{"name", b.name},
                     {"ip_address", b.ip_address},
                     {"type", b.type},
                     {"version", b.version},
                     {"auth_type", b.auth_type},
                     {"revoked", b.revoked},
                     {"created_at", when(b.created_at)},
                     {"last_pull", when(b.last_pull)}});
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  Table t({"NAME", "IP ADDRESS", "VALID", "LAST API PULL", "TYPE", "VERSION", "AUTH TYPE"});
  for (const auto& b : *rows)
    t.add({b.name, b.ip_address, b.revoked ? "no" : "yes", when(b.last_pull), printable(b.type, 40),
           b.version, b.auth_type});
  if (o.output == "raw") {
    std::cout << "name,ip,revoked,last_pull,type,version,auth_type\n";
    for (const auto& b : *rows)
      std::cout << b.name << ',' << b.ip_address << ',' << (b.revoked ? "true" : "false") << ','
                << when(b.last_pull) << ',' << b.type << ',' << b.version << ',' << b.auth_type
                << "\n";
    return kExitOk;
  }
  std::cout << t.render();
  return kExitOk;
}

int machines_add(const AdminOptions& o, storage::Store& store) {
  if (o.password.empty() && !o.auto_password)
    return usage_error("machines add: give --password or --auto");
  const TimePoint now = SystemClock::instance().now();
  const std::string password = o.auto_password ? lapi::random_alnum(64) : o.password;
  storage::Machine m;
  m.machine_id = o.names.at(0);
  m.password_hash = lapi::hash_password(password);
  m.is_validated = true;
  m.ip_address = "127.0.0.1";
  m.created_at = m.updated_at = now;
  if (auto r = store.add_machine(m); !r) return fail("machines add: " + r.error().message());
  if (!o.credentials_file.empty()) {
    std::ofstream f(o.credentials_file, std::ios::trunc);
    f << "url: " << o.api_url << "\nlogin: " << m.machine_id << "\npassword: " << password << "\n";
    if (!f) return fail("machines add: cannot write '" + o.credentials_file + "'");
    std::cout << "Machine '" << m.machine_id << "' added; credentials written to "
              << o.credentials_file << "\n";
  } else if (o.auto_password) {
    std::cout << "Machine '" << m.machine_id << "' added.\nurl: " << o.api_url
              << "\nlogin: " << m.machine_id << "\npassword: " << password << "\n";
  } else {
    std::cout << "Machine '" << m.machine_id << "' added\n";
  }
  return kExitOk;
}

int machines_list(const AdminOptions& o, storage::Store& store) {
  auto rows = store.list_machines();
  if (!rows) return fail(rows.error().message());
  if (o.output == "json") {
    json arr = json::array();
    for (const auto& m : *rows)
      arr.push_back({{"machineId", m.machine_id},
                     {"ipAddress", m.ip_address},
                     {"isValidated", m.is_validated},
                     {"version", m.version},
                     {"auth_type", m.auth_type},
                     {"created_at", when(m.created_at)},
                     {"last_heartbeat", when(m.last_heartbeat)},
                     {"last_push", when(m.last_push)}});
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  Table t(
      {"NAME", "IP ADDRESS", "LAST UPDATE", "STATUS", "VERSION", "AUTH TYPE", "LAST HEARTBEAT"});
  for (const auto& m : *rows)
    t.add({m.machine_id, m.ip_address, when(m.updated_at), m.is_validated ? "validated" : "pending",
           printable(m.version, 40), m.auth_type, when(m.last_heartbeat)});
  std::cout << t.render();
  return kExitOk;
}

int machines_validate(const AdminOptions& o, storage::Store& store) {
  auto m = store.get_machine(o.names.at(0));
  if (!m) return fail(m.error().message());
  if (!*m) return fail("machine '" + o.names[0] + "' not found");
  (*m)->is_validated = true;
  (*m)->updated_at = SystemClock::instance().now();
  if (auto r = store.update_machine(**m); !r) return fail(r.error().message());
  std::cout << "Machine '" << o.names[0] << "' validated\n";
  return kExitOk;
}

template <class Delete>
int delete_each(const std::vector<std::string>& names, std::string_view what, Delete del) {
  int rc = kExitOk;
  for (const auto& n : names) {
    auto r = del(n);
    if (!r) {
      rc = fail(r.error().message());
    } else if (!*r) {
      rc = fail(std::string(what) + " '" + n + "' not found");
    } else {
      std::cout << what << " '" << n << "' deleted\n";
    }
  }
  return rc;
}

}  // namespace

int run_identities(const AdminOptions& o, storage::Store& store) {
  if (o.bouncers_add->parsed()) return bouncers_add(o, store);
  if (o.bouncers_list->parsed()) return bouncers_list(o, store);
  if (o.bouncers_delete->parsed())
    return delete_each(o.names, "bouncer",
                       [&](const std::string& n) { return store.delete_bouncer(n); });
  if (o.machines_add->parsed()) return machines_add(o, store);
  if (o.machines_list->parsed()) return machines_list(o, store);
  if (o.machines_validate->parsed()) return machines_validate(o, store);
  return delete_each(o.names, "machine",
                     [&](const std::string& n) { return store.delete_machine(n); });
}

}  // namespace phalanx::cli

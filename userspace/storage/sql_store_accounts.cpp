// SPDX-License-Identifier: Apache-2.0
// SqlStore: machines (agents) and bouncers.
#include <fmt/format.h>

#include <cerrno>

#include "storage/codec.h"
#include "storage/sql_store.h"

namespace phalanx::storage {
namespace {

constexpr const char* kMachineColumns =
    "machine_id, password_hash, ip_address, scenarios, version, auth_type, is_validated, "
    "created_at, updated_at, last_push, last_heartbeat";
constexpr const char* kBouncerColumns =
    "name, api_key_hash, ip_address, type, version, auth_type, revoked, created_at, updated_at, "
    "last_pull";

Value opt_time(const std::optional<TimePoint>& t) {
  return t ? Value(to_ns(*t)) : Value(nullptr);
}
std::optional<TimePoint> read_opt_time(const Row& r, int col) {
  if (r.is_null(col)) return std::nullopt;
  return from_ns(r.i64(col));
}

Machine read_machine(const Row& r) {
  Machine m;
  m.machine_id = r.str(0);
  m.password_hash = r.str(1);
  m.ip_address = r.str(2);
  m.scenarios = r.str(3);
  m.version = r.str(4);
  m.auth_type = r.str(5);
  m.is_validated = r.boolean(6);
  m.created_at = from_ns(r.i64(7));
  m.updated_at = from_ns(r.i64(8));
  m.last_push = read_opt_time(r, 9);
  m.last_heartbeat = read_opt_time(r, 10);
  return m;
}

// Parameters in kMachineColumns order, machine_id last (for UPDATE … WHERE machine_id = ?).
std::vector<Value> machine_params(const Machine& m) {
  return {m.password_hash,       m.ip_address,
          m.scenarios,           m.version,
          m.auth_type,           m.is_validated,
          to_ns(m.created_at),   to_ns(m.updated_at),
          opt_time(m.last_push), opt_time(m.last_heartbeat),
          m.machine_id};
}

Bouncer read_bouncer(const Row& r) {
  Bouncer b;
  b.name = r.str(0);
  b.api_key_hash = r.str(1);
  b.ip_address = r.str(2);
  b.type = r.str(3);
  b.version = r.str(4);
  b.auth_type = r.str(5);
  b.revoked = r.boolean(6);
  b.created_at = from_ns(r.i64(7));
  b.updated_at = from_ns(r.i64(8));
  b.last_pull = read_opt_time(r, 9);
  return b;
}

std::vector<Value> bouncer_params(const Bouncer& b) {
  return {b.api_key_hash,
          b.ip_address,
          b.type,
          b.version,
          b.auth_type,
          b.revoked,
          to_ns(b.created_at),
          to_ns(b.updated_at),
          opt_time(b.last_pull),
          b.name};
}

}  // namespace

// --- machines

Result<void> SqlStore::add_machine(const Machine& machine) {
  auto r = write([&](Conn& c) -> Result<void> {
    std::vector<Value> key{machine.machine_id};
    PHALANX_TRY(int64_t found, c.run("SELECT 1 FROM machines WHERE machine_id = ?", key));
    if (found > 0) return Error("user already exist", EEXIST);
    PHALANX_CHECK(
        c.run("INSERT INTO machines (password_hash, ip_address, scenarios, version, auth_type, "
              "is_validated, created_at, updated_at, last_push, last_heartbeat, machine_id) VALUES "
              "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              machine_params(machine)));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("adding machine '{}'", machine.machine_id));
  return ok();
}

Result<std::optional<Machine>> SqlStore::get_machine(std::string_view machine_id) {
  std::optional<Machine> out;
  auto r = read([&](Conn& c) -> Result<void> {
    std::vector<Value> key{std::string(machine_id)};
    PHALANX_CHECK(
        c.run(fmt::format("SELECT {} FROM machines WHERE machine_id = ?", kMachineColumns), key,
              [&](const Row& row) { out = read_machine(row); }));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("reading machine '{}'", machine_id));
  return out;
}

Result<std::vector<Machine>> SqlStore::list_machines() {
  std::vector<Machine> out;
  auto r = read([&](Conn& c) -> Result<void> {
    PHALANX_CHECK(c.run(fmt::format("SELECT {} FROM machines ORDER BY id", kMachineColumns), {},
                        [&](const Row& row) { out.push_back(read_machine(row)); }));
    return ok();
  });
  if (!r) return r.error().context("listing machines");
  return out;
}

Result<void> SqlStore::update_machine(const Machine& machine) {
  auto r = write([&](Conn& c) -> Result<void> {
    PHALANX_TRY(int64_t n,
                c.run("UPDATE machines SET password_hash = ?, ip_address = ?, scenarios = ?, "
                      "version = ?, auth_type = ?, is_validated = ?, created_at = ?, "
                      "updated_at = ?, last_push = ?, last_heartbeat = ? WHERE machine_id = ?",
                      machine_params(machine)));
    if (n == 0) return Error("no such machine", ENOENT);
    return ok();
  });
  if (!r) return r.error().context(fmt::format("updating machine '{}'", machine.machine_id));
  return ok();
}

Result<bool> SqlStore::delete_machine(std::string_view machine_id) {
  int64_t n = 0;
  auto r = write([&](Conn& c) -> Result<void> {
    std::vector<Value> key{std::string(machine_id)};
    PHALANX_TRY(n, c.run("DELETE FROM machines WHERE machine_id = ?", key));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("deleting machine '{}'", machine_id));
  return n > 0;
}

// --- bouncers

Result<void> SqlStore::add_bouncer(const Bouncer& bouncer) {
  auto r = write([&](Conn& c) -> Result<void> {
    std::vector<Value> key{bouncer.name};
    PHALANX_TRY(int64_t found, c.run("SELECT 1 FROM bouncers WHERE name = ?", key));
    if (found > 0) return Error("bouncer already exists", EEXIST);
    PHALANX_CHECK(
        c.run("INSERT INTO bouncers (api_key_hash, ip_address, type, version, auth_type, revoked, "
              "created_at, updated_at, last_pull, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              bouncer_params(bouncer)));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("adding bouncer '{}'", bouncer.name));
  return ok();
}

Result<std::vector<Bouncer>> SqlStore::bouncers_by_key_hash(std::string_view hash) {
  std::vector<Bouncer> out;
  auto r = read([&](Conn& c) -> Result<void> {
    std::vector<Value> key{std::string(hash)};
    PHALANX_CHECK(c.run(
        fmt::format("SELECT {} FROM bouncers WHERE api_key_hash = ? ORDER BY id", kBouncerColumns),
        key, [&](const Row& row) { out.push_back(read_bouncer(row)); }));
    return ok();
  });
  if (!r) return r.error().context("looking up bouncers by api key");
  return out;
}

Result<std::optional<Bouncer>> SqlStore::get_bouncer(std::string_view name) {
  std::optional<Bouncer> out;
  auto r = read([&](Conn& c) -> Result<void> {
    std::vector<Value> key{std::string(name)};
    PHALANX_CHECK(c.run(fmt::format("SELECT {} FROM bouncers WHERE name = ?", kBouncerColumns), key,
                        [&](const Row& row) { out = read_bouncer(row); }));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("reading bouncer '{}'", name));
  return out;
}

Result<std::vector<Bouncer>> SqlStore::list_bouncers() {
  std::vector<Bouncer> out;
  auto r = read([&](Conn& c) -> Result<void> {
    PHALANX_CHECK(c.run(fmt::format("SELECT {} FROM bouncers ORDER BY id", kBouncerColumns), {},
                        [&](const Row& row) { out.push_back(read_bouncer(row)); }));
    return ok();
  });
  if (!r) return r.error().context("listing bouncers");
  return out;
}

Result<void> SqlStore::update_bouncer(const Bouncer& bouncer) {
  auto r = write([&](Conn& c) -> Result<void> {
    PHALANX_TRY(int64_t n,
                c.run("UPDATE bouncers SET api_key_hash = ?, ip_address = ?, type = ?, "
                      "version = ?, auth_type = ?, revoked = ?, created_at = ?, updated_at = ?, "
                      "last_pull = ? WHERE name = ?",
                      bouncer_params(bouncer)));
    if (n == 0) return Error("no such bouncer", ENOENT);
    return ok();
  });
  if (!r) return r.error().context(fmt::format("updating bouncer '{}'", bouncer.name));
  return ok();
}

Result<bool> SqlStore::delete_bouncer(std::string_view name) {
  int64_t n = 0;
  auto r = write([&](Conn& c) -> Result<void> {
    std::vector<Value> key{std::string(name)};
    PHALANX_TRY(n, c.run("DELETE FROM bouncers WHERE name = ?", key));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("deleting bouncer '{}'", name));
  return n > 0;
}

}  // namespace phalanx::storage

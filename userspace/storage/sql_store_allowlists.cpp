// SPDX-License-Identifier: Apache-2.0
// SqlStore: centralised allowlists and their items.
#include <fmt/format.h>

#include <cerrno>
#include <map>

#include "storage/codec.h"
#include "storage/sql_store.h"

namespace phalanx::storage {
namespace {

constexpr const char* kListColumns =
    "id, name, description, allowlist_id, from_console, created_at, updated_at";

Allowlist read_list(const Row& r) {
  Allowlist l;
  l.name = r.str(1);
  l.description = r.str(2);
  l.allowlist_id = r.str(3);
  l.console_managed = r.boolean(4);
  l.created_at = from_ns(r.i64(5));
  l.updated_at = from_ns(r.i64(6));
  return l;
}

// Reads lists (WHERE clause `where` with `params`) and, when asked, their items.
Result<std::vector<Allowlist>> read_lists(Conn& c, std::string_view where,
                                          std::span<const Value> params, bool with_items) {
  std::vector<Allowlist> out;
  std::map<int64_t, size_t> by_id;
  PHALANX_CHECK(
      c.run(fmt::format("SELECT {} FROM allowlists {} ORDER BY name", kListColumns, where), params,
            [&](const Row& r) {
              by_id[r.i64(0)] = out.size();
              out.push_back(read_list(r));
            }));
  if (!with_items || out.empty()) return out;
  PHALANX_CHECK(
      c.run("SELECT allowlist, value, description, created_at, expires_at FROM allowlist_items "
            "ORDER BY id",
            {}, [&](const Row& r) {
              auto it = by_id.find(r.i64(0));
              if (it == by_id.end()) return;
              AllowlistItem item;
              item.value = r.str(1);
              item.description = r.str(2);
              item.created_at = from_ns(r.i64(3));
              if (!r.is_null(4)) item.expires_at = from_ns(r.i64(4));
              out[it->second].items.push_back(std::move(item));
            }));
  return out;
}

// The row id of list `name`; ENOENT when there is none.
Result<int64_t> list_id(Conn& c, std::string_view name) {
  std::optional<int64_t> id;
  std::vector<Value> key{std::string(name)};
  PHALANX_CHECK(
      c.run("SELECT id FROM allowlists WHERE name = ?", key, [&](const Row& r) { id = r.i64(0); }));
  if (!id) return Error(fmt::format("allowlist '{}' not found", name), ENOENT);
  return *id;
}

Result<void> touch(Conn& c, int64_t id, TimePoint now) {
  std::vector<Value> params{to_ns(now), id};
  PHALANX_CHECK(c.run("UPDATE allowlists SET updated_at = ? WHERE id = ?", params));
  return ok();
}

}  // namespace

Result<void> SqlStore::create_allowlist(const Allowlist& list) {
  auto r = write([&](Conn& c) -> Result<void> {
    std::vector<Value> key{list.name};
    PHALANX_TRY(int64_t found, c.run("SELECT 1 FROM allowlists WHERE name = ?", key));
    if (found > 0) return Error("allowlist already exists", EEXIST);
    std::vector<Value> params{list.name,
                              list.description,
                              list.allowlist_id,
                              list.console_managed,
                              to_ns(list.created_at),
                              to_ns(list.updated_at)};
    PHALANX_CHECK(
        c.run("INSERT INTO allowlists (name, description, allowlist_id, from_console, "
              "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
              params));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("creating allowlist '{}'", list.name));
  return ok();
}

Result<std::vector<Allowlist>> SqlStore::list_allowlists(bool with_items) {
  std::vector<Allowlist> out;
  auto r = read(
      [&](Conn& c) -> Result<void> {
        PHALANX_TRY(out, read_lists(c, "", {}, with_items));
        return ok();
      },
      /*snapshot=*/with_items);
  if (!r) return r.error().context("listing allowlists");
  return out;
}

Result<std::optional<Allowlist>> SqlStore::get_allowlist(std::string_view name, bool with_items) {
  std::optional<Allowlist> out;
  auto r = read(
      [&](Conn& c) -> Result<void> {
        std::vector<Value> key{std::string(name)};
        PHALANX_TRY(auto lists, read_lists(c, "WHERE name = ?", key, with_items));
        if (!lists.empty()) out = std::move(lists.front());
        return ok();
      },
      /*snapshot=*/with_items);
  if (!r) return r.error().context(fmt::format("reading allowlist '{}'", name));
  return out;
}

Result<bool> SqlStore::delete_allowlist(std::string_view name) {
  int64_t n = 0;
  auto r = write([&](Conn& c) -> Result<void> {
    auto id = list_id(c, name);
    if (!id && id.error().code() == ENOENT) return ok();  // n stays 0: not found
    if (!id) return id.error();
    std::vector<Value> key{*id};
    PHALANX_CHECK(c.run("DELETE FROM allowlist_items WHERE allowlist = ?", key));
    PHALANX_TRY(n, c.run("DELETE FROM allowlists WHERE id = ?", key));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("deleting allowlist '{}'", name));
  return n > 0;
}

Result<int64_t> SqlStore::add_allowlist_items(std::string_view name,
                                              std::span<const AllowlistItem> items, TimePoint now) {
  int64_t added = 0;
  auto r = write([&](Conn& c) -> Result<void> {
    added = 0;
    PHALANX_TRY(const int64_t id, list_id(c, name));
    for (const auto& item : items) {
      std::vector<Value> params{id, item.value, item.description, to_ns(item.created_at),
                                item.expires_at ? Value(to_ns(*item.expires_at)) : Value(nullptr)};
      PHALANX_TRY(const int64_t n,
                  c.run("INSERT INTO allowlist_items (allowlist, value, description, created_at, "
                        "expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (allowlist, value) DO "
                        "NOTHING",
                        params));
      added += n;
    }
    if (added > 0) PHALANX_CHECK(touch(c, id, now));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("adding to allowlist '{}'", name));
  return added;
}

Result<int64_t> SqlStore::remove_allowlist_items(std::string_view name,
                                                 std::span<const std::string> values,
                                                 TimePoint now) {
  int64_t removed = 0;
  auto r = write([&](Conn& c) -> Result<void> {
    removed = 0;
    PHALANX_TRY(const int64_t id, list_id(c, name));
    for (const auto& v : values) {
      std::vector<Value> params{id, v};
      PHALANX_TRY(const int64_t n,
                  c.run("DELETE FROM allowlist_items WHERE allowlist = ? AND value = ?", params));
      removed += n;
    }
    if (removed > 0) PHALANX_CHECK(touch(c, id, now));
    return ok();
  });
  if (!r) return r.error().context(fmt::format("removing from allowlist '{}'", name));
  return removed;
}

}  // namespace phalanx::storage

// SPDX-License-Identifier: Apache-2.0
// open_store(): the URL → backend registry, and the Store's default helpers.
#include "storage/store.h"

#include <fmt/format.h>

#include <algorithm>

#include "storage/db.h"
#include "storage/sql_store.h"

namespace phalanx::storage {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Result<std::unique_ptr<Store>> open_sqlite_store(std::string path) {
  if (path.empty()) return Error("empty sqlite path");
  if (path.find('?') != std::string::npos) {
    return Error(
        fmt::format("sqlite path '{}' has a query string; options are not supported", path));
  }
  auto store = SqlStore::open([path](ConnRole role) { return open_sqlite(path, role); });
  if (!store) return store.error();
  return std::unique_ptr<Store>(std::move(store).value());
}

Result<std::unique_ptr<Store>> open_postgres_store(std::string url) {
  auto store = SqlStore::open([url](ConnRole) { return open_postgres(url); });
  if (!store) return store.error();
  return std::unique_ptr<Store>(std::move(store).value());
}

Result<std::unique_ptr<Store>> open_url(std::string_view url) {
  if (url.empty()) return Error("empty store URL");
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    return open_postgres_store(std::string(url));
  }
  if (starts_with(url, "sqlite://")) {
    std::string_view rest = url.substr(9);
    if (!starts_with(rest, "/")) {
      return Error("a sqlite URL needs an absolute path: sqlite:///var/lib/phalanx/phalanx.db");
    }
    return open_sqlite_store(std::string(rest));
  }
  if (size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    return Error(fmt::format("unsupported scheme '{}' (sqlite, postgresql or postgres)",
                             url.substr(0, scheme)));
  }
  return open_sqlite_store(std::string(url));
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  auto store = open_url(url);
  if (!store) return store.error().context(fmt::format("opening store {}", redact_url(url)));
  return store;
}

Result<int64_t> Store::count_active_decisions(std::string_view value, TimePoint now) {
  PHALANX_TRY(auto rows, load_decisions(now));
  return static_cast<int64_t>(std::count_if(rows.begin(), rows.end(), [&](const Decision& d) {
    return d.value == value && d.until > now;
  }));
}

Result<std::optional<TimePoint>> Store::active_decision_until(std::string_view value,
                                                              TimePoint now) {
  PHALANX_TRY(auto rows, load_decisions(now));
  std::optional<TimePoint> latest;
  for (const auto& d : rows) {
    if (d.value == value && d.until > now && (!latest || d.until > *latest)) latest = d.until;
  }
  return latest;
}

}  // namespace phalanx::storage

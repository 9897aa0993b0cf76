// SPDX-License-Identifier: Apache-2.0
// Numbered schema migrations. The applied versions are rows of `schema_migrations`; open_store()
// applies the missing ones in order, each in the same transaction as its version row, under a
// lock that keeps two processes opening one database from racing (SQLite: BEGIN IMMEDIATE;
// PostgreSQL: an advisory transaction lock).
#pragma once

#include <cstdint>

#include "core/result.h"
#include "storage/db.h"

namespace phalanx::storage {

// The highest migration this build knows.
int64_t latest_schema_version();

// Applies pending migrations. Errors: a statement fails (the transaction is rolled back), or the
// database was migrated by a newer build (its version is above latest_schema_version()).
Result<void> apply_migrations(Conn& conn);

}  // namespace phalanx::storage

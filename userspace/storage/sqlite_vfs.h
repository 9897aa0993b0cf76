// SPDX-License-Identifier: Apache-2.0
// A SQLite VFS over the platform's default one that gathers the writes of a WAL commit into one
// system call. SQLite writes each WAL frame as two writes (a 24-byte header, then the page), so a
// commit touching eight pages costs sixteen pwrite()s; this VFS keeps a run of contiguous WAL
// writes in memory and hands it to the default VFS in one write once the commit frame's page is
// in. Nothing else changes: the files are the same bytes, every other call goes straight to the
// default VFS, and a commit is in the file (the page cache) before SQLite publishes it, as
// before (details in sqlite_vfs.cpp).
#pragma once

#include <string>

#include "core/result.h"

namespace phalanx::storage {

// Registers the VFS (once per process; later calls return the same) and returns its name for
// sqlite3_open_v2(). Fails only when SQLite has no default VFS or refuses the registration.
Result<const char*> wal_batching_vfs();

}  // namespace phalanx::storage

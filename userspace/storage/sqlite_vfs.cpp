// SPDX-License-Identifier: Apache-2.0
// The WAL-batching VFS (sqlite_vfs.h).
//
// Why it is safe. SQLite commits to the WAL by writing the transaction's frames in file order,
// the last one marked as the commit frame (a non-zero database size in bytes 4..7 of its 24-byte
// header), and only then publishes the commit in the shared wal-index, where other connections
// find it and read those frames from the file. This VFS holds back a run of contiguous WAL
// writes and hands the run to the default VFS in one write:
//   - right after the page of a commit frame, so a commit is in the file before SQLite publishes
//     it (a kill -9 after the commit returned loses nothing, and other connections, which read
//     the file through their own handles, never see a published frame that is not there);
//   - before any other call on the file (read, sync, truncate, size, file control, close) and
//     before a write that does not continue the run, so the file looks exactly as without the
//     VFS to everything that looks at it;
//   - before it would grow past kMaxRun bytes, the most the unix VFS writes in one call, so a
//     large transaction (a bulk import) goes out in runs of up to 128 KiB.
// The WAL header (offset 0, written when the WAL starts over) is never held back. Frames held
// back are those of a transaction not committed yet, which SQLite ignores if they never reach the
// file. An error in a handover is returned by the call that triggered it, and that call is part
// of the transaction, so SQLite rolls the transaction back as it would for a failed write.
// Files other than WAL files (the database, the shared-memory index) go straight through.
#include "storage/sqlite_vfs.h"

#include <sqlite3.h>

#include <cstddef>
#include <mutex>
#include <new>
#include <string>

namespace phalanx::storage {
namespace {

constexpr const char* kVfsName = "phalanx-wal";
// The unix VFS writes at most this much per call: it masks a longer length (seekAndWriteFd) and
// then reports the database full. A run is handed over before it would grow past it.
constexpr size_t kMaxRun = 0x1ffff;
// SQLite writes each WAL frame header in one write of this size (the WAL file format).
constexpr int kFrameHeaderSize = 24;

// Our sqlite3_file; the default VFS's own file follows it in the same allocation (szOsFile).
struct File {
  sqlite3_file base;  // pMethods: kMethods, or nullptr when the open failed
  sqlite3_file* real;
  // WAL files only (nullptr otherwise): bytes written and not handed over yet, which belong at
  // pending_at in the file.
  std::string* pending;
  sqlite3_int64 pending_at;
  bool hand_over_after_next;  // the last write was a commit frame's header
};

constexpr size_t kFileSize =
    (sizeof(File) + alignof(std::max_align_t) - 1) & ~(alignof(std::max_align_t) - 1);

sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;

File* self(sqlite3_file* f) {
  return reinterpret_cast<File*>(f);
}
sqlite3_file* real(sqlite3_file* f) {
  return self(f)->real;
}
const sqlite3_io_methods* io(sqlite3_file* f) {
  return real(f)->pMethods;
}

// Hands what is held back to the default VFS, in one write.
int hand_over(File* f) {
  if (f->pending == nullptr || f->pending->empty()) return SQLITE_OK;
  const int rc = f->real->pMethods->xWrite(f->real, f->pending->data(),
                                           static_cast<int>(f->pending->size()), f->pending_at);
  f->pending->clear();
  f->hand_over_after_next = false;
  return rc;
}

int x_close(sqlite3_file* file) {
  File* f = self(file);
  int rc = hand_over(f);
  const int closed = f->real->pMethods->xClose(f->real);
  if (rc == SQLITE_OK) rc = closed;
  delete f->pending;
  f->pending = nullptr;
  return rc;
}

int x_read(sqlite3_file* file, void* out, int n, sqlite3_int64 at) {
  if (const int rc = hand_over(self(file)); rc != SQLITE_OK) return rc;
  return io(file)->xRead(real(file), out, n, at);
}

// Appends to the run; false when the memory for it cannot be had (no exception crosses into
// SQLite).
bool hold(File* f, const void* data, int n, sqlite3_int64 at) {
  try {
    if (f->pending->empty()) f->pending_at = at;
    f->pending->append(static_cast<const char*>(data), static_cast<size_t>(n));
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  }
}

int x_write(sqlite3_file* file, const void* data, int n, sqlite3_int64 at) {
  File* f = self(file);
  if (f->pending == nullptr) return io(file)->xWrite(real(file), data, n, at);
  // Taken before any hand-over below clears it: this may be the page of a commit frame.
  const bool ends_commit = f->hand_over_after_next;
  const auto* bytes = static_cast<const unsigned char*>(data);
  const bool commit_header =
      n == kFrameHeaderSize && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
  const size_t size = f->pending->size();
  const bool continues = size == 0 || at == f->pending_at + static_cast<sqlite3_int64>(size);
  if (!continues || size + static_cast<size_t>(n) > kMaxRun) {
    if (const int rc = hand_over(f); rc != SQLITE_OK) return rc;
  }
  // The WAL header, a piece too large for a run, or no memory: straight through, after the run.
  if (at == 0 || static_cast<size_t>(n) > kMaxRun || !hold(f, data, n, at)) {
    if (const int rc = hand_over(f); rc != SQLITE_OK) return rc;
    const int rc = io(file)->xWrite(real(file), data, n, at);
    f->hand_over_after_next = commit_header;
    return rc;
  }
  f->hand_over_after_next = commit_header;
  return ends_commit ? hand_over(f) : SQLITE_OK;
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (const int rc = hand_over(self(file)); rc != SQLITE_OK) return rc;
  return io(file)->xTruncate(real(file), size);
}

int x_sync(sqlite3_file* file, int flags) {
  if (const int rc = hand_over(self(file)); rc != SQLITE_OK) return rc;
  return io(file)->xSync(real(file), flags);
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  if (const int rc = hand_over(self(file)); rc != SQLITE_OK) return rc;
  return io(file)->xFileSize(real(file), size);
}

int x_lock(sqlite3_file* file, int level) {
  return io(file)->xLock(real(file), level);
}

int x_unlock(sqlite3_file* file, int level) {
  return io(file)->xUnlock(real(file), level);
}

int x_check_reserved_lock(sqlite3_file* file, int* out) {
  return io(file)->xCheckReservedLock(real(file), out);
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  if (const int rc = hand_over(self(file)); rc != SQLITE_OK) return rc;
  return io(file)->xFileControl(real(file), op, arg);
}

int x_sector_size(sqlite3_file* file) {
  return io(file)->xSectorSize(real(file));
}

int x_device_characteristics(sqlite3_file* file) {
  return io(file)->xDeviceCharacteristics(real(file));
}

int x_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  if (io(file)->iVersion < 2 || io(file)->xShmMap == nullptr) return SQLITE_IOERR;
  return io(file)->xShmMap(real(file), region, size, extend, out);
}

int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  if (io(file)->iVersion < 2 || io(file)->xShmLock == nullptr) return SQLITE_IOERR;
  return io(file)->xShmLock(real(file), offset, n, flags);
}

void x_shm_barrier(sqlite3_file* file) {
  if (io(file)->iVersion >= 2 && io(file)->xShmBarrier != nullptr)
    io(file)->xShmBarrier(real(file));
}

int x_shm_unmap(sqlite3_file* file, int delete_flag) {
  if (io(file)->iVersion < 2 || io(file)->xShmUnmap == nullptr) return SQLITE_OK;
  return io(file)->xShmUnmap(real(file), delete_flag);
}

int x_fetch(sqlite3_file* file, sqlite3_int64 at, int n, void** out) {
  if (io(file)->iVersion < 3 || io(file)->xFetch == nullptr) {
    *out = nullptr;  // no memory map: SQLite reads instead
    return SQLITE_OK;
  }
  return io(file)->xFetch(real(file), at, n, out);
}

int x_unfetch(sqlite3_file* file, sqlite3_int64 at, void* p) {
  if (io(file)->iVersion < 3 || io(file)->xUnfetch == nullptr) return SQLITE_OK;
  return io(file)->xUnfetch(real(file), at, p);
}

const sqlite3_io_methods kMethods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  File* f = self(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kFileSize);
  f->pending = nullptr;
  f->pending_at = 0;
  f->hand_over_after_next = false;
  const int rc = g_base->xOpen(g_base, name, f->real, flags, out_flags);
  if (f->real->pMethods == nullptr) return rc;  // nothing open: SQLite will not call xClose
  if ((flags & SQLITE_OPEN_WAL) != 0) {
    f->pending = new (std::nothrow) std::string();
    if (f->pending == nullptr) {
      f->real->pMethods->xClose(f->real);
      return SQLITE_NOMEM;
    }
  }
  f->base.pMethods = &kMethods;
  return rc;
}

}  // namespace

Result<const char*> wal_batching_vfs() {
  static std::once_flag once;
  static int rc = SQLITE_OK;
  std::call_once(once, [] {
    g_base = sqlite3_vfs_find(nullptr);
    if (g_base == nullptr) {
      rc = SQLITE_ERROR;
      return;
    }
    // Every method but xOpen is the default VFS's own, called with this copy, which holds the
    // same pAppData and mxPathname (all that the unix VFS's methods read of it).
    g_vfs = *g_base;
    g_vfs.szOsFile = static_cast<int>(kFileSize) + g_base->szOsFile;
    g_vfs.pNext = nullptr;
    g_vfs.zName = kVfsName;
    g_vfs.xOpen = x_open;
    rc = sqlite3_vfs_register(&g_vfs, 0);
  });
  if (rc != SQLITE_OK)
    return Error(std::string("registering the sqlite VFS ") + kVfsName + ": " + sqlite3_errstr(rc),
                 rc);
  return kVfsName;
}

}  // namespace phalanx::storage

// SPDX-License-Identifier: Apache-2.0
// The WAL-batching VFS: one write per commit, commits visible to other connections (through the
// default VFS) as soon as they return, large transactions in bounded runs, and files that the
// default VFS reads back intact. The writes are counted below SQLite's unix VFS, through its
// system-call override (xSetSystemCall), so the count is what reaches the kernel.
#include "storage/sqlite_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace phalanx::storage {
namespace {

std::atomic<int> g_writes{0};
sqlite3_syscall_ptr g_real_pwrite = nullptr;
sqlite3_syscall_ptr g_real_pwrite64 = nullptr;
sqlite3_syscall_ptr g_real_write = nullptr;

using PwriteFn = ssize_t (*)(int, const void*, size_t, off_t);
using WriteFn = ssize_t (*)(int, const void*, size_t);

// pwrite and pwrite64 have the same shape; `real` is the one this wrapper stands in for.
template <sqlite3_syscall_ptr* real>
ssize_t counting_pwrite(int fd, const void* buf, size_t n, off_t at) {
  ++g_writes;
  return reinterpret_cast<PwriteFn>(*real)(fd, buf, n, at);
}
ssize_t counting_write(int fd, const void* buf, size_t n) {
  ++g_writes;
  return reinterpret_cast<WriteFn>(g_real_write)(fd, buf, n);
}

// Counts the unix VFS's write system calls while it lives (whichever of the three this SQLite
// build uses).
class WriteCounter {
 public:
  WriteCounter() : vfs_(sqlite3_vfs_find("unix")) {
    g_writes = 0;
    hook("pwrite", g_real_pwrite,
         reinterpret_cast<sqlite3_syscall_ptr>(counting_pwrite<&g_real_pwrite>));
    hook("pwrite64", g_real_pwrite64,
         reinterpret_cast<sqlite3_syscall_ptr>(counting_pwrite<&g_real_pwrite64>));
    hook("write", g_real_write, reinterpret_cast<sqlite3_syscall_ptr>(counting_write));
  }
  ~WriteCounter() {
    for (const char* name : {"pwrite", "pwrite64", "write"})
      vfs_->xSetSystemCall(vfs_, name, nullptr);  // back to the default
  }
  int writes() const { return g_writes; }

 private:
  void hook(const char* name, sqlite3_syscall_ptr& real, sqlite3_syscall_ptr counting) {
    real = vfs_->xGetSystemCall(vfs_, name);
    if (real != nullptr) vfs_->xSetSystemCall(vfs_, name, counting);
  }
  sqlite3_vfs* vfs_;
};

class SqliteVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phalanx-vfs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/t.db";
    auto vfs = wal_batching_vfs();
    ASSERT_TRUE(vfs) << vfs.error().message();
    vfs_ = *vfs;
  }
  void TearDown() override {
    for (sqlite3* db : open_)
      sqlite3_close_v2(db);
    std::filesystem::remove_all(dir_);
  }

  // A connection in WAL mode that never checkpoints by itself (so only the WAL is written).
  sqlite3* open(const char* vfs) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
              SQLITE_OK);
    open_.push_back(db);
    exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;");
    return db;
  }
  static void exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err != nullptr ? err : "") << " in " << sql;
  }
  static int64_t count(sqlite3* db, const char* table) {
    sqlite3_stmt* st = nullptr;
    const std::string sql = std::string("SELECT count(*) FROM ") + table;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    const int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
  }
  static std::string integrity(sqlite3* db) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
    std::string out = sqlite3_step(st) == SQLITE_ROW
                          ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0))
                          : sqlite3_errmsg(db);
    sqlite3_finalize(st);
    return out;
  }
  // A table whose every insert dirties five pages: the row and four indexes.
  static void create_schema(sqlite3* db) {
    exec(db,
         "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, d TEXT);"
         "CREATE INDEX t_a ON t (a); CREATE INDEX t_b ON t (b); CREATE INDEX t_c ON t (c);"
         "CREATE INDEX t_d ON t (d);");
  }
  static void insert_row(sqlite3* db, int i) {
    const std::string v = std::to_string(i * 7919 % 1000) + std::string(40, 'x');
    exec(db, "INSERT INTO t (a, b, c, d) VALUES ('a" + v + "', 'b" + v + "', 'c" + v + "', 'd" + v +
                 "')");
  }
  // Writes that reach the kernel for one single-row commit on a warmed-up WAL.
  int writes_per_commit(const char* vfs) {
    sqlite3* db = open(vfs);
    create_schema(db);
    insert_row(db, 0);
    WriteCounter counter;
    insert_row(db, 1);
    return counter.writes();
  }

  std::string dir_;
  std::string path_;
  const char* vfs_ = nullptr;  // the WAL-batching VFS
  std::vector<sqlite3*> open_;
};

TEST_F(SqliteVfsTest, ACommitIsOneWrite) {
  EXPECT_EQ(writes_per_commit(vfs_), 1);
}

TEST_F(SqliteVfsTest, TheDefaultVfsWritesTwicePerPage) {
  // The baseline the VFS exists for: header and page apart, five pages or more.
  EXPECT_GE(writes_per_commit(nullptr), 10);
}

TEST_F(SqliteVfsTest, EveryCommitIsVisibleToTheDefaultVfsAtOnce) {
  sqlite3* writer = open(vfs_);
  create_schema(writer);
  sqlite3* reader = open(nullptr);
  for (int i = 0; i < 300; ++i) {
    insert_row(writer, i);
    ASSERT_EQ(count(reader, "t"), i + 1) << "commit " << i << " not in the file yet";
  }
}

// Commits of 1 to 80 rows: some of them end exactly where a run reaches its size limit, so the
// commit frame's page is the write that makes the VFS hand the run over early.
TEST_F(SqliteVfsTest, CommitsOfEverySizeAreWholeWhenPublished) {
  sqlite3* writer = open(vfs_);
  create_schema(writer);
  sqlite3* reader = open(nullptr);
  int rows = 0;
  for (int k = 1; k <= 80; ++k) {
    exec(writer, "BEGIN");
    for (int i = 0; i < k; ++i)
      insert_row(writer, rows++);
    exec(writer, "COMMIT");
    ASSERT_EQ(integrity(reader), "ok") << "after the commit of " << k << " rows";
    ASSERT_EQ(count(reader, "t"), rows);
  }
}

TEST_F(SqliteVfsTest, ALargeTransactionGoesOutInBoundedRuns) {
  sqlite3* writer = open(vfs_);
  create_schema(writer);
  exec(writer, "PRAGMA cache_size=-200000");  // no spill: every page goes out at the commit
  WriteCounter counter;
  exec(writer, "BEGIN");
  for (int i = 0; i < 40000; ++i)
    insert_row(writer, i);
  exec(writer, "COMMIT");
  const auto wal_bytes = std::filesystem::file_size(path_ + "-wal");
  ASSERT_GT(wal_bytes, 4u << 20);
  // Runs of at most 128 KiB: the unix VFS cannot take more in one call.
  EXPECT_GE(counter.writes(), static_cast<int>(wal_bytes / (128u << 10)));
  sqlite3* reader = open(nullptr);
  EXPECT_EQ(count(reader, "t"), 40000);
}

TEST_F(SqliteVfsTest, SpilledPagesReadBackAndTheWalAloneHoldsTheData) {
  sqlite3* writer = open(vfs_);
  create_schema(writer);
  exec(writer, "PRAGMA cache_size=50");  // the transaction spills pages to the WAL mid-way
  exec(writer, "BEGIN");
  for (int i = 0; i < 20000; ++i)
    insert_row(writer, i);
  EXPECT_EQ(count(writer, "t"), 20000);  // reads pages it spilled
  exec(writer, "COMMIT");
  // Close without a checkpoint: the WAL on disk alone must hold the data.
  for (sqlite3* db : open_)
    sqlite3_close_v2(db);
  open_.clear();
  sqlite3* again = open(nullptr);
  EXPECT_EQ(count(again, "t"), 20000);
  EXPECT_EQ(integrity(again), "ok");
}

TEST_F(SqliteVfsTest, ARolledBackTransactionLeavesNothing) {
  sqlite3* writer = open(vfs_);
  create_schema(writer);
  exec(writer, "PRAGMA cache_size=50");
  insert_row(writer, 0);
  exec(writer, "BEGIN");
  for (int i = 0; i < 5000; ++i)
    insert_row(writer, i);
  exec(writer, "ROLLBACK");
  insert_row(writer, 1);
  sqlite3* reader = open(nullptr);
  EXPECT_EQ(count(reader, "t"), 2);
  EXPECT_EQ(count(writer, "t"), 2);
}

}  // namespace
}  // namespace phalanx::storage

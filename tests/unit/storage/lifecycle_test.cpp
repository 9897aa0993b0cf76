// SPDX-License-Identifier: Apache-2.0
// Opening, migrations, concurrent writers, change watching between two Store objects, and
// durability when the writing process is killed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "storage/migrations.h"
#include "store_fixture.h"

namespace phalanx::storage::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::hours;

AlertFilter all_alerts() {
  AlertFilter f;
  f.limit = 0;
  return f;
}

class LifecycleTest : public StoreTest {
 protected:
  std::unique_ptr<Store> open_other() {
    auto s = open_store(url_);
    EXPECT_TRUE(s) << s.error().message();
    return s ? std::move(s).value() : nullptr;
  }
};

TEST_P(LifecycleTest, MigrationsAreAppliedOnceAndDataSurvivesReopen) {
  Alert a = make_alert("s", "192.0.2.1", kT0);
  a.decisions.push_back(make_decision("192.0.2.1", kT0, kT0 + hours(1)));
  std::vector<Alert> in{a};
  ASSERT_TRUE(store_->insert_alerts(in));
  auto second = open_other();  // migrations find everything applied, with the first still open
  ASSERT_TRUE(second);
  second.reset();
  store_.reset();
  auto s = open_store(url_);
  ASSERT_TRUE(s) << s.error().message();
  store_ = std::move(s).value();
  auto got = store_->get_alert(in[0].id);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->decisions.size(), 1u);
  auto rev = store_->max_rev();
  ASSERT_TRUE(rev);
  EXPECT_EQ(*rev, in[0].decisions[0].rev);

  auto conn = raw();
  ASSERT_TRUE(conn);
  std::vector<int64_t> versions;
  ASSERT_TRUE(conn->run("SELECT version FROM schema_migrations ORDER BY version", {},
                        [&](const Row& r) { versions.push_back(r.i64(0)); }));
  std::vector<int64_t> every;  // each migration once, in order
  for (int64_t v = 1; v <= latest_schema_version(); ++v)
    every.push_back(v);
  EXPECT_EQ(versions, every);
}

TEST_P(LifecycleTest, RefusesADatabaseFromANewerBuild) {
  auto conn = raw();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->exec(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)"));
  store_.reset();
  auto s = open_store(url_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("schema version 999 is newer"), std::string::npos)
      << s.error().message();
}

TEST_P(LifecycleTest, ConcurrentWritersGetUniqueContiguousRevs) {
  auto other = open_other();  // a second Store stands for a second process or LAPI instance
  ASSERT_TRUE(other);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 60;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    Store* target = t % 2 == 0 ? store_.get() : other.get();
    threads.emplace_back([&, target, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string ip = "10.0." + std::to_string(t) + "." + std::to_string(i);
        Alert a = make_alert("s", ip, kT0);
        a.decisions.push_back(make_decision(ip, kT0, kT0 + hours(1)));
        std::vector<Alert> v{a};
        if (!target->insert_alerts(v)) ++failures;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = store_->decisions_after(0);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < rows->size(); ++i)
    EXPECT_EQ((*rows)[i].rev, static_cast<int64_t>(i + 1));
  std::set<int64_t> ids;
  for (const auto& d : *rows)
    ids.insert(d.id);
  EXPECT_EQ(ids.size(), rows->size());
  auto alerts = store_->query_alerts(all_alerts(), kT0);
  ASSERT_TRUE(alerts);
  EXPECT_EQ(alerts->size(), static_cast<size_t>(kThreads * kPerThread));
}

// The SQLite writer checkpoints the WAL from its own thread: pages reach the database file
// soon after the WAL passes 1000 pages, long before a commit would do it inline (8000).
TEST_P(LifecycleTest, SqliteWalIsCheckpointedInTheBackground) {
  if (!is_sqlite()) GTEST_SKIP() << "WAL checkpoints are SQLite's";
  std::string db = url_.substr(9);
  auto file_size = [](const std::string& path) -> uintmax_t {
    std::error_code ec;
    auto n = std::filesystem::file_size(path, ec);
    return ec ? 0 : n;
  };
  uintmax_t before = file_size(db);
  for (int i = 0; i < 300; ++i) {
    std::string ip = "10.2." + std::to_string(i / 250) + "." + std::to_string(i % 250);
    Alert a = make_alert("wal", ip, kT0);
    a.message = std::string(2000, 'm');  // about one page per alert row
    a.decisions.push_back(make_decision(ip, kT0, kT0 + hours(1)));
    std::vector<Alert> v{a};
    ASSERT_TRUE(store_->insert_alerts(v));
  }
  EXPECT_GT(file_size(db + "-wal"), uintmax_t{1000} * 4096);
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (file_size(db) < before + 300 * 2000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(file_size(db), before + 300 * 2000) << "database file still " << file_size(db);
}

// Concurrent calls share a commit; a call whose rows the database refuses must fail alone.
// PostgreSQL refuses text that is not UTF-8; SQLite stores any bytes, so it has no such call.
TEST_P(LifecycleTest, AFailingCallDoesNotFailTheCallsItSharesACommitWith) {
  if (is_sqlite()) GTEST_SKIP() << "SQLite accepts every byte string; no refused row to send";
  constexpr int kCalls = 40;
  std::atomic<int> good_failed{0}, bad_succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        std::string ip = "10.1." + std::to_string(t) + "." + std::to_string(i);
        Alert a = make_alert(t == 3 ? "bad\xff\xfe" : "good", ip, kT0);
        a.decisions.push_back(make_decision(ip, kT0, kT0 + hours(1)));
        std::vector<Alert> v{a};
        bool ok = store_->insert_alerts(v).has_value();
        if (t == 3 && ok) ++bad_succeeded;
        if (t != 3 && !ok) ++good_failed;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(good_failed.load(), 0);
  EXPECT_EQ(bad_succeeded.load(), 0);
  auto alerts = store_->query_alerts(all_alerts(), kT0);
  ASSERT_TRUE(alerts);
  EXPECT_EQ(alerts->size(), 3u * kCalls);
  auto rows = store_->decisions_after(0);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u * kCalls);
  // Revs stay gap-free: a rolled-back group gives its revs back.
  for (size_t i = 0; i < rows->size(); ++i)
    EXPECT_EQ((*rows)[i].rev, static_cast<int64_t>(i + 1));
}

TEST_P(LifecycleTest, WatcherSeesDecisionsWrittenThroughAnotherStore) {
  auto other = open_other();
  ASSERT_TRUE(other);
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  store_->watch_decisions([&] {
    std::lock_guard lock(mu);
    ++calls;
    cv.notify_all();
  });

  auto start = std::chrono::steady_clock::now();
  std::vector<Decision> d{make_decision("192.0.2.50", kT0, kT0 + hours(1), "cscli")};
  ASSERT_TRUE(other->insert_decisions(d));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 3s, [&] { return calls > 0; })) << "no wakeup within 3s";
  }
  auto latency = std::chrono::steady_clock::now() - start;
  EXPECT_LT(latency, 1s);
  auto seen = store_->decisions_after(0);
  ASSERT_TRUE(seen);
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].value, "192.0.2.50");

  // An expiry wakes it again; an alert without decisions does not.
  int before = calls;
  std::vector<int64_t> ids{d[0].id};
  ASSERT_TRUE(other->expire_decisions(ids, kT0));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 3s, [&] { return calls > before; }));
  }
  std::this_thread::sleep_for(400ms);
  {
    std::lock_guard lock(mu);
    before = calls;
  }
  std::vector<Alert> quiet{make_alert("s", "192.0.2.51", kT0)};
  ASSERT_TRUE(other->insert_alerts(quiet));
  std::this_thread::sleep_for(600ms);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(calls, before);
  }
  store_->stop_watching();
}

// A child inserts alerts one call at a time and reports each id as soon as insert_alerts
// returns; it is SIGKILLed mid-burst. Every reported id must be in the database afterwards.
TEST_P(LifecycleTest, InsertsThatReturnedSurviveKillDashNine) {
  store_.reset();  // no connection crosses the fork
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto s = open_store(url_);
    if (!s) _exit(2);
    for (int i = 0;; ++i) {
      std::string ip = "10.9." + std::to_string((i / 250) % 250) + "." + std::to_string(i % 250);
      Alert a = make_alert("crash", ip, kT0);
      a.decisions.push_back(make_decision(ip, kT0, kT0 + hours(4)));
      std::vector<Alert> v{a};
      auto ids = (*s)->insert_alerts(v);
      if (!ids) _exit(3);
      int64_t id = ids->front();
      if (write(fds[1], &id, sizeof id) != sizeof id) _exit(4);
    }
  }
  close(fds[1]);
  std::vector<int64_t> reported;
  int64_t id = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (reported.size() < 300 && std::chrono::steady_clock::now() < deadline &&
         read(fds[0], &id, sizeof id) == sizeof id) {
    reported.push_back(id);
  }
  kill(pid, SIGKILL);
  while (read(fds[0], &id, sizeof id) == sizeof id)
    reported.push_back(id);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself, status " << status;
  ASSERT_GE(reported.size(), 300u);

  auto s = open_store(url_);
  ASSERT_TRUE(s) << s.error().message();
  store_ = std::move(s).value();
  auto alerts = store_->query_alerts(all_alerts(), kT0);
  ASSERT_TRUE(alerts);
  std::set<int64_t> present;
  for (const auto& a : *alerts) {
    present.insert(a.id);
    EXPECT_EQ(a.decisions.size(), 1u);  // an alert and its decision commit together
  }
  size_t lost = 0;
  for (int64_t r : reported)
    lost += present.contains(r) ? 0 : 1;
  EXPECT_EQ(lost, 0u) << "of " << reported.size() << " reported ids";
}

INSTANTIATE_TEST_SUITE_P(Backends, LifecycleTest, ::testing::Values(kSqlite, kPostgres),
                         backend_name);

TEST(OpenStore, ExplainsBadUrls) {
  auto bad_scheme = open_store("mysql://root@127.0.0.1/phalanx");
  ASSERT_FALSE(bad_scheme);
  EXPECT_EQ(bad_scheme.error().message(),
            "opening store mysql://root@127.0.0.1/phalanx: unsupported scheme 'mysql' (sqlite, "
            "postgresql or postgres)");
  auto relative = open_store("sqlite://phalanx.db");
  ASSERT_FALSE(relative);
  EXPECT_NE(relative.error().message().find("needs an absolute path"), std::string::npos);
  auto empty = open_store("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message(), "opening store : empty store URL");
  auto no_dir = open_store("sqlite:///nonexistent-phalanx-dir/sub/phalanx.db");
  ASSERT_FALSE(no_dir);
  EXPECT_NE(no_dir.error().message().find(
                "opening sqlite database /nonexistent-phalanx-dir/sub/phalanx.db: unable to open"),
            std::string::npos)
      << no_dir.error().message();
}

TEST(OpenStore, AcceptsABarePath) {
  char tmpl[] = "/tmp/phalanx-storage-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/bare.db";
  {
    auto s = open_store(path);
    ASSERT_TRUE(s) << s.error().message();
    std::vector<Decision> d{make_decision("192.0.2.1", kT0, kT0 + hours(1))};
    ASSERT_TRUE((*s)->insert_decisions(d));
  }
  auto again = open_store("sqlite://" + path);  // the same file through the URL form
  ASSERT_TRUE(again) << again.error().message();
  auto rev = (*again)->max_rev();
  ASSERT_TRUE(rev);
  EXPECT_EQ(*rev, 1);
  again->reset();
  std::filesystem::remove_all(tmpl);
}

TEST(OpenStore, UnreachablePostgresFailsWithoutLeakingThePassword) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto s = open_store("postgresql://phalanx:s3cret@127.0.0.1:1/phalanx?connect_timeout=2");
  ASSERT_FALSE(s);
  const std::string& msg = s.error().message();
  EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
  EXPECT_EQ(msg.rfind("opening store postgresql://phalanx:***@127.0.0.1:1/phalanx", 0), 0u) << msg;
  EXPECT_NE(msg.find("connecting to"), std::string::npos) << msg;
}

}  // namespace
}  // namespace phalanx::storage::test

// SPDX-License-Identifier: Apache-2.0
// The LAPI's alert writer over a real SQLite store: every call answered with its own ids,
// queued calls stored together, and a call the database refuses failing alone.
#include "lapi/alert_writer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <latch>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/db.h"
#include "storage/store.h"

namespace phalanx::lapi {
namespace {

const TimePoint kNow = TimePoint(std::chrono::seconds(1'700'000'000));

storage::Alert alert(const std::string& scenario, const std::string& ip) {
  storage::Alert a;
  a.scenario = scenario;
  a.machine_id = "agent";
  a.created_at = kNow;
  a.source.scope = "Ip";
  a.source.value = ip;
  a.source.ip = ip;
  storage::Decision d;
  d.scenario = scenario;
  d.type = "ban";
  d.scope = "Ip";
  d.value = ip;
  d.origin = "crowdsec";
  d.created_at = kNow;
  d.until = kNow + std::chrono::hours(4);
  a.decisions.push_back(d);
  return a;
}

class AlertWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phalanx-writer-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto s = storage::open_store("sqlite://" + dir_ + "/phalanx.db");
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Submits one call and waits for its outcome.
  static Result<std::vector<int64_t>> call(AlertWriter& w, std::vector<storage::Alert> alerts) {
    std::promise<Result<std::vector<int64_t>>> p;
    auto f = p.get_future();
    w.submit(std::move(alerts), [&p](Result<std::vector<int64_t>> ids) { p.set_value(ids); });
    return f.get();
  }

  std::string dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(AlertWriterTest, ConcurrentCallsAreEachAnsweredWithTheirOwnIds) {
  std::mutex mu;
  size_t stored = 0;
  AlertWriter writer(*store_, [&](std::span<const storage::Alert> alerts) {
    std::lock_guard lock(mu);
    for (const auto& a : alerts) {
      EXPECT_GT(a.id, 0);
      ASSERT_EQ(a.decisions.size(), 1u);
      EXPECT_GT(a.decisions[0].rev, 0);  // filled in before the hook sees it
    }
    stored += alerts.size();
  });
  constexpr int kThreads = 8, kCalls = 40;
  std::vector<std::vector<std::pair<int64_t, std::string>>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string scenario = "test/t" + std::to_string(t) + "-" + std::to_string(i);
        // Every fifth call carries two alerts: ids come back per call, in order.
        std::vector<storage::Alert> alerts{alert(scenario, "198.51.100." + std::to_string(t))};
        if (i % 5 == 0) alerts.push_back(alert(scenario + "-b", "203.0.113." + std::to_string(t)));
        auto ids = call(writer, alerts);
        ASSERT_TRUE(ids) << ids.error().message();
        ASSERT_EQ(ids->size(), alerts.size());
        for (size_t k = 0; k < ids->size(); ++k)
          got[t].emplace_back((*ids)[k], alerts[k].scenario);
      }
    });
  }
  for (auto& th : threads)
    th.join();

  const size_t expected = kThreads * (kCalls + kCalls / 5);
  std::set<int64_t> ids;
  for (const auto& per_thread : got) {
    for (const auto& [id, scenario] : per_thread) {
      EXPECT_TRUE(ids.insert(id).second) << "id " << id << " answered twice";
      auto row = store_->get_alert(id);
      ASSERT_TRUE(row) << row.error().message();
      ASSERT_TRUE(row->has_value()) << "alert " << id << " is not stored";
      EXPECT_EQ((*row)->scenario, scenario) << "id " << id << " answered to the wrong call";
    }
  }
  EXPECT_EQ(ids.size(), expected);
  storage::AlertFilter all;
  all.limit = 0;
  auto rows = store_->query_alerts(all, kNow);
  ASSERT_TRUE(rows) << rows.error().message();
  EXPECT_EQ(rows->size(), expected);
  EXPECT_EQ(stored, expected);
  EXPECT_EQ(writer.calls(), uint64_t(kThreads * kCalls));
  EXPECT_LE(writer.commits(), writer.calls());
}

TEST_F(AlertWriterTest, CallsQueuedDuringACommitShareTheNextAndARefusedOneFailsAlone) {
  // The database refuses one scenario, as a constraint or a full disk would refuse a write.
  {
    auto conn = storage::open_sqlite(dir_ + "/phalanx.db", storage::ConnRole::kWriter);
    ASSERT_TRUE(conn) << conn.error().message();
    ASSERT_TRUE(
        (*conn)->exec("CREATE TRIGGER refuse BEFORE INSERT ON alerts "
                      "WHEN NEW.scenario = 'test/refused' "
                      "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"));
  }
  // The first commit's hook holds the writer until three more calls are queued behind it.
  std::latch queued(1);
  int hooks = 0;
  AlertWriter writer(*store_, [&](std::span<const storage::Alert>) {
    if (hooks++ == 0) queued.wait();
  });
  auto first = std::async(std::launch::async,
                          [&] { return call(writer, {alert("test/first", "198.51.100.1")}); });
  while (writer.calls() == 0)
    std::this_thread::yield();
  std::vector<std::future<Result<std::vector<int64_t>>>> rest;
  for (const char* scenario : {"test/ok-a", "test/refused", "test/ok-b"}) {
    rest.push_back(std::async(std::launch::async, [&writer, scenario] {
      return call(writer, {alert(scenario, "203.0.113.7")});
    }));
  }
  while (writer.queued() < 3)
    std::this_thread::yield();
  queued.count_down();

  ASSERT_TRUE(first.get());
  auto ok_a = rest[0].get();
  auto refused = rest[1].get();
  auto ok_b = rest[2].get();
  ASSERT_TRUE(ok_a) << ok_a.error().message();
  ASSERT_TRUE(ok_b) << ok_b.error().message();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("refused by the test"), std::string::npos)
      << refused.error().message();
  // One commit for the first call, one shared attempt for the three, then one each.
  EXPECT_EQ(writer.calls(), 4u);
  EXPECT_EQ(writer.commits(), 5u);
  for (int64_t id : {ok_a->at(0), ok_b->at(0)}) {
    auto row = store_->get_alert(id);
    ASSERT_TRUE(row && row->has_value()) << "alert " << id << " is not stored";
  }
  storage::AlertFilter refused_rows;
  refused_rows.scenario = "test/refused";
  auto none = store_->query_alerts(refused_rows, kNow);
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_TRUE(none->empty());
}

TEST_F(AlertWriterTest, WhatIsQueuedAtShutdownIsStored) {
  std::vector<std::future<Result<std::vector<int64_t>>>> pending;
  auto writer = std::make_unique<AlertWriter>(*store_, nullptr);
  std::vector<std::promise<Result<std::vector<int64_t>>>> promises(20);
  for (int i = 0; i < 20; ++i) {
    pending.push_back(promises[i].get_future());
    writer->submit({alert("test/q" + std::to_string(i), "198.51.100.9")},
                   [&promises, i](Result<std::vector<int64_t>> ids) {
                     promises[i].set_value(std::move(ids));
                   });
  }
  writer.reset();  // stores all twenty, then stops
  for (auto& f : pending) {
    auto ids = f.get();
    ASSERT_TRUE(ids) << ids.error().message();
  }
  storage::AlertFilter all;
  all.limit = 0;
  auto rows = store_->query_alerts(all, kNow);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 20u);
}

}  // namespace
}  // namespace phalanx::lapi

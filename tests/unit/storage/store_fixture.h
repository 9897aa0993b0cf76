// SPDX-License-Identifier: Apache-2.0
// The storage conformance fixture: every TEST_P runs once per backend. SQLite gets a fresh file
// in a temporary directory; PostgreSQL a fresh database on the server named by
// PHALANX_TEST_PG_URL (scripts/with-postgres.sh starts a private one), dropped afterwards.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "storage/db.h"
#include "storage/store.h"

namespace phalanx::storage::test {

inline constexpr const char* kSqlite = "sqlite";
inline constexpr const char* kPostgres = "postgres";

// 2023-11-14T22:13:20Z, a fixed "now" for every test.
inline const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

// Replaces the database name of a postgresql:// URL.
inline std::string with_dbname(const std::string& url, const std::string& db) {
  size_t auth = url.find("://");
  size_t slash = url.find('/', auth == std::string::npos ? 0 : auth + 3);
  size_t query = url.find('?');
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  std::string head = url.substr(0, std::min(slash, query));
  return head + "/" + db + tail;
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == kSqlite) {
      char tmpl[] = "/tmp/phalanx-storage-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
      url_ = "sqlite://" + dir_ + "/phalanx.db";
    } else {
      const char* base = std::getenv("PHALANX_TEST_PG_URL");
      if (base == nullptr || *base == '\0') {
        GTEST_SKIP() << "PHALANX_TEST_PG_URL is not set; run the PostgreSQL cases with "
                        "scripts/with-postgres.sh (ctest -L pg)";
      }
      static std::atomic<int> counter{0};
      admin_url_ = base;
      db_ = "phalanx_t_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
      auto admin = open_postgres(admin_url_);
      ASSERT_TRUE(admin) << admin.error().message();
      ASSERT_TRUE((*admin)->exec("DROP DATABASE IF EXISTS " + db_));
      auto created = (*admin)->exec("CREATE DATABASE " + db_);
      ASSERT_TRUE(created) << created.error().message();
      url_ = with_dbname(admin_url_, db_);
    }
    auto s = open_store(url_);
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(s).value();
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!db_.empty()) {
      if (auto admin = open_postgres(admin_url_)) {
        (void)(*admin)->exec("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
      }
    }
  }

  bool is_sqlite() const { return GetParam() == kSqlite; }

  // A raw connection to the test database, for checks below the Store interface.
  std::unique_ptr<Conn> raw() {
    auto c = is_sqlite() ? open_sqlite(url_.substr(9)) : open_postgres(url_);
    EXPECT_TRUE(c) << c.error().message();
    return c ? std::move(c).value() : nullptr;
  }

  std::string url_;
  std::unique_ptr<Store> store_;

 private:
  std::string dir_;
  std::string admin_url_;
  std::string db_;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// An alert from `ip` (scope Ip) created at `created`, with decisions added by the caller.
inline Alert make_alert(const std::string& scenario, const std::string& ip, TimePoint created) {
  Alert a;
  a.uuid = "uuid-" + scenario + "-" + ip;
  a.machine_id = "machine-1";
  a.created_at = created;
  a.start_at = created - std::chrono::seconds(10);
  a.stop_at = created;
  a.scenario = scenario;
  a.scenario_hash = "hash";
  a.scenario_version = "0.1";
  a.message = "Ip " + ip + " performed '" + scenario + "'";
  a.leakspeed = "10s";
  a.kind = "crowdsec";
  a.capacity = 5;
  a.events_count = 6;
  a.remediation = true;
  a.source.scope = "Ip";
  a.source.value = ip;
  a.source.ip = ip;
  return a;
}

inline Decision make_decision(const std::string& value, TimePoint created, TimePoint until,
                              const std::string& origin = "crowdsec",
                              const std::string& type = "ban") {
  Decision d;
  d.uuid = "d-" + value;
  d.created_at = created;
  d.until = until;
  d.scenario = "crowdsecurity/ssh-bf";
  d.type = type;
  d.scope = value.find('/') == std::string::npos ? "Ip" : "Range";
  d.value = value;
  d.origin = origin;
  return d;
}

}  // namespace phalanx::storage::test

// SPDX-License-Identifier: Apache-2.0
// A real LAPI for tests: SQLite store in a temporary directory, the Beast server on
// 127.0.0.1:<any free port>, and cpp-httplib clients talking to it.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/clock.h"
#include "lapi/auth.h"
#include "lapi/decision_json.h"
#include "lapi/lapi.h"
#include "lapi/server.h"
#include "storage/store.h"

namespace phalanx::lapi::test {

inline std::string gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class LapiTest : public ::testing::Test {
 protected:
  void SetUp() override { start(LapiOptions{}); }

  void start(LapiOptions options, std::optional<TlsOptions> tls = std::nullopt) {
    server_.reset();
    lapi_.reset();
    store_.reset();
    if (dir_.empty()) {
      char tmpl[] = "/tmp/phalanx-lapi-XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      dir_ = tmpl;
    }
    auto store = storage::open_store("sqlite://" + dir_ + "/phalanx.db");
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    options.password_iterations = 1000;  // fast logins in tests
    auto lapi = Lapi::create(*store_, std::move(options), clock_);
    ASSERT_TRUE(lapi) << lapi.error().message();
    lapi_ = std::move(*lapi);
    ServerOptions so;
    so.address = "127.0.0.1";
    so.port = 0;
    so.threads = threads_;
    so.tls = std::move(tls);
    so.tcp = tcp_;
    so.socket_path = socket_path_;
    so.socket_mode = socket_mode_;
    auto server = Server::start(so, *lapi_);
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
  }

  int threads_ = 2;  // server threads (io_contexts) of the next start()
  // The listeners of the next start(): TCP, and a Unix socket when the path is set.
  bool tcp_ = true;
  std::string socket_path_;
  unsigned socket_mode_ = 0660;

  void TearDown() override {
    server_.reset();
    lapi_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<httplib::Client> client(const std::string& from = "") {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    if (!from.empty()) c->set_interface(from);
    c->set_read_timeout(30, 0);
    return c;
  }

  // A client of the Unix socket (socket_path_), sending Host: unix as CrowdSec's do.
  std::unique_ptr<httplib::Client> unix_client() {
    auto c = std::make_unique<httplib::Client>(socket_path_, 80);
    c->set_address_family(AF_UNIX);
    c->set_default_headers({{"Host", "unix"}});
    c->set_read_timeout(30, 0);
    return c;
  }

  // A bouncer with a fresh key; returns the key.
  std::string add_bouncer(const std::string& name) {
    const std::string key = generate_api_key();
    storage::Bouncer b;
    b.name = name;
    b.api_key_hash = hash_api_key(key);
    b.created_at = b.updated_at = clock_.now();
    EXPECT_TRUE(store_->add_bouncer(b));
    return key;
  }

  void add_machine(const std::string& id, const std::string& password, bool validated = true) {
    storage::Machine m;
    m.machine_id = id;
    m.password_hash = hash_password(password, 1000);
    m.is_validated = validated;
    m.created_at = m.updated_at = clock_.now();
    ASSERT_TRUE(store_->add_machine(m));
  }

  httplib::Result login(const std::string& id, const std::string& password,
                        const std::string& ua = "crowdsec/v1.6.0") {
    const nlohmann::json body = {
        {"machine_id", id}, {"password", password}, {"scenarios", {"a/b"}}};
    return client()->Post("/v1/watchers/login", {{"User-Agent", ua}}, body.dump(),
                          "application/json");
  }

  // Logs in a fresh validated machine and returns its token.
  std::string machine_token(const std::string& id = "agent1") {
    add_machine(id, "secret-password");
    auto res = login(id, "secret-password");
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, 200) << res->body;
    return nlohmann::json::parse(res->body).value("token", "");
  }

  static httplib::Headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}, {"User-Agent", "crowdsec/v1.6.0"}};
  }
  static httplib::Headers api_key(const std::string& key) {
    return {{"X-Api-Key", key}, {"User-Agent", "crowdsec-firewall-bouncer/v0.0.25"}};
  }

  // One alert on `ip` carrying one decision (type ban, `duration`), or none when empty.
  nlohmann::json alert(const std::string& ip, const std::string& duration = "4h",
                       const std::string& scope = "Ip",
                       const std::string& scenario = "crowdsecurity/ssh-bf") {
    const std::string now = format_time_rfc3339(clock_.now());
    nlohmann::json a = {
        {"capacity", 5},
        {"events_count", 6},
        {"leakspeed", "10s"},
        {"message", "test alert"},
        {"scenario", scenario},
        {"scenario_hash", "abc"},
        {"scenario_version", "0.1"},
        {"simulated", false},
        {"source", {{"scope", scope}, {"value", ip}}},
        {"start_at", now},
        {"stop_at", now},
        {"events", {{{"timestamp", now}, {"meta", {{{"key", "source_ip"}, {"value", ip}}}}}}},
    };
    if (!duration.empty()) {
      a["decisions"] = {{{"duration", duration},
                         {"origin", "cscli"},
                         {"scenario", scenario},
                         {"scope", scope},
                         {"type", "ban"},
                         {"value", ip}}};
    }
    return a;
  }

  // POSTs alerts; returns the response.
  httplib::Result post_alerts(const std::string& token, const nlohmann::json& alerts) {
    return client()->Post("/v1/alerts", bearer(token), alerts.dump(), "application/json");
  }

  ManualClock clock_{
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now())};
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Lapi> lapi_;
  std::unique_ptr<Server> server_;
};

}  // namespace phalanx::lapi::test

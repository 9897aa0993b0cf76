// SPDX-License-Identifier: Apache-2.0
// The agent's LAPI client against a real Phalanx LAPI in-process: an SQLite store in a
// temporary directory and the Beast server on 127.0.0.1. A small forwarding proxy injects the
// 429/503 answers a busy LAPI gives.
#include "agent/lapi_client.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/credentials.h"
#include "agent/spool.h"
#include "agent/usage.h"
#include "core/clock.h"
#include "lapi/alert_json.h"
#include "lapi/auth.h"
#include "lapi/decision_json.h"
#include "lapi/lapi.h"
#include "lapi/server.h"
#include "storage/store.h"

namespace phalanx::agent {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "agent-password-0123456789";

// Polls `pred` every 5 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// Forwards every request to the LAPI, except that the first `fail_alerts` POST /v1/alerts get
// `alerts_status` and the first `fail_logins` logins get 429.
class Proxy {
 public:
  Proxy(uint16_t lapi_port, int fail_alerts, int alerts_status, int fail_logins)
      : lapi_port_(lapi_port),
        fail_alerts_(fail_alerts),
        alerts_status_(alerts_status),
        fail_logins_(fail_logins) {
    const auto forward = [this](const httplib::Request& req, httplib::Response& res) {
      if (req.path == "/v1/alerts" && req.method == "POST") {
        if (req.get_header_value("Content-Encoding") == "gzip") ++gzip_posts_;
        if (refuse_gzip && req.get_header_value("Content-Encoding") == "gzip") {
          res.status = 400;
          res.set_content(
              R"({"message":"invalid character '\x1f' looking for beginning of value"})",
              "application/json");
          return;
        }
        if (!reject_marker.empty() && req.body.find(reject_marker) != std::string::npos) {
          res.status = 422;
          res.set_content(R"({"message":"validation failure"})", "application/json");
          return;
        }
        if (alert_posts_++ < fail_alerts_) {
          res.status = alerts_status_;
          res.set_content(R"({"message":"busy"})", "application/json");
          return;
        }
      }
      if (req.path == "/v1/watchers/login" && logins_++ < fail_logins_) {
        res.status = 429;
        res.set_content(R"({"code":429,"message":"slow down"})", "application/json");
        return;
      }
      httplib::Client lapi("127.0.0.1", lapi_port_);
      httplib::Headers h;
      for (const char* name : {"Authorization", "User-Agent"}) {
        if (req.has_header(name)) h.emplace(name, req.get_header_value(name));
      }
      auto r = req.method == "POST" ? lapi.Post(req.path, h, req.body, "application/json")
                                    : lapi.Get(req.path, h);
      if (!r) {
        res.status = 502;
        return;
      }
      res.status = r->status;
      res.set_content(r->body, "application/json");
    };
    server_.Post(".*", forward);
    server_.Get(".*", forward);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Proxy() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int alert_posts() const { return alert_posts_; }
  int gzip_posts() const { return gzip_posts_; }
  // Set before the client starts.
  bool refuse_gzip = false;   // 400 to a gzip body, as CrowdSec 1.4 does
  std::string reject_marker;  // 422 to a body containing it
  int logins() const { return logins_; }

 private:
  uint16_t lapi_port_;
  int fail_alerts_, alerts_status_, fail_logins_;
  std::atomic<int> alert_posts_{0};
  std::atomic<int> gzip_posts_{0};
  std::atomic<int> logins_{0};
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

class LapiClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phalanx-agent-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = storage::open_store("sqlite://" + dir_ + "/phalanx.db");
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    start_lapi();
  }

  void TearDown() override {
    stop_lapi();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // (Re)starts the LAPI; on the port it had before, if any.
  void start_lapi(lapi::LapiOptions options = {},
                  std::optional<lapi::TlsOptions> tls = std::nullopt) {
    options.password_iterations = 1000;
    auto l = lapi::Lapi::create(*store_, std::move(options), clock_);
    ASSERT_TRUE(l) << l.error().message();
    lapi_ = std::move(*l);
    lapi::ServerOptions so;
    so.address = "127.0.0.1";
    so.port = port_;
    so.threads = 2;
    so.tls = std::move(tls);
    so.socket_path = socket_path_;
    auto server = lapi::Server::start(so, *lapi_);
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(*server);
    port_ = server_->port();
  }

  void stop_lapi() {
    server_.reset();
    lapi_.reset();
  }

  void add_machine(const std::string& id, bool validated = true) {
    storage::Machine m;
    m.machine_id = id;
    m.password_hash = lapi::hash_password(kPassword, 1000);
    m.is_validated = validated;
    m.created_at = m.updated_at = clock_.now();
    ASSERT_TRUE(store_->add_machine(m));
  }

  LapiClientOptions options(const std::string& machine = "agent1") {
    LapiClientOptions o;
    o.url = "http://127.0.0.1:" + std::to_string(port_) + "/";
    o.machine_id = machine;
    o.password = kPassword;
    o.scenarios = {"crowdsecurity/ssh-bf", "crowdsecurity/http-probing"};
    o.spool_dir = dir_ + "/spool";
    o.push_interval = 20ms;
    o.heartbeat_interval = 1h;
    o.backoff_base = 1ms;
    o.connect_timeout = 1s;
    o.request_timeout = 5s;
    o.stop_timeout = 3s;
    return o;
  }

  std::unique_ptr<LapiClient> client(LapiClientOptions o) {
    auto c = LapiClient::create(std::move(o));
    EXPECT_TRUE(c) << c.error().message();
    if (!c) return nullptr;
    auto started = (*c)->start();
    EXPECT_TRUE(started) << started.error().message();
    return std::move(*c);
  }

  // One serialised alert about `ip`, as the agent's pipeline produces it.
  std::string alert(const std::string& ip, const std::string& scenario = "crowdsecurity/ssh-bf") {
    parser::Alert a;
    a.scenario = scenario;
    a.scenario_hash = "hash";
    a.scenario_version = "0.3";
    a.message = "Ip " + ip + " performed '" + scenario + "' (6 events)";
    a.leakspeed = "10s";
    a.start_at = a.stop_at = lapi::format_time_rfc3339(clock_.now());
    a.capacity = 5;
    a.events_count = 6;
    a.source.scope = "Ip";
    a.source.value = ip;
    a.source.ip = ip;
    parser::AlertEvent ev;
    ev.timestamp = a.start_at;
    ev.meta = {{"source_ip", ip}, {"service", "ssh"}};
    a.events.push_back(ev);
    return lapi::alert_json(a);
  }

  static std::string ip(int i) {
    return "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
  }

  std::vector<storage::Alert> stored() {
    storage::AlertFilter f;
    f.limit = 0;
    f.ascending = true;
    auto rows = store_->query_alerts(f, clock_.now());
    EXPECT_TRUE(rows) << rows.error().message();
    return rows ? *rows : std::vector<storage::Alert>{};
  }
  std::vector<std::string> stored_values() {
    std::vector<std::string> out;
    for (const auto& a : stored())
      out.push_back(a.source.value);
    return out;
  }
  size_t spool_files() const {
    size_t n = 0;
    if (!std::filesystem::exists(dir_ + "/spool")) return 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/spool"))
      n += e.path().extension() == ".jsonl" ? 1 : 0;
    return n;
  }

  ManualClock clock_{
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now())};
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<lapi::Lapi> lapi_;
  std::unique_ptr<lapi::Server> server_;
  uint16_t port_ = 0;
  std::string socket_path_;  // non-empty: the LAPI also listens on this Unix socket
};

TEST_F(LapiClientTest, RegisterValidateLoginAndPush) {
  auto id = generate_machine_id();
  auto password = generate_password();
  ASSERT_TRUE(id && password);
  LapiClientOptions o = options(*id);
  o.password = *password;
  auto registered = register_machine(o);
  ASSERT_TRUE(registered) << registered.error().message();
  EXPECT_FALSE(*registered);  // 201: waits for validation
  auto again = register_machine(o);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message().find("user already exist"), std::string::npos);

  // `phalanx machines validate <id>`.
  auto m = store_->get_machine(*id);
  ASSERT_TRUE(m && *m);
  EXPECT_FALSE((*m)->is_validated);
  (*m)->is_validated = true;
  ASSERT_TRUE(store_->update_machine(**m));

  // What `lapi register` would write, read back by the agent.
  Credentials creds;
  creds.url = o.url;
  creds.login = *id;
  creds.password = *password;
  ASSERT_TRUE(save_credentials(dir_ + "/local_api_credentials.yaml", creds));
  auto loaded = load_credentials(dir_ + "/local_api_credentials.yaml");
  ASSERT_TRUE(loaded) << loaded.error().message();
  LapiClientOptions from_file = options("ignored");
  from_file.password = "ignored";
  use_credentials(from_file, *loaded);

  auto c = client(from_file);
  ASSERT_TRUE(c);
  c->submit({alert("192.0.2.7")});
  // The counter moves once the 201 is read, which is after the row is stored.
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 1; }));
  const auto rows = stored();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].machine_id, *id);
  EXPECT_EQ(rows[0].scenario, "crowdsecurity/ssh-bf");
  EXPECT_EQ(rows[0].source.value, "192.0.2.7");
  EXPECT_EQ(rows[0].capacity, 5);
  EXPECT_EQ(rows[0].events_count, 6);
  EXPECT_EQ(rows[0].leakspeed, "10s");
  ASSERT_EQ(rows[0].events.size(), 1u);
  EXPECT_EQ(rows[0].events[0].meta.size(), 2u);
  m = store_->get_machine(*id);
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->scenarios, "crowdsecurity/ssh-bf,crowdsecurity/http-probing");
  EXPECT_EQ((*m)->version, default_user_agent().substr(default_user_agent().find('/') + 1));
  const auto s = c->stats();
  EXPECT_TRUE(s.logged_in);
  EXPECT_EQ(s.logins, 1u);
  EXPECT_EQ(s.alerts_pushed, 1u);
  EXPECT_TRUE(s.last_push.has_value());
}

TEST_F(LapiClientTest, RegistrationTokenValidatesAtOnce) {
  stop_lapi();
  lapi::LapiOptions lo;
  lo.registration_token = "let-me-in-0123456789";
  lo.registration_ranges = {*net::Cidr::parse("127.0.0.0/8")};
  start_lapi(lo);
  LapiClientOptions o = options("agent-auto");
  auto wrong = register_machine(o, "wrong-token");
  ASSERT_FALSE(wrong);
  auto registered = register_machine(o, "let-me-in-0123456789");
  ASSERT_TRUE(registered) << registered.error().message();
  EXPECT_TRUE(*registered);
  auto c = client(o);
  c->submit({alert("192.0.2.8")});
  EXPECT_TRUE(eventually([&] { return stored().size() == 1; }));
}

TEST_F(LapiClientTest, RegisterAndPushOverTheUnixSocket) {
  stop_lapi();
  socket_path_ = dir_ + "/lapi.sock";
  start_lapi();
  LapiClientOptions o = options("agent-socket");
  o.url = socket_path_;  // as CrowdSec's clients, a URL starting with '/' is a socket
  auto registered = register_machine(o);
  ASSERT_TRUE(registered) << registered.error().message();
  EXPECT_FALSE(*registered);
  auto m = store_->get_machine("agent-socket");
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->ip_address, "unix");
  (*m)->is_validated = true;
  ASSERT_TRUE(store_->update_machine(**m));
  auto c = client(o);
  ASSERT_TRUE(c);
  c->submit({alert("192.0.2.9")});
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 1; }));
  const auto rows = stored();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].machine_id, "agent-socket");
  EXPECT_TRUE(c->stats().logged_in);
}

TEST_F(LapiClientTest, ManySubmitsGoOutInFewBatches) {
  add_machine("agent1");
  LapiClientOptions o = options();
  o.push_interval = 300ms;
  auto c = client(o);
  constexpr int kAlerts = 1200;
  std::vector<std::string> expect;
  for (int i = 0; i < kAlerts; ++i) {
    expect.push_back(ip(i));
    c->submit({alert(ip(i))});
  }
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == kAlerts; }));
  EXPECT_EQ(stored_values(), expect);
  const auto s = c->stats();
  // At most 500 a request, and not one request per alert.
  EXPECT_GE(s.push_requests, 3u);
  EXPECT_LE(s.push_requests, 8u);
  EXPECT_EQ(s.push_failures, 0u);
  EXPECT_EQ(spool_files(), 0u);
}

TEST_F(LapiClientTest, ShortTokenIsRenewedBeforeItExpires) {
  stop_lapi();
  lapi::LapiOptions lo;
  lo.token_lifetime = 30s;  // less than the minute of margin: every push logs in first
  start_lapi(lo);
  add_machine("agent1");
  auto c = client(options());
  c->submit({alert("192.0.2.1")});
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 1; }));
  c->submit({alert("192.0.2.2")});
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 2; }));
  EXPECT_EQ(c->stats().logins, 2u);
  EXPECT_EQ(stored().size(), 2u);
}

TEST_F(LapiClientTest, RejectedTokenMeansLoginAgain) {
  add_machine("agent1");
  auto c = client(options());
  c->submit({alert("192.0.2.1")});
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 1; }));
  EXPECT_EQ(c->stats().logins, 1u);
  // The LAPI's time jumps past the token's expiry: it answers 401, the client logs in again and
  // the same push goes through.
  clock_.advance(2h);
  c->submit({alert("192.0.2.2")});
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 2; }));
  const auto s = c->stats();
  EXPECT_EQ(s.logins, 2u);
  EXPECT_EQ(s.push_failures, 0u);
  EXPECT_EQ(stored_values(), (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
}

TEST_F(LapiClientTest, LapiDownSpoolsThenDeliversOnceInOrder) {
  add_machine("agent1");
  stop_lapi();
  LapiClientOptions o = options();
  o.max_batch = 7;  // segments and requests of 7 alerts
  auto c = client(o);
  std::vector<std::string> expect;
  for (int i = 0; i < 30; ++i) {
    expect.push_back(ip(i));
    c->submit({alert(ip(i))});
    if (i % 10 == 9) {
      ASSERT_TRUE(eventually([&] { return c->stats().spooled == size_t(i + 1); }));
    }
  }
  EXPECT_EQ(spool_files(), 5u);
  EXPECT_GT(c->stats().push_failures + c->stats().login_failures, 0u);
  EXPECT_FALSE(c->stats().logged_in);

  start_lapi();
  // Newer alerts wait behind the spool.
  c->submit({alert("192.0.2.99")});
  expect.push_back("192.0.2.99");
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == expect.size(); }));
  EXPECT_EQ(stored_values(), expect);
  const auto s = c->stats();
  EXPECT_GE(s.push_requests, 5u);
  EXPECT_EQ(s.spooled, 0u);
  EXPECT_EQ(s.spool_bytes, 0u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(spool_files(), 0u);
  // Nothing is sent twice, later either.
  c->flush();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(stored().size(), expect.size());
}

TEST_F(LapiClientTest, SpoolLeftByAnEarlierRunGoesFirst) {
  add_machine("agent1");
  stop_lapi();
  {
    LapiClientOptions o = options();
    o.push_interval = 1h;  // only stop() tries to push
    o.stop_timeout = 500ms;
    auto c = client(o);
    c->submit({alert("192.0.2.1"), alert("192.0.2.2")});
    c->submit({alert("192.0.2.3")});
    c->stop();
    const auto s = c->stats();
    EXPECT_EQ(s.spooled, 3u);
    EXPECT_EQ(s.queued, 0u);
    EXPECT_EQ(s.dropped, 0u);
  }
  EXPECT_GE(spool_files(), 1u);

  start_lapi();
  auto c = client(options());
  c->submit({alert("192.0.2.4")});
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 4; }));
  EXPECT_EQ(stored_values(),
            (std::vector<std::string>{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"}));
  EXPECT_EQ(spool_files(), 0u);
}

TEST_F(LapiClientTest, WithoutASpoolAlertsWaitInMemoryWithinTheirBound) {
  add_machine("agent1");
  stop_lapi();
  LapiClientOptions o = options();
  o.spool_dir.clear();
  o.max_memory_queue = 3;
  auto c = client(o);
  for (int i = 0; i < 5; ++i)
    c->submit({alert(ip(i))});
  ASSERT_TRUE(eventually([&] { return c->stats().dropped == 2; }));
  EXPECT_EQ(c->stats().queued, 3u);
  start_lapi();
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 3; }));
  EXPECT_EQ(stored_values(), (std::vector<std::string>{ip(2), ip(3), ip(4)}));
  EXPECT_EQ(spool_files(), 0u);
}

TEST_F(LapiClientTest, StopWithoutStartSpools) {
  add_machine("agent1");
  {
    auto c = LapiClient::create(options());
    ASSERT_TRUE(c);
    (*c)->submit({alert("192.0.2.1")});
    (*c)->stop();
    EXPECT_EQ((*c)->stats().spooled, 1u);
    EXPECT_EQ((*c)->stats().dropped, 0u);
  }
  auto c = client(options());
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 1; }));
  EXPECT_EQ(stored_values(), (std::vector<std::string>{"192.0.2.1"}));
}

TEST_F(LapiClientTest, BusyLapiIsRetriedWithBackoff) {
  add_machine("agent1");
  Proxy proxy(port_, /*fail_alerts=*/2, /*alerts_status=*/503, /*fail_logins=*/1);
  LapiClientOptions o = options();
  o.url = "http://127.0.0.1:" + std::to_string(proxy.port());
  auto c = client(o);
  c->submit({alert("192.0.2.1")});
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 1; }));
  EXPECT_EQ(stored_values(), (std::vector<std::string>{"192.0.2.1"}));
  const auto s = c->stats();
  EXPECT_EQ(s.login_failures, 1u);
  EXPECT_EQ(s.logins, 1u);
  EXPECT_EQ(s.push_failures, 2u);
  EXPECT_EQ(proxy.alert_posts(), 3);
  EXPECT_EQ(s.dropped, 0u);
}

TEST_F(LapiClientTest, TooManyRequestsAlsoBacksOff) {
  add_machine("agent1");
  Proxy proxy(port_, 3, 429, 0);
  LapiClientOptions o = options();
  o.url = "http://127.0.0.1:" + std::to_string(proxy.port());
  auto c = client(o);
  c->submit({alert("192.0.2.1"), alert("192.0.2.2")});
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 2; }));
  EXPECT_EQ(stored_values(), (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
  EXPECT_EQ(c->stats().push_failures, 3u);
}

TEST_F(LapiClientTest, RefusedAlertIsSetAsideAndTheRestDelivered) {
  add_machine("agent1");
  Proxy proxy(port_, 0, 0, 0);
  proxy.reject_marker = "phalanx/poison";
  LapiClientOptions o = options();
  o.url = "http://127.0.0.1:" + std::to_string(proxy.port());
  auto c = client(o);
  c->submit({alert("192.0.2.1"), alert("192.0.2.2", "phalanx/poison"), alert("192.0.2.3")});
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 2; }));
  EXPECT_EQ(stored_values(), (std::vector<std::string>{"192.0.2.1", "192.0.2.3"}));
  const auto s = c->stats();
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_EQ(s.spooled, 0u);
  auto kept = read_segment(dir_ + "/spool/rejected.jsonl");
  ASSERT_TRUE(kept) << kept.error().message();
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_NE((*kept)[0].find("phalanx/poison"), std::string::npos);
}

TEST_F(LapiClientTest, LapiWithoutGzipGetsPlainBodies) {
  add_machine("agent1");
  Proxy proxy(port_, 0, 0, 0);
  proxy.refuse_gzip = true;
  LapiClientOptions o = options();
  o.url = "http://127.0.0.1:" + std::to_string(proxy.port());
  o.push_interval = 200ms;
  auto c = client(o);
  std::vector<std::string> batch, expect;
  for (int i = 0; i < 40; ++i) {  // well over the 5 KiB from which bodies are compressed
    batch.push_back(alert(ip(i)));
    expect.push_back(ip(i));
  }
  c->submit(batch);
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 40; }));
  c->submit(batch);
  ASSERT_TRUE(eventually([&] { return c->stats().alerts_pushed == 80; }));
  EXPECT_EQ(proxy.gzip_posts(), 1);  // tried once, then plain for good
  EXPECT_EQ(stored().size(), 80u);
  EXPECT_EQ(c->stats().rejected, 0u);
}

TEST_F(LapiClientTest, WrongPasswordNeverDeliversAndKeepsAlerts) {
  add_machine("agent1");
  LapiClientOptions o = options();
  o.password = "not-the-password";
  auto c = client(o);
  c->submit({alert("192.0.2.1")});
  ASSERT_TRUE(eventually([&] { return c->stats().login_failures >= 2; }));
  const auto s = c->stats();
  EXPECT_FALSE(s.logged_in);
  EXPECT_EQ(s.alerts_pushed, 0u);
  EXPECT_EQ(s.spooled + s.queued, 1u);
  EXPECT_TRUE(stored().empty());
}

TEST_F(LapiClientTest, StopDrainsTheQueue) {
  add_machine("agent1");
  LapiClientOptions o = options();
  o.push_interval = 1h;
  auto c = client(o);
  std::vector<std::string> expect;
  for (int i = 0; i < 10; ++i) {
    expect.push_back(ip(i));
    c->submit({alert(ip(i))});
  }
  c->stop();
  EXPECT_EQ(stored_values(), expect);
  const auto s = c->stats();
  EXPECT_EQ(s.alerts_pushed, 10u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(s.spooled, 0u);
  c->submit({alert("192.0.2.50")});  // after stop: dropped, counted
  EXPECT_EQ(c->stats().dropped, 1u);
}

TEST_F(LapiClientTest, HeartbeatReachesTheLapi) {
  add_machine("agent1");
  LapiClientOptions o = options();
  o.heartbeat_interval = 30ms;
  auto c = client(o);
  ASSERT_TRUE(eventually([&] { return c->stats().heartbeats >= 2; }));
  auto m = store_->get_machine("agent1");
  ASSERT_TRUE(m && *m);
  EXPECT_TRUE((*m)->last_heartbeat.has_value());
}

TEST_F(LapiClientTest, UsageMetricsGoAtStartThenEveryInterval) {
  add_machine("agent1");
  LapiClientOptions o = options();
  std::atomic<int> asked{0};
  o.usage = [&] {
    ++asked;
    LogProcessorUsage u;
    u.startup_unix = 1700000000;
    u.datasources["file"] = 2;
    u.hub_items["scenarios"] = {{"crowdsecurity/ssh-bf", "0.3"}};
    return u;
  };
  o.usage_metrics_interval = 40ms;
  auto c = client(o);
  ASSERT_TRUE(eventually([&] { return c->stats().usage_posts >= 3; }));
  EXPECT_EQ(c->stats().usage_failures, 0u);
  EXPECT_GE(asked.load(), 3);
  // The LAPI took them as a machine's log-processor metrics (201).
  httplib::Client http("127.0.0.1", port_);
  auto res = http.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("phalanx_lapi_requests_total{route=\"/v1/usage-metrics\",method="
                           "\"POST\",code=\"201\"}"),
            std::string::npos)
      << res->body;
}

TEST_F(LapiClientTest, NoUsageMetricsWithoutADescription) {
  add_machine("agent1");
  LapiClientOptions o = options();
  o.usage_metrics_interval = 10ms;
  o.heartbeat_interval = 10ms;
  auto c = client(o);
  ASSERT_TRUE(eventually([&] { return c->stats().heartbeats >= 3; }));
  EXPECT_EQ(c->stats().usage_posts + c->stats().usage_failures, 0u);
}

TEST(UsageMetricsBodyTest, OneLogProcessorWithItsSourcesItemsAndWindow) {
  LogProcessorUsage u;
  u.os_version = "6.1.0";
  u.startup_unix = 1700000000;
  u.datasources["file"] = 2;
  u.datasources["journalctl"] = 1;
  u.hub_items["scenarios"] = {{"crowdsecurity/ssh-bf", "0.3"}};
  u.hub_items["parsers"] = {{"crowdsecurity/sshd-logs", ""}};
  const auto body = nlohmann::json::parse(usage_metrics_body(u, 1700001800, 1800));
  ASSERT_EQ(body["log_processors"].size(), 1u);
  EXPECT_FALSE(body.contains("remediation_components"));
  const auto& lp = body["log_processors"][0];
  EXPECT_TRUE(lp["version"].is_string());
  EXPECT_EQ(lp["os"]["name"], "linux");
  EXPECT_EQ(lp["os"]["version"], "6.1.0");
  EXPECT_EQ(lp["utc_startup_timestamp"], 1700000000);
  EXPECT_EQ(lp["feature_flags"], nlohmann::json::array());
  EXPECT_EQ(lp["datasources"], (nlohmann::json{{"file", 2}, {"journalctl", 1}}));
  EXPECT_EQ(lp["hub_items"]["scenarios"][0]["name"], "crowdsecurity/ssh-bf");
  EXPECT_EQ(lp["hub_items"]["scenarios"][0]["version"], "0.3");
  EXPECT_EQ(lp["hub_items"]["scenarios"][0]["status"], "enabled");
  EXPECT_EQ(lp["hub_items"]["parsers"][0]["name"], "crowdsecurity/sshd-logs");
  ASSERT_EQ(lp["metrics"].size(), 1u);
  EXPECT_EQ(lp["metrics"][0]["meta"]["window_size_seconds"], 1800);
  EXPECT_EQ(lp["metrics"][0]["meta"]["utc_now_timestamp"], 1700001800);
  EXPECT_EQ(lp["metrics"][0]["items"], nlohmann::json::array());
}

// A CA, a server certificate for 127.0.0.1 and an agent certificate (OU agent-ou, CN agent-a),
// made with openssl(1).
bool make_certs(const std::string& dir) {
  const std::string script =
      "mkdir -p " + dir + " && cd " + dir +
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
      "-subj /CN=phalanx-test-ca"
      " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
      "-subj /CN=127.0.0.1 && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
      " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out server.pem -days 1 -extfile san.ext"
      " && openssl req -newkey rsa:2048 -nodes -keyout agent.key -out agent.csr "
      "-subj /OU=agent-ou/CN=agent-a"
      " && openssl x509 -req -in agent.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out agent.pem -days 1";
  return std::system((script + " >/dev/null 2>&1").c_str()) == 0;
}

TEST_F(LapiClientTest, HttpsWithPasswordOrClientCertificate) {
  const std::string tls = dir_ + "/tls";
  if (!make_certs(tls)) GTEST_SKIP() << "openssl(1) could not make test certificates";
  stop_lapi();
  port_ = 0;
  lapi::TlsOptions t;
  t.cert_file = tls + "/server.pem";
  t.key_file = tls + "/server.key";
  t.ca_file = tls + "/ca.pem";
  start_lapi({}, t);
  add_machine("agent1");

  // Password over https, the server's certificate checked against our CA.
  LapiClientOptions o = options();
  o.url = "https://127.0.0.1:" + std::to_string(port_);
  o.ca_file = tls + "/ca.pem";
  o.spool_dir = dir_ + "/spool-password";
  auto by_password = client(o);
  by_password->submit({alert("192.0.2.1")});
  ASSERT_TRUE(eventually([&] { return by_password->stats().alerts_pushed == 1; }));
  by_password->stop();

  // A client certificate: no password; the LAPI names the machine "<CN>@<ip>".
  o.machine_id.clear();
  o.password.clear();
  o.cert_file = tls + "/agent.pem";
  o.key_file = tls + "/agent.key";
  o.spool_dir = dir_ + "/spool-cert";
  auto by_cert = client(o);
  by_cert->submit({alert("192.0.2.2")});
  ASSERT_TRUE(eventually([&] { return by_cert->stats().alerts_pushed == 1; }));
  const auto rows = stored();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].machine_id, "agent1");
  EXPECT_EQ(rows[1].machine_id, "agent-a@127.0.0.1");

  // Without our CA the server's certificate is refused, and the alert waits.
  o.ca_file.clear();
  o.spool_dir = dir_ + "/spool-unverified";
  auto unverified = client(o);
  unverified->submit({alert("192.0.2.3")});
  ASSERT_TRUE(eventually([&] { return unverified->stats().login_failures >= 1; }));
  EXPECT_EQ(unverified->stats().alerts_pushed, 0u);
}

TEST_F(LapiClientTest, CreateRefusesBadOptions) {
  LapiClientOptions o = options();
  o.url = "ftp://127.0.0.1";
  EXPECT_FALSE(LapiClient::create(o));
  o = options();
  o.password.clear();
  EXPECT_FALSE(LapiClient::create(o));
  o = options();
  o.cert_file = dir_ + "/absent.pem";
  o.key_file = dir_ + "/absent-key.pem";
  o.url = "https://127.0.0.1:1";
  EXPECT_FALSE(LapiClient::create(o));
  o = options();
  o.user_agent = "no-version";
  EXPECT_FALSE(LapiClient::create(o));
  EXPECT_EQ(default_user_agent().rfind("phalanx/", 0), 0u);
}

}  // namespace
}  // namespace phalanx::agent

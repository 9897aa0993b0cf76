// SPDX-License-Identifier: Apache-2.0
// The real phalanxd binary: a decision posted through POST /v1/alerts reaches a bouncer's
// StreamClient held in a push wait; kill -9 in the middle of a burst of POST /v1/alerts loses
// no alert that was answered 201.
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "../daemon/daemon_process.h"
#include "bouncer/stream_client.h"
#include "lapi/allowlists.h"
#include "lapi_fixture.h"

namespace phalanx::lapi::test {
namespace {

using nlohmann::json;

// A running phalanxd on 127.0.0.1:<free port>, with its own SQLite file.
class Daemon {
 public:
  // `lapi_extra`: more lines of the lapi section ("  listen_socket: ...\n").
  explicit Daemon(const std::string& dir, const std::string& lapi_extra = "") : dir_(dir) {
    std::ofstream(dir + "/phalanxd.yaml") << "db: sqlite://" << dir << "/phalanx.db\n"
                                          << "lapi:\n  listen: 127.0.0.1:0\n"
                                          << lapi_extra;
  }
  ~Daemon() { stop(SIGKILL); }

  // Starts it and reads the port from its first stdout line.
  bool start() {
    int out[2];
    if (pipe(out) != 0) return false;
    pid_ = fork();
    if (pid_ == 0) {
      // Dies with the test, and keeps its log out of the test's output.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      const int log = open((dir_ + "/phalanxd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0) dup2(log, 2);
      const std::string config = dir_ + "/phalanxd.yaml";
      execl(PHALANXD_PATH, "phalanxd", "-c", config.c_str(), "--log-level", "warn", nullptr);
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[256] = {};
    const bool got = fgets(line, sizeof(line), f) != nullptr;
    fclose(f);
    unsigned port = 0;
    if (!got || std::sscanf(line, "phalanxd: listening on 127.0.0.1:%u", &port) != 1) return false;
    port_ = static_cast<uint16_t>(port);
    return true;
  }

  // Sends `sig` and reaps; returns the exit status (or -signal).
  int stop(int sig) {
    if (pid_ <= 0) return 0;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

  uint16_t port() const { return port_; }

 private:
  std::string dir_;
  pid_t pid_ = 0;
  uint16_t port_ = 0;
};

// A Backend that records what the stream client gives it.
class RecordingBackend final : public bouncer::Backend {
 public:
  Result<void> apply(const bouncer::DecisionBatch& batch) override {
    std::lock_guard lock(mu_);
    for (const auto& d : batch.added)
      values_.push_back(d.value);
    cv_.notify_all();
    return ok();
  }
  Result<void> begin_resync() override { return ok(); }
  Result<void> resync_batch(std::span<const bouncer::Decision> decisions) override {
    std::lock_guard lock(mu_);
    for (const auto& d : decisions)
      values_.push_back(d.value);
    return ok();
  }
  Result<void> commit_resync() override {
    std::lock_guard lock(mu_);
    ++resyncs_;
    cv_.notify_all();
    return ok();
  }
  void abort_resync() override {}
  bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, pred);
  }
  bool has(const std::string& v) const {
    return std::find(values_.begin(), values_.end(), v) != values_.end();
  }
  int resyncs() const { return resyncs_; }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> values_;
  int resyncs_ = 0;
};

class PhalanxdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phalanx-phalanxd-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    daemon_ = std::make_unique<Daemon>(dir_);
    ASSERT_TRUE(daemon_->start());
    // Credentials straight into the same database, as `phalanx bouncers add` does.
    auto store = storage::open_store("sqlite://" + dir_ + "/phalanx.db");
    ASSERT_TRUE(store) << store.error().message();
    key_ = generate_api_key();
    storage::Bouncer b;
    b.name = "test-bouncer";
    b.api_key_hash = hash_api_key(key_);
    ASSERT_TRUE((*store)->add_bouncer(b));
    storage::Machine m;
    m.machine_id = "agent";
    m.password_hash = hash_password("agent-password", 1000);
    m.is_validated = true;
    ASSERT_TRUE((*store)->add_machine(m));
    http_ = std::make_unique<httplib::Client>("127.0.0.1", daemon_->port());
    auto res =
        http_->Post("/v1/watchers/login", {{"User-Agent", "crowdsec/v1.6.0"}},
                    R"({"machine_id":"agent","password":"agent-password"})", "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    token_ = json::parse(res->body)["token"];
  }

  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }

  json alert(const std::string& ip) {
    const std::string now = format_time_rfc3339(
        std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now()));
    return {{"capacity", 5},
            {"events_count", 6},
            {"leakspeed", "10s"},
            {"message", "m"},
            {"scenario", "test/scenario"},
            {"scenario_hash", "h"},
            {"scenario_version", "1"},
            {"simulated", false},
            {"source", {{"scope", "Ip"}, {"value", ip}}},
            {"start_at", now},
            {"stop_at", now},
            {"events", json::array()},
            {"decisions",
             {{{"duration", "1h"},
               {"origin", "cscli"},
               {"scenario", "test/scenario"},
               {"scope", "Ip"},
               {"type", "ban"},
               {"value", ip}}}}};
  }

  std::string dir_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<httplib::Client> http_;
  std::string key_;
  std::string token_;
};

TEST_F(PhalanxdTest, PostedDecisionReachesAWaitingPushClient) {
  bouncer::StreamConfig config;
  config.api_url = "http://127.0.0.1:" + std::to_string(daemon_->port()) + "/";
  config.api_key = key_;
  config.user_agent = "phalanx-test-bouncer/0.1";
  config.update_frequency = std::chrono::seconds(30);  // polling would be far too slow
  config.push_wait = std::chrono::seconds(20);
  auto client = bouncer::StreamClient::create(config);
  ASSERT_TRUE(client) << client.error().message();
  RecordingBackend backend;
  std::thread runner([&] { (*client)->run(backend); });
  ASSERT_TRUE(backend.wait_for([&] { return backend.resyncs() > 0; }, std::chrono::seconds(10)));
  // Let the client's delta request reach the server and be held.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  const auto t0 = std::chrono::steady_clock::now();
  auto res = http_->Post("/v1/alerts", {{"Authorization", "Bearer " + token_}},
                         json::array({alert("198.51.100.23")}).dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const bool arrived =
      backend.wait_for([&] { return backend.has("198.51.100.23"); }, std::chrono::seconds(10));
  const auto took = std::chrono::steady_clock::now() - t0;
  (*client)->stop();
  runner.join();
  ASSERT_TRUE(arrived);
  EXPECT_LT(took, std::chrono::seconds(2));  // pushed, not polled (update_frequency is 30 s)
  EXPECT_TRUE((*client)->stats().push);
  EXPECT_EQ(daemon_->stop(SIGTERM), 0);  // clean shutdown
}

std::string make_dir() {
  char tmpl[] = "/tmp/phalanx-phalanxd-XXXXXX";
  return mkdtemp(tmpl) != nullptr ? tmpl : "";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `phalanxd --check -c <dir>/phalanxd.yaml`: exit code and output.
int check(const std::string& dir, std::string& out) {
  return phalanx::test::DaemonProcess::run(PHALANXD_PATH, {"--check", "-c", dir + "/phalanxd.yaml"},
                                           out);
}

TEST(PhalanxdUnixSocket, ServesThereRefusesASecondServerAndRemovesItOnStop) {
  const std::string dir = make_dir(), other_dir = make_dir();
  ASSERT_FALSE(dir.empty() || other_dir.empty());
  const std::string sock = dir + "/lapi.sock";
  {
    Daemon daemon(dir, "  listen_socket: " + sock +
                           "\n  listen_socket_mode: \"0600\"\nagent:\n  enabled: false\n");
    ASSERT_TRUE(daemon.start()) << read_file(dir + "/phalanxd.log");
    struct stat st {};
    ASSERT_EQ(::lstat(sock.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    httplib::Client c(sock, 80);
    c.set_address_family(AF_UNIX);
    c.set_default_headers({{"Host", "unix"}});
    auto res = c.Get("/health");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);

    // --check sees the running server and only warns.
    std::string out;
    EXPECT_EQ(check(dir, out), 0) << out;
    EXPECT_NE(out.find("a server is listening on " + sock), std::string::npos) << out;

    Daemon second(other_dir, "  listen_socket: " + sock + "\nagent:\n  enabled: false\n");
    EXPECT_FALSE(second.start());
    EXPECT_EQ(second.stop(SIGKILL), 1);
    EXPECT_NE(read_file(other_dir + "/phalanxd.log").find("another server is listening on " + sock),
              std::string::npos)
        << read_file(other_dir + "/phalanxd.log");
    res = c.Get("/health");  // the first one keeps its socket
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);

    EXPECT_EQ(daemon.stop(SIGTERM), 0);
    EXPECT_FALSE(std::filesystem::exists(sock));
  }
  // A socket in a directory that does not exist: --check says so.
  Daemon missing(other_dir,
                 "  listen_socket: " + other_dir + "/nope/lapi.sock\nagent:\n  enabled: false\n");
  std::string out;
  EXPECT_EQ(check(other_dir, out), 1) << out;
  EXPECT_NE(out.find("listen_socket: directory " + other_dir + "/nope"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(other_dir);
}

TEST_F(PhalanxdTest, KillDuringABurstLosesNothingAnswered) {
  std::mutex mu;
  std::vector<int64_t> answered;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", daemon_->port());
      for (int i = 0; !stop; ++i) {
        const std::string ip = fmt::format("10.{}.{}.{}", t, (i / 256) % 256, i % 256);
        auto res = c.Post("/v1/alerts", {{"Authorization", "Bearer " + token_}},
                          json::array({alert(ip)}).dump(), "application/json");
        if (!res) break;  // the daemon is gone
        if (res->status != 201) continue;
        std::lock_guard lock(mu);
        answered.push_back(std::stoll(json::parse(res->body)[0].get<std::string>()));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(daemon_->stop(SIGKILL), -SIGKILL);
  stop = true;
  for (auto& w : writers)
    w.join();
  ASSERT_GT(answered.size(), 10u);

  auto store = storage::open_store("sqlite://" + dir_ + "/phalanx.db");
  ASSERT_TRUE(store) << store.error().message();
  for (int64_t id : answered) {
    auto a = (*store)->get_alert(id);
    ASSERT_TRUE(a) << a.error().message();
    ASSERT_TRUE(a->has_value()) << "alert " << id << " was answered 201 and is gone";
    EXPECT_EQ((**a).decisions.size(), 1u);
  }
  // And a restarted daemon serves them.
  ASSERT_TRUE(daemon_->start());
  httplib::Client c("127.0.0.1", daemon_->port());
  auto res = c.Get("/v1/decisions", {{"X-Api-Key", key_}});
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_GE(json::parse(res->body).size(), answered.size());
}

// The admin's view: `phalanx allowlists` against a running phalanxd's database. Adding a value
// lifts the ban already on it (bouncers see the decision go), later alerts from it are not
// stored, and both the CLI and the LAPI's check route say which list covers it.
TEST_F(PhalanxdTest, AllowlistsFromTheCliLiftBansAndKeepAlertsOut) {
  const std::string db = "sqlite://" + dir_ + "/phalanx.db";
  const auto bearer = httplib::Headers{{"Authorization", "Bearer " + token_}};
  auto res = http_->Post("/v1/alerts", bearer, json::array({alert("198.51.100.40")}).dump(),
                         "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 201) << res->body;
  const auto banned = [&] {
    auto r = http_->Get("/v1/decisions?ip=198.51.100.40", {{"X-Api-Key", key_}});
    return r && r->status == 200 && r->body != "null";
  };
  ASSERT_TRUE(banned());

  std::string out;
  ASSERT_EQ(phalanx::test::DaemonProcess::run(
                PHALANX_CLI_PATH,
                {"allowlists", "create", "partners", "-d", "partner networks", "--db", db}, out),
            0)
      << out;
  ASSERT_EQ(
      phalanx::test::DaemonProcess::run(
          PHALANX_CLI_PATH,
          {"allowlists", "add", "partners", "198.51.100.0/24", "-d", "partner A", "--db", db}, out),
      0)
      << out;
  EXPECT_NE(out.find("added 1 value(s) to allowlist 'partners'"), std::string::npos) << out;
  EXPECT_NE(out.find("1 active decision(s) on these values expired"), std::string::npos) << out;
  // phalanxd follows the database: the ban is lifted without a restart.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (banned() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(banned());

  // An agent's alert (no decisions) from a covered source is answered and not stored.
  std::this_thread::sleep_for(kAllowlistRefresh + std::chrono::milliseconds(100));
  json a = alert("198.51.100.41");
  a.erase("decisions");
  a["remediation"] = true;
  res = http_->Post("/v1/alerts", bearer, json::array({a}).dump(), "application/json");
  ASSERT_EQ(res->status, 201) << res->body;
  EXPECT_EQ(res->body, "[]");

  res = http_->Get("/v1/allowlists/check/198.51.100.41", bearer);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body).value("reason", ""),
            "198.51.100.0/24 from partners (partner A)");
  out.clear();
  EXPECT_EQ(phalanx::test::DaemonProcess::run(
                PHALANX_CLI_PATH, {"allowlists", "check", "198.51.100.41", "--db", db}, out),
            0);
  EXPECT_EQ(out, "198.51.100.41: allowlisted by 198.51.100.0/24 from partners (partner A)\n");
  out.clear();
  EXPECT_EQ(phalanx::test::DaemonProcess::run(
                PHALANX_CLI_PATH, {"allowlists", "add", "partners", "not-an-ip", "--db", db}, out),
            2)
      << out;
}

}  // namespace
}  // namespace phalanx::lapi::test

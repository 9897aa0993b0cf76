// SPDX-License-Identifier: Apache-2.0
// The real phalanxd binary, agent and LAPI together: lines appended to a followed file become
// an alert and a decision that a bouncer reads; a restart neither loses nor repeats lines;
// SIGHUP reloads (and refuses a broken acquisition file, keeping the running agent, or restores
// it when the new one cannot start); --check
// reports every problem.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "core/clock.h"
#include "core/duration.h"
#include "daemon_process.h"
#include "lapi/auth.h"
#include "storage/store.h"

namespace phalanx::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class PhalanxdAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phalanx-agent-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log_ = dir_ + "/auth.log";
    std::ofstream(log_).flush();
    write_acquis(fmt::format("filenames: [{}]\nlabels: {{type: syslog}}\n", log_));
    std::ofstream(dir_ + "/config.yaml")
        << "db: sqlite://" << dir_ << "/phalanx.db\n"
        << "data_dir: " << dir_ << "/state\n"
        << "agent:\n  acquis: " << dir_ << "/acquis.yaml\n  acquis_dir: " << dir_
        << "/acquis.d\n  machine_id: test-host\n  workers: 2\n  shards: 2\n"
        << "lapi:\n  listen: 127.0.0.1:0\n";
    auto store = storage::open_store("sqlite://" + dir_ + "/phalanx.db");
    ASSERT_TRUE(store) << store.error().message();
    key_ = lapi::generate_api_key();
    storage::Bouncer b;
    b.name = "test-bouncer";
    b.api_key_hash = lapi::hash_api_key(key_);
    ASSERT_TRUE((*store)->add_bouncer(b));
  }
  void TearDown() override {
    daemon_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A LAPI-only phalanxd on the test's database, on a free port; http_ points at it.
  void start_lapi_only(DaemonProcess& proc, unsigned& port) {
    std::ofstream(dir_ + "/lapi.yaml") << "db: sqlite://" << dir_ << "/phalanx.db\n"
                                       << "lapi:\n  listen: 127.0.0.1:0\n";
    ASSERT_TRUE(proc.start({"-c", dir_ + "/lapi.yaml", "--no-agent"}));
    ASSERT_EQ(std::sscanf(proc.wait_line("phalanxd: listening on").c_str(),
                          "phalanxd: listening on 127.0.0.1:%u", &port),
              1);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", static_cast<int>(port));
  }

  void write_acquis(const std::string& text) { std::ofstream(dir_ + "/acquis.yaml") << text; }

  void start() {
    daemon_ = std::make_unique<DaemonProcess>(PHALANXD_PATH, dir_ + "/phalanxd.log");
    ASSERT_TRUE(daemon_->start({"-c", dir_ + "/config.yaml", "--log-level", "info"}));
    const std::string line = daemon_->wait_line("phalanxd: listening on");
    unsigned port = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "phalanxd: listening on 127.0.0.1:%u", &port), 1)
        << line << "\n"
        << daemon_log();
    http_ = std::make_unique<httplib::Client>("127.0.0.1", static_cast<int>(port));
    ASSERT_EQ(daemon_->wait_line("phalanxd: agent running"), "phalanxd: agent running as test-host")
        << daemon_log();
  }

  std::string daemon_log() const {
    std::ifstream in(dir_ + "/phalanxd.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  void append(const std::string& text) {
    std::ofstream out(log_, std::ios::app);
    out << text;
  }
  static std::string failed(const std::string& ip, int n) {
    return fmt::format(
        "Dec  3 10:00:{:02} host sshd[100]: Failed password for root from {} port "
        "{} ssh2\n",
        n % 60, ip, 40000 + n);
  }

  // Sum of a metric's samples in /metrics (-1 when unreachable).
  long metric(const std::string& name) {
    auto res = http_->Get("/metrics");
    if (!res || res->status != 200) return -1;
    long sum = 0;
    std::istringstream in(res->body);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(name, 0) != 0) continue;
      const char next = line.size() > name.size() ? line[name.size()] : ' ';
      if (next != ' ' && next != '{') continue;
      sum += std::stol(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  }
  bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds within = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return pred();
  }
  bool banned(const std::string& ip) {
    auto res = http_->Get("/v1/decisions?ip=" + ip, {{"X-Api-Key", key_}});
    return res && res->status == 200 && res->body.find("\"ban\"") != std::string::npos;
  }

  std::string dir_, log_, key_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(PhalanxdAgentTest, AppendedBruteForceBecomesADecision) {
  start();
  std::string lines;
  for (int i = 0; i < 8; ++i)
    lines += failed("198.51.100.7", i);
  lines += failed("198.51.100.8", 0);  // below the threshold
  append(lines);
  EXPECT_TRUE(eventually([&] { return banned("198.51.100.7"); })) << daemon_log();
  EXPECT_FALSE(banned("198.51.100.8"));
  EXPECT_EQ(metric("phalanx_acquisition_lines_total"), 9);
  EXPECT_EQ(metric("phalanx_overflows_total"), 1);
  EXPECT_EQ(metric("phalanx_agent_alerts_pushed_total"), 1);
  EXPECT_EQ(daemon_->stop(SIGTERM), 0);
  // The alert is stored as the local machine's, which exists and is validated.
  auto store = storage::open_store("sqlite://" + dir_ + "/phalanx.db");
  ASSERT_TRUE(store);
  auto m = (*store)->get_machine("test-host");
  ASSERT_TRUE(m && *m);
  EXPECT_TRUE((*m)->is_validated);
  storage::AlertFilter f;
  f.scenario = "phalanx/ssh-bf";
  auto alerts = (*store)->query_alerts(f, phalanx::SystemClock::instance().now());
  ASSERT_TRUE(alerts);
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ(alerts->front().machine_id, "test-host");
  EXPECT_EQ(alerts->front().source.value, "198.51.100.7");
  ASSERT_EQ(alerts->front().decisions.size(), 1u);
  EXPECT_EQ(alerts->front().decisions[0].type, "ban");
}

TEST_F(PhalanxdAgentTest, RestartNeitherLosesNorRepeatsLines) {
  start();
  std::string lines;
  for (int i = 0; i < 100; ++i)
    lines += fmt::format("Dec  3 10:00:00 host app[1]: line {}\n", i);
  append(lines);
  ASSERT_TRUE(eventually([&] { return metric("phalanx_acquisition_lines_total") == 100; }))
      << metric("phalanx_acquisition_lines_total");
  ASSERT_EQ(daemon_->stop(SIGTERM), 0);
  // Written while phalanxd is down: read after the restart, and only these.
  lines.clear();
  for (int i = 100; i < 150; ++i)
    lines += fmt::format("Dec  3 10:00:00 host app[1]: line {}\n", i);
  append(lines);
  start();
  EXPECT_TRUE(eventually([&] { return metric("phalanx_acquisition_lines_total") >= 50; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(metric("phalanx_acquisition_lines_total"), 50) << daemon_log();
}

TEST_F(PhalanxdAgentTest, SighupReloadsAndRefusesABrokenAcquisition) {
  start();
  append(failed("198.51.100.20", 0));
  ASSERT_TRUE(eventually([&] { return metric("phalanx_acquisition_lines_total") == 1; }));
  // A broken acquisition file (no labels): the reload is refused, the agent keeps following.
  write_acquis(fmt::format("filenames: [{}]\n", log_));
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return daemon_log().find("reload refused") != std::string::npos; }))
      << daemon_log();
  append(failed("198.51.100.20", 1));
  EXPECT_TRUE(eventually([&] { return metric("phalanx_acquisition_lines_total") == 2; }));
  // A good one: reloaded; the new sources resume where the old ones stopped, and the live
  // buckets of unchanged scenarios are kept.
  write_acquis(fmt::format("filenames: [{}]\nlabels: {{type: syslog}}\n", log_));
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return daemon_log().find("reload done") != std::string::npos; }))
      << daemon_log();
  // Two failures before the reload and four after: the ban needs the bucket carried over.
  for (int i = 2; i < 6; ++i)
    append(failed("198.51.100.20", i));
  EXPECT_TRUE(eventually([&] { return metric("phalanx_acquisition_lines_total") == 4; }))
      << metric("phalanx_acquisition_lines_total");
  EXPECT_TRUE(eventually([&] { return banned("198.51.100.20"); })) << daemon_log();
  EXPECT_EQ(daemon_->stop(SIGTERM), 0);
}

// A reloaded acquisition that loads but cannot start (its syslog port is taken): the running
// configuration comes back, with its live buckets, and the file is still followed.
TEST_F(PhalanxdAgentTest, SighupWhoseSourceCannotStartRestoresTheRunningAgent) {
  const int taken = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(taken, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(taken, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  start();
  for (int i = 0; i < 3; ++i)
    append(failed("198.51.100.21", i));
  ASSERT_TRUE(eventually([&] { return metric("phalanx_acquisition_lines_total") == 3; }));
  write_acquis(
      fmt::format("filenames: [{}]\nlabels: {{type: syslog}}\n---\nsource: syslog\nlisten_addr: "
                  "127.0.0.1\nlisten_port: {}\nprotocol: udp\nlabels: {{type: syslog}}\n",
                  log_, ntohs(addr.sin_port)));
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return daemon_log().find("the running configuration is restored") != std::string::npos;
  })) << daemon_log();
  close(taken);
  // The restored agent resumes after the three lines and still holds their bucket: three more
  // failures make the ban.
  for (int i = 3; i < 6; ++i)
    append(failed("198.51.100.21", i));
  EXPECT_TRUE(eventually([&] { return metric("phalanx_acquisition_lines_total") == 3; }))
      << metric("phalanx_acquisition_lines_total") << "\n"
      << daemon_log();
  EXPECT_TRUE(eventually([&] { return banned("198.51.100.21"); })) << daemon_log();
  EXPECT_EQ(daemon_log().find("no agent runs"), std::string::npos) << daemon_log();
  EXPECT_EQ(daemon_->stop(SIGTERM), 0);
}

// SIGHUP reads config.yaml again: new profiles and allow list apply to the next alerts; a broken
// profiles file is refused and the running profiles stay.
TEST_F(PhalanxdAgentTest, SighupReloadsProfilesAndTheAllowList) {
  const auto write_config = [&](const std::string& extra) {
    std::ofstream(dir_ + "/config.yaml")
        << "db: sqlite://" << dir_ << "/phalanx.db\n"
        << "data_dir: " << dir_ << "/state\n"
        << "profiles: " << dir_ << "/profiles.yaml\n"
        << extra << "agent:\n  acquis: " << dir_ << "/acquis.yaml\n  acquis_dir: " << dir_
        << "/acquis.d\n  machine_id: test-host\n  workers: 2\n"
        << "lapi:\n  listen: 127.0.0.1:0\n";
  };
  const auto write_profiles = [&](const std::string& type, const std::string& duration) {
    std::ofstream(dir_ + "/profiles.yaml")
        << "name: test\nfilters:\n  - Alert.Remediation == true\ndecisions:\n  - type: " << type
        << "\n    duration: " << duration << "\non_success: break\n";
  };
  const auto brute_force = [&](const std::string& ip) {
    std::string lines;
    for (int i = 0; i < 8; ++i)
      lines += failed(ip, i);
    append(lines);
  };
  // Time left on the ban of `ip`, in minutes (-1 when there is none).
  const auto minutes_left = [&](const std::string& ip) -> long {
    auto res = http_->Get("/v1/decisions?ip=" + ip, {{"X-Api-Key", key_}});
    if (!res || res->status != 200) return -1;
    const std::string key = "\"duration\":\"";
    const size_t at = res->body.find(key);
    if (at == std::string::npos) return -1;
    const size_t from = at + key.size();
    auto d = parse_go_duration(res->body.substr(from, res->body.find('"', from) - from));
    return d ? std::chrono::duration_cast<std::chrono::minutes>(*d).count() : -1;
  };
  const auto reloads = [&] {
    size_t n = 0;
    const std::string log = daemon_log();
    for (size_t at = log.find("reload done"); at != std::string::npos;
         at = log.find("reload done", at + 1))
      ++n;
    return n;
  };
  write_config("");
  write_profiles("ban", "2h");
  start();
  brute_force("198.51.100.7");
  ASSERT_TRUE(eventually([&] { return banned("198.51.100.7"); })) << daemon_log();
  EXPECT_GE(minutes_left("198.51.100.7"), 115);

  write_profiles("ban", "1h");
  write_config("allow_list: [198.51.100.30]\n");
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return reloads() == 1; })) << daemon_log();
  brute_force("198.51.100.9");
  brute_force("198.51.100.30");
  ASSERT_TRUE(eventually([&] { return banned("198.51.100.9"); })) << daemon_log();
  EXPECT_GE(minutes_left("198.51.100.9"), 55);
  EXPECT_LE(minutes_left("198.51.100.9"), 60);
  ASSERT_TRUE(eventually([&] {
    return daemon_log().find("198.51.100.30 from scenario phalanx/ssh-bf refused") !=
           std::string::npos;
  })) << daemon_log();
  EXPECT_FALSE(banned("198.51.100.30"));

  // A broken profiles file: refused, and the 1h profile keeps deciding.
  std::ofstream(dir_ + "/profiles.yaml") << "name: broken\nfilters: [\"Alert.Nope(\"]\n";
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return daemon_log().find("reload refused for the profiles") != std::string::npos;
  })) << daemon_log();
  brute_force("198.51.100.11");
  ASSERT_TRUE(eventually([&] { return banned("198.51.100.11"); })) << daemon_log();
  EXPECT_GE(minutes_left("198.51.100.11"), 55);
  EXPECT_LE(minutes_left("198.51.100.11"), 60);
  EXPECT_EQ(reloads(), 1u);
  EXPECT_EQ(daemon_->stop(SIGTERM), 0);
}

// Two processes: a LAPI-only phalanxd and an agent-only one pushing to it as a machine. While
// the LAPI is down the agent spools its alerts; they arrive once it is back.
TEST_F(PhalanxdAgentTest, AgentOnlyPushesToARemoteLapiAndSpoolsWhileItIsDown) {
  {
    auto store = storage::open_store("sqlite://" + dir_ + "/phalanx.db");
    ASSERT_TRUE(store);
    storage::Machine m;
    m.machine_id = "edge-1";
    m.password_hash = lapi::hash_password("edge-1-password", 1000);
    m.is_validated = true;
    ASSERT_TRUE((*store)->add_machine(m));
  }
  // The LAPI on a fixed free port, so that its restart is found at the same address.
  DaemonProcess lapi_proc(PHALANXD_PATH, dir_ + "/lapi.log");
  unsigned port = 0;
  ASSERT_NO_FATAL_FAILURE(start_lapi_only(lapi_proc, port));
  std::ofstream(dir_ + "/agent.yaml")
      << "data_dir: " << dir_ << "/agent-state\n"
      << "agent:\n  acquis: " << dir_ << "/acquis.yaml\n  acquis_dir: " << dir_
      << "/acquis.d\n  metrics_listen: 127.0.0.1:0\n"
      << "  lapi:\n    url: http://127.0.0.1:" << port
      << "/\n    login: edge-1\n    password: edge-1-password\n"
      << "lapi:\n  enabled: false\n";
  DaemonProcess agent_proc(PHALANXD_PATH, dir_ + "/agent.log");
  ASSERT_TRUE(agent_proc.start({"-c", dir_ + "/agent.yaml"}));
  ASSERT_NE(agent_proc.wait_line("phalanxd: agent running"), "");
  std::string lines;
  for (int i = 0; i < 7; ++i)
    lines += failed("198.51.100.30", i);
  append(lines);
  EXPECT_TRUE(eventually([&] { return banned("198.51.100.30"); })) << daemon_log();
  // The agent described itself at start (usage metrics, as a log processor).
  EXPECT_TRUE(eventually([&] {
    auto res = http_->Get("/metrics");
    return res && res->body.find(
                      "phalanx_lapi_requests_total{route=\"/v1/usage-metrics\","
                      "method=\"POST\",code=\"201\"} 1") != std::string::npos;
  }));

  // LAPI down: the next attack is spooled on the agent's disk.
  ASSERT_EQ(lapi_proc.stop(SIGTERM), 0);
  lines.clear();
  for (int i = 0; i < 7; ++i)
    lines += failed("198.51.100.31", i);
  append(lines);
  ASSERT_TRUE(eventually(
      [&] {
        return fs::exists(dir_ + "/agent-state/spool") &&
               !fs::is_empty(dir_ + "/agent-state/spool");
      },
      15s));
  std::ofstream(dir_ + "/lapi.yaml") << "db: sqlite://" << dir_ << "/phalanx.db\n"
                                     << "lapi:\n  listen: 127.0.0.1:" << port << "\n";
  ASSERT_TRUE(lapi_proc.start({"-c", dir_ + "/lapi.yaml", "--no-agent"}));
  ASSERT_NE(lapi_proc.wait_line("phalanxd: listening on"), "");
  EXPECT_TRUE(eventually([&] { return banned("198.51.100.31"); }, 20s));
  EXPECT_EQ(agent_proc.stop(SIGTERM), 0);
  EXPECT_EQ(lapi_proc.stop(SIGTERM), 0);
  auto store = storage::open_store("sqlite://" + dir_ + "/phalanx.db");
  ASSERT_TRUE(store);
  storage::AlertFilter f;
  f.scenario = "phalanx/ssh-bf";
  auto alerts = (*store)->query_alerts(f, phalanx::SystemClock::instance().now());
  ASSERT_TRUE(alerts);
  ASSERT_EQ(alerts->size(), 2u) << "each alert exactly once";
  for (const auto& a : *alerts)
    EXPECT_EQ(a.machine_id, "edge-1");
}

// The agent-only setup an admin follows: `phalanx lapi register` on the agent host writes the
// credentials file, `phalanx machines validate` on the LAPI host, phalanxd reads the file.
TEST_F(PhalanxdAgentTest, RegisteredAgentPushesWithItsCredentialsFile) {
  DaemonProcess lapi_proc(PHALANXD_PATH, dir_ + "/lapi.log");
  unsigned port = 0;
  ASSERT_NO_FATAL_FAILURE(start_lapi_only(lapi_proc, port));
  const std::string url = fmt::format("http://127.0.0.1:{}/", port);
  std::string out;
  ASSERT_EQ(
      DaemonProcess::run(
          PHALANX_CLI_PATH,
          {"lapi", "register", "-u", url, "--machine", "edge-2", "-f", dir_ + "/creds.yaml"}, out),
      0)
      << out;
  EXPECT_NE(out.find("phalanx machines validate edge-2"), std::string::npos) << out;
  EXPECT_EQ(fs::status(dir_ + "/creds.yaml").permissions() & fs::perms::others_read,
            fs::perms::none);
  out.clear();
  ASSERT_EQ(
      DaemonProcess::run(
          PHALANX_CLI_PATH,
          {"machines", "validate", "edge-2", "--db", "sqlite://" + dir_ + "/phalanx.db"}, out),
      0)
      << out;
  std::ofstream(dir_ + "/agent.yaml")
      << "data_dir: " << dir_ << "/agent-state\n"
      << "agent:\n  acquis: " << dir_ << "/acquis.yaml\n  acquis_dir: " << dir_
      << "/acquis.d\n  lapi: {credentials: " << dir_ << "/creds.yaml}\n"
      << "lapi: {enabled: false}\n";
  DaemonProcess agent_proc(PHALANXD_PATH, dir_ + "/agent.log");
  ASSERT_TRUE(agent_proc.start({"-c", dir_ + "/agent.yaml"}));
  ASSERT_NE(agent_proc.wait_line("phalanxd: agent running"), "");
  std::string lines;
  for (int i = 0; i < 7; ++i)
    lines += failed("198.51.100.32", i);
  append(lines);
  EXPECT_TRUE(eventually([&] { return banned("198.51.100.32"); }));
  EXPECT_EQ(agent_proc.stop(SIGTERM), 0);
  EXPECT_EQ(lapi_proc.stop(SIGTERM), 0);
}

TEST_F(PhalanxdAgentTest, CheckPrintsEveryProblem) {
  std::string out;
  EXPECT_EQ(DaemonProcess::run(PHALANXD_PATH, {"--check", "-c", dir_ + "/config.yaml"}, out), 0)
      << out;
  EXPECT_NE(out.find("is valid"), std::string::npos) << out;
  EXPECT_NE(out.find("1 acquisition source(s)"), std::string::npos) << out;
  // Two broken acquisition items and a profiles file that does not exist: all three reported.
  write_acquis(
      fmt::format("filenames: [{}]\n---\nsource: syslog\nlisten_port: 99999\nlabels: "
                  "{{type: syslog}}\n",
                  log_));
  std::ofstream(dir_ + "/config.yaml", std::ios::app) << "profiles: " << dir_ << "/none.yaml\n";
  out.clear();
  EXPECT_EQ(DaemonProcess::run(PHALANXD_PATH, {"--check", "-c", dir_ + "/config.yaml"}, out), 1);
  EXPECT_NE(out.find("acquis.yaml:1"), std::string::npos) << out;
  EXPECT_NE(out.find("acquis.yaml:4"), std::string::npos) << out;
  EXPECT_NE(out.find("none.yaml"), std::string::npos) << out;
  EXPECT_NE(out.find("3 error(s)"), std::string::npos) << out;
}

TEST_F(PhalanxdAgentTest, CheckRejectsAShardCountOutOfRange) {
  for (const char* bad : {"-1", "257", "two"}) {
    std::ofstream(dir_ + "/bad.yaml") << "db: sqlite://" << dir_ << "/phalanx.db\n"
                                      << "agent:\n  acquis: " << dir_ << "/acquis.yaml\n"
                                      << "  shards: " << bad << "\n";
    std::string out;
    EXPECT_EQ(DaemonProcess::run(PHALANXD_PATH, {"--check", "-c", dir_ + "/bad.yaml"}, out), 1)
        << bad << ": " << out;
    EXPECT_NE(out.find("shards"), std::string::npos) << bad << ": " << out;
  }
  std::ofstream(dir_ + "/good.yaml") << "db: sqlite://" << dir_ << "/phalanx.db\n"
                                     << "agent:\n  acquis: " << dir_ << "/acquis.yaml\n"
                                     << "  shards: 0\n";
  std::string out;
  EXPECT_EQ(DaemonProcess::run(PHALANXD_PATH, {"--check", "-c", dir_ + "/good.yaml"}, out), 0)
      << out;
}

}  // namespace
}  // namespace phalanx::test

// SPDX-License-Identifier: Apache-2.0
// The live pipeline over Phalanx's own content: lines pushed as a source would, alerts out.
#include "agent/pipeline.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

namespace phalanx::agent {
namespace {

using namespace std::chrono_literals;

cli::Content& content() {
  static cli::Content c = [] {
    cli::ContentOptions opts;
    opts.config_dir = std::string(PHALANX_SOURCE_DIR) + "/scenarios";
    auto loaded = cli::load_content(opts);
    if (!loaded) throw std::runtime_error(loaded.error().message());
    return std::move(*loaded);
  }();
  return c;
}

struct Collected {
  std::mutex mu;
  std::vector<parser::Alert> alerts;
  size_t size() {
    std::lock_guard lock(mu);
    return alerts.size();
  }
};

acquisition::Line ssh_line(const std::string& ip, int n, bool time_machine = false) {
  static auto labels = std::make_shared<const std::map<std::string, std::string>>(
      std::map<std::string, std::string>{{"type", "syslog"}});
  acquisition::Line line;
  line.raw = "Dec  3 10:00:" + std::string(n < 10 ? "0" : "") + std::to_string(n) +
             " host sshd[100]: Failed password for root from " + ip + " port 4" +
             std::to_string(1000 + n) + " ssh2";
  line.src = "/var/log/auth.log";
  line.module = "file";
  line.labels = labels;
  line.read_at = SystemClock::instance().now();
  line.time_machine = time_machine;
  return line;
}

TEST(PipelineTest, LiveBruteForceBecomesOneAlertForItsSource) {
  Collected got;
  Pipeline p(content(), {.workers = 2}, [&](std::vector<parser::Alert>&& a) {
    std::lock_guard lock(got.mu);
    for (auto& x : a)
      got.alerts.push_back(std::move(x));
  });
  p.start();
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(p.push(ssh_line("198.51.100.7", i)));
  // A benign address with two failures stays below the threshold.
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(p.push(ssh_line("192.0.2.10", i)));
  p.stop();
  EXPECT_EQ(p.stats().lines.load(), 10u);
  EXPECT_EQ(p.stats().parsed.load(), 10u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.alerts[0].scenario, "phalanx/ssh-bf");
  EXPECT_EQ(got.alerts[0].source.value, "198.51.100.7");
  EXPECT_EQ(p.overflows_by_scenario()["phalanx/ssh-bf"], 1u);
  EXPECT_GT(p.stats().latency_count.load(), 0u);
  // Both workers' counts per parser node: every line went through the syslog and sshd nodes.
  std::map<std::string, parser::NodeCount> nodes;
  for (const auto& n : p.parser_nodes())
    nodes[n.stage + "/" + n.name] = n.count;
  EXPECT_EQ(nodes["s00-raw/phalanx/syslog-logs"].entered, 10u);
  EXPECT_EQ(nodes["s00-raw/phalanx/syslog-logs"].parsed, 10u);
  EXPECT_EQ(nodes["s01-parse/phalanx/sshd-logs"].entered, 10u);
  EXPECT_EQ(nodes["s01-parse/phalanx/sshd-logs"].parsed, 10u);
  EXPECT_EQ(nodes["s01-parse/phalanx/nginx-logs"].parsed, 0u);
}

TEST(PipelineTest, UnparsedLinesAreCountedNotPoured) {
  Pipeline p(content(), {.workers = 1}, [](std::vector<parser::Alert>&&) {});
  p.start();
  acquisition::Line line = ssh_line("198.51.100.7", 1);
  line.raw = "this is not a log line anyone parses";
  ASSERT_TRUE(p.push(std::move(line)));
  p.stop();
  EXPECT_EQ(p.stats().unparsed.load(), 1u);
  EXPECT_EQ(p.stats().parsed.load(), 0u);
}

TEST(PipelineTest, BackpressureLosesNothing) {
  // A queue of 4 lines and a slow consumer of alerts: the producer blocks instead of dropping.
  Collected got;
  Pipeline p(content(), {.workers = 1, .queue_capacity = 4}, [&](std::vector<parser::Alert>&& a) {
    std::this_thread::sleep_for(2ms);
    std::lock_guard lock(got.mu);
    for (auto& x : a)
      got.alerts.push_back(std::move(x));
  });
  p.start();
  constexpr int kSources = 200;
  std::thread producer([&] {
    for (int s = 0; s < kSources; ++s)
      for (int i = 0; i < 6; ++i)
        ASSERT_TRUE(p.push(ssh_line("203.0.113." + std::to_string(s), i)));
  });
  producer.join();
  p.stop();
  EXPECT_EQ(p.stats().lines.load(), size_t(kSources) * 6);
  EXPECT_EQ(p.stats().parsed.load(), size_t(kSources) * 6);
  EXPECT_EQ(got.size(), size_t(kSources));
}

TEST(PipelineTest, PushFailsOnceStopped) {
  Pipeline p(content(), {.workers = 1}, [](std::vector<parser::Alert>&&) {});
  p.start();
  p.stop();
  EXPECT_FALSE(p.push(ssh_line("198.51.100.7", 1)));
  acquisition::Line line = ssh_line("198.51.100.7", 2);
  EXPECT_FALSE(p.try_push(line));
  EXPECT_FALSE(line.raw.empty()) << "a refused line is left to its source";
}

// A reload in the middle of a brute force: the next pipeline, over content loaded again (and
// the old content gone), adopts the live bucket and the 6th failure still overflows it.
TEST(PipelineTest, ReloadCarriesLiveBucketsOver) {
  cli::ContentOptions opts;
  opts.config_dir = std::string(PHALANX_SOURCE_DIR) + "/scenarios";
  auto first = std::make_unique<cli::Content>(std::move(*cli::load_content(opts)));
  size_t live = 0;  // ssh-bf's bucket, and those of the other ssh scenarios the lines feed
  auto handoff = [&] {
    Pipeline p(*first, {.workers = 1}, [](std::vector<parser::Alert>&&) {});
    p.start();
    for (int i = 0; i < 5; ++i)
      EXPECT_TRUE(p.push(ssh_line("198.51.100.40", i)));
    p.stop();
    live = p.bucket_count();
    EXPECT_GE(live, 1u);
    return p.take_buckets();
  }();
  first.reset();
  auto second = std::move(*cli::load_content(opts));
  Collected got;
  Pipeline p(second, {.workers = 1}, [&](std::vector<parser::Alert>&& a) {
    std::lock_guard lock(got.mu);
    for (auto& x : a)
      got.alerts.push_back(std::move(x));
  });
  p.adopt_buckets(handoff);
  p.start();
  EXPECT_TRUE(p.push(ssh_line("198.51.100.40", 5)));
  p.stop();
  EXPECT_EQ(p.adopted_buckets(), live);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.alerts[0].source.value, "198.51.100.40");
  EXPECT_EQ(got.alerts[0].events_count, 6);
}

// A scenario that changed (another hash) does not get its old bucket back; the others do.
TEST(PipelineTest, ChangedScenarioStartsWithNoBuckets) {
  Pipeline before(content(), {.workers = 1}, [](std::vector<parser::Alert>&&) {});
  before.start();
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(before.push(ssh_line("198.51.100.41", i)));
  before.stop();
  auto handoff = before.take_buckets();
  ASSERT_TRUE(handoff);
  // The same scenarios from text with one byte changed: same names, other hashes.
  char tmpl[] = "/tmp/phalanx-reload-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::filesystem::copy(std::string(PHALANX_SOURCE_DIR) + "/scenarios", dir + "/c",
                        std::filesystem::copy_options::recursive);
  std::ofstream(dir + "/c/scenarios/phalanx/ssh-bf.yaml", std::ios::app) << "# changed\n";
  cli::ContentOptions opts;
  opts.config_dir = dir + "/c";
  auto changed = std::move(*cli::load_content(opts));
  Pipeline after(changed, {.workers = 1}, [](std::vector<parser::Alert>&&) {});
  after.adopt_buckets(handoff);
  after.start();
  after.stop();
  EXPECT_EQ(after.adopted_buckets(), before.bucket_count() - 1);
  std::filesystem::remove_all(dir);
}

TEST(PipelineTest, MakeEventCarriesLabelsAndMode) {
  auto live = make_event(ssh_line("198.51.100.7", 1));
  EXPECT_EQ(live.expect_mode, parser::ExpectMode::kLive);
  EXPECT_EQ(live.line.module, "file");
  EXPECT_EQ(live.line.labels.get("type"), "syslog");
  auto replayed = make_event(ssh_line("198.51.100.7", 1, true));
  EXPECT_EQ(replayed.expect_mode, parser::ExpectMode::kTimeMachine);
}

}  // namespace
}  // namespace phalanx::agent

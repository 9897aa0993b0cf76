// SPDX-License-Identifier: Apache-2.0
// The journald source against journal files written by systemd-journal-remote (fed with the
// journal export format), so no running journald is needed.
#include "acquisition/journald_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>

#include "test_sink.h"

namespace phalanx::acquisition {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::TestSink;
using Fields = std::vector<std::pair<std::string, std::string>>;

const char* journal_remote() {
  for (const char* p :
       {"/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return nullptr;
}

// A journal directory the tests append entries to.
class JournalDir {
 public:
  JournalDir() {
    char tmpl[] = "/tmp/phalanx-journal-XXXXXX";
    if (mkdtemp(tmpl)) dir_ = tmpl;
    state_ = dir_ + "-state";
    mkdir(state_.c_str(), 0700);
  }
  ~JournalDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::remove_all(state_, ec);
  }
  const std::string& path() const { return dir_; }
  const std::string& state() const { return state_; }

  // Appends entries (each with increasing timestamps) through systemd-journal-remote.
  bool append(const std::vector<Fields>& entries) {
    std::string cmd =
        std::string(journal_remote()) + " --output=" + dir_ + "/test.journal - 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "w");
    if (!p) return false;
    for (const auto& fields : entries) {
      ++seq_;
      std::string e = "__REALTIME_TIMESTAMP=" + std::to_string(kBaseUs + seq_ * 1000000) + "\n";
      e += "__MONOTONIC_TIMESTAMP=" + std::to_string(seq_ * 1000) + "\n";
      e += "_BOOT_ID=0123456789abcdef0123456789abcdef\n";
      for (const auto& [k, v] : fields)
        e += k + "=" + v + "\n";
      e += "\n";
      fwrite(e.data(), 1, e.size(), p);
    }
    return pclose(p) == 0;
  }
  // A simple entry: host h1, identifier `ident`, pid 42, unit `unit`.
  static Fields entry(const std::string& message, const std::string& ident = "sshd",
                      const std::string& unit = "ssh.service") {
    return {{"_HOSTNAME", "h1"},
            {"SYSLOG_IDENTIFIER", ident},
            {"_PID", "42"},
            {"_SYSTEMD_UNIT", unit},
            {"MESSAGE", message}};
  }
  // 2023-11-14T22:13:20Z
  static constexpr uint64_t kBaseUs = 1700000000000000;

 private:
  std::string dir_;
  std::string state_;
  uint64_t seq_ = 0;
};

class JournaldSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!journal_remote())
      GTEST_SKIP() << "systemd-journal-remote not installed (package systemd-journal-remote): "
                      "cannot write journal files";
    setenv("TZ", "UTC", 1);
    tzset();
  }

  SourceConfig config(const std::string& mode, std::vector<std::string> filter = {}) {
    SourceConfig c;
    c.source = "journalctl";
    c.mode = mode;
    c.name = "journal test";
    c.labels = {{"type", "syslog"}};
    c.journalctl_filter = std::move(filter);
    c.journal_directory = dir_.path();
    return c;
  }
  std::unique_ptr<JournaldSource> start(const SourceConfig& c, Sink& sink) {
    auto src = JournaldSource::create(c, SourceOptions{dir_.state()});
    EXPECT_TRUE(src) << src.error().message();
    if (!src) return nullptr;
    auto started = (*src)->start(sink);
    EXPECT_TRUE(started) << started.error().message();
    if (!started) return nullptr;
    return std::move(*src);
  }
  static std::vector<std::string> messages(const std::vector<Line>& lines) {
    std::vector<std::string> out;
    for (const auto& l : lines)
      out.push_back(l.raw.substr(l.raw.rfind(' ') + 1));
    return out;
  }

  JournalDir dir_;
};

TEST(JournalFilterTest, Translation) {
  auto m = translate_journalctl_filter({"_SYSTEMD_UNIT=ssh.service", "+", "-u", "nginx",
                                        "--unit=cron.timer", "-u sshd", "-tfoo", "--identifier=bar",
                                        "-k", "--unit", "x@1.service"});
  ASSERT_TRUE(m) << m.error().message();
  std::vector<std::string> got;
  for (const auto& x : *m)
    got.push_back(x.disjunction ? "+" : x.match);
  EXPECT_EQ(got,
            (std::vector<std::string>{
                "_SYSTEMD_UNIT=ssh.service", "+", "_SYSTEMD_UNIT=nginx.service",
                "_SYSTEMD_UNIT=cron.timer", "_SYSTEMD_UNIT=sshd.service", "SYSLOG_IDENTIFIER=foo",
                "SYSLOG_IDENTIFIER=bar", "_TRANSPORT=kernel", "_SYSTEMD_UNIT=x@1.service"}));
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{{"-b"},
                                                                            {"--since=today"},
                                                                            {"-u"},
                                                                            {"-u", "ssh*"},
                                                                            {"lowercase=x"},
                                                                            {"NOEQUALS"},
                                                                            {"=x"},
                                                                            {"-n", "0"}}) {
    auto r = translate_journalctl_filter(bad);
    EXPECT_FALSE(r) << bad[0];
    if (!r) {
      EXPECT_NE(r.error().message().find("supported"), std::string::npos);
    }
  }
}

TEST(JournalFilterTest, ShortFormat) {
  setenv("TZ", "UTC", 1);
  tzset();
  JournalEntry e{JournalDir::kBaseUs, "h1", "sshd", "42", "hello\nworld\n"};
  EXPECT_EQ(format_journal_short(e), "Nov 14 22:13:20 h1 sshd[42]: hello world");
  e.pid.clear();
  e.hostname.clear();
  e.realtime_us = 1701590400000000;  // 2023-12-03T08:00:00Z: journalctl pads the day
  EXPECT_EQ(format_journal_short(e), "Dec 03 08:00:00 sshd: hello world");
}

TEST(JournalFilterTest, CursorFileName) {
  SourceConfig c;
  c.name = "ssh logs/../x";
  EXPECT_EQ(journald_cursor_file(c), "journald-ssh_logs_.._x.cursor");
}

TEST_F(JournaldSourceTest, CatModeReadsEverythingAndFinishes) {
  ASSERT_TRUE(dir_.append({
      JournalDir::entry("one"),
      {{"_HOSTNAME", "h1"}, {"_COMM", "nginx"}, {"_PID", "7"}, {"MESSAGE", "two"}},
      {{"_HOSTNAME", "h1"}, {"SYSLOG_IDENTIFIER", "app"}, {"FOO", "no message"}},
      {{"_HOSTNAME", "h1"},
       {"SYSLOG_IDENTIFIER", "cron"},
       {"SYSLOG_PID", "9"},
       {"_PID", "8"},
       {"_SOURCE_REALTIME_TIMESTAMP", "1600000000000000"},
       {"MESSAGE", "three"}},
  }));
  TestSink sink;
  auto src = start(config("cat"), sink);
  ASSERT_TRUE(src);
  ASSERT_TRUE(eventually([&] { return src->finished(); }));
  auto lines = sink.take();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].raw, "Nov 14 22:13:21 h1 sshd[42]: one");
  EXPECT_EQ(lines[1].raw, "Nov 14 22:13:22 h1 nginx[7]: two");
  EXPECT_EQ(lines[2].raw, "Sep 13 12:26:40 h1 cron[8]: three");
  EXPECT_EQ(lines[0].src, "journalctl");
  EXPECT_EQ(lines[0].module, "journalctl");
  EXPECT_TRUE(lines[0].time_machine);
  EXPECT_EQ(lines[0].labels->at("type"), "syslog");
  EXPECT_EQ(src->stats().lines.load(), 3u);
  // Same text as journalctl itself prints.
  std::string cmd = "TZ=UTC journalctl -q --no-pager -o short -D " + dir_.path() + " 2>/dev/null";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    std::vector<std::string> theirs;
    char buf[4096];
    while (fgets(buf, sizeof buf, p)) {
      std::string l(buf);
      if (!l.empty() && l.back() == '\n') l.pop_back();
      theirs.push_back(l);
    }
    if (pclose(p) == 0) {
      std::vector<std::string> ours;
      for (const auto& l : lines)
        ours.push_back(l.raw);
      EXPECT_EQ(ours, theirs);
    }
  }
}

TEST_F(JournaldSourceTest, FiltersSelectEntries) {
  ASSERT_TRUE(dir_.append({JournalDir::entry("a1", "sshd", "ssh.service"),
                           JournalDir::entry("b1", "nginx", "nginx.service"),
                           JournalDir::entry("c1", "cron", "cron.service"),
                           JournalDir::entry("a2", "sshd", "ssh.service")}));
  {
    TestSink sink;
    auto src = start(config("cat", {"-u", "ssh"}), sink);
    ASSERT_TRUE(src);
    ASSERT_TRUE(eventually([&] { return src->finished(); }));
    EXPECT_EQ(messages(sink.take()), (std::vector<std::string>{"a1", "a2"}));
  }
  {
    TestSink sink;
    auto src =
        start(config("cat", {"_SYSTEMD_UNIT=nginx.service", "+", "SYSLOG_IDENTIFIER=cron"}), sink);
    ASSERT_TRUE(src);
    ASSERT_TRUE(eventually([&] { return src->finished(); }));
    EXPECT_EQ(messages(sink.take()), (std::vector<std::string>{"b1", "c1"}));
  }
  {
    TestSink sink;  // two fields: both must match
    auto src = start(config("cat", {"_SYSTEMD_UNIT=ssh.service", "SYSLOG_IDENTIFIER=cron"}), sink);
    ASSERT_TRUE(src);
    ASSERT_TRUE(eventually([&] { return src->finished(); }));
    EXPECT_TRUE(sink.take().empty());
  }
  EXPECT_FALSE(JournaldSource::create(config("cat", {"-b"}), {}));
  EXPECT_FALSE(JournaldSource::create(config("server"), {}));
}

TEST_F(JournaldSourceTest, TailStartsAtTheEnd) {
  ASSERT_TRUE(dir_.append({JournalDir::entry("old1"), JournalDir::entry("old2")}));
  TestSink sink;
  SourceConfig c = config("tail");
  auto src = JournaldSource::create(c, SourceOptions{});  // no state dir: no cursor
  ASSERT_TRUE(src);
  ASSERT_TRUE((*src)->start(sink));
  ASSERT_TRUE(dir_.append({JournalDir::entry("new1"), JournalDir::entry("new2")}));
  ASSERT_TRUE(sink.wait_for(2));
  ASSERT_TRUE(dir_.append({JournalDir::entry("new3")}));
  ASSERT_TRUE(sink.wait_for(3));
  auto lines = sink.take();
  EXPECT_EQ(messages(lines), (std::vector<std::string>{"new1", "new2", "new3"}));
  EXPECT_FALSE(lines[0].time_machine);
  auto t0 = std::chrono::steady_clock::now();
  (*src)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST_F(JournaldSourceTest, CursorResumesWithoutRepeatOrLoss) {
  ASSERT_TRUE(dir_.append({JournalDir::entry("before")}));
  std::string cursor_file = dir_.state() + "/" + journald_cursor_file(config("tail"));
  {
    TestSink sink;
    auto src = start(config("tail"), sink);
    ASSERT_TRUE(src);
    ASSERT_TRUE(dir_.append({JournalDir::entry("m1"), JournalDir::entry("m2")}));
    ASSERT_TRUE(sink.wait_for(2));
    src->stop();
    EXPECT_EQ(messages(sink.take()), (std::vector<std::string>{"m1", "m2"}));
  }
  ASSERT_TRUE(std::filesystem::exists(cursor_file));
  // Written while no source runs: picked up by the next one.
  ASSERT_TRUE(dir_.append({JournalDir::entry("m3"), JournalDir::entry("m4")}));
  {
    TestSink sink;
    auto src = start(config("tail"), sink);
    ASSERT_TRUE(src);
    ASSERT_TRUE(sink.wait_for(2));
    ASSERT_TRUE(dir_.append({JournalDir::entry("m5")}));
    ASSERT_TRUE(sink.wait_for(3));
    src->stop();
    EXPECT_EQ(messages(sink.take()), (std::vector<std::string>{"m3", "m4", "m5"}));
  }
  {
    TestSink sink;  // nothing new: nothing repeated
    auto src = start(config("tail"), sink);
    ASSERT_TRUE(src);
    ASSERT_TRUE(dir_.append({JournalDir::entry("m6")}));
    ASSERT_TRUE(sink.wait_for(1));
    src->stop();
    EXPECT_EQ(messages(sink.take()), (std::vector<std::string>{"m6"}));
  }
}

TEST_F(JournaldSourceTest, SameSourceRestarts) {
  auto src = JournaldSource::create(config("tail"), SourceOptions{dir_.state()});
  ASSERT_TRUE(src);
  TestSink first;
  ASSERT_TRUE((*src)->start(first));
  ASSERT_TRUE(dir_.append({JournalDir::entry("m1")}));
  ASSERT_TRUE(first.wait_for(1));
  (*src)->stop();
  ASSERT_TRUE(dir_.append({JournalDir::entry("m2")}));
  TestSink second;
  ASSERT_TRUE((*src)->start(second));
  ASSERT_TRUE(second.wait_for(1));
  (*src)->stop();
  EXPECT_EQ(messages(first.take()), (std::vector<std::string>{"m1"}));
  EXPECT_EQ(messages(second.take()), (std::vector<std::string>{"m2"}));
}

TEST_F(JournaldSourceTest, CursorIsSavedWhileRunning) {
  TestSink sink;
  auto src = start(config("tail"), sink);
  ASSERT_TRUE(src);
  ASSERT_TRUE(dir_.append({JournalDir::entry("m1")}));
  ASSERT_TRUE(sink.wait_for(1));
  std::string cursor_file = dir_.state() + "/" + journald_cursor_file(config("tail"));
  EXPECT_TRUE(eventually([&] { return std::filesystem::exists(cursor_file); }, 3s));
}

TEST_F(JournaldSourceTest, StopWhileBlockedKeepsTheRestForLater) {
  ASSERT_TRUE(dir_.append({JournalDir::entry("before")}));
  {
    TestSink sink(2);
    auto src = start(config("tail"), sink);
    ASSERT_TRUE(src);
    ASSERT_TRUE(dir_.append({JournalDir::entry("m1"), JournalDir::entry("m2"),
                             JournalDir::entry("m3"), JournalDir::entry("m4")}));
    ASSERT_TRUE(sink.wait_blocked());
    auto stopped = std::async(std::launch::async, [&] { src->stop(); });
    EXPECT_EQ(stopped.wait_for(50ms), std::future_status::timeout);
    sink.close();  // m3 is refused: the cursor stays on m2
    ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(messages(sink.take()), (std::vector<std::string>{"m1", "m2"}));
    EXPECT_EQ(src->stats().lines.load(), 2u);
  }
  TestSink sink;
  auto src = start(config("tail"), sink);
  ASSERT_TRUE(src);
  ASSERT_TRUE(sink.wait_for(2));
  ASSERT_TRUE(dir_.append({JournalDir::entry("m5")}));
  ASSERT_TRUE(sink.wait_for(3));
  EXPECT_EQ(messages(sink.take()), (std::vector<std::string>{"m3", "m4", "m5"}));
}

TEST_F(JournaldSourceTest, AllowDropCountsRefusedEntries) {
  ASSERT_TRUE(
      dir_.append({JournalDir::entry("m1"), JournalDir::entry("m2"), JournalDir::entry("m3")}));
  TestSink sink(1);
  SourceConfig c = config("cat");
  c.allow_drop = true;
  auto src = start(c, sink);
  ASSERT_TRUE(src);
  ASSERT_TRUE(eventually([&] { return src->finished(); }));
  EXPECT_EQ(src->stats().lines.load(), 1u);
  EXPECT_EQ(src->stats().dropped.load(), 2u);
  EXPECT_EQ(messages(sink.take()), (std::vector<std::string>{"m1"}));
}

TEST_F(JournaldSourceTest, IdleWarningRaisesAndClears) {
  TestSink sink;
  SourceConfig c = config("tail");
  c.idle_warning = std::chrono::seconds(1);
  auto src = start(c, sink);
  ASSERT_TRUE(src);
  ASSERT_TRUE(eventually([&] { return src->stats().idle.load(); }, 3s));
  ASSERT_TRUE(dir_.append({JournalDir::entry("back")}));
  ASSERT_TRUE(sink.wait_for(1));
  EXPECT_TRUE(eventually([&] { return !src->stats().idle.load(); }));
}

TEST_F(JournaldSourceTest, LongEntriesAreCut) {
  ASSERT_TRUE(dir_.append({JournalDir::entry(std::string(500, 'x'))}));
  TestSink sink;
  SourceConfig c = config("cat");
  c.max_buffer_size = 40;
  auto src = start(c, sink);
  ASSERT_TRUE(src);
  ASSERT_TRUE(eventually([&] { return src->finished(); }));
  auto lines = sink.take();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].raw, "Nov 14 22:13:21 h1 sshd[42]: " + std::string(11, 'x'));
}

TEST_F(JournaldSourceTest, MissingDirectoryIsAnError) {
  SourceConfig c = config("tail");
  c.journal_directory = dir_.path() + "/does-not-exist";
  auto src = JournaldSource::create(c, {});
  ASSERT_TRUE(src);
  TestSink sink;
  auto started = (*src)->start(sink);
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message().find("does-not-exist"), std::string::npos)
      << started.error().message();
}

}  // namespace
}  // namespace phalanx::acquisition

// SPDX-License-Identifier: Apache-2.0
// The file source against real files in a temporary directory. Every wait is a deadline loop
// on an observable condition; poll intervals are small so the suite stays fast.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "acquisition/positions.h"
#include "acquisition/sources.h"

namespace phalanx::acquisition {
namespace {

using namespace std::chrono_literals;

// A thread-safe sink; with a capacity, push() blocks while that many lines are held.
class TestSink : public Sink {
 public:
  explicit TestSink(size_t capacity = 0) : capacity_(capacity) {}

  // Runs on the source's thread for every pushed line, before the line is kept.
  std::function<void(const Line&)> on_push;

  bool push(Line line) override {
    if (on_push) on_push(line);
    std::unique_lock lock(mu_);
    ++push_calls_;
    cv_.wait(lock, [&] { return stopped_ || capacity_ == 0 || lines_.size() < capacity_; });
    if (stopped_) return false;
    lines_.push_back(std::move(line));
    cv_.notify_all();
    return true;
  }
  bool try_push(Line& line) override {
    std::lock_guard lock(mu_);
    if (stopped_ || (capacity_ != 0 && lines_.size() >= capacity_)) return false;
    lines_.push_back(std::move(line));
    cv_.notify_all();
    return true;
  }
  void set_capacity(size_t capacity) {
    std::lock_guard lock(mu_);
    capacity_ = capacity;
    cv_.notify_all();
  }
  void stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return lines_.size();
  }
  size_t push_calls() const {
    std::lock_guard lock(mu_);
    return push_calls_;
  }
  std::vector<Line> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  std::vector<std::string> raws() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& l : lines_)
      out.push_back(l.raw);
    return out;
  }
  // Waits until at least n lines arrived (false at the deadline).
  bool wait_for(size_t n, std::chrono::milliseconds timeout = 10s) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return lines_.size() >= n; });
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Line> lines_;
  size_t capacity_ = 0;
  size_t push_calls_ = 0;
  bool stopped_ = false;
};

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

void append(const std::string& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

std::string numbered(const std::string& prefix, int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i)
    out += prefix + std::to_string(i) + "\n";
  return out;
}

std::vector<std::string> numbered_list(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i)
    out.push_back(prefix + std::to_string(i));
  return out;
}

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/phalanx-file-source-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  void TearDown() override {
    for (auto& s : sources_)
      s->stop();
    sources_.clear();
    std::filesystem::remove_all(dir_);
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  SourceConfig config(std::vector<std::string> globs) const {
    SourceConfig c;
    c.file = "test.yaml";
    c.line = 1;
    c.source = "file";
    c.name = "test";
    c.labels = {{"type", "test"}};
    c.filenames = std::move(globs);
    c.poll_interval = 20ms;
    c.discovery_interval = 1s;
    return c;
  }

  Source& start(const SourceConfig& c, Sink& sink, const std::string& state_dir = "") {
    auto made = make_file_source(c, SourceOptions{.state_dir = state_dir});
    EXPECT_TRUE(made) << made.error().message();
    sources_.push_back(std::move(*made));
    auto started = sources_.back()->start(sink);
    EXPECT_TRUE(started) << started.error().message();
    return *sources_.back();
  }
  void stop_last() {
    sources_.back()->stop();
    sources_.pop_back();
  }

  std::string dir_;
  std::vector<std::unique_ptr<Source>> sources_;
};

TEST_F(FileSourceTest, TailStartsAtTheEndAndFollowsAppends) {
  const auto log = path("app.log");
  append(log, "old 1\nold 2\n");
  TestSink sink;
  Source& src = start(config({log}), sink);
  EXPECT_EQ(src.describe(), "following 1 files (inotify)");
  append(log, "new 1\nnew 2\n");
  ASSERT_TRUE(sink.wait_for(2));
  append(log, "new 3\n");
  ASSERT_TRUE(sink.wait_for(3));
  EXPECT_EQ(sink.raws(), (std::vector<std::string>{"new 1", "new 2", "new 3"}));
  const Line line = sink.lines()[0];
  EXPECT_EQ(line.src, log);
  EXPECT_EQ(line.module, "file");
  ASSERT_NE(line.labels, nullptr);
  EXPECT_EQ(line.labels->at("type"), "test");
  EXPECT_FALSE(line.time_machine);
  EXPECT_GT(line.read_at.time_since_epoch().count(), 0);
  // The counters move just after the sink took the line.
  EXPECT_TRUE(eventually([&] { return src.stats().lines.load() == 3; }));
  EXPECT_EQ(src.stats().bytes.load(), 15u);
  EXPECT_GT(src.stats().last_line_ns.load(), 0);
  EXPECT_FALSE(src.finished());
}

TEST_F(FileSourceTest, PartialLineWaitsForItsNewlineAndCarriageReturnsGo) {
  const auto log = path("app.log");
  append(log, "");
  TestSink sink;
  start(config({log}), sink);
  append(log, "first\r\nhalf a ");
  ASSERT_TRUE(sink.wait_for(1));
  std::this_thread::sleep_for(100ms);  // several poll intervals: the half line must stay held
  EXPECT_EQ(sink.size(), 1u);
  append(log, "line\r\n\n\nlast\n");
  ASSERT_TRUE(sink.wait_for(3));
  EXPECT_EQ(sink.raws(), (std::vector<std::string>{"first", "half a line", "last"}));
}

TEST_F(FileSourceTest, ALineBeingWrittenAtStartIsDeliveredWhole) {
  const auto log = path("app.log");
  append(log, "old\nhalf ");
  TestSink sink;
  start(config({log}), sink);
  append(log, "done\nnext\n");
  ASSERT_TRUE(sink.wait_for(2));
  EXPECT_EQ(sink.raws(), (std::vector<std::string>{"half done", "next"}));
}

TEST_F(FileSourceTest, RenameRotationLosesAndRepeatsNothing) {
  const auto log = path("auth.log");
  append(log, "");
  TestSink sink;
  start(config({log}), sink);
  append(log, numbered("a", 1, 100));
  ASSERT_TRUE(std::filesystem::exists(log));
  std::filesystem::rename(log, path("auth.log.1"));
  // The writer still holds the old file for a moment, then moves to the new one.
  append(path("auth.log.1"), numbered("a", 101, 110));
  append(log, numbered("b", 1, 50));
  ASSERT_TRUE(sink.wait_for(160));
  append(log, numbered("b", 51, 60));
  // The new file is being read, so the rotation was seen: these come from the drained old one.
  append(path("auth.log.1"), numbered("a", 111, 120));
  ASSERT_TRUE(sink.wait_for(180));
  std::this_thread::sleep_for(50ms);
  auto raws = sink.raws();
  ASSERT_EQ(raws.size(), 180u);
  std::vector<std::string> a, b;
  for (const auto& r : raws)
    (r[0] == 'a' ? a : b).push_back(r);
  EXPECT_EQ(a, numbered_list("a", 1, 120));
  EXPECT_EQ(b, numbered_list("b", 1, 60));
  for (const auto& l : sink.lines())
    EXPECT_EQ(l.src, log);
}

TEST_F(FileSourceTest, CopyTruncateAndTruncationRestartAtZero) {
  const auto log = path("app.log");
  append(log, "");
  TestSink sink;
  start(config({log}), sink);
  append(log, numbered("before", 1, 20));
  ASSERT_TRUE(sink.wait_for(20));
  // copytruncate: copy, then truncate in place; the writer goes on appending.
  std::filesystem::copy_file(log, path("app.log.1"));
  ASSERT_EQ(::truncate(log.c_str(), 0), 0);
  append(log, "after1\n");
  ASSERT_TRUE(sink.wait_for(21));
  // A writer that reopens its log with O_TRUNC.
  append(log, numbered("after", 2, 10));
  ASSERT_TRUE(sink.wait_for(29));
  {
    const int fd = ::open(log.c_str(), O_WRONLY | O_TRUNC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "again\n", 6), 6);
    ::close(fd);
  }
  ASSERT_TRUE(sink.wait_for(30));
  std::this_thread::sleep_for(50ms);
  auto expected = numbered_list("before", 1, 20);
  for (auto& s : numbered_list("after", 1, 10))
    expected.push_back(s);
  expected.push_back("again");
  EXPECT_EQ(sink.raws(), expected);
}

TEST_F(FileSourceTest, TruncatedAndRegrownPastTheOffsetIsToldByItsHead) {
  const auto log = path("app.log");
  append(log, "");
  auto c = config({log});
  c.poll_without_inotify = true;
  c.poll_interval = 300ms;
  TestSink sink;
  start(c, sink);
  append(log, numbered("a", 1, 3));
  ASSERT_TRUE(sink.wait_for(3));
  // Between two polls: truncated and rewritten longer than what was read.
  ASSERT_EQ(::truncate(log.c_str(), 0), 0);
  append(log, numbered("bb", 1, 10));
  ASSERT_TRUE(sink.wait_for(13));
  std::this_thread::sleep_for(50ms);
  auto expected = numbered_list("a", 1, 3);
  for (auto& l : numbered_list("bb", 1, 10))
    expected.push_back(l);
  EXPECT_EQ(sink.raws(), expected);
}

// The consumer of a line rewrites the file before the source has read on: the rewrite lands
// between two reads of one wake, and the head the source compares with is the one it read.
TEST_F(FileSourceTest, RewrittenBetweenTwoReadsOfOneWakeRestartsAtZero) {
  const auto log = path("app.log");
  append(log, "");
  auto c = config({log});
  c.poll_without_inotify = true;
  c.poll_interval = 300ms;
  TestSink sink;
  sink.on_push = [&](const Line& line) {
    if (line.raw != "a3") return;
    ASSERT_EQ(::truncate(log.c_str(), 0), 0);
    append(log, numbered("bb", 1, 10));
  };
  start(c, sink);
  append(log, numbered("a", 1, 3));
  ASSERT_TRUE(sink.wait_for(13));
  std::this_thread::sleep_for(400ms);  // a further poll must not deliver anything again
  auto expected = numbered_list("a", 1, 3);
  for (auto& l : numbered_list("bb", 1, 10))
    expected.push_back(l);
  EXPECT_EQ(sink.raws(), expected);
}

TEST_F(FileSourceTest, FilesAppearingLaterAreReadFromTheirStart) {
  TestSink sink;
  auto c = config({path("*.log")});
  Source& src = start(c, sink);
  EXPECT_EQ(src.describe(), "following 0 files (inotify)");
  append(path("ignored.txt"), "nope\n");
  append(path("new.log"), "one\ntwo\n");
  ASSERT_TRUE(sink.wait_for(2));
  append(path("new.log"), "three\n");
  ASSERT_TRUE(sink.wait_for(3));
  EXPECT_EQ(sink.raws(), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_TRUE(eventually([&] { return src.describe() == "following 1 files (inotify)"; }));
}

TEST_F(FileSourceTest, GlobInANewDirectoryIsFoundByDiscovery) {
  TestSink sink;
  auto c = config({path("*/app.log")});
  c.discovery_interval = 1s;
  start(c, sink);
  std::filesystem::create_directories(path("svc"));
  append(path("svc/app.log"), "hello\n");
  ASSERT_TRUE(sink.wait_for(1, 5s));
  EXPECT_EQ(sink.raws(), (std::vector<std::string>{"hello"}));
}

TEST_F(FileSourceTest, SymlinkIsFollowedAndItsTargetSwapNoticed) {
  std::filesystem::create_directories(path("real"));
  append(path("real/app-1.log"), "");
  std::filesystem::create_symlink(path("real/app-1.log"), path("app.log"));
  TestSink sink;
  start(config({path("*.log")}), sink);
  append(path("real/app-1.log"), "via link 1\n");
  ASSERT_TRUE(sink.wait_for(1));
  EXPECT_EQ(sink.lines()[0].src, path("app.log"));
  // Point the link at a new file, atomically, as a deployment would.
  append(path("real/app-2.log"), "via link 2\n");
  std::filesystem::create_symlink(path("real/app-2.log"), path("app.log.tmp"));
  std::filesystem::rename(path("app.log.tmp"), path("app.log"));
  ASSERT_TRUE(sink.wait_for(2));
  EXPECT_EQ(sink.raws(), (std::vector<std::string>{"via link 1", "via link 2"}));
}

TEST_F(FileSourceTest, ExcludedFilesAreNeverRead) {
  append(path("a.log"), "");
  append(path("secret.log"), "");
  auto c = config({path("*.log")});
  c.exclude_regexps = {"secret", "\\.gz$"};
  TestSink sink;
  Source& src = start(c, sink);
  EXPECT_EQ(src.describe(), "following 1 files (inotify)");
  append(path("secret.log"), "hidden\n");
  append(path("later-secret.log"), "hidden\n");
  append(path("a.log"), "seen\n");
  append(path("b.log"), "seen too\n");
  ASSERT_TRUE(sink.wait_for(2));
  std::this_thread::sleep_for(100ms);
  auto raws = sink.raws();
  std::sort(raws.begin(), raws.end());
  EXPECT_EQ(raws, (std::vector<std::string>{"seen", "seen too"}));
}

TEST_F(FileSourceTest, BadExcludeRegexpIsAnError) {
  auto c = config({path("*.log")});
  c.exclude_regexps = {"(unclosed"};
  auto made = make_file_source(c, {});
  ASSERT_FALSE(made);
  EXPECT_NE(made.error().message().find("exclude_regexps"), std::string::npos);
}

TEST_F(FileSourceTest, RestartResumesExactlyWhereTheSinkStopped) {
  const auto log = path("app.log");
  const auto state = path("state");
  append(log, "before start\n");
  {
    TestSink sink;
    start(config({log}), sink, state);
    append(log, numbered("x", 1, 3));
    ASSERT_TRUE(sink.wait_for(3));
    stop_last();
    EXPECT_EQ(sink.raws(), numbered_list("x", 1, 3));
  }
  ASSERT_TRUE(std::filesystem::exists(state + "/positions.json"));
  append(log, numbered("x", 4, 6));
  {
    TestSink sink;
    start(config({log}), sink, state);
    ASSERT_TRUE(sink.wait_for(3));
    append(log, "x7\n");
    ASSERT_TRUE(sink.wait_for(4));
    stop_last();
    EXPECT_EQ(sink.raws(), numbered_list("x", 4, 7));
  }
  {
    TestSink sink;
    start(config({log}), sink, state);
    std::this_thread::sleep_for(100ms);
    append(log, "x8\n");
    ASSERT_TRUE(sink.wait_for(1));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(sink.raws(), (std::vector<std::string>{"x8"}));
  }
}

TEST_F(FileSourceTest, PositionsAreSavedWhileRunning) {
  const auto log = path("app.log");
  const auto state = path("state");
  append(log, "");
  TestSink sink;
  start(config({log}), sink, state);
  append(log, "one\ntwo\npartial");
  ASSERT_TRUE(sink.wait_for(2));
  // Written within about a second of the change, without a stop; the partial line is not
  // accepted yet, so the offset stops after "two\n".
  EXPECT_TRUE(eventually(
      [&] {
        auto saved = read_positions(state + "/positions.json");
        return saved && saved->contains(log) && saved->at(log).offset == 8;
      },
      5s));
  struct stat st {};
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  auto saved = read_positions(state + "/positions.json");
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->at(log).inode, st.st_ino);
  EXPECT_EQ(saved->at(log).dev, st.st_dev);
}

TEST_F(FileSourceTest, RestartAfterARotationWhileStopped) {
  const auto log = path("auth.log");
  const auto state = path("state");
  append(log, "");
  {
    TestSink sink;
    start(config({log}), sink, state);
    append(log, numbered("a", 1, 2));
    ASSERT_TRUE(sink.wait_for(2));
    stop_last();
  }
  append(log, numbered("a", 3, 5));
  std::filesystem::rename(log, path("auth.log.1"));
  append(log, numbered("b", 1, 2));
  TestSink sink;
  start(config({log}), sink, state);
  ASSERT_TRUE(sink.wait_for(5));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sink.raws(), (std::vector<std::string>{"a3", "a4", "a5", "b1", "b2"}));
}

TEST_F(FileSourceTest, RestartWhileTheFileIsRenamedAwayAndNotReplaced) {
  const auto log = path("auth.log");
  const auto rotated = path("auth.log.1");
  const auto state = path("state");
  append(log, "");
  {
    TestSink sink;
    start(config({log}), sink, state);
    append(log, "a1\n");
    ASSERT_TRUE(sink.wait_for(1));
    std::filesystem::rename(log, rotated);
    append(rotated, "a2\n");
    ASSERT_TRUE(sink.wait_for(2));
    stop_last();
    EXPECT_EQ(sink.raws(), (std::vector<std::string>{"a1", "a2"}));
  }
  append(rotated, "a3\n");
  TestSink sink;
  start(config({log}), sink, state);
  ASSERT_TRUE(sink.wait_for(1));
  append(log, "b1\n");
  ASSERT_TRUE(sink.wait_for(2));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sink.raws(), (std::vector<std::string>{"a3", "b1"}));
}

TEST_F(FileSourceTest, RestartAfterTruncationWhileStoppedReadsFromZero) {
  const auto log = path("app.log");
  const auto state = path("state");
  append(log, "");
  {
    TestSink sink;
    start(config({log}), sink, state);
    append(log, numbered("long line number ", 1, 5));
    ASSERT_TRUE(sink.wait_for(5));
    stop_last();
  }
  ASSERT_EQ(::truncate(log.c_str(), 0), 0);
  append(log, "fresh\n");
  TestSink sink;
  start(config({log}), sink, state);
  ASSERT_TRUE(sink.wait_for(1));
  EXPECT_EQ(sink.raws(), (std::vector<std::string>{"fresh"}));
}

TEST_F(FileSourceTest, PollingModeFollowsRotatesAndDiscovers) {
  const auto log = path("a.log");
  append(log, "");
  auto c = config({path("*.log")});
  c.poll_without_inotify = true;
  c.discovery_interval = 1s;
  c.discovery_interval = std::chrono::seconds(1);
  TestSink sink;
  Source& src = start(c, sink);
  EXPECT_EQ(src.describe(), "following 1 files (polling)");
  append(log, "p1\n");
  ASSERT_TRUE(sink.wait_for(1));
  std::filesystem::rename(log, path("a.log.1"));
  append(log, "p2\n");
  ASSERT_TRUE(sink.wait_for(2));
  append(path("b.log"), "p3\n");
  ASSERT_TRUE(sink.wait_for(3, 5s));
  EXPECT_EQ(sink.raws(), (std::vector<std::string>{"p1", "p2", "p3"}));
}

void write_gz(const std::string& path, std::string_view text) {
  gzFile z = ::gzopen(path.c_str(), "wb");
  ASSERT_NE(z, nullptr);
  ASSERT_EQ(::gzwrite(z, text.data(), static_cast<unsigned>(text.size())),
            static_cast<int>(text.size()));
  ::gzclose(z);
}

TEST_F(FileSourceTest, CatModeReadsWholeFilesIncludingGzipAndFinishes) {
  append(path("a.log"), "a1\n\na2\r\na3 without newline");
  write_gz(path("b.log.gz"), numbered("b", 1, 5000));
  auto c = config({path("a.log"), path("b.log.gz")});
  c.mode = "cat";
  TestSink sink;
  Source& src = start(c, sink);
  ASSERT_TRUE(eventually([&] { return src.finished(); }));
  auto expected = std::vector<std::string>{"a1", "a2", "a3 without newline"};
  for (auto& s : numbered_list("b", 1, 5000))
    expected.push_back(s);
  EXPECT_EQ(sink.raws(), expected);
  for (const auto& l : sink.lines())
    ASSERT_TRUE(l.time_machine);
  EXPECT_TRUE(eventually([&] { return src.stats().lines.load() == expected.size(); }));
}

TEST_F(FileSourceTest, LongLinesAreCutAndCounted) {
  const auto log = path("app.log");
  append(log, "");
  auto c = config({log});
  c.max_buffer_size = 16;
  TestSink sink;
  Source& src = start(c, sink);
  append(log, std::string(40, 'x') + "\nshort\n");
  // An over-long line arriving in pieces, across reads.
  append(log, std::string(10, 'y'));
  std::this_thread::sleep_for(60ms);
  append(log, std::string(10, 'y'));
  std::this_thread::sleep_for(60ms);
  append(log, std::string(10, 'y') + "\nend\n");
  ASSERT_TRUE(sink.wait_for(4));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sink.raws(),
            (std::vector<std::string>{std::string(16, 'x'), "short", std::string(16, 'y'), "end"}));
  EXPECT_EQ(src.stats().dropped.load(), 2u);
}

TEST_F(FileSourceTest, BackpressureBlocksThenDeliversEveryLineOnceInOrder) {
  const auto log = path("app.log");
  append(log, "");
  TestSink sink(10);
  Source& src = start(config({log}), sink);
  append(log, numbered("n", 1, 1000));
  ASSERT_TRUE(sink.wait_for(10));
  // The source is now blocked in push(): nothing more arrives while the sink is full.
  ASSERT_TRUE(eventually([&] { return sink.push_calls() == 11; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sink.size(), 10u);
  EXPECT_EQ(src.stats().dropped.load(), 0u);
  sink.set_capacity(0);
  ASSERT_TRUE(sink.wait_for(1000));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sink.raws(), numbered_list("n", 1, 1000));
}

TEST_F(FileSourceTest, StopInterruptsABlockedSourceAndSavesItsPosition) {
  const auto log = path("app.log");
  const auto state = path("state");
  append(log, "");
  {
    TestSink sink(5);
    start(config({log}), sink, state);
    append(log, numbered("n", 1, 20));
    ASSERT_TRUE(sink.wait_for(5));
    ASSERT_TRUE(eventually([&] { return sink.push_calls() == 6; }));
    const auto t0 = std::chrono::steady_clock::now();
    sink.stop();  // the pipeline stops first: the blocked push returns false
    stop_last();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  }
  // The line that was not taken (n6) comes first after a restart.
  TestSink sink;
  start(config({log}), sink, state);
  ASSERT_TRUE(sink.wait_for(15));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sink.raws(), numbered_list("n", 6, 20));
}

TEST_F(FileSourceTest, StopOfAnIdleSourceIsPrompt) {
  auto c = config({path("*.log")});
  c.poll_interval = 10s;
  TestSink sink;
  start(c, sink);
  const auto t0 = std::chrono::steady_clock::now();
  stop_last();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST_F(FileSourceTest, AllowDropCountsWhatTheFullSinkRefused) {
  const auto log = path("app.log");
  append(log, "");
  auto c = config({log});
  c.allow_drop = true;
  TestSink sink(5);
  Source& src = start(c, sink);
  append(log, numbered("n", 1, 50));
  ASSERT_TRUE(eventually([&] { return src.stats().dropped.load() == 45; }));
  EXPECT_EQ(sink.raws(), numbered_list("n", 1, 5));
  EXPECT_EQ(src.stats().lines.load(), 5u);
}

TEST_F(FileSourceTest, IdleWarningIsRaisedOnceAndClearedByALine) {
  const auto log = path("app.log");
  append(log, "");
  auto c = config({log});
  c.idle_warning = 1s;
  TestSink sink;
  Source& src = start(c, sink);
  EXPECT_FALSE(src.stats().idle.load());
  ASSERT_TRUE(eventually([&] { return src.stats().idle.load(); }, 5s));
  append(log, "wake up\n");
  ASSERT_TRUE(sink.wait_for(1));
  EXPECT_TRUE(eventually([&] { return !src.stats().idle.load(); }));
}

// 100k numbered lines across 10 rename rotations while the source follows: every number
// arrives exactly once, in order within each generation of the file.
void stress(const std::string& log, TestSink& sink, bool polling) {
  constexpr int kLines = 100000;
  constexpr int kRotations = 10;
  constexpr int kPerFile = kLines / kRotations;
  std::thread writer([&] {
    int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    std::string batch;
    int first_of_file = 1;
    for (int i = 1; i <= kLines; ++i) {
      batch += std::to_string(i) + "\n";
      if (i % 250 == 0) {
        [[maybe_unused]] ssize_t n = ::write(fd, batch.data(), batch.size());
        batch.clear();
      }
      if (i % kPerFile == 0 && i < kLines) {
        // Rotations are paced like real ones: the source picks the current file up before
        // the next rename (two renames within one wake-up would hide the file in between).
        sink.wait_for(static_cast<size_t>(first_of_file), 10s);
        const std::string rotated = log + "." + std::to_string(i / kPerFile);
        ::rename(log.c_str(), rotated.c_str());
        // The writer goes on with the old file for a moment after the rename.
        for (int j = 0; j < 50; ++j, ++i) {
          const std::string one = std::to_string(i + 1) + "\n";
          [[maybe_unused]] ssize_t n = ::write(fd, one.data(), one.size());
          if (j % 10 == 0) std::this_thread::sleep_for(1ms);
        }
        ::close(fd);
        fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
        first_of_file = i + 1;
      }
    }
    ::close(fd);
  });
  writer.join();
  EXPECT_TRUE(sink.wait_for(kLines, 20s)) << (polling ? "polling: " : "inotify: ") << sink.size();
  std::this_thread::sleep_for(100ms);
  std::vector<int> seen(kLines + 1, 0);
  int last = 0;
  size_t out_of_order = 0;
  for (const auto& raw : sink.raws()) {
    const int n = std::stoi(raw);
    ASSERT_TRUE(n >= 1 && n <= kLines) << raw;
    ++seen[n];
    if (n < last) ++out_of_order;
    last = n;
  }
  for (int i = 1; i <= kLines; ++i)
    ASSERT_EQ(seen[i], 1) << "line " << i;
  EXPECT_EQ(out_of_order, 0u);
}

TEST_F(FileSourceTest, StressRotationsWhileFollowing) {
  const auto log = path("stress.log");
  append(log, "");
  TestSink sink;
  start(config({log}), sink, path("state"));
  stress(log, sink, false);
}

TEST_F(FileSourceTest, StressRotationsWhilePolling) {
  const auto log = path("stress.log");
  append(log, "");
  auto c = config({log});
  c.poll_without_inotify = true;
  c.poll_interval = 10ms;
  TestSink sink;
  start(c, sink);
  stress(log, sink, true);
}

}  // namespace
}  // namespace phalanx::acquisition

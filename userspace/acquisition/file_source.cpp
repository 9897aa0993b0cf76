// SPDX-License-Identifier: Apache-2.0
// The file data source: follows globs of log files (tail mode) or reads them once (cat mode).
//
// One thread per source. It sleeps in poll() on an inotify descriptor (when available) and an
// eventfd that stop() writes, with poll_interval as the timeout; every wake-up checks every
// followed file. inotify only makes the source prompt: correctness never depends on an event
// arriving, so a missed event, a full watch table or a filesystem without inotify (NFS) costs
// at most one poll_interval of latency.
//
// Lines longer than max_buffer_size are cut: the first max_buffer_size bytes are handed over,
// the rest up to the newline is discarded, and the line is counted in stats.dropped.
// Empty lines are skipped in both modes (no parser matches them).
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <poll.h>
#include <re2/re2.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "acquisition/activity.h"
#include "acquisition/file_reader.h"
#include "acquisition/inotify_watcher.h"
#include "acquisition/line_splitter.h"
#include "acquisition/positions.h"
#include "acquisition/sources.h"
#include "core/duration.h"
#include "core/log.h"

namespace phalanx::acquisition {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 64 * 1024;
// A wake-up reads at most this much per file, so one busy file cannot starve the others.
constexpr size_t kMaxReadPerWake = 16 * 1024 * 1024;
// How long a rotated-away file is kept open and read, while its writer may still append.
constexpr auto kRotationGrace = std::chrono::seconds(5);
const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("acquis");
  return log;
}

bool has_glob_chars(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

struct Draining {
  std::unique_ptr<FileReader> reader;
  SteadyClock::time_point until;
};

// A followed path: its current file, plus rotated-away files still being drained.
struct Followed {
  std::unique_ptr<FileReader> cur;
  std::vector<Draining> old;
};

class FileSource final : public Source {
 public:
  FileSource(SourceConfig config, SourceOptions options, std::vector<std::unique_ptr<RE2>> excludes)
      : config_(std::move(config)),
        options_(std::move(options)),
        excludes_(std::move(excludes)),
        labels_(std::make_shared<const std::map<std::string, std::string>>(config_.labels)),
        cat_(config_.mode == "cat") {}
  ~FileSource() override {
    stop();
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  Result<void> start(Sink& sink) override;
  void stop() override;
  const SourceConfig& config() const override { return config_; }
  const SourceStats& stats() const override { return stats_; }
  std::string describe() const override {
    return fmt::format("following {} files ({})", followed_count_.load(),
                       polling_.load() ? "polling" : "inotify");
  }
  bool finished() const override { return finished_.load(); }

 private:
  void run_tail();
  void run_cat();
  std::vector<std::string> expand_globs() const;
  bool excluded(const std::string& path) const;
  bool matches_pattern(const std::string& path) const;

  // Tail mode.
  void initial_scan();
  void resume_rotated_while_down(const std::string& path, const Position& saved);
  void discover();
  void watch_dir(const std::string& dir);
  void watch_file(const std::string& path, FileReader& r);
  void fall_back_to_polling(const char* why);
  bool check_all();
  bool check_one(const std::string& path, Followed& f);
  void save_positions();

  // Reading: false when the sink is stopping (the thread must end).
  bool read_available(const std::string& path, FileReader& r, bool check_truncation);
  void check_truncated(const std::string& path, FileReader& r);
  bool consume(const std::string& path, FileReader& r, const char* data, size_t n);
  bool emit(const std::string& path, std::string line, FileReader& r, uint64_t end_offset);

  SourceConfig config_;
  SourceOptions options_;
  std::vector<std::unique_ptr<RE2>> excludes_;
  std::shared_ptr<const std::map<std::string, std::string>> labels_;
  const bool cat_;
  SourceStats stats_;
  Sink* sink_ = nullptr;
  std::shared_ptr<PositionStore> store_;

  std::thread thread_;
  std::mutex stop_mu_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  std::atomic<size_t> followed_count_{0};
  std::atomic<bool> polling_{false};
  int wake_fd_ = -1;

  // Owned by the source's thread (and by start() before the thread exists).
  std::map<std::string, Followed> followed_;
  InotifyWatcher inotify_;
  SteadyClock::time_point next_discovery_{};
  bool more_ = false;  // a file had more to read than one wake-up takes
};

Result<void> FileSource::start(Sink& sink) {
  if (sink_ != nullptr) return Error("source " + config_.name + ": already started");
  sink_ = &sink;
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return Error::from_errno("source " + config_.name + ": eventfd");
  start_activity(stats_);
  if (cat_) {
    thread_ = std::thread([this] { run_cat(); });
    return ok();
  }
  store_ = PositionStore::open(options_.state_dir);
  if (config_.poll_without_inotify) {
    polling_ = true;
  } else {
    if (!inotify_.open()) {
      if (config_.force_inotify)
        return Error::from_errno("source " + config_.name + ": inotify (force_inotify is set)");
      fall_back_to_polling("inotify is unavailable");
    }
  }
  initial_scan();
  thread_ = std::thread([this] { run_tail(); });
  return ok();
}

void FileSource::stop() {
  std::lock_guard lock(stop_mu_);
  stopping_ = true;
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> FileSource::expand_globs() const {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const auto& pattern : config_.filenames) {
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string path = g.gl_pathv[i];
        struct stat st {};
        // stat, not lstat: a symlink is followed to its target, which must be a regular file.
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (excluded(path) || !seen.insert(path).second) continue;
        out.push_back(std::move(path));
      }
    }
    ::globfree(&g);
  }
  return out;
}

bool FileSource::excluded(const std::string& path) const {
  for (const auto& re : excludes_)
    if (RE2::PartialMatch(path, *re)) return true;
  return false;
}

bool FileSource::matches_pattern(const std::string& path) const {
  for (const auto& pattern : config_.filenames)
    if (::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) return !excluded(path);
  return false;
}

// ---- cat mode ---------------------------------------------------------------------------------

void FileSource::run_cat() {
  std::vector<char> buf(kReadChunk);
  const auto paths = expand_globs();
  if (paths.empty()) logger()->warn("source {}: no file matches, nothing to read", config_.name);
  for (const auto& path : paths) {
    if (stopping_) break;
    FileReader r(config_.max_buffer_size);
    const bool gz = path.ends_with(".gz");
    gzFile z = nullptr;
    if (gz) {
      z = ::gzopen(path.c_str(), "rb");
      if (z == nullptr) {
        logger()->error("source {}: opening {} failed", config_.name, path);
        stats_.errors++;
        continue;
      }
      ::gzbuffer(z, kReadChunk);
    } else {
      r.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (r.fd < 0) {
        logger()->error("source {}: {}", config_.name,
                        Error::from_errno("opening " + path).message());
        stats_.errors++;
        continue;
      }
    }
    bool alive = true;
    while (alive && !stopping_) {
      const ssize_t n = gz ? ::gzread(z, buf.data(), static_cast<unsigned>(buf.size()))
                           : ::read(r.fd, buf.data(), buf.size());
      if (n < 0) {
        logger()->error("source {}: reading {} failed", config_.name, path);
        stats_.errors++;
        break;
      }
      if (n == 0) break;
      r.offset += static_cast<uint64_t>(n);
      alive = consume(path, r, buf.data(), static_cast<size_t>(n));
    }
    if (z != nullptr) ::gzclose(z);
    // At the end of a finite input, an unfinished last line is still a line.
    if (alive) alive = emit(path, r.lines.take_partial(), r, r.offset);
    if (!alive) break;
  }
  finished_ = true;
}

// ---- tail mode: files -------------------------------------------------------------------------

void FileSource::initial_scan() {
  std::set<std::string> present;
  for (const auto& path : expand_globs()) {
    auto opened = open_reader(path, config_.max_buffer_size);
    if (!opened) {
      logger()->warn("source {}: {}", config_.name, opened.error().message());
      continue;
    }
    auto r = std::move(*opened);
    const uint64_t size = file_size(r->fd);
    const auto saved = store_ ? store_->get(path) : std::nullopt;
    if (!saved) {
      // Seen for the first time: only what is written from now on.
      r->restart_at(end_of_last_line(r->fd, size));
    } else if (saved->dev == r->dev && saved->inode == r->ino && size >= saved->offset &&
               same_head(r->fd, *saved)) {
      r->restart_at(saved->offset);
    } else {
      // Rotated or truncated while we were down: the current file is new to us.
      if (saved->inode != r->ino || saved->dev != r->dev) resume_rotated_while_down(path, *saved);
      r->restart_at(0);
    }
    present.insert(path);
    watch_file(path, *r);
    followed_[path].cur = std::move(r);
  }
  // A saved file whose path is gone may have been renamed away and not recreated yet.
  if (store_) {
    for (const auto& [path, saved] : store_->snapshot())
      if (!present.contains(path) && matches_pattern(path)) resume_rotated_while_down(path, saved);
  }
  for (const auto& pattern : config_.filenames) {
    std::string dir = dir_of(pattern);
    if (!has_glob_chars(dir)) watch_dir(dir);
  }
  for (const auto& [path, f] : followed_)
    watch_dir(dir_of(path));
  followed_count_ = followed_.size();
  next_discovery_ = SteadyClock::now() + config_.discovery_interval;
}

// The saved file was rotated while the source was down: when its inode still sits in the same
// directory (auth.log -> auth.log.1), its remainder from the saved offset comes first.
void FileSource::resume_rotated_while_down(const std::string& path, const Position& saved) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_of(path), ec)) {
    struct stat st {};
    const std::string candidate = entry.path().string();
    if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_ino != saved.inode || st.st_dev != saved.dev) continue;
    if (static_cast<uint64_t>(st.st_size) < saved.offset) return;
    auto opened = open_reader(candidate, config_.max_buffer_size);
    if (!opened || !same_head((*opened)->fd, saved)) return;
    (*opened)->restart_at(saved.offset);
    logger()->info("source {}: {} was rotated to {} while stopped, reading its remainder",
                   config_.name, path, candidate);
    followed_[path].old.push_back({std::move(*opened), SteadyClock::now() + kRotationGrace});
    return;
  }
}

void FileSource::discover() {
  for (const auto& pattern : config_.filenames) {
    const std::string dir = dir_of(pattern);
    if (!has_glob_chars(dir)) watch_dir(dir);
  }
  for (const auto& path : expand_globs()) {
    // Known paths (even between a rename and the new file) are check_one()'s business.
    if (followed_.contains(path)) continue;
    Followed& f = followed_[path];
    auto opened = open_reader(path, config_.max_buffer_size);
    if (!opened) continue;
    // A file that appears while we run holds only new lines: read it from its start.
    f.cur = std::move(*opened);
    logger()->debug("source {}: following new file {}", config_.name, path);
    watch_file(path, *f.cur);
    watch_dir(dir_of(path));
  }
  // An entry whose file could not be opened is removed by check_all().
  next_discovery_ = SteadyClock::now() + config_.discovery_interval;
}

bool FileSource::check_all() {
  more_ = false;
  for (auto it = followed_.begin(); it != followed_.end();) {
    if (!check_one(it->first, it->second)) return false;
    if (!it->second.cur && it->second.old.empty()) {
      if (store_) store_->forget(it->first);
      it = followed_.erase(it);
    } else {
      ++it;
    }
  }
  followed_count_ = followed_.size();
  return true;
}

bool FileSource::check_one(const std::string& path, Followed& f) {
  const auto now = SteadyClock::now();
  // Rotated-away files first: their lines are older than the current file's.
  for (auto it = f.old.begin(); it != f.old.end();) {
    if (!read_available(path, *it->reader, false)) return false;
    if (now >= it->until) {
      inotify_.unwatch(it->reader->wd);
      it = f.old.erase(it);
    } else {
      ++it;
    }
  }
  if (f.cur && !read_available(path, *f.cur, true)) return false;
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (f.cur) {
    if (exists && st.st_dev == f.cur->dev && st.st_ino == f.cur->ino) return true;
    // Renamed away (and maybe replaced): keep draining the old file for a while.
    logger()->debug("source {}: {} was rotated", config_.name, path);
    f.old.push_back({std::move(f.cur), now + kRotationGrace});
  }
  // The path (re)appeared: noticed here without waiting for the next discovery.
  if (!exists || !S_ISREG(st.st_mode) || excluded(path)) return true;
  for (auto it = f.old.begin(); it != f.old.end(); ++it) {
    if (it->reader->dev != st.st_dev || it->reader->ino != st.st_ino) continue;
    // Moved back (or only briefly missing): the same file, so its reader goes on.
    f.cur = std::move(it->reader);
    f.old.erase(it);
    return true;
  }
  auto opened = open_reader(path, config_.max_buffer_size);
  if (!opened) return true;
  f.cur = std::move(*opened);
  watch_file(path, *f.cur);
  return read_available(path, *f.cur, true);
}

void FileSource::check_truncated(const std::string& path, FileReader& r) {
  const uint64_t size = file_size(r.fd);
  // copytruncate, or a writer that truncated its log: everything in it now is new. A file
  // that was truncated and has already grown past our offset again is told by its head.
  const bool shrunk = size < r.offset;
  const bool rewritten = !shrunk && size != r.last_size && r.offset > 0 && !same_head(r.fd, r.head);
  r.last_size = size;
  if (shrunk || rewritten) {
    logger()->info("source {}: {} was truncated, reading from its start", config_.name, path);
    r.restart_at(0);
  }
}

bool FileSource::read_available(const std::string& path, FileReader& r, bool check_truncation) {
  char buf[kReadChunk];
  size_t taken = 0;
  while (taken < kMaxReadPerWake) {
    // Checked before every read, not once per wake: a file rewritten between two reads of
    // the same wake must not have its new bytes taken from the old offset.
    if (check_truncation) check_truncated(path, r);
    const ssize_t n = ::pread(r.fd, buf, sizeof buf, static_cast<off_t>(r.offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      stats_.errors++;
      return true;
    }
    if (n == 0) return true;
    // The head is taken before any line of the read is handed on (a consumer seeing the line
    // may be the one that rewrites the file next).
    if (!r.note_read(r.offset, buf, static_cast<size_t>(n)) && r.head.head_len < kHeadBytes)
      (void)fingerprint(r.fd, r.head);
    r.offset += static_cast<uint64_t>(n);
    taken += static_cast<size_t>(n);
    if (!consume(path, r, buf, static_cast<size_t>(n))) return false;
  }
  more_ = true;
  return true;
}

bool FileSource::consume(const std::string& path, FileReader& r, const char* data, size_t n) {
  return r.lines.feed(data, n, r.offset - n, [&](std::string line, uint64_t end, bool cut) {
    if (cut) stats_.dropped.fetch_add(1, std::memory_order_relaxed);
    return emit(path, std::move(line), r, end);
  });
}

bool FileSource::emit(const std::string& path, std::string text, FileReader& r,
                      uint64_t end_offset) {
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty()) {
    r.committed = end_offset;
    return true;
  }
  const auto now = std::chrono::system_clock::now();
  const size_t bytes = text.size();
  Line line{.raw = std::move(text),
            .src = path,
            .module = "file",
            .labels = labels_,
            .read_at = std::chrono::time_point_cast<std::chrono::nanoseconds>(now),
            .time_machine = cat_};
  if (config_.allow_drop) {
    if (!sink_->try_push(line)) {
      stats_.dropped++;
      r.committed = end_offset;
      return !stopping_;
    }
  } else if (!sink_->push(std::move(line))) {
    return false;  // the pipeline is stopping; the position stays before this line
  }
  r.committed = end_offset;
  count_line(config_, stats_, bytes, now);
  return true;
}

// ---- tail mode: the loop ----------------------------------------------------------------------

void FileSource::fall_back_to_polling(const char* why) {
  logger()->warn("source {}: {}, polling every {}", config_.name, why,
                 format_go_duration(config_.poll_interval));
  inotify_.close();
  polling_ = true;
}

void FileSource::watch_dir(const std::string& dir) {
  if (!inotify_.watch_dir(dir)) fall_back_to_polling("out of inotify watches");
}

void FileSource::watch_file(const std::string& path, FileReader& r) {
  if (!inotify_.watch_file(path, r.wd)) fall_back_to_polling("out of inotify watches");
}

void FileSource::save_positions() {
  if (!store_) return;
  for (const auto& [path, f] : followed_) {
    // Renamed away and not replaced yet: the file being drained is where a restart resumes
    // (found again by its inode next to the path).
    const FileReader* r = f.cur ? f.cur.get() : f.old.empty() ? nullptr : f.old.back().reader.get();
    if (r == nullptr) continue;
    store_->set(path, Position{.dev = r->dev,
                               .inode = r->ino,
                               .offset = r->committed,
                               .head_len = r->head.head_len,
                               .head_hash = r->head.head_hash});
  }
}

void FileSource::run_tail() {
  while (!stopping_) {
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config_.poll_interval);
    if (store_ && store_->dirty()) timeout = std::min(timeout, std::chrono::milliseconds(1000));
    if (more_) timeout = std::chrono::milliseconds(0);
    pollfd fds[2] = {{.fd = wake_fd_, .events = POLLIN, .revents = 0},
                     {.fd = inotify_.fd(), .events = POLLIN, .revents = 0}};
    const int nfds = inotify_.active() ? 2 : 1;
    if (::poll(fds, nfds, static_cast<int>(timeout.count())) < 0 && errno != EINTR) {
      stats_.errors++;
      std::this_thread::sleep_for(config_.poll_interval);
    }
    if (stopping_) break;
    bool rescan = SteadyClock::now() >= next_discovery_;
    if (nfds == 2 && (fds[1].revents & POLLIN) && inotify_.read_events()) rescan = true;
    if (rescan) discover();
    if (!check_all()) break;
    save_positions();
    if (store_) store_->flush();
    check_idle(config_, stats_);
  }
  save_positions();
  if (store_) store_->flush(std::chrono::milliseconds(0));
}

}  // namespace

Result<std::unique_ptr<Source>> make_file_source(const SourceConfig& config,
                                                 const SourceOptions& options) {
  const std::string where = config.file + ":" + std::to_string(config.line);
  if (config.filenames.empty())
    return Error("file source " + config.name + " (" + where + "): no filename");
  if (config.mode != "tail" && config.mode != "cat")
    return Error("file source " + config.name + " (" + where + "): mode '" + config.mode +
                 "' is not tail or cat");
  if (config.max_buffer_size == 0 || config.poll_interval.count() <= 0 ||
      config.discovery_interval.count() <= 0)
    return Error("file source " + config.name + " (" + where +
                 "): max_buffer_size, poll_interval and discovery_interval must be positive");
  std::vector<std::unique_ptr<RE2>> excludes;
  for (const auto& re : config.exclude_regexps) {
    auto compiled = std::make_unique<RE2>(re, RE2::Quiet);
    if (!compiled->ok())
      return Error("file source " + config.name + " (" + where + "): exclude_regexps '" + re +
                   "': " + compiled->error());
    excludes.push_back(std::move(compiled));
  }
  return std::unique_ptr<Source>(
      std::make_unique<FileSource>(config, options, std::move(excludes)));
}

}  // namespace phalanx::acquisition

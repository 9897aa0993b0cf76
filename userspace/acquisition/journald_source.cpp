// SPDX-License-Identifier: Apache-2.0
#include "acquisition/journald_source.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>

#include "acquisition/activity.h"
#include "acquisition/sources.h"
#include "core/log.h"

namespace phalanx::acquisition {
namespace {

constexpr auto kCursorSaveInterval = std::chrono::seconds(1);
constexpr int kMaxPollMs = 250;
constexpr int kBatch = 1024;  // entries read before checking stop and saving the cursor

const std::array<std::string_view, 11> kUnitSuffixes = {
    ".service", ".socket", ".target", ".device", ".mount", ".automount",
    ".swap",    ".timer",  ".path",   ".slice",  ".scope"};

bool valid_field_name(std::string_view f) {
  if (f.empty() || f.size() > 64 || (f[0] >= '0' && f[0] <= '9')) return false;
  for (char c : f) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Result<std::string> unit_match(std::string_view unit) {
  if (unit.empty()) return Error("-u needs a unit name");
  if (unit.find_first_of("*?[") != std::string_view::npos)
    return Error(fmt::format("unit patterns are not supported ('{}')", unit));
  std::string name(unit);
  bool suffixed = false;
  for (auto s : kUnitSuffixes)
    suffixed = suffixed || name.ends_with(s);
  if (!suffixed) name += ".service";
  return "_SYSTEMD_UNIT=" + name;
}

// The value of "--long=value" or "-sVALUE" forms; nullopt when `arg` is not that option.
std::optional<std::string_view> option_value(std::string_view arg, std::string_view shrt,
                                             std::string_view lng) {
  if (arg.starts_with(lng) && arg.size() > lng.size() && arg[lng.size()] == '=')
    return arg.substr(lng.size() + 1);
  if (arg.starts_with(shrt) && arg.size() > shrt.size()) {
    arg.remove_prefix(shrt.size());
    if (arg.front() == ' ' || arg.front() == '=') arg.remove_prefix(1);
    return arg;
  }
  if (arg == shrt || arg == lng) return std::string_view();  // value in the next entry
  return std::nullopt;
}

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return std::string(s);
}

// The value of a field of the current entry; nullopt when absent.
std::optional<std::string> field_of(sd_journal* j, const char* name) {
  const void* data = nullptr;
  size_t len = 0;
  if (sd_journal_get_data(j, name, &data, &len) < 0) return std::nullopt;
  size_t skip = std::strlen(name) + 1;  // "NAME="
  if (len < skip) return std::nullopt;
  return std::string(static_cast<const char*>(data) + skip, len - skip);
}

std::string field(sd_journal* j, const char* name) {
  return field_of(j, name).value_or(std::string());
}

}  // namespace

Result<std::vector<JournalMatch>> translate_journalctl_filter(
    const std::vector<std::string>& filter) {
  std::vector<JournalMatch> out;
  auto fail = [](std::string_view entry, std::string_view why) {
    return Error(fmt::format(
        "journalctl_filter '{}': {} (supported: FIELD=value, +, -u/--unit, -t/--identifier, "
        "-k/--dmesg)",
        entry, why));
  };
  for (size_t i = 0; i < filter.size(); ++i) {
    std::string entry = trim(filter[i]);
    if (entry == "+") {
      out.push_back({true, {}});
      continue;
    }
    if (entry == "-k" || entry == "--dmesg") {
      out.push_back({false, "_TRANSPORT=kernel"});
      continue;
    }
    auto unit = option_value(entry, "-u", "--unit");
    auto ident = option_value(entry, "-t", "--identifier");
    if (unit || ident) {
      std::string value = trim(unit ? *unit : *ident);
      if (value.empty() && i + 1 < filter.size()) value = trim(filter[++i]);
      if (value.empty()) return fail(entry, "the option needs a value");
      if (ident) {
        out.push_back({false, "SYSLOG_IDENTIFIER=" + value});
        continue;
      }
      auto m = unit_match(value);
      if (!m) return fail(entry, m.error().message());
      out.push_back({false, std::move(*m)});
      continue;
    }
    if (entry.starts_with("-")) return fail(entry, "option not supported");
    size_t eq = entry.find('=');
    if (eq == std::string::npos || !valid_field_name(std::string_view(entry).substr(0, eq)))
      return fail(entry, "not a FIELD=value match");
    out.push_back({false, std::move(entry)});
  }
  return out;
}

std::string format_journal_short(const JournalEntry& e) {
  time_t secs = static_cast<time_t>(e.realtime_us / 1000000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  std::array<char, 32> ts{};
  size_t n = strftime(ts.data(), ts.size(), "%b %d %H:%M:%S", &tm);
  std::string line(ts.data(), n);
  if (!e.hostname.empty()) line += " " + e.hostname;
  if (!e.identifier.empty()) line += " " + e.identifier;
  if (!e.pid.empty()) line += "[" + e.pid + "]";
  line += ": ";
  std::string_view msg = e.message;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r'))
    msg.remove_suffix(1);
  size_t start = line.size();
  line += msg;
  for (size_t i = start; i < line.size(); ++i) {
    if (line[i] == '\n') line[i] = ' ';
  }
  return line;
}

std::string journald_cursor_file(const SourceConfig& config) {
  std::string name = config.name;
  if (name.empty()) {
    name = "journalctl";
    for (const auto& f : config.journalctl_filter)
      name += "-" + f;
  }
  for (char& c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return "journald-" + name + ".cursor";
}

// The journal handle and everything the reading thread owns.
struct JournaldSource::Reader {
  const SourceConfig& config;
  SourceStats& stats;
  Sink& sink;
  std::string cursor_path;  // empty: not saved
  std::shared_ptr<const std::map<std::string, std::string>> labels;
  sd_journal* journal = nullptr;
  int wake = -1;
  std::atomic<bool> stopping{false};
  bool sink_closed = false;
  bool current_first = false;  // after a cursor seek landed on an entry not delivered yet
  std::string cursor;          // of the last entry consumed
  std::string saved_cursor;
  std::chrono::steady_clock::time_point saved_at{};

  Reader(const SourceConfig& c, SourceStats& s, Sink& k)
      : config(c),
        stats(s),
        sink(k),
        labels(std::make_shared<const std::map<std::string, std::string>>(c.labels)) {
    start_activity(stats);
  }
  ~Reader() {
    if (journal) sd_journal_close(journal);
    if (wake >= 0) close(wake);
  }

  bool running() const { return !sink_closed && !stopping.load(std::memory_order_relaxed); }
  Result<void> open(const std::vector<JournalMatch>& matches);
  Result<void> position();
  bool consume();  // the current entry; false when the sink stopped
  bool drain();    // true when the end of the journal was reached
  void wait();
  void save_cursor(bool force);
  void run(std::atomic<bool>& finished);
};

Result<void> JournaldSource::Reader::open(const std::vector<JournalMatch>& matches) {
  int r = config.journal_directory.empty()
              ? sd_journal_open(&journal, SD_JOURNAL_LOCAL_ONLY)
              : sd_journal_open_directory(&journal, config.journal_directory.c_str(), 0);
  if (r < 0) {
    journal = nullptr;
    return Error::from_errno(config.journal_directory.empty()
                                 ? "opening the journal"
                                 : "opening journal directory " + config.journal_directory,
                             -r);
  }
  sd_journal_set_data_threshold(journal, 0);
  for (const auto& m : matches) {
    r = m.disjunction ? sd_journal_add_disjunction(journal)
                      : sd_journal_add_match(journal, m.match.data(), m.match.size());
    if (r < 0) return Error::from_errno("adding journal match '" + m.match + "'", -r);
  }
  // Sets up the inotify watches now, so no entry written from here on is missed.
  int fd = sd_journal_get_fd(journal);
  if (fd < 0) return Error::from_errno("watching the journal", -fd);
  wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return Error::from_errno("creating an eventfd");
  return ok();
}

Result<void> JournaldSource::Reader::position() {
  if (config.mode == "cat") {
    int r = sd_journal_seek_head(journal);
    if (r < 0) return Error::from_errno("seeking to the journal head", -r);
    return ok();
  }
  if (!cursor_path.empty()) {
    std::ifstream in(cursor_path);
    std::string saved;
    std::getline(in, saved);
    if (!saved.empty() && sd_journal_seek_cursor(journal, saved.c_str()) >= 0) {
      // seek_cursor lands on the saved entry when it still exists, else on the next one.
      if (sd_journal_next(journal) > 0)
        current_first = sd_journal_test_cursor(journal, saved.c_str()) <= 0;
      cursor = saved_cursor = saved;
      return ok();
    }
    if (!saved.empty())
      log::get("acquis")->warn("journalctl {}: cursor in {} not usable, starting at the end",
                               config.name, cursor_path);
  }
  int r = sd_journal_seek_tail(journal);
  if (r < 0) return Error::from_errno("seeking to the journal tail", -r);
  // Steps onto the last entry, so the next sd_journal_next() yields only new ones.
  sd_journal_previous(journal);
  return ok();
}

bool JournaldSource::Reader::consume() {
  JournalEntry e;
  auto message = field_of(journal, "MESSAGE");
  if (message) {
    e.message = std::move(*message);
    std::string source_time = field(journal, "_SOURCE_REALTIME_TIMESTAMP");
    char* end = nullptr;
    unsigned long long t = source_time.empty() ? 0 : std::strtoull(source_time.c_str(), &end, 10);
    if (t > 0 && end && *end == '\0') {
      e.realtime_us = t;
    } else {
      uint64_t rt = 0;
      sd_journal_get_realtime_usec(journal, &rt);
      e.realtime_us = rt;
    }
    e.hostname = field(journal, "_HOSTNAME");
    e.identifier = field(journal, "SYSLOG_IDENTIFIER");
    if (e.identifier.empty()) e.identifier = field(journal, "_COMM");
    // journalctl prefers the trusted _PID and falls back to what the sender claimed.
    e.pid = field(journal, "_PID");
    if (e.pid.empty()) e.pid = field(journal, "SYSLOG_PID");
    auto now =
        std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
    Line line;
    line.raw = format_journal_short(e);
    if (line.raw.size() > config.max_buffer_size) line.raw.resize(config.max_buffer_size);
    line.src = "journalctl";
    line.module = "journalctl";
    line.labels = labels;
    line.read_at = now;
    line.time_machine = config.mode == "cat";
    size_t bytes = e.message.size();
    if (config.allow_drop && !sink.try_push(line)) {
      stats.dropped.fetch_add(1, std::memory_order_relaxed);
    } else if (!config.allow_drop && !sink.push(std::move(line))) {
      sink_closed = true;
      return false;
    } else {
      count_line(config, stats, bytes, now);
    }
  }
  // Entries without MESSAGE are skipped, as journalctl -o short does; the cursor passes them.
  char* c = nullptr;
  if (sd_journal_get_cursor(journal, &c) >= 0) {
    cursor = c;
    free(c);
  }
  return true;
}

bool JournaldSource::Reader::drain() {
  if (current_first) {
    current_first = false;
    if (!consume()) return false;
  }
  for (int n = 0; n < kBatch && running(); ++n) {
    int r = sd_journal_next(journal);
    if (r < 0) {
      stats.errors.fetch_add(1, std::memory_order_relaxed);
      log::get("acquis")->warn("journalctl {}: reading: {}", config.name, std::strerror(-r));
      return true;
    }
    if (r == 0) return true;
    if (!consume()) return false;
  }
  return false;
}

void JournaldSource::Reader::wait() {
  uint64_t until = UINT64_MAX;
  int timeout = kMaxPollMs;
  if (sd_journal_get_timeout(journal, &until) >= 0 && until != UINT64_MAX) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t now_us = static_cast<uint64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
    uint64_t ms = until > now_us ? (until - now_us + 999) / 1000 : 0;
    timeout = static_cast<int>(std::min<uint64_t>(ms, kMaxPollMs));
  }
  std::array<pollfd, 2> fds{};
  fds[0] = {sd_journal_get_fd(journal), static_cast<short>(sd_journal_get_events(journal)), 0};
  fds[1] = {wake, POLLIN, 0};
  poll(fds.data(), fds.size(), timeout);
  sd_journal_process(journal);
}

void JournaldSource::Reader::save_cursor(bool force) {
  if (cursor_path.empty() || cursor == saved_cursor) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && now - saved_at < kCursorSaveInterval) return;
  // Written beside and renamed over: a crash leaves the old cursor or the new one.
  std::string tmp = cursor_path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  std::string text = cursor + "\n";
  ok = ok && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  ok = ok && rename(tmp.c_str(), cursor_path.c_str()) == 0;
  if (!ok) {
    stats.errors.fetch_add(1, std::memory_order_relaxed);
    log::get("acquis")->warn("journalctl {}: saving the cursor to {}: {}", config.name, cursor_path,
                             std::strerror(errno));
    return;
  }
  saved_cursor = cursor;
  saved_at = now;
}

void JournaldSource::Reader::run(std::atomic<bool>& finished) {
  while (running()) {
    bool at_end = drain();
    if (config.mode == "cat") {
      if (at_end) break;
      continue;
    }
    save_cursor(false);
    check_idle(config, stats);
    if (running()) wait();
  }
  save_cursor(true);
  finished.store(true);
}

JournaldSource::JournaldSource(const SourceConfig& config, const SourceOptions& options,
                               std::vector<JournalMatch> matches)
    : config_(config), options_(options), matches_(std::move(matches)) {}

JournaldSource::~JournaldSource() {
  stop();
}

Result<std::unique_ptr<JournaldSource>> JournaldSource::create(const SourceConfig& config,
                                                               const SourceOptions& options) {
  std::string where = fmt::format("journalctl source {}", config.name);
  if (config.mode != "tail" && config.mode != "cat")
    return Error(fmt::format("{}: mode '{}' is not tail or cat", where, config.mode));
  auto matches = translate_journalctl_filter(config.journalctl_filter);
  if (!matches) return matches.error().context(where);
  return std::unique_ptr<JournaldSource>(new JournaldSource(config, options, std::move(*matches)));
}

Result<void> JournaldSource::start(Sink& sink) {
  if (reader_) return Error("journalctl: already started");
  std::string where = fmt::format("journalctl source {}", config_.name);
  auto reader = std::make_unique<Reader>(config_, stats_, sink);
  if (!options_.state_dir.empty() && config_.mode != "cat")
    reader->cursor_path = options_.state_dir + "/" + journald_cursor_file(config_);
  auto opened = reader->open(matches_);
  if (!opened) return opened.error().context(where);
  auto positioned = reader->position();
  if (!positioned) return positioned.error().context(where);
  reader_ = std::move(reader);
  thread_ = std::thread([this] { reader_->run(finished_); });
  log::get("acquis")->info("{}", describe());
  return ok();
}

void JournaldSource::stop() {
  if (!reader_) return;
  reader_->stopping.store(true);
  uint64_t one = 1;
  ssize_t w = write(reader_->wake, &one, sizeof one);
  (void)w;  // an eventfd counter cannot overflow here
  if (thread_.joinable()) thread_.join();
  reader_.reset();  // closes the journal; start() may open it again
}

std::string JournaldSource::describe() const {
  std::string filters;
  for (const auto& f : config_.journalctl_filter)
    filters += " " + f;
  return fmt::format("journalctl: {} {}{}", config_.mode == "cat" ? "reading" : "following",
                     config_.journal_directory.empty() ? std::string("the system journal")
                                                       : config_.journal_directory,
                     filters.empty() ? "" : " with" + filters);
}

Result<std::unique_ptr<Source>> make_journald_source(const SourceConfig& config,
                                                     const SourceOptions& options) {
  PHALANX_TRY(auto source, JournaldSource::create(config, options));
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace phalanx::acquisition

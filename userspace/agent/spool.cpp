// SPDX-License-Identifier: Apache-2.0
#include "agent/spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/log.h"

namespace phalanx::agent {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("agent");
  return log;
}

constexpr std::string_view kSuffix = ".jsonl";

Result<void> fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("opening " + dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error::from_errno("fsync " + dir, err);
  return ok();
}

Result<void> write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno("write");
    done += static_cast<size_t>(n);
  }
  return ok();
}

}  // namespace

Result<std::vector<std::string>> read_segment(const std::string& path) {
  // access() first: ifstream does not promise to leave errno set.
  if (::access(path.c_str(), R_OK) != 0) return Error::from_errno("reading " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::from_errno("reading " + path, EIO);
  std::vector<std::string> out;
  std::string line;
  size_t bad = 0;
  while (std::getline(in, line)) {
    // A line without its newline was cut short; JSON that does not parse was damaged.
    if (in.eof() || !nlohmann::json::accept(line)) {
      ++bad;
      continue;
    }
    out.push_back(std::move(line));
  }
  if (bad > 0) logger()->warn("spool: {}: skipped {} damaged line(s)", path, bad);
  return out;
}

std::string Spool::path_of(uint64_t seq) const {
  return fmt::format("{}/{:016d}{}", dir_, seq, kSuffix);
}

Result<std::unique_ptr<Spool>> Spool::open(const std::string& dir, uint64_t max_bytes) {
  const auto ctx = [&](const Error& e) { return e.context("spool " + dir); };
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error("spool " + dir + ": creating: " + ec.message(), ec.value());
  ::chmod(dir.c_str(), 0700);
  std::unique_ptr<Spool> spool(new Spool(dir, max_bytes));
  std::vector<uint64_t> seqs;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".tmp")) {
      // A segment whose write never completed: it was never acknowledged as spooled.
      std::filesystem::remove(entry.path(), ec);
      continue;
    }
    if (!name.ends_with(kSuffix) || name.size() != 16 + kSuffix.size()) continue;
    const std::string digits = name.substr(0, 16);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    seqs.push_back(std::stoull(digits));
  }
  if (ec) return Error("spool " + dir + ": listing: " + ec.message(), ec.value());
  std::sort(seqs.begin(), seqs.end());
  for (const uint64_t seq : seqs) {
    auto alerts = read_segment(spool->path_of(seq));
    if (!alerts) return ctx(alerts.error());
    Segment s;
    s.seq = seq;
    s.sealed = true;
    s.alerts = alerts->size();
    s.bytes = std::filesystem::file_size(spool->path_of(seq), ec);
    if (ec) s.bytes = 0;
    spool->segments_.push_back(s);
    spool->alerts_ += s.alerts;
    spool->bytes_ += s.bytes;
    spool->next_seq_ = seq + 1;
  }
  return spool;
}

Result<void> Spool::write_segment(std::span<const std::string> alerts, uint64_t seq,
                                  uint64_t bytes) {
  std::string data;
  data.reserve(bytes);
  for (const auto& a : alerts) {
    data += a;
    data += '\n';
  }
  const std::string path = path_of(seq);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error::from_errno("creating " + tmp);
  auto written = write_all(fd, data);
  if (written && ::fsync(fd) != 0) written = Error::from_errno("fsync " + tmp);
  ::close(fd);
  if (written && ::rename(tmp.c_str(), path.c_str()) != 0)
    written = Error::from_errno("renaming " + tmp);
  if (written) written = fsync_dir(dir_);
  if (!written) {
    ::unlink(tmp.c_str());
    return written.error().context("writing " + path);
  }
  return ok();
}

Result<void> Spool::append_to_segment(std::span<const std::string> alerts, uint64_t seq) {
  std::string data;
  for (const auto& a : alerts) {
    data += a;
    data += '\n';
  }
  const std::string path = path_of(seq);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("appending to " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Error::from_errno("appending to " + path, err);
  }
  auto written = write_all(fd, data);
  if (written && ::fdatasync(fd) != 0) written = Error::from_errno("fsync " + path);
  // Half an append would glue the next alert to a cut line: take it back.
  if (!written && ::ftruncate(fd, st.st_size) != 0)
    logger()->error("spool: {}: cannot truncate a failed append", path);
  ::close(fd);
  if (!written) return written.error().context("appending to " + path);
  return ok();
}

Result<void> Spool::reject(const std::string& alert) {
  const std::string path = dir_ + "/" + kRejectedFile;
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error::from_errno("spool: opening " + path);
  auto written = write_all(fd, alert + "\n");
  if (written && ::fdatasync(fd) != 0) written = Error::from_errno("fsync " + path);
  ::close(fd);
  if (!written) return written.error().context("spool: " + path);
  return ok();
}

Result<void> Spool::remove_oldest() {
  const Segment s = segments_.front();
  const std::string path = path_of(s.seq);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Error::from_errno("removing " + path);
  segments_.pop_front();
  alerts_ -= s.alerts;
  bytes_ -= s.bytes;
  return ok();
}

Result<uint64_t> Spool::append(std::span<const std::string> alerts, size_t per_segment) {
  per_segment = std::max<size_t>(per_segment, 1);
  uint64_t dropped = 0;
  // The newest alerts matter as much as the oldest ones, but order forbids keeping a gap: when
  // the new alerts alone pass the bound, the oldest of them go.
  uint64_t total = 0;
  for (const auto& a : alerts)
    total += a.size() + 1;
  while (!alerts.empty() && total > max_bytes_) {
    total -= alerts.front().size() + 1;
    alerts = alerts.subspan(1);
    ++dropped;
  }
  while (!segments_.empty() && bytes_ + total > max_bytes_) {
    dropped += segments_.front().alerts;
    if (auto r = remove_oldest(); !r) return r.error().context("spool " + dir_);
  }
  while (!alerts.empty()) {
    Segment* tail =
        segments_.empty() || segments_.back().sealed || segments_.back().alerts >= per_segment
            ? nullptr
            : &segments_.back();
    const size_t room = tail != nullptr ? per_segment - tail->alerts : per_segment;
    const auto part = alerts.subspan(0, std::min(room, alerts.size()));
    uint64_t bytes = 0;
    for (const auto& a : part)
      bytes += a.size() + 1;
    if (tail != nullptr) {
      if (auto r = append_to_segment(part, tail->seq); !r)
        return r.error().context("spool " + dir_);
      tail->alerts += part.size();
      tail->bytes += bytes;
    } else {
      if (auto r = write_segment(part, next_seq_, bytes); !r)
        return r.error().context("spool " + dir_);
      segments_.push_back(Segment{next_seq_, part.size(), bytes, false});
      ++next_seq_;
    }
    alerts_ += part.size();
    bytes_ += bytes;
    alerts = alerts.subspan(part.size());
  }
  return dropped;
}

Result<Spool::Batch> Spool::peek(size_t max_alerts) const {
  Batch batch;
  for (const Segment& s : segments_) {
    if (!batch.alerts.empty() && batch.alerts.size() + s.alerts > max_alerts) break;
    auto alerts = read_segment(path_of(s.seq));
    if (!alerts && alerts.error().code() == ENOENT) {
      // Removed behind our back: nothing to send from it, and pop() forgets it.
      logger()->warn("spool: {} disappeared; {} alert(s) lost", path_of(s.seq), s.alerts);
      batch.last_seq = s.seq;
      continue;
    }
    if (!alerts) return alerts.error().context("spool " + dir_);
    std::move(alerts->begin(), alerts->end(), std::back_inserter(batch.alerts));
    batch.last_seq = s.seq;
  }
  return batch;
}

Result<void> Spool::pop(uint64_t last_seq) {
  while (!segments_.empty() && segments_.front().seq <= last_seq) {
    if (auto r = remove_oldest(); !r) return r.error().context("spool " + dir_);
  }
  if (auto r = fsync_dir(dir_); !r) return r.error().context("spool " + dir_);
  return ok();
}

}  // namespace phalanx::agent

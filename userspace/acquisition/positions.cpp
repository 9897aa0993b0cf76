// SPDX-License-Identifier: Apache-2.0
#include "acquisition/positions.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/log.h"

namespace phalanx::acquisition {
namespace {

const std::shared_ptr<spdlog::logger>& logger() {
  static const auto log = phalanx::log::get("acquis");
  return log;
}

// Writes all of `data`, retrying short writes.
bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

uint64_t head_hash(const char* data, size_t len) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

Result<void> fingerprint(int fd, Position& pos, std::optional<size_t> len) {
  char buf[kHeadBytes];
  const size_t want = len ? std::min(*len, kHeadBytes) : kHeadBytes;
  const ssize_t n = ::pread(fd, buf, want, 0);
  if (n < 0) return Error::from_errno("reading the head of the file");
  if (len && static_cast<size_t>(n) < want) return Error("file is shorter than its saved head");
  pos.head_len = static_cast<uint32_t>(n);
  pos.head_hash = head_hash(buf, static_cast<size_t>(n));
  return ok();
}

bool same_head(int fd, const Position& pos) {
  Position now;
  if (!fingerprint(fd, now, pos.head_len)) return false;
  return now.head_hash == pos.head_hash;
}

Result<std::map<std::string, Position>> read_positions(const std::string& path) {
  std::map<std::string, Position> out;
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return out;
    return Error::from_errno("reading positions " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("files") ||
      !doc["files"].is_object()) {
    return Error("reading positions " + path + ": not a positions file");
  }
  // value() throws on a field of the wrong type; caught here, at the third-party boundary.
  try {
    for (const auto& [file, e] : doc["files"].items()) {
      if (!e.is_object()) continue;
      Position p;
      p.dev = e.value("dev", uint64_t{0});
      p.inode = e.value("inode", uint64_t{0});
      p.offset = e.value("offset", uint64_t{0});
      p.head_len = e.value("head_len", uint32_t{0});
      // The hash is kept as hex text: JSON readers elsewhere lose precision above 2^53.
      const std::string hash = e.value("head_hash", std::string("0"));
      p.head_hash = std::strtoull(hash.c_str(), nullptr, 16);
      out[file] = p;
    }
  } catch (const nlohmann::json::exception& e) {
    return Error("reading positions " + path + ": " + e.what());
  }
  return out;
}

Result<void> write_positions(const std::string& path, const std::map<std::string, Position>& all) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [file, p] : all) {
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(p.head_hash));
    files[file] = {{"dev", p.dev},
                   {"inode", p.inode},
                   {"offset", p.offset},
                   {"head_len", p.head_len},
                   {"head_hash", hash}};
  }
  const std::string text = nlohmann::json{{"version", 1}, {"files", files}}.dump(1) + "\n";
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Error::from_errno("writing positions " + tmp);
  const bool written = write_all(fd, text) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return Error::from_errno("writing positions " + tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = errno;
    ::unlink(tmp.c_str());
    return Error::from_errno("renaming " + tmp, rename_err);
  }
  // The rename itself is durable only once the directory is synced.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return ok();
}

std::shared_ptr<PositionStore> PositionStore::open(const std::string& state_dir) {
  if (state_dir.empty()) return nullptr;
  static std::mutex registry_mu;
  static std::map<std::string, std::weak_ptr<PositionStore>> registry;
  const std::string path = (std::filesystem::path(state_dir) / "positions.json").string();
  std::lock_guard lock(registry_mu);
  if (auto existing = registry[path].lock()) return existing;
  auto store = std::make_shared<PositionStore>(path);
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (auto loaded = read_positions(path)) {
    store->positions_ = std::move(*loaded);
  } else {
    logger()->warn("{}; starting without saved positions", loaded.error().message());
  }
  registry[path] = store;
  return store;
}

PositionStore::PositionStore(std::string path) : path_(std::move(path)) {}

std::optional<Position> PositionStore::get(const std::string& file) const {
  std::lock_guard lock(mu_);
  const auto it = positions_.find(file);
  if (it == positions_.end()) return std::nullopt;
  return it->second;
}

void PositionStore::set(const std::string& file, const Position& pos) {
  std::lock_guard lock(mu_);
  auto& slot = positions_[file];
  if (slot == pos) return;
  slot = pos;
  dirty_ = true;
}

void PositionStore::forget(const std::string& file) {
  std::lock_guard lock(mu_);
  if (positions_.erase(file) > 0) dirty_ = true;
}

std::map<std::string, Position> PositionStore::snapshot() const {
  std::lock_guard lock(mu_);
  return positions_;
}

bool PositionStore::dirty() const {
  std::lock_guard lock(mu_);
  return dirty_;
}

void PositionStore::flush(std::chrono::milliseconds min_gap) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!dirty_ || now - last_write_ < min_gap) return;
  last_write_ = now;
  if (auto written = write_positions(path_, positions_); !written) {
    if (!failing_) logger()->error("{}", written.error().message());
    failing_ = true;
    return;
  }
  failing_ = false;
  dirty_ = false;
}

}  // namespace phalanx::acquisition

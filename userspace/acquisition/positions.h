// SPDX-License-Identifier: Apache-2.0
// Saved read positions of followed files, so a restart neither loses nor repeats lines.
//
// One JSON file per state directory (`<state_dir>/positions.json`), shared by every file source
// of the process: each entry is keyed by the followed path and records the file's identity
// (device, inode and a hash of its first bytes, which tells a reused inode from the same file)
// and the offset just after the last line the sink accepted.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/result.h"

namespace phalanx::acquisition {

// How many bytes of a file's head identify it (fewer while the file is shorter).
inline constexpr size_t kHeadBytes = 256;

struct Position {
  uint64_t dev = 0;
  uint64_t inode = 0;
  uint64_t offset = 0;    // just after the last accepted line
  uint32_t head_len = 0;  // bytes hashed from the start of the file
  uint64_t head_hash = 0;

  bool operator==(const Position&) const = default;
};

// FNV-1a 64 of `len` bytes: the head fingerprint.
uint64_t head_hash(const char* data, size_t len);

// Reads the head of an open file (up to kHeadBytes, or exactly `len` when given) and fills
// head_len/head_hash. Errors: pread failed; a file shorter than an explicit `len`.
Result<void> fingerprint(int fd, Position& pos, std::optional<size_t> len = std::nullopt);

// True when the open file still starts with the bytes `pos` was fingerprinted from.
bool same_head(int fd, const Position& pos);

// Reads a positions file. A missing file is an empty map; a malformed one is an error.
Result<std::map<std::string, Position>> read_positions(const std::string& path);
// Writes atomically: a temporary file in the same directory, fsync, rename, fsync of the dir.
Result<void> write_positions(const std::string& path, const std::map<std::string, Position>& all);

// The positions of one state directory, shared by the sources of a process. Thread-safe.
class PositionStore {
 public:
  // The store of `state_dir` (created on first use and loaded from disk); null when state_dir
  // is empty. Load errors are logged and start from an empty store.
  static std::shared_ptr<PositionStore> open(const std::string& state_dir);

  explicit PositionStore(std::string path);
  std::optional<Position> get(const std::string& file) const;
  void set(const std::string& file, const Position& pos);
  void forget(const std::string& file);
  std::map<std::string, Position> snapshot() const;
  // Writes the file when something changed and the last write is at least `min_gap` old.
  // Errors are logged (once per failure streak) and retried at the next call.
  void flush(std::chrono::milliseconds min_gap = std::chrono::milliseconds(1000));
  bool dirty() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  mutable std::mutex mu_;
  std::map<std::string, Position> positions_;
  bool dirty_ = false;
  bool failing_ = false;
  std::chrono::steady_clock::time_point last_write_{};
};

}  // namespace phalanx::acquisition

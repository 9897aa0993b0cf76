// SPDX-License-Identifier: Apache-2.0
// The agent's on-disk alert queue: what could not be pushed to the Local API yet survives a
// LAPI outage and a restart of the agent.
//
// Layout: a directory of segment files `<seq>.jsonl` (16 decimal digits, oldest = smallest),
// one serialised alert per line. A segment is created under a .tmp name (fsync'd, renamed,
// directory fsync'd); afterwards it is only appended to (fsync'd; a failed append is truncated
// away), while it holds fewer than `per_segment` alerts, so a long outage with a trickle of
// alerts makes few files. Segments found at open are not appended to. A segment is removed
// whole once the LAPI has acknowledged every alert in it. A crash can therefore leave a .tmp
// file (discarded at open), a cut last line (skipped), or a segment that was delivered but not
// yet removed (sent again: delivery is at least once).
//
// The spool is bounded by max_bytes: an append that would pass it removes the oldest segments
// first (and, if the new alerts alone are too big, the oldest of them) and reports how many
// alerts were dropped.
//
// Thread-safety: none; one owner (the client's thread) calls it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace phalanx::agent {

class Spool {
 public:
  // Alerts read back from the oldest segments.
  struct Batch {
    std::vector<std::string> alerts;
    uint64_t last_seq = 0;  // pass to pop() once they are delivered
  };

  // Opens (creating it 0700 if needed) `dir` and indexes the segments left there. Lines that are
  // not JSON (a file damaged outside our control) are skipped with a warning. Errors: "spool
  // DIR: cause" with the errno.
  static Result<std::unique_ptr<Spool>> open(const std::string& dir, uint64_t max_bytes);

  // Appends alerts (oldest first) as segments of at most `per_segment` alerts, durably. Returns
  // the number of alerts dropped to stay within max_bytes (older spooled ones first). Errors:
  // "spool DIR: writing ...: cause"; nothing was appended then.
  Result<uint64_t> append(std::span<const std::string> alerts, size_t per_segment);

  // Reads whole segments from the oldest, as long as the total stays within `max_alerts` (the
  // first segment is always read). Empty batch when the spool is empty. Errors: reading.
  Result<Batch> peek(size_t max_alerts) const;

  // Removes every segment up to and including `last_seq`. Errors: unlink's.
  Result<void> pop(uint64_t last_seq);

  // Appends one alert the LAPI refuses for good to kRejectedFile, for the operator (never sent
  // again). Errors: writing.
  Result<void> reject(const std::string& alert);
  static constexpr const char* kRejectedFile = "rejected.jsonl";

  bool empty() const { return segments_.empty(); }
  uint64_t alerts() const { return alerts_; }
  uint64_t bytes() const { return bytes_; }
  const std::string& dir() const { return dir_; }

 private:
  struct Segment {
    uint64_t seq = 0;
    uint64_t alerts = 0;
    uint64_t bytes = 0;
    bool sealed = false;  // from an earlier run: never appended to
  };

  Spool(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
  std::string path_of(uint64_t seq) const;
  Result<void> write_segment(std::span<const std::string> alerts, uint64_t seq, uint64_t bytes);
  Result<void> append_to_segment(std::span<const std::string> alerts, uint64_t seq);
  Result<void> remove_oldest();

  std::string dir_;
  uint64_t max_bytes_;
  std::deque<Segment> segments_;
  uint64_t next_seq_ = 1;
  uint64_t alerts_ = 0;
  uint64_t bytes_ = 0;
};

// Reads one segment file's alerts (complete JSON lines only). Exposed for tests and tools.
Result<std::vector<std::string>> read_segment(const std::string& path);

}  // namespace phalanx::agent

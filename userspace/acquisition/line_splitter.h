// SPDX-License-Identifier: Apache-2.0
// Splits a byte stream read in large chunks into lines, keeping track of file offsets so that a
// source knows where the last line it handed over ends.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace phalanx::acquisition {

// Not thread-safe; one per open file.
//
// feed() calls `on_line(std::string line, uint64_t end, bool cut)` for every line completed by
// the chunk, without its '\n'. `end` is the file offset just after the line's newline, where a
// reader resumes once the line is accepted. A line longer than max_line is cut: its first
// max_line bytes are delivered (cut = true) as soon as they are known, with `end` at the line's
// start (the position must not pass a line still being skipped); the rest up to the newline is
// skipped and then reported as an empty line (""), so the caller can move its position past it.
// on_line returns false to stop (the sink is stopping); feed() then returns false and the splitter
// must not be fed again.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line) : max_(max_line) {}

  template <class OnLine>
  bool feed(const char* data, size_t n, uint64_t base, OnLine&& on_line);

  // The unfinished last line, for a finite input that ended without a newline. Empty when
  // there is none (or it was an over-long line already delivered).
  std::string take_partial() {
    std::string out = discarding_ ? std::string() : std::move(partial_);
    reset();
    return out;
  }
  // Forgets the unfinished line (the file was truncated or replaced); the next byte fed is at
  // file offset `start`.
  void reset(uint64_t start = 0) {
    partial_.clear();
    discarding_ = false;
    cut_start_ = start;
  }
  bool has_partial() const { return !partial_.empty() || discarding_; }

 private:
  size_t max_;
  std::string partial_;
  bool discarding_ = false;  // inside an over-long line whose head was delivered
  uint64_t cut_start_ = 0;   // where the unfinished line starts
};

template <class OnLine>
bool LineSplitter::feed(const char* data, size_t n, uint64_t base, OnLine&& on_line) {
  size_t pos = 0;
  while (pos < n) {
    const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', n - pos));
    if (nl == nullptr) {
      if (discarding_) return true;
      partial_.append(data + pos, n - pos);
      if (partial_.size() > max_) {
        discarding_ = true;
        std::string head = std::move(partial_);
        partial_.clear();
        head.resize(max_);
        // Not accepted past this point yet: the position moves once the newline is seen.
        if (!on_line(std::move(head), cut_start_, true)) return false;
      }
      return true;
    }
    const size_t len = static_cast<size_t>(nl - (data + pos));
    const uint64_t end = base + static_cast<uint64_t>(nl - data) + 1;
    if (discarding_) {
      discarding_ = false;
      if (!on_line(std::string(), end, false)) return false;
    } else {
      std::string line;
      if (partial_.empty()) {
        line.assign(data + pos, len);
      } else {
        line = std::move(partial_);
        partial_.clear();
        line.append(data + pos, len);
      }
      const bool cut = line.size() > max_;
      if (cut) line.resize(max_);
      if (!on_line(std::move(line), end, cut)) return false;
    }
    cut_start_ = end;
    pos += len + 1;
  }
  return true;
}

}  // namespace phalanx::acquisition

// SPDX-License-Identifier: Apache-2.0
// The file source's view of one open log file: its identity (device, inode, head fingerprint),
// where the source stands in it, and the line splitter over its bytes. Internal to the file
// source (file_source.cpp); split out so each part reads on its own.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "acquisition/line_splitter.h"
#include "acquisition/positions.h"
#include "core/result.h"

namespace phalanx::acquisition {

// One open file and where the source stands in it.
struct FileReader {
  int fd = -1;
  int wd = -1;  // inotify watch on the file, -1 when none
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;     // next byte to read
  uint64_t committed = 0;  // just after the last line the sink accepted (or skipped)
  uint64_t last_size = 0;  // size at the last truncation check
  LineSplitter lines;
  Position head;           // fingerprint of the first bytes
  std::string head_bytes;  // the bytes it is made of, as this reader read them

  explicit FileReader(size_t max_line) : lines(max_line) {}
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  ~FileReader() {
    if (fd >= 0) ::close(fd);
  }
  void restart_at(uint64_t off) {
    offset = committed = off;
    lines.reset(off);
    if (off == 0) {
      head_bytes.clear();
      set_head();
    }
  }
  // Extends the head with bytes just read at `at`. The fingerprint then describes what this
  // reader delivered, not what the file holds by the time it is looked at again: a file
  // truncated and rewritten right after a read must not lend the reader its new head.
  // Returns false when the read does not continue the head (a reader that started past it).
  bool note_read(uint64_t at, const char* data, size_t n) {
    const uint64_t have = head_bytes.size();
    if (have >= kHeadBytes || at + n <= have) return true;
    if (at > have) return false;
    const size_t skip = static_cast<size_t>(have - at);
    head_bytes.append(data + skip, std::min<size_t>(n - skip, kHeadBytes - head_bytes.size()));
    set_head();
    return true;
  }

 private:
  void set_head() {
    head.head_len = static_cast<uint32_t>(head_bytes.size());
    head.head_hash = head_hash(head_bytes.data(), head_bytes.size());
  }
};

// Opens `path` read-only and non-blocking (a FIFO must never hang the source) and reads its head.
// Errors: cannot open or stat, not a regular file.
Result<std::unique_ptr<FileReader>> open_reader(const std::string& path, size_t max_line);

// Where a reader that starts "at the end" begins: after the last newline, so that a line the
// writer is in the middle of is still delivered whole once it is finished.
uint64_t end_of_last_line(int fd, uint64_t size);

// The size of the open file; 0 when fstat fails.
uint64_t file_size(int fd);

}  // namespace phalanx::acquisition

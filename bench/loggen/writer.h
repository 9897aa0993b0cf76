// SPDX-License-Identifier: Apache-2.0
// LineWriter: builds log lines in a large buffer and hands it to stdout in big writes, with the
// two timestamp layouts the generator needs. Formatting is hand-written (no iostreams, no
// printf) because the generator must produce a million lines in about a second.
//
// Not thread-safe. Errors: write failures (a closed pipe) are remembered in failed(); callers
// stop generating once it is set.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace phalanx::loggen {

// Milliseconds since the Unix epoch, UTC.
using Millis = int64_t;

class LineWriter {
 public:
  explicit LineWriter(std::FILE* out);
  ~LineWriter();
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  LineWriter& put(std::string_view text) {
    buf_.append(text);
    return *this;
  }
  LineWriter& put(char c) {
    buf_.push_back(c);
    return *this;
  }
  LineWriter& put_uint(uint64_t value);

  // "Nov 23 10:07:14" (RFC 3164: day padded with a blank).
  LineWriter& put_syslog_time(Millis t);
  // "23/Nov/2026:10:07:14 +0000" (nginx $time_local in UTC).
  LineWriter& put_http_time(Millis t);

  // Ends the current line; flushes when the buffer is large.
  void end_line();
  // Writes out everything buffered. Returns false once a write has failed.
  bool flush();
  bool failed() const { return failed_; }

 private:
  struct Civil {
    int year, month, day, hour, minute, second;
  };
  static Civil civil(Millis t);
  void put2(int value);

  std::FILE* out_;
  std::string buf_;
  bool failed_ = false;
  // The date and time fields only change once a second: cache the last conversion.
  int64_t cached_second_ = INT64_MIN;
  Civil cached_{};
};

// Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC only). Returns false on any other shape.
bool parse_utc_timestamp(std::string_view text, Millis& out);

}  // namespace phalanx::loggen

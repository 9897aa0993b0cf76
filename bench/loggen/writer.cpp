// SPDX-License-Identifier: Apache-2.0
#include "writer.h"

#include <array>
#include <charconv>

namespace phalanx::loggen {
namespace {

constexpr size_t kFlushAt = 1 << 20;
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days).
void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
}

// The inverse: a proleptic Gregorian date to days since 1970-01-01.
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool parse_field(std::string_view text, size_t pos, size_t len, int& out) {
  const char* first = text.data() + pos;
  auto [ptr, ec] = std::from_chars(first, first + len, out);
  return ec == std::errc() && ptr == first + len;
}

}  // namespace

LineWriter::LineWriter(std::FILE* out) : out_(out) {
  buf_.reserve(kFlushAt + 64 * 1024);
}

LineWriter::~LineWriter() {
  flush();
}

LineWriter& LineWriter::put_uint(uint64_t value) {
  char tmp[24];
  auto [end, ec] = std::to_chars(tmp, tmp + sizeof tmp, value);
  (void)ec;  // 24 bytes always hold a uint64_t
  buf_.append(tmp, end);
  return *this;
}

void LineWriter::put2(int value) {
  buf_.push_back(static_cast<char>('0' + value / 10));
  buf_.push_back(static_cast<char>('0' + value % 10));
}

LineWriter::Civil LineWriter::civil(Millis t) {
  const int64_t secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
  const int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  const int64_t rem = secs - days * 86400;
  Civil c{};
  civil_from_days(days, c.year, c.month, c.day);
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem / 60 % 60);
  c.second = static_cast<int>(rem % 60);
  return c;
}

LineWriter& LineWriter::put_syslog_time(Millis t) {
  if (t / 1000 != cached_second_) {
    cached_second_ = t / 1000;
    cached_ = civil(t);
  }
  const Civil& c = cached_;
  put(kMonths[c.month - 1]).put(' ');
  if (c.day < 10) {
    put(' ').put(static_cast<char>('0' + c.day));
  } else {
    put2(c.day);
  }
  put(' ');
  put2(c.hour);
  put(':');
  put2(c.minute);
  put(':');
  put2(c.second);
  return *this;
}

LineWriter& LineWriter::put_http_time(Millis t) {
  if (t / 1000 != cached_second_) {
    cached_second_ = t / 1000;
    cached_ = civil(t);
  }
  const Civil& c = cached_;
  put2(c.day);
  put('/').put(kMonths[c.month - 1]).put('/').put_uint(static_cast<uint64_t>(c.year)).put(':');
  put2(c.hour);
  put(':');
  put2(c.minute);
  put(':');
  put2(c.second);
  return put(" +0000");
}

void LineWriter::end_line() {
  buf_.push_back('\n');
  if (buf_.size() >= kFlushAt) flush();
}

bool LineWriter::flush() {
  if (!failed_ && !buf_.empty()) {
    failed_ = std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size();
    if (!failed_) failed_ = std::fflush(out_) != 0;
  }
  buf_.clear();
  return !failed_;
}

bool parse_utc_timestamp(std::string_view text, Millis& out) {
  // YYYY-MM-DDTHH:MM:SSZ
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != 'Z') {
    return false;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!parse_field(text, 0, 4, y) || !parse_field(text, 5, 2, mo) || !parse_field(text, 8, 2, d) ||
      !parse_field(text, 11, 2, h) || !parse_field(text, 14, 2, mi) ||
      !parse_field(text, 17, 2, s)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return false;
  const int64_t days = days_from_civil(y, mo, d);
  int cy = 0, cm = 0, cd = 0;
  civil_from_days(days, cy, cm, cd);
  if (cy != y || cm != mo || cd != d) return false;  // e.g. Feb 30
  out = ((days * 86400) + h * 3600 + mi * 60 + s) * 1000;
  return true;
}

}  // namespace phalanx::loggen

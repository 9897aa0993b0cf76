// SPDX-License-Identifier: Apache-2.0
#include "acquisition/syslog_message.h"

#include <fmt/format.h>

#include <array>
#include <chrono>

namespace phalanx::acquisition {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr int kMaxPriority = 191;  // facility 23, severity 7

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A cursor over the message text; every helper consumes on success only.
struct Reader {
  std::string_view rest;

  bool done() const { return rest.empty(); }
  char peek() const { return rest.empty() ? '\0' : rest.front(); }
  bool eat(char c) {
    if (rest.empty() || rest.front() != c) return false;
    rest.remove_prefix(1);
    return true;
  }
  // Exactly `n` digits.
  bool number(size_t n, int& out) {
    if (rest.size() < n) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!is_digit(rest[i])) return false;
      v = v * 10 + (rest[i] - '0');
    }
    rest.remove_prefix(n);
    out = v;
    return true;
  }
  // 1 to `max` digits.
  bool number_upto(size_t max, int& out) {
    size_t n = 0;
    while (n < rest.size() && n < max && is_digit(rest[n]))
      ++n;
    return n > 0 && number(n, out);
  }
  size_t skip_spaces() {
    size_t n = 0;
    while (n < rest.size() && rest[n] == ' ')
      ++n;
    rest.remove_prefix(n);
    return n;
  }
  // Up to the next space (not consumed).
  std::string_view word() {
    size_t n = rest.find(' ');
    if (n == std::string_view::npos) n = rest.size();
    std::string_view w = rest.substr(0, n);
    rest.remove_prefix(n);
    return w;
  }
};

enum class PriResult { kNone, kOk, kBad };

PriResult parse_pri(Reader& r, int& priority) {
  if (r.peek() != '<') return PriResult::kNone;
  Reader t = r;
  t.eat('<');
  int v = 0;
  if (!t.number_upto(3, v) || !t.eat('>') || v > kMaxPriority) return PriResult::kBad;
  r = t;
  priority = v;
  return PriResult::kOk;
}

bool valid_time(const SyslogTimestamp& ts) {
  return ts.month >= 1 && ts.month <= 12 && ts.day >= 1 && ts.day <= 31 && ts.hour <= 23 &&
         ts.minute <= 59 && ts.second <= 60;
}

// "HH:MM:SS" plus optional fractional seconds.
bool parse_clock(Reader& r, SyslogTimestamp& ts) {
  if (!r.number(2, ts.hour) || !r.eat(':') || !r.number(2, ts.minute) || !r.eat(':') ||
      !r.number(2, ts.second))
    return false;
  if (r.peek() == '.') {
    Reader t = r;
    t.eat('.');
    int frac = 0;
    if (!t.number_upto(9, frac)) return false;
    while (is_digit(t.peek()))
      t.rest.remove_prefix(1);
    r = t;
  }
  return true;
}

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM).
bool parse_rfc3339(Reader& r, SyslogTimestamp& ts) {
  Reader t = r;
  int year = 0;
  if (!t.number(4, year) || !t.eat('-') || !t.number(2, ts.month) || !t.eat('-') ||
      !t.number(2, ts.day) || !(t.eat('T') || t.eat('t')) || !parse_clock(t, ts))
    return false;
  if (!(t.eat('Z') || t.eat('z'))) {
    if (!(t.eat('+') || t.eat('-'))) return false;
    int oh = 0, om = 0;
    if (!t.number(2, oh) || !t.eat(':') || !t.number(2, om) || oh > 23 || om > 59) return false;
  }
  if (!valid_time(ts)) return false;
  r = t;
  return true;
}

// BSD: "Mmm dd hh:mm:ss", "Mmm  d hh:mm:ss" or "Mmm d hh:mm:ss", optionally with fractional
// seconds and a trailing year.
bool parse_bsd_timestamp(Reader& r, SyslogTimestamp& ts) {
  Reader t = r;
  if (t.rest.size() < 3) return false;
  std::string_view name = t.rest.substr(0, 3);
  ts.month = 0;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (name == kMonths[i]) ts.month = static_cast<int>(i) + 1;
  }
  if (ts.month == 0) return false;
  t.rest.remove_prefix(3);
  if (t.skip_spaces() == 0 || !t.number_upto(2, ts.day) || t.skip_spaces() == 0 ||
      !parse_clock(t, ts) || !valid_time(ts))
    return false;
  // A year ("Oct 11 22:14:15 2024 host ...") when four digits stand alone.
  Reader y = t;
  int year = 0;
  if (y.eat(' ') && y.number(4, year) && (y.done() || y.peek() == ' ')) t = y;
  r = t;
  return true;
}

// True when the word reads as a tag rather than a hostname: "sshd:", "sshd[12]:".
bool looks_like_tag(std::string_view word) {
  if (word.size() < 2 || word.back() != ':') return false;
  return word.find('[') == std::string_view::npos || word[word.size() - 2] == ']';
}

Result<SyslogMessage> parse_rfc3164(Reader r, int priority) {
  SyslogMessage m;
  m.format = SyslogMessage::Format::kRfc3164;
  m.priority = priority;
  SyslogTimestamp ts;
  if (!parse_rfc3339(r, ts) && !parse_bsd_timestamp(r, ts))
    return Error("rfc3164: no valid timestamp");
  m.timestamp = ts;
  if (r.skip_spaces() == 0) return Error("rfc3164: no space after the timestamp");
  Reader host = r;
  std::string_view first = host.word();
  if (!looks_like_tag(first) && host.skip_spaces() > 0 && !host.done()) {
    m.hostname = first;
    r = host;
  }
  // TAG: up to '[', ':' or a space.
  size_t n = 0;
  while (n < r.rest.size() && r.rest[n] != '[' && r.rest[n] != ':' && r.rest[n] != ' ')
    ++n;
  if (n == 0) return Error("rfc3164: the tag is empty");
  m.app = r.rest.substr(0, n);
  r.rest.remove_prefix(n);
  if (r.eat('[')) {
    size_t close = r.rest.find(']');
    if (close == std::string_view::npos || close == 0 ||
        r.rest.substr(0, close).find(' ') != std::string_view::npos)
      return Error("rfc3164: bad [pid] in the tag");
    m.procid = r.rest.substr(0, close);
    r.rest.remove_prefix(close + 1);
  }
  r.eat(':');
  r.skip_spaces();
  m.message = r.rest;
  return m;
}

// One RFC 5424 header field: NILVALUE or 1..max printable US-ASCII characters.
bool header_field(Reader& r, size_t max, std::string_view& out) {
  std::string_view w = r.word();
  if (w.empty() || w.size() > max) return false;
  for (char c : w) {
    if (c < 33 || c > 126) return false;
  }
  out = w == "-" ? std::string_view() : w;
  return r.eat(' ') || r.done();
}

// SD: "-" or one or more [SD-ID *(SP PARAM="VALUE")] elements; '\' escapes in values.
bool structured_data(Reader& r, std::string_view& out) {
  std::string_view start = r.rest;
  if (r.eat('-')) {
    out = {};
    return r.done() || r.peek() == ' ';
  }
  if (r.peek() != '[') return false;
  while (r.peek() == '[') {
    r.eat('[');
    bool quoted = false;
    for (;;) {
      if (r.done()) return false;
      char c = r.rest.front();
      r.rest.remove_prefix(1);
      if (quoted && c == '\\' && !r.done()) {
        r.rest.remove_prefix(1);
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ']' && !quoted) {
        break;
      }
    }
  }
  out = start.substr(0, start.size() - r.rest.size());
  return r.done() || r.peek() == ' ';
}

Result<SyslogMessage> parse_rfc5424(Reader r, int priority) {
  SyslogMessage m;
  m.format = SyslogMessage::Format::kRfc5424;
  m.priority = priority;
  if (r.eat('-')) {
    if (!r.eat(' ')) return Error("rfc5424: no space after the timestamp");
  } else {
    SyslogTimestamp ts;
    if (!parse_rfc3339(r, ts) || !r.eat(' ')) return Error("rfc5424: bad timestamp");
    m.timestamp = ts;
  }
  if (!header_field(r, 255, m.hostname)) return Error("rfc5424: bad hostname");
  if (!header_field(r, 48, m.app)) return Error("rfc5424: bad app-name");
  if (!header_field(r, 128, m.procid)) return Error("rfc5424: bad procid");
  if (!header_field(r, 32, m.msgid)) return Error("rfc5424: bad msgid");
  if (!structured_data(r, m.structured_data)) return Error("rfc5424: bad structured data");
  r.eat(' ');
  if (r.rest.starts_with(kBom)) r.rest.remove_prefix(kBom.size());
  m.message = r.rest;
  return m;
}

}  // namespace

Result<SyslogMessage> parse_syslog_message(std::string_view text) {
  if (text.empty()) return Error("syslog: empty message");
  Reader r{text};
  int priority = -1;
  switch (parse_pri(r, priority)) {
    case PriResult::kBad:
      return Error("syslog: bad <PRI>");
    case PriResult::kOk:
      if (r.rest.starts_with("1 ")) {
        r.rest.remove_prefix(2);
        return parse_rfc5424(r, priority);
      }
      break;
    case PriResult::kNone:
      break;
  }
  return parse_rfc3164(r, priority);
}

std::string format_syslog_line(const SyslogMessage& message, TimePoint now) {
  SyslogTimestamp ts;
  if (message.timestamp) {
    ts = *message.timestamp;
  } else {
    auto day = std::chrono::floor<std::chrono::days>(now);
    std::chrono::year_month_day ymd(day);
    std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(now - day));
    ts.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    ts.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    ts.hour = static_cast<int>(hms.hours().count());
    ts.minute = static_cast<int>(hms.minutes().count());
    ts.second = static_cast<int>(hms.seconds().count());
  }
  std::string line = fmt::format("{} {} {:02}:{:02}:{:02} ", kMonths[ts.month - 1], ts.day, ts.hour,
                                 ts.minute, ts.second);
  line += message.hostname.empty() ? std::string_view("unknownhost") : message.hostname;
  if (!message.app.empty()) {
    line += ' ';
    line += message.app;
  }
  if (!message.procid.empty()) {
    line += '[';
    line += message.procid;
    line += ']';
  }
  line += ": ";
  line += message.message;
  return line;
}

Result<std::string> syslog_to_line(std::string_view received, bool disable_rfc_parser,
                                   TimePoint now) {
  if (disable_rfc_parser) {
    Reader r{received};
    int priority = -1;
    if (parse_pri(r, priority) == PriResult::kBad) r.rest = received;  // not a PRI: keep it
    if (r.done()) return Error("syslog: empty message");
    return std::string(r.rest);
  }
  PHALANX_TRY(auto message, parse_syslog_message(received));
  return format_syslog_line(message, now);
}

}  // namespace phalanx::acquisition

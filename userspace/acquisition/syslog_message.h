// SPDX-License-Identifier: Apache-2.0
// Syslog messages as the syslog server source receives them: parsing of RFC 3164 (BSD) and
// RFC 5424 (IETF) messages, and their re-serialisation as the classic syslog line
// "Jan 2 15:04:05 host app[pid]: msg" so that the `labels.type: syslog` parsers read them as
// they read /var/log/syslog. Pure functions: no I/O, no clock (the caller passes `now`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/time.h"

namespace phalanx::acquisition {

// The wall-clock fields of a syslog timestamp, as written by the sender (no time-zone
// conversion: "22:14:15-07:00" stays 22:14:15, as the re-serialised line shows it).
struct SyslogTimestamp {
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// One parsed message. Views point into the text given to parse_syslog_message().
struct SyslogMessage {
  enum class Format { kRfc3164, kRfc5424 };
  Format format = Format::kRfc3164;
  int priority = -1;                         // -1: the message had no <PRI>
  std::optional<SyslogTimestamp> timestamp;  // absent: RFC 5424 NILVALUE
  std::string_view hostname;                 // empty: absent or NILVALUE
  std::string_view app;                      // RFC 3164 tag, RFC 5424 APP-NAME
  std::string_view procid;                   // the [pid] of the tag, RFC 5424 PROCID
  std::string_view msgid;                    // RFC 5424 only
  std::string_view structured_data;          // RFC 5424 only, the raw "[...]..." text
  std::string_view message;                  // without a UTF-8 BOM
};

// Parses one message (its framing already removed: no trailing newline). Accepted forms:
//   RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG], with NILVALUE "-"
//             for any header field, SD "-" or one or more [id k="v"] elements, and an
//             optional BOM before MSG.
//   RFC 3164: [<PRI>]TIMESTAMP [HOST ]TAG[[PID]][:] MSG, where TIMESTAMP is "Mmm dd hh:mm:ss"
//             (day space- or zero-padded, or unpadded), optionally with fractional seconds
//             and a year, or an RFC 3339 timestamp (rsyslog's high-precision form). HOST is
//             taken as absent when the first word already looks like a tag ("sshd[12]:",
//             "kernel:").
// Errors: anything else (empty, bad PRI, no timestamp, no tag...), with the reason.
Result<SyslogMessage> parse_syslog_message(std::string_view text);

// The message as a classic syslog line: "Jan 2 15:04:05 host app[pid]: msg" (Go's
// "Jan 2 15:04:05" layout: day not padded). A missing timestamp is replaced by `now` (UTC),
// a missing host by "unknownhost"; without app the line reads "... host: msg", without pid
// "... host app: msg".
std::string format_syslog_line(const SyslogMessage& message, TimePoint now);

// What the syslog source pushes for one received message: the re-serialised line, or with
// `disable_rfc_parser` the message as received minus a leading <PRI> (when there is one).
// Errors: the message cannot be parsed (or, without the parser, is empty).
Result<std::string> syslog_to_line(std::string_view received, bool disable_rfc_parser,
                                   TimePoint now);

}  // namespace phalanx::acquisition

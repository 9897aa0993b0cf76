// SPDX-License-Identifier: Apache-2.0
// The event that flows from acquisition through the parsers to the scenarios (spec §4.1).
// Field names follow the hub's model because expressions address them by those names
// (evt.Meta.source_ip, evt.Line.Labels.type, evt.StrTime, …); event_object.h exposes them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/time.h"
#include "expr/value.h"
#include "parser/overflow.h"
#include "parser/string_map.h"

namespace phalanx::parser {

enum class EventType : uint8_t { kLog = 0, kOverflow = 1 };
// kLive: times come from the clock; kTimeMachine: times come from the log (replay).
enum class ExpectMode : uint8_t { kLive = 0, kTimeMachine = 1 };

struct Line {
  std::string raw;
  std::string src;     // file path or source name
  std::string module;  // datasource type: file, journalctl, syslog, …
  bool process = false;
  ZonedTime time;    // ingest time
  StringMap labels;  // labels.type selects the parser family
};

struct Event {
  EventType type = EventType::kLog;
  ExpectMode expect_mode = ExpectMode::kLive;
  bool whitelisted = false;
  std::string whitelist_reason;
  // Current parser stage ("s00-raw", …); an event already at a later stage skips earlier ones.
  std::string stage;
  Line line;
  StringMap parsed;
  StringMap enriched;
  StringMap meta;  // the only part sent to the API
  expr::Value unmarshaled = expr::Value::new_map();
  ZonedTime time;
  std::string str_time;
  std::string str_time_format;
  std::string marshaled_time;
  // Set by the parser: true when every stage had a successful node.
  bool process = false;
  // The overflow, for events of type kOverflow; shared by copies of the event.
  std::shared_ptr<Overflow> overflow;
};

// The event a file source delivers for one line in cat (time-machine) mode: raw line,
// labels.type, source path, module "file", ingest time `now`.
Event make_line_event(std::string_view raw, std::string_view type, std::string_view src,
                      ZonedTime now);

}  // namespace phalanx::parser

// SPDX-License-Identifier: Apache-2.0
// Decisions in the LAPI's wire shape (spec §1.4), written by hand: a million-decision stream is
// ~150 MB, and building it through a JSON DOM would cost more than the database read it
// replaces.
//
//   {"duration":"3h59m58s","id":42,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf",
//    "scope":"Ip","type":"ban","uuid":"<uuid4>","value":"1.2.3.4"}
//
// `duration` is until - now rounded to whole seconds in Go's Duration.String() form (negative
// for expired rows); `uuid` is left out when empty (community blocklist rows); `until` and
// `simulated` are never written.
#pragma once

#include <string>
#include <string_view>

#include "core/duration.h"
#include "core/time.h"
#include "storage/model.h"

namespace phalanx::lapi {

// Appends `s` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view s);

// Go's Duration.Round(time.Second): halves away from zero.
Duration round_to_second(Duration d);

// The fields of a decision that its JSON shows, as views (the decision index keeps them in a
// compact form of its own).
struct DecisionFields {
  int64_t id = 0;
  TimePoint until{};
  std::string_view origin, scenario, scope, type, uuid, value;
};

// Appends one decision object.
void append_decision_json(std::string& out, const DecisionFields& d, TimePoint now);
void append_decision_json(std::string& out, const storage::Decision& d, TimePoint now);

// RFC 3339 in UTC with nanoseconds trimmed ("2024-01-02T03:04:05.5Z"), as Go marshals times.
std::string format_time_rfc3339(TimePoint t);

}  // namespace phalanx::lapi

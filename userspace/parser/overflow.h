// SPDX-License-Identifier: Apache-2.0
// What a scenario produces when a bucket overflows (spec §1.6, §3.3): the alert in the LAPI's
// shape, one per source, and the runtime wrapper the hub calls RuntimeAlert (evt.Overflow).
// An overflow travels inside an Event of type kOverflow through the postoverflow stages, back
// into the scenarios when `reprocess` is set, and out to the LAPI.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace phalanx::parser {

struct MetaItem {
  std::string key;
  std::string value;
};

// One event of an alert: the log time and the event's Meta, keys sorted.
struct AlertEvent {
  std::string timestamp;  // RFC 3339 (MarshaledTime), or the ingest time
  std::vector<MetaItem> meta;
};

// An alert's source (models.Source). Scope "Ip": value is the address; "Range": the CIDR;
// any other scope: the scenario's scope expression result.
struct Source {
  std::string scope;
  std::string value;
  std::string ip;
  std::string range;
  std::string as_name;
  std::string as_number;
  std::string cn;
  float latitude = 0;
  float longitude = 0;
};

// The alert as the agent pushes it (models.Alert). `decisions` and `labels` are always null on
// the agent side and are not modelled here.
struct Alert {
  std::string scenario;
  std::string scenario_hash;
  std::string scenario_version;
  std::string message;
  std::string leakspeed;  // Go duration; "0s" for triggers
  std::string start_at;   // RFC 3339 with nanoseconds
  std::string stop_at;
  std::string kind = "crowdsec";
  int32_t capacity = 0;
  int32_t events_count = 0;
  bool simulated = false;
  bool remediation = false;
  Source source;
  std::vector<AlertEvent> events;
  std::vector<MetaItem> meta;  // console context
};

// RuntimeAlert: the overflow of one bucket.
struct Overflow {
  std::string mapkey;  // the bucket key
  std::string bucket_id;
  bool whitelisted = false;
  bool reprocess = false;
  std::map<std::string, Source> sources;  // by source value
  std::vector<Alert> api_alerts;          // one per source, in source order
  // The first API alert (evt.Overflow.Alert); null when the overflow has no source, which
  // means it carries no alert at all (the hub drops those).
  Alert* alert() { return api_alerts.empty() ? nullptr : &api_alerts.front(); }
  const Alert* alert() const { return api_alerts.empty() ? nullptr : &api_alerts.front(); }
};

}  // namespace phalanx::parser

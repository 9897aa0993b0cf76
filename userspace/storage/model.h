// SPDX-License-Identifier: Apache-2.0
// What the Local API keeps: alerts with their decisions, machines (agents) and bouncers. These
// are storage rows, not wire shapes: userspace/lapi turns them into the LAPI's JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "parser/overflow.h"

namespace phalanx::storage {

// A decision row. Deleting a decision never removes its row: `until` is set to the deletion
// time, which is how the stream reports it in `deleted` (spec §1.3). Rows are removed only by
// the flush policy.
struct Decision {
  int64_t id = 0;        // assigned by the store
  int64_t alert_id = 0;  // the alert it came with; 0 for none (community blocklist rows)
  std::string uuid;      // empty for community blocklist rows
  TimePoint created_at{};
  TimePoint until{};
  std::string scenario;
  std::string type;   // "ban", "captcha", ...
  std::string scope;  // "Ip", "Range", "Country", custom; case kept as given
  std::string value;
  std::string origin;  // "crowdsec", "cscli", "CAPI", "lists", "crowdsec/<x>", ...
  bool simulated = false;
  // Change sequence: a store-wide counter, strictly increasing with every insert and every
  // change of `until`. Other LAPI instances on the same database follow it (decisions_after).
  int64_t rev = 0;
};

// An alert row (models.Alert), with its decisions. Source, events and meta keep the agent's
// strings; times the LAPI computes with are parsed.
struct Alert {
  int64_t id = 0;  // assigned by the store
  std::string uuid;
  std::string machine_id;  // the owner; empty for alerts created by the CLI or CAPI
  TimePoint created_at{};
  std::string scenario;
  std::string scenario_hash;
  std::string scenario_version;
  std::string message;
  std::string leakspeed;
  std::string kind;  // "crowdsec", "cscli", "capi", ...
  int32_t capacity = 0;
  int32_t events_count = 0;
  TimePoint start_at{};
  TimePoint stop_at{};
  bool simulated = false;
  bool remediation = false;
  parser::Source source;
  std::vector<parser::AlertEvent> events;
  std::vector<parser::MetaItem> meta;
  std::vector<std::string> labels;
  std::vector<Decision> decisions;
};

// An agent (watcher). The password is stored hashed (never the password itself).
struct Machine {
  std::string machine_id;
  std::string password_hash;
  std::string ip_address;
  std::string scenarios;  // comma-joined, as the agent sent them at login
  std::string version;
  std::string auth_type = "password";  // "password" or "tls"
  bool is_validated = false;
  TimePoint created_at{};
  TimePoint updated_at{};
  std::optional<TimePoint> last_push;
  std::optional<TimePoint> last_heartbeat;
};

// A bouncer (remediation component). The API key is stored as its hex SHA-512.
struct Bouncer {
  std::string name;
  std::string api_key_hash;
  std::string ip_address;
  std::string type;  // the User-Agent
  std::string version;
  std::string auth_type = "api-key";  // "api-key" or "tls"
  bool revoked = false;
  TimePoint created_at{};
  TimePoint updated_at{};
  std::optional<TimePoint> last_pull;
};

// One value of a centralised allowlist: an IP or a CIDR range, as given.
struct AllowlistItem {
  std::string value;
  std::string description;
  TimePoint created_at{};
  std::optional<TimePoint> expires_at;  // none: never expires
};

// A named allowlist (spec §1.3 /v1/allowlists): sources that must never be banned. Alerts whose
// source is in one are not stored, and its values are dropped from community blocklists.
struct Allowlist {
  std::string name;  // unique
  std::string description;
  std::string allowlist_id;  // the console's id for console-managed lists; empty otherwise
  bool console_managed = false;
  TimePoint created_at{};
  TimePoint updated_at{};
  std::vector<AllowlistItem> items;  // filled only when asked for
};

}  // namespace phalanx::storage

// SPDX-License-Identifier: Apache-2.0
// Profiles (spec §4.8): what the LAPI decides when an alert arrives. A profiles.yaml holds one
// profile per YAML document; each matching profile adds its decisions, in file order, until one
// says `on_success: break`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/net.h"
#include "core/result.h"
#include "core/time.h"
#include "expr/decision_counter.h"
#include "storage/model.h"

namespace phalanx::profiles {

// Addresses that must never be banned: loopback always, plus the host's own addresses and the
// configured IPs and CIDRs. A Range decision is refused when it overlaps an allowed address.
class AllowList {
 public:
  // Errors name the entry that does not parse.
  static Result<AllowList> make(const std::vector<std::string>& entries,
                                bool include_host_addresses);
  // Why a decision on (scope, value) is refused, or empty when it is allowed. Scopes other than
  // Ip and Range are always allowed.
  std::string refusal(std::string_view scope, std::string_view value) const;
  const std::vector<net::Cidr>& entries() const { return entries_; }

 private:
  std::vector<net::Cidr> entries_;
};

struct Decided {
  // New decisions, ids unset; until = alert stop_at + duration; uuid set.
  std::vector<storage::Decision> decisions;
  // Names of the profiles that matched, in order.
  std::vector<std::string> matched;
};

class ProfileSet {
 public:
  ProfileSet();
  ~ProfileSet();
  ProfileSet(ProfileSet&&) noexcept;
  ProfileSet& operator=(ProfileSet&&) noexcept;

  // Loads and compiles every profile; all problems are reported at once with file and line.
  static Result<ProfileSet> load_file(const std::string& path);
  static Result<ProfileSet> load_string(std::string_view yaml, std::string_view origin_name);

  // Runs the profiles over one alert. An expression that fails follows the profile's on_error
  // (default: the error is returned, and the LAPI answers 500). `counter` answers
  // duration_expr's decision helpers (GetDecisionsCount, ...); without one they fail.
  Result<Decided> decide(const storage::Alert& alert, expr::DecisionCounter* counter) const;

  size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace phalanx::profiles

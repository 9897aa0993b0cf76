// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "cli/content.h"

namespace phalanx::cli {

struct ReplayOptions {
  std::string file;
  std::string type;
  bool json = false;
  // Parser threads; the scenarios run on the calling thread in input order. 0: one per core.
  size_t workers = 1;
  // Scenario threads (ShardedDetector); the alerts are the same for any count. 0: one per core.
  size_t shards = 1;
  // Live buckets above which the least recently fed are evicted (0: no cap).
  size_t max_buckets = 0;
  ContentOptions content;
};

// `phalanx replay`: reads a log in time-machine mode through the parsers and the scenarios and
// prints every alert: JSON lines in the LAPI's alert shape (-o json), or a table. A summary
// (lines read, parsed, unparsed, whitelisted, poured, alerts, lines/s) goes to stderr with
// -o json and to stdout otherwise; a progress bar is drawn on stderr when it is a terminal.
int run_replay(const ReplayOptions& opts);

}  // namespace phalanx::cli

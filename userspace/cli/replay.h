// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "cli/content.h"

namespace phalanx::cli {

struct ReplayOptions {
  std::string file;
  std::string type;
  bool json = false;
  ContentOptions content;
};

// `phalanx replay`: reads a log in time-machine mode through the parsers and prints what came
// out: every parsed event (-o json, one JSON object per line) or a summary by log type, with
// lines read, parsed, unparsed, whitelisted and lines/s.
int run_replay(const ReplayOptions& opts);

}  // namespace phalanx::cli

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "cli/content.h"

namespace phalanx::cli {

struct ExplainOptions {
  std::string type;  // labels.type of the lines
  std::string line;  // one line, or
  std::string file;  // every line of a file
  bool json = false;
  ContentOptions content;
};

// `phalanx explain`: prints every stage and node each line went through. Returns the exit code.
int run_explain(const ExplainOptions& opts);

}  // namespace phalanx::cli
